import { Emitter } from './emitter.js';
import { Backoff } from './backoff.js';
import { CloseCode, closeAction, closeCodeName } from './close-codes.js';
import { PonteClosedError, PonteError, PonteTimeoutError } from './errors.js';
import { OutboxEntry } from './outbox.js';
import { SUBPROTOCOL, decodeServerMessage, encodeClientMessage, pb } from './proto.js';
import { Room } from './room.js';

const OPEN = 1;
const CLIENT_NAME = 'ponte-sdk-js/0.1.0';
/** Error codes after which an outbox entry waits for its room to be rejoined and is resent. */
const NOT_IN_ROOM = pb.ErrorCode.NOT_IN_ROOM;

/**
 * @typedef {'idle'|'connecting'|'open'|'reconnecting'|'offline'|'closed'} ConnectionState
 *   idle: connect() not called yet; connecting: a socket is opening and authenticating;
 *   open: welcomed, rooms live; reconnecting: waiting (backoff) before the next attempt;
 *   offline: the browser says it has no network, waiting for it; closed: final (the
 *   application closed it, or a close code said to give up).
 */

/**
 * @typedef {object} StateInfo
 * @property {ConnectionState} state
 * @property {string} reason why, in English (empty when open)
 * @property {number} code the close code that ended the last connection (0: none)
 * @property {string} codeName its name in CLOSE_CODES.md, e.g. 'SERVER_SHUTDOWN'
 * @property {number} attempt failed attempts since the last welcome
 * @property {number} retryInMs for reconnecting: the wait before the next attempt
 * @property {Error|null} error the refusal that ended it, when there was one (e.g. the
 *   PonteError TOKEN_INVALID answering Hello)
 * @property {number} at Date.now() of the change
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} [url] the WebSocket URL of /ws (default in browsers: this page's host, /ws)
 * @property {string|(() => string|Promise<string>)} token the JWT, or a function that returns
 *   one; a function is called for every connection attempt, so a reconnect after TOKEN_EXPIRED
 *   gets a fresh token (with a plain string, TOKEN_EXPIRED is final)
 * @property {any} [WebSocket] the WebSocket constructor (default globalThis.WebSocket; in Node 20
 *   pass the `ws` package's)
 * @property {string} [clientName] Hello.client, for the server's logs
 * @property {number} [requestTimeoutMs] default timeout of a request (10000)
 * @property {number} [connectTimeoutMs] socket open + Hello + Welcome (10000)
 * @property {number} [heartbeatIntervalMs] a Ping this often while open (15000)
 * @property {number} [heartbeatTimeoutMs] nothing received for interval + this: the connection
 *   is dead, reconnect (10000)
 * @property {{baseMs?: number, capMs?: number}} [backoff] reconnect waits (500, 30000)
 * @property {() => number} [random] jitter source (Math.random)
 * @property {number} [outboxTtlMs] an outbox entry not acked after this fails with a
 *   PonteTimeoutError; the server remembers client message ids for a while only (300000)
 */

/**
 * A connection to a Ponte server (WebSocket /ws, subprotocol ponte.v1.proto) that stays up:
 * it authenticates, joins rooms, reconnects with backoff as the close codes say, resumes each
 * room from its last seq, and delivers sequenced operations exactly once through an outbox.
 *
 * Events (`client.on(name, listener)`): 'state' (StateInfo), 'welcome' (Welcome),
 * 'goodbye' (Goodbye), 'outbox' (OutboxEntry, on every change of an entry), 'event'
 * (event, room) for every room event, 'error' (PonteError) for a refusal no promise awaited,
 * 'message' (ServerMessage) for every message that is not an event (debugging).
 */
