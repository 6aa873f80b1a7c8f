package io.ponte.load;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** A minimal JSON writer for reports (maps, lists, numbers, strings, booleans, null). */
final class Json {
  private Json() {}

  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.append('\n').toString();
  }

  private static void write(StringBuilder sb, Object v, int indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      sb.append(quote(s));
    } else if (v instanceof Double d) {
      sb.append(d.isNaN() || d.isInfinite() ? "null" : number(d));
    } else if (v instanceof Float f) {
      write(sb, f.doubleValue(), indent);
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append("{\n");
      int i = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        pad(sb, indent + 1).append(quote(String.valueOf(e.getKey()))).append(": ");
        write(sb, e.getValue(), indent + 1);
        sb.append(++i < m.size() ? ",\n" : "\n");
      }
      pad(sb, indent).append('}');
    } else if (v instanceof Collection<?> c) {
      boolean flat = c.stream().allMatch(x -> x instanceof Number || x == null);
      sb.append('[');
      int i = 0;
      for (Object x : c) {
        if (!flat) {
          sb.append('\n');
          pad(sb, indent + 1);
        }
        write(sb, x, indent + 1);
        if (++i < c.size()) {
          sb.append(flat ? ", " : ",");
        }
      }
      if (!flat && !c.isEmpty()) {
        sb.append('\n');
        pad(sb, indent);
      }
      sb.append(']');
    } else if (v instanceof double[] arr) {
      sb.append('[');
      for (int i = 0; i < arr.length; i++) {
        sb.append(i > 0 ? ", " : "");
        write(sb, arr[i], indent);
      }
      sb.append(']');
    } else {
      sb.append(quote(v.toString()));
    }
  }

  private static String number(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString((long) d);
    }
    return String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  private static StringBuilder pad(StringBuilder sb, int indent) {
    for (int i = 0; i < indent; i++) {
      sb.append("  ");
    }
    return sb;
  }
}
