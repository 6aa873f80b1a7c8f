// One board page as a standalone SVG document, exactly as the server's export (BoardSvg) writes
// it: students download this (the export endpoint is for teachers), and the e2e test holds the
// two to the same bytes.
import { escape, num, paint, px } from './svg-markup.js';
import { decodePoints } from './points.js';
import { pathSvg } from './path-rule.js';
import {
  DEFAULT_STICKY_FILL, DEFAULT_STROKE, fill as fillOf, fontSize as fontSizeOf, opacity as opacityOf,
  paintOrder, shapeOf, stroke as strokeOf, width as widthOf,
} from './style.js';

const MARGIN_PX = 20;
const LINE_HEIGHT = 1.25;
const CHAR_WIDTH = 0.6;
const STICKY_PADDING_PX = 8;

/**
 * @param {{title?: string, elements: Iterable<object>}} page BoardPage-like
 * @param {(assetId: string) => string|null} [assetUrl] an asset's URL, or null for a placeholder
 */
export function renderPageSvg(page, assetUrl = () => null) {
  const elements = [...page.elements].sort(paintOrder);
  const bounds = new Bounds();
  let body = '';
  for (const e of elements) {
    bounds.add(e);
    const opacity = opacityOf(e.style);
    const group = opacity < 1;
    if (group) body += `<g opacity="${num(opacity)}">`;
    body += element(e, assetUrl);
    if (group) body += '</g>';
    body += '\n';
  }
  if (bounds.minX > bounds.maxX) bounds.point(0, 0, 0);
  const x = px(bounds.minX - MARGIN_PX * 10);
  const y = px(bounds.minY - MARGIN_PX * 10);
  const w = px(bounds.maxX - bounds.minX + 2 * MARGIN_PX * 10);
  const h = px(bounds.maxY - bounds.minY + 2 * MARGIN_PX * 10);
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${x} ${y} ${w} ${h}" width="${w}" height="${h}">\n`
    + `<title>${escape(page.title || '')}</title>\n`
    + `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="#ffffff"/>\n`
    + body
    + '</svg>\n';
}

const n0 = (v) => v || 0; // proto3 zero defaults may be absent in plain objects

function element(e, assetUrl) {
  const s = e.style;
  const stroke = paint('stroke', strokeOf(s), DEFAULT_STROKE);
  const width = ` stroke-width="${num(widthOf(s))}"`;
  switch (shapeOf(e)) {
    case 'path': return pathSvg(decodePoints(e.path.points || []), e.path.pressure || [], s);
    case 'line': return line(e.line, stroke + width);
    case 'arrow': return line(e.arrow, stroke + width) + arrowhead(e.arrow, widthOf(s), stroke + width);
    case 'rectangle': {
      const b = e.rectangle;
      return `<rect x="${px(n0(b.x))}" y="${px(n0(b.y))}" width="${px(n0(b.width))}" height="${px(n0(b.height))}"${fill(s, '')}${stroke}${width}/>`;
    }
    case 'ellipse': {
      const b = e.ellipse;
      return `<ellipse cx="${px(n0(b.x) + n0(b.width) / 2)}" cy="${px(n0(b.y) + n0(b.height) / 2)}" rx="${px(n0(b.width) / 2)}" ry="${px(n0(b.height) / 2)}"${fill(s, '')}${stroke}${width}/>`;
    }
    case 'text': return text(n0(e.text.x), n0(e.text.y), e.text.text || '', s);
    case 'sticky': {
      const n = e.sticky;
      const pad = STICKY_PADDING_PX * 10;
      return `<rect x="${px(n0(n.x))}" y="${px(n0(n.y))}" width="${px(n0(n.width))}" height="${px(n0(n.height))}"${fill(s, DEFAULT_STICKY_FILL)}/>`
        + text(n0(n.x) + pad, n0(n.y) + pad, n.text || '', s);
    }
    case 'image': return image(e.image, assetUrl(e.image.assetId));
    default: return '';
  }
}

function fill(s, fallback) {
  const f = fillOf(s, fallback);
  return f === '' ? ' fill="none"' : paint('fill', f, '#ffffff');
}

function line(l, strokeAttrs) {
  return `<line x1="${px(n0(l.x1))}" y1="${px(n0(l.y1))}" x2="${px(n0(l.x2))}" y2="${px(n0(l.y2))}"${strokeAttrs} stroke-linecap="round"/>`;
}

/** Head length in units: max(10 px, 3 × width), as Java computes it in float. */
export function arrowheadUnits(width) {
  return Math.fround(Math.max(10, Math.fround(3 * width)) * 10);
}

