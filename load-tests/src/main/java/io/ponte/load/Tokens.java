package io.ponte.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tokens for simulated participants: minted as HS256 JWTs with the server's secret (plain JCA
 * HMAC), or taken in order from a file with one token per line.
 */
public final class Tokens {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final String HEADER = B64.encodeToString(
      "{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

  private final byte[] secret;
  private final List<String> fromFile;
  private final AtomicInteger next = new AtomicInteger();
  private final long ttlSeconds;

  private Tokens(byte[] secret, List<String> fromFile, long ttlSeconds) {
    this.secret = secret;
    this.fromFile = fromFile;
    this.ttlSeconds = ttlSeconds;
  }

  /** Tokens minted with {@code secret}, valid for {@code ttlSeconds}. */
  public static Tokens withSecret(String secret, long ttlSeconds) {
    return new Tokens(secret.getBytes(StandardCharsets.UTF_8), null, ttlSeconds);
  }

  public static Tokens forOptions(LoadOptions o) throws IOException {
    long ttl = Math.max(3600, o.warmup.plus(o.duration).getSeconds() * 2 + 3600);
    if (o.jwtSecret != null) {
      return new Tokens(o.jwtSecret.getBytes(StandardCharsets.UTF_8), null, ttl);
    }
    List<String> lines = Files.readAllLines(o.tokenFile).stream().map(String::trim)
        .filter(s -> !s.isEmpty() && !s.startsWith("#")).toList();
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("--token-file: no tokens in " + o.tokenFile);
    }
    return new Tokens(null, lines, ttl);
  }

  /**
   * A token for a participant. With a secret: user {@code userId}, display name {@code name},
   * the given role in every room {@code roomPattern} matches. From a file: the next line
   * (wrapping around), whatever it grants.
   */
  public String token(String userId, String name, String roomPattern, String role) {
    if (fromFile != null) {
      return fromFile.get(Math.floorMod(next.getAndIncrement(), fromFile.size()));
    }
    long now = System.currentTimeMillis() / 1000;
    String payload = "{\"sub\":" + Json.quote(userId) + ",\"name\":" + Json.quote(name)
        + ",\"iat\":" + now + ",\"exp\":" + (now + ttlSeconds)
        + ",\"rooms\":{" + Json.quote(roomPattern) + ":" + Json.quote(role) + "}}";
    String signingInput = HEADER + "." + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    return signingInput + "." + B64.encodeToString(hmac(signingInput));
  }

  public boolean minted() {
    return secret != null;
  }

  private byte[] hmac(String input) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(input.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
