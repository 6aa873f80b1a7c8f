package io.ponte.server.auth;

import static io.ponte.server.auth.TestTokens.CLOCK;
import static io.ponte.server.auth.TestTokens.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jwt.SignedJWT;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenIssuerTest {
  private final AuthKeys keys = TestTokens.hsKeys();
  private final TokenIssuer issuer = new TokenIssuer(keys, CLOCK);
  private final TokenVerifier verifier = new TokenVerifier(keys, CLOCK);

  @Test
  void mintedTokenRoundTripsThroughVerifier() throws Exception {
    Map<String, Role> rooms =
        Map.of("erasmus-*", Role.STUDENT, "erasmus-nl", Role.TEACHER, "r-o", Role.OBSERVER);
    String token = issuer.mint("u-17", "  Ana ", rooms, Duration.ofHours(2), false);
    Principal p = verifier.verify(token);
    assertEquals("u-17", p.userId());
    assertEquals("Ana", p.displayName());
    assertEquals((NOW + 7200) * 1000, p.expiresAtMs());
    assertFalse(p.admin());
    assertEquals(rooms, p.rooms());
    assertEquals(Role.TEACHER, p.roleFor("erasmus-nl"));
    assertEquals(Role.STUDENT, p.roleFor("erasmus-pl"));

    Map<String, Object> payload = JWSObject.parse(token).getPayload().toJSONObject();
    assertEquals(
        Map.of("erasmus-*", "student", "erasmus-nl", "teacher", "r-o", "observer"),
        payload.get("rooms"));
    assertEquals("HS256", JWSObject.parse(token).getHeader().getAlgorithm().getName());
    assertFalse(payload.containsKey("admin"));
  }

  @Test
  void adminFlagRoundTrips() throws Exception {
    String token = issuer.mint("ops", "Operator", Map.of(), Duration.ofMinutes(5), true);
    Principal p = verifier.verify(token);
    assertTrue(p.admin());
    assertEquals(Map.of(), p.rooms());
  }

  @Test
  void guestFlagRoundTripsAndIsAbsentByDefault() throws Exception {
    String guest = issuer.mint("g-1", "Guest", Map.of("r1", Role.STUDENT), Duration.ofMinutes(5),
        false, true);
    assertTrue(verifier.verify(guest).guest());
    assertEquals(true, SignedJWT.parse(guest).getJWTClaimsSet().getClaim("guest"));
    String plain = issuer.mint("u-1", "User", Map.of("r1", Role.STUDENT), Duration.ofMinutes(5), false);
    assertFalse(verifier.verify(plain).guest());
    assertFalse(SignedJWT.parse(plain).getJWTClaimsSet().getClaims().containsKey("guest"));
  }

  @Test
  void groupsRoundTripAndBadGroupsAreNotMinted() throws Exception {
    String token = issuer.mint("u", "U", Map.of("r", Role.STUDENT), Duration.ofMinutes(5), false,
        Map.of("school", "lyon"));
    assertEquals(Map.of("school", "lyon"), verifier.verify(token).groups());
    assertEquals(Map.of(), verifier.verify(
        issuer.mint("u", "U", Map.of(), Duration.ofMinutes(5), false)).groups());
    assertThrows(IllegalArgumentException.class, () -> issuer.mint("u", "U", Map.of(),
        Duration.ofMinutes(5), false, Map.of("School", "lyon")));
  }

  @Test
  void mintedTokenExpiresAfterTtlPlusSkew() {
    String token = issuer.mint("u", "U", Map.of("r", Role.STUDENT), Duration.ofSeconds(60), false);
    Clock later = Clock.offset(CLOCK, Duration.ofSeconds(91));
    AuthException e =
        assertThrows(AuthException.class, () -> new TokenVerifier(keys, later).verify(token));
    assertEquals(ErrorCode.TOKEN_EXPIRED, e.code());
  }

  @Test
  void issuerAndAudienceAreIncludedWhenConfigured() throws Exception {
    AuthKeys strict =
        AuthKeys.of(TestTokens.SECRET.getBytes(StandardCharsets.UTF_8), null, "ponte", "class");
    String token =
        new TokenIssuer(strict, CLOCK).mint("u", "U", Map.of(), Duration.ofMinutes(1), false);
    assertEquals("u", new TokenVerifier(strict, CLOCK).verify(token).userId());
  }

  @Test
  void invalidInputsAreRejectedWithClearMessages() {
    Duration ttl = Duration.ofHours(1);
    Map<String, Role> ok = Map.of("r", Role.STUDENT);
    assertMessage("userId", () -> issuer.mint("", "Ana", ok, ttl, false));
    assertMessage("userId", () -> issuer.mint(null, "Ana", ok, ttl, false));
    assertMessage("userId", () -> issuer.mint("x".repeat(129), "Ana", ok, ttl, false));
    assertMessage("displayName", () -> issuer.mint("u", "   ", ok, ttl, false));
    assertMessage("displayName", () -> issuer.mint("u", "n".repeat(101), ok, ttl, false));
    assertMessage("empty room pattern", () -> issuer.mint("u", "A", Map.of("", Role.TEACHER), ttl, false));
    assertMessage("'*'", () -> issuer.mint("u", "A", Map.of("a*b", Role.TEACHER), ttl, false));
    assertMessage(
        "TEACHER, STUDENT or OBSERVER",
        () -> issuer.mint("u", "A", Map.of("r", Role.ROLE_UNSPECIFIED), ttl, false));
    assertMessage("rooms", () -> issuer.mint("u", "A", null, ttl, false));
    assertMessage("ttl", () -> issuer.mint("u", "A", ok, Duration.ZERO, false));
    assertMessage("ttl", () -> issuer.mint("u", "A", ok, Duration.ofSeconds(-5), false));
    assertMessage("ttl", () -> issuer.mint("u", "A", ok, null, false));
  }

  @Test
  void issuerNeedsASecret() throws Exception {
    var gen = java.security.KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    AuthKeys publicOnly =
        AuthKeys.of(null, java.util.List.of(gen.generateKeyPair().getPublic()), null, null);
    assertThrows(IllegalArgumentException.class, () -> new TokenIssuer(publicOnly, CLOCK));
  }

  private static void assertMessage(String expectedPart, Runnable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
    assertTrue(
        e.getMessage().contains(expectedPart),
        "expected '" + expectedPart + "' in: " + e.getMessage());
  }
}
