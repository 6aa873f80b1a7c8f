// RoomModel: snapshots replace, missed events apply once, pending sends become messages once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoomModel } from '../src/room-model.js';

const me = { userId: 'u-s', displayName: 'Zofia' };
const msg = (seq, text, extra = {}) => ({ seq: String(seq), text, author: { userId: 'u-t', displayName: 'Ana', role: 'TEACHER' }, postedMs: '1', ...extra });
const joined = (extra = {}) => ({
  roomId: 'r', epoch: 'e1', seq: '2', reset: true, role: 'STUDENT',
  snapshot: { settings: { title: 'Bio', languages: ['nl', 'pl'] }, studentChatEnabled: true, recentMessages: [msg(1, 'a'), msg(2, 'b')], moreHistory: true },
  participants: [{ userId: 'u-t', displayName: 'Ana', role: 'TEACHER', state: 'ACTIVE' }],
  ...extra,
});

test('a snapshot replaces what the model held', () => {
  const m = new RoomModel('r', me);
  m.applyJoined(joined());
  m.applyEvent({ seq: '3', chatPosted: msg(3, 'c') });
  m.applyJoined(joined());
  assert.deepEqual(m.orderedMessages().map((x) => x.text), ['a', 'b']);
  assert.equal(m.moreHistory, true);
  assert.deepEqual(m.settings.languages, ['nl', 'pl']);
});

test('a pending post leaves when its event arrives, before or after the ack, and appears once', () => {
  const m = new RoomModel('r', me);
  m.applyJoined(joined());
  m.addPending({ clientMsgId: 'c1', text: 'hi' });
  m.addPending({ clientMsgId: 'c2', text: 'ho' });
  m.applyEvent({ seq: '3', chatPosted: msg(3, 'hi', { author: { userId: 'u-s' }, clientMsgId: 'c1' }) });
  m.acked('c1', '3');
  m.acked('c2', '4');
  assert.equal(m.pending.size, 1);
  m.applyEvent({ seq: '4', chatPosted: msg(4, 'ho', { author: { userId: 'u-s' }, clientMsgId: 'c2' }) });
  assert.equal(m.pending.size, 0);
  m.applyEvent({ seq: '4', chatPosted: msg(4, 'ho', { author: { userId: 'u-s' }, clientMsgId: 'c2' }) });
  assert.deepEqual(m.orderedMessages().map((x) => x.text), ['a', 'b', 'hi', 'ho']);
});

test('mute, student chat and observers block the composer with a reason', () => {
  const m = new RoomModel('r', me);
  m.applyJoined(joined());
  assert.equal(m.chatBlockedReason(), null);
  m.applyEvent({ seq: '3', participantMuted: { userId: 'u-s', muted: true } });
  assert.equal(m.chatBlockedReason(), 'composer.blocked.muted');
  m.applyEvent({ seq: '4', participantMuted: { userId: 'u-s', muted: false } });
  m.applyEvent({ seq: '5', studentChatChanged: { enabled: false } });
  assert.equal(m.chatBlockedReason(), 'composer.blocked.chatOff');
  m.role = 'TEACHER';
  assert.equal(m.chatBlockedReason(), null);
});

test('edits, deletions and reactions change the message in place; history pages go before', () => {
  const m = new RoomModel('r', me);
  m.applyJoined(joined());
  m.applyEvent({ seq: '3', chatEdited: { messageSeq: '2', text: 'B' } });
  m.applyEvent({ seq: '4', reactionChanged: { messageSeq: '2', reaction: '👍', added: true, userId: 'u-s' } });
  m.applyEvent({ seq: '5', reactionChanged: { messageSeq: '2', reaction: '👍', added: true, userId: 'u-t' } });
  m.applyEvent({ seq: '6', reactionChanged: { messageSeq: '2', reaction: '👍', added: false, userId: 'u-t' } });
  m.applyEvent({ seq: '7', chatDeleted: { messageSeq: '1' } });
  m.addHistory({ messages: [msg(0, 'z')], more: false });
  const [z, a, b] = m.orderedMessages();
  assert.equal(z.text, 'z');
  assert.equal(a.deleted, true);
  assert.equal(b.text, 'B');
  assert.deepEqual(b.reactions, [{ reaction: '👍', userIds: ['u-s'] }]);
  assert.equal(m.moreHistory, false);
});

test('typing: shown for others, expires, and ends when the typist posts', () => {
  const m = new RoomModel('r', me);
  m.applyJoined(joined());
  m.applyEvent({ typing: { userId: 'u-t', typing: true } });
  m.applyEvent({ typing: { userId: 'u-s', typing: true } });
  assert.deepEqual(m.typingNames(), ['Ana']);
  m.applyEvent({ seq: '3', chatPosted: msg(3, 'done') });
  assert.deepEqual(m.typingNames(), []);
  m.applyEvent({ typing: { userId: 'u-t', typing: true } });
  m.typing.set('u-t', Date.now() - 1);
  assert.deepEqual(m.typingNames(), []);
});

