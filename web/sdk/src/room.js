import { Emitter } from './emitter.js';
import { pb, enumName } from './proto.js';
import { PonteClosedError, PonteError, PonteTimeoutError } from './errors.js';
import { newClientMsgId } from './outbox.js';
import { Backoff } from './backoff.js';

/**
 * @typedef {'joining'|'joined'|'rejoining'|'left'} RoomState
 *   joining: the first Join is on its way; joined: live on the current connection; rejoining:
 *   after a drop or a seq gap, waiting for the connection and the Joined that resumes it; left:
 *   final (left by request, removed, session ended, room closed, or refused).
 */

/**
 * @typedef {Promise<any> & {clientMsgId: string, entry: import('./outbox.js').OutboxEntry}} PendingSend
 *   Settles with the Ack ({seq, duplicate}) or a PonteError / PonteTimeoutError /
 *   PonteClosedError; `clientMsgId` matches the event the operation produces
 *   (ChatMessage.clientMsgId, BoardChanged.clientMsgId).
 */

/**
 * One room on a {@link PonteClient}: its events, its state as far as the SDK keeps it (seq, epoch,
 * role, participants, settings, moderation, documents), and helpers for its requests.
 *
 * Events (`room.on(name, listener)`):
 * - every Event body by its field name, with `(body, event)`: chatPosted, chatEdited,
 *   chatDeleted, reactionChanged, participantMuted, participantRemoved, banLifted, roomLocked,
 *   studentChatChanged, sessionEnded, roomClosed, docCreated, docUpdated, docReadOnlyChanged,
 *   boardChanged, skipped, and the ephemeral presence, typing, docAwareness, boardInk;
 * - 'event' `(event)` for every one of them, in order (durable ones gap-free, never twice);
 * - 'joined' `({joined, resumed, reset})` for every Joined (first join, resume, rejoin);
 * - 'reset' `({snapshot, seq, epoch, participants, role})` when a Joined replaced state the
 *   client held (history gap, new epoch): drop local state and rebuild it from the snapshot;
 * - 'participants' `(participants)` when the presence list changed;
 * - 'lobby' `(LobbyStatus)` while the Join waits in the room's lobby (its `position`, then
 *   ADMITTED or DENIED): the Join has no timeout meanwhile, and `room.lobby` holds the last one;
 * - 'state' `(state)`; 'left' `({reason, reasonName, error})`; 'error' `(PonteError)` for a
 *   refused message that had no promise (typing, presence, ink, awareness).
 */
export class Room extends Emitter {
  /**
   * @param {import('./client.js').PonteClient} client
   * @param {string} roomId
   * @param {{lastSeq?: number, epoch?: string}} [resumeFrom] state kept from an earlier session
   */
  constructor(client, roomId, resumeFrom = {}) {
    super();
    /** @internal */
    this._client = client;
    this.roomId = roomId;
    /** @type {RoomState} */
    this.state = 'joining';
    /** The highest seq processed: every durable event up to it was delivered, in order. */
    this.seq = resumeFrom.lastSeq || 0;
    /** The epoch of the last Joined; sent back when resuming. */
    this.epoch = resumeFrom.epoch || '';
    /** This user's role here: 'TEACHER', 'STUDENT' or 'OBSERVER' ('' before the first Joined). */
    this.role = '';
    /** @type {Map<string, ponte.v1.Participant>} by user id; presence, always current */
    this.participants = new Map();
    /** @type {ponte.v1.RoomSnapshot|null} the last snapshot (first join or reset) */
    this.snapshot = null;
    /** @type {ponte.v1.LobbyStatus|null} the last lobby status while the Join waited */
    this.lobby = null;
    /** @type {ponte.v1.RoomSettings|null} */
    this.settings = null;
    this.locked = false;
    this.studentChatEnabled = true;
    this.ended = false;
    this.closed = false;
    /** @type {Set<string>} */
    this.mutedUserIds = new Set();
    /** @type {Set<string>} */
    this.bannedUserIds = new Set();
    /** @type {Map<string, ponte.v1.DocumentInfo>} the room's documents, by id */
    this.documents = new Map();
    /** @internal the connection the room is live on (null: not live) */
    this._liveOn = null;
    /** @internal */
    this._presence = pb.PresenceState.ACTIVE;
    /** @internal */
    this._liveInkOff = false;
    /** @internal */
    this._joinRetry = null;
    /** @internal */
    this._joinBackoff = new Backoff(client._backoffOptions);
    /** @internal whether a Joined ever came */
    this._everJoined = false;
    /** @internal settles the promise of client.join() */
    this._joinedOnce = null;
    this._joinPromise = new Promise((resolve, reject) => {
      this._joinedOnce = { resolve, reject };
    });
    this._joinPromise.catch(() => {});
  }

