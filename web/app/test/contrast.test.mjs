// WCAG AA contrast of the app's colour pairs (app.css custom properties): 4.5:1 for text,
// 3:1 for control borders, focus rings and non-text state indicators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const css = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'app.css'), 'utf8');
const vars = Object.fromEntries([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1], m[2]]));

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
export function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const TEXT = [
  ['text', 'bg'], ['text', 'card'], ['muted', 'card'], ['muted', 'bg'], ['primary', 'card'], ['primary-text', 'primary'],
  ['primary-text', 'primary-hover'], ['danger', 'card'], ['tag-text', 'tag-bg'], ['text', 'own-bg'], ['muted', 'own-bg'],
  ['primary', 'own-bg'], ['text', 'private-bg'], ['private-text', 'private-bg'], ['warn-text', 'warn-bg'], ['ok-text', 'ok-bg'],
  ['error-text', 'error-bg'], ['error-text', 'card'], ['error-text', 'muted-tag-bg'], ['muted', 'private-bg'],
];
const NON_TEXT = [['border', 'card'], ['focus', 'card'], ['focus', 'bg'], ['focus', 'own-bg'], ['active', 'card'], ['away', 'card'], ['primary', 'card']];

test('text colours reach 4.5:1', () => {
  for (const [fg, bg] of TEXT) {
    assert.ok(vars[fg] && vars[bg], `--${fg} / --${bg} defined`);
    const ratio = contrast(vars[fg], vars[bg]);
    assert.ok(ratio >= 4.5, `--${fg} on --${bg}: ${ratio.toFixed(2)}:1`);
  }
});

test('borders, focus ring and presence dots reach 3:1', () => {
  for (const [fg, bg] of NON_TEXT) {
    const ratio = contrast(vars[fg], vars[bg]);
    assert.ok(ratio >= 3, `--${fg} on --${bg}: ${ratio.toFixed(2)}:1`);
  }
});
