// The board on screen: two stacked canvases. The lower one holds the committed elements and is
// redrawn only when they or the view change (new elements on top are drawn onto it
// incrementally); the upper one holds what moves (live strokes, the stroke being drawn, shape
// previews, laser dots) and is redrawn at most once per animation frame, however many ink
// chunks arrived in that frame.
import { drawPath } from './path-rule.js';
import { arrowheadEnds } from './page-svg.js';
import { pathPoints } from './hit.js';
import {
  DEFAULT_STICKY_FILL, DEFAULT_STROKE, fill as fillOf, fontSize, isColour, opacity, shapeOf, stroke, width,
} from './style.js';

const n0 = (v) => v || 0;
const colour = (c, fallback = DEFAULT_STROKE) => (isColour(c) ? c : fallback);

/** Draws one element on a context whose transform maps board units to device pixels. */
export function drawElement(ctx, e) {
  const s = e.style;
  const w = width(s);
  ctx.globalAlpha = opacity(s);
  ctx.strokeStyle = colour(stroke(s));
  ctx.fillStyle = colour(stroke(s));
  ctx.lineWidth = w * 10;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.setLineDash([]);
  switch (shapeOf(e)) {
    case 'path':
      drawPath(ctx, pathPoints(e), e.path.pressure, w);
      break;
    case 'line': case 'arrow': {
      const l = e.line || e.arrow;
      ctx.beginPath();
      ctx.moveTo(n0(l.x1), n0(l.y1));
      ctx.lineTo(n0(l.x2), n0(l.y2));
      if (e.arrow) {
        const ends = arrowheadEnds(l, w);
        if (ends) {
          ctx.moveTo(ends[0][0], ends[0][1]);
          ctx.lineTo(n0(l.x2), n0(l.y2));
          ctx.lineTo(ends[1][0], ends[1][1]);
        }
      }
      ctx.stroke();
      break;
    }
    case 'rectangle': case 'ellipse': {
      const b = e.rectangle || e.ellipse;
      ctx.beginPath();
      if (e.rectangle) ctx.rect(n0(b.x), n0(b.y), n0(b.width), n0(b.height));
      else ctx.ellipse(n0(b.x) + n0(b.width) / 2, n0(b.y) + n0(b.height) / 2, n0(b.width) / 2, n0(b.height) / 2, 0, 0, Math.PI * 2);
      const f = fillOf(s, '');
      if (f !== '') {
        ctx.fillStyle = colour(f, '#ffffff');
        ctx.fill();
      }
      ctx.stroke();
      break;
    }
    case 'text':
      drawText(ctx, n0(e.text.x), n0(e.text.y), e.text.text || '', s);
      break;
    case 'sticky': {
      const b = e.sticky;
      ctx.fillStyle = colour(fillOf(s, DEFAULT_STICKY_FILL), '#ffffff');
      if (fillOf(s, DEFAULT_STICKY_FILL) !== '') ctx.fillRect(n0(b.x), n0(b.y), n0(b.width), n0(b.height));
      drawText(ctx, n0(b.x) + 80, n0(b.y) + 80, b.text || '', s);
      break;
    }
    case 'image': {
      const b = e.image;
      ctx.fillStyle = '#eeeeee';
      ctx.strokeStyle = '#999999';
      ctx.lineWidth = 10;
      ctx.setLineDash([40, 40]);
      ctx.fillRect(n0(b.x), n0(b.y), n0(b.width), n0(b.height));
      ctx.strokeRect(n0(b.x), n0(b.y), n0(b.width), n0(b.height));
      ctx.setLineDash([]);
      ctx.fillStyle = '#666666';
      ctx.font = '120px sans-serif';
      ctx.fillText(b.assetId || '', n0(b.x) + 40, n0(b.y) + 160);
      break;
    }
    default: break;
  }
  ctx.globalAlpha = 1;
}

/** Lines at newlines; baseline i at y + font size × (1 + 1.25 i), in the stroke colour. */
function drawText(ctx, x, y, text, s) {
  const size = fontSize(s) * 10;
  ctx.fillStyle = colour(stroke(s));
  ctx.font = `${size}px sans-serif`;
  ctx.textBaseline = 'alphabetic';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) ctx.fillText(lines[i], x, y + size * (1 + 1.25 * i));
}

