// Live ink (whiteboard.proto, InkStroke): the drawer's side cuts a stroke in progress into
// chunks, each packed from an absolute first point (a dropped chunk leaves a gap, not a shifted
// stroke); the watchers' side assembles chunks by point index and draws each contiguous run.
// Also the laser pointers of others. Pure apart from the clock values passed in.
import { decodePoints, encodePoints } from './points.js';

/** The drawer's side of one stroke: points in units, chunks to send, the whole stroke at the end. */
export class InkChunker {
  /** @param {string} strokeId the element id the finished stroke gets */
  constructor(strokeId, style) {
    this.strokeId = strokeId;
    this.style = style;
    this.xy = [];
    this.pressure = []; // one per point while every point has one
    this.withPressure = true;
    this.sent = 0; // points already sent in chunks
  }

  get count() {
    return this.xy.length / 2;
  }

  /** Adds a point (units); returns false when it repeats the last point. */
  add(x, y, pressure) {
    const n = this.xy.length;
    if (n && this.xy[n - 2] === x && this.xy[n - 1] === y) return false;
    this.xy.push(x, y);
    if (typeof pressure === 'number') this.pressure.push(pressure);
    else this.withPressure = false;
    return true;
  }

  /** The points added since the last chunk as an InkStroke, or null when there are none. */
  takeChunk() {
    if (this.sent >= this.count) return null;
    const from = this.sent;
    this.sent = this.count;
    return {
      strokeId: this.strokeId,
      firstIndex: from,
      points: encodePoints(this.xy.slice(2 * from)),
      pressure: this.withPressure ? this.pressure.slice(from) : [],
      style: this.style,
    };
  }

  /** The InkStroke saying the pen was lifted. */
  doneChunk() {
    return { strokeId: this.strokeId, firstIndex: this.count, points: [], pressure: [], style: this.style, done: true };
  }

  /** The finished stroke as BoardPath fields. */
  path() {
    return { points: encodePoints(this.xy), pressure: this.withPressure ? [...this.pressure] : [] };
  }
}

/** How long a finished live stroke stays drawn while its element is on its way. */
export const DONE_LINGER_MS = 1500;
/** A live stroke that got nothing for this long is dropped (its drawer went away). */
export const STALE_MS = 10_000;
/** A laser dot fades after this long without a move. */
export const LASER_MS = 3000;

/** Others' strokes in progress and laser pointers. */
export class LiveInk {
  constructor() {
    /** @type {Map<string, object>} `${userId}/${strokeId}` -> stroke */
    this.strokes = new Map();
    /** @type {Map<string, {boardId, pageId, x, y, at}>} by user id */
    this.lasers = new Map();
  }

  /**
   * One BoardInkEvent's stroke. Returns whether anything drawable changed.
   * @param {{boardId, pageId, userId}} where
   * @param {{strokeId, firstIndex, points, pressure, style, done}} ink
   */
  stroke(where, ink, now) {
    const key = `${where.userId}/${ink.strokeId}`;
    let s = this.strokes.get(key);
    if (!s) {
      if (ink.done && !(ink.points && ink.points.length)) return false;
      s = {
        key, userId: where.userId, strokeId: ink.strokeId, boardId: where.boardId, pageId: where.pageId,
        style: ink.style || {}, xy: [], pressure: [], count: 0, done: false, updatedAt: now,
      };
      this.strokes.set(key, s);
    }
    s.updatedAt = now;
    if (ink.style) s.style = ink.style;
    const pts = ink.points && ink.points.length ? decodePoints(ink.points) : [];
    const first = Number(ink.firstIndex || 0);
    for (let k = 0; k < pts.length / 2; k++) {
      const i = first + k;
      s.xy[2 * i] = pts[2 * k];
      s.xy[2 * i + 1] = pts[2 * k + 1];
      s.pressure[i] = ink.pressure && ink.pressure.length ? ink.pressure[k] : undefined;
      if (i + 1 > s.count) s.count = i + 1;
    }
    if (ink.done) {
      s.done = true;
      s.doneAt = now;
    }
    return pts.length > 0 || !!ink.done;
  }

  /** The stroke's element arrived (committed): stop drawing it live. */
  committed(elementId) {
    let changed = false;
    for (const [key, s] of this.strokes) {
      if (s.strokeId === elementId) {
        this.strokes.delete(key);
        changed = true;
      }
    }
    return changed;
  }

  laser(where, laser, now) {
    if (laser.hidden) return this.lasers.delete(where.userId);
    this.lasers.set(where.userId, { boardId: where.boardId, pageId: where.pageId, x: laser.x || 0, y: laser.y || 0, at: now });
    return true;
  }

  /** Drops finished, stale and faded things; returns whether anything went. */
  expire(now) {
    let changed = false;
    for (const [key, s] of this.strokes) {
      if ((s.done && now - s.doneAt > DONE_LINGER_MS) || now - s.updatedAt > STALE_MS) {
        this.strokes.delete(key);
        changed = true;
      }
    }
    for (const [user, l] of this.lasers) {
      if (now - l.at > LASER_MS) {
        this.lasers.delete(user);
        changed = true;
      }
    }
    return changed;
  }

  /** Drops everything (low-bandwidth mode, page switch of a watcher is not needed: filtered when drawn). */
  clear() {
    const had = this.strokes.size > 0;
    this.strokes.clear();
    return had;
  }

  *onPage(boardId, pageId) {
    for (const s of this.strokes.values()) if (s.boardId === boardId && s.pageId === pageId) yield s;
  }
}

/** The contiguous runs [from, to) of a live stroke's received points (a dropped chunk is a gap). */
export function runs(s) {
  const out = [];
  let from = -1;
  for (let i = 0; i <= s.count; i++) {
    const have = i < s.count && s.xy[2 * i] !== undefined;
    if (have && from < 0) from = i;
    if (!have && from >= 0) {
      out.push([from, i]);
      from = -1;
    }
  }
  return out;
}
