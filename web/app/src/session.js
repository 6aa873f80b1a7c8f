// The app's link to the SDK: one PonteClient, one Room, and the SDK's protobuf objects turned
// into the JSON-mapping shape the RoomModel keeps (camelCase, 64-bit numbers as strings, enums
// by name). Connection states become what the banner shows.
import { PonteClient, pb } from '../../sdk/src/index.js';
import { Emitter } from '../../sdk/src/emitter.js';
import { attachBoards } from './board/room-boards.js';

// The enums the app reads, by field name (the SDK's generated code has no toObject: --no-convert).
const ENUMS = {
  role: pb.Role, state: pb.PresenceState, kind: pb.PresenceChanged.Kind, status: pb.PollStatus, reason: pb.HandLowered.Reason,
  capability: pb.Capability, grant: pb.Grant, effective: pb.Capability,
};
// Field names that mean another enum inside a given parent field (checked first).
const NESTED_ENUMS = {
  'lobby.mode': pb.LobbyMode, 'settings.lobby': pb.LobbyMode, 'lobbyModeChanged.mode': pb.LobbyMode,
  'lobbyLeft.reason': pb.LobbyLeft.Reason, 'lobbyStatus.state': pb.LobbyStatus.State,
  'report.reason': pb.ReportReason, 'reports.reason': pb.ReportReason, 'report.status': pb.ReportStatus,
  'reports.status': pb.ReportStatus, 'reportResolved.status': pb.ReportStatus,
  'breakoutsChanged.kind': pb.BreakoutsChanged.Kind, 'round.assignment': pb.BreakoutRound.Assignment,
  'open.assignment': pb.BreakoutRound.Assignment, 'closed.assignment': pb.BreakoutRound.Assignment,
};

