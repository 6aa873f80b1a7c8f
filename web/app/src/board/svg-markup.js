// The small pieces of SVG text the page export writes, written exactly as the server's SvgMarkup
// does (numbers with at most two decimals, rounded half up, no exponent; XML escaping; paint
// attributes), so the browser's SVG of a page is the server's byte for byte.
import { isColour } from './style.js';

/** Text or an attribute value, escaped; characters XML cannot hold are dropped. */
export function escape(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    switch (c) {
      case '&': out += '&amp;'; break;
      case '<': out += '&lt;'; break;
      case '>': out += '&gt;'; break;
      case '"': out += '&quot;'; break;
      case "'": out += '&#39;'; break;
      default:
        if (xmlChar(s, i)) out += c;
    }
  }
  return out;
}

function xmlChar(s, i) {
  const c = s.charCodeAt(i);
  if (c < 0x20) return c === 0x09 || c === 0x0a || c === 0x0d;
  if (c === 0xfffe || c === 0xffff) return false;
  const high = (x) => x >= 0xd800 && x <= 0xdbff;
  const low = (x) => x >= 0xdc00 && x <= 0xdfff;
  if (high(c)) return i + 1 < s.length && low(s.charCodeAt(i + 1));
  if (low(c)) return i > 0 && high(s.charCodeAt(i - 1));
  return true;
}

/** A coordinate in the 1/10 px unit (possibly a half unit) as CSS pixels. */
export function px(units) {
  return num(units / 10);
}

/**
 * At most two decimals, no exponent, no trailing zeros: Java's
 * BigDecimal.valueOf(v).setScale(2, HALF_UP).stripTrailingZeros().toPlainString(), from the
 * shortest decimal form of the double (which Double.toString gives for these values too).
 */
export function num(v) {
  if (!Number.isFinite(v)) return '0';
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(v));
  const negative = m[1] === '-';
  let digits = m[2] + (m[3] || '');
  let point = m[2].length + (m[4] ? Number(m[4]) : 0); // digits before the decimal point
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  digits = digits.padEnd(point + 3, '0');
  // Hundredths, rounded half up (away from zero) on the first dropped digit.
  let hundredths = BigInt(digits.slice(0, point + 2) || '0');
  if (digits.charCodeAt(point + 2) >= 0x35) hundredths += 1n;
  if (hundredths === 0n) return '0';
  let s = hundredths.toString().padStart(3, '0');
  s = `${s.slice(0, -2)}.${s.slice(-2)}`.replace(/\.?0+$/, '');
  return negative ? `-${s}` : s;
}

/**
 * ` name="#rrggbb"` plus ` name-opacity` for a #rrggbbaa colour; a colour that is not valid is
 * written as the fallback, never as it is.
 */
export function paint(name, colour, fallback) {
  const c = isColour(colour) ? colour : fallback;
  let out = ` ${name}="${c.slice(0, 7)}"`;
  if (c.length === 9) out += ` ${name}-opacity="${num(parseInt(c.slice(7), 16) / 255)}"`;
  return out;
}