  /** Whether the room is live on the current connection (events flow, requests go out). */
  get live() {
    return this._liveOn !== null && this._liveOn === this._client._conn;
  }

  // -------------------------------------------------------------------------------------------
  // Chat
  // -------------------------------------------------------------------------------------------

  /**
   * Posts a chat message (through the outbox: exactly once, also when sent offline).
   * @param {string} text
   * @param {{language?: string, replyTo?: number, toTeachers?: boolean, clientMsgId?: string}} [options]
   * @returns {PendingSend}
   */
  post(text, { language = '', replyTo = 0, toTeachers = false, clientMsgId } = {}) {
    return this.send('chatPost', { text, language, replyTo, toTeachers }, clientMsgId);
  }

  /**
   * Answers message `messageSeq`.
   * @param {number} messageSeq
   * @param {string} text
   * @param {{language?: string, toTeachers?: boolean, clientMsgId?: string}} [options]
   */
  reply(messageSeq, text, options = {}) {
    return this.post(text, { ...options, replyTo: messageSeq });
  }

  /**
   * "Ask the teacher": only the sender and the room's teachers receive the text (others see
   * the seq as skipped).
   * @param {string} text
   * @param {{language?: string, replyTo?: number, clientMsgId?: string}} [options]
   */
  askTeacher(text, options = {}) {
    return this.post(text, { ...options, toTeachers: true });
  }

  /**
   * @param {number} messageSeq
   * @param {string} text
   * @param {{clientMsgId?: string}} [options]
   */
  edit(messageSeq, text, { clientMsgId } = {}) {
    return this.send('chatEdit', { messageSeq, text }, clientMsgId);
  }

  /**
   * @param {number} messageSeq
   * @param {{clientMsgId?: string}} [options]
   */
  deleteMessage(messageSeq, { clientMsgId } = {}) {
    return this.send('chatDelete', { messageSeq }, clientMsgId);
  }

  /**
   * Adds (or with add=false removes) the caller's reaction to a message.
   * @param {number} messageSeq
   * @param {string} reaction one emoji or a short name (at most 32 characters)
   * @param {{add?: boolean, clientMsgId?: string}} [options]
   */
  react(messageSeq, reaction, { add = true, clientMsgId } = {}) {
    return this.send('chatReact', { messageSeq, reaction, add }, clientMsgId);
  }

  /**
   * Older chat messages: the newest `limit` with seq < beforeSeq (0: from the newest), oldest first.
   * @param {{beforeSeq?: number, limit?: number, timeoutMs?: number}} [options]
   * @returns {Promise<ponte.v1.HistoryPage>}
   */
  async history({ beforeSeq = 0, limit = 50, timeoutMs } = {}) {
    const msg = await this.request({ history: { roomId: this.roomId, beforeSeq, limit } }, { timeoutMs });
    return msg.history;
  }

  // -------------------------------------------------------------------------------------------
  // Presence and typing (ephemeral: sent only while live, never queued)
  // -------------------------------------------------------------------------------------------

  /**
   * Typing indicator. Returns whether it was sent (it is dropped while not live).
   * @param {boolean} [typing]
   */
  typing(typing = true) {
    return this._client._sendEphemeral(this, { typing: { roomId: this.roomId, typing } });
  }

  /**
   * Away or active. Remembered and sent again after a reconnect.
   * @param {'active'|'away'} state
   */
  setPresence(state) {
    const value = state === 'away' ? pb.PresenceState.AWAY : pb.PresenceState.ACTIVE;
    this._presence = value;
    return this._client._sendEphemeral(this, { presenceUpdate: { roomId: this.roomId, state: value } });
  }

