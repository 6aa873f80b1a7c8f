package io.ponte.server.auth;

import static io.ponte.server.auth.TestTokens.CLOCK;
import static io.ponte.server.auth.TestTokens.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminAuthTest {
  private static final String ADMIN_TOKEN = "static-admin-token-0123456789";

  @TempDir Path dir;

  private final TokenVerifier verifier = new TokenVerifier(TestTokens.hsKeys(), CLOCK);
  private final TokenIssuer issuer = new TokenIssuer(TestTokens.hsKeys(), CLOCK);

  @Test
  void staticAdminTokenIsAccepted() throws Exception {
    AdminAuth auth = AdminAuth.load(dir, ADMIN_TOKEN, verifier);
    assertTrue(auth.isAdmin("Bearer " + ADMIN_TOKEN));
    assertTrue(auth.isAdmin("bearer  " + ADMIN_TOKEN + " "));
    assertFalse(auth.isAdmin("Bearer " + ADMIN_TOKEN + "x"));
    assertFalse(auth.isAdmin("Bearer " + ADMIN_TOKEN.substring(1)));
    assertFalse(auth.isAdmin(ADMIN_TOKEN)); // no scheme
    assertFalse(auth.isAdmin("Basic " + ADMIN_TOKEN));
    assertFalse(auth.isAdmin("Bearer "));
    assertFalse(auth.isAdmin(null));
    assertNull(auth.tokenFile());
    assertFalse(Files.exists(dir.resolve("admin-token")));
  }

  @Test
  void adminJwtIsAcceptedAndNonAdminJwtRefused() throws Exception {
    AdminAuth auth = AdminAuth.load(dir, ADMIN_TOKEN, verifier);
    String admin = issuer.mint("ops", "Ops", Map.of(), Duration.ofMinutes(5), true);
    String teacher =
        issuer.mint("t-1", "Teacher", Map.of("*", Role.TEACHER), Duration.ofMinutes(5), false);
    assertTrue(auth.isAdmin("Bearer " + admin));
    assertFalse(auth.isAdmin("Bearer " + teacher));

    Map<String, Object> expired = TestTokens.claims();
    expired.put("admin", true);
    expired.put("exp", NOW - 3600);
    assertFalse(auth.isAdmin("Bearer " + TestTokens.hs256(expired)));

    Map<String, Object> forged = TestTokens.claims();
    forged.put("admin", true);
    assertFalse(
        auth.isAdmin("Bearer " + TestTokens.hs256("forged-secret-forged-secret-forged!", forged)));
  }

  @Test
  void withoutVerifierOnlyStaticTokenCounts() throws Exception {
    AdminAuth auth = AdminAuth.load(dir, ADMIN_TOKEN);
    String admin = issuer.mint("ops", "Ops", Map.of(), Duration.ofMinutes(5), true);
    assertFalse(auth.isAdmin("Bearer " + admin));
    assertTrue(auth.isAdmin("Bearer " + ADMIN_TOKEN));
  }

  @Test
  void generatedAdminTokenFileIsOwnerOnlyAndReused() throws Exception {
    AdminAuth first = AdminAuth.load(dir, null, verifier);
    Path file = dir.resolve("admin-token");
    assertTrue(first.generatedToken());
    assertEquals(file, first.tokenFile());
    assertFalse(first.tokenFileTooOpen());
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
    String token = Files.readString(file).strip();
    assertEquals(32, Base64.getUrlDecoder().decode(token).length);
    assertTrue(first.isAdmin("Bearer " + token));

    AdminAuth second = AdminAuth.load(dir, null, verifier);
    assertFalse(second.generatedToken());
    assertTrue(second.isAdmin("Bearer " + token));
    assertFalse(second.toString().contains(token));
  }

  @Test
  void openAdminTokenFileIsUsedWithWarning() throws Exception {
    Path file = dir.resolve("admin-token");
    Files.writeString(file, ADMIN_TOKEN + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
    AdminAuth auth = AdminAuth.load(dir, null);
    assertTrue(auth.tokenFileTooOpen());
    assertTrue(auth.isAdmin("Bearer " + ADMIN_TOKEN));
  }

  @Test
  void configuredShortAdminTokenIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AdminAuth.load(dir, "fifteen-chars-x"));
    assertTrue(e.getMessage().contains("admin-token"), e.getMessage());
    assertFalse(e.getMessage().contains("fifteen"), "message must not echo the token");
  }
}
