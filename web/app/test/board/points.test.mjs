// Packed points, as WHITEBOARD.md and the server's BoardPackedPointsTest describe them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePoints, encodePoints, packStroke } from '../../src/board/points.js';

test('the documented example encodes and decodes', () => {
  // (10, 20), (10.5, 20), (11, 19.5) px.
  const packed = packStroke([{ x: 10, y: 20 }, { x: 10.5, y: 20 }, { x: 11, y: 19.5 }]);
  assert.deepEqual(packed, { points: [100, 200, 5, 0, 5, -5], pressure: [] });
  assert.deepEqual(decodePoints([100, 200, 5, 0, 5, -5]), [100, 200, 105, 200, 110, 195]);
  assert.deepEqual(encodePoints([100, 200, 105, 200, 110, 195]), [100, 200, 5, 0, 5, -5]);
});

test('a long stroke round-trips (the server test\'s stroke: deltas of 2 and -1)', () => {
  const stroke = [];
  for (let i = 0; i < 2000; i += 2) stroke.push(5000 + i, -3000 - i / 2);
  const packed = encodePoints(stroke);
  assert.deepEqual(packed.slice(0, 6), [5000, -3000, 2, -1, 2, -1]);
  assert.deepEqual(decodePoints(packed), stroke);
});

test('pressure comes only when every point has one, scaled to 0..255', () => {
  assert.deepEqual(packStroke([{ x: 0, y: 0, pressure: 1 }, { x: 1, y: 1, pressure: 0.2 }]).pressure, [255, 51]);
  assert.deepEqual(packStroke([{ x: 0, y: 0, pressure: 1 }, { x: 1, y: 1 }]).pressure, []);
});
