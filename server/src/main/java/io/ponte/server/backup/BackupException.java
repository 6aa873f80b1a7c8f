package io.ponte.server.backup;

/** A backup or restore that did not happen; {@link #kind()} decides the command's exit code. */
public final class BackupException extends Exception {
  /** Why, with the exit code of {@code ponte backup} / {@code ponte restore}. */
  public enum Kind {
    /** Reading or writing failed (disk full, permissions, SQLite error while copying). */
    FAILED(1),
    /** Refused before anything changed: the target exists, a node holds the database, no such file. */
    REFUSED(3),
    /** The database or backup is not usable: not a database, integrity check failed, newer schema. */
    INVALID(4);

    private final int exitCode;

    Kind(int exitCode) {
      this.exitCode = exitCode;
    }

    public int exitCode() {
      return exitCode;
    }
  }

  private final Kind kind;

  public BackupException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public BackupException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
