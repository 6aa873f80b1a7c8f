// Z order keys above every other on a page, in the format of the `fractional-indexing` package
// (generateKeyBetween(a, null)): a head letter giving the integer part's length, base-62 digits.
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAX_CHARS = 64;

function integerLength(head) {
  if (head >= 'a' && head <= 'z') return head.charCodeAt(0) - 97 + 2;
  if (head >= 'A' && head <= 'Z') return 90 - head.charCodeAt(0) + 2;
  return 0;
}

function incrementInteger(x) {
  const head = x[0];
  const digs = x.slice(1).split('');
  let carry = true;
  for (let i = digs.length - 1; carry && i >= 0; i--) {
    const d = DIGITS.indexOf(digs[i]) + 1;
    if (d === DIGITS.length) digs[i] = '0';
    else {
      digs[i] = DIGITS[d];
      carry = false;
    }
  }
  if (!carry) return head + digs.join('');
  if (head === 'Z') return 'a0';
  if (head === 'z') return null;
  const h = String.fromCharCode(head.charCodeAt(0) + 1);
  if (h > 'a') digs.push('0');
  else digs.pop();
  return h + digs.join('');
}

/** A key greater than `key` (or the first key when there is none). */
export function keyAfter(key) {
  if (!key) return 'a0';
  const len = integerLength(key[0]);
  const next = len && key.length >= len ? incrementInteger(key.slice(0, len)) : null;
  if (next && next > key) return next;
  // Not a key of this format (or the last integer): any longer key with this prefix is greater.
  return key.length < MAX_CHARS ? `${key}V` : key;
}

/** The key above every element of the page. */
export function topKey(elements) {
  let max = '';
  for (const e of elements) if (e.z > max) max = e.z;
  return keyAfter(max);
}
