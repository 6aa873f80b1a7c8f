// The board state of a room, kept for as long as the page lives: the panel's UI comes and goes
// (it is loaded when first opened, and may be closed and opened again), the boards, the user's
// undo history and the seq/time log that revert uses stay. Attached to the SDK room once.
import { BoardStore } from './board-store.js';
import { UndoHistory } from './undo.js';

const rooms = new Map(); // roomId -> shared state

/**
 * The shared state of `room` (an SDK Room), attached on first use. Its boards start from the
 * room's last snapshot (Joined.snapshot.boards) and follow board_changed from then on; a reset
 * (a Joined replacing state) loads the new snapshot.
 */
export function roomBoards(room) {
  let shared = rooms.get(room.roomId);
  if (shared && shared.room === room) return shared;
  shared?.detach();
  const store = new BoardStore();
  store.load(room.snapshot?.boards || room.boards || []);
  const seqLog = [{ seq: (room.seq || 0) + 1, at: Date.now() }];
  const inkListeners = new Set();
  const offs = [
    room.on('boardChanged', (changed) => store.apply(changed)),
    room.on('joined', ({ joined, reset }) => {
      if (reset && joined.snapshot) store.load(joined.snapshot.boards || []);
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
    /** fn(BoardInkEvent, Event) for every ephemeral board event; returns an unsubscribe. */
    onInk(fn) {
      inkListeners.add(fn);
      return () => inkListeners.delete(fn);
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
