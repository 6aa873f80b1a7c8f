// A refused board operation as the user reads it: the whiteboard's own codes (1700-1718,
// ERRORS.md) from the board.error.* strings, the others as the app words them, each with its
// documented code so a teacher can quote it.
import { errorText } from '../errors.js';

export const BOARD_ERRORS = {
  BOARD_NOT_FOUND: 1700, BOARD_EXISTS: 1701, PAGE_NOT_FOUND: 1702, PAGE_EXISTS: 1703,
  ELEMENT_NOT_FOUND: 1704, ELEMENT_EXISTS: 1705, BOARD_LOCKED: 1706, ELEMENT_LOCKED: 1707,
  ELEMENT_INVALID: 1708, STYLE_INVALID: 1709, OUT_OF_BOUNDS: 1710, POINTS_MALFORMED: 1711,
  PATH_TOO_LONG: 1712, ELEMENT_TEXT_TOO_LONG: 1713, TOO_MANY_ELEMENTS: 1714, TOO_MANY_PAGES: 1715,
  TOO_MANY_BOARDS: 1716, BOARD_TOO_LARGE: 1717, REVERT_TOO_OLD: 1718,
};

/** "The teacher has locked this board. (BOARD_LOCKED 1706)" for a PonteError (or any error). */
export function boardErrorText(err, t) {
  const name = err && err.codeName;
  if (name && BOARD_ERRORS[name] !== undefined) return `${t(`board.error.${name}`)} (${name} ${BOARD_ERRORS[name]})`;
  if (err && err.name === 'PonteTimeoutError') return t('error.TIMEOUT');
  if (err && (err.code || name)) return errorText(err);
  return t('error.generic');
}
