package io.ponte.server.text;

import io.ponte.protocol.v1.ErrorCode;
import java.text.Normalizer;
import java.util.IllformedLocaleException;
import java.util.Locale;

/**
 * The rules for user-written text: chat messages, reactions, language tags. Pure functions, used
 * both as an early filter on the connection and again when an operation is applied, so every
 * node decides alike.
 */
public final class ChatText {
  public static final int MAX_CHARS = 4000;
  public static final int MAX_REACTION_CHARS = 32;
  public static final int MAX_LANGUAGE_CHARS = 35;
  public static final int MAX_CLIENT_MSG_ID_CHARS = 64;

  private ChatText() {}

  /** The outcome of checking a text: either a normalised value or an error. */
  public record Checked(String value, ErrorCode error, String reason) {
    public boolean ok() {
      return error == null;
    }

    static Checked ok(String value) {
      return new Checked(value, null, null);
    }

    static Checked fail(ErrorCode code, String reason) {
      return new Checked(null, code, reason);
    }
  }

  /**
   * NFC-normalises a chat text and checks it: not blank, at most {@link #MAX_CHARS} code points,
   * no control characters other than newline and tab, no unpaired surrogates.
   */
  public static Checked message(String text) {
    if (text == null || text.isBlank()) {
      return Checked.fail(ErrorCode.TEXT_EMPTY, "text is empty");
    }
    String invalid = invalidCharacter(text);
    if (invalid != null) {
      return Checked.fail(ErrorCode.TEXT_INVALID, invalid);
    }
    String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
    int codePoints = nfc.codePointCount(0, nfc.length());
    if (codePoints > MAX_CHARS) {
      return Checked.fail(
          ErrorCode.TEXT_TOO_LONG, "text has " + codePoints + " characters, at most " + MAX_CHARS);
    }
    return Checked.ok(nfc);
  }

  /** A reaction: 1 to {@link #MAX_REACTION_CHARS} code points, no whitespace-only, no controls. */
  public static Checked reaction(String reaction) {
    if (reaction == null || reaction.isBlank()) {
      return Checked.fail(ErrorCode.REACTION_INVALID, "reaction is empty");
    }
    String nfc = Normalizer.normalize(reaction, Normalizer.Form.NFC);
    if (invalidCharacter(nfc) != null || nfc.indexOf('\n') >= 0 || nfc.indexOf('\t') >= 0) {
      return Checked.fail(ErrorCode.REACTION_INVALID, "reaction has invalid characters");
    }
    if (nfc.codePointCount(0, nfc.length()) > MAX_REACTION_CHARS) {
      return Checked.fail(ErrorCode.REACTION_INVALID, "reaction is too long");
    }
    return Checked.ok(nfc);
  }

  /** An optional BCP 47 tag: empty is fine; otherwise well-formed, returned in canonical case. */
  public static Checked language(String tag) {
    if (tag == null || tag.isEmpty()) {
      return Checked.ok("");
    }
    if (tag.length() > MAX_LANGUAGE_CHARS) {
      return Checked.fail(ErrorCode.LANGUAGE_INVALID, "language tag is too long");
    }
    try {
      Locale locale = new Locale.Builder().setLanguageTag(tag).build();
      String canonical = locale.toLanguageTag();
      if (canonical.isEmpty() || "und".equals(canonical)) {
        return Checked.fail(ErrorCode.LANGUAGE_INVALID, "language tag is not well-formed");
      }
      return Checked.ok(canonical);
    } catch (IllformedLocaleException e) {
      return Checked.fail(ErrorCode.LANGUAGE_INVALID, "language tag is not well-formed");
    }
  }

  /** A client message id: empty (no idempotency) or 1..64 printable ASCII characters. */
  public static Checked clientMsgId(String id) {
    if (id == null || id.isEmpty()) {
      return Checked.ok("");
    }
    if (id.length() > MAX_CLIENT_MSG_ID_CHARS) {
      return Checked.fail(ErrorCode.CLIENT_MSG_ID_INVALID, "client_msg_id is longer than 64");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return Checked.fail(ErrorCode.CLIENT_MSG_ID_INVALID, "client_msg_id must be printable ASCII");
      }
    }
    return Checked.ok(id);
  }

  /** A user id as it appears in requests and tokens: 1..128 chars, printable, no spaces. */
  public static boolean validUserId(String id) {
    if (id == null || id.isEmpty() || id.length() > 128) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static String invalidCharacter(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
        return "text has an unpaired surrogate";
      }
      if (Character.isLowSurrogate(c)) {
        return "text has an unpaired surrogate";
      }
      if (c == '\n' || c == '\t') {
        continue;
      }
      int type = Character.getType(c);
      if (type == Character.CONTROL || c == '\u2028' || c == '\u2029' || type == Character.UNASSIGNED && c == '\uFFFF') {
        return "text has control characters";
      }
    }
    return null;
  }
}
