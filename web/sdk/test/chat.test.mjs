// Chat, typed errors, rooms and presence against a real Ponte server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PonteTestServer } from '../../test-support/server.mjs';
import { PonteError, pb } from '../src/index.js';
import { chatTexts, clientFor, closeAll, controlledNetwork, nextEvent, waitFor } from '../../test-support/clients.mjs';

describe('chat against a real server', () => {
  let server;
  const clients = [];
  const client = (opts) => {
    const c = clientFor(server, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await PonteTestServer.start();
    for (const id of ['bio', 'geo', 'art', 'mod', 'ask', 'ban', 'ban-other']) {
      await server.createRoom(id);
    }
  });

  after(async () => {
    closeAll(...clients);
    await server?.dispose();
  });

  it('connects, joins and delivers a chat message between two clients', async () => {
    const teacher = client({ user: 't1', name: 'Ana', rooms: { bio: 'teacher' } });
    const student = client({ user: 's1', name: 'Zofia', rooms: { bio: 'student' } });
    const states = [];
    student.on('state', (s) => states.push(s.state));

    const welcome = await student.connect();
    assert.equal(welcome.user.userId, 's1');
    assert.equal(student.state, 'open');
    assert.deepEqual(states, ['connecting', 'open']);

    const tRoom = await teacher.join('bio');
    const sRoom = await student.join('bio');
    assert.equal(sRoom.role, 'STUDENT');
    assert.equal(tRoom.role, 'TEACHER');
    assert.equal(sRoom.state, 'joined');
    assert.ok(sRoom.snapshot, 'a first join brings a snapshot');
    await waitFor(() => tRoom.participants.has('s1'), 'the teacher to see the student present');

    const seen = nextEvent(tRoom, 'chatPosted');
    const sending = sRoom.post('Dzień dobry! 👋', { language: 'pl' });
    assert.equal(typeof sending.clientMsgId, 'string');
    assert.equal(sending.entry.state, 'sent');
    const ack = await sending;
    assert.ok(ack.seq > 0);
    assert.equal(sending.entry.state, 'acked');
    const msg = await seen;
    assert.equal(msg.text, 'Dzień dobry! 👋');
    assert.equal(msg.language, 'pl');
    assert.equal(msg.author.userId, 's1');
    assert.equal(msg.seq, ack.seq);
    assert.equal(msg.clientMsgId, sending.clientMsgId, 'the event names the sender\'s client message id');
    assert.equal(tRoom.seq, ack.seq);

    // Reply, edit, react, delete: each a sequenced event the other side sees.
    const replied = nextEvent(sRoom, 'chatPosted', (m) => m.replyTo === ack.seq);
    await tRoom.reply(ack.seq, 'Witaj!');
    assert.equal((await replied).text, 'Witaj!');
    const edited = nextEvent(tRoom, 'chatEdited');
    await sRoom.edit(ack.seq, 'Dzień dobry!');
    assert.deepEqual({ ...(await edited) }, { messageSeq: ack.seq, text: 'Dzień dobry!' });
    const reacted = nextEvent(sRoom, 'reactionChanged');
    await tRoom.react(ack.seq, '👍');
    const reaction = await reacted;
    assert.equal(reaction.reaction, '👍');
    assert.equal(reaction.added, true);
    assert.equal(reaction.userId, 't1');
    const deleted = nextEvent(tRoom, 'chatDeleted');
    await sRoom.deleteMessage(ack.seq);
    assert.equal((await deleted).messageSeq, ack.seq);

    const page = await sRoom.history({ limit: 10 });
    assert.ok(page.messages.some((m) => m.text === 'Witaj!'));
  });

  it('rejects a refused request with a typed PonteError carrying the stable code', async () => {
    const teacher = client({ user: 't2', rooms: { mod: 'teacher' } });
    const student = client({ user: 's2', rooms: { mod: 'student' } });
    const tRoom = await teacher.join('mod');
    const sRoom = await student.join('mod');

    // A student may not use teacher actions.
    const denied = await sRoom.lock(true).then(() => null, (e) => e);
    assert.ok(denied instanceof PonteError, `expected a PonteError, got ${denied}`);
    assert.equal(denied.code, 1300);
    assert.equal(denied.codeName, 'PERMISSION_DENIED');
    assert.equal(denied.group, 'permissions');
    assert.equal(denied.retryable, false);
    assert.ok(PonteError.is(denied, 'PERMISSION_DENIED'));

    // A muted student's post is refused with MUTED; the outbox entry ends failed.
    const muted = nextEvent(sRoom, 'participantMuted');
    await tRoom.mute('s2', true);
    assert.equal((await muted).userId, 's2');
    assert.ok(sRoom.mutedUserIds.has('s2'));
    const post = sRoom.post('can anyone hear me?');
    const err = await post.then(() => null, (e) => e);
    assert.ok(PonteError.is(err, 'MUTED'), `expected MUTED, got ${err}`);
    assert.equal(err.code, pb.ErrorCode.MUTED);
    assert.equal(err.roomId, 'mod');
    assert.equal(post.entry.state, 'failed');
    assert.equal(student.outbox.length, 0, 'a refused entry leaves the outbox');

    // A newcomer to a locked room: refused (retryable later), the room is not kept.
    await tRoom.lock(true);
    const newcomer = client({ user: 's2b', rooms: { mod: 'student' } });
    const locked = await newcomer.join('mod').then(() => null, (e) => e);
    assert.ok(PonteError.is(locked, 'ROOM_LOCKED'), `got ${locked}`);
    assert.equal(locked.retryable, true);
    assert.equal(newcomer.room('mod'), undefined);
    await tRoom.lock(false);
    assert.equal((await newcomer.join('mod')).state, 'joined');

    // Joining a room the token does not grant.
    const notAllowed = await student.join('bio').then(() => null, (e) => e);
    assert.ok(PonteError.is(notAllowed, 'ROOM_NOT_ALLOWED'), `got ${notAllowed}`);
    assert.equal(student.room('bio'), undefined);
  });

  it('carries several rooms on one connection, each with its own events', async () => {
    const net = controlledNetwork();
    const student = client({ user: 's3', rooms: { 'geo': 'student', 'art': 'student' }, WebSocket: net.WebSocket });
    const teacher = client({ user: 't3', rooms: { 'geo': 'teacher', 'art': 'teacher' } });
    const [geo, art] = await Promise.all([student.join('geo'), student.join('art')]);
    const [tGeo, tArt] = await Promise.all([teacher.join('geo'), teacher.join('art')]);
    const geoTexts = chatTexts(geo);
    const artTexts = chatTexts(art);
    const all = [];
    student.on('event', (e, room) => {
      if (e.body === 'chatPosted') all.push(`${room.roomId}:${e.chatPosted.text}`);
    });
    await tGeo.post('rivers');
    await tArt.post('colours');
    await tGeo.post('mountains');
    await waitFor(() => geoTexts.length === 2 && artTexts.length === 1, 'the student to get all three');
    assert.deepEqual(geoTexts, ['rivers', 'mountains']);
    assert.deepEqual(artTexts, ['colours']);
    assert.deepEqual(all, ['geo:rivers', 'art:colours', 'geo:mountains']);
    assert.equal(net.opened, 1, 'both rooms on one WebSocket');
    assert.deepEqual(student.rooms.map((r) => r.roomId).sort(), ['art', 'geo']);

    // Leaving one room keeps the other.
    await art.leave();
    assert.equal(art.state, 'left');
    assert.equal(student.room('art'), undefined);
    await tGeo.post('lakes');
    await waitFor(() => geoTexts.length === 3, 'geo to stay live');
  });

  it('keeps "ask the teacher" private, shows presence and typing', async () => {
    const teacher = client({ user: 't4', rooms: { ask: 'teacher' } });
    const s1 = client({ user: 's4', name: 'Iris', rooms: { ask: 'student' } });
    const s2 = client({ user: 's5', rooms: { ask: 'student' } });
    const tRoom = await teacher.join('ask');
    const r1 = await s1.join('ask');
    const r2 = await s2.join('ask');

    const teacherGot = nextEvent(tRoom, 'chatPosted');
    const otherSkipped = nextEvent(r2, 'skipped');
    const ack = await r1.askTeacher('I do not understand the homework');
    assert.equal((await teacherGot).toTeachers, true);
    await otherSkipped;
    assert.equal(r2.seq, ack.seq, 'a skipped seq still advances the room');

    const typing = nextEvent(tRoom, 'typing', (t) => t.userId === 's4');
    assert.equal(r1.typing(true), true);
    assert.equal((await typing).typing, true);

    const away = nextEvent(tRoom, 'presence', (p) => p.participant.userId === 's4'
      && p.participant.state === pb.PresenceState.AWAY);
    r1.setPresence('away');
    await away;
    assert.equal(tRoom.participants.get('s4').state, pb.PresenceState.AWAY);

    const left = nextEvent(tRoom, 'presence', (p) => p.participant.userId === 's5'
      && p.kind === pb.PresenceChanged.Kind.LEFT);
    s2.close();
    await left;
    assert.ok(!tRoom.participants.has('s5'));
  });

  it('takes a removed student out of the room for good, and refuses a rejoin with BANNED', async () => {
    const teacher = client({ user: 't6', rooms: { ban: 'teacher', 'ban-other': 'teacher' } });
    const student = client({ user: 's6', rooms: { ban: 'student', 'ban-other': 'student' } });
    const tRoom = await teacher.join('ban');
    const tOther = await teacher.join('ban-other');
    const sRoom = await student.join('ban');
    const sOther = await student.join('ban-other');
    const otherTexts = chatTexts(sOther);
    const left = nextEvent(sRoom, 'left');
    const closing = nextEvent(student, 'state', (s) => s.state !== 'open');
    const removedSeen = nextEvent(tRoom, 'participantRemoved');
    await tRoom.removeParticipant('s6');
    assert.equal((await removedSeen).userId, 's6');
    assert.ok(tRoom.bannedUserIds.has('s6'));
    assert.equal((await left).reasonName, 'LEFT_REMOVED');
    assert.equal(sRoom.state, 'left');
    const late = await sRoom.post('let me back in').then(() => null, (e) => e);
    assert.equal(late?.name, 'PonteClosedError');

    // The server closes the connection with REMOVED (4200): final for that room only; the
    // connection comes back for the student's other room.
    assert.equal((await closing).codeName, 'REMOVED');
    await waitFor(() => student.state === 'open' && sOther.state === 'joined', 'the other room to resume');
    await tOther.post('still here');
    await waitFor(() => otherTexts.includes('still here'), 'the other room to stay live');
    const again = await student.join('ban').then(() => null, (e) => e);
    assert.ok(PonteError.is(again, 'BANNED'), `got ${again}`);

    await tRoom.liftBan('s6');
    const back = await student.join('ban');
    assert.equal(back.state, 'joined');

    // A connection in no other room gives up on 4200.
    const solo = client({ user: 's7', rooms: { ban: 'student' } });
    await solo.join('ban');
    const closed = nextEvent(solo, 'state', (s) => s.state === 'closed');
    await tRoom.removeParticipant('s7');
    assert.equal((await closed).code, 4200);
  });
});
