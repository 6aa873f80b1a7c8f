package io.ponte.server.auth;

import static io.ponte.server.auth.TestTokens.CLOCK;
import static io.ponte.server.auth.TestTokens.NOW;
import static io.ponte.server.auth.TestTokens.claims;
import static io.ponte.server.auth.TestTokens.hs256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.PlainObject;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64URL;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenVerifierTest {
  @TempDir Path dir;

  private final TokenVerifier verifier = new TokenVerifier(TestTokens.hsKeys(), CLOCK);

  private ErrorCode refusal(TokenVerifier v, String token) {
    return assertThrows(AuthException.class, () -> v.verify(token)).code();
  }

  private ErrorCode refusal(String token) {
    return refusal(verifier, token);
  }

  @Test
  void validHs256TokenGivesPrincipal() throws Exception {
    Map<String, Object> c = claims();
    c.put("name", "  Ana Kowalska ");
    c.put("iat", NOW - 10);
    c.put("nbf", NOW - 10);
    Principal p = verifier.verify(hs256(c));
    assertEquals("u-17", p.userId());
    assertEquals("Ana Kowalska", p.displayName());
    assertEquals((NOW + 3600) * 1000, p.expiresAtMs());
    assertFalse(p.admin());
    assertEquals(Map.of("erasmus-nl-pl-*", Role.STUDENT), p.rooms());
  }

  @Test
  void adminClaimSetsAdminFlag() throws Exception {
    Map<String, Object> c = claims();
    c.put("admin", true);
    assertTrue(verifier.verify(hs256(c)).admin());
  }

  @Test
  void guestClaimMarksAGuestAndIsOffByDefault() throws Exception {
    assertFalse(verifier.verify(hs256(claims())).guest());
    Map<String, Object> c = claims();
    c.put("guest", true);
    Principal guest = verifier.verify(hs256(c));
    assertTrue(guest.guest());
    assertFalse(guest.admin());
    c.put("guest", false);
    assertFalse(verifier.verify(hs256(c)).guest());
  }

  @Test
  void roomsClaimIsOptional() throws Exception {
    Map<String, Object> c = claims();
    c.remove("rooms");
    assertEquals(Map.of(), verifier.verify(hs256(c)).rooms());
  }

  @Test
  void expiredTokenIsTokenExpired() throws Exception {
    Map<String, Object> c = claims();
    c.put("exp", NOW - 31);
    assertEquals(ErrorCode.TOKEN_EXPIRED, refusal(hs256(c)));
    c.put("exp", NOW - 29); // inside the 30 s skew
    assertEquals("u-17", verifier.verify(hs256(c)).userId());
  }

  @Test
  void nbfInTheFutureIsInvalid() throws Exception {
    Map<String, Object> c = claims();
    c.put("nbf", NOW + 31);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
    c.put("nbf", NOW + 29); // inside the skew
    assertEquals("u-17", verifier.verify(hs256(c)).userId());
  }

  @Test
  void iatInTheFutureIsInvalid() throws Exception {
    Map<String, Object> c = claims();
    c.put("iat", NOW + 31);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
    c.put("iat", NOW + 29); // inside the skew
    assertEquals("u-17", verifier.verify(hs256(c)).userId());
  }

  @Test
  void tokensLivingLongerThanTheMaximumAreInvalid() throws Exception {
    Map<String, Object> c = claims();
    // With iat: exp - iat counts, 24 hours by default.
    c.put("iat", NOW - 60);
    c.put("exp", NOW - 60 + 24 * 3600);
    assertEquals("u-17", verifier.verify(hs256(c)).userId());
    c.put("exp", NOW - 60 + 24 * 3600 + 1);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
    // A year-long token: refused even though it is otherwise valid.
    c.put("exp", NOW + 365L * 24 * 3600);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
    // Without iat: what is left of it counts (with the skew).
    c.remove("iat");
    c.put("exp", NOW + 24 * 3600);
    assertEquals("u-17", verifier.verify(hs256(c)).userId());
    c.put("exp", NOW + 24 * 3600 + 31);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
    // The operator's setting.
    TokenVerifier hourly = new TokenVerifier(TestTokens.hsKeys().withMaxLifetime(3600), CLOCK);
    c.put("iat", NOW);
    c.put("exp", NOW + 3600);
    assertEquals("u-17", hourly.verify(hs256(c)).userId());
    c.put("exp", NOW + 3601);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hourly, hs256(c)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"u-1\u0000", "u\u00071", "u-\u202Eevil", "u\u2066x", "u\u200Fx",
      "u\u061Cx"})
  void subWithControlOrBidiCharactersIsInvalid(String value) throws Exception {
    Map<String, Object> c = claims();
    c.put("sub", value);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Ana\u202E(teacher)", "Bo\u0008b", "Ms.\u2067 Smith", "Zo\u0085fia",
      "Cy\u200E", "line\nbreak"})
  void nameWithControlOrBidiCharactersIsInvalid(String value) throws Exception {
    Map<String, Object> c = claims();
    c.put("name", value);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
  }

  @Test
  void namesInEveryScriptAndWithJoinersStayValid() throws Exception {
    for (String name : List.of("Zofia Wójcik", "محمد", "שרה", "Jürgen Groß", "李雷",
        "👩\u200D🏫 Ana", "می\u200Cخواهم")) {
      Map<String, Object> c = claims();
      c.put("name", name);
      assertEquals(name, verifier.verify(hs256(c)).displayName());
    }
  }

  @Test
  void tamperedPayloadIsBadSignature() {
    String token = hs256(claims());
    String[] parts = token.split("\\.");
    Map<String, Object> c = claims();
    c.put("rooms", Map.of("*", "teacher"));
    String forged = parts[0] + "." + new Payload(c).toBase64URL() + "." + parts[2];
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(forged));

    String notJsonPayload =
        parts[0] + "." + Base64URL.encode("not json") + "." + parts[2];
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(notJsonPayload));
  }

  @Test
  void wrongSecretIsBadSignature() {
    String token = hs256("another-secret-that-is-32-bytes-long!!", claims());
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(token));
  }

  @Test
  void algNoneIsRejected() {
    String unsigned = new PlainObject(new Payload(claims())).serialize();
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(unsigned));
    // the same with the HS256 signature of a real token appended
    String real = hs256(claims());
    String[] parts = unsigned.split("\\.");
    assertEquals(
        ErrorCode.TOKEN_BAD_SIGNATURE,
        refusal(parts[0] + "." + parts[1] + "." + real.split("\\.")[2]));
  }

  @Test
  void unconfiguredAlgorithmsAreBadSignature() throws Exception {
    byte[] secret64 = (TestTokens.SECRET + TestTokens.SECRET).getBytes(StandardCharsets.UTF_8);
    String hs512 = TestTokens.sign(JWSAlgorithm.HS512, new MACSigner(secret64), claims());
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(hs512));

    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair rsa = gen.generateKeyPair();
    String rs256 = TestTokens.sign(JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()), claims());
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(rs256)); // no RSA key configured
  }

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30", "  "})
  void garbageIsTokenInvalid(String garbage) {
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(garbage));
  }

  @Test
  void emptyOrNullTokenIsInvalid() {
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(""));
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(null));
  }

  @Test
  void tokenLongerThan8KibIsInvalid() throws Exception {
    Map<String, Object> c = claims();
    c.put("padding", "x".repeat(8 * 1024));
    String token = hs256(c);
    assertTrue(token.length() > 8 * 1024);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(token));
  }

  @Test
  void signedNonJsonPayloadIsInvalid() throws Exception {
    com.nimbusds.jose.JWSObject jws =
        new com.nimbusds.jose.JWSObject(
            new com.nimbusds.jose.JWSHeader(JWSAlgorithm.HS256), new Payload("hello"));
    jws.sign(new MACSigner(TestTokens.SECRET.getBytes(StandardCharsets.UTF_8)));
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(jws.serialize()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sub", "name", "exp"})
  void missingRequiredClaimIsInvalid(String claim) {
    Map<String, Object> c = claims();
    c.remove(claim);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)));
  }

  @Test
  void illTypedOrOutOfRangeClaimsAreInvalid() {
    Object[][] cases = {
      {"sub", 17},
      {"sub", ""},
      {"sub", "x".repeat(129)},
      {"name", "   "},
      {"name", List.of("Ana")},
      {"name", "n".repeat(101)},
      {"exp", "1767225600"},
      {"exp", -5},
      {"nbf", "soon"},
      {"iat", true},
      {"admin", "yes"},
      {"guest", "true"},
      {"guest", 1},
      {"guest", List.of(true)},
      {"rooms", List.of("r1")},
      {"rooms", "r1"},
    };
    for (Object[] kase : cases) {
      Map<String, Object> c = claims();
      c.put((String) kase[0], kase[1]);
      assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)), kase[0] + "=" + kase[1]);
    }
    Map<String, Object> ok = claims();
    ok.put("sub", "x".repeat(128));
    ok.put("name", "n".repeat(100));
    assertEquals(ErrorCode.TOKEN_EXPIRED, refusal(hs256(withExp(ok, NOW - 100))));
  }

  private static Map<String, Object> withExp(Map<String, Object> c, long exp) {
    c.put("exp", exp);
    return c;
  }

  @Test
  void groupsClaimIsOptionalAndParsed() throws Exception {
    assertEquals(Map.of(), verifier.verify(hs256(claims())).groups());
    Map<String, Object> c = claims();
    c.put("groups", Map.of("school", "Lycée Lumière", "language", "fr"));
    assertEquals(Map.of("school", "Lycée Lumière", "language", "fr"), verifier.verify(hs256(c)).groups());
  }

  @Test
  void badGroupsClaimIsInvalid() {
    Map<String, Object> nine = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 9; i++) {
      nine.put("k" + i, "v");
    }
    List<Object> bad = List.of("school", List.of("a"), Map.of("School", "x"), Map.of("", "x"),
        Map.of("k".repeat(33), "x"), Map.of("school", ""), Map.of("school", " "),
        Map.of("school", "x".repeat(65)), Map.of("school", "a\nb"), Map.of("school", 3), nine);
    for (Object groups : bad) {
      Map<String, Object> c = claims();
      c.put("groups", groups);
      assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)), groups.toString());
    }
  }

  @Test
  void badRoomsMapIsInvalid() {
    List<Map<String, Object>> bad =
        List.of(
            Map.of("r1", "Teacher"),
            Map.of("r1", "admin"),
            Map.of("r1", "ROLE_UNSPECIFIED"),
            Map.of("r1", 1),
            Map.of("", "student"),
            Map.of("a*b", "student"),
            Map.of("**", "student"));
    for (Map<String, Object> rooms : bad) {
      Map<String, Object> c = claims();
      c.put("rooms", rooms);
      assertEquals(ErrorCode.TOKEN_INVALID, refusal(hs256(c)), rooms.toString());
    }
  }

  @Test
  void issuerAndAudienceCheckedOnlyWhenConfigured() throws Exception {
    Map<String, Object> c = claims();
    c.put("iss", "https://uni.example");
    c.put("aud", "someone-else");
    // not configured: anything goes
    assertEquals("u-17", verifier.verify(hs256(c)).userId());

    byte[] secret = TestTokens.SECRET.getBytes(StandardCharsets.UTF_8);
    TokenVerifier strict =
        new TokenVerifier(AuthKeys.of(secret, null, "https://uni.example", "ponte"), CLOCK);
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(strict, hs256(c))); // wrong aud
    c.put("aud", List.of("other", "ponte"));
    assertEquals("u-17", strict.verify(hs256(c)).userId());
    c.put("aud", "ponte");
    assertEquals("u-17", strict.verify(hs256(c)).userId());
    c.put("iss", "https://evil.example");
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(strict, hs256(c)));
    c.remove("iss");
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(strict, hs256(c)));
    c.put("iss", "https://uni.example");
    c.remove("aud");
    assertEquals(ErrorCode.TOKEN_INVALID, refusal(strict, hs256(c)));
  }

  @Test
  void rs256TokenVerifiedFromPemFile() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair pair = gen.generateKeyPair();
    KeyPair other = gen.generateKeyPair();
    Path pem = TestTokens.writePem(dir, "uni-rsa.pem", pair.getPublic());

    AuthKeys keys = AuthKeys.load(dir, null, List.of(pem), null, null);
    assertFalse(keys.hasSecret(), "public keys alone disable HS256");
    assertFalse(Files.exists(dir.resolve("jwt-secret")));
    TokenVerifier v = new TokenVerifier(keys, CLOCK);

    String token = TestTokens.sign(JWSAlgorithm.RS256, new RSASSASigner(pair.getPrivate()), claims());
    Principal p = v.verify(token);
    assertEquals("u-17", p.userId());
    assertEquals(Role.STUDENT, p.roleFor("erasmus-nl-pl-2025"));

    String forged =
        TestTokens.sign(JWSAlgorithm.RS256, new RSASSASigner(other.getPrivate()), claims());
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(v, forged));
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(v, hs256(claims())));
  }

  @Test
  void es256TokenVerifiedFromPemFile() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = gen.generateKeyPair();
    KeyPair other = gen.generateKeyPair();
    KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
    rsaGen.initialize(2048);
    Path ecPem = TestTokens.writePem(dir, "uni-ec.pem", pair.getPublic());
    Path rsaPem = TestTokens.writePem(dir, "other-rsa.pem", rsaGen.generateKeyPair().getPublic());

    TokenVerifier v =
        new TokenVerifier(AuthKeys.load(dir, null, List.of(rsaPem, ecPem), null, null), CLOCK);
    String token = es256((ECPrivateKey) pair.getPrivate());
    assertEquals("Ana", v.verify(token).displayName());
    assertEquals(
        ErrorCode.TOKEN_BAD_SIGNATURE, refusal(v, es256((ECPrivateKey) other.getPrivate())));

    // ES256 with only an RSA key configured: no key for the algorithm
    TokenVerifier rsaOnly =
        new TokenVerifier(AuthKeys.load(dir, null, List.of(rsaPem), null, null), CLOCK);
    assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, refusal(rsaOnly, token));
  }

  private static String es256(ECPrivateKey key) throws JOSEException {
    return TestTokens.sign(JWSAlgorithm.ES256, new ECDSASigner(key), claims());
  }

  @Test
  void secretAndPublicKeysTogetherAcceptBoth() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = gen.generateKeyPair();
    Path pem = TestTokens.writePem(dir, "ec.pem", pair.getPublic());
    TokenVerifier v =
        new TokenVerifier(AuthKeys.load(dir, TestTokens.SECRET, List.of(pem), null, null), CLOCK);
    assertEquals("u-17", v.verify(hs256(claims())).userId());
    assertEquals("u-17", v.verify(es256((ECPrivateKey) pair.getPrivate())).userId());
  }
}
