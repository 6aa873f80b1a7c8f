// Packed points (whiteboard.proto, BoardPath): x0, y0, then each further point's difference from
// the previous one, in the 1/10 CSS px unit. Pressure: one value 0..255 per point, or none.

/** Absolute coordinates [x0, y0, x1, y1, ...] (integers, 1/10 px) → packed deltas. */
export function encodePoints(xy) {
  const out = new Array(xy.length);
  let px = 0;
  let py = 0;
  for (let i = 0; i < xy.length; i += 2) {
    out[i] = xy[i] - px;
    out[i + 1] = xy[i + 1] - py;
    px = xy[i];
    py = xy[i + 1];
  }
  return out;
}

/** Packed deltas → absolute coordinates. */
export function decodePoints(packed) {
  const out = new Array(packed.length - (packed.length % 2));
  let x = 0;
  let y = 0;
  for (let i = 0; i + 1 < packed.length; i += 2) {
    x += packed[i];
    y += packed[i + 1];
    out[i] = x;
    out[i + 1] = y;
  }
  return out;
}

/** A CSS pixel coordinate in the board's unit. */
export function toUnits(cssPx) {
  return Math.round(cssPx * 10);
}

/** PointerEvent.pressure (0..1) as the protocol's 0..255. */
export function toPressure(p) {
  return Math.max(0, Math.min(255, Math.round(p * 255)));
}

/**
 * A stroke of {x, y, pressure?} in CSS px → BoardPath fields {points, pressure}; pressure is
 * empty unless every point has one.
 */
export function packStroke(stroke) {
  const xy = [];
  for (const p of stroke) xy.push(toUnits(p.x), toUnits(p.y));
  const withPressure = stroke.length > 0 && stroke.every((p) => typeof p.pressure === 'number');
  return { points: encodePoints(xy), pressure: withPressure ? stroke.map((p) => toPressure(p.pressure)) : [] };
}
