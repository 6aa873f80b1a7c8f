package io.ponte.server.auth;

import io.ponte.protocol.v1.Role;
import java.util.Locale;

/**
 * Claim names and the validation rules shared by {@link TokenVerifier} and {@link TokenIssuer}.
 * Each check returns null when the value is acceptable, else a message saying what is wrong.
 */
final class Claims {
  static final String NAME = "name";
  static final String ROOMS = "rooms";
  static final String ADMIN = "admin";
  static final String GUEST = "guest";
  static final String GROUPS = "groups";

  static final int MAX_USER_ID = 128;
  static final int MAX_DISPLAY_NAME = 100;
  /** Longest token accepted or minted, in characters (a compact JWS is ASCII). */
  static final int MAX_TOKEN_LENGTH = 8 * 1024;
  /** Clock skew allowed on exp, nbf and iat. */
  static final long CLOCK_SKEW_SECONDS = 30;
  /** Longest token lifetime accepted unless configured otherwise (token-max-lifetime-hours). */
  static final long DEFAULT_MAX_LIFETIME_SECONDS = 24 * 3600;
  /** Room pattern separators: {@code P*} matches rooms that continue P at one of these. */
  static final String ROOM_SEPARATORS = "-_.";

  private Claims() {}

  static String checkUserId(String userId) {
    if (userId == null || userId.isEmpty()) {
      return "sub is required";
    }
    if (userId.length() > MAX_USER_ID) {
      return "sub is longer than " + MAX_USER_ID + " characters";
    }
    if (userId.isBlank()) {
      return "sub is blank";
    }
    return unsafeCharacter("sub", userId);
  }

  /** Checks the display name after trimming. */
  static String checkDisplayName(String trimmedName) {
    if (trimmedName == null || trimmedName.isEmpty()) {
      return "name is required and must not be blank";
    }
    if (trimmedName.length() > MAX_DISPLAY_NAME) {
      return "name is longer than " + MAX_DISPLAY_NAME + " characters";
    }
    return unsafeCharacter("name", trimmedName);
  }

  /**
   * Control characters, unpaired surrogates and bidirectional embeddings, overrides, isolates and
   * marks: a name shown to a class must read as what it is ("Ms. Smith" spelled backwards by an
   * override would not). Joiners (U+200C, U+200D) stay allowed: some scripts and emoji need them.
   */
  static String unsafeCharacter(String claim, String value) {
    for (int i = 0; i < value.length(); ) {
      int cp = value.codePointAt(i);
      if (Character.isISOControl(cp) || Character.getType(cp) == Character.SURROGATE) {
        return claim + " contains a control character";
      }
      if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E
          || cp == 0x200F || cp == 0x061C) {
        return claim + " contains a bidirectional control character";
      }
      i += Character.charCount(cp);
    }
    return null;
  }

  /**
   * A room id, or a prefix followed by a single trailing '*'; a bare "*" matches every room. How a
   * pattern matches: {@link #patternMatches}.
   */
  static String checkPattern(String pattern) {
    if (pattern == null || pattern.isEmpty()) {
      return "rooms has an empty room pattern";
    }
    int star = pattern.indexOf('*');
    if (star >= 0 && star != pattern.length() - 1) {
      return "rooms pattern may contain '*' only as its last character";
    }
    return null;
  }

  /**
   * Whether {@code prefix*} covers {@code roomId}: the room id starts with the prefix and the prefix
   * ends at a separator: it ends with one ({@code course-7-*} covers {@code course-7-a}), or the
   * room id has one right after it or ends there ({@code course-7*} covers {@code course-7},
   * {@code course-7-a} and {@code course-7.b1}, never {@code course-70}). An empty prefix covers
   * every room.
   */
  static boolean patternMatches(String prefix, String roomId) {
    if (!roomId.startsWith(prefix)) {
      return false;
    }
    if (prefix.isEmpty() || roomId.length() == prefix.length()
        || ROOM_SEPARATORS.indexOf(prefix.charAt(prefix.length() - 1)) >= 0) {
      return true;
    }
    return ROOM_SEPARATORS.indexOf(roomId.charAt(prefix.length())) >= 0;
  }

  /** The role for a claim string ("teacher", "student", "observer"), or null when unknown. */
  static Role roleFromClaim(String value) {
    if (value == null) {
      return null;
    }
    switch (value) {
      case "teacher":
        return Role.TEACHER;
      case "student":
        return Role.STUDENT;
      case "observer":
        return Role.OBSERVER;
      default:
        return null;
    }
  }

  /** The claim string for a role; null for ROLE_UNSPECIFIED / UNRECOGNIZED. */
  static String roleToClaim(Role role) {
    if (role == Role.TEACHER || role == Role.STUDENT || role == Role.OBSERVER) {
      return role.name().toLowerCase(Locale.ROOT);
    }
    return null;
  }
}
