package io.ponte.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ponte.protocol.v1.Role;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Mints HS256 tokens in the format {@link TokenVerifier} accepts, signed with the {@link AuthKeys}
 * secret. When the keys name an issuer or audience, minted tokens carry them. Thread-safe.
 */
public final class TokenIssuer {
  private final MACSigner signer;
  private final Clock clock;
  private final String issuer;
  private final String audience;
  private final long maxLifetimeSeconds;

  public TokenIssuer(AuthKeys keys) {
    this(keys, Clock.systemUTC());
  }

  /** @throws IllegalArgumentException when the keys have no HS256 secret */
  public TokenIssuer(AuthKeys keys, Clock clock) {
    Objects.requireNonNull(keys, "keys");
    this.clock = Objects.requireNonNull(clock, "clock");
    byte[] secret = keys.secret();
    if (secret == null) {
      throw new IllegalArgumentException("cannot mint tokens: no jwt-secret (HS256) configured");
    }
    try {
      this.signer = new MACSigner(secret);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable jwt-secret: " + e.getMessage(), e);
    }
    this.issuer = keys.issuer();
    this.maxLifetimeSeconds = keys.maxLifetimeSeconds();
    this.audience = keys.audience();
  }

  /**
   * A signed token for {@code userId}.
   *
   * @param userId the {@code sub}, 1..128 characters, not blank
   * @param displayName the {@code name}; trimmed, then 1..100 characters
   * @param rooms room id or {@code prefix*} pattern to role (TEACHER, STUDENT or OBSERVER); may be
   *     empty
   * @param ttl lifetime from now, at least one second
   * @param admin whether to add {@code "admin": true}
   * @throws IllegalArgumentException when an input would make a token the verifier refuses
   */
  public String mint(
      String userId, String displayName, Map<String, Role> rooms, Duration ttl, boolean admin) {
    return mint(userId, displayName, rooms, ttl, admin, false, Map.of());
  }

  /** As {@link #mint(String, String, Map, Duration, boolean)}; {@code guest} adds {@code "guest": true}. */
  public String mint(String userId, String displayName, Map<String, Role> rooms, Duration ttl,
      boolean admin, boolean guest) {
    return mint(userId, displayName, rooms, ttl, admin, guest, Map.of());
  }

  /** As above, with a {@code groups} claim (omitted when empty), e.g. {@code {"school": "lyon"}}. */
  public String mint(String userId, String displayName, Map<String, Role> rooms, Duration ttl,
      boolean admin, Map<String, String> groups) {
    return mint(userId, displayName, rooms, ttl, admin, false, groups);
  }

  /** With both optional claims: {@code "guest": true} when {@code guest}, {@code groups} when not empty. */
  public String mint(String userId, String displayName, Map<String, Role> rooms, Duration ttl,
      boolean admin, boolean guest, Map<String, String> groups) {
    if (groups == null || Principal.checkGroups(groups) != null) {
      throw new IllegalArgumentException("groups: " + (groups == null ? "null" : Principal.checkGroups(groups)));
    }
    String problem = Claims.checkUserId(userId);
    if (problem != null) {
      throw new IllegalArgumentException("userId: " + problem);
    }
    String name = displayName == null ? null : displayName.strip();
    problem = Claims.checkDisplayName(name);
    if (problem != null) {
      throw new IllegalArgumentException("displayName: " + problem);
    }
    if (rooms == null) {
      throw new IllegalArgumentException("rooms must not be null (use an empty map)");
    }
    Map<String, Object> roomClaim = new LinkedHashMap<>();
    for (Map.Entry<String, Role> e : rooms.entrySet()) {
      problem = Claims.checkPattern(e.getKey());
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      String role = Claims.roleToClaim(e.getValue());
      if (role == null) {
        throw new IllegalArgumentException(
            "rooms: role for '" + e.getKey() + "' must be TEACHER, STUDENT or OBSERVER, not "
                + e.getValue());
      }
      roomClaim.put(e.getKey(), role);
    }
    if (ttl == null || ttl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("ttl must be at least one second");
    }
    if (ttl.getSeconds() > maxLifetimeSeconds) {
      throw new IllegalArgumentException("ttl: at most token-max-lifetime-hours ("
          + maxLifetimeSeconds / 3600 + " h); the server would refuse a longer-lived token");
    }
    long nowSeconds = Math.floorDiv(clock.millis(), 1000);
    long expSeconds;
    try {
      expSeconds = Math.addExact(nowSeconds, ttl.getSeconds());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("ttl too long", e);
    }
    if (expSeconds > 100_000_000_000L) {
      throw new IllegalArgumentException("ttl too long");
    }

    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .subject(userId)
            .claim(Claims.NAME, name)
            .issueTime(new Date(nowSeconds * 1000))
            .expirationTime(new Date(expSeconds * 1000))
            .claim(Claims.ROOMS, roomClaim);
    if (admin) {
      claims.claim(Claims.ADMIN, true);
    }
    if (guest) {
      claims.claim(Claims.GUEST, true);
    }
    if (!groups.isEmpty()) {
      claims.claim(Claims.GROUPS, new LinkedHashMap<String, Object>(groups));
    }
    if (issuer != null) {
      claims.issuer(issuer);
    }
    if (audience != null) {
      claims.audience(audience);
    }
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
            claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("HS256 signing failed", e);
    }
    String token = jwt.serialize();
    if (token.length() > Claims.MAX_TOKEN_LENGTH) {
      throw new IllegalArgumentException(
          "token would be longer than " + Claims.MAX_TOKEN_LENGTH + " characters; grant fewer rooms");
    }
    return token;
  }
}
