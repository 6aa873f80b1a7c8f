package io.ponte.server.whiteboard;

import static io.ponte.server.whiteboard.SvgMarkup.num;
import static io.ponte.server.whiteboard.SvgMarkup.paint;
import static io.ponte.server.whiteboard.SvgMarkup.px;

import io.ponte.protocol.v1.BoardStyle;
import java.util.List;

/**
 * The one rendering rule for freehand paths (WHITEBOARD.md, "Rendering"), shared with the browser
 * app. With points p0..p(n-1) and m(i) the midpoint of p(i-1) and p(i), a path is the chain of
 * pieces: a line p0 to m1, a quadratic curve m(i) to m(i+1) through control point p(i) for each
 * i in 1..n-2, and a line m(n-1) to p(n-1), with round caps and joins; a single point is a dot
 * of the stroke's diameter. Without pressure the chain is one path of the style's width; with
 * pressure each piece is drawn on its own with width × pressure / 255 of its own point (p0 for
 * the first piece, p(i) for a curve, p(n-1) for the last).
 */
final class PathRenderer {
  private PathRenderer() {}

  static void render(StringBuilder out, int[] xy, List<Integer> pressure, BoardStyle s) {
    int n = xy.length / 2;
    float width = StyleRules.width(s);
    String colour = StyleRules.stroke(s);
    if (n == 1) {
      float w = pressure.isEmpty() ? width : width * pressure.get(0) / 255f;
      out.append("<circle cx=\"").append(px(xy[0])).append("\" cy=\"").append(px(xy[1]))
          .append("\" r=\"").append(num(w / 2.0)).append('"')
          .append(paint("fill", colour, StyleRules.DEFAULT_STROKE)).append("/>");
      return;
    }
    String strokeAttrs = " fill=\"none\"" + paint("stroke", colour, StyleRules.DEFAULT_STROKE)
        + " stroke-linecap=\"round\" stroke-linejoin=\"round\"";
    if (pressure.isEmpty()) {
      out.append("<path d=\"M").append(pt(xy, 0));
      for (int i = 0; i < n; i++) {
        out.append(piece(xy, i, n));
      }
      out.append("\"").append(strokeAttrs).append(" stroke-width=\"").append(num(width)).append("\"/>");
      return;
    }
    out.append("<g").append(strokeAttrs).append('>');
    for (int i = 0; i < n; i++) {
      double w = width * pressure.get(i) / 255.0;
      if (w <= 0) {
        continue;
      }
      out.append("<path d=\"M").append(start(xy, i)).append(piece(xy, i, n))
          .append("\" stroke-width=\"").append(num(w)).append("\"/>");
    }
    out.append("</g>");
  }

  /** Where piece i starts: p0 for the first, m(i) after it. */
  private static String start(int[] xy, int i) {
    return i == 0 ? pt(xy, 0) : mid(xy, i);
  }

  /** Piece i as path commands, from where the previous one ended. */
  private static String piece(int[] xy, int i, int n) {
    if (i == 0) {
      return " L" + mid(xy, 1);
    }
    if (i == n - 1) {
      return " L" + pt(xy, n - 1);
    }
    return " Q" + pt(xy, i) + " " + mid(xy, i + 1);
  }

  private static String pt(int[] xy, int i) {
    return px(xy[2 * i]) + " " + px(xy[2 * i + 1]);
  }

  /** Midpoint of p(i-1) and p(i). */
  private static String mid(int[] xy, int i) {
    return px((xy[2 * i - 2] + (double) xy[2 * i]) / 2) + " " + px((xy[2 * i - 1] + (double) xy[2 * i + 1]) / 2);
  }
}
