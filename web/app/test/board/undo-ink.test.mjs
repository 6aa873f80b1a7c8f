// Undo/redo as inverse operations, live ink chunks, z keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UndoHistory, addAction, deleteAction, updateAction, clearAction, sendable } from '../../src/board/undo.js';
import { InkChunker, LiveInk, runs } from '../../src/board/live-ink.js';
import { decodePoints } from '../../src/board/points.js';
import { keyAfter, topKey } from '../../src/board/zorder.js';
import { BoardStore } from '../../src/board/board-store.js';

const rect = (id, x, style = {}) => ({ elementId: id, z: 'a0', style, rectangle: { x, y: 0, width: 100, height: 50 },
  authorId: 'ana', createdSeq: 7, changedBy: 'ana', changedSeq: 7, locked: false });

test('undoing an add deletes it; redoing adds it back with the same id', () => {
  const h = new UndoHistory();
  h.record('b', addAction('p', [rect('r1', 10)]));
  assert.ok(h.canUndo('b', 'p'));
  const u = h.takeUndo('b', 'p');
  assert.deepEqual(u.op, { deleteElements: { pageId: 'p', elementIds: ['r1'] } });
  u.done();
  assert.ok(!h.canUndo('b', 'p') && h.canRedo('b', 'p'));
  const r = h.takeRedo('b', 'p');
  assert.equal(r.op.addElements.elements[0].elementId, 'r1');
  assert.deepEqual(r.op.addElements.elements[0].rectangle, { x: 10, y: 0, width: 100, height: 50 });
  assert.equal(r.op.addElements.elements[0].authorId, undefined, 'what the server sets is not sent');
  r.done();
  assert.ok(h.canUndo('b', 'p'));
});

test('undoing a delete adds the element back as it was; an update is patched back whole', () => {
  const before = rect('r1', 10, { stroke: '#ff0000' });
  const d = deleteAction('p', [before]);
  assert.deepEqual(d.undo.addElements.elements[0], {
    elementId: 'r1', z: 'a0', rectangle: { x: 10, y: 0, width: 100, height: 50 },
    style: { stroke: '#ff0000', width: 2, fill: '', opacity: 1, fontSize: 16 },
  });
  assert.deepEqual(d.redo, { deleteElements: { pageId: 'p', elementIds: ['r1'] } });
  const sticky = { elementId: 's', z: 'a1', style: {}, sticky: { x: 0, y: 0, width: 10, height: 10, text: 'old' } };
  const u = updateAction('p', [sticky], [{ ...sticky, sticky: { ...sticky.sticky, text: 'new' } }]);
  assert.equal(u.undo.updateElements.patches[0].sticky.text, 'old');
  assert.equal(u.undo.updateElements.patches[0].style.fill, '#fff59d', 'a sticky note keeps its default fill');
  assert.equal(u.redo.updateElements.patches[0].sticky.text, 'new');
  assert.deepEqual(clearAction('p', [before]).redo, { clearPage: { pageId: 'p' } });
});

test('a failed undo is dropped; a new action clears the redo stack', () => {
  const h = new UndoHistory();
  h.record('b', addAction('p', [rect('r1', 0)]));
  h.record('b', addAction('p', [rect('r2', 0)]));
  h.takeUndo('b', 'p').failed();
  assert.ok(!h.canRedo('b', 'p'));
  h.takeUndo('b', 'p').done();
  assert.ok(h.canRedo('b', 'p'));
  h.record('b', addAction('p', [rect('r3', 0)]));
  assert.ok(!h.canRedo('b', 'p'));
  assert.ok(!h.canUndo('b', 'other'), 'per page');
});

test('a decoded element (defaults on the prototype) is sent as plain fields', () => {
  function Path() { this.points = [100, 200, 5, 0]; this.pressure = []; }
  const e = { elementId: 'x', z: 'a0', style: { width: null, stroke: null }, path: new Path() };
  assert.deepEqual(sendable(e).path, { points: [100, 200, 5, 0], pressure: [] });
  assert.equal(sendable(e).style.width, 2);
});

