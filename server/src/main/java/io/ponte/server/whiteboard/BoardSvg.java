package io.ponte.server.whiteboard;

import static io.ponte.server.whiteboard.SvgMarkup.escape;
import static io.ponte.server.whiteboard.SvgMarkup.num;
import static io.ponte.server.whiteboard.SvgMarkup.paint;
import static io.ponte.server.whiteboard.SvgMarkup.px;

import io.ponte.protocol.v1.Board;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardLine;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.BoardStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One board page as a standalone SVG document, drawn from the element model with the rendering
 * rules of WHITEBOARD.md ("Rendering"), which the browser app follows too. Every string a client
 * sent is escaped and every colour was checked when applied, so the output carries no markup or
 * attribute of theirs.
 */
public final class BoardSvg {
  /** Margin around the drawing, in CSS px. */
  static final double MARGIN_PX = 20;
  /** Line height of text, in font sizes; the first baseline is one font size below y. */
  static final double LINE_HEIGHT = 1.25;
  /** Estimated advance of a character, in font sizes (only for the picture's bounds). */
  static final double CHAR_WIDTH = 0.6;
  /** Inner padding of a sticky note, in CSS px. */
  static final double STICKY_PADDING_PX = 8;

  private BoardSvg() {}

  /** The page, with image references as placeholders. */
  public static String render(BoardPage page) {
    return render(page, id -> null);
  }

  /**
   * The page of a board, or null when the board has no such page.
   *
   * @param assetUrl the URL of an asset id for {@code <image href>}, or null for a placeholder
   */
  public static String render(Board board, String pageId, Function<String, String> assetUrl) {
    for (BoardPage p : board.getPagesList()) {
      if (p.getPageId().equals(pageId)) {
        return render(p, assetUrl);
      }
    }
    return null;
  }

  /** @param assetUrl the URL of an asset id for {@code <image href>}, or null for a placeholder */
  public static String render(BoardPage page, Function<String, String> assetUrl) {
    List<BoardElement> elements = new ArrayList<>(page.getElementsList());
    elements.sort(FractionalIndex.PAINT_ORDER);
    Bounds bounds = new Bounds();
    StringBuilder body = new StringBuilder();
    for (BoardElement e : elements) {
      bounds.add(e);
      float opacity = StyleRules.opacity(e.getStyle());
      boolean group = opacity < 1;
      if (group) {
        body.append("<g opacity=\"").append(num(opacity)).append("\">");
      }
      element(body, e, assetUrl);
      if (group) {
        body.append("</g>");
      }
      body.append('\n');
    }
    if (bounds.minX > bounds.maxX) {
      bounds.point(0, 0, 0); // nothing drawn: a blank margin around the origin
    }
    String x = px(bounds.minX - MARGIN_PX * 10);
    String y = px(bounds.minY - MARGIN_PX * 10);
    String w = px(bounds.maxX - bounds.minX + 2 * MARGIN_PX * 10);
    String h = px(bounds.maxY - bounds.minY + 2 * MARGIN_PX * 10);
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"" + x + " " + y + " " + w + " " + h
        + "\" width=\"" + w + "\" height=\"" + h + "\">\n"
        + "<title>" + escape(page.getTitle()) + "</title>\n"
        + "<rect x=\"" + x + "\" y=\"" + y + "\" width=\"" + w + "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n"
        + body
        + "</svg>\n";
  }

