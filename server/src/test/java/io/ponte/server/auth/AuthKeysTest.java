package io.ponte.server.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthKeysTest {
  @TempDir Path dir;

  @Test
  void generatedSecretFileIsOwnerOnlyAndReused() throws Exception {
    Path data = dir.resolve("data"); // does not exist yet
    AuthKeys first = AuthKeys.load(data, null, List.of(), null, null);
    Path file = data.resolve("jwt-secret");
    assertTrue(first.generatedSecret());
    assertEquals(file, first.secretFile());
    assertFalse(first.secretFileTooOpen());
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));

    String text = Files.readString(file).strip();
    assertEquals(32, Base64.getUrlDecoder().decode(text).length);
    assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), first.secret());

    AuthKeys second = AuthKeys.load(data, null, null, null, null);
    assertFalse(second.generatedSecret());
    assertArrayEquals(first.secret(), second.secret());
    assertFalse(first.toString().contains(text), "toString must not show the secret");
  }

  @Test
  void openSecretFileIsUsedWithWarning() throws Exception {
    Path file = dir.resolve("jwt-secret");
    String secret = "an-operator-written-secret-of-40-bytes!!";
    Files.writeString(file, secret + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    AuthKeys keys = AuthKeys.load(dir, null, List.of(), null, null);
    assertFalse(keys.generatedSecret());
    assertTrue(keys.secretFileTooOpen());
    assertArrayEquals(secret.getBytes(StandardCharsets.UTF_8), keys.secret());
  }

  @Test
  void tooShortSecretFileIsRefusedNotOverwritten() throws Exception {
    Path file = dir.resolve("jwt-secret");
    Files.writeString(file, "short");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> AuthKeys.load(dir, null, null, null, null));
    assertTrue(e.getMessage().contains("jwt-secret"), e.getMessage());
    assertEquals("short", Files.readString(file));
  }

  @Test
  void configuredShortSecretIsRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AuthKeys.load(dir, "only-31-bytes-long-secret-12345", null, null, null));
    assertTrue(e.getMessage().contains("jwt-secret"), e.getMessage());
    assertFalse(e.getMessage().contains("only-31"), "message must not echo the secret");
  }

  @Test
  void configuredSecretIsUsedAndNoFileWritten() throws Exception {
    String secret = "x".repeat(32);
    AuthKeys keys = AuthKeys.load(dir, secret, List.of(), "iss-1", "");
    assertArrayEquals(secret.getBytes(StandardCharsets.UTF_8), keys.secret());
    assertFalse(keys.generatedSecret());
    assertNull(keys.secretFile());
    assertEquals("iss-1", keys.issuer());
    assertNull(keys.audience(), "empty audience means unchecked");
    assertFalse(Files.exists(dir.resolve("jwt-secret")));
  }

  @Test
  void unusablePublicKeyFilesAreRejected() throws Exception {
    Path empty = dir.resolve("empty.pem");
    Files.writeString(empty, "no key here\n");
    assertThrows(
        IllegalArgumentException.class, () -> AuthKeys.load(dir, null, List.of(empty), null, null));

    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp384r1"));
    Path p384 = TestTokens.writePem(dir, "p384.pem", ec.generateKeyPair().getPublic());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> AuthKeys.load(dir, null, List.of(p384), null, null));
    assertTrue(e.getMessage().contains("P-256"), e.getMessage());

    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    Path small = TestTokens.writePem(dir, "rsa1024.pem", rsa.generateKeyPair().getPublic());
    assertThrows(
        IllegalArgumentException.class, () -> AuthKeys.load(dir, null, List.of(small), null, null));
    assertFalse(Files.exists(dir.resolve("jwt-secret")));
  }
}
