// What the eraser touches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { touches, topmostAt, elementBox } from '../../src/board/hit.js';
import { encodePoints } from '../../src/board/points.js';

const path = { elementId: 'p', z: 'a0', style: { width: 4 }, path: { points: encodePoints([0, 0, 1000, 0, 1000, 1000]), pressure: [] } };
const rect = { elementId: 'r', z: 'a1', style: {}, rectangle: { x: 2000, y: 0, width: 1000, height: 500 } };
const filled = { ...rect, elementId: 'f', style: { fill: '#ff0000' } };
const text = { elementId: 't', z: 'a2', style: { fontSize: 20 }, text: { x: 0, y: 2000, text: 'Hello\nworld' } };

test('a path is touched near its points, within the radius plus half its width', () => {
  assert.ok(touches(path, 500, 30, 10), '3 px off the first segment, 1 px reach + 2 px half width');
  assert.ok(!touches(path, 500, 40, 10));
  assert.ok(touches(path, 1010, 500, 0));
});

test('an unfilled rectangle is touched at its outline, a filled one inside too', () => {
  assert.ok(touches(rect, 2500, 5, 10));
  assert.ok(!touches(rect, 2500, 250, 10));
  assert.ok(touches(filled, 2500, 250, 10));
});

test('text is touched within its estimated box; the topmost touched element wins', () => {
  assert.ok(touches(text, 100, 2100, 0));
  assert.ok(!touches(text, 100, 1900, 0));
  assert.equal(topmostAt([path, rect, filled], 2500, 5, 10).elementId, 'f');
  assert.equal(topmostAt([path, rect, filled], 2500, 5, 10, (e) => e.elementId !== 'f').elementId, 'r');
  assert.deepEqual(elementBox(path), { x: 0, y: 0, width: 1000, height: 1000 });
});