  private static void element(StringBuilder out, BoardElement e, Function<String, String> assetUrl) {
    BoardStyle s = e.getStyle();
    String stroke = paint("stroke", StyleRules.stroke(s), StyleRules.DEFAULT_STROKE);
    String width = " stroke-width=\"" + num(StyleRules.width(s)) + "\"";
    switch (e.getShapeCase()) {
      case PATH -> PathRenderer.render(out, PackedPoints.decode(e.getPath()), e.getPath().getPressureList(), s);
      case LINE -> line(out, e.getLine(), stroke + width);
      case ARROW -> {
        line(out, e.getArrow(), stroke + width);
        arrowhead(out, e.getArrow(), StyleRules.width(s), stroke + width);
      }
      case RECTANGLE -> {
        BoardBox b = e.getRectangle();
        out.append("<rect x=\"").append(px(b.getX())).append("\" y=\"").append(px(b.getY()))
            .append("\" width=\"").append(px(b.getWidth())).append("\" height=\"").append(px(b.getHeight()))
            .append('"').append(fill(s, "")).append(stroke).append(width).append("/>");
      }
      case ELLIPSE -> {
        BoardBox b = e.getEllipse();
        out.append("<ellipse cx=\"").append(px(b.getX() + b.getWidth() / 2.0))
            .append("\" cy=\"").append(px(b.getY() + b.getHeight() / 2.0))
            .append("\" rx=\"").append(px(b.getWidth() / 2.0)).append("\" ry=\"").append(px(b.getHeight() / 2.0))
            .append('"').append(fill(s, "")).append(stroke).append(width).append("/>");
      }
      case TEXT -> text(out, e.getText().getX(), e.getText().getY(), e.getText().getText(), s);
      case STICKY -> {
        var n = e.getSticky();
        out.append("<rect x=\"").append(px(n.getX())).append("\" y=\"").append(px(n.getY()))
            .append("\" width=\"").append(px(n.getWidth())).append("\" height=\"").append(px(n.getHeight()))
            .append('"').append(fill(s, StyleRules.DEFAULT_STICKY_FILL)).append("/>");
        int pad = (int) (STICKY_PADDING_PX * 10);
        text(out, n.getX() + pad, n.getY() + pad, n.getText(), s);
      }
      case IMAGE -> image(out, e, assetUrl.apply(e.getImage().getAssetId()));
      case SHAPE_NOT_SET -> { }
    }
  }

  private static String fill(BoardStyle s, String fallback) {
    String f = StyleRules.fill(s, fallback);
    return f.isEmpty() ? " fill=\"none\"" : paint("fill", f, "#ffffff");
  }

  private static void line(StringBuilder out, BoardLine l, String strokeAttrs) {
    out.append("<line x1=\"").append(px(l.getX1())).append("\" y1=\"").append(px(l.getY1()))
        .append("\" x2=\"").append(px(l.getX2())).append("\" y2=\"").append(px(l.getY2()))
        .append('"').append(strokeAttrs).append(" stroke-linecap=\"round\"/>");
  }

  /** Two strokes from the tip, ±30° off the shaft, max(10 px, 3 × width) long. */
  private static void arrowhead(StringBuilder out, BoardLine l, float width, String strokeAttrs) {
    double dx = l.getX2() - l.getX1();
    double dy = l.getY2() - l.getY1();
    double length = Math.hypot(dx, dy);
    if (length == 0) {
      return;
    }
    double head = Math.max(10, 3 * width) * 10;
    double back = Math.atan2(-dy, -dx);
    double a1 = back + Math.PI / 6;
    double a2 = back - Math.PI / 6;
    out.append("<path d=\"M").append(px(l.getX2() + head * Math.cos(a1))).append(' ')
        .append(px(l.getY2() + head * Math.sin(a1)))
        .append(" L").append(px(l.getX2())).append(' ').append(px(l.getY2()))
        .append(" L").append(px(l.getX2() + head * Math.cos(a2))).append(' ')
        .append(px(l.getY2() + head * Math.sin(a2)))
        .append("\" fill=\"none\"").append(strokeAttrs)
        .append(" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>");
  }

