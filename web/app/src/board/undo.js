// A participant's own undo and redo (WHITEBOARD.md, "Operations"): each action is recorded with
// its inverse, and undo sends the inverse as an ordinary board operation (delete what was added,
// add back with the same id what was deleted, update back what was changed), so it survives
// reconnects and others see it as any change. Pure: the caller sends the ops.
import { KINDS, shapeOf, stroke, width, fill, opacity, fontSize, DEFAULT_STICKY_FILL } from './style.js';

function copyShape(value) {
  return JSON.parse(JSON.stringify(value, (k, v) => (v instanceof Int32Array || v instanceof Uint32Array ? [...v] : v)));
}

/** An element as a client sends it: id, z, style, shape (what the server sets is left out). */
export function sendable(e) {
  const kind = shapeOf(e);
  const out = { elementId: e.elementId, z: e.z, style: explicitStyle(e.style, kind) };
  if (kind) out[kind] = copyShape(plainShape(e[kind]));
  return out;
}

/** The shape's own fields as a plain object (decoded messages keep defaults on the prototype). */
function plainShape(shape) {
  const out = {};
  for (const k of ['x', 'y', 'x1', 'y1', 'x2', 'y2', 'width', 'height', 'text', 'assetId']) {
    if (shape[k] !== undefined && shape[k] !== null) out[k] = shape[k];
  }
  if (shape.points !== undefined) out.points = [...(shape.points || [])];
  if (shape.pressure !== undefined) out.pressure = [...(shape.pressure || [])];
  return out;
}

/** A style with every field set (what it draws as), so a patch to it restores it whole. */
export function explicitStyle(s, kind) {
  return {
    stroke: stroke(s), width: width(s), fill: fill(s, kind === 'sticky' ? DEFAULT_STICKY_FILL : ''),
    opacity: opacity(s), fontSize: fontSize(s),
  };
}

/** A patch that puts an element back as `e` is (shape and style). */
export function patchTo(e) {
  const kind = shapeOf(e);
  const patch = { elementId: e.elementId, style: explicitStyle(e.style, kind) };
  if (kind) patch[kind] = copyShape(plainShape(e[kind]));
  return patch;
}

/** The undo/redo pair of adding `elements` to a page. */
export function addAction(pageId, elements) {
  return {
    pageId,
    undo: { deleteElements: { pageId, elementIds: elements.map((e) => e.elementId) } },
    redo: { addElements: { pageId, elements: elements.map(sendable) } },
  };
}

/** Deleting elements (as they were before the delete). */
export function deleteAction(pageId, before) {
  return {
    pageId,
    undo: { addElements: { pageId, elements: before.map(sendable) } },
    redo: { deleteElements: { pageId, elementIds: before.map((e) => e.elementId) } },
  };
}

/** Changing elements from `before` to `after` (same ids, same order). */
export function updateAction(pageId, before, after) {
  return {
    pageId,
    undo: { updateElements: { pageId, patches: before.map(patchTo) } },
    redo: { updateElements: { pageId, patches: after.map(patchTo) } },
  };
}

/** Clearing a page that held `before` (teachers). */
export function clearAction(pageId, before) {
  return {
    pageId,
    undo: { addElements: { pageId, elements: before.map(sendable) } },
    redo: { clearPage: { pageId } },
  };
}

/**
 * Undo and redo stacks of one user, per board page. `take*` hands out the op to send; the caller
 * reports the outcome with `done` (the entry moves to the other stack) or `failed` (dropped:
 * the page moved on, e.g. someone deleted the element).
 */
export class UndoHistory {
  constructor(limit = 100) {
    this.limit = limit;
    this.stacks = new Map(); // `${boardId}/${pageId}` -> {undo: [], redo: []}
  }

  stack(boardId, pageId) {
    const key = `${boardId}/${pageId}`;
    let s = this.stacks.get(key);
    if (!s) this.stacks.set(key, (s = { undo: [], redo: [] }));
    return s;
  }

  /** A new action of the user: undoable; whatever was undone can no longer be redone. */
  record(boardId, action) {
    const s = this.stack(boardId, action.pageId);
    s.undo.push(action);
    if (s.undo.length > this.limit) s.undo.shift();
    s.redo = [];
  }

  canUndo(boardId, pageId) {
    return this.stack(boardId, pageId).undo.length > 0;
  }

  canRedo(boardId, pageId) {
    return this.stack(boardId, pageId).redo.length > 0;
  }

  /** {op, done(), failed()} for the last action, or null. */
  takeUndo(boardId, pageId) {
    return this.take(this.stack(boardId, pageId), 'undo', 'redo', 'undo');
  }

  takeRedo(boardId, pageId) {
    return this.take(this.stack(boardId, pageId), 'redo', 'undo', 'redo');
  }

  take(s, from, to, which) {
    const action = s[from].pop();
    if (!action) return null;
    return {
      op: action[which],
      done: () => {
        s[to].push(action);
      },
      failed: () => {},
    };
  }

  /** Forgets a page's history (the page was deleted or cleared by someone else's revert). */
  forget(boardId, pageId) {
    this.stacks.delete(`${boardId}/${pageId}`);
  }
}

export { KINDS };