export class CanvasView {
  /**
   * @param {HTMLElement} stage positioned container (the canvases fill it)
   * @param {{elements: () => object[], drawLive: (ctx) => void}} source
   *   elements: the page's elements back to front; drawLive: draws the moving things
   */
  constructor(stage, source) {
    this.stage = stage;
    this.source = source;
    this.base = document.createElement('canvas');
    this.live = document.createElement('canvas');
    this.base.className = 'pb-canvas';
    this.live.className = 'pb-canvas pb-live';
    this.base.setAttribute('aria-hidden', 'true');
    stage.append(this.base, this.live);
    this.view = { x: 0, y: 0, scale: 1 };
    this.cssWidth = 0;
    this.cssHeight = 0;
    this.dpr = 1;
    this.baseDirty = true;
    this.liveDirty = true;
    this.frame = 0;
    this.pendingTop = [];
    /** Frames drawn and time spent drawing (ms), for the performance test. */
    this.stats = { frames: 0, baseRedraws: 0, drawMs: 0 };
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(stage);
    this.resize();
  }

  resize() {
    const r = this.stage.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    if (r.width === this.cssWidth && r.height === this.cssHeight && dpr === this.dpr) return;
    this.cssWidth = r.width;
    this.cssHeight = r.height;
    this.dpr = dpr;
    for (const c of [this.base, this.live]) {
      c.width = Math.max(1, Math.round(r.width * dpr));
      c.height = Math.max(1, Math.round(r.height * dpr));
    }
    this.invalidate();
  }

  /** The visible area in board units. */
  visible() {
    const k = 10 / this.view.scale;
    return { x: this.view.x, y: this.view.y, width: this.cssWidth * k, height: this.cssHeight * k };
  }

  setView(view) {
    this.view = { ...view };
    this.invalidate();
  }

  /** A CSS pixel offset in the stage → board units (rounded: the protocol's integers). */
  toBoard(cssX, cssY) {
    return {
      x: Math.round(this.view.x + (cssX * 10) / this.view.scale),
      y: Math.round(this.view.y + (cssY * 10) / this.view.scale),
    };
  }

  /** Board units → CSS pixels in the stage. */
  toScreen(x, y) {
    return { x: ((x - this.view.x) * this.view.scale) / 10, y: ((y - this.view.y) * this.view.scale) / 10 };
  }

  transform(ctx) {
    const k = (this.dpr * this.view.scale) / 10;
    ctx.setTransform(k, 0, 0, k, -this.view.x * k, -this.view.y * k);
  }

  /** Everything committed must be drawn again (another page, a removal, a change, the view). */
  invalidate() {
    this.baseDirty = true;
    this.pendingTop = [];
    this.liveDirty = true;
    this.schedule();
  }

  /** New elements that go on top of all others: drawn onto the cached layer, nothing redrawn. */
  drawOnTop(elements) {
    if (!this.baseDirty) this.pendingTop.push(...elements);
    this.schedule();
  }

  /** Something live moved. */
  touchLive() {
    this.liveDirty = true;
    this.schedule();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.frame = 0;
    const started = performance.now();
    if (this.baseDirty) {
      const ctx = this.base.getContext('2d');
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, this.base.width, this.base.height);
      this.transform(ctx);
      for (const e of this.source.elements()) drawElement(ctx, e);
      this.baseDirty = false;
      this.pendingTop = [];
      this.stats.baseRedraws += 1;
    } else if (this.pendingTop.length) {
      const ctx = this.base.getContext('2d');
      this.transform(ctx);
      for (const e of this.pendingTop) drawElement(ctx, e);
      this.pendingTop = [];
    }
    if (this.liveDirty) {
      const ctx = this.live.getContext('2d');
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.live.width, this.live.height);
      this.transform(ctx);
      this.source.drawLive(ctx);
      this.liveDirty = false;
    }
    this.stats.frames += 1;
    this.stats.drawMs += performance.now() - started;
  }

  destroy() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.resizeObserver.disconnect();
    this.base.remove();
    this.live.remove();
  }
}
