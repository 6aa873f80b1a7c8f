package io.ponte.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;

/**
 * An embedded default secret kept in a file of the data directory: read it when it exists, else
 * create it with mode 0600 and 32 random bytes, base64url-encoded without padding (43 ASCII
 * characters). The value is the file's text with surrounding whitespace removed.
 */
record SecretFile(Path path, String value, boolean generated, boolean tooOpen) {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  /**
   * Reads or creates {@code file}. {@code label} names the setting in error messages; a file whose
   * value is shorter than {@code minLength} characters is refused (it is never overwritten).
   */
  static SecretFile readOrCreate(Path file, String label, int minLength) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    if (!Files.exists(file)) {
      String value = randomValue();
      boolean created;
      try {
        createOwnerOnly(file);
        created = true;
      } catch (FileAlreadyExistsException raced) {
        created = false; // someone else created it meanwhile: read theirs
      }
      if (created) {
        Files.write(
            file,
            (value + "\n").getBytes(StandardCharsets.US_ASCII),
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        return new SecretFile(file, value, true, isTooOpen(file));
      }
    }
    String value = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (value.length() < minLength) {
      throw new IllegalArgumentException(
          label
              + " file "
              + file
              + " holds fewer than "
              + minLength
              + " characters; delete it to have a new one generated, or fix its content");
    }
    return new SecretFile(file, value, false, isTooOpen(file));
  }

  private static void createOwnerOnly(Path file) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(file); // e.g. Windows: rely on the directory's ACLs
    }
  }

  /** True when group or others have any permission on the file (POSIX file systems only). */
  private static boolean isTooOpen(Path file) throws IOException {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      for (PosixFilePermission p : perms) {
        if (GROUP_OR_OTHERS.contains(p)) {
          return true;
        }
      }
      return false;
    } catch (UnsupportedOperationException notPosix) {
      return false;
    }
  }

  private static String randomValue() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public String toString() {
    return "SecretFile[path=" + path + ", generated=" + generated + ", tooOpen=" + tooOpen + "]";
  }
}
