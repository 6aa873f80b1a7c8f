package io.ponte.server.backup;

import io.ponte.server.store.SqliteFileLock;
import io.ponte.server.store.SqliteStore;
import io.ponte.server.store.StoreException;
import io.ponte.server.util.OwnerOnly;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteOpenMode;

/**
 * Backup and restore of the SQLite store's database file.
 *
 * <p>A backup is {@code VACUUM INTO} from a connection of its own: one read transaction, so the
 * copy is the database as of one commit even while a node writes (WAL: the writer goes on; the
 * copy holds every operation committed, and so acknowledged, before it began). It is written to
 * a hidden temporary file (mode 0600 from its creation), turned into a self-contained file
 * (journal_mode DELETE, no WAL beside it), checked ({@code integrity_check}, Ponte tables, schema
 * version), flushed to disk, and only then renamed to its name.
 *
 * <p>A restore holds the database's {@link SqliteFileLock} (a running node holds it too, so it is
 * refused), checks a copy of the backup, gives every room a new epoch in that copy, moves the
 * current database (with its WAL) aside under a {@code .before-restore-<time>} name and renames
 * the copy into place. The new epochs matter: the room continues from the backup's seq, so seqs
 * clients saw after the backup would be issued again with other content; under a new epoch every
 * resuming client gets a reset instead (guarantee 3).
 */
public final class SqliteBackup {
  private static final int BUSY_TIMEOUT_MS = 10_000;
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  private static final List<String> SIDE_FILES = List.of("-wal", "-shm", "-journal");

  private SqliteBackup() {}

  /** What a checked database holds. */
  public record Summary(Path file, int schemaVersion, long rooms, long operations, long bytes) {}

  /** A restore: what the database now holds, and where the one it replaced was kept (if any). */
  public record Restored(Summary summary, Optional<Path> previous) {}

