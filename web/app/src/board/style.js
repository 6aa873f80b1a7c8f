// The element model's defaults and small accessors (whiteboard.proto, BoardStyle and
// BoardElement). Elements are either decoded protobuf messages (absent fields read as null or a
// prototype default) or plain objects (absent fields undefined): every accessor accepts both.

export const DEFAULT_STROKE = '#000000';
export const DEFAULT_WIDTH = 2;
export const DEFAULT_OPACITY = 1;
export const DEFAULT_FONT_SIZE = 16;
export const DEFAULT_STICKY_FILL = '#fff59d';

/** The `shape` cases of BoardElement, in field order. */
export const KINDS = ['path', 'line', 'arrow', 'rectangle', 'ellipse', 'text', 'sticky', 'image'];

const COLOUR = /^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$/;

export function isColour(c) {
  return typeof c === 'string' && COLOUR.test(c);
}

/** Which kind an element (or patch) is: one of KINDS, or null. */
export function shapeOf(e) {
  for (const k of KINDS) if (e[k] != null) return k;
  return null;
}

// Widths, opacities and font sizes are proto floats: fround keeps locally made values equal to
// what the server holds (and so the SVG numbers equal to the server's export).
export const stroke = (s) => (s?.stroke != null ? s.stroke : DEFAULT_STROKE);
export const width = (s) => Math.fround(s?.width != null ? s.width : DEFAULT_WIDTH);
export const opacity = (s) => Math.fround(s?.opacity != null ? s.opacity : DEFAULT_OPACITY);
export const fontSize = (s) => Math.fround(s?.fontSize != null ? s.fontSize : DEFAULT_FONT_SIZE);
/** The fill, or '' for none. */
export const fill = (s, fallback) => (s?.fill != null ? s.fill : fallback);

/** Paint order: by z (byte order: the keys are ASCII), then element id. */
export function paintOrder(a, b) {
  if (a.z !== b.z) return a.z < b.z ? -1 : 1;
  if (a.elementId !== b.elementId) return a.elementId < b.elementId ? -1 : 1;
  return 0;
}

/** "#rrggbbaa" → {rgb: '#rrggbb', alpha: 0..1}; an unchecked colour becomes the fallback. */
export function splitColour(colour, fallback) {
  const c = isColour(colour) ? colour : fallback;
  return { rgb: c.slice(0, 7), alpha: c.length === 9 ? parseInt(c.slice(7), 16) / 255 : 1 };
}