  // -------------------------------------------------------------------------------------------
  // Teacher actions (sequenced, through the outbox)
  // -------------------------------------------------------------------------------------------

  /**
   * @param {object} action one TeacherAction field, e.g. {mute: {userId, muted: true}}
   * @param {{clientMsgId?: string}} [options]
   */
  teacherAction(action, { clientMsgId } = {}) {
    return this.send('teacherAction', { ...action }, clientMsgId);
  }

  /** @param {string} userId @param {boolean} [muted] */
  mute(userId, muted = true) {
    return this.teacherAction({ mute: { userId, muted } });
  }

  /** Removes the user from the room and bans them until a teacher lifts it. @param {string} userId */
  removeParticipant(userId) {
    return this.teacherAction({ remove: { userId } });
  }

  /** @param {string} userId */
  liftBan(userId) {
    return this.teacherAction({ liftBan: { userId } });
  }

  /** Nobody new may join while locked. @param {boolean} [locked] */
  lock(locked = true) {
    return this.teacherAction({ lock: { locked } });
  }

  /** @param {boolean} enabled */
  setStudentChat(enabled) {
    return this.teacherAction({ studentChat: { enabled } });
  }

  /** Ends the class: everyone leaves and nobody may join again. */
  endSession() {
    return this.teacherAction({ endSession: {} });
  }

  // -------------------------------------------------------------------------------------------
  // Reports and the audit log
  // -------------------------------------------------------------------------------------------

  /**
   * Reports something to the room's teachers (sequenced, through the outbox); the Ack's seq is
   * the report's id. The server keeps a copy of the target as it is now.
   * @param {object} target one ReportTarget field: {messageSeq} | {element: {boardId, elementId}}
   *   | {docId} | {userId}
   * @param {number} reason a ReportReason value (e.g. pb.ReportReason.HARASSMENT)
   * @param {{text?: string, clientMsgId?: string}} [options]
   */
  report(target, reason, { text = '', clientMsgId } = {}) {
    return this.send('report', { file: { target, reason, text } }, clientMsgId);
  }

  /**
   * Teachers: marks a report handled or dismissed (audited).
   * @param {number|string} reportSeq
   * @param {number} status pb.ReportStatus.REPORT_HANDLED or REPORT_DISMISSED
   */
  resolveReport(reportSeq, status, { clientMsgId } = {}) {
    return this.send('report', { resolve: { reportSeq, status } }, clientMsgId);
  }

  /**
   * Teachers: a page of the room's audit log, newest first; pass the result's nextCursor as
   * beforeId for the next page (0: no more).
   * @param {{beforeId?: number|string, limit?: number, actorUserId?: string}} [query]
   * @returns {Promise<object>} the AuditPage
   */
  async readAudit({ beforeId = 0, limit = 0, actorUserId = '' } = {}) {
    const msg = await this.request({ auditRead: { roomId: this.roomId, beforeId, limit, actorUserId } });
    return msg.auditPage;
  }

  // -------------------------------------------------------------------------------------------
  // Documents (Yjs)
  // -------------------------------------------------------------------------------------------

  /**
   * @param {string} docId 1-128 characters of [A-Za-z0-9._-]
   * @param {{title?: string, studentsReadOnly?: boolean, clientMsgId?: string}} [options]
   */
  createDocument(docId, { title = '', studentsReadOnly = false, clientMsgId } = {}) {
    return this.send('docCreate', { docId, title, studentsReadOnly }, clientMsgId);
  }

  /** The room's documents (from the snapshot and doc_created events). */
  listDocuments() {
    return [...this.documents.values()];
  }

  /**
   * @param {string} docId
   * @param {boolean} studentsReadOnly
   * @param {{clientMsgId?: string}} [options]
   */
  setDocumentReadOnly(docId, studentsReadOnly, { clientMsgId } = {}) {
    return this.send('docSetReadOnly', { docId, studentsReadOnly }, clientMsgId);
  }

