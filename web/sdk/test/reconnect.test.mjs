// Reconnecting: backoff with jitter, and the close codes that say retry or give up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PonteTestServer, sleep } from '../../test-support/server.mjs';
import { PonteError, pb } from '../src/index.js';
import { chatTexts, clientFor, closeAll, controlledNetwork, nextEvent, waitFor } from '../../test-support/clients.mjs';

describe('reconnect and close codes', () => {
  let server;
  const clients = [];
  const client = (opts) => {
    const c = clientFor(server, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await PonteTestServer.start();
    for (const id of ['backoff', 'ending', 'shutdown', 'expiry']) {
      await server.createRoom(id);
    }
  });

  after(async () => {
    closeAll(...clients);
    await server?.dispose();
  });

  it('backs off exponentially with full jitter while the server is down, then resumes', async () => {
    const baseMs = 50;
    const capMs = 400;
    const c = client({ user: 'u-backoff', rooms: { backoff: 'student' }, backoff: { baseMs, capMs } });
    const room = await c.join('backoff');
    const waits = [];
    let lastReconnecting = null;
    c.on('state', (s) => {
      if (s.state === 'reconnecting') {
        lastReconnecting = { ...s, t: performance.now() };
      } else if (s.state === 'connecting' && lastReconnecting) {
        waits.push({ ...lastReconnecting, waited: performance.now() - lastReconnecting.t });
        lastReconnecting = null;
      }
    });

    await server.kill();
    await waitFor(() => waits.length >= 8, 'eight reconnect attempts', 20_000);
    for (const w of waits) {
      const windowMs = Math.min(capMs, baseMs * 2 ** (w.attempt - 1));
      assert.ok(w.retryInMs >= 0 && w.retryInMs < windowMs,
        `attempt ${w.attempt}: wait ${w.retryInMs} ms within [0, ${windowMs})`);
      assert.ok(w.waited >= w.retryInMs - 2 && w.waited < w.retryInMs + 600,
        `attempt ${w.attempt}: waited ${w.waited.toFixed(0)} ms for a planned ${w.retryInMs} ms`);
    }
    assert.deepEqual(waits.slice(0, 8).map((w) => w.attempt), [1, 2, 3, 4, 5, 6, 7, 8], 'attempts counted');
    // Full jitter: the waits are spread over their windows, not the windows themselves.
    const fractions = waits.map((w) => w.retryInMs / Math.min(capMs, baseMs * 2 ** (w.attempt - 1)));
    assert.ok(new Set(fractions.map((f) => f.toFixed(3))).size > 3, `jittered: ${fractions}`);
    assert.ok(Math.min(...fractions) < 0.8, `some waits well inside their window: ${fractions}`);

    await server.start();
    await waitFor(() => c.state === 'open' && room.state === 'joined', 'the client to come back', 15_000);
    assert.equal(c.stateInfo.attempt, 0, 'the attempt counter resets once welcomed');
  });

  it('gives up on a final close code: the teacher ended the session (4201)', async () => {
    const net = controlledNetwork();
    const teacher = client({ user: 't-end', rooms: { ending: 'teacher' } });
    const student = client({ user: 's-end', rooms: { ending: 'student' }, WebSocket: net.WebSocket });
    const tRoom = await teacher.join('ending');
    const sRoom = await student.join('ending');
    const left = nextEvent(sRoom, 'left');
    const ended = nextEvent(sRoom, 'sessionEnded');
    const closed = nextEvent(student, 'state', (s) => s.state === 'closed');

    await tRoom.endSession();
    await ended;
    assert.equal((await left).reasonName, 'LEFT_SESSION_ENDED');
    const info = await closed;
    assert.equal(info.code, 4201);
    assert.equal(info.codeName, 'SESSION_ENDED');
    await sleep(1000);
    assert.equal(student.state, 'closed');
    assert.equal(net.opened, 1, 'no reconnect after a final close code');
    const late = await sRoom.post('hello?').then(() => null, (e) => e);
    assert.equal(late?.name, 'PonteClosedError');
  });

  it('gives up when Hello is refused (4004 AUTH_FAILED) and rejects connect() with the PonteError', async () => {
    const net = controlledNetwork();
    const forged = server.token({ user: 'mallory', rooms: { ending: 'teacher' } }).replace(/.{4}$/, 'AAAA');
    const c = client({ user: 'mallory', rooms: {}, token: forged, WebSocket: net.WebSocket });
    const err = await c.connect().then(() => null, (e) => e);
    assert.ok(PonteError.is(err, 'TOKEN_BAD_SIGNATURE'), `got ${err}`);
    assert.equal(c.state, 'closed');
    assert.equal(c.stateInfo.code, 4004);
    assert.equal(c.stateInfo.codeName, 'AUTH_FAILED');
    assert.equal(c.stateInfo.error, err);
    await sleep(500);
    assert.equal(net.opened, 1, 'no retry with a token the server refused');

    const expired = server.token({ user: 'late', rooms: {}, expiresAt: Math.floor(Date.now() / 1000) - 120 });
    const staleClient = client({ user: 'late', rooms: {}, token: expired });
    const stale = await staleClient.connect().then(() => null, (e) => e);
    assert.ok(PonteError.is(stale, 'TOKEN_EXPIRED'), `got ${stale}`);
    assert.equal(staleClient.stateInfo.code, 4006);
    assert.match(staleClient.stateInfo.reason, /no token provider/, 'a fixed token cannot be renewed');
  });

  it('reconnects after a retryable close: server shutdown (4102)', async () => {
    const teacher = client({ user: 't-shut', rooms: { shutdown: 'teacher' } });
    const student = client({ user: 's-shut', rooms: { shutdown: 'student' } });
    const tRoom = await teacher.join('shutdown');
    const sRoom = await student.join('shutdown');
    const texts = chatTexts(sRoom);
    const goodbye = nextEvent(student, 'goodbye');
    const reconnecting = nextEvent(student, 'state', (s) => s.state === 'reconnecting');

    await server.stop('SIGTERM');
    assert.equal((await goodbye).closeCode, 4102);
    const info = await reconnecting;
    assert.equal(info.code, 4102);
    assert.equal(info.codeName, 'SERVER_SHUTDOWN');

    await server.start();
    await waitFor(() => student.state === 'open' && sRoom.state === 'joined'
      && teacher.state === 'open' && tRoom.state === 'joined', 'both to resume', 15_000);
    await tRoom.post('welcome back');
    await waitFor(() => texts.includes('welcome back'), 'the message after the restart');
  });

  it('reconnects with a fresh token after TOKEN_EXPIRED (4006)', async () => {
    let calls = 0;
    const c = client({
      user: 'u-exp',
      rooms: {},
      token: () => {
        calls += 1;
        // The first token expires in two seconds; the provider then hands out fresh ones.
        return calls === 1
          ? server.token({ user: 'u-exp', rooms: { expiry: 'student' }, expiresAt: Math.floor(Date.now() / 1000) + 2 })
          : server.token({ user: 'u-exp', rooms: { expiry: 'student' } });
      },
    });
    const room = await c.join('expiry');
    const expiredClose = nextEvent(c, 'state', (s) => s.state === 'reconnecting', 10_000);
    assert.equal((await expiredClose).codeName, 'TOKEN_EXPIRED');
    await waitFor(() => c.state === 'open' && room.state === 'joined', 'the client to reconnect', 10_000);
    assert.equal(calls, 2, 'the token provider was asked again');
    assert.equal(room.role, 'STUDENT');
    assert.ok(c.tokenExpiresMs > Date.now() + 60_000);
    assert.equal(pb.Role.STUDENT, 2);
  });
});
