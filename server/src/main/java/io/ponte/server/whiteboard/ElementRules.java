package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardLine;
import io.ponte.protocol.v1.ElementPatch;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.server.room.ResourceId;

/** What makes an element, a patch, a title or a text acceptable (whiteboard.proto). */
final class ElementRules {
  /** Coordinates lie within ±COORD_LIMIT units (1/10 px): ±100,000 px. */
  static final long COORD_LIMIT = 1_000_000;
  static final int MAX_TITLE_CHARS = 200;

  private ElementRules() {}

  static boolean inBounds(long v) {
    return v >= -COORD_LIMIT && v <= COORD_LIMIT;
  }

  /**
   * Null when a client's new element (id, z, style, shape) may be added. {@code blanked}: a
   * redacted copy, whose shape an erasure blanked (erasure.Erasure) after it was checked and took
   * effect: its shape is not checked again (only its kind, in a patch).
   */
  static Refusal checkNew(BoardElement e, BoardLimits limits, boolean blanked) {
    if (!ResourceId.valid(e.getElementId())) {
      return new Refusal(ErrorCode.ELEMENT_INVALID, "element_id is missing or invalid");
    }
    if (!FractionalIndex.valid(e.getZ())) {
      return new Refusal(ErrorCode.ELEMENT_INVALID, "z is not a fractional index");
    }
    Refusal r = StyleRules.check(e.getStyle());
    if (r == null && blanked && e.getShapeCase() == BoardElement.ShapeCase.SHAPE_NOT_SET) {
      r = new Refusal(ErrorCode.ELEMENT_INVALID, "the element has no shape");
    }
    return r != null || blanked ? r : checkShape(e, limits);
  }

  /**
   * Null when the patch may be applied to {@code current}. The shape is checked when the patch
   * sends one (and is not {@code blanked}, see {@link #checkNew}): a style-only patch leaves the
   * shape as it was checked, and a blanked one (an erased author's) must stay patchable.
   */
  static Refusal checkPatch(ElementPatch p, BoardElement current, BoardLimits limits, boolean blanked) {
    if (p.getShapeCase() == ElementPatch.ShapeCase.SHAPE_NOT_SET && !StyleRules.setsAnything(p.getStyle())) {
      return new Refusal(ErrorCode.ELEMENT_INVALID, "the patch of " + p.getElementId() + " changes nothing");
    }
    if (p.getShapeCase() != ElementPatch.ShapeCase.SHAPE_NOT_SET
        && p.getShapeCase().getNumber() != current.getShapeCase().getNumber()) {
      return new Refusal(ErrorCode.ELEMENT_INVALID,
          "a " + current.getShapeCase() + " cannot become a " + p.getShapeCase());
    }
    Refusal r = StyleRules.check(p.getStyle());
    if (r != null || blanked || p.getShapeCase() == ElementPatch.ShapeCase.SHAPE_NOT_SET) {
      return r;
    }
    return checkShape(patched(current, p), limits);
  }

  /** {@code current} with what the patch sends replaced (server fields untouched). */
  static BoardElement patched(BoardElement current, ElementPatch p) {
    BoardElement.Builder b = current.toBuilder();
    switch (p.getShapeCase()) {
      case PATH -> b.setPath(p.getPath());
      case LINE -> b.setLine(p.getLine());
      case ARROW -> b.setArrow(p.getArrow());
      case RECTANGLE -> b.setRectangle(p.getRectangle());
      case ELLIPSE -> b.setEllipse(p.getEllipse());
      case TEXT -> b.setText(p.getText());
      case STICKY -> b.setSticky(p.getSticky());
      case IMAGE -> b.setImage(p.getImage());
      case SHAPE_NOT_SET -> { }
    }
    if (p.hasStyle()) {
      b.setStyle(StyleRules.merge(current.getStyle(), p.getStyle()));
    }
    return b.build();
  }

  static Refusal checkShape(BoardElement e, BoardLimits limits) {
    return switch (e.getShapeCase()) {
      case PATH -> PackedPoints.check(e.getPath(), limits.maxPathPoints());
      case LINE -> checkLine(e.getLine());
      case ARROW -> checkLine(e.getArrow());
      case RECTANGLE -> checkBox(e.getRectangle());
      case ELLIPSE -> checkBox(e.getEllipse());
      case TEXT -> firstOf(
          checkBox(e.getText().getX(), e.getText().getY(), e.getText().getWidth(), 0),
          checkText(e.getText().getText(), limits.maxTextChars()));
      case STICKY -> firstOf(
          checkBox(e.getSticky().getX(), e.getSticky().getY(), e.getSticky().getWidth(), e.getSticky().getHeight()),
          checkText(e.getSticky().getText(), limits.maxTextChars()));
      case IMAGE -> ResourceId.valid(e.getImage().getAssetId())
          ? checkBox(e.getImage().getX(), e.getImage().getY(), e.getImage().getWidth(), e.getImage().getHeight())
          : new Refusal(ErrorCode.ELEMENT_INVALID, "asset_id is missing or invalid");
      case SHAPE_NOT_SET -> new Refusal(ErrorCode.ELEMENT_INVALID, "the element has no shape");
    };
  }

  private static Refusal firstOf(Refusal a, Refusal b) {
    return a != null ? a : b;
  }

  private static Refusal checkLine(BoardLine l) {
    if (!inBounds(l.getX1()) || !inBounds(l.getY1()) || !inBounds(l.getX2()) || !inBounds(l.getY2())) {
      return new Refusal(ErrorCode.OUT_OF_BOUNDS, "a line end is outside the board");
    }
    return null;
  }

  private static Refusal checkBox(BoardBox b) {
    return checkBox(b.getX(), b.getY(), b.getWidth(), b.getHeight());
  }

  private static Refusal checkBox(int x, int y, int width, int height) {
    if (width < 0 || height < 0) {
      return new Refusal(ErrorCode.ELEMENT_INVALID, "negative width or height");
    }
    // In longs: x + width overflows an int near the limits.
    if (!inBounds(x) || !inBounds(y) || !inBounds((long) x + width) || !inBounds((long) y + height)) {
      return new Refusal(ErrorCode.OUT_OF_BOUNDS, "the box reaches outside the board");
    }
    return null;
  }

  /** Element text: newlines and tabs, no other control characters, at most max code points. */
  static Refusal checkText(String text, int maxChars) {
    if (text.codePointCount(0, text.length()) > maxChars) {
      return new Refusal(ErrorCode.ELEMENT_TEXT_TOO_LONG, "text longer than " + maxChars + " characters");
    }
    return printable(text, true) ? null : new Refusal(ErrorCode.ELEMENT_INVALID, "control characters in text");
  }

  /** Board and page titles. */
  static Refusal checkTitle(String title) {
    if (title.length() > MAX_TITLE_CHARS || !printable(title, false)) {
      return new Refusal(ErrorCode.INVALID_REQUEST,
          "title longer than " + MAX_TITLE_CHARS + " or with control characters");
    }
    return null;
  }

  /**
   * No control characters (but newline and tab in multi-line text), no unpaired surrogates, no
   * U+FFFE/U+FFFF: what XML (the SVG export) cannot hold either.
   */
  static boolean printable(String s, boolean multiLine) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (multiLine && (c == '\n' || c == '\t')) {
        continue;
      }
      if (Character.isISOControl(c) || c == '\uFFFE' || c == '\uFFFF') {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
