package io.ponte.server.auth;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Who a verified token says the holder is, and which rooms they may enter in which role. The token
 * format is described on {@link TokenVerifier}.
 *
 * @param userId the {@code sub} claim, 1..128 characters
 * @param displayName the {@code name} claim, trimmed, 1..100 characters
 * @param expiresAtMs the {@code exp} claim in milliseconds since the epoch
 * @param admin true when the token carries {@code "admin": true}
 * @param rooms the {@code rooms} claim: room id or {@code prefix*} pattern to role (immutable)
 * @param guest true when the token carries {@code "guest": true}: a learner not yet known to the
 *     room (from a partner school), whose Join waits for a teacher in a room whose lobby admits
 *     guests only after a teacher's check
 * @param groups the optional {@code groups} claim: group key ({@code school}, {@code language},
 *     ...) to value, for placing learners in breakouts by claim (immutable; at most
 *     {@link #MAX_GROUPS} entries, keys {@link #validGroupKey}, values {@link #validGroupValue})
 */
public record Principal(
    String userId, String displayName, long expiresAtMs, boolean admin, Map<String, Role> rooms,
    boolean guest, Map<String, String> groups) {
  /** Entries of the groups claim. */
  public static final int MAX_GROUPS = 8;

  public Principal {
    String problem = Claims.checkUserId(userId);
    if (problem == null) {
      problem = Claims.checkDisplayName(displayName);
    }
    if (problem == null && !displayName.equals(displayName.trim())) {
      problem = "name must be trimmed";
    }
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    Objects.requireNonNull(rooms, "rooms");
    Map<String, Role> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Role> e : rooms.entrySet()) {
      String p = Claims.checkPattern(e.getKey());
      if (p != null) {
        throw new IllegalArgumentException(p);
      }
      if (Claims.roleToClaim(e.getValue()) == null) {
        throw new IllegalArgumentException(
            "rooms maps '" + e.getKey() + "' to an invalid role " + e.getValue());
      }
      copy.put(e.getKey(), e.getValue());
    }
    rooms = Collections.unmodifiableMap(copy);
    Objects.requireNonNull(groups, "groups");
    String g = checkGroups(groups);
    if (g != null) {
      throw new IllegalArgumentException(g);
    }
    groups = Collections.unmodifiableMap(new LinkedHashMap<>(groups));
  }

  /** Without the guest and groups claims. */
  public Principal(String userId, String displayName, long expiresAtMs, boolean admin, Map<String, Role> rooms) {
    this(userId, displayName, expiresAtMs, admin, rooms, false, Map.of());
  }

  /** Without a groups claim. */
  public Principal(String userId, String displayName, long expiresAtMs, boolean admin,
      Map<String, Role> rooms, boolean guest) {
    this(userId, displayName, expiresAtMs, admin, rooms, guest, Map.of());
  }

  /** Without the guest claim. */
  public Principal(String userId, String displayName, long expiresAtMs, boolean admin,
      Map<String, Role> rooms, Map<String, String> groups) {
    this(userId, displayName, expiresAtMs, admin, rooms, false, groups);
  }

  /** A group key: 1-32 of {@code [a-z0-9_-]}. */
  public static boolean validGroupKey(String key) {
    if (key == null || key.isEmpty() || key.length() > 32) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** A group value: 1-64 code points, not blank, no control characters, no unpaired surrogates. */
  public static boolean validGroupValue(String value) {
    if (value == null || value.isBlank() || value.codePointCount(0, value.length()) > 64) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** Null when the groups are acceptable, else what is wrong. */
  static String checkGroups(Map<String, String> groups) {
    if (groups.size() > MAX_GROUPS) {
      return "groups has more than " + MAX_GROUPS + " entries";
    }
    for (Map.Entry<String, String> e : groups.entrySet()) {
      if (!validGroupKey(e.getKey())) {
        return "groups keys are 1-32 of a-z, 0-9, '_' or '-'";
      }
      if (!validGroupValue(e.getValue())) {
        return "groups values are 1-64 characters without control characters";
      }
    }
    return null;
  }

  /**
   * Parses the {@code groups} claim as decoded from JSON: null (absent) gives none; anything
   * other than an object of valid string values is TOKEN_INVALID.
   */
  static Map<String, String> parseGroups(Object claim) throws AuthException {
    if (claim == null) {
      return Map.of();
    }
    if (!(claim instanceof Map<?, ?> raw)) {
      throw new AuthException(ErrorCode.TOKEN_INVALID, "groups is not a JSON object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : raw.entrySet()) {
      if (!(e.getKey() instanceof String key) || !(e.getValue() instanceof String value)) {
        throw new AuthException(ErrorCode.TOKEN_INVALID, "groups maps strings to strings");
      }
      out.put(key, value);
    }
    String problem = checkGroups(out);
    if (problem != null) {
      throw new AuthException(ErrorCode.TOKEN_INVALID, problem);
    }
    return out;
  }

  /**
   * The role this principal has in {@code roomId}: an exact grant wins; otherwise the longest
   * {@code prefix*} pattern that covers the room id, matching only at a separator (see
   * Claims#patternMatches; a bare {@code *} matches every room); otherwise null.
   */
  public Role roleFor(String roomId) {
    Objects.requireNonNull(roomId, "roomId");
    Role exact = rooms.get(roomId);
    if (exact != null) {
      return exact;
    }
    Role best = null;
    int bestLength = -1;
    for (Map.Entry<String, Role> e : rooms.entrySet()) {
      String pattern = e.getKey();
      if (!pattern.endsWith("*")) {
        continue;
      }
      String prefix = pattern.substring(0, pattern.length() - 1);
      if (prefix.length() > bestLength && Claims.patternMatches(prefix, roomId)) {
        best = e.getValue();
        bestLength = prefix.length();
      }
    }
    return best;
  }

  /**
   * Parses the {@code rooms} claim as decoded from JSON: null (absent) gives no grants; anything
   * other than an object of role strings is TOKEN_INVALID.
   */
  static Map<String, Role> parseRooms(Object claim) throws AuthException {
    if (claim == null) {
      return Map.of();
    }
    if (!(claim instanceof Map<?, ?> raw)) {
      throw new AuthException(ErrorCode.TOKEN_INVALID, "rooms is not a JSON object");
    }
    Map<String, Role> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : raw.entrySet()) {
      if (!(e.getKey() instanceof String pattern)) {
        throw new AuthException(ErrorCode.TOKEN_INVALID, "rooms has a non-string key");
      }
      String problem = Claims.checkPattern(pattern);
      if (problem != null) {
        throw new AuthException(ErrorCode.TOKEN_INVALID, problem);
      }
      Role role = e.getValue() instanceof String s ? Claims.roleFromClaim(s) : null;
      if (role == null) {
        throw new AuthException(
            ErrorCode.TOKEN_INVALID,
            "rooms maps a pattern to an unknown role; expected \"teacher\", \"student\" or \"observer\"");
      }
      out.put(pattern, role);
    }
    return out;
  }

  @Override
  public String toString() {
    return "Principal[userId=" + userId + ", admin=" + admin + ", guest=" + guest + ", rooms=" + rooms.size() + "]";
  }
}
