// The path rule and the page export: the server's BoardSvgTest vectors, to the character.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { num, px, escape, paint } from '../../src/board/svg-markup.js';
import { pathSvg, pathData } from '../../src/board/path-rule.js';
import { renderPageSvg } from '../../src/board/page-svg.js';
import { encodePoints } from '../../src/board/points.js';

const path = (id, xy, pressure = [], style = {}) => ({ elementId: id, z: 'a0', style, path: { points: encodePoints(xy), pressure } });
const page = (...elements) => ({ pageId: 'p1', title: 'Page <1>', elements });

test('numbers are written as the server writes them', () => {
  assert.equal(num(-0), '0');
  assert.equal(num(Math.fround(0.1)), '0.1');
  assert.equal(num(1234567.5), '1234567.5');
  assert.equal(px(-1000000), '-100000');
  assert.equal(px(0.5), '0.05');
  assert.equal(num(0.125), '0.13', 'half up');
  assert.equal(num(-0.125), '-0.13', 'half up is away from zero');
  assert.equal(num(2 / 3), '0.67');
  assert.doesNotMatch(num(1e-7) + num(1e20) + num(1e21), /e/i);
  assert.equal(num(1e21), '1000000000000000000000');
  assert.equal(num(-0.001), '0');
});

test('a path follows the midpoint rule', () => {
  const svg = renderPageSvg(page(path('p', [0, 0, 100, 0, 100, 100])));
  assert.ok(svg.includes('<path d="M0 0 L5 0 Q10 0 10 5 L10 10" fill="none" stroke="#000000"'
    + ' stroke-linecap="round" stroke-linejoin="round" stroke-width="2"/>'), svg);
  assert.equal(pathData([0, 0, 15, 25]), 'M0 0 L0.75 1.25 L1.5 2.5');
  assert.ok(renderPageSvg(page(path('p', [30, 40], [], { width: 6 }))).includes('<circle cx="3" cy="4" r="3" fill="#000000"/>'));
});

test('pressure scales each piece\'s width; a zero piece is not drawn', () => {
  const svg = pathSvg([0, 0, 100, 0, 100, 100], [255, 51, 0], { width: 10, stroke: '#ff000080' });
  assert.equal(svg, '<g fill="none" stroke="#ff0000" stroke-opacity="0.5" stroke-linecap="round" stroke-linejoin="round">'
    + '<path d="M0 0 L5 0" stroke-width="10"/><path d="M5 0 Q10 0 10 5" stroke-width="2"/></g>');
});

test('shapes use their style; an arrow has its head; the viewBox frames the drawing', () => {
  const box = { x: 100, y: 200, width: 300, height: 400 };
  const svg = renderPageSvg(page(
    { elementId: 'r', z: 'a0', rectangle: box, style: { fill: '#00ff00', stroke: '#0000ff', width: 3, opacity: 0.25 } },
    { elementId: 'e', z: 'a0', ellipse: box, style: {} }));
  assert.ok(svg.includes('<g opacity="0.25"><rect x="10" y="20" width="30" height="40" fill="#00ff00" stroke="#0000ff" stroke-width="3"/></g>'), svg);
  assert.ok(svg.includes('<ellipse cx="25" cy="40" rx="15" ry="20" fill="none" stroke="#000000" stroke-width="2"/>'), svg);
  const arrow = renderPageSvg(page({ elementId: 'a', z: 'a0', arrow: { x2: 1000 }, style: {} }));
  assert.ok(arrow.includes('<path d="M91.34 -5 L100 0 L91.34 5"'), arrow);
  const framed = renderPageSvg(page({ elementId: 'l', z: 'a0', line: { x1: -1000, y1: 500, x2: 2000, y2: 1500 }, style: {} }));
  assert.ok(framed.includes('viewBox="-121 29 342 142" width="342" height="142"'), framed);
  assert.ok(renderPageSvg(page()).includes('viewBox="-20 -20 40 40"'));
});

test('elements are drawn back to front by z, then id', () => {
  const svg = renderPageSvg(page(
    { elementId: 'top', z: 'a2', rectangle: { width: 100, height: 100 }, style: {} },
    { elementId: 'bottom', z: 'a1', rectangle: { width: 200, height: 200 }, style: {} },
    { elementId: 'b', z: 'a1', text: { text: 'Hello\nworld' }, style: {} },
    { elementId: 'a', z: 'a1', sticky: { width: 10, height: 10, text: 'Remember' }, style: {} }));
  // z a1 before a2; within a1 by id: 'a' (sticky), 'b' (text), 'bottom'; then 'top'.
  const drawn = [...svg.matchAll(/<rect x="0" y="0" width="(\d+)"|<tspan[^>]*>([^<]*)/g)].map((m) => m[1] || m[2]);
  assert.deepEqual(drawn, ['1', 'Remember', 'Hello', 'world', '20', '10']);
});

test('text is escaped, never markup; a bad colour is the fallback', () => {
  const svg = renderPageSvg(page({ elementId: 't', z: 'a0', text: { text: '<script>alert(1)</script> & " \' </text>' }, style: {} }));
  assert.ok(svg.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot; &#39; &lt;/text&gt;'), svg);
  assert.equal(escape('a\u0001b\ud800c'), 'abc');
  assert.equal(paint('stroke', 'red" onload="x', '#000000'), ' stroke="#000000"');
  assert.ok(svg.includes('<title>Page &lt;1&gt;</title>'));
});
