// The one rendering rule for freehand paths (WHITEBOARD.md, "Rendering"), as the server's
// PathRenderer draws it. With points p0..p(n-1) and m(i) the midpoint of p(i-1) and p(i), a path
// is a line p0 → m1, a quadratic curve m(i) → m(i+1) through p(i) for each i in 1..n-2, and a line
// m(n-1) → p(n-1); round caps and joins. Without pressure: one stroke of the style's width; with
// pressure, piece i is stroked alone with width × pressure(i) / 255 (none when 0). One point is a
// dot of that diameter. The SVG text below is the server's to the character; the canvas drawing
// follows the same pieces.
import { num, px, paint } from './svg-markup.js';
import { DEFAULT_STROKE, stroke as strokeOf, width as widthOf } from './style.js';

const pt = (xy, i) => `${px(xy[2 * i])} ${px(xy[2 * i + 1])}`;
const mid = (xy, i) => `${px((xy[2 * i - 2] + xy[2 * i]) / 2)} ${px((xy[2 * i - 1] + xy[2 * i + 1]) / 2)}`;

/** Piece i as SVG path commands, from where the previous one ended. */
function piece(xy, i, n) {
  if (i === 0) return ` L${mid(xy, 1)}`;
  if (i === n - 1) return ` L${pt(xy, n - 1)}`;
  return ` Q${pt(xy, i)} ${mid(xy, i + 1)}`;
}

/** The path data of a path of two or more points without pressure ("M… L… Q… L…"). */
export function pathData(xy) {
  const n = xy.length / 2;
  let d = `M${pt(xy, 0)}`;
  for (let i = 0; i < n; i++) d += piece(xy, i, n);
  return d;
}

/** Width of a piece with pressure p (0..255): width × p / 255, computed as Java does (float product). */
export function pieceWidth(width, p) {
  return Math.fround(Math.fround(width) * p) / 255;
}

/** The SVG markup of a path element: the server's PathRenderer.render. */
export function pathSvg(xy, pressure, style) {
  const n = xy.length / 2;
  const width = widthOf(style);
  const colour = strokeOf(style);
  if (n === 1) {
    const w = pressure.length === 0 ? width : Math.fround(Math.fround(width * pressure[0]) / 255);
    return `<circle cx="${px(xy[0])}" cy="${px(xy[1])}" r="${num(w / 2)}"${paint('fill', colour, DEFAULT_STROKE)}/>`;
  }
  const strokeAttrs = ` fill="none"${paint('stroke', colour, DEFAULT_STROKE)} stroke-linecap="round" stroke-linejoin="round"`;
  if (pressure.length === 0) {
    return `<path d="${pathData(xy)}"${strokeAttrs} stroke-width="${num(width)}"/>`;
  }
  let out = `<g${strokeAttrs}>`;
  for (let i = 0; i < n; i++) {
    const w = pieceWidth(width, pressure[i]);
    if (w <= 0) continue;
    out += `<path d="M${i === 0 ? pt(xy, 0) : mid(xy, i)}${piece(xy, i, n)}" stroke-width="${num(w)}"/>`;
  }
  return `${out}</g>`;
}

/**
 * Draws the path on a canvas context whose transform maps board units to pixels, with the same
 * pieces. `from`/`to` limit it to points [from, to) (a run of a live stroke); the caller sets
 * strokeStyle/fillStyle. lineWidth is in board units (CSS px × 10).
 */
export function drawPath(ctx, xy, pressure, width, from = 0, to = xy.length / 2) {
  const n = to - from;
  if (n <= 0) return;
  const X = (i) => xy[2 * (from + i)];
  const Y = (i) => xy[2 * (from + i) + 1];
  const P = (i) => (pressure && pressure.length ? pressure[from + i] : -1);
  if (n === 1) {
    const w = P(0) < 0 ? width : (width * P(0)) / 255;
    if (w <= 0) return;
    ctx.beginPath();
    ctx.arc(X(0), Y(0), (w * 10) / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  const mx = (i) => (X(i - 1) + X(i)) / 2;
  const my = (i) => (Y(i - 1) + Y(i)) / 2;
  const segment = (i) => {
    if (i === 0) ctx.lineTo(mx(1), my(1));
    else if (i === n - 1) ctx.lineTo(X(n - 1), Y(n - 1));
    else ctx.quadraticCurveTo(X(i), Y(i), mx(i + 1), my(i + 1));
  };
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  if (P(0) < 0) {
    ctx.lineWidth = width * 10;
    ctx.beginPath();
    ctx.moveTo(X(0), Y(0));
    for (let i = 0; i < n; i++) segment(i);
    ctx.stroke();
    return;
  }
  for (let i = 0; i < n; i++) {
    const w = pieceWidth(width, P(i));
    if (w <= 0) continue;
    ctx.lineWidth = w * 10;
    ctx.beginPath();
    if (i === 0) ctx.moveTo(X(0), Y(0));
    else ctx.moveTo(mx(i), my(i));
    segment(i);
    ctx.stroke();
  }
}