/** The two ends of an arrowhead's strokes ±30° off the shaft, or null for a zero-length arrow. */
export function arrowheadEnds(l, width) {
  const dx = n0(l.x2) - n0(l.x1);
  const dy = n0(l.y2) - n0(l.y1);
  if (Math.hypot(dx, dy) === 0) return null;
  const head = arrowheadUnits(width);
  const back = Math.atan2(-dy, -dx);
  const x2 = n0(l.x2);
  const y2 = n0(l.y2);
  return [
    [x2 + head * Math.cos(back + Math.PI / 6), y2 + head * Math.sin(back + Math.PI / 6)],
    [x2 + head * Math.cos(back - Math.PI / 6), y2 + head * Math.sin(back - Math.PI / 6)],
  ];
}

function arrowhead(l, width, strokeAttrs) {
  const ends = arrowheadEnds(l, width);
  if (!ends) return '';
  const [a, b] = ends;
  return `<path d="M${px(a[0])} ${px(a[1])} L${px(n0(l.x2))} ${px(n0(l.y2))} L${px(b[0])} ${px(b[1])}" fill="none"${strokeAttrs} stroke-linecap="round" stroke-linejoin="round"/>`;
}

/** Lines at newlines; baseline i at y + font size × (1 + 1.25 i); colour: the stroke colour. */
function text(x, y, value, s) {
  const size = fontSizeOf(s);
  let out = `<text font-family="sans-serif" font-size="${num(size)}"${paint('fill', strokeOf(s), DEFAULT_STROKE)} xml:space="preserve">`;
  const lines = value.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const baseline = y + Math.fround(size * 10) * (1 + LINE_HEIGHT * i);
    out += `<tspan x="${px(x)}" y="${px(baseline)}">${escape(lines[i])}</tspan>`;
  }
  return `${out}</text>`;
}

function image(img, url) {
  const box = `x="${px(n0(img.x))}" y="${px(n0(img.y))}" width="${px(n0(img.width))}" height="${px(n0(img.height))}"`;
  if (url != null) {
    const href = escape(url);
    return `<image ${box} href="${href}" xlink:href="${href}" preserveAspectRatio="xMidYMid meet"/>`;
  }
  return `<rect ${box} fill="#eeeeee" stroke="#999999" stroke-dasharray="4 4"/>`
    + `<text x="${px(n0(img.x) + 40)}" y="${px(n0(img.y) + 160)}" font-family="sans-serif" font-size="12" fill="#666666">${escape(img.assetId || '')}</text>`;
}

/** The drawing's extent in units (text estimated). */
class Bounds {
  constructor() {
    this.minX = Number.MAX_VALUE;
    this.minY = Number.MAX_VALUE;
    this.maxX = -Number.MAX_VALUE;
    this.maxY = -Number.MAX_VALUE;
  }

  point(x, y, pad) {
    this.minX = Math.min(this.minX, x - pad);
    this.minY = Math.min(this.minY, y - pad);
    this.maxX = Math.max(this.maxX, x + pad);
    this.maxY = Math.max(this.maxY, y + pad);
  }

  box(x, y, w, h, pad) {
    this.point(x, y, pad);
    this.point(x + w, y + h, pad);
  }

  add(e) {
    const w = widthOf(e.style);
    const pad = Math.fround(Math.fround(w * 10) / 2);
    switch (shapeOf(e)) {
      case 'path': {
        const p = decodePoints(e.path.points || []);
        for (let i = 0; i < p.length; i += 2) this.point(p[i], p[i + 1], pad);
        break;
      }
      case 'line': case 'arrow': {
        const l = e.line || e.arrow;
        const padding = shapeOf(e) === 'arrow' ? Math.max(pad, arrowheadUnits(w)) : pad;
        this.box(n0(l.x1), n0(l.y1), n0(l.x2) - n0(l.x1), n0(l.y2) - n0(l.y1), padding);
        break;
      }
      case 'rectangle': case 'ellipse': {
        const b = e.rectangle || e.ellipse;
        this.box(n0(b.x), n0(b.y), n0(b.width), n0(b.height), pad);
        break;
      }
      case 'text': this.text(n0(e.text.x), n0(e.text.y), e.text.text || '', e.style); break;
      case 'sticky': case 'image': {
        const b = e.sticky || e.image;
        this.box(n0(b.x), n0(b.y), n0(b.width), n0(b.height), 0);
        break;
      }
      default: break;
    }
  }

  text(x, y, value, s) {
    const size = Math.fround(fontSizeOf(s) * 10);
    const lines = value.split('\n');
    let longest = 0;
    for (const l of lines) longest = Math.max(longest, [...l].length);
    this.box(x, y, longest * CHAR_WIDTH * size, size * (1 + LINE_HEIGHT * (lines.length - 1)) + size * 0.25, 0);
  }
}
