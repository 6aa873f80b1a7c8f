// The close codes of CLOSE_CODES.md and what a client does after each.

/** Close codes by name. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  WS_PROTOCOL_ERROR: 1002,
  ABNORMAL: 1006,
  MESSAGE_TOO_BIG: 1009,
  PROTOCOL_VIOLATION: 4000,
  MALFORMED_MESSAGE: 4001,
  UNSUPPORTED_FRAME_TYPE: 4002,
  FRAME_TOO_LARGE: 4003,
  AUTH_FAILED: 4004,
  AUTH_TIMEOUT: 4005,
  TOKEN_EXPIRED: 4006,
  IDLE_TIMEOUT: 4100,
  SLOW_CONSUMER: 4101,
  SERVER_SHUTDOWN: 4102,
  FLOODING: 4103,
  INTERNAL_ERROR: 4104,
  ROOM_UNAVAILABLE: 4105,
  TOO_MANY_CONNECTIONS: 4106,
  REMOVED: 4200,
  SESSION_ENDED: 4201,
  ROOM_CLOSED: 4202,
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  NOT_FOUND: 4404,
});

const NAMES = new Map(Object.entries(CloseCode).map(([name, code]) => [code, name]));

/**
 * @typedef {'none'|'reconnect'|'resume'|'give-up'} CloseAction
 *   none: the close was asked for; reconnect: new connection (fresh token), then rejoin;
 *   resume: reconnect with backoff and rejoin with last seq and epoch; give-up: do not
 *   reconnect automatically, show the reason.
 */

/**
 * What to do after a close with `code` (CLOSE_CODES.md, including its rules for unknown codes).
 * @param {number} code
 * @returns {CloseAction}
 */
export function closeAction(code) {
  if (code === CloseCode.NORMAL) {
    return 'none';
  }
  if (code === CloseCode.AUTH_TIMEOUT || code === CloseCode.TOKEN_EXPIRED) {
    return 'reconnect';
  }
  // 1009: a frame over the WebSocket layer's limit; treated like FRAME_TOO_LARGE.
  if (code === CloseCode.MESSAGE_TOO_BIG) {
    return 'give-up';
  }
  if ((code >= 4000 && code < 4100) || (code >= 4200 && code < 4300) || (code >= 4400 && code < 4500)) {
    return 'give-up';
  }
  // 41xx, 1001 going away, 1006 lost without a close frame, and every other code.
  return 'resume';
}

/**
 * The name of a close code, e.g. 'SERVER_SHUTDOWN', or `CLOSE_<code>` for one not in the table.
 * @param {number} code
 */
export function closeCodeName(code) {
  return NAMES.get(code) ?? `CLOSE_${code}`;
}
