import { Backoff } from './backoff.js';

let counter = 0;

/** A client message id: a UUID where the platform has one (at most 64 characters either way). */
export function newClientMsgId() {
  if (typeof globalThis.crypto?.randomUUID === 'function') {
    return globalThis.crypto.randomUUID();
  }
  counter += 1;
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}-${counter}`;
}

/**
 * @typedef {'queued'|'sent'|'acked'|'failed'} OutboxState
 *   queued: waiting to be sent (offline, reconnecting, room rejoining, or a retry's wait);
 *   sent: on the wire, no answer yet; acked: the server applied it (final);
 *   failed: refused for good, or given up (final).
 */

/**
 * One sequenced operation (chat post, edit, delete, reaction, teacher action, document or board
 * change) on its way to the server. It keeps its `clientMsgId` across every resend, so the server
 * applies it exactly once (PROTOCOL.md, "Exactly-once sends"): a resend of an operation applied
 * earlier is answered `Ack{duplicate: true}` with the original seq.
 */
export class OutboxEntry {
  /**
   * @param {string} roomId
   * @param {string} kind the ClientMessage field, e.g. 'chatPost', 'teacherAction', 'board'
   * @param {object} body the message, with roomId and clientMsgId set
   * @param {{baseMs: number, capMs: number, random: () => number}} backoff retry waits
   */
  constructor(roomId, kind, body, backoff) {
    /** @type {string} */
    this.clientMsgId = body.clientMsgId;
    /** @type {string} */
    this.roomId = roomId;
    /** @type {string} */
    this.kind = kind;
    /** @type {object} */
    this.body = body;
    /** @type {OutboxState} */
    this.state = 'queued';
    /** The seq the operation got (when acked). */
    this.seq = 0;
    /** Whether the ack said it had been applied before (a resend after a lost answer). */
    this.duplicate = false;
    /** @type {Error|null} why it failed */
    this.error = null;
    /** How many times it went on the wire. */
    this.attempts = 0;
    this.createdAt = Date.now();
    /** @internal earliest time of the next send (a retryable refusal's wait) */
    this._retryAt = 0;
    /** @internal */
    this._backoff = new Backoff(backoff);
    /** @internal the connection it was last sent on */
    this._conn = null;
    /** @internal */
    this._ttlTimer = null;
    /** @type {Promise<any>} settles with the Ack, or a PonteError / PonteTimeoutError / PonteClosedError */
    this.promise = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    // An entry nobody awaits must not become an unhandled rejection: the 'outbox' event and
    // `state` tell the application.
    this.promise.catch(() => {});
  }

  /** Whether it is acked or failed. */
  get settled() {
    return this.state === 'acked' || this.state === 'failed';
  }
}