/** A decoded message as plain data: set fields only, 64-bit numbers as strings, enums by name. */
export function plain(value, key, parent) {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number') {
    const e = NESTED_ENUMS[`${parent}.${key}`] || ENUMS[key];
    if (e) return e[value] ?? value;
    return Number.isInteger(value) && /(seq|Seq|Ms|To)$/.test(key || '') ? String(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => plain(v, key, parent));
  if (typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out = {};
  for (const k of Object.keys(value)) out[k] = plain(value[k], k, key);
  return out;
}

/**
 * Events: 'state' {status: connecting|online|reconnecting|offline|closed, attempt, closeCode,
 * reason, error, resumed}; 'welcome' (User); 'joined' (Joined, missed events already delivered
 * through 'event'); 'event' (Event); 'left' {reason}; 'joinError' (PonteError, retryable ones
 * while the SDK keeps trying).
 */
export function createSession({ token, roomId }) {
  const out = new Emitter();
  const client = new PonteClient({ token, clientName: 'ponte-web/0.1.0' });
  let room = null;
  let wasDown = false;

  client.on('state', (info) => {
    const status = info.state === 'open' ? 'online' : info.state === 'idle' ? 'connecting' : info.state;
    if (status === 'reconnecting' || status === 'offline') wasDown = true;
    out.emit('state', { status, attempt: info.attempt, closeCode: info.code, reason: info.reason, error: info.error });
  });
  client.on('welcome', (w) => out.emit('welcome', { userId: w.user?.userId || '', displayName: w.user?.displayName || '' }));

  let everJoined = false;
  let knocks = 0;
  let knockTimer = null;
  function knockAgain(minMs) {
    clearTimeout(knockTimer);
    const cap = Math.min(15_000, 1000 * 2 ** Math.min(knocks++, 4));
    knockTimer = setTimeout(() => {
      client.join(roomId).catch(() => { /* reported through 'left' again */ });
      attach(client.room(roomId));
    }, Math.max(minMs, 500 + Math.random() * cap));
  }

  function attach(r) {
    if (!r || r === room) return;
    room = r;
    // The board state follows the room from its first Joined (no UI code, a few KiB): the
    // whiteboard panel, loaded later, then needs no second connection for a fresh snapshot.
    attachBoards(r);
    r.on('joined', ({ joined, resumed, reset }) => {
      everJoined = true;
      knocks = 0;
      const j = plain(joined);
      // Missed events went out one by one through 'event' before this; only the rest is new.
      if (!reset) j.missed = [];
      out.emit('joined', j);
      if (resumed && wasDown) {
        wasDown = false;
        out.emit('state', { status: 'online', resumed: true, attempt: 0 });
      }
    });
    r.on('event', (ev) => out.emit('event', plain(ev)));
    // While the Join waits in the lobby: its place, then ADMITTED (Joined follows) or DENIED.
    r.on('lobby', (status) => out.emit('lobby', plain(status, 'lobbyStatus')));
    r.on('left', ({ reasonName, error }) => {
      if (error) {
        out.emit('joinError', error);
        // The SDK hands a first join refused for the room's state (locked, full) to the app: the
        // door says so and knocks again, with backoff and jitter, until the room lets us in.
        if (error.retryable && !everJoined) knockAgain(error.retryAfterMs || 0);
      } else {
        out.emit('left', { reason: reasonName });
      }
    });
    r.on('error', (err) => {
      if (r.state === 'joining' || r.state === 'rejoining') out.emit('joinError', err);
    });
  }

  const need = () => {
    if (!room) throw new Error('not joined yet');
    return room;
  };

  return Object.assign(out, {
    client,
    get room() { return room; },
    start() {
      client.join(roomId).catch(() => { /* reported through 'left' / 'state' */ });
      attach(client.room(roomId));
    },
    post({ text, language, replyTo, toTeachers, clientMsgId }) {
      return need().post(text, { language, replyTo: Number(replyTo || 0), toTeachers: !!toTeachers, clientMsgId })
        .then((ack) => ({ seq: String(ack.seq), duplicate: !!ack.duplicate }));
    },
    edit: (seq, text) => need().edit(Number(seq), text),
    remove: (seq) => need().deleteMessage(Number(seq)),
    react: (seq, reaction, add) => need().react(Number(seq), reaction, { add }),
    teacher: (action) => need().teacherAction(action),
    /** A HandRequest op: {raise: {}} | {lower: {userId, raisedSeq}} | {lowerAll: {}}. */
    hand: (op) => need().send('hand', op),
    /** A PollRequest op for pollId: {create: {...}} | {open: {}} | {close: {}} | {share: {}} | {delete: {}} | {answer: {choices}}. */
    poll: (pollId, op) => need().send('poll', { pollId, ...op }),
    /** A BreakoutRequest op: {create: {names, assignment (name), durationMs}} | {broadcast: {text}} | {close: {roundSeq}} | ... */
    breakout: (op) => need().send('breakout', op.create
      ? { create: { ...op.create, assignment: pb.BreakoutRound.Assignment[op.create.assignment] } }
      : op.close ? { close: { roundSeq: Number(op.close.roundSeq || 0) } } : op),
    /** A LobbyRequest op: {admit: {userId}} | {deny: {userId}} | {admitAll: {}} | {denyAll: {}} | {setMode: {mode}}. */
    lobby: (op) => need().send('lobby', op),
    /** Files a report: target {messageSeq} | {userId}, reason a ReportReason name. */
    report: (target, reason, text) => need().report(
      target.messageSeq ? { messageSeq: Number(target.messageSeq) } : target, pb.ReportReason[reason], { text }),
    resolveReport: (reportSeq, status) => need().resolveReport(Number(reportSeq), pb.ReportStatus[status]),
    /** A permissions change: userId '' for the room's defaults; grants [{capability, grant}] by name. */
    permissions: (userId, grants) => need().send('permissions', {
      userId, grants: grants.map((g) => ({ capability: pb.Capability[g.capability], grant: pb.Grant[g.grant] })),
    }),
    async audit(beforeId = 0, limit = 30) {
      return plain(await need().readAudit({ beforeId: Number(beforeId || 0), limit }), 'auditPage');
    },
    async history(beforeSeq, limit = 50) {
      const page = await need().history({ beforeSeq: Number(beforeSeq || 0), limit });
      return plain(page);
    },
    typing: (on) => room?.typing(on),
    presence: (state) => room?.setPresence(state === 'AWAY' ? 'away' : 'active'),
    setLowBandwidth: (on) => room?.setLiveInk(!on).catch(() => {}),
    close: () => client.close(),
  });
}
