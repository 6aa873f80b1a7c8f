// The lobby: a Join that waits for a teacher has no timeout while the server reports its place,
// and completes (or fails) when a teacher decides.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PonteTestServer, sleep } from '../../test-support/server.mjs';
import { clientFor, closeAll, waitFor } from '../../test-support/clients.mjs';
import { PonteError } from '../src/index.js';

describe('lobby', () => {
  let server;
  const clients = [];
  const client = (opts) => {
    const c = clientFor(server, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await PonteTestServer.start();
    await server.createRoom('waiting', { lobby: 'everyone' });
  });

  after(async () => {
    closeAll(...clients);
    await server?.dispose();
  });

  it('waits past the request timeout with its place, and joins once a teacher admits', async () => {
    const teacher = client({ user: 'tina', rooms: { waiting: 'teacher' } });
    const tRoom = await teacher.join('waiting');
    const learner = client({ user: 'ana', rooms: { waiting: 'student' }, requestTimeoutMs: 500 });
    const statuses = [];
    const joining = learner.join('waiting');
    const room = learner.room('waiting');
    room.on('lobby', (s) => statuses.push(s));
    await waitFor(() => statuses.length > 0, 'a lobby status');
    assert.equal(statuses[0].position, 1);
    await sleep(1200); // longer than the request timeout: the connection stays, the Join waits
    assert.equal(room.state, 'joining');
    await tRoom.request({ lobby: { roomId: 'waiting', admit: { userId: 'ana' } } });
    await joining;
    assert.equal(room.state, 'joined');
    assert.ok(statuses.some((s) => s.state === 2), 'ADMITTED was reported');
  });

  it('fails the Join with LOBBY_DENIED when a teacher denies it', async () => {
    const teacher = client({ user: 'theo', rooms: { waiting: 'teacher' } });
    const tRoom = await teacher.join('waiting');
    const learner = client({ user: 'bo', rooms: { waiting: 'student' } });
    const joining = learner.join('waiting');
    await waitFor(() => learner.room('waiting')?.lobby, 'a lobby status');
    await tRoom.request({ lobby: { roomId: 'waiting', deny: { userId: 'bo' } } });
    await assert.rejects(joining, (err) => err instanceof PonteError && err.codeName === 'LOBBY_DENIED');
  });
});