  /**
   * Writes a consistent copy of {@code dbFile} to {@code target}, refusing to replace an existing
   * file unless {@code force}. Safe while a node uses the database.
   */
  public static Summary backup(Path dbFile, Path target, boolean force) throws BackupException {
    Path db = dbFile.toAbsolutePath().normalize();
    Path to = target.toAbsolutePath().normalize();
    if (!Files.isRegularFile(db)) {
      throw new BackupException(BackupException.Kind.REFUSED, "no database at " + db
          + " (is data-dir or store-url right?)");
    }
    if (Files.isDirectory(to)) {
      throw new BackupException(BackupException.Kind.REFUSED, to + " is a directory; --to names the backup file");
    }
    if (to.equals(db) || SIDE_FILES.stream().anyMatch(s -> to.equals(sibling(db, s)))
        || to.equals(SqliteFileLock.lockFile(db)) || sameFile(to, db)) {
      throw new BackupException(BackupException.Kind.REFUSED, to + " is the live database; back up to another file");
    }
    if (Files.exists(to, LinkOption.NOFOLLOW_LINKS) && !force) {
      throw new BackupException(BackupException.Kind.REFUSED, to + " exists; give --force to replace it");
    }
    Path tmp = null;
    try {
      Files.createDirectories(to.getParent());
      tmp = createOwnerOnly(to.resolveSibling("." + to.getFileName() + ".tmp-" + shortId()));
      try (Connection source = open(db, false);
          PreparedStatement st = source.prepareStatement("VACUUM INTO ?")) {
        st.setString(1, tmp.toString());
        st.execute();
      } catch (SQLException e) {
        throw sqlFailure(db, "cannot copy the database", e);
      }
      Summary checked;
      try (Connection copy = open(tmp, false)) {
        selfContained(copy);
        checked = inspect(copy, to);
      } catch (SQLException e) {
        throw sqlFailure(db, "cannot check the copy", e);
      }
      force(tmp);
      Files.move(tmp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
      OwnerOnly.file(to);
      forceDirectory(to.getParent());
      return new Summary(to, checked.schemaVersion(), checked.rooms(), checked.operations(), Files.size(to));
    } catch (IOException e) {
      throw new BackupException(BackupException.Kind.FAILED, "cannot write " + to + ": " + e, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  /** Checks a backup (or any Ponte SQLite database) without changing it. */
  public static Summary verify(Path file) throws BackupException {
    Path f = file.toAbsolutePath().normalize();
    if (!Files.isRegularFile(f)) {
      throw new BackupException(BackupException.Kind.REFUSED, "no backup at " + f);
    }
    try (Connection conn = open(f, true)) {
      Summary s = inspect(conn, f);
      return new Summary(f, s.schemaVersion(), s.rooms(), s.operations(), Files.size(f));
    } catch (SQLException e) {
      throw sqlFailure(f, "cannot read", e);
    } catch (IOException e) {
      throw new BackupException(BackupException.Kind.FAILED, "cannot read " + f + ": " + e, e);
    }
  }

  /**
   * Replaces {@code dbFile} with the backup {@code backupFile}: refused while a node uses the
   * database; the backup is checked first and left unchanged; the replaced database is kept.
   */
  public static Restored restore(Path backupFile, Path dbFile) throws BackupException {
    Path from = backupFile.toAbsolutePath().normalize();
    Path db = dbFile.toAbsolutePath().normalize();
    if (!Files.isRegularFile(from)) {
      throw new BackupException(BackupException.Kind.REFUSED, "no backup at " + from);
    }
    if (from.equals(db) || sameFile(from, db)) {
      throw new BackupException(BackupException.Kind.REFUSED, from + " is the database to replace; restore from a backup");
    }
    if (nonEmpty(sibling(from, "-wal"))) {
      // Its last commits are in that WAL: a live database or an unfinished copy, not a backup.
      throw new BackupException(BackupException.Kind.REFUSED, from + " has a write-ahead log beside it ("
          + sibling(from, "-wal").getFileName() + "); make a backup with 'ponte backup' and restore that");
    }
    try {
      Path dir = db.getParent();
      if (!Files.isDirectory(dir)) {
        OwnerOnly.directory(dir);
      }
    } catch (IOException e) {
      throw new BackupException(BackupException.Kind.FAILED, "cannot create " + db.getParent() + ": " + e, e);
    }
    SqliteFileLock lock;
    try {
      lock = SqliteFileLock.acquire(db);
    } catch (StoreException e) {
      throw new BackupException(BackupException.Kind.REFUSED, e.getMessage() + "; stop the node before restoring");
    }
    Path tmp = null;
    try (lock) {
      tmp = createOwnerOnly(db.resolveSibling("." + db.getFileName() + ".restore-" + shortId()));
      try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.TRUNCATE_EXISTING)) {
        Files.copy(from, out);
      }
      Summary checked;
      try (Connection copy = open(tmp, false)) {
        selfContained(copy);
        checked = inspect(copy, db);
        renewEpochs(copy);
      } catch (SQLException e) {
        throw sqlFailure(from, "cannot read the backup", e);
      }
      force(tmp);
      Optional<Path> previous = moveAside(db);
      try {
        Files.move(tmp, db, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (previous.isPresent()) {
          moveBack(previous.get(), db);
        }
        throw e;
      }
      tmp = null;
      OwnerOnly.file(db);
      forceDirectory(db.getParent());
      return new Restored(new Summary(db, checked.schemaVersion(), checked.rooms(), checked.operations(),
          Files.size(db)), previous);
    } catch (IOException e) {
      throw new BackupException(BackupException.Kind.FAILED, "cannot restore into " + db + ": " + e, e);
    } finally {
      deleteQuietly(tmp);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static Connection open(Path file, boolean readOnly) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    // Never create a database where there was none (a wrong path would look like an empty one).
    config.resetOpenMode(SQLiteOpenMode.CREATE);
    config.setReadOnly(readOnly);
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    return config.createConnection("jdbc:sqlite:" + file);
  }

  /** One file, no WAL: what a backup must be, and what a restored database starts as. */
  private static void selfContained(Connection conn) throws SQLException, BackupException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA journal_mode = DELETE")) {
      String mode = rs.next() ? rs.getString(1) : "";
      if (!"delete".equalsIgnoreCase(mode)) {
        throw new BackupException(BackupException.Kind.FAILED, "cannot leave WAL mode (got " + mode + ")");
      }
    }
  }

  /** Integrity, the Ponte tables and a schema version this server knows; then what it holds. */
  private static Summary inspect(Connection conn, Path file) throws SQLException, BackupException {
    List<String> problems = new ArrayList<>();
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
      while (rs.next() && problems.size() < 5) {
        problems.add(rs.getString(1));
      }
    }
    if (!problems.equals(List.of("ok"))) {
      throw new BackupException(BackupException.Kind.INVALID, "integrity check failed: " + problems);
    }
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
            + " AND name IN ('schema_version', 'rooms', 'operations', 'snapshots')")) {
      if (!rs.next() || rs.getInt(1) != 4) {
        throw new BackupException(BackupException.Kind.INVALID, "not a Ponte database: it has no"
            + " schema_version, rooms, operations and snapshots tables");
      }
    }
    int version = count(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_version").intValue();
    if (version > SqliteStore.SCHEMA_VERSION) {
      throw new BackupException(BackupException.Kind.INVALID, "schema version " + version
          + " is newer than this Ponte knows (" + SqliteStore.SCHEMA_VERSION
          + "); use the Ponte version that wrote it");
    }
    if (version < 1) {
      throw new BackupException(BackupException.Kind.INVALID, "not a Ponte database: no schema version");
    }
    return new Summary(file, version, count(conn, "SELECT COUNT(*) FROM rooms"),
        count(conn, "SELECT COUNT(*) FROM operations"), 0);
  }

