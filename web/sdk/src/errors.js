import { pb, enumName } from './proto.js';

/** Error codes by name and number (`ErrorCode.MUTED === 1301`, `ErrorCode[1301] === 'MUTED'`). */
export const ErrorCode = pb.ErrorCode;

const GROUPS = [
  [1000, 'protocol'], [1100, 'auth'], [1200, 'rooms'], [1300, 'permissions'],
  [1400, 'content'], [1500, 'limits'], [1600, 'server'], [1700, 'whiteboard'],
];

/**
 * The server refused a request: an `ErrorInfo` (ERRORS.md). `code` is the stable number,
 * `codeName` its name in errors.proto (e.g. 'MUTED'); `message` is English for logs only.
 */
export class PonteError extends Error {
  /**
   * @param {{code?: number, message?: string, retryable?: boolean, retryAfterMs?: number,
   *   roomId?: string}} info a decoded ErrorInfo
   */
  constructor(info) {
    const code = info.code || 0;
    const codeName = enumName(ErrorCode, code) ?? `UNKNOWN_${code}`;
    super(`${codeName}: ${info.message || 'refused'}`);
    this.name = 'PonteError';
    /** @type {number} */
    this.code = code;
    /** @type {string} */
    this.codeName = codeName;
    /** Whether sending the same request again can succeed. */
    this.retryable = Boolean(info.retryable);
    /** For retryable errors: wait at least this long first (0: no minimum). */
    this.retryAfterMs = info.retryAfterMs || 0;
    /** The room the request was about ('' when none). */
    this.roomId = info.roomId || '';
  }

  /** The code's group by range: protocol, auth, rooms, permissions, content, limits, server, whiteboard. */
  get group() {
    let group = 'unknown';
    for (const [from, name] of GROUPS) {
      if (this.code >= from && this.code < from + 100) {
        group = name;
      }
    }
    return group;
  }

  /**
   * Whether `err` is a PonteError, with the given code name or number when one is given.
   * @param {unknown} err
   * @param {string|number} [code]
   */
  static is(err, code) {
    if (!(err instanceof PonteError)) {
      return false;
    }
    return code === undefined || err.code === code || err.codeName === code;
  }
}

/** No answer came within the request's timeout (the request may still have been applied). */
export class PonteTimeoutError extends Error {
  /**
   * @param {string} what the request kind, e.g. 'history'
   * @param {number} timeoutMs
   */
  constructor(what, timeoutMs) {
    super(`${what}: no answer within ${timeoutMs} ms`);
    this.name = 'PonteTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The connection (or the room) went away before the request was answered, for good or for now:
 * `reason` says why, `closeCode` is the close code when the connection ended (0 otherwise).
 */
export class PonteClosedError extends Error {
  /**
   * @param {string} reason
   * @param {{closeCode?: number, cause?: unknown}} [details]
   */
  constructor(reason, { closeCode = 0, cause } = {}) {
    super(reason, cause === undefined ? undefined : { cause });
    this.name = 'PonteClosedError';
    this.reason = reason;
    this.closeCode = closeCode;
  }
}