export class PonteClient extends Emitter {
  /** @param {ClientOptions} options */
  constructor(options) {
    super();
    const o = options ?? {};
    if (o.token === undefined || o.token === null || o.token === '') {
      throw new TypeError('PonteClient: token is required (a JWT, or a function returning one)');
    }
    this.url = o.url ?? defaultUrl();
    this._WebSocket = o.WebSocket ?? globalThis.WebSocket;
    if (typeof this._WebSocket !== 'function') {
      throw new TypeError('PonteClient: no WebSocket constructor: pass options.WebSocket (in Node, the ws package)');
    }
    this._token = o.token;
    this.clientName = o.clientName ?? CLIENT_NAME;
    this.requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
    this.heartbeatIntervalMs = o.heartbeatIntervalMs ?? 15_000;
    this.heartbeatTimeoutMs = o.heartbeatTimeoutMs ?? 10_000;
    this.outboxTtlMs = o.outboxTtlMs ?? 300_000;
    /** @internal */
    this._backoffOptions = { baseMs: o.backoff?.baseMs ?? 500, capMs: o.backoff?.capMs ?? 30_000, random: o.random ?? Math.random };
    this._backoff = new Backoff(this._backoffOptions);

    /** @type {ConnectionState} */
    this.state = 'idle';
    /** @type {StateInfo} */
    this.stateInfo = { state: 'idle', reason: '', code: 0, codeName: '', attempt: 0, retryInMs: 0, error: null, at: Date.now() };
    /** @type {ponte.v1.User|null} who the token names (from Welcome) */
    this.user = null;
    /** @type {string} */
    this.sessionId = '';
    /** @type {ponte.v1.Limits|null} */
    this.limits = null;
    /** Token expiry from Welcome (epoch ms; 0: unknown). */
    this.tokenExpiresMs = 0;
    /** Round-trip time of the last Ping (ms; 0: none yet). */
    this.rttMs = 0;
    /** Server clock minus local clock (ms), from the last Pong. */
    this.serverClockOffsetMs = 0;

    /** @internal the current connection (null between connections) */
    this._conn = null;
    this._nextConnId = 1;
    this._nextRequestId = 1;
    /** @type {Map<string, Room>} */
    this._rooms = new Map();
    /** @type {OutboxEntry[]} in send order */
    this._outbox = [];
    /** Requests waiting for the connection (or their room) to be live. */
    this._waiting = [];
    /** Request ids of recent ephemeral messages, to route their refusals to their room. */
    this._ephemeral = new Map();
    this._reconnectTimer = null;
    this._pumpTimer = null;
    this._closeRequested = false;
    this._everWelcomed = false;
    this._onlineListener = null;
    this._connected = null;
  }

  // -------------------------------------------------------------------------------------------
  // Public API
  // -------------------------------------------------------------------------------------------

  /**
   * Starts connecting (if not yet). Resolves with the Welcome of the first open connection;
   * rejects when the client is closed for good before that (e.g. the PonteError TOKEN_INVALID).
   * @returns {Promise<ponte.v1.Welcome>}
   */
  connect() {
    if (!this._connected) {
      this._connected = deferred();
    }
    if (this.state === 'idle') {
      this._open();
    }
    return this._connected.promise;
  }

  /**
   * Joins a room (connecting first if needed); resolves with the Room once joined. The room is
   * rejoined after every reconnect with its last seq and epoch until it is left.
   * @param {string} roomId
   * @param {{lastSeq?: number, epoch?: string}} [resumeFrom] state kept from an earlier session
   * @returns {Promise<Room>}
   */
  join(roomId, resumeFrom) {
    let room = this._rooms.get(roomId);
    if (!room) {
      if (this.state === 'closed') {
        return Promise.reject(new PonteClosedError('the client is closed'));
      }
      room = new Room(this, roomId, resumeFrom);
      this._rooms.set(roomId, room);
      if (this._conn?.welcomed) {
        room._join(this._conn);
      }
      if (this.state === 'idle') {
        this.connect().catch(() => {});
      }
    }
    return room._joinPromise;
  }

  /** @param {string} roomId @returns {Room|undefined} */
  room(roomId) {
    return this._rooms.get(roomId);
  }

  /** @returns {Room[]} */
  get rooms() {
    return [...this._rooms.values()];
  }

  /** The outbox: operations not acked yet, in send order. @returns {OutboxEntry[]} */
  get outbox() {
    return [...this._outbox];
  }

