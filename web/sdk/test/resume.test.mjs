// Resume: after a drop a room is rejoined with its last seq and epoch; the client gets exactly
// the events it missed, or a reset snapshot when the server cannot replay them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PonteTestServer, sleep } from '../../test-support/server.mjs';
import { chatTexts, clientFor, closeAll, controlledNetwork, nextEvent, waitFor } from '../../test-support/clients.mjs';

describe('resume', () => {
  let server;
  const clients = [];
  const client = (opts) => {
    const c = clientFor(server, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    // A short resume window (the smallest allowed), so a longer absence needs a reset.
    server = await PonteTestServer.start({ args: ['--resume-window', '10'] });
    for (const id of ['gap', 'long-gap', 'epoch']) {
      await server.createRoom(id);
    }
  });

  after(async () => {
    closeAll(...clients);
    await server?.dispose();
  });

  it('replays exactly the missed events after a dropped connection, without duplicates', async () => {
    const net = controlledNetwork();
    const teacher = client({ user: 't-gap', rooms: { gap: 'teacher' } });
    const student = client({ user: 's-gap', rooms: { gap: 'student' }, WebSocket: net.WebSocket });
    const tRoom = await teacher.join('gap');
    const sRoom = await student.join('gap');
    const texts = chatTexts(sRoom);
    const seqs = [];
    sRoom.on('event', (e) => { if (e.seq) seqs.push(e.seq); });
    const joins = [];
    sRoom.on('joined', (j) => joins.push(j));
    sRoom.on('reset', () => assert.fail('no reset expected'));

    await tRoom.post('before');
    await waitFor(() => texts.length === 1, 'the first message');
    const epoch = sRoom.epoch;

    net.offline = true;
    net.cut();
    await waitFor(() => student.state === 'reconnecting', 'the student to notice the drop');
    for (const t of ['missed 1', 'missed 2', 'missed 3']) {
      await tRoom.post(t);
    }
    await sleep(300);
    net.offline = false;

    await waitFor(() => texts.length === 4, 'the missed messages', 15_000);
    await tRoom.post('after');
    await waitFor(() => texts.length === 5, 'the live message after the resume');
    assert.deepEqual(texts, ['before', 'missed 1', 'missed 2', 'missed 3', 'after']);
    assert.equal(seqs.length, new Set(seqs).size, 'no seq twice');
    for (let i = 1; i < seqs.length; i++) {
      assert.equal(seqs[i], seqs[i - 1] + 1, `gap-free seqs: ${seqs}`);
    }
    const resume = joins.at(-1);
    assert.equal(resume.resumed, true);
    assert.equal(resume.reset, false);
    assert.equal(resume.joined.missed.length, 3);
    assert.equal(sRoom.epoch, epoch);
    assert.equal(sRoom.seq, tRoom.seq);
  });

  it('emits reset with the new state when the server cannot replay the gap', async () => {
    const net = controlledNetwork();
    const teacher = client({ user: 't-long', rooms: { 'long-gap': 'teacher' } });
    const student = client({ user: 's-long', rooms: { 'long-gap': 'student' }, WebSocket: net.WebSocket });
    const tRoom = await teacher.join('long-gap');
    const sRoom = await student.join('long-gap');
    const texts = chatTexts(sRoom);
    await tRoom.post('seen');
    await waitFor(() => texts.length === 1, 'the first message');
    const seqBefore = sRoom.seq;

    net.offline = true;
    net.cut();
    await waitFor(() => student.state === 'reconnecting', 'the drop');
    await tRoom.lock(true);
    for (let i = 1; i <= 14; i++) {
      await tRoom.post(`while away ${i}`);
    }
    const reset = nextEvent(sRoom, 'reset', undefined, 15_000);
    net.offline = false;
    const r = await reset;

    assert.equal(r.seq, tRoom.seq, 'the reset continues from the room\'s seq');
    assert.equal(sRoom.seq, r.seq);
    assert.ok(r.seq > seqBefore + 10);
    assert.equal(r.snapshot.locked, true, 'the snapshot carries the state the student missed');
    assert.equal(sRoom.locked, true);
    assert.equal(r.role, 'STUDENT');
    assert.ok(r.participants.has('t-long'));
    const recent = r.snapshot.recentMessages.map((m) => m.text);
    assert.equal(recent.at(-1), 'while away 14');
    assert.deepEqual(texts, ['seen'], 'missed messages come in the snapshot, not as events');

    await tRoom.post('live again');
    await waitFor(() => texts.length === 2, 'live messages after the reset');
    assert.equal(texts[1], 'live again');
  });

  it('resets when resuming with an epoch the room no longer has', async () => {
    const teacher = client({ user: 't-epoch', rooms: { epoch: 'teacher' } });
    const tRoom = await teacher.join('epoch');
    await tRoom.post('one');
    await tRoom.post('two');
    const student = client({ user: 's-epoch', rooms: { epoch: 'student' } });
    const resets = [];
    // State kept from an earlier session of a room whose history was lost since.
    const room = student.join('epoch', { lastSeq: 1, epoch: 'an-old-epoch' });
    const sRoom = student.room('epoch');
    sRoom.on('reset', (r) => resets.push(r));
    await room;
    assert.equal(resets.length, 1);
    assert.notEqual(sRoom.epoch, 'an-old-epoch');
    assert.equal(sRoom.seq, tRoom.seq);
    assert.deepEqual(resets[0].snapshot.recentMessages.map((m) => m.text), ['one', 'two']);
  });
});
