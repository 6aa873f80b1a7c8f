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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded default secret kept in a file of the data directory: read it when it exists, else
 * create it with mode 0600 and 32 random bytes, base64url-encoded without padding (43 ASCII
 * characters). The value is the file's text with surrounding whitespace removed.
 */
record SecretFile(Path path, String value, boolean generated, boolean tooOpen) {
  private static final Logger log = LoggerFactory.getLogger(SecretFile.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  /** Reading is what leaks a secret; a group-writable file alone is not warned about. */
  private static final Set<PosixFilePermission> READABLE_BY_OTHERS =
      EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);

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
        return checked(new SecretFile(file, value, true, isTooOpen(file)), label);
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
    return checked(new SecretFile(file, value, false, isTooOpen(file)), label);
  }

  /**
   * Warns (path and mode, never the content) when group or others may read the file. The node
   * still uses it: an operator may have provisioned it so (a mounted secret), and it is theirs
   * to fix, not Ponte's to chmod.
   */
  private static SecretFile checked(SecretFile file, String label) {
    String warning = file.openWarning(label);
    if (warning != null) {
      log.warn(warning);
    }
    return file;
  }

  /** The warning for a file that group or others may read; null when there is none. */
  String openWarning(String label) {
    if (!tooOpen) {
      return null;
    }
    String mode;
    try {
      mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    } catch (IOException | UnsupportedOperationException e) {
      mode = "unknown";
    }
    return label + " file " + path + " has mode " + mode
        + ": group or others can read it; restrict it with chmod 600 " + path;
  }

  private static void createOwnerOnly(Path file) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(file); // e.g. Windows: rely on the directory's ACLs
    }
  }

  /** True when group or others may read the file (POSIX file systems only). */
  private static boolean isTooOpen(Path file) throws IOException {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      for (PosixFilePermission p : perms) {
        if (READABLE_BY_OTHERS.contains(p)) {
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