test('raised hands: the snapshot queue, then raises, lowers, lower-all and removals, in order', () => {
  const m = new RoomModel('r', me);
  const hand = (userId, seq) => ({ userId, displayName: userId, raisedSeq: String(seq), raisedMs: '1' });
  m.applyJoined(joined({ snapshot: { ...joined().snapshot, raisedHands: [hand('u-a', 1), hand('u-b', 2)] } }));
  assert.deepEqual(m.hands.map((x) => x.userId), ['u-a', 'u-b']);
  m.applyEvent({ seq: '3', handRaised: { hand: hand('u-s', 3) } });
  assert.deepEqual(m.handOf('u-s'), { hand: hand('u-s', 3), position: 3 });
  m.applyEvent({ seq: '4', handLowered: { userId: 'u-a', reason: 'LOWERED_BY_TEACHER' } });
  assert.equal(m.handOf('u-s').position, 2);
  m.applyEvent({ seq: '5', participantRemoved: { userId: 'u-b' } });
  assert.deepEqual(m.hands.map((x) => x.userId), ['u-s']);
  m.applyEvent({ seq: '6', handLowered: { all: true } });
  assert.deepEqual(m.hands, []);
  assert.equal(m.handOf('u-s'), null);
});

test('polls: opened for students, closed, results shared; teachers keep counts across open', () => {
  const m = new RoomModel('r', me);
  m.applyJoined(joined());
  m.applyEvent({ seq: '3', pollChanged: { pollId: 'p1', opened: { pollId: 'p1', question: 'Q?', options: ['a', 'b'], status: 'POLL_STATUS_OPEN' } } });
  assert.equal(m.polls.get('p1').status, 'POLL_STATUS_OPEN');
  m.applyEvent({ seq: '4', pollChanged: { pollId: 'p1', closed: {} } });
  assert.equal(m.polls.get('p1').status, 'POLL_STATUS_CLOSED');
  m.applyEvent({ seq: '5', pollResults: { pollId: 'p1', counts: { perOption: [2, 1], voters: 3 }, correctOptions: [0] } });
  const p = m.polls.get('p1');
  assert.equal(p.resultsShared, true);
  assert.deepEqual(p.counts, { perOption: [2, 1], voters: 3 });
  assert.deepEqual(p.correctOptions, [0]);
  m.applyEvent({ seq: '6', pollChanged: { pollId: 'p1', deleted: {} } });
  assert.equal(m.polls.size, 0);

  const t = new RoomModel('r', { userId: 'u-t' });
  t.applyJoined(joined({ role: 'TEACHER' }));
  t.applyEvent({ seq: '3', pollChanged: { pollId: 'p2', created: { pollId: 'p2', question: 'Q', options: ['x', 'y'], status: 'POLL_STATUS_DRAFT', counts: { perOption: [0, 0] } } } });
  t.applyEvent({ seq: '4', pollChanged: { pollId: 'p2', opened: { pollId: 'p2', question: 'Q', options: ['x', 'y'], status: 'POLL_STATUS_OPEN' } } });
  t.applyEvent({ seq: '5', pollCounts: { pollId: 'p2', counts: { perOption: [0, 1], voters: 1 }, ballot: { userId: 'u-s', choices: [1] } } });
  assert.equal(t.polls.get('p2').status, 'POLL_STATUS_OPEN');
  assert.deepEqual(t.polls.get('p2').counts, { perOption: [0, 1], voters: 1 });
  assert.equal(t.polls.get('p2').ballots.length, 1);
});

test('the lobby queue follows knocks, admissions, denials and mode changes', () => {
  const m = new RoomModel('r', me);
  m.applyJoined({ role: 'TEACHER', reset: true, snapshot: { lobby: { mode: 'LOBBY_GUESTS', waiting: [{ userId: 'g1', displayName: 'Gil', guest: true }] } }, participants: [] });
  assert.equal(m.lobbyMode, 'LOBBY_GUESTS');
  const topics = [];
  m.subscribe((topic) => topics.push(topic));
  m.applyEvent({ lobbyKnocked: { entry: { userId: 'g2', displayName: 'Gus', guest: true } } });
  m.applyEvent({ lobbyKnocked: { entry: { userId: 'g3', displayName: 'Gwen' } } });
  assert.deepEqual(m.lobbyWaiting.map((e) => e.userId), ['g1', 'g2', 'g3']);
  m.applyEvent({ lobbyLeft: { userIds: ['g2'], reason: 'ADMITTED' } });
  assert.deepEqual(m.lobbyWaiting.map((e) => e.userId), ['g1', 'g3']);
  m.applyEvent({ lobbyModeChanged: { mode: 'LOBBY_OFF', admittedUserIds: ['g1', 'g3'] } });
  assert.equal(m.lobbyMode, 'LOBBY_OFF');
  assert.deepEqual(m.lobbyWaiting, []);
  assert.ok(topics.includes('lobby'));
});

