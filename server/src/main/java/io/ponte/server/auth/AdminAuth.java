package io.ponte.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Objects;

/**
 * Decides whether an HTTP {@code Authorization} header belongs to an administrator: {@code Bearer
 * X} where X is the admin token (compared in constant time), or X is a valid token (see {@link
 * TokenVerifier}) carrying {@code "admin": true}.
 *
 * <p>The admin token is configured, or else the embedded default: the text of {@code
 * dataDir/admin-token}, created on first start with 32 random bytes, base64url, mode 0600.
 * Thread-safe; {@link #toString()} never shows the token.
 */
public final class AdminAuth {
  /** Minimum admin token length in characters. */
  public static final int MIN_TOKEN_LENGTH = 16;
  /** The default admin token file's name inside the data directory. */
  public static final String TOKEN_FILE_NAME = "admin-token";

  private final byte[] tokenDigest;
  private final TokenVerifier verifier;
  private final Path tokenFile;
  private final boolean generatedToken;
  private final boolean tokenFileTooOpen;

  private AdminAuth(
      String adminToken,
      TokenVerifier verifier,
      Path tokenFile,
      boolean generatedToken,
      boolean tokenFileTooOpen) {
    checkLength(adminToken);
    this.tokenDigest = sha256(adminToken);
    this.verifier = verifier;
    this.tokenFile = tokenFile;
    this.generatedToken = generatedToken;
    this.tokenFileTooOpen = tokenFileTooOpen;
  }

  /**
   * Accepts {@code adminToken} and, when {@code verifier} is not null, admin JWTs.
   *
   * @throws IllegalArgumentException the admin token is shorter than 16 characters
   */
  public AdminAuth(String adminToken, TokenVerifier verifier) {
    this(adminToken, verifier, null, false, false);
  }

  /** Like {@link #load(Path, String, TokenVerifier)} without accepting admin JWTs. */
  public static AdminAuth load(Path dataDir, String configuredAdminToken) throws IOException {
    return load(dataDir, configuredAdminToken, null);
  }

  /**
   * The configured admin token, or else {@code dataDir/admin-token} (created when missing).
   *
   * @param verifier verifies admin JWTs; null to accept only the admin token
   * @throws IllegalArgumentException the configured (or stored) admin token is shorter than 16
   *     characters (the message names {@code admin-token})
   */
  public static AdminAuth load(Path dataDir, String configuredAdminToken, TokenVerifier verifier)
      throws IOException {
    if (configuredAdminToken != null) {
      return new AdminAuth(configuredAdminToken, verifier, null, false, false);
    }
    SecretFile file =
        SecretFile.readOrCreate(dataDir.resolve(TOKEN_FILE_NAME), "admin-token", MIN_TOKEN_LENGTH);
    return new AdminAuth(file.value(), verifier, file.path(), file.generated(), file.tooOpen());
  }

  /**
   * Key material derived from the admin token (its SHA-256), for pseudonyms that every node
   * sharing the token derives alike (erasure of one learner). A copy.
   */
  public byte[] derivedKey() {
    return tokenDigest.clone();
  }

  /**
   * True when {@code authorizationHeader} is {@code Bearer <admin token>} or {@code Bearer <valid
   * JWT with admin: true>}. A missing or malformed header, or any refused token, is false.
   */
  public boolean isAdmin(String authorizationHeader) {
    String credential = bearer(authorizationHeader);
    if (credential == null) {
      return false;
    }
    if (MessageDigest.isEqual(tokenDigest, sha256(credential))) {
      return true;
    }
    if (verifier == null) {
      return false;
    }
    try {
      return verifier.verify(credential).admin();
    } catch (AuthException refused) {
      return false;
    }
  }

  /** The credential of a {@code Bearer} header (scheme case-insensitive), or null. */
  static String bearer(String header) {
    if (header == null) {
      return null;
    }
    String h = header.strip();
    int space = h.indexOf(' ');
    if (space < 0 || !h.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
      return null;
    }
    String credential = h.substring(space + 1).strip();
    return credential.isEmpty() ? null : credential;
  }

  /** True when this load created {@code dataDir/admin-token}. */
  public boolean generatedToken() {
    return generatedToken;
  }

  /** The file the admin token came from, or null when it was configured. */
  public Path tokenFile() {
    return tokenFile;
  }

  /** True when the token file is readable (or writable) by group or others; it is still used. */
  public boolean tokenFileTooOpen() {
    return tokenFileTooOpen;
  }

  private static void checkLength(String token) {
    Objects.requireNonNull(token, "admin-token");
    if (token.length() < MIN_TOKEN_LENGTH) {
      throw new IllegalArgumentException(
          "admin-token must be at least " + MIN_TOKEN_LENGTH + " characters (got "
              + token.length() + ")");
    }
  }

  /** Hashing first makes the comparison constant-time in the length as well as the content. */
  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "AdminAuth[tokenFile=" + tokenFile + ", jwt=" + (verifier != null) + "]";
  }
}
