package io.ponte.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers shared by the auth tests: a fixed clock, a secret, and raw token signing. */
final class TestTokens {
  static final long NOW = 1_700_000_000L;
  static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
  static final String SECRET = "0123456789abcdef0123456789abcdef-test";

  private TestTokens() {}

  static AuthKeys hsKeys() {
    return AuthKeys.of(SECRET.getBytes(StandardCharsets.UTF_8), null, null, null);
  }

  /** A valid claim set: sub, name, exp an hour ahead, one room. Callers change it freely. */
  static Map<String, Object> claims() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("sub", "u-17");
    c.put("name", "Ana");
    c.put("exp", NOW + 3600);
    c.put("rooms", new LinkedHashMap<>(Map.of("erasmus-nl-pl-*", "student")));
    return c;
  }

  static String sign(JWSAlgorithm alg, JWSSigner signer, Map<String, Object> claims) {
    JWSObject jws = new JWSObject(new JWSHeader(alg), new Payload(claims));
    try {
      jws.sign(signer);
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jws.serialize();
  }

  static String hs256(String secret, Map<String, Object> claims) {
    try {
      return sign(JWSAlgorithm.HS256, new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), claims);
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
  }

  static String hs256(Map<String, Object> claims) {
    return hs256(SECRET, claims);
  }

  static Path writePem(Path dir, String name, PublicKey key) throws IOException {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key.getEncoded());
    Path file = dir.resolve(name);
    Files.writeString(
        file, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
    return file;
  }
}
