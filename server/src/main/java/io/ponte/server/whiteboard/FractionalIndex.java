package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardElement;
import java.util.Comparator;

/**
 * Z order keys: base-62 strings compared as bytes, so a client puts an element between two others
 * by inventing a key between theirs (npm {@code fractional-indexing}, generateKeyBetween) and no
 * other element has to move. Equal keys (two clients picking the same one concurrently) are
 * ordered by element id, so every node and client draws the same order.
 */
final class FractionalIndex {
  static final int MAX_CHARS = 64;

  /** Back to front. */
  static final Comparator<BoardElement> PAINT_ORDER =
      Comparator.comparing(BoardElement::getZ).thenComparing(BoardElement::getElementId);

  private FractionalIndex() {}

  static boolean valid(String z) {
    if (z.isEmpty() || z.length() > MAX_CHARS) {
      return false;
    }
    for (int i = 0; i < z.length(); i++) {
      char c = z.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        return false;
      }
    }
    return true;
  }
}
