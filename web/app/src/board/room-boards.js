// The board state of a room, kept for as long as the page lives: the panel's UI comes and goes
// (it is loaded when first opened, and may be closed and opened again), the boards, the user's
// undo history and the seq/time log that revert uses stay. Attached to the SDK room once.
//
// Pitfall: the SDK keeps the room's last snapshot but not the board_changed events since, so a
// store attached only when the panel first opens may start from an old snapshot. The shell can
// attach it right after the room is joined (attachBoards, small: no UI); otherwise the panel
// calls refresh() with a snapshot it fetched, and board events up to that snapshot's seq are
// dropped so nothing is applied twice.
import { BoardStore } from './board-store.js';
import { UndoHistory } from './undo.js';

const rooms = new Map(); // roomId -> shared state

/** For the shell: attach the board state as soon as the room is joined (it then follows from the start). */
export function attachBoards(room) {
  return roomBoards(room, { fromJoin: true });
}

/**
 * The shared state of `room` (an SDK Room), attached on first use. Its boards start from the
 * room's last snapshot (Joined.snapshot.boards) and follow board_changed from then on; a reset
 * (a Joined replacing state) loads the new snapshot.
 */
export function roomBoards(room, { fromJoin = false } = {}) {
  let shared = rooms.get(room.roomId);
  if (shared && shared.room === room) return shared;
  shared?.detach();
  const store = new BoardStore();
  store.load(room.snapshot?.boards || []);
  const seqLog = [{ seq: (room.seq || 0) + 1, at: Date.now() }];
  const inkListeners = new Set();
  let loadedSeq = 0; // board events up to this seq are in the store already
  let buffer = null; // board events held while a fresh snapshot is on its way
  const offs = [
    room.on('boardChanged', (changed, event) => {
      const seq = Number(event?.seq || 0);
      if (buffer) buffer.push([changed, seq]);
      else if (!seq || seq > loadedSeq) store.apply(changed);
    }),
    room.on('joined', ({ joined, reset }) => {
      if (reset && joined.snapshot) {
        store.load(joined.snapshot.boards || []);
        loadedSeq = Number(joined.seq || 0);
      }
    }),
    room.on('event', (event) => {
      if (event.seq > 0) {
        const at = Number(event.serverTimeMs) || Date.now();
        const last = seqLog[seqLog.length - 1];
        // One entry per second is plenty for "since N minutes ago".
        if (at - last.at >= 1000) seqLog.push({ seq: Number(event.seq), at });
        if (seqLog.length > 20_000) seqLog.splice(1, 10_000);
      }
    }),
    room.on('boardInk', (ink, event) => {
      for (const fn of inkListeners) fn(ink, event);
    }),
  ];
  shared = {
    room,
    store,
    undo: new UndoHistory(),
    seqLog,
    /** Whether the store may lag behind: attached after the join, not refreshed yet. */
    stale: !fromJoin,
    /** fn(BoardInkEvent, Event) for every ephemeral board event; returns an unsubscribe. */
    onInk(fn) {
      inkListeners.add(fn);
      return () => inkListeners.delete(fn);
    },
    /**
     * Replaces the boards with a fresher snapshot: `fetch()` resolves with {boards, seq}. Board
     * events that arrive meanwhile are held, then applied if they are newer than the snapshot.
     */
    async refresh(fetch) {
      if (buffer) return;
      buffer = [];
      try {
        const { boards, seq } = await fetch();
        loadedSeq = Math.max(loadedSeq, Number(seq || 0));
        shared.stale = false;
        store.load(boards);
      } finally {
        const held = buffer;
        buffer = null;
        for (const [changed, seq] of held) if (!seq || seq > loadedSeq) store.apply(changed);
      }
    },
    /** The first seq at or after `at` (ms) that this page saw, or 1 when it goes back further. */
    seqSince(at) {
      if (at <= seqLog[0].at) return 1;
      for (const entry of seqLog) if (entry.at >= at) return entry.seq;
      return (room.seq || 0) + 1;
    },
    detach() {
      for (const off of offs) off?.();
      rooms.delete(room.roomId);
    },
  };
  rooms.set(room.roomId, shared);
  return shared;
}