  /**
   * Sends a ClientMessage body and resolves with the ServerMessage that answers it (rejects with
   * a PonteError, PonteTimeoutError or PonteClosedError). Waits for the connection (and for
   * `room` to be live) before sending; the timeout counts from the call. Sent at most once: if
   * the connection drops before the answer, it fails with PonteClosedError.
   * @param {object} body one ClientMessage field, e.g. {history: {roomId, limit: 20}}
   * @param {{timeoutMs?: number, room?: Room}} [options]
   * @returns {Promise<ponte.v1.ServerMessage>}
   */
  request(body, { timeoutMs, room } = {}) {
    if (this.state === 'closed') {
      return Promise.reject(new PonteClosedError('the client is closed'));
    }
    const kind = Object.keys(body)[0] ?? 'request';
    const ms = timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const req = { body, kind, room, resolve, reject, conn: null, requestId: 0, timer: null };
      req.timer = setTimeout(() => {
        this._waiting = this._waiting.filter((w) => w !== req);
        req.conn?.pending.delete(req.requestId);
        reject(new PonteTimeoutError(kind, ms));
      }, ms);
      this._waiting.push(req);
      this._flushWaiting();
    });
  }

  /**
   * Measures the round trip (and the server's clock offset).
   * @returns {Promise<{rttMs: number, serverClockOffsetMs: number}>}
   */
  async ping({ timeoutMs } = {}) {
    const sent = Date.now();
    const msg = await this.request({ ping: { clientTimeMs: sent } }, { timeoutMs });
    this._onPong(msg.pong, sent);
    return { rttMs: this.rttMs, serverClockOffsetMs: this.serverClockOffsetMs };
  }

  /**
   * Closes for good: no reconnect; pending requests and outbox entries fail with
   * PonteClosedError.
   */
  close() {
    this._closeRequested = true;
    const conn = this._conn;
    if (conn) {
      this._dropSocket(conn, CloseCode.NORMAL, 'closed by the application');
      this._onClose(conn, CloseCode.NORMAL, 'closed by the application');
    } else if (this.state !== 'closed') {
      this._final({ code: 0, reason: 'closed by the application', error: null });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Connection
  // -------------------------------------------------------------------------------------------

  /** @internal */
  _open() {
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    const conn = {
      id: this._nextConnId++, ws: null, welcomed: false, goodbye: null, helloError: null,
      lastRx: Date.now(), pending: new Map(), connectTimer: null, heartbeat: null,
    };
    this._conn = conn;
    this._setState('connecting', { reason: this._everWelcomed ? 'reconnecting' : '' });
    let ws;
    try {
      ws = new this._WebSocket(this.url, [SUBPROTOCOL]);
    } catch (err) {
      this._onClose(conn, CloseCode.ABNORMAL, `cannot open ${this.url}: ${err.message}`);
      return;
    }
    conn.ws = ws;
    ws.binaryType = 'arraybuffer';
    conn.connectTimer = setTimeout(() => {
      this._abort(conn, `no welcome within ${this.connectTimeoutMs} ms`);
    }, this.connectTimeoutMs);
    ws.onopen = () => this._onSocketOpen(conn);
    ws.onmessage = (ev) => this._onFrame(conn, ev.data);
    ws.onclose = (ev) => this._onClose(conn, ev.code, ev.reason);
    ws.onerror = () => {}; // a close event follows
  }

  /** @internal */
  async _onSocketOpen(conn) {
    let token;
    try {
      token = typeof this._token === 'function' ? await this._token() : this._token;
    } catch (err) {
      conn.helloError = err;
      this._abort(conn, `token provider failed: ${err?.message ?? err}`);
      return;
    }
    if (conn !== this._conn) {
      return;
    }
    this._requestOn(conn, { hello: { token, client: this.clientName } }, 'hello', 0)
      .then((msg) => this._onWelcome(conn, msg.welcome))
      .catch((err) => {
        // The server follows a refused Hello with Goodbye and the close; the close decides.
        conn.helloError = err;
      });
  }

  /** @internal */
  _onWelcome(conn, welcome) {
    if (conn !== this._conn) {
      return;
    }
    clearTimeout(conn.connectTimer);
    conn.welcomed = true;
    this._backoff.reset();
    const resumed = this._everWelcomed;
    this._everWelcomed = true;
    this.user = welcome.user ?? null;
    this.sessionId = welcome.sessionId;
    this.limits = welcome.limits ?? null;
    this.tokenExpiresMs = welcome.tokenExpiresMs || 0;
    this.serverClockOffsetMs = (welcome.serverTimeMs || Date.now()) - Date.now();
    conn.heartbeat = setInterval(() => this._heartbeat(conn), this.heartbeatIntervalMs);
    this._setState('open', { reason: resumed ? 'reconnected' : '' });
    this.emit('welcome', welcome);
    this._connected?.resolve(welcome);
    for (const room of this._rooms.values()) {
      room._join(conn);
    }
    this._flushWaiting();
  }

  /** @internal Pings, and declares the connection dead when nothing came back in time. */
  _heartbeat(conn) {
    if (conn !== this._conn) {
      clearInterval(conn.heartbeat);
      return;
    }
    const silentMs = Date.now() - conn.lastRx;
    if (silentMs > this.heartbeatIntervalMs + this.heartbeatTimeoutMs) {
      this._abort(conn, `heartbeat: nothing received for ${silentMs} ms`);
      return;
    }
    const sent = Date.now();
    this._requestOn(conn, { ping: { clientTimeMs: sent } }, 'ping', this.heartbeatIntervalMs + this.heartbeatTimeoutMs)
      .then((msg) => this._onPong(msg.pong, sent))
      .catch(() => {});
  }

  /** @internal */
  _onPong(pong, sentMs) {
    const now = Date.now();
    this.rttMs = now - sentMs;
    if (pong?.serverTimeMs) {
      this.serverClockOffsetMs = pong.serverTimeMs - (sentMs + this.rttMs / 2);
    }
  }

  /** @internal A frame from the server. */
  _onFrame(conn, data) {
    if (conn !== this._conn) {
      return;
    }
    conn.lastRx = Date.now();
    if (typeof data === 'string') {
      this.emit('error', new Error('text frame on ponte.v1.proto'));
      return;
    }
    let msg;
    try {
      msg = decodeServerMessage(data instanceof Uint8Array ? data : new Uint8Array(data));
    } catch (err) {
      this._abort(conn, `undecodable frame: ${err.message}`);
      return;
    }
    this._dispatch(conn, msg);
  }

  /** @internal */
  _dispatch(conn, msg) {
    switch (msg.body) {
      case 'batch':
        for (const m of msg.batch.messages) {
          if (conn !== this._conn) return;
          this._dispatch(conn, m);
        }
        return;
      case 'event':
        this._rooms.get(msg.event.roomId)?._onEvent(msg.event);
        return;
      case 'left':
        if (!msg.requestId) {
          this._rooms.get(msg.left.roomId)?._onLeft(msg.left.reason);
        }
        break;
      case 'lobbyStatus': {
        // A Join waiting in the lobby is answered when a teacher decides: it waits without a timeout.
        const status = msg.lobbyStatus;
        for (const p of conn.pending.values()) {
          if (p.joinRoom === status.roomId) {
            clearTimeout(p.timer);
            p.timer = null;
          }
        }
        this._rooms.get(status.roomId)?._onLobbyStatus(status);
        break;
      }
      case 'goodbye':
        conn.goodbye = msg.goodbye;
        this.emit('goodbye', msg.goodbye);
        break;
      default:
        break;
    }
    this.emit('message', msg);
    if (msg.requestId) {
      const pending = conn.pending.get(msg.requestId);
      if (pending) {
        conn.pending.delete(msg.requestId);
        clearTimeout(pending.timer);
        if (msg.body === 'error') {
          pending.fail(new PonteError(msg.error));
        } else {
          pending.done(msg);
        }
        return;
      }
    }
    if (msg.body === 'error') {
      const err = new PonteError(msg.error);
      const room = this._rooms.get(err.roomId || this._ephemeral.get(msg.requestId) || '');
      room?.emit('error', err);
      this.emit('error', err);
    }
  }

  /**
   * @internal Sends a request on `conn` and settles with its answer (timeoutMs 0: no timeout of
   * its own). Rejects with PonteClosedError when `conn` ends first.
   */
  _requestOn(conn, body, kind, timeoutMs) {
    return new Promise((resolve, reject) => {
      if (!conn.ws || conn.ws.readyState !== OPEN || conn !== this._conn) {
        reject(new PonteClosedError('not connected'));
        return;
      }
      const requestId = this._nextRequestId++;
      const pending = { done: resolve, fail: reject, timer: null, outbox: null,
        joinRoom: body.join?.roomId ?? null };
      if (timeoutMs > 0) {
        pending.timer = setTimeout(() => {
          conn.pending.delete(requestId);
          reject(new PonteTimeoutError(kind, timeoutMs));
        }, timeoutMs);
      }
      conn.pending.set(requestId, pending);
      this._send(conn, { requestId, ...body });
    });
  }

  /** @internal */
  _send(conn, message) {
    conn.ws.send(encodeClientMessage(message));
  }

  /** @internal Sends requests that waited for the connection or their room. */
  _flushWaiting() {
    const conn = this._conn;
    if (!conn?.welcomed) {
      return;
    }
    const still = [];
    for (const req of this._waiting) {
      if (req.room && !req.room.live) {
        if (req.room.state === 'left') {
          clearTimeout(req.timer);
          req.reject(new PonteClosedError(`left room ${req.room.roomId}`));
        } else {
          still.push(req);
        }
        continue;
      }
      req.conn = conn;
      req.requestId = this._nextRequestId++;
      conn.pending.set(req.requestId, {
        done: (msg) => { clearTimeout(req.timer); req.resolve(msg); },
        fail: (err) => { clearTimeout(req.timer); req.reject(err); },
        timer: null, outbox: null, request: req,
      });
      this._send(conn, { requestId: req.requestId, ...req.body });
    }
    this._waiting = still;
  }

  /** @internal An ephemeral message: sent only when the room is live, never queued. */
  _sendEphemeral(room, body) {
    const conn = this._conn;
    if (!room.live || !conn?.ws || conn.ws.readyState !== OPEN) {
      return false;
    }
    const requestId = this._nextRequestId++;
    this._ephemeral.set(requestId, room.roomId);
    if (this._ephemeral.size > 256) {
      this._ephemeral.delete(this._ephemeral.keys().next().value);
    }
    this._send(conn, { requestId, ...body });
    return true;
  }

  /** @internal Drops a connection that is not healthy, as if it had closed (1006). */
  _abort(conn, reason) {
    if (conn !== this._conn) {
      return;
    }
    this._dropSocket(conn);
    this._onClose(conn, CloseCode.ABNORMAL, reason);
  }

  /** @internal Detaches from the socket and closes it without waiting for the peer. */
  _dropSocket(conn, code, reason) {
    const ws = conn.ws;
    if (!ws) {
      return;
    }
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      if (code === undefined && typeof ws.terminate === 'function') {
        ws.terminate(); // ws (Node): no closing handshake with a peer that does not answer
      } else if (code !== undefined) {
        ws.close(code, reason);
      } else {
        ws.close();
      }
    } catch {
      // already closing
    }
  }

  /** @internal The connection ended: decide from its close code what comes next. */
  _onClose(conn, code, reason) {
    if (conn !== this._conn) {
      return;
    }
    this._conn = null;
    clearTimeout(conn.connectTimer);
    clearInterval(conn.heartbeat);
    if (conn.ws) {
      conn.ws.onopen = conn.ws.onmessage = conn.ws.onclose = null;
    }
    // Read before failing the pending requests: that would record Hello's PonteClosedError.
    const helloError = conn.helloError;
    const closeCode = conn.goodbye?.closeCode || code || CloseCode.ABNORMAL;
    const why = conn.goodbye?.reason || reason || '';
    const closedError = new PonteClosedError(`connection closed (${closeCodeName(closeCode)}${why ? `: ${why}` : ''})`, { closeCode });
    for (const pending of conn.pending.values()) {
      clearTimeout(pending.timer);
      if (pending.outbox) {
        const entry = pending.outbox;
        if (entry.state === 'sent' && entry._conn === conn) {
          this._entryState(entry, 'queued');
        }
      } else {
        pending.fail(closedError);
      }
    }
    conn.pending.clear();
    for (const room of this._rooms.values()) {
      room._connectionLost();
    }

    const info = { code: closeCode, reason: why, error: helloError ?? null };
    if (this._closeRequested) {
      this._final({ ...info, reason: 'closed by the application' });
      return;
    }
    let action = closeAction(closeCode);
    if (closeCode === CloseCode.TOKEN_EXPIRED && typeof this._token !== 'function') {
      action = 'give-up';
      info.reason = `${why || 'token expired'}; no token provider to get a fresh one`;
    }
    if (closeCode >= 4200 && closeCode < 4300 && this.rooms.length > 0) {
      // Over for a room (removed, session ended, room closed: its Left came first), not for
      // the other rooms this connection carried: resume those.
      action = 'resume';
    }
    if (action === 'none' || action === 'give-up') {
      this._final(info);
      return;
    }
    this._scheduleReconnect(info, conn.goodbye?.retryAfterMs || 0);
  }

  /** @internal */
  _scheduleReconnect(info, retryAfterMs) {
    const { delayMs, attempt } = this._backoff.next(retryAfterMs);
    const nav = globalThis.navigator;
    if (nav && nav.onLine === false && typeof globalThis.addEventListener === 'function') {
      // No network: wait for the browser to say it is back rather than burn attempts.
      this._setState('offline', { ...info, attempt, retryInMs: 0 });
      this._onlineListener = () => {
        globalThis.removeEventListener('online', this._onlineListener);
        this._onlineListener = null;
        if (this.state === 'offline') {
          this._open();
        }
      };
      globalThis.addEventListener('online', this._onlineListener);
      return;
    }
    this._setState('reconnecting', { ...info, attempt, retryInMs: delayMs });
    this._reconnectTimer = setTimeout(() => this._open(), delayMs);
  }

  /** @internal Closed for good. */
  _final(info) {
    clearTimeout(this._reconnectTimer);
    clearTimeout(this._pumpTimer);
    if (this._onlineListener) {
      globalThis.removeEventListener('online', this._onlineListener);
      this._onlineListener = null;
    }
    this._setState('closed', { ...info, attempt: this._backoff.attempt, retryInMs: 0 });
    const err = new PonteClosedError(`closed${info.code ? ` (${closeCodeName(info.code)})` : ''}: ${info.reason}`,
      { closeCode: info.code, cause: info.error ?? undefined });
    for (const req of this._waiting) {
      clearTimeout(req.timer);
      req.reject(err);
    }
    this._waiting = [];
    for (const entry of [...this._outbox]) {
      this._failEntry(entry, err);
    }
    for (const room of this._rooms.values()) {
      room._joinedOnce?.reject(info.error ?? err);
      room._joinedOnce = null;
    }
    if (this._connected) {
      this._connected.reject(info.error ?? err);
      this._connected.promise.catch(() => {});
    }
  }

  /** @internal */
  _setState(state, info = {}) {
    this.state = state;
    this.stateInfo = {
      state,
      reason: info.reason ?? '',
      code: info.code ?? 0,
      codeName: info.code ? closeCodeName(info.code) : '',
      attempt: info.attempt ?? this._backoff.attempt,
      retryInMs: info.retryInMs ?? 0,
      error: info.error ?? null,
      at: Date.now(),
    };
    this.emit('state', this.stateInfo);
  }

  // -------------------------------------------------------------------------------------------
  // Rooms
  // -------------------------------------------------------------------------------------------

  /** @internal The room is live on `conn`: restore its settings, send what waited for it. */
  _roomLive(room, conn) {
    if (room._presence !== pb.PresenceState.ACTIVE) {
      this._sendEphemeral(room, { presenceUpdate: { roomId: room.roomId, state: room._presence } });
    }
    if (room._liveInkOff) {
      this._requestOn(conn, { boardLiveInk: { roomId: room.roomId, off: true } }, 'boardLiveInk', this.requestTimeoutMs)
        .catch(() => {});
    }
    this._flushWaiting();
    this._pumpOutbox();
  }

  /** @internal The room is left for good: fail what waits for it. */
  _roomFinished(room, err) {
    this._rooms.delete(room.roomId);
    for (const entry of [...this._outbox]) {
      if (entry.roomId === room.roomId) {
        this._failEntry(entry, err);
      }
    }
    this._flushWaiting();
  }

  // -------------------------------------------------------------------------------------------
  // Outbox
  // -------------------------------------------------------------------------------------------

  /** @internal */
  _enqueue(room, kind, body) {
    const entry = new OutboxEntry(room.roomId, kind, body, this._backoffOptions);
    if (this.state === 'closed' || room.state === 'left') {
      this._failEntry(entry, new PonteClosedError(this.state === 'closed' ? 'the client is closed' : `left room ${room.roomId}`));
      return entry;
    }
    entry._ttlTimer = setTimeout(() => {
      this._failEntry(entry, new PonteTimeoutError(kind, this.outboxTtlMs));
    }, this.outboxTtlMs);
    this._outbox.push(entry);
    this.emit('outbox', entry);
    this._pumpOutbox();
    return entry;
  }

  /**
   * @internal Sends queued entries in order. A room's entries wait while the room is not live,
   * and behind one of them that waits for a retry, so that a room's operations keep their order.
   */
  _pumpOutbox() {
    clearTimeout(this._pumpTimer);
    this._pumpTimer = null;
    const conn = this._conn;
    if (!conn?.welcomed || conn.ws.readyState !== OPEN) {
      return;
    }
    const now = Date.now();
    const held = new Set();
    let nextRetry = Infinity;
    for (const entry of this._outbox) {
      if (held.has(entry.roomId) || entry.state !== 'queued') {
        continue;
      }
      const room = this._rooms.get(entry.roomId);
      if (!room?.live) {
        held.add(entry.roomId);
        continue;
      }
      if (entry._retryAt > now) {
        held.add(entry.roomId);
        nextRetry = Math.min(nextRetry, entry._retryAt);
        continue;
      }
      this._sendEntry(conn, entry);
    }
    if (nextRetry !== Infinity) {
      this._pumpTimer = setTimeout(() => this._pumpOutbox(), nextRetry - now);
    }
  }

  /** @internal */
  _sendEntry(conn, entry) {
    const requestId = this._nextRequestId++;
    entry._conn = conn;
    entry.attempts += 1;
    const pending = {
      outbox: entry,
      timer: setTimeout(() => {
        // No answer yet: send it again (same client_msg_id, so applied once at most).
        conn.pending.delete(requestId);
        if (entry.state === 'sent' && entry._conn === conn) {
          this._entryState(entry, 'queued');
          this._pumpOutbox();
        }
      }, this.requestTimeoutMs),
      done: (msg) => this._entryAnswered(entry, msg),
      fail: (err) => this._entryRefused(entry, err),
    };
    conn.pending.set(requestId, pending);
    this._entryState(entry, 'sent');
    this._send(conn, { requestId, [entry.kind]: entry.body });
  }

  /** @internal */
  _entryAnswered(entry, msg) {
    if (entry.settled) {
      return;
    }
    clearTimeout(entry._ttlTimer);
    entry.seq = msg.ack?.seq || 0;
    entry.duplicate = Boolean(msg.ack?.duplicate);
    this._outbox = this._outbox.filter((e) => e !== entry);
    this._entryState(entry, 'acked');
    entry._resolve(msg.ack ?? msg);
  }

  /** @internal */
  _entryRefused(entry, err) {
    if (entry.settled) {
      return;
    }
    if (err.code === NOT_IN_ROOM) {
      // The server does not have the connection in the room (yet): resend after the rejoin.
      this._entryState(entry, 'queued');
      this._rooms.get(entry.roomId)?._resync('NOT_IN_ROOM');
      return;
    }
    if (err.retryable) {
      const { delayMs } = entry._backoff.next(err.retryAfterMs);
      entry._retryAt = Date.now() + delayMs;
      entry.error = err;
      this._entryState(entry, 'queued');
      this._pumpOutbox();
      return;
    }
    this._failEntry(entry, err);
  }

  /** @internal */
  _failEntry(entry, err) {
    if (entry.settled) {
      return;
    }
    clearTimeout(entry._ttlTimer);
    entry.error = err;
    this._outbox = this._outbox.filter((e) => e !== entry);
    this._entryState(entry, 'failed');
    entry._reject(err);
  }

  /** @internal */
  _entryState(entry, state) {
    entry.state = state;
    this.emit('outbox', entry);
  }
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function defaultUrl() {
  const loc = globalThis.location;
  if (loc && typeof loc.host === 'string' && loc.host) {
    return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
  }
  throw new TypeError('PonteClient: url is required outside a browser page');
}
