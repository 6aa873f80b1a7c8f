package io.ponte.server.auth;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.Header;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.PlainObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies the access tokens clients present, and turns them into {@link Principal}s.
 *
 * <h2>Token format</h2>
 *
 * <p>A token is a JWT in JWS compact serialization, signed with one of:
 *
 * <ul>
 *   <li>{@code HS256} with the server's shared secret (its UTF-8 bytes; see {@link AuthKeys});
 *   <li>{@code RS256} or {@code PS256} with an RSA private key (at least 2048 bits) whose public
 *       key is configured ({@code jwt-public-keys}) or published in the JWK Set at {@code
 *       jwt-jwks-url};
 *   <li>{@code ES256} with an EC P-256 private key whose public key is configured or published.
 * </ul>
 *
 * <p>A token's {@code kid} header picks the published key; without one, every published key of
 * its algorithm is tried. A {@code kid} the cached set does not hold makes {@link #verifyAsync}
 * fetch the set again ({@link JwksKeys}: at most once per minimum interval); {@link #verify},
 * which never waits, uses the keys fetched so far.
 *
 * <p>Unsigned tokens ({@code "alg": "none"}), encrypted tokens, and any other algorithm or an
 * algorithm whose key is not configured are refused. The compact token must not exceed 8 KiB.
 *
 * <p>Claims:
 *
 * <table>
 *   <caption>Token claims</caption>
 *   <tr><th>claim</th><th>required</th><th>meaning</th></tr>
 *   <tr><td>{@code sub}</td><td>yes</td><td>user id, string of 1..128 characters, no control or
 *       bidirectional control characters</td></tr>
 *   <tr><td>{@code name}</td><td>yes</td><td>display name, string of 1..100 characters after
 *       trimming surrounding whitespace, no control or bidirectional control characters</td></tr>
 *   <tr><td>{@code exp}</td><td>yes</td><td>expiry, NumericDate (seconds since the epoch)</td></tr>
 *   <tr><td>{@code nbf}</td><td>no</td><td>not before, NumericDate</td></tr>
 *   <tr><td>{@code iat}</td><td>no</td><td>issued at, NumericDate; refused in the future
 *       (beyond the skew); {@code exp - iat} (or {@code exp -} now without it) at most the
 *       configured maximum lifetime (24 hours by default)</td></tr>
 *   <tr><td>{@code iss}</td><td>no</td><td>must equal the configured issuer, when one is
 *       configured; ignored otherwise</td></tr>
 *   <tr><td>{@code aud}</td><td>no</td><td>string or array of strings that must contain the
 *       configured audience, when one is configured; ignored otherwise</td></tr>
 *   <tr><td>{@code rooms}</td><td>no</td><td>JSON object mapping a room id, or a prefix
 *       followed by {@code *}, to {@code "teacher"}, {@code "student"} or {@code "observer"}
 *       (lowercase). A bare {@code "*"} matches every room; a prefix matches only at a separator
 *       ({@code -}, {@code _} or {@code .}): {@code r1*} covers {@code r1}, {@code r1-a} and
 *       {@code r1.b1} but not {@code r10}. An exact room id beats any pattern;
 *       among patterns the longest prefix wins. {@code *} may appear only as the last character.
 *       Absent means no room grants.</td></tr>
 *   <tr><td>{@code admin}</td><td>no</td><td>boolean; {@code true} allows the admin HTTP
 *       API</td></tr>
 *   <tr><td>{@code guest}</td><td>no</td><td>boolean; {@code true} marks a guest (a learner
 *       from a partner school not yet known to the room), who waits in the lobby of a room whose
 *       lobby mode is {@code guests}</td></tr>
 *   <tr><td>{@code groups}</td><td>no</td><td>JSON object of at most 8 entries mapping a group
 *       key (1-32 of {@code a-z 0-9 _ -}, e.g. {@code school}, {@code language}) to a string of
 *       1..64 characters without control characters; places learners in breakouts by
 *       claim</td></tr>
 * </table>
 *
 * <p>Example payload: {@code {"sub":"u-17","name":"Ana","exp":1767225600,
 * "rooms":{"erasmus-nl-pl-*":"student"}}}
 *
 * <p>{@code exp} and {@code nbf} are checked with 30 seconds of clock skew allowed. Other claims
 * are ignored.
 *
 * <h2>Errors</h2>
 *
 * <ul>
 *   <li>TOKEN_EXPIRED: {@code exp} has passed (beyond the skew);
 *   <li>TOKEN_BAD_SIGNATURE: the signature does not verify, the algorithm is not accepted or has
 *       no configured key, the published key set (fetched again) has no key with the token's
 *       {@code kid}, or the token is unsigned ({@code alg: none});
 *   <li>TOKEN_KEYS_UNAVAILABLE (retryable): the token needs a published key that is not cached,
 *       and the key set cannot be fetched now;
 *   <li>TOKEN_INVALID: anything else: not a JWS, longer than 8 KiB, payload not a JSON object,
 *       required claim missing or of the wrong type (e.g. a non-boolean {@code admin} or
 *       {@code guest}), bad {@code rooms} or {@code groups}, {@code nbf} in the future,
 *       wrong {@code iss} or {@code aud}.
 * </ul>
 *
 * <p>The signature is checked before any claim, so a forged token is always TOKEN_BAD_SIGNATURE.
 * Instances are thread-safe.
 */
public final class TokenVerifier {
  private final Clock clock;
  private final String issuer;
  private final String audience;
  private final long maxLifetimeSeconds;
  private final DisplayNames displayNames;
  private final JWSVerifier hmac;
  private final List<JWSVerifier> rsa = new ArrayList<>();
  private final List<JWSVerifier> ec = new ArrayList<>();
  /** Published keys ({@code jwt-jwks-url}), or null. */
  private final JwksKeys jwks;

  public TokenVerifier(AuthKeys keys) {
    this(keys, null, Clock.systemUTC());
  }

  public TokenVerifier(AuthKeys keys, Clock clock) {
    this(keys, null, clock);
  }

  /** Verifies with {@code keys} and, when not null, the keys {@code jwks} publishes. */
  public TokenVerifier(AuthKeys keys, JwksKeys jwks) {
    this(keys, jwks, Clock.systemUTC());
  }

  public TokenVerifier(AuthKeys keys, JwksKeys jwks, Clock clock) {
    Objects.requireNonNull(keys, "keys");
    this.jwks = jwks;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.issuer = keys.issuer();
    this.audience = keys.audience();
    this.maxLifetimeSeconds = keys.maxLifetimeSeconds();
    this.displayNames = keys.displayNames();
    try {
      byte[] secret = keys.secret();
      this.hmac = secret == null ? null : new MACVerifier(secret);
      for (RSAPublicKey key : keys.rsaKeys()) {
        rsa.add(new RSASSAVerifier(key));
      }
      for (ECPublicKey key : keys.ecKeys()) {
        ec.add(new ECDSAVerifier(key));
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable key: " + e.getMessage(), e);
    }
  }

  /**
   * Verifies {@code token} and returns who it names, without waiting: a published key not fetched
   * yet is TOKEN_BAD_SIGNATURE (TOKEN_KEYS_UNAVAILABLE before any fetch succeeded), and asks for a
   * fetch for the next token. For the HTTP API; sockets use {@link #verifyAsync}.
   *
   * @throws AuthException with TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_BAD_SIGNATURE or
   *     TOKEN_KEYS_UNAVAILABLE
   */
  public Principal verify(String token) throws AuthException {
    JWSObject jws = parse(token);
    if (!signedByKnownKey(jws)) {
      jwks.refreshForUnknownKey(); // for the next one; its outcome is not awaited
      throw jwks.loaded() ? unknownKey(jws) : keysUnavailable();
    }
    return principalFrom(jws);
  }

  /**
   * Verifies {@code token} like {@link #verify}, fetching the published key set again when the
   * token names a key it does not hold (at most once per {@code jwt-jwks-refresh-min-interval-ms};
   * concurrent calls share one fetch). Completes on the caller's context (when there is one),
   * within {@code jwt-jwks-timeout-ms}; without a fetch to wait for, it is already complete.
   * Fails with an {@link AuthException}: TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_BAD_SIGNATURE or
   * TOKEN_KEYS_UNAVAILABLE (retryable).
   */
  public Future<Principal> verifyAsync(String token) {
    JWSObject jws;
    try {
      jws = parse(token);
      if (signedByKnownKey(jws)) {
        return Future.succeededFuture(principalFrom(jws));
      }
    } catch (AuthException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(invalid("cannot verify the token"));
    }
    Context caller = Vertx.currentContext();
    Promise<Principal> result = caller == null ? Promise.promise() : ((ContextInternal) caller).promise();
    jwks.refreshForUnknownKey().onComplete(ar -> {
      try {
        if (ar.failed()) {
          throw ar.cause() instanceof AuthException e ? e : keysUnavailable();
        }
        List<JWSVerifier> keys = ar.result().candidates(jws.getHeader().getKeyID(),
            jws.getHeader().getAlgorithm());
        if (keys.isEmpty()) {
          throw unknownKey(jws);
        }
        checkSignature(jws, keys);
        result.complete(principalFrom(jws));
      } catch (AuthException e) {
        result.fail(e);
      } catch (RuntimeException e) {
        result.fail(invalid("cannot verify the token"));
      }
    });
    return result.future();
  }

  /** The token as a JWS; refuses what is not one, unsigned, or too long. */
  private static JWSObject parse(String token) throws AuthException {
    if (token == null || token.isEmpty()) {
      throw invalid("no token");
    }
    if (token.length() > Claims.MAX_TOKEN_LENGTH) {
      throw invalid("token longer than " + Claims.MAX_TOKEN_LENGTH + " characters");
    }
    JOSEObject parsed;
    try {
      Header header = Header.parse(JOSEObject.split(token)[0]);
      if (Algorithm.NONE.equals(header.getAlgorithm())) {
        // also when a signature part is appended: "none" is never accepted
        throw badSignature("unsigned token (alg none) refused");
      }
      parsed = JOSEObject.parse(token);
    } catch (ParseException e) {
      throw invalid("not a JWT");
    }
    if (parsed instanceof PlainObject) {
      throw badSignature("unsigned token (alg none) refused");
    }
    if (!(parsed instanceof JWSObject jws)) {
      throw invalid("not a signed JWT");
    }
    return jws;
  }

  private Principal principalFrom(JWSObject jws) throws AuthException {
    Map<String, Object> claims = jws.getPayload().toJSONObject();
    if (claims == null) {
      throw invalid("payload is not a JSON object");
    }
    return principalFrom(claims);
  }

  /**
   * The role {@code p} has in {@code roomId}.
   *
   * @throws AuthException ROOM_NOT_ALLOWED when no grant of {@code p} covers the room
   */
  public static Role requireRole(Principal p, String roomId) throws AuthException {
    Role role = p.roleFor(roomId);
    if (role == null) {
      throw new AuthException(ErrorCode.ROOM_NOT_ALLOWED, "token grants no role in this room");
    }
    return role;
  }

  /**
   * True when a configured key, or a published key already fetched, verifies the signature; false
   * when only a published key not fetched yet could (the key set must be fetched again).
   *
   * @throws AuthException TOKEN_BAD_SIGNATURE when no key could
   */
  private boolean signedByKnownKey(JWSObject jws) throws AuthException {
    JWSAlgorithm alg = jws.getHeader().getAlgorithm();
    List<JWSVerifier> configured;
    if (JWSAlgorithm.HS256.equals(alg)) {
      configured = hmac == null ? List.of() : List.of(hmac);
    } else if (JWSAlgorithm.RS256.equals(alg) || JWSAlgorithm.PS256.equals(alg)) {
      configured = rsa;
    } else if (JWSAlgorithm.ES256.equals(alg)) {
      configured = ec;
    } else {
      throw badSignature("algorithm " + alg + " is not accepted");
    }
    boolean published = jwks != null && !JWSAlgorithm.HS256.equals(alg);
    if (published) {
      List<JWSVerifier> fetched = jwks.current().candidates(jws.getHeader().getKeyID(), alg);
      if (!fetched.isEmpty()) {
        // The key the token names: its verdict is final (a kid is not looked up twice).
        if (!configured.isEmpty() && verifiesWithAny(jws, configured)) {
          return true;
        }
        checkSignature(jws, fetched);
        return true;
      }
    }
    if (configured.isEmpty()) {
      if (published) {
        return false;
      }
      throw badSignature("no key configured for " + alg);
    }
    if (verifiesWithAny(jws, configured)) {
      return true;
    }
    if (published) {
      return false;
    }
    throw badSignature("signature does not verify");
  }

  private static boolean verifiesWithAny(JWSObject jws, List<JWSVerifier> keys) {
    try {
      checkSignature(jws, keys);
      return true;
    } catch (AuthException e) {
      return false;
    }
  }

  private static void checkSignature(JWSObject jws, List<JWSVerifier> candidates)
      throws AuthException {
    for (JWSVerifier verifier : candidates) {
      try {
        // JWSObject.verify is synchronized on the object, which is local to this call.
        if (jws.verify(verifier)) {
          return;
        }
      } catch (JOSEException | IllegalStateException e) {
        throw badSignature("signature check failed: " + e.getMessage());
      }
    }
    throw badSignature("signature does not verify");
  }

  private Principal principalFrom(Map<String, Object> claims) throws AuthException {
    long nowMs = clock.millis();
    long skewMs = Claims.CLOCK_SKEW_SECONDS * 1000;

    Long exp = numericDate(claims, "exp");
    if (exp == null) {
      throw invalid("exp is required");
    }
    long expMs = exp * 1000;
    if (nowMs > expMs + skewMs) {
      throw new AuthException(ErrorCode.TOKEN_EXPIRED, "token expired");
    }
    Long nbf = numericDate(claims, "nbf");
    if (nbf != null && nbf * 1000 > nowMs + skewMs) {
      throw invalid("token not valid yet (nbf)");
    }
    Long iat = numericDate(claims, "iat");
    if (iat != null && iat * 1000 > nowMs + skewMs) {
      throw invalid("token issued in the future (iat)");
    }
    // An operator's cap on how long a token lives: a leaked long-lived token is a standing key.
    long lifetimeSeconds = iat != null ? exp - iat
        : exp - nowMs / 1000 - Claims.CLOCK_SKEW_SECONDS;
    if (lifetimeSeconds > maxLifetimeSeconds) {
      throw invalid("token lives longer than token-max-lifetime-hours allows");
    }

    if (issuer != null && !issuer.equals(claims.get("iss"))) {
      throw invalid("wrong or missing iss");
    }
    if (audience != null && !audienceMatches(claims.get("aud"))) {
      throw invalid("wrong or missing aud");
    }

    Object sub = claims.get("sub");
    if (sub != null && !(sub instanceof String)) {
      throw invalid("sub is not a string");
    }
    String problem = Claims.checkUserId((String) sub);
    if (problem != null) {
      throw invalid(problem);
    }
    Object name = claims.get(Claims.NAME);
    if (name != null && !(name instanceof String)) {
      throw invalid("name is not a string");
    }
    String displayName = name == null ? null : ((String) name).strip();
    problem = Claims.checkDisplayName(displayName);
    if (problem != null) {
      throw invalid(problem);
    }
    // Minimisation: the rest of the node never sees more of the name than it keeps.
    displayName = displayNames.apply(displayName);
    Object admin = claims.get(Claims.ADMIN);
    if (admin != null && !(admin instanceof Boolean)) {
      throw invalid("admin is not a boolean");
    }
    Object guest = claims.get(Claims.GUEST);
    if (guest != null && !(guest instanceof Boolean)) {
      throw invalid("guest is not a boolean");
    }
    Map<String, Role> rooms = Principal.parseRooms(claims.get(Claims.ROOMS));
    Map<String, String> groups = Principal.parseGroups(claims.get(Claims.GROUPS));
    return new Principal((String) sub, displayName, expMs, Boolean.TRUE.equals(admin), rooms,
        Boolean.TRUE.equals(guest), groups);
  }

  private boolean audienceMatches(Object aud) {
    if (aud instanceof String s) {
      return audience.equals(s);
    }
    if (aud instanceof List<?> list) {
      return list.contains(audience);
    }
    return false;
  }

  /** Seconds since the epoch, or null when absent; TOKEN_INVALID when not a sane number. */
  private static Long numericDate(Map<String, Object> claims, String name) throws AuthException {
    Object value = claims.get(name);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number n)) {
      throw invalid(name + " is not a number");
    }
    double d = n.doubleValue();
    // 1e11 s is around the year 5138: beyond that the value is garbage, and *1000 stays safe.
    if (Double.isNaN(d) || d < 0 || d > 1e11) {
      throw invalid(name + " is out of range");
    }
    return n.longValue();
  }

  private static AuthException invalid(String message) {
    return new AuthException(ErrorCode.TOKEN_INVALID, message);
  }

  private static AuthException badSignature(String message) {
    return new AuthException(ErrorCode.TOKEN_BAD_SIGNATURE, message);
  }

  private static AuthException unknownKey(JWSObject jws) {
    return badSignature(jws.getHeader().getKeyID() == null
        ? "no published key verifies the token"
        : "no published key has the token's kid");
  }

  private static AuthException keysUnavailable() {
    return new AuthException(ErrorCode.TOKEN_KEYS_UNAVAILABLE,
        "the token signing keys cannot be fetched now; retry later");
  }
}