test('reports: filed and resolved; open ones first, oldest first', () => {
  const m = new RoomModel('r', me);
  m.applyJoined({ role: 'TEACHER', reset: true, snapshot: { reports: [{ reportSeq: 5, reason: 'SPAM', status: 'REPORT_OPEN' }] }, participants: [] });
  m.applyEvent({ reportFiled: { report: { reportSeq: '9', reason: 'HARASSMENT', status: 'REPORT_OPEN', reporterName: 'Zofia' } } });
  m.applyEvent({ reportResolved: { reportSeq: '5', status: 'REPORT_DISMISSED', resolvedByName: 'Ana' } });
  m.applyEvent({ reportFiled: { report: { reportSeq: '12', reason: 'SPAM', status: 'REPORT_OPEN' } } });
  assert.deepEqual(m.orderedReports().map((r) => r.reportSeq), ['9', '12', '5']);
  assert.equal(m.reports.get('5').resolvedByName, 'Ana');
});

test('capabilities: teachers all, observers none, students override else default; chat denied blocks the composer', () => {
  const m = new RoomModel('r', me);
  m.applyJoined({
    role: 'STUDENT', reset: true, participants: [{ userId: 'u-s', role: 'STUDENT' }, { userId: 't', role: 'TEACHER' }, { userId: 'o', role: 'OBSERVER' }],
    snapshot: { studentChatEnabled: true, permissions: {
      effective: ['CAPABILITY_CHAT'],
      studentDefaults: [{ capability: 'CAPABILITY_CHAT', grant: 'GRANT_ALLOW' }, { capability: 'CAPABILITY_WHITEBOARD', grant: 'GRANT_DENY' }],
    } },
  });
  assert.equal(m.can('CAPABILITY_CHAT'), true);
  assert.equal(m.can('CAPABILITY_WHITEBOARD'), false);
  assert.equal(m.can('CAPABILITY_WHITEBOARD', 't'), true);
  assert.equal(m.can('CAPABILITY_CHAT', 'o'), false);
  assert.equal(m.chatBlockedReason(), null);
  m.applyEvent({ permissionsChanged: { userId: 'u-s', override: { userId: 'u-s', grants: [{ capability: 'CAPABILITY_CHAT', grant: 'GRANT_DENY' }] } } });
  assert.equal(m.can('CAPABILITY_CHAT'), false);
  assert.equal(m.chatBlockedReason(), 'composer.blocked.capability');
  assert.equal(m.overrideOf('u-s', 'CAPABILITY_CHAT'), 'GRANT_DENY');
  // The override removed: the default applies again; then the default changes.
  m.applyEvent({ permissionsChanged: { userId: 'u-s', override: { userId: 'u-s', grants: [] } } });
  assert.equal(m.chatBlockedReason(), null);
  m.applyEvent({ permissionsChanged: { studentDefaults: [{ capability: 'CAPABILITY_CHAT', grant: 'GRANT_DENY' }] } });
  assert.equal(m.chatBlockedReason(), 'composer.blocked.capability');
});

test('breakouts: the snapshot and events say where I am; a broadcast is a notice; close clears the round', () => {
  const m = new RoomModel('r', me);
  const round = {
    roundSeq: 5, endsAtMs: 0, breakouts: [{ roomId: 'r~b5-1', name: 'Room 1' }, { roomId: 'r~b5-2', name: 'Room 2' }],
    places: [{ userId: 'u-s', displayName: 'Zofia', roomId: 'r~b5-2' }],
  };
  m.applyJoined(joined({ snapshot: { ...joined().snapshot, breakouts: { open: round, closed: [] } } }));
  assert.equal(m.breakoutOf().name, 'Room 2');
  const seen = [];
  m.subscribe((topic, detail) => { if (topic === 'breakouts') seen.push(detail); });
  m.applyEvent({ seq: '3', breakoutMoved: { roundSeq: '5', place: { userId: 'u-s', displayName: 'Zofia', roomId: 'r~b5-1' } } });
  assert.equal(m.breakoutOf().name, 'Room 1');
  assert.equal(m.breakoutRound.places.length, 1);
  // A move for another round changes nothing.
  m.applyEvent({ seq: '4', breakoutMoved: { roundSeq: '4', place: { userId: 'u-s', roomId: '' } } });
  assert.equal(m.breakoutOf().name, 'Room 1');
  m.applyEvent({ seq: '5', breakoutBroadcast: { roundSeq: '5', text: 'Two minutes' } });
  assert.equal(seen.at(-1).broadcast, 'Two minutes');
  m.applyEvent({ seq: '6', breakoutMoved: { roundSeq: '5', place: { userId: 'u-s', roomId: '' } } });
  assert.equal(m.breakoutOf(), null);
  m.applyEvent({ seq: '7', breakoutsChanged: { kind: 'CLOSED', round: { ...round, closed: true } } });
  assert.equal(m.breakoutRound, null);
  assert.equal(seen.at(-1).closed, true);
});

test('an erased participant\'s messages become placeholders under the pseudonym', () => {
  const m = new RoomModel('r', me);
  m.applyJoined(joined());
  m.applyEvent({ seq: '3', participantErased: { pseudonym: 'erased-0123', messageSeqs: ['1', '2'] } });
  const [a, b] = m.orderedMessages();
  for (const x of [a, b]) {
    assert.equal(x.deleted, true);
    assert.equal(x.text, '');
    assert.equal(x.author.userId, 'erased-0123');
    assert.equal(x.author.displayName, '');
  }
});
