package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardStyle;
import io.ponte.protocol.v1.ErrorCode;
import java.util.regex.Pattern;

/**
 * The ranges and defaults of {@link BoardStyle}. Colours are checked against one strict pattern
 * when applied, so nothing a client sends can reach an SVG attribute other than a hex colour.
 */
final class StyleRules {
  static final String DEFAULT_STROKE = "#000000";
  static final float DEFAULT_WIDTH = 2f;
  static final float MAX_WIDTH = 200f;
  static final float DEFAULT_OPACITY = 1f;
  static final float DEFAULT_FONT_SIZE = 16f;
  static final float MIN_FONT_SIZE = 4f;
  static final float MAX_FONT_SIZE = 400f;
  static final String DEFAULT_STICKY_FILL = "#fff59d";

  private static final Pattern COLOUR = Pattern.compile("#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?");

  private StyleRules() {}

  static boolean colour(String c) {
    return COLOUR.matcher(c).matches();
  }

  /** Null when every field present is in range. */
  static Refusal check(BoardStyle s) {
    if (s.hasStroke() && !colour(s.getStroke())) {
      return new Refusal(ErrorCode.STYLE_INVALID, "stroke is not #rrggbb or #rrggbbaa");
    }
    if (s.hasFill() && !s.getFill().isEmpty() && !colour(s.getFill())) {
      return new Refusal(ErrorCode.STYLE_INVALID, "fill is not #rrggbb, #rrggbbaa or empty");
    }
    // Written as !(in range) so that NaN is refused too.
    if (s.hasWidth() && !(s.getWidth() > 0 && s.getWidth() <= MAX_WIDTH)) {
      return new Refusal(ErrorCode.STYLE_INVALID, "width must be in (0, " + MAX_WIDTH + "]");
    }
    if (s.hasOpacity() && !(s.getOpacity() >= 0 && s.getOpacity() <= 1)) {
      return new Refusal(ErrorCode.STYLE_INVALID, "opacity must be in [0, 1]");
    }
    if (s.hasFontSize() && !(s.getFontSize() >= MIN_FONT_SIZE && s.getFontSize() <= MAX_FONT_SIZE)) {
      return new Refusal(ErrorCode.STYLE_INVALID,
          "font_size must be in [" + MIN_FONT_SIZE + ", " + MAX_FONT_SIZE + "]");
    }
    return null;
  }

  /** Whether the patch style sets any field. */
  static boolean setsAnything(BoardStyle s) {
    return s.hasStroke() || s.hasWidth() || s.hasFill() || s.hasOpacity() || s.hasFontSize();
  }

  /** The style with each field the patch sets replaced. */
  static BoardStyle merge(BoardStyle base, BoardStyle patch) {
    BoardStyle.Builder b = base.toBuilder();
    if (patch.hasStroke()) {
      b.setStroke(patch.getStroke());
    }
    if (patch.hasWidth()) {
      b.setWidth(patch.getWidth());
    }
    if (patch.hasFill()) {
      b.setFill(patch.getFill());
    }
    if (patch.hasOpacity()) {
      b.setOpacity(patch.getOpacity());
    }
    if (patch.hasFontSize()) {
      b.setFontSize(patch.getFontSize());
    }
    return b.build();
  }

  static String stroke(BoardStyle s) {
    return s.hasStroke() ? s.getStroke() : DEFAULT_STROKE;
  }

  static float width(BoardStyle s) {
    return s.hasWidth() ? s.getWidth() : DEFAULT_WIDTH;
  }

  /** The fill, or "" for none. */
  static String fill(BoardStyle s, String fallback) {
    return s.hasFill() ? s.getFill() : fallback;
  }

  static float opacity(BoardStyle s) {
    return s.hasOpacity() ? s.getOpacity() : DEFAULT_OPACITY;
  }

  static float fontSize(BoardStyle s) {
    return s.hasFontSize() ? s.getFontSize() : DEFAULT_FONT_SIZE;
  }
}
