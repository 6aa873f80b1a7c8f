// The room's boards as this client knows them: the Joined snapshot, then every board_changed
// event applied as WHITEBOARD.md says ("Applying elements": cleared, then removed, then
// upserted). No history is kept; a revert's result arrives the same way as any change.
import { paintOrder } from './style.js';

const CAUSES = ['CAUSE_UNSPECIFIED', 'ADDED', 'UPDATED', 'DELETED', 'REORDERED', 'LOCKED', 'UNLOCKED', 'CLEARED', 'REVERTED'];

/** An ElementsChanged cause as its name (decoded messages carry the number). */
export function causeName(cause) {
  return typeof cause === 'number' ? CAUSES[cause] || String(cause) : cause || 'CAUSE_UNSPECIFIED';
}

function toPage(p) {
  const page = { pageId: p.pageId, title: p.title || '', elements: new Map(), sorted: null, version: 0 };
  for (const e of p.elements || []) page.elements.set(e.elementId, e);
  return page;
}

function toBoard(b) {
  return {
    boardId: b.boardId, title: b.title || '', locked: !!b.locked, createdBy: b.createdBy || '',
    createdSeq: Number(b.createdSeq || 0), pages: (b.pages || []).map(toPage),
  };
}

function clampIndex(index, length) {
  const i = Number(index || 0);
  return i < 0 ? 0 : i > length ? length : i;
}

export class BoardStore {
  constructor() {
    /** @type {Map<string, ReturnType<typeof toBoard>>} in creation order */
    this.boards = new Map();
    this.listeners = new Set();
  }

  /** fn(change) after every applied change; returns an unsubscribe function. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Replaces everything with a snapshot's boards (Joined.snapshot.boards). */
  load(boards) {
    this.boards = new Map((boards || []).map((b) => [b.boardId, toBoard(b)]));
    this.emit({ type: 'reset' });
  }

  board(boardId) {
    return this.boards.get(boardId) || null;
  }

  page(boardId, pageId) {
    const b = this.boards.get(boardId);
    return (b && b.pages.find((p) => p.pageId === pageId)) || null;
  }

  /** A page's elements back to front (cached until the page changes). */
  ordered(page) {
    if (!page.sorted) page.sorted = [...page.elements.values()].sort(paintOrder);
    return page.sorted;
  }

  /**
   * Applies one BoardChanged. Returns what changed ({type, boardId, ...}) or null when it named
   * a board or page this client does not know (nothing to do).
   */
  apply(changed) {
    const boardId = changed.boardId;
    const board = this.boards.get(boardId);
    let change = null;
    if (changed.boardCreated) {
      this.boards.set(boardId, toBoard(changed.boardCreated));
      change = { type: 'board' };
    } else if (!board) {
      return null;
    } else if (changed.boardDeleted) {
      this.boards.delete(boardId);
      change = { type: 'board', deleted: true };
    } else if (changed.boardLock) {
      board.locked = !!changed.boardLock.locked;
      change = { type: 'lock', locked: board.locked };
    } else if (changed.pageAdded) {
      const page = toPage(changed.pageAdded.page);
      board.pages.splice(clampIndex(changed.pageAdded.index, board.pages.length), 0, page);
      change = { type: 'pages', pageId: page.pageId, added: true };
    } else if (changed.pageRenamed) {
      const page = board.pages.find((p) => p.pageId === changed.pageRenamed.pageId);
      if (page) page.title = changed.pageRenamed.title || '';
      change = { type: 'pages', pageId: changed.pageRenamed.pageId };
    } else if (changed.pageDeleted) {
      board.pages = board.pages.filter((p) => p.pageId !== changed.pageDeleted.pageId);
      change = { type: 'pages', pageId: changed.pageDeleted.pageId, deleted: true };
    } else if (changed.pageMoved) {
      const i = board.pages.findIndex((p) => p.pageId === changed.pageMoved.pageId);
      if (i >= 0) {
        const [page] = board.pages.splice(i, 1);
        board.pages.splice(clampIndex(changed.pageMoved.index, board.pages.length), 0, page);
      }
      change = { type: 'pages', pageId: changed.pageMoved.pageId };
    } else if (changed.elements) {
      const pages = [];
      for (const pe of changed.elements.pages || []) {
        const page = board.pages.find((p) => p.pageId === pe.pageId);
        if (!page) continue;
        if (pe.cleared) page.elements.clear();
        for (const id of pe.removed || []) page.elements.delete(id);
        for (const e of pe.upserted || []) page.elements.set(e.elementId, e);
        page.sorted = null;
        page.version += 1;
        pages.push({ pageId: pe.pageId, cleared: !!pe.cleared, removed: pe.removed || [], upserted: pe.upserted || [] });
      }
      change = { type: 'elements', cause: causeName(changed.elements.cause), pages };
    } else {
      return null;
    }
    change.boardId = boardId;
    change.clientMsgId = changed.clientMsgId || '';
    this.emit(change);
    return change;
  }

  emit(change) {
    for (const fn of this.listeners) fn(change);
  }
}