  /**
   * What the client lacks of a document: apply `update` with Y.applyUpdate.
   * @param {string} docId
   * @param {Uint8Array} [stateVector] Y.encodeStateVector(doc); empty: everything
   * @returns {Promise<ponte.v1.DocSyncReply>}
   */
  async syncDocument(docId, stateVector = new Uint8Array(0), { timeoutMs } = {}) {
    const msg = await this.request({ docSync: { roomId: this.roomId, docId, stateVector } }, { timeoutMs });
    return msg.docSyncReply;
  }

  /**
   * One Yjs V1 update (sequenced, through the outbox).
   * @param {string} docId
   * @param {Uint8Array} update
   * @param {{clientMsgId?: string}} [options]
   */
  updateDocument(docId, update, { clientMsgId } = {}) {
    return this.send('docUpdate', { docId, update }, clientMsgId);
  }

  /**
   * A y-protocols awareness update (ephemeral). Returns whether it was sent.
   * @param {string} docId
   * @param {Uint8Array} awareness
   */
  sendAwareness(docId, awareness) {
    return this._client._sendEphemeral(this, { docAwareness: { roomId: this.roomId, docId, awareness } });
  }

  // -------------------------------------------------------------------------------------------
  // Whiteboard
  // -------------------------------------------------------------------------------------------

  /**
   * A board operation (sequenced, through the outbox).
   * @param {string} boardId
   * @param {object} op one BoardRequest op field, e.g. {addElements: {pageId, elements}}
   * @param {{clientMsgId?: string}} [options]
   */
  board(boardId, op, { clientMsgId } = {}) {
    return this.send('board', { boardId, ...op }, clientMsgId);
  }

  /**
   * @param {string} boardId
   * @param {{title?: string, firstPageId?: string, clientMsgId?: string}} [options]
   */
  createBoard(boardId, { title = '', firstPageId = '', clientMsgId } = {}) {
    return this.board(boardId, { createBoard: { title, firstPageId } }, { clientMsgId });
  }

  /** @param {string} boardId @param {string} pageId @param {object[]} elements BoardElement objects */
  addElements(boardId, pageId, elements, options) {
    return this.board(boardId, { addElements: { pageId, elements } }, options);
  }

  /** @param {string} boardId @param {string} pageId @param {object[]} patches ElementPatch objects */
  updateElements(boardId, pageId, patches, options) {
    return this.board(boardId, { updateElements: { pageId, patches } }, options);
  }

  /** @param {string} boardId @param {string} pageId @param {string[]} elementIds */
  deleteElements(boardId, pageId, elementIds, options) {
    return this.board(boardId, { deleteElements: { pageId, elementIds } }, options);
  }

  /**
   * Live ink, laser pointer or follow-me (ephemeral). Returns whether it was sent.
   * @param {string} boardId
   * @param {string} pageId
   * @param {object} kind {stroke: InkStroke} | {laser: LaserPointer} | {follow: FollowMe}
   */
  ink(boardId, pageId, kind) {
    return this._client._sendEphemeral(this, { boardInk: { roomId: this.roomId, boardId, pageId, ...kind } });
  }

  /**
   * Live ink from others on or off for this connection (low-bandwidth mode); remembered and
   * applied again after a reconnect.
   * @param {boolean} on
   */
  async setLiveInk(on) {
    this._liveInkOff = !on;
    const msg = await this.request({ boardLiveInk: { roomId: this.roomId, off: !on } });
    return msg.ack;
  }

  // -------------------------------------------------------------------------------------------
  // Generic
  // -------------------------------------------------------------------------------------------

  /**
   * Any sequenced operation with a client_msg_id, through the outbox.
   * @param {string} kind the ClientMessage field: chatPost, chatEdit, chatDelete, chatReact,
   *   teacherAction, docCreate, docSetReadOnly, docUpdate, board, hand, poll, report
   * @param {object} fields the message's fields without roomId and clientMsgId
   * @param {string} [clientMsgId] a new id per user action (generated when absent)
   * @returns {PendingSend}
   */
  send(kind, fields, clientMsgId = newClientMsgId()) {
    const entry = this._client._enqueue(this, kind, { ...fields, roomId: this.roomId, clientMsgId });
    return Object.assign(entry.promise, { clientMsgId: entry.clientMsgId, entry });
  }

