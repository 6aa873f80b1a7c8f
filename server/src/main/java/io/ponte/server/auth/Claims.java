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
  static final String GROUPS = "groups";

  static final int MAX_USER_ID = 128;
  static final int MAX_DISPLAY_NAME = 100;
  /** Longest token accepted or minted, in characters (a compact JWS is ASCII). */
  static final int MAX_TOKEN_LENGTH = 8 * 1024;
  /** Clock skew allowed on exp and nbf. */
  static final long CLOCK_SKEW_SECONDS = 30;

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
    return null;
  }

  /** Checks the display name after trimming. */
  static String checkDisplayName(String trimmedName) {
    if (trimmedName == null || trimmedName.isEmpty()) {
      return "name is required and must not be blank";
    }
    if (trimmedName.length() > MAX_DISPLAY_NAME) {
      return "name is longer than " + MAX_DISPLAY_NAME + " characters";
    }
    return null;
  }

  /** A room id, or a prefix followed by a single trailing '*'; a bare "*" matches every room. */
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