  /** Lines at newlines; baseline i at y + font size × (1 + 1.25 i); colour: the stroke colour. */
  private static void text(StringBuilder out, int x, int y, String text, BoardStyle s) {
    float size = StyleRules.fontSize(s);
    out.append("<text font-family=\"sans-serif\" font-size=\"").append(num(size)).append('"')
        .append(paint("fill", StyleRules.stroke(s), StyleRules.DEFAULT_STROKE))
        .append(" xml:space=\"preserve\">");
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      double baseline = y + size * 10 * (1 + LINE_HEIGHT * i);
      out.append("<tspan x=\"").append(px(x)).append("\" y=\"").append(px(baseline)).append("\">")
          .append(escape(lines[i])).append("</tspan>");
    }
    out.append("</text>");
  }

  private static void image(StringBuilder out, BoardElement e, String url) {
    var img = e.getImage();
    String box = "x=\"" + px(img.getX()) + "\" y=\"" + px(img.getY()) + "\" width=\"" + px(img.getWidth())
        + "\" height=\"" + px(img.getHeight()) + "\"";
    if (url != null) {
      // href for SVG 2, xlink:href for renderers before it.
      String href = escape(url);
      out.append("<image ").append(box).append(" href=\"").append(href).append("\" xlink:href=\"").append(href)
          .append("\" preserveAspectRatio=\"xMidYMid meet\"/>");
      return;
    }
    out.append("<rect ").append(box)
        .append(" fill=\"#eeeeee\" stroke=\"#999999\" stroke-dasharray=\"4 4\"/>")
        .append("<text x=\"").append(px(img.getX() + 40)).append("\" y=\"").append(px(img.getY() + 160))
        .append("\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#666666\">")
        .append(escape(img.getAssetId())).append("</text>");
  }

  /** The drawing's extent in units (text estimated), for the viewBox. */
  private static final class Bounds {
    double minX = Double.MAX_VALUE;
    double minY = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double maxY = -Double.MAX_VALUE;

    void point(double x, double y, double pad) {
      minX = Math.min(minX, x - pad);
      minY = Math.min(minY, y - pad);
      maxX = Math.max(maxX, x + pad);
      maxY = Math.max(maxY, y + pad);
    }

    void box(double x, double y, double w, double h, double pad) {
      point(x, y, pad);
      point(x + w, y + h, pad);
    }

    void add(BoardElement e) {
      double pad = StyleRules.width(e.getStyle()) * 10 / 2;
      switch (e.getShapeCase()) {
        case PATH -> {
          int[] p = PackedPoints.decode(e.getPath());
          for (int i = 0; i < p.length; i += 2) {
            point(p[i], p[i + 1], pad);
          }
        }
        case LINE -> box(e.getLine().getX1(), e.getLine().getY1(),
            e.getLine().getX2() - e.getLine().getX1(), e.getLine().getY2() - e.getLine().getY1(), pad);
        case ARROW -> box(e.getArrow().getX1(), e.getArrow().getY1(),
            e.getArrow().getX2() - e.getArrow().getX1(), e.getArrow().getY2() - e.getArrow().getY1(),
            Math.max(pad, Math.max(10, 3 * StyleRules.width(e.getStyle())) * 10));
        case RECTANGLE -> box(e.getRectangle().getX(), e.getRectangle().getY(),
            e.getRectangle().getWidth(), e.getRectangle().getHeight(), pad);
        case ELLIPSE -> box(e.getEllipse().getX(), e.getEllipse().getY(),
            e.getEllipse().getWidth(), e.getEllipse().getHeight(), pad);
        case TEXT -> text(e.getText().getX(), e.getText().getY(), e.getText().getText(), e.getStyle());
        case STICKY -> box(e.getSticky().getX(), e.getSticky().getY(),
            e.getSticky().getWidth(), e.getSticky().getHeight(), 0);
        case IMAGE -> box(e.getImage().getX(), e.getImage().getY(),
            e.getImage().getWidth(), e.getImage().getHeight(), 0);
        case SHAPE_NOT_SET -> { }
      }
    }

    private void text(int x, int y, String text, BoardStyle s) {
      double size = StyleRules.fontSize(s) * 10;
      String[] lines = text.split("\n", -1);
      int longest = 0;
      for (String l : lines) {
        longest = Math.max(longest, l.codePointCount(0, l.length()));
      }
      box(x, y, longest * CHAR_WIDTH * size, size * (1 + LINE_HEIGHT * (lines.length - 1)) + size * 0.25, 0);
    }
  }
}