  /**
   * A request about this room, sent once the room is live; resolves with the ServerMessage.
   * @param {object} body one ClientMessage field
   * @param {{timeoutMs?: number}} [options]
   */
  request(body, { timeoutMs } = {}) {
    return this._client.request(body, { timeoutMs, room: this });
  }

  /** Leaves the room (final). */
  async leave() {
    if (this.state === 'left') {
      return;
    }
    const conn = this._liveOn;
    if (this.live) {
      this._liveOn = null;
      try {
        await this._client._requestOn(conn, { leave: { roomId: this.roomId } }, 'leave',
          this._client.requestTimeoutMs);
      } catch (err) {
        if (!(err instanceof PonteError || err instanceof PonteClosedError || err instanceof PonteTimeoutError)) {
          throw err;
        }
      }
    }
    this._finish(pb.LeftReason.LEFT_BY_REQUEST, null);
  }

  // -------------------------------------------------------------------------------------------
  // Internals, driven by the client
  // -------------------------------------------------------------------------------------------

  /** @internal A lobby status for this room's waiting Join. */
  _onLobbyStatus(status) {
    this.lobby = status;
    this.emit('lobby', status);
  }

  /** @internal Sends Join (first join or resume) on `conn`. */
  _join(conn) {
    if (this.state === 'left') {
      return;
    }
    clearTimeout(this._joinRetry);
    this._setState(this.snapshot || this.seq > 0 ? 'rejoining' : 'joining');
    const client = this._client;
    client._requestOn(conn, { join: { roomId: this.roomId, lastSeq: this.seq, epoch: this.epoch } },
      'join', client.requestTimeoutMs)
      .then((msg) => {
        if (conn === client._conn && this.state !== 'left') {
          this._applyJoined(conn, msg.joined);
        }
      })
      .catch((err) => {
        if (conn !== client._conn || this.state === 'left' || err instanceof PonteClosedError) {
          return; // the next connection rejoins
        }
        if (err instanceof PonteTimeoutError) {
          // A connection that cannot answer a Join in time is not healthy.
          client._abort(conn, `join ${this.roomId}: no answer within ${client.requestTimeoutMs} ms`);
          return;
        }
        // A room the user was in is retried through every transient refusal; a first join only
        // through the server's own trouble, so that the application can say "locked" or "full".
        if (err instanceof PonteError && err.retryable
            && (this._everJoined || err.group === 'server' || err.codeName === 'RATE_LIMITED')) {
          const { delayMs } = this._joinBackoff.next(err.retryAfterMs);
          this.emit('error', err);
          this._joinRetry = setTimeout(() => {
            if (conn === client._conn) {
              this._join(conn);
            }
          }, delayMs);
          return;
        }
        this._finish(0, err);
      });
  }

  /** @internal */
  _applyJoined(conn, joined) {
    const heldState = this.seq > 0 || this.epoch !== '';
    this._everJoined = true;
    this._joinBackoff.reset();
    this.role = enumName(pb.Role, joined.role) || '';
    this.epoch = joined.epoch;
    this.participants = new Map(joined.participants.map((p) => [p.userId, p]));
    this._liveOn = conn;
    if (joined.reset) {
      this.snapshot = joined.snapshot;
      this._applySnapshot(joined.snapshot);
      this.seq = joined.seq;
      this._setState('joined');
      this.emit('joined', { joined, resumed: heldState, reset: true });
      if (heldState) {
        this.emit('reset', {
          snapshot: joined.snapshot, seq: joined.seq, epoch: joined.epoch,
          participants: this.participants, role: this.role,
        });
      }
    } else {
      for (const event of joined.missed) {
        this._applyEvent(event);
        if (!this.live) {
          return; // a gap in the missed events: a resync is under way
        }
      }
      this.seq = Math.max(this.seq, joined.seq);
      this._setState('joined');
      this.emit('joined', { joined, resumed: true, reset: false });
    }
    this.emit('participants', this.participants);
    this._joinedOnce?.resolve(this);
    this._joinedOnce = null;
    this._client._roomLive(this, conn);
  }

  /** @internal */
  _applySnapshot(s) {
    this.settings = s.settings ?? null;
    this.locked = Boolean(s.locked);
    this.studentChatEnabled = Boolean(s.studentChatEnabled);
    this.ended = Boolean(s.ended);
    this.mutedUserIds = new Set(s.mutedUserIds);
    this.bannedUserIds = new Set(s.bannedUserIds);
    this.documents = new Map(s.documents.map((d) => [d.docId, d]));
  }

