// Request timeouts and the heartbeat, against a server frozen with SIGSTOP: its sockets stay
// open but nothing answers, as with a hung node or a dead network path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PonteTestServer } from '../../test-support/server.mjs';
import { PonteTimeoutError } from '../src/index.js';
import { chatTexts, clientFor, closeAll, waitFor } from '../../test-support/clients.mjs';

describe('timeouts and heartbeat', () => {
  let server;
  const clients = [];
  const client = (opts) => {
    const c = clientFor(server, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await PonteTestServer.start();
    await server.createRoom('frozen');
  });

  after(async () => {
    server?.resume();
    closeAll(...clients);
    await server?.dispose();
  });

  it('rejects a request that gets no answer with PonteTimeoutError', async () => {
    const c = client({ user: 'u-timeout', rooms: { frozen: 'student' } });
    const room = await c.join('frozen');
    server.pause();
    try {
      const started = performance.now();
      const err = await room.history({ limit: 5, timeoutMs: 400 }).then(() => null, (e) => e);
      const took = performance.now() - started;
      assert.ok(err instanceof PonteTimeoutError, `expected a timeout, got ${err}`);
      assert.equal(err.timeoutMs, 400);
      assert.ok(took >= 395 && took < 1500, `timed out after ${took.toFixed(0)} ms`);
      const ping = await c.ping({ timeoutMs: 200 }).then(() => null, (e) => e);
      assert.ok(ping instanceof PonteTimeoutError);
    } finally {
      server.resume();
    }
    const page = await room.history({ limit: 5 });
    assert.equal(page.roomId, 'frozen');
  });

  it('detects a dead server with heartbeats, reconnects when it is back, and delivers what waited', async () => {
    const intervalMs = 300;
    const timeoutMs = 600;
    const student = client({
      user: 'u-heart', rooms: { frozen: 'student' },
      heartbeatIntervalMs: intervalMs, heartbeatTimeoutMs: timeoutMs, connectTimeoutMs: 1000,
    });
    const teacher = client({ user: 't-heart', rooms: { frozen: 'teacher' } });
    const sRoom = await student.join('frozen');
    const tRoom = await teacher.join('frozen');
    const texts = chatTexts(tRoom);
    await waitFor(() => student.rttMs > 0, 'a heartbeat round trip');

    const states = [];
    student.on('state', (s) => states.push(s));
    server.pause();
    const frozenAt = performance.now();
    try {
      await waitFor(() => student.state !== 'open', 'the client to notice', 5000);
      const detectedMs = performance.now() - frozenAt;
      // Silent for more than interval + timeout, noticed at the next tick.
      assert.ok(detectedMs < 2 * intervalMs + timeoutMs + 1000, `noticed after ${detectedMs.toFixed(0)} ms`);
      assert.match(states[0].reason, /heartbeat/);
      assert.equal(states[0].state, 'reconnecting');
      assert.equal(sRoom.state, 'rejoining');

      const pending = sRoom.post('sent while frozen');
      assert.equal(pending.entry.state, 'queued');
      // Attempts against the frozen server time out (the kernel accepts, nobody answers).
      await waitFor(() => states.filter((s) => s.state === 'reconnecting').length >= 2,
        'a connect attempt to time out', 5000);
      assert.match(states.filter((s) => s.state === 'reconnecting')[1].reason, /no welcome within 1000 ms/);
    } finally {
      server.resume();
    }
    await waitFor(() => student.state === 'open' && sRoom.state === 'joined', 'the client to come back', 15_000);
    await waitFor(() => texts.includes('sent while frozen'), 'the queued message');
    await tRoom.post('after');
    await waitFor(() => texts.includes('after'), 'a later message');
    assert.deepEqual(texts, ['sent while frozen', 'after'], 'delivered once');
  });
});