test('a stroke is chunked from absolute points; the watcher reassembles it and sees gaps', () => {
  const c = new InkChunker('s1', { width: 2 });
  c.add(100, 200); c.add(105, 200);
  assert.equal(c.add(105, 200), false, 'a repeated point is skipped');
  const first = c.takeChunk();
  assert.deepEqual(first, { strokeId: 's1', firstIndex: 0, points: [100, 200, 5, 0], pressure: [], style: { width: 2 } });
  assert.equal(c.takeChunk(), null);
  c.add(110, 195); c.add(120, 190);
  const second = c.takeChunk();
  assert.deepEqual(second.points, [110, 195, 10, -5], 'each chunk starts absolute');
  assert.equal(second.firstIndex, 2);
  c.add(130, 180);
  const third = c.takeChunk();
  assert.deepEqual(c.path().points, [100, 200, 5, 0, 5, -5, 10, -5, 10, -10]);
  assert.equal(c.doneChunk().done, true);

  const live = new LiveInk();
  const where = { boardId: 'b', pageId: 'p', userId: 'ana' };
  assert.ok(live.stroke(where, first, 0));
  live.stroke(where, third, 10); // the second chunk was dropped
  const s = [...live.onPage('b', 'p')][0];
  assert.deepEqual(runs(s), [[0, 2], [4, 5]]);
  live.stroke(where, second, 20);
  assert.deepEqual(runs(s), [[0, 5]]);
  assert.deepEqual(s.xy, decodePoints(c.path().points));
  live.stroke(where, c.doneChunk(), 30);
  assert.equal(live.expire(100), false, 'a finished stroke lingers until its element comes');
  assert.ok(live.committed('s1'));
  assert.equal([...live.onPage('b', 'p')].length, 0);
});

test('pressure travels per chunk, only when every point has one', () => {
  const c = new InkChunker('s', {});
  c.add(0, 0, 255); c.add(10, 0, 128);
  assert.deepEqual(c.takeChunk().pressure, [255, 128]);
  c.add(20, 0);
  assert.deepEqual(c.takeChunk().pressure, []);
  assert.deepEqual(c.path().pressure, []);
});

test('z keys go up like fractional-indexing keys', () => {
  assert.equal(keyAfter(''), 'a0');
  assert.equal(keyAfter('a0'), 'a1');
  assert.equal(keyAfter('az'), 'b00');
  assert.equal(keyAfter('a0V'), 'a1');
  assert.equal(topKey([{ z: 'a3' }, { z: 'a10' }, { z: 'Zz' }]), 'a4');
  assert.ok(keyAfter('!') > '!');
});

test('the store applies board_changed results: cleared, removed, upserted; pages in order', () => {
  const store = new BoardStore();
  store.load([{ boardId: 'b', title: 'B', pages: [{ pageId: 'p1', elements: [rect('r1', 0)] }] }]);
  store.apply({ boardId: 'b', pageAdded: { page: { pageId: 'p0', title: 'first' }, index: 0 } });
  assert.deepEqual(store.board('b').pages.map((p) => p.pageId), ['p0', 'p1']);
  const change = store.apply({ boardId: 'b', clientMsgId: 'm1', elements: { cause: 1, pages: [{ pageId: 'p1', upserted: [rect('r2', 5)] }] } });
  assert.equal(change.cause, 'ADDED');
  assert.equal(change.clientMsgId, 'm1');
  assert.equal(store.page('b', 'p1').elements.size, 2);
  store.apply({ boardId: 'b', elements: { cause: 8, pages: [{ pageId: 'p1', cleared: true, upserted: [rect('r1', 0)] }] } });
  assert.deepEqual([...store.page('b', 'p1').elements.keys()], ['r1']);
  store.apply({ boardId: 'b', boardLock: { locked: true } });
  assert.ok(store.board('b').locked);
  store.apply({ boardId: 'b', pageMoved: { pageId: 'p0', index: 5 } });
  assert.deepEqual(store.board('b').pages.map((p) => p.pageId), ['p1', 'p0']);
  assert.equal(store.apply({ boardId: 'nope', boardLock: { locked: true } }), null);
  store.apply({ boardId: 'b', boardDeleted: {} });
  assert.equal(store.board('b'), null);
});
