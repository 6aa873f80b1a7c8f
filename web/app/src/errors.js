// Error and close codes as the user sees them: a translated sentence plus the documented code
// (ERRORS.md / CLOSE_CODES.md), so a teacher can quote it to whoever runs the server.
import { t } from './i18n.js';

/** The error codes the app explains in words; others fall back to a generic sentence. */
export const ERROR_NUMBERS = {
  MALFORMED_MESSAGE: 1000, INVALID_REQUEST: 1004, TOKEN_INVALID: 1100, TOKEN_EXPIRED: 1101,
  TOKEN_BAD_SIGNATURE: 1102, ROOM_NOT_ALLOWED: 1103, TOKEN_KEYS_UNAVAILABLE: 1105, ROOM_NOT_FOUND: 1200, ROOM_LOCKED: 1201,
  ROOM_FULL: 1202, ROOM_ENDED: 1203, BANNED: 1204, NOT_IN_ROOM: 1205, PERMISSION_DENIED: 1300,
  MUTED: 1301, CHAT_DISABLED: 1302, READ_ONLY: 1303, TEXT_EMPTY: 1400, TEXT_TOO_LONG: 1401,
  TEXT_INVALID: 1402, LANGUAGE_INVALID: 1403, MESSAGE_NOT_FOUND: 1404, REACTION_INVALID: 1405,
  RATE_LIMITED: 1500, TOO_MANY_CONNECTIONS: 1503, TOO_MANY_REACTIONS: 1505, INTERNAL: 1600,
  UNAVAILABLE: 1601, SHUTTING_DOWN: 1602, HAND_NOT_RAISED: 1800, HAND_ALREADY_RAISED: 1801,
  POLL_NOT_FOUND: 1820, POLL_EXISTS: 1821, POLL_NOT_OPEN: 1822, POLL_CLOSED: 1823,
  POLL_ALREADY_OPEN: 1824, POLL_NOT_CLOSED: 1825, POLL_ALREADY_SHARED: 1826, POLL_CHOICE_INVALID: 1827,
  POLL_SINGLE_CHOICE: 1828, POLL_INVALID: 1829, POLL_TOO_MANY_OPTIONS: 1830, POLL_TEXT_TOO_LONG: 1831,
  TOO_MANY_POLLS: 1832, LOBBY_DENIED: 1850, LOBBY_FULL: 1851, NOT_IN_LOBBY: 1852, LOBBY_MODE_INVALID: 1853,
  LOBBY_ADMISSION_REQUIRED: 1854, BREAKOUT_NOT_FOUND: 1860, BREAKOUT_NOT_ASSIGNED: 1861,
  BREAKOUTS_ALREADY_OPEN: 1862, BREAKOUT_CLOSED: 1863, BREAKOUT_UNKNOWN_USER: 1864, BREAKOUT_INVALID: 1865,
  TOO_MANY_BREAKOUTS: 1866, BREAKOUT_NAME_TOO_LONG: 1867, BREAKOUT_TIMER_INVALID: 1868, BREAKOUT_NO_CLAIM: 1869,
  TOO_MANY_BREAKOUT_ROUNDS: 1870, BREAKOUT_NESTED: 1871, REPORT_NOT_FOUND: 1880, REPORT_INVALID: 1881, REPORT_TEXT_TOO_LONG: 1882,
  TOO_MANY_REPORTS: 1883, REPORTS_TOO_FREQUENT: 1884, REPORT_ALREADY_RESOLVED: 1885, PARTICIPANT_NOT_FOUND: 1886,
  AUDIT_QUERY_INVALID: 1887, REVERT_SINCE_INVALID: 1900, REVERT_NOTHING: 1901, REVERT_HISTORY_INCOMPLETE: 1902,
  REVERT_TOO_LARGE: 1903, CAPABILITY_DENIED: 1910, CAPABILITY_UNKNOWN: 1911, PARTICIPANT_UNKNOWN: 1912,
  ERASURE_USER_INVALID: 1920, ERASURE_NOT_FOUND: 1921,
  EXPORT_USER_INVALID: 1930, EXPORT_USER_NOT_FOUND: 1931, EXPORT_BUSY: 1932,
};

/** Close codes after which the app does not reconnect, with their names. */
export const FINAL_CLOSES = {
  4000: 'PROTOCOL_VIOLATION', 4001: 'MALFORMED_MESSAGE', 4002: 'UNSUPPORTED_FRAME_TYPE',
  4003: 'FRAME_TOO_LARGE', 4004: 'AUTH_FAILED', 4006: 'TOKEN_EXPIRED', 4200: 'REMOVED',
  4201: 'SESSION_ENDED', 4202: 'ROOM_CLOSED',
};

/** "You are muted … (MUTED 1301)" for an error {code, message}. */
export function errorText(err) {
  const code = typeof err === 'string' ? err : err && (err.codeName || err.code);
  const name = typeof code === 'number' ? nameOfNumber(code) : code;
  const known = name && ERROR_NUMBERS[name] !== undefined;
  const sentence = known ? t(`error.${name}`) : t('error.generic');
  const num = known ? ERROR_NUMBERS[name] : typeof code === 'number' ? code : '';
  return name ? `${sentence} (${name}${num ? ' ' + num : ''})` : sentence;
}

/** The sentence for a final close code, e.g. 4201 → "The teacher ended this session. (SESSION_ENDED 4201)". */
export function closeText(code, reason) {
  const name = FINAL_CLOSES[code];
  if (name) return `${t(`close.${name}`)} (${name} ${code})`;
  return `${t('close.other')} (${code}${reason ? ': ' + reason : ''})`;
}

function nameOfNumber(n) {
  for (const [k, v] of Object.entries(ERROR_NUMBERS)) if (v === n) return k;
  return null;
}
