package io.ponte.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileTest {
  private static final String SECRET = "an-operator-written-secret-of-40-bytes!!";

  @TempDir
  Path dir;

  @Test
  void aFileOthersCanReadIsWarnedAboutByPathAndModeNeverByContent() throws Exception {
    Path file = write("rw-r--r--");
    SecretFile f = SecretFile.readOrCreate(file, "jwt-secret", 32);
    assertTrue(f.tooOpen());
    String warning = f.openWarning("jwt-secret");
    assertTrue(warning.startsWith("jwt-secret file " + file + " has mode rw-r--r--"), warning);
    assertFalse(warning.contains(SECRET), "the warning must not show the secret");
    assertEquals(SECRET, f.value(), "the node still uses it");
    assertEquals("rw-r--r--", mode(file), "the operator's file is left as it is");
  }

  @Test
  void groupReadableIsWarnedAboutGroupWritableAloneIsNot() throws Exception {
    assertTrue(SecretFile.readOrCreate(write("rw-r-----"), "admin-token", 16).tooOpen());
    SecretFile writable = SecretFile.readOrCreate(write("rw--w----"), "admin-token", 16);
    assertFalse(writable.tooOpen());
    assertNull(writable.openWarning("admin-token"));
  }

  @Test
  void aCreatedFileIsTheOwnersAlone() throws Exception {
    Path file = dir.resolve("admin-token");
    SecretFile f = SecretFile.readOrCreate(file, "admin-token", 16);
    assertTrue(f.generated());
    assertFalse(f.tooOpen());
    assertEquals("rw-------", mode(file));
  }

  private Path write(String mode) throws Exception {
    Path file = dir.resolve("secret-" + mode.replace('-', '_'));
    Files.writeString(file, SECRET + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  private static String mode(Path file) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }
}
