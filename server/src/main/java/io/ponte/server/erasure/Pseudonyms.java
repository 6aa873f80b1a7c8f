package io.ponte.server.erasure;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pseudonym an erased learner is named by from then on: {@code erased-} and 20 hex digits of
 * an HMAC-SHA256 of the user id. Stable (one user id, one pseudonym, on every node with the same
 * key), and nobody without the key can tell whose it is or test a guess.
 */
public final class Pseudonyms {
  static final String PREFIX = "erased-";
  private final byte[] key;

  public Pseudonyms(byte[] key) {
    if (key.length < 16) {
      throw new IllegalArgumentException("a pseudonym key needs at least 16 bytes");
    }
    this.key = key.clone();
  }

  public static Pseudonyms ofSecret(String secret) {
    return new Pseudonyms(secret.getBytes(StandardCharsets.UTF_8));
  }

  public String of(String userId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] h = mac.doFinal(userId.getBytes(StandardCharsets.UTF_8));
      return PREFIX + HexFormat.of().formatHex(h, 0, 10);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
