// The documents panel's pure helpers (app/src/docs/names.js), in node: ids, permissions, caret
// colours (readable white labels), refusal reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CARET_COLOURS, DOC_ID, caretColour, docIdFromTitle, hocuspocusUrl, mayCreate, mayEdit, reasonCode,
} from '../app/src/docs/names.js';

test('a document id from its title: readable, valid, with a random tail', () => {
  const fixed = () => 0.5;
  assert.equal(docIdFromTitle('Klimaat – Notities!', fixed), 'klimaat-notities-i000');
  assert.equal(docIdFromTitle('Zażółć gęślą jaźń', fixed), 'zazolc-gesla-jazn-i000');
  assert.equal(docIdFromTitle('Straße', fixed), 'strasse-i000');
  assert.equal(docIdFromTitle('气候', fixed), 'doc-i000');
  assert.equal(docIdFromTitle('', () => 0), 'doc-0000');
  for (const title of ['a'.repeat(500), '---', ' x ', 'ünïcödé'.repeat(30), 'Notes']) {
    assert.match(docIdFromTitle(title), DOC_ID, title);
  }
  assert.notEqual(docIdFromTitle('Notes'), docIdFromTitle('Notes'));
});

test('who may edit and create documents follows the protocol', () => {
  assert.equal(mayEdit('TEACHER', { studentsReadOnly: true }), true);
  assert.equal(mayEdit('STUDENT', { studentsReadOnly: false }), true);
  assert.equal(mayEdit('STUDENT', { studentsReadOnly: true }), false);
  assert.equal(mayEdit('OBSERVER', { studentsReadOnly: false }), false);
  assert.equal(mayCreate('TEACHER', {}), true);
  assert.equal(mayCreate('STUDENT', { studentPermissions: { documents: true } }), true);
  assert.equal(mayCreate('STUDENT', { studentPermissions: { chat: true } }), false);
  assert.equal(mayCreate('STUDENT', null), false);
  assert.equal(mayCreate('OBSERVER', { studentPermissions: { documents: true } }), false);
});

test('caret colours: stable per user, #rrggbb, white labels at 4.5:1 or more', () => {
  assert.equal(caretColour('u-zofia'), caretColour('u-zofia'));
  assert.ok(new Set(['u-1', 'u-2', 'u-3', 'u-4', 'u-5', 'u-6'].map(caretColour)).size > 1);
  const lum = (hex) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  for (const c of CARET_COLOURS) {
    assert.match(c, /^#[0-9a-f]{6}$/);
    const ratio = 1.05 / (lum(c) + 0.05);
    assert.ok(ratio >= 4.5, `${c} with white: ${ratio.toFixed(2)}`);
  }
});

test('the endpoint is this origin\'s, and refusal reasons give their code', () => {
  assert.equal(hocuspocusUrl({ protocol: 'https:', host: 'ponte.example' }), 'wss://ponte.example/hocuspocus');
  assert.equal(hocuspocusUrl({ protocol: 'http:', host: '127.0.0.1:8080' }), 'ws://127.0.0.1:8080/hocuspocus');
  assert.equal(reasonCode('DOC_READ_ONLY: the document is read-only for students'), 'DOC_READ_ONLY');
  assert.equal(reasonCode('DOC_NOT_FOUND'), 'DOC_NOT_FOUND');
  assert.equal(reasonCode('permission denied'), null);
});