  private static Long count(Connection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : 0L;
    }
  }

  /** A new random epoch per room, in one transaction. */
  private static void renewEpochs(Connection conn) throws SQLException {
    List<String> rooms = new ArrayList<>();
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT room_id FROM rooms")) {
      while (rs.next()) {
        rooms.add(rs.getString(1));
      }
    }
    conn.setAutoCommit(false);
    try (PreparedStatement st = conn.prepareStatement("UPDATE rooms SET epoch = ? WHERE room_id = ?")) {
      for (String room : rooms) {
        st.setString(1, UUID.randomUUID().toString());
        st.setString(2, room);
        st.addBatch();
      }
      st.executeBatch();
      conn.commit();
    } catch (SQLException e) {
      conn.rollback();
      throw e;
    } finally {
      conn.setAutoCommit(true);
    }
  }

  private static BackupException sqlFailure(Path file, String what, SQLException e) {
    int code = e.getErrorCode() & 0xff; // extended codes carry the primary one in the low byte
    if (code == SQLiteErrorCode.SQLITE_NOTADB.code || code == SQLiteErrorCode.SQLITE_CORRUPT.code) {
      return new BackupException(BackupException.Kind.INVALID, file + " is not a SQLite database"
          + " (or is damaged): " + e.getMessage(), e);
    }
    if (code == SQLiteErrorCode.SQLITE_CANTOPEN.code) {
      return new BackupException(BackupException.Kind.FAILED, what + " " + file + ": cannot open it: "
          + e.getMessage(), e);
    }
    return new BackupException(BackupException.Kind.FAILED, what + " " + file + ": " + e.getMessage(), e);
  }

  /**
   * Renames the database and its side files (WAL included: it may hold its last commits) to
   * {@code <db>.before-restore-<UTC time>}; empty when there was no database.
   */
  private static Optional<Path> moveAside(Path db) throws IOException {
    if (!Files.exists(db, LinkOption.NOFOLLOW_LINKS)) {
      for (String suffix : SIDE_FILES) {
        // Leftovers of no database would be read as this one's WAL: keep them aside too.
        Path side = sibling(db, suffix);
        if (Files.exists(side, LinkOption.NOFOLLOW_LINKS)) {
          Files.move(side, sibling(db, ".orphan-" + shortId() + suffix), StandardCopyOption.ATOMIC_MOVE);
        }
      }
      return Optional.empty();
    }
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
        .format(ZonedDateTime.now(ZoneOffset.UTC));
    Path aside = sibling(db, ".before-restore-" + stamp);
    for (int n = 2; Files.exists(aside, LinkOption.NOFOLLOW_LINKS); n++) {
      aside = sibling(db, ".before-restore-" + stamp + "-" + n);
    }
    Files.move(db, aside, StandardCopyOption.ATOMIC_MOVE);
    for (String suffix : SIDE_FILES) {
      Path side = sibling(db, suffix);
      if (Files.exists(side, LinkOption.NOFOLLOW_LINKS)) {
        Files.move(side, sibling(aside, suffix), StandardCopyOption.ATOMIC_MOVE);
      }
    }
    OwnerOnly.file(aside);
    return Optional.of(aside);
  }

  private static void moveBack(Path aside, Path db) {
    try {
      Files.move(aside, db, StandardCopyOption.ATOMIC_MOVE);
      for (String suffix : SIDE_FILES) {
        Path side = sibling(aside, suffix);
        if (Files.exists(side, LinkOption.NOFOLLOW_LINKS)) {
          Files.move(side, sibling(db, suffix), StandardCopyOption.ATOMIC_MOVE);
        }
      }
    } catch (IOException e) {
      // The caller reports the first failure; the previous database is still at its aside name.
    }
  }

  private static Path sibling(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean nonEmpty(Path file) {
    try {
      return Files.isRegularFile(file) && Files.size(file) > 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** A new empty file readable by its owner only from the start (no window at the umask's mode). */
  private static Path createOwnerOnly(Path file) throws IOException {
    try {
      return POSIX
          ? Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
          : Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("temporary file " + file + " exists", e);
    }
  }

  private static void force(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Makes a rename durable (Linux; a no-op where directories cannot be opened). */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Not supported on this platform: the rename is still atomic, only maybe not yet on disk.
    }
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    for (String suffix : List.of("", "-journal", "-wal", "-shm")) {
      try {
        Files.deleteIfExists(sibling(file, suffix));
      } catch (IOException ignored) {
        // a leftover hidden temporary file; nothing else depends on it
      }
    }
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
