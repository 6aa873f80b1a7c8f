package io.ponte.server.whiteboard;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The small pieces of SVG text {@link BoardSvg} writes: XML escaping, numbers, and paint
 * attributes from checked colours. Everything a client sent passes through here.
 */
final class SvgMarkup {
  private SvgMarkup() {}

  /** Text or an attribute value, escaped; characters XML cannot hold are dropped. */
  static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> {
          if (xmlChar(s, i)) {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private static boolean xmlChar(String s, int i) {
    char c = s.charAt(i);
    if (c < 0x20) {
      return c == '\t' || c == '\n' || c == '\r';
    }
    if (c == '\uFFFE' || c == '\uFFFF') {
      return false;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
    return true;
  }

  /** A coordinate in the 1/10 px unit (possibly a half unit) as CSS pixels. */
  static String px(double units) {
    return num(units / 10);
  }

  /** At most two decimals, no exponent, no trailing zeros: the same text on every JVM. */
  static String num(double v) {
    if (!Double.isFinite(v)) {
      return "0";
    }
    String s = BigDecimal.valueOf(v).setScale(2, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    return s.equals("-0") ? "0" : s;
  }

  /**
   * {@code name="#rrggbb"} plus {@code name-opacity} for a {@code #rrggbbaa} colour (renderers
   * older than CSS Color 4 do not read 8-digit hex). A colour that is not checked-valid (it cannot
   * be, unless a record was edited by hand) is written as the fallback: never as it is.
   */
  static String paint(String name, String colour, String fallback) {
    if (!StyleRules.colour(colour)) {
      colour = fallback;
    }
    StringBuilder b = new StringBuilder().append(' ').append(name).append("=\"").append(colour, 0, 7).append('"');
    if (colour.length() == 9) {
      double alpha = Integer.parseInt(colour.substring(7), 16) / 255.0;
      b.append(' ').append(name).append("-opacity=\"").append(num(alpha)).append('"');
    }
    return b.toString();
  }
}
