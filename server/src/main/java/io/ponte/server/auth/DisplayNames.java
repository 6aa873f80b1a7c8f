package io.ponte.server.auth;

/**
 * How much of a token's {@code name} a node keeps (setting {@code display-names}): the whole
 * name, or the first name only. The rule runs once, where a token becomes a {@link Principal},
 * so the rest of the node (presence, chat authorship, stored operations, the audit log) never
 * sees more than it keeps.
 */
public enum DisplayNames {
  /** The name as the token gives it. */
  FULL,
  /**
   * The first word: the text before the first space (any Unicode space, no-break spaces
   * included). A name written "Family, Given" (a comma) gives the first word after the comma. A
   * name without a space is kept whole: in scripts written without spaces between family and
   * given name (Chinese, Japanese, Korean names, often), no rule can tell the two apart, and for a
   * name such as "van der Berg Anna" the first word is "van". Where that matters, the issuer
   * should put only the given name in {@code name}.
   */
  FIRST;

  /** The part of a valid, trimmed display name to keep; never empty. */
  public String apply(String name) {
    if (this == FULL) {
      return name;
    }
    String kept = firstWord(name);
    int comma = name.indexOf(',');
    if (comma >= 0) {
      String given = firstWord(name.substring(comma + 1));
      kept = given.isEmpty() ? firstWord(name.substring(0, comma)) : given;
    }
    return kept.isEmpty() ? name : kept; // e.g. "," alone: nothing better to show
  }

  /** The first run of non-space characters; empty when there is none. */
  private static String firstWord(String text) {
    int start = 0;
    while (start < text.length() && isSpace(text.codePointAt(start))) {
      start += Character.charCount(text.codePointAt(start));
    }
    int end = start;
    while (end < text.length() && !isSpace(text.codePointAt(end))) {
      end += Character.charCount(text.codePointAt(end));
    }
    return text.substring(start, end);
  }

  private static boolean isSpace(int cp) {
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
  }
}
