// Every interface language has exactly the English keys, the same {placeholders} per key, and
// no empty string; the language picker lists exactly the languages that have a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'i18n');
const load = (lang) => JSON.parse(readFileSync(join(dir, `${lang}.json`), 'utf8'));
const en = load('en');
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

test('the seven interface languages have a file each', () => {
  assert.deepEqual(files, ['de', 'en', 'es', 'fr', 'it', 'nl', 'pl']);
  const i18nSource = readFileSync(join(dir, '..', 'src', 'i18n.js'), 'utf8');
  for (const lang of files) assert.match(i18nSource, new RegExp(`\\b${lang}: '`), `${lang} in UI_LANGUAGES`);
});

for (const lang of files.filter((l) => l !== 'en')) {
  test(`${lang} has exactly the English keys, with the same placeholders`, () => {
    const table = load(lang);
    assert.deepEqual(Object.keys(table).sort(), Object.keys(en).sort());
    for (const [key, value] of Object.entries(table)) {
      assert.equal(typeof value, 'string', `${lang} ${key}`);
      assert.ok(value.trim().length > 0, `${lang} ${key} is empty`);
      assert.deepEqual(placeholders(value), placeholders(en[key]), `${lang} ${key} placeholders`);
    }
  });
}

test('every key the code uses exists in English', () => {
  const src = join(dir, '..', 'src');
  const used = new Set();
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.js')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/\bt\('([a-zA-Z]+\.[a-zA-Z.]+)'/g)) used.add(m[1]);
        for (const m of readFileSync(p, 'utf8').matchAll(/'(composer\.blocked\.[a-zA-Z]+)'/g)) used.add(m[1]);
      }
    }
  };
  walk(src);
  const missing = [...used].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
});

test('every error the app names is explained in English, with the number errors.proto gives it', () => {
  // errors.js imports the JSON tables through the bundler, so read its table as text.
  const source = readFileSync(join(dir, '..', 'src', 'errors.js'), 'utf8');
  const table = source.match(/ERROR_NUMBERS = \{([^}]*)\}/)[1];
  const ERROR_NUMBERS = Object.fromEntries([...table.matchAll(/([A-Z_]+): (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  assert.ok(Object.keys(ERROR_NUMBERS).length > 40, 'the table was read');
  const proto = readFileSync(join(dir, '..', '..', '..', 'protocol', 'src', 'main', 'proto', 'ponte', 'v1', 'errors.proto'), 'utf8');
  const numbers = Object.fromEntries([...proto.matchAll(/^\s*([A-Z_]+) = (\d+);/gm)].map((m) => [m[1], Number(m[2])]));
  for (const [name, n] of Object.entries(ERROR_NUMBERS)) {
    assert.equal(numbers[name], n, `${name} in errors.proto`);
    assert.ok(`error.${name}` in en, `error.${name} in en.json`);
  }
});

test('every error code of hands, polls, the lobby, breakouts, reports, reverts and permissions is explained', () => {
  const source = readFileSync(join(dir, '..', 'src', 'errors.js'), 'utf8');
  const table = source.match(/ERROR_NUMBERS = \{([^}]*)\}/)[1];
  const known = new Set([...table.matchAll(/([A-Z_]+): (\d+)/g)].map((m) => m[1]));
  const proto = readFileSync(join(dir, '..', '..', '..', 'protocol', 'src', 'main', 'proto', 'ponte', 'v1', 'errors.proto'), 'utf8');
  const codes = [...proto.matchAll(/^\s*([A-Z_]+) = (\d+);/gm)].filter((m) => Number(m[2]) >= 1800 && Number(m[2]) < 2000).map((m) => m[1]);
  assert.ok(codes.includes('CAPABILITY_DENIED') && codes.includes('LOBBY_DENIED'), 'the ranges were read');
  assert.deepEqual(codes.filter((c) => !known.has(c)), []);
});
