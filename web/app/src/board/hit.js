// What the eraser (and the lock and text tools) touch: elements whose drawn shape comes within
// a radius of a point, in board units. Curves are taken as their polyline (close enough for a
// finger-sized eraser).
import { decodePoints } from './points.js';
import { fontSize, fill, shapeOf, width } from './style.js';

const n0 = (v) => v || 0;

function segmentDistance(px, py, x1, y1, x2, y2) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len));
  return Math.hypot(px - (x1 + t * dx), py - (y1 + t * dy));
}

const xyCache = new WeakMap();

/** A path element's absolute points, decoded once per element object. */
export function pathPoints(e) {
  let xy = xyCache.get(e);
  if (!xy) xyCache.set(e, (xy = decodePoints(e.path.points || [])));
  return xy;
}

/** Whether element `e` is within `radius` units of (x, y). */
export function touches(e, x, y, radius) {
  const r = radius + (width(e.style) * 10) / 2;
  switch (shapeOf(e)) {
    case 'path': {
      const p = pathPoints(e);
      if (p.length === 2) return Math.hypot(x - p[0], y - p[1]) <= r;
      for (let i = 2; i < p.length; i += 2) {
        if (segmentDistance(x, y, p[i - 2], p[i - 1], p[i], p[i + 1]) <= r) return true;
      }
      return false;
    }
    case 'line': case 'arrow': {
      const l = e.line || e.arrow;
      return segmentDistance(x, y, n0(l.x1), n0(l.y1), n0(l.x2), n0(l.y2)) <= r;
    }
    case 'rectangle': {
      const b = e.rectangle;
      const [x1, y1, x2, y2] = [n0(b.x), n0(b.y), n0(b.x) + n0(b.width), n0(b.y) + n0(b.height)];
      if (fill(e.style, '') !== '' && x >= x1 && x <= x2 && y >= y1 && y <= y2) return true;
      return segmentDistance(x, y, x1, y1, x2, y1) <= r || segmentDistance(x, y, x2, y1, x2, y2) <= r
        || segmentDistance(x, y, x2, y2, x1, y2) <= r || segmentDistance(x, y, x1, y2, x1, y1) <= r;
    }
    case 'ellipse': {
      const b = e.ellipse;
      const rx = n0(b.width) / 2;
      const ry = n0(b.height) / 2;
      const cx = n0(b.x) + rx;
      const cy = n0(b.y) + ry;
      if (rx === 0 || ry === 0) return segmentDistance(x, y, cx - rx, cy - ry, cx + rx, cy + ry) <= r;
      const d = Math.hypot((x - cx) / rx, (y - cy) / ry); // 1 on the outline
      if (fill(e.style, '') !== '' && d <= 1) return true;
      return Math.abs(d - 1) * Math.min(rx, ry) <= r;
    }
    case 'text': {
      const b = textBox(e);
      return x >= b.x - radius && x <= b.x + b.width + radius && y >= b.y - radius && y <= b.y + b.height + radius;
    }
    case 'sticky': case 'image': {
      const b = e.sticky || e.image;
      return x >= n0(b.x) - radius && x <= n0(b.x) + n0(b.width) + radius
        && y >= n0(b.y) - radius && y <= n0(b.y) + n0(b.height) + radius;
    }
    default: return false;
  }
}

/** A text element's box, estimated as the export estimates it (0.6 font size per character). */
export function textBox(e) {
  const size = fontSize(e.style) * 10;
  const lines = (e.text.text || '').split('\n');
  const longest = Math.max(...lines.map((l) => [...l].length));
  return { x: n0(e.text.x), y: n0(e.text.y), width: Math.max(longest, 1) * 0.6 * size, height: size * (1 + 1.25 * (lines.length - 1)) + size * 0.25 };
}

/** The topmost element of `ordered` (back to front) touching the point, or null. */
export function topmostAt(ordered, x, y, radius, accept = () => true) {
  for (let i = ordered.length - 1; i >= 0; i--) {
    if (accept(ordered[i]) && touches(ordered[i], x, y, radius)) return ordered[i];
  }
  return null;
}

/** An element's box in units {x, y, width, height} (strokes not included). */
export function elementBox(e) {
  switch (shapeOf(e)) {
    case 'path': {
      const p = pathPoints(e);
      let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let i = 0; i < p.length; i += 2) {
        x1 = Math.min(x1, p[i]); x2 = Math.max(x2, p[i]);
        y1 = Math.min(y1, p[i + 1]); y2 = Math.max(y2, p[i + 1]);
      }
      return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
    }
    case 'line': case 'arrow': {
      const l = e.line || e.arrow;
      return { x: Math.min(n0(l.x1), n0(l.x2)), y: Math.min(n0(l.y1), n0(l.y2)), width: Math.abs(n0(l.x2) - n0(l.x1)), height: Math.abs(n0(l.y2) - n0(l.y1)) };
    }
    case 'text': return textBox(e);
    default: {
      const b = e.rectangle || e.ellipse || e.sticky || e.image;
      return b ? { x: n0(b.x), y: n0(b.y), width: n0(b.width), height: n0(b.height) } : null;
    }
  }
}
