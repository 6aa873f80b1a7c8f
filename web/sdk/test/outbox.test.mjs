// The outbox: sequenced sends survive a server crash and lost answers, and are applied exactly
// once (client message ids), in order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PonteTestServer, sleep } from '../../test-support/server.mjs';
import { chatTexts, clientFor, closeAll, controlledNetwork, nextEvent, trace, waitFor } from '../../test-support/clients.mjs';

describe('outbox', () => {
  let server;
  const clients = [];
  const client = (opts) => {
    const c = clientFor(server, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await PonteTestServer.start();
    await server.createRoom('crash');
    await server.createRoom('lost-ack');
  });

  after(async () => {
    closeAll(...clients);
    await server?.dispose();
  });

  it('delivers sends made while the server is down exactly once, in order, after a restart', async () => {
    const sender = client({ user: 'sender', rooms: { crash: 'teacher' } });
    const reader = client({ user: 'reader', rooms: { crash: 'student' } });
    const sRoom = await sender.join('crash');
    const rRoom = await reader.join('crash');
    const traces = [trace(sender, 'sender'), trace(reader, 'reader')];
    const texts = chatTexts(rRoom);
    const resets = [];
    rRoom.on('reset', (r) => resets.push(r));
    const outboxStates = new Map();
    sender.on('outbox', (e) => {
      const list = outboxStates.get(e.clientMsgId) ?? [];
      list.push(e.state);
      outboxStates.set(e.clientMsgId, list);
    });

    await sRoom.post('m0');
    // The reader holds seq 1 when the server dies (else it resumes from 0, which is a reset).
    await waitFor(() => texts.length === 1, 'the reader to get m0');
    // On the wire when the server dies: applied or not, their answers are lost with it.
    const inFlight = ['m1', 'm2', 'm3'].map((t) => sRoom.post(t));
    await server.kill();
    await waitFor(() => sender.state === 'reconnecting', 'the sender to notice the crash');

    // Sent while the server is down: they wait in the outbox.
    const offline = ['m4', 'm5', 'm6', 'm7', 'm8'].map((t) => sRoom.post(t));
    for (const p of offline) {
      assert.equal(p.entry.state, 'queued');
    }
    assert.ok(sender.outbox.length >= 5, `outbox holds the offline sends (${sender.outbox.length})`);
    await sleep(500); // a few failed reconnect attempts

    await server.start();
    const acks = await Promise.all([...inFlight, ...offline]);
    await waitFor(() => texts.length >= 9, 'the reader to receive all nine messages', 15_000)
      .catch((err) => {
        throw new Error(`${err.message}; reader got ${JSON.stringify(texts)}, state ${reader.state}, `
          + `room ${rRoom.state} at seq ${rRoom.seq}, resets ${resets.length}, acks ${JSON.stringify(acks)}\n`
          + traces.join('\n') + `\nserver log:\n${server.logTail(40)}`);
      });
    await sleep(500); // room for a duplicate to show up

    assert.deepEqual(texts, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'], 'each once, in order, none lost');
    const seqs = acks.map((a) => a.seq);
    assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'acks in send order');
    assert.equal(new Set(seqs).size, seqs.length, 'one seq per message');
    assert.equal(resets.length, 0, 'the reader resumed without a reset');
    assert.equal(sender.outbox.length, 0);
    for (const p of offline) {
      assert.deepEqual(outboxStates.get(p.clientMsgId), ['queued', 'sent', 'acked']);
    }
  });

  it('resends a send whose answer was lost with the same client message id: applied once', async () => {
    const net = controlledNetwork();
    const sender = client({ user: 'sender2', rooms: { 'lost-ack': 'student' }, WebSocket: net.WebSocket });
    const reader = client({ user: 'reader2', rooms: { 'lost-ack': 'teacher' } });
    const sRoom = await sender.join('lost-ack');
    const rRoom = await reader.join('lost-ack');
    const texts = chatTexts(rRoom);

    net.deaf = true; // the server's answers never reach the sender
    const seen = nextEvent(rRoom, 'chatPosted');
    const sending = sRoom.post('only once');
    const first = await seen; // applied and delivered to the others
    assert.equal(sending.entry.state, 'sent');
    net.deaf = false;
    net.cut(); // the connection drops before the sender got its ack

    const ack = await sending;
    assert.equal(ack.duplicate, true, 'the resend is recognised as a duplicate');
    assert.equal(ack.seq, first.seq, 'and answered with the original seq');
    assert.equal(sending.entry.attempts, 2);
    assert.equal(sending.entry.duplicate, true);
    await sRoom.post('next');
    await waitFor(() => texts.length >= 2, 'the next message');
    assert.deepEqual(texts, ['only once', 'next']);
  });
});