  /** @internal A live event from the server. */
  _onEvent(event) {
    if (this.live) {
      this._applyEvent(event);
    }
  }

  /** @internal Applies an event in seq order; a duplicate is dropped, a gap triggers a resync. */
  _applyEvent(event) {
    if (event.seq > 0) {
      if (event.seq <= this.seq) {
        return;
      }
      if (event.seq !== this.seq + 1) {
        this._resync(`expected seq ${this.seq + 1}, got ${event.seq}`);
        return;
      }
      this.seq = event.seq;
    }
    this._track(event);
    this.emit('event', event);
    if (event.body) {
      this.emit(event.body, event[event.body], event);
    }
    this._client.emit('event', event, this);
  }

  /** @internal Keeps the state the SDK tracks in step with the events. */
  _track(event) {
    const body = event.body && event[event.body];
    switch (event.body) {
      case 'participantMuted':
        if (body.muted) this.mutedUserIds.add(body.userId);
        else this.mutedUserIds.delete(body.userId);
        break;
      case 'participantRemoved':
        this.bannedUserIds.add(body.userId);
        break;
      case 'banLifted':
        this.bannedUserIds.delete(body.userId);
        break;
      case 'roomLocked':
        this.locked = Boolean(body.locked);
        break;
      case 'studentChatChanged':
        this.studentChatEnabled = Boolean(body.enabled);
        break;
      case 'sessionEnded':
        this.ended = true;
        break;
      case 'roomClosed':
        this.closed = true;
        break;
      case 'docCreated':
        if (body.document) this.documents.set(body.document.docId, body.document);
        break;
      case 'docReadOnlyChanged': {
        const doc = this.documents.get(body.docId);
        if (doc) doc.studentsReadOnly = Boolean(body.studentsReadOnly);
        break;
      }
      case 'presence': {
        const p = body.participant;
        if (!p) break;
        if (body.kind === pb.PresenceChanged.Kind.LEFT) this.participants.delete(p.userId);
        else this.participants.set(p.userId, p);
        this.emit('participants', this.participants);
        break;
      }
      default:
        break;
    }
  }

  /** @internal Lost track of the seq on a live connection: leave and rejoin with the last seq. */
  _resync(why) {
    const conn = this._liveOn;
    if (!conn || conn !== this._client._conn) {
      return;
    }
    this._liveOn = null;
    this._setState('rejoining', why);
    this._client._requestOn(conn, { leave: { roomId: this.roomId } }, 'leave', this._client.requestTimeoutMs)
      .catch(() => {})
      .then(() => {
        if (conn === this._client._conn) {
          this._join(conn);
        }
      });
  }

  /** @internal The connection ended; the next one rejoins. */
  _connectionLost() {
    clearTimeout(this._joinRetry);
    this._liveOn = null;
    if (this.state !== 'left') {
      this._setState(this.snapshot ? 'rejoining' : 'joining');
    }
  }

  /** @internal The server took the connection out of the room (request_id 0). */
  _onLeft(reason) {
    this._finish(reason, null);
  }

  /**
   * @internal Final: fails what waits for this room and tells the listeners.
   * @param {number} reason a LeftReason (0 when refused with `error`)
   * @param {Error|null} error
   */
  _finish(reason, error) {
    if (this.state === 'left') {
      return;
    }
    clearTimeout(this._joinRetry);
    this._liveOn = null;
    const reasonName = reason ? enumName(pb.LeftReason, reason) || `LEFT_${reason}` : '';
    this._setState('left', reasonName || error?.message);
    const why = error ?? new PonteClosedError(`left room ${this.roomId}: ${reasonName}`);
    this._joinedOnce?.reject(why);
    this._joinedOnce = null;
    this._client._roomFinished(this, why);
    this.emit('left', { reason, reasonName, error });
  }

  /** @internal */
  _setState(state, reason) {
    if (this.state === state) {
      return;
    }
    this.state = state;
    this.emit('state', { state, reason: reason || '' });
  }
}
