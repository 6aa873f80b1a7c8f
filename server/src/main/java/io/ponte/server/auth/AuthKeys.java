package io.ponte.server.auth;

import com.nimbusds.jose.jwk.Curve;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys tokens may be signed with, and the optional issuer and audience they must name.
 *
 * <ul>
 *   <li>HS256: one shared secret of at least 32 bytes. A configured secret is used as its UTF-8
 *       bytes. Without a configured secret and without public keys, the secret is the text of
 *       {@code dataDir/jwt-secret} (created on first start with 32 random bytes, base64url, mode
 *       0600); its UTF-8 bytes are the HMAC key, so the file's content can be pasted into any JWT
 *       library as the secret string.
 *   <li>RS256 (RSA, at least 2048 bits) and ES256 (EC P-256): public keys from PEM files holding
 *       one or more {@code -----BEGIN PUBLIC KEY-----} (X.509 SubjectPublicKeyInfo) blocks. When
 *       public keys are configured and no secret is, HS256 is disabled.
 *   <li>Keys published at a JWK Set URL ({@link JwksKeys}, verified by {@link TokenVerifier}):
 *       when that URL is configured and no secret is, HS256 is disabled too.
 * </ul>
 *
 * <p>Instances are immutable. {@link #toString()} never shows the secret.
 */
public final class AuthKeys {
  /** Minimum HS256 secret length in bytes (RFC 7518 §3.2: key size at least the hash size). */
  public static final int MIN_SECRET_BYTES = 32;
  /** The default secret file's name inside the data directory. */
  public static final String SECRET_FILE_NAME = "jwt-secret";

  private static final int MIN_RSA_BITS = 2048;
  private static final Pattern PEM_PUBLIC_KEY =
      Pattern.compile(
          "-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");

  private final byte[] secret;
  private final List<RSAPublicKey> rsaKeys;
  private final List<ECPublicKey> ecKeys;
  private final String issuer;
  private final String audience;
  private final Path secretFile;
  private final boolean generatedSecret;
  private final boolean secretFileTooOpen;
  private final long maxLifetimeSeconds;
  private final DisplayNames displayNames;

  private AuthKeys(
      byte[] secret,
      List<RSAPublicKey> rsaKeys,
      List<ECPublicKey> ecKeys,
      String issuer,
      String audience,
      Path secretFile,
      boolean generatedSecret,
      boolean secretFileTooOpen,
      long maxLifetimeSeconds,
      DisplayNames displayNames) {
    this.secret = secret == null ? null : secret.clone();
    this.rsaKeys = List.copyOf(rsaKeys);
    this.ecKeys = List.copyOf(ecKeys);
    this.issuer = emptyToNull(issuer);
    this.audience = emptyToNull(audience);
    this.secretFile = secretFile;
    this.generatedSecret = generatedSecret;
    this.secretFileTooOpen = secretFileTooOpen;
    this.maxLifetimeSeconds = maxLifetimeSeconds;
    this.displayNames = displayNames;
  }

  /**
   * Loads the server's keys.
   *
   * @param dataDir where {@code jwt-secret} lives when the embedded default is used
   * @param configuredSecret the HS256 secret from configuration, or null for none
   * @param publicKeyPemFiles PEM files of RS256/ES256 public keys (null or empty for none)
   * @param issuer required {@code iss}, or null/empty to not check it
   * @param audience required {@code aud} entry, or null/empty to not check it
   * @throws IllegalArgumentException a configured secret shorter than 32 bytes (names {@code
   *     jwt-secret}), a PEM file without a usable RSA / EC P-256 public key, or an unusable
   *     secret file
   * @throws IOException reading or creating a file failed
   */
  public static AuthKeys load(
      Path dataDir,
      String configuredSecret,
      List<Path> publicKeyPemFiles,
      String issuer,
      String audience)
      throws IOException {
    return load(dataDir, configuredSecret, publicKeyPemFiles, issuer, audience, false);
  }

  /**
   * Loads the server's keys, as {@link #load(Path, String, List, String, String)}; with {@code
   * publishedKeys} (a JWK Set URL is configured) no secret is generated: without a configured
   * one, HS256 is disabled.
   */
  public static AuthKeys load(
      Path dataDir,
      String configuredSecret,
      List<Path> publicKeyPemFiles,
      String issuer,
      String audience,
      boolean publishedKeys)
      throws IOException {
    List<RSAPublicKey> rsa = new ArrayList<>();
    List<ECPublicKey> ec = new ArrayList<>();
    if (publicKeyPemFiles != null) {
      for (Path pem : publicKeyPemFiles) {
        for (PublicKey key : readPublicKeys(pem)) {
          addKey(key, rsa, ec, pem.toString());
        }
      }
    }
    if (configuredSecret != null) {
      byte[] bytes = configuredSecret.getBytes(StandardCharsets.UTF_8);
      checkSecretLength(bytes);
      return new AuthKeys(bytes, rsa, ec, issuer, audience, null, false, false,
          Claims.DEFAULT_MAX_LIFETIME_SECONDS, DisplayNames.FULL);
    }
    if (!rsa.isEmpty() || !ec.isEmpty() || publishedKeys) {
      return new AuthKeys(null, rsa, ec, issuer, audience, null, false, false,
          Claims.DEFAULT_MAX_LIFETIME_SECONDS, DisplayNames.FULL);
    }
    SecretFile file =
        SecretFile.readOrCreate(dataDir.resolve(SECRET_FILE_NAME), "jwt-secret", MIN_SECRET_BYTES);
    byte[] bytes = file.value().getBytes(StandardCharsets.UTF_8);
    checkSecretLength(bytes);
    return new AuthKeys(
        bytes, rsa, ec, issuer, audience, file.path(), file.generated(), file.tooOpen(),
        Claims.DEFAULT_MAX_LIFETIME_SECONDS, DisplayNames.FULL);
  }

  /**
   * Keys given directly (tests, embedding). {@code secret} may be null (no HS256); each public key
   * must be RSA (at least 2048 bits) or EC P-256.
   */
  public static AuthKeys of(
      byte[] secret, List<? extends PublicKey> publicKeys, String issuer, String audience) {
    if (secret != null) {
      checkSecretLength(secret);
    }
    List<RSAPublicKey> rsa = new ArrayList<>();
    List<ECPublicKey> ec = new ArrayList<>();
    if (publicKeys != null) {
      for (PublicKey key : publicKeys) {
        addKey(key, rsa, ec, "public key");
      }
    }
    return new AuthKeys(secret, rsa, ec, issuer, audience, null, false, false,
        Claims.DEFAULT_MAX_LIFETIME_SECONDS, DisplayNames.FULL);
  }

  /** Parses every {@code BEGIN PUBLIC KEY} block of a PEM file. */
  static List<PublicKey> readPublicKeys(Path pemFile) throws IOException {
    String text = Files.readString(pemFile, StandardCharsets.US_ASCII);
    Matcher m = PEM_PUBLIC_KEY.matcher(text);
    List<PublicKey> keys = new ArrayList<>();
    while (m.find()) {
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(1).replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("public key file " + pemFile + ": bad base64", e);
      }
      keys.add(decodePublicKey(der, pemFile));
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(
          "public key file "
              + pemFile
              + " holds no '-----BEGIN PUBLIC KEY-----' block (PKCS#1 'RSA PUBLIC KEY' and"
              + " certificates are not supported)");
    }
    return keys;
  }

  private static PublicKey decodePublicKey(byte[] der, Path source) {
    X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
    for (String algorithm : new String[] {"RSA", "EC"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(spec);
      } catch (GeneralSecurityException tryNext) {
        // not this algorithm
      }
    }
    throw new IllegalArgumentException(
        "public key file " + source + " holds a key that is neither RSA nor EC");
  }

  private static void addKey(
      PublicKey key, List<RSAPublicKey> rsa, List<ECPublicKey> ec, String source) {
    if (key instanceof RSAPublicKey r) {
      if (r.getModulus().bitLength() < MIN_RSA_BITS) {
        throw new IllegalArgumentException(
            source + ": RSA key has fewer than " + MIN_RSA_BITS + " bits");
      }
      rsa.add(r);
    } else if (key instanceof ECPublicKey e) {
      if (!Curve.P_256.equals(Curve.forECParameterSpec(e.getParams()))) {
        throw new IllegalArgumentException(source + ": EC key is not on curve P-256 (ES256)");
      }
      ec.add(e);
    } else {
      throw new IllegalArgumentException(
          source + ": unsupported key type " + (key == null ? "null" : key.getAlgorithm()));
    }
  }

  private static void checkSecretLength(byte[] secret) {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "jwt-secret must be at least "
              + MIN_SECRET_BYTES
              + " bytes (got "
              + secret.length
              + "); use e.g. 32 random bytes, base64url-encoded");
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  /** True when HS256 tokens can be verified and minted. */
  public boolean hasSecret() {
    return secret != null;
  }

  /** A copy of the HS256 secret, or null when HS256 is disabled. Never log it. */
  public byte[] secret() {
    return secret == null ? null : secret.clone();
  }

  public List<RSAPublicKey> rsaKeys() {
    return rsaKeys;
  }

  public List<ECPublicKey> ecKeys() {
    return ecKeys;
  }

  /** The required {@code iss}, or null when not checked. */
  public String issuer() {
    return issuer;
  }

  /**
   * The same keys accepting tokens that live at most {@code seconds} ({@code exp - iat}, or
   * {@code exp -} now without {@code iat}); 24 hours unless set.
   */
  public AuthKeys withMaxLifetime(long seconds) {
    if (seconds < 1) {
      throw new IllegalArgumentException("token lifetime must be at least one second");
    }
    return new AuthKeys(secret, rsaKeys, ecKeys, issuer, audience, secretFile, generatedSecret,
        secretFileTooOpen, seconds, displayNames);
  }

  /** The same keys, with tokens' names kept as {@code names} says ({@code display-names}). */
  public AuthKeys withDisplayNames(DisplayNames names) {
    return new AuthKeys(secret, rsaKeys, ecKeys, issuer, audience, secretFile, generatedSecret,
        secretFileTooOpen, maxLifetimeSeconds, java.util.Objects.requireNonNull(names, "names"));
  }

  /** How much of a token's name is kept. */
  public DisplayNames displayNames() {
    return displayNames;
  }

  /** The longest token lifetime accepted, in seconds. */
  public long maxLifetimeSeconds() {
    return maxLifetimeSeconds;
  }

  /** The required {@code aud} entry, or null when not checked. */
  public String audience() {
    return audience;
  }

  /** True when this load created {@code dataDir/jwt-secret}. */
  public boolean generatedSecret() {
    return generatedSecret;
  }

  /** The file the secret came from, or null when it was configured or HS256 is disabled. */
  public Path secretFile() {
    return secretFile;
  }

  /** True when the secret file is readable (or writable) by group or others; it is still used. */
  public boolean secretFileTooOpen() {
    return secretFileTooOpen;
  }

  @Override
  public String toString() {
    return "AuthKeys[hs256="
        + hasSecret()
        + ", rsa="
        + rsaKeys.size()
        + ", ec="
        + ecKeys.size()
        + ", issuer="
        + issuer
        + ", audience="
        + audience
        + ", secretFile="
        + secretFile
        + "]";
  }
}
