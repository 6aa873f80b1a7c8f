package io.ponte.server.store;

import io.ponte.server.util.OwnerOnly;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.sqlite.SQLiteConfig;

/**
 * The embedded default {@link Store}: one SQLite file, {@code <dataDir>/ponte.db}, in WAL mode.
 *
 * <p>Threads, group commit, futures and the shared SQL are in {@link JdbcStore}; this class adds
 * the SQLite connection setup (pragmas, WAL, IMMEDIATE write transactions, a query-only reader)
 * and the SQLite schema. One reader thread: WAL lets it read while the writer writes. With
 * {@code synchronous=FULL} a completed append survives power loss; with NORMAL it survives a kill
 * of the process but maybe not an OS crash.
 */
public final class SqliteStore extends JdbcStore {

  /** The database file name inside the data directory. */
  public static final String DB_FILE = "ponte.db";

  static final int BUSY_TIMEOUT_MS = 5_000;
  /** How often the checkpointer copies the WAL into the database file. */
  static final long CHECKPOINT_INTERVAL_MS = 1_000;

  /**
   * Schema migrations; index i brings the schema from version i to i + 1. Keep the numbering in
   * step with {@link PostgresStore}'s list.
   */
  private static final List<List<String>> MIGRATIONS =
      List.of(
          List.of(
            "CREATE TABLE rooms ("
                + " room_id TEXT PRIMARY KEY NOT NULL,"
                + " epoch TEXT NOT NULL,"
                + " created_ms INTEGER NOT NULL,"
                + " settings BLOB NOT NULL)",
            "CREATE TABLE operations ("
                + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                + " seq INTEGER NOT NULL,"
                + " op BLOB NOT NULL,"
                + " PRIMARY KEY (room_id, seq)) WITHOUT ROWID",
            "CREATE TABLE snapshots ("
                + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                + " seq INTEGER NOT NULL,"
                + " state BLOB NOT NULL,"
                + " PRIMARY KEY (room_id, seq))"),
          // 2: when a room's session ended (or it was closed), for its retention period.
          List.of("ALTER TABLE rooms ADD COLUMN ended_ms INTEGER NOT NULL DEFAULT 0"),
          // 3: the audit log of teacher and admin actions; one entry per operation (seq > 0).
          List.of(
              "CREATE TABLE audit_log ("
                  + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                  + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                  + " seq INTEGER NOT NULL,"
                  + " time_ms INTEGER NOT NULL,"
                  + " actor_id TEXT NOT NULL,"
                  + " entry BLOB NOT NULL)",
              "CREATE UNIQUE INDEX audit_log_op ON audit_log(room_id, seq) WHERE seq > 0",
              "CREATE INDEX audit_log_room ON audit_log(room_id, id)",
              "CREATE INDEX audit_log_actor ON audit_log(actor_id, id)"),
          // 4: operations rewritten by a redaction (deleted or edited chat text blanked).
          List.of("ALTER TABLE operations ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0"),
          // 5: erasures of one learner (admin.ErasureJobs): the job, its claim and progress.
          List.of(
              "CREATE TABLE erasure_jobs ("
                  + " job_id TEXT PRIMARY KEY NOT NULL,"
                  + " user_id TEXT NOT NULL,"
                  + " pseudonym TEXT NOT NULL,"
                  + " state TEXT NOT NULL,"
                  + " created_ms INTEGER NOT NULL,"
                  + " finished_ms INTEGER NOT NULL DEFAULT 0,"
                  + " claimed_by TEXT NOT NULL DEFAULT '',"
                  + " claimed_until_ms INTEGER NOT NULL DEFAULT 0,"
                  + " progress TEXT NOT NULL)",
              "CREATE INDEX erasure_jobs_pseudonym ON erasure_jobs(pseudonym, created_ms)"),
          // 6: the epoch each operation was sequenced under, and the operations that lost a
          // same-seq conflict (two epochs, or a placeholder and a late write), for inspection.
          List.of(
              "ALTER TABLE operations ADD COLUMN epoch TEXT NOT NULL DEFAULT ''",
              "CREATE TABLE operation_conflicts ("
                  + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                  + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                  + " seq INTEGER NOT NULL,"
                  + " epoch TEXT NOT NULL,"
                  + " op BLOB NOT NULL,"
                  + " kept_epoch TEXT NOT NULL,"
                  + " detected_ms INTEGER NOT NULL)",
              "CREATE INDEX operation_conflicts_room ON operation_conflicts(room_id, seq)"));

  /** The schema version this server writes (a database with a newer one is refused). */
  public static final int SCHEMA_VERSION = MIGRATIONS.size();

  /** Store settings. */
  public record Options(String synchronous, int maxBatch) {
    public static final String FULL = "FULL";
    public static final String NORMAL = "NORMAL";

    /** Validates and normalises ({@code synchronous} is case-insensitive). */
    public Options {
      if (synchronous == null) {
        throw new IllegalArgumentException("synchronous must be FULL or NORMAL, was null");
      }
      String s = synchronous.trim().toUpperCase(Locale.ROOT);
      if (!s.equals(FULL) && !s.equals(NORMAL)) {
        throw new IllegalArgumentException(
            "synchronous must be FULL or NORMAL, was '" + synchronous + "'");
      }
      synchronous = s;
      if (maxBatch < 1 || maxBatch > 100_000) {
        throw new IllegalArgumentException("maxBatch must be in 1..100000, was " + maxBatch);
      }
    }

    /** synchronous=FULL, maxBatch=512. */
    public static Options defaults() {
      return new Options(FULL, 512);
    }

    public Options withSynchronous(String value) {
      return new Options(value, maxBatch);
    }

    public Options withMaxBatch(int value) {
      return new Options(synchronous, value);
    }
  }

  private final Path dbFile;
  private final Options options;
  /** Held from the writer's first connection until every connection is closed. */
  private volatile SqliteFileLock fileLock;

  private SqliteStore(Path dbFile, Options options) {
    super(dbFile.toString(), options.maxBatch(), 1);
    this.dbFile = dbFile;
    this.options = options;
  }

  /**
   * Opens (creating when missing) {@code dataDir/ponte.db} and migrates its schema. The future
   * fails with UNAVAILABLE when the database cannot be opened or has a newer schema.
   */
  public static Future<SqliteStore> open(Path dataDir, Options options) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(options, "options");
    return openFile(dataDir.toAbsolutePath().resolve(DB_FILE), options);
  }

  /**
   * Opens (creating it and its directory when missing) the database file {@code dbFile}, e.g. from
   * {@code store-url=jdbc:sqlite:/var/lib/ponte/rooms.db}, and migrates its schema.
   */
  public static Future<SqliteStore> openFile(Path dbFile, Options options) {
    Objects.requireNonNull(dbFile, "dbFile");
    Objects.requireNonNull(options, "options");
    return start(new SqliteStore(dbFile.toAbsolutePath(), options));
  }

  /**
   * WAL checkpoints run here, on their own thread and connection, never inside a commit: with
   * SQLite's automatic checkpoint, the commit that crosses the WAL threshold copies megabytes
   * and fsyncs the database file, and every operation in that group commit (and so every
   * delivery of the room) waits for it. PASSIVE never blocks the writer or the readers.
   */
  private java.util.concurrent.ScheduledExecutorService checkpointer;
  private Connection checkpointConn;

  @Override
  protected void afterOpen() {
    checkpointer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ponte-store-checkpoint");
      t.setDaemon(true);
      return t;
    });
    checkpointer.scheduleWithFixedDelay(this::checkpoint, CHECKPOINT_INTERVAL_MS,
        CHECKPOINT_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void checkpoint() {
    checkpoint("PASSIVE");
  }

  /**
   * Erases the room, then empties the WAL: secure_delete zeroes the freed pages in the database,
   * and a TRUNCATE checkpoint leaves no copy of them in the log. Completes when both are done.
   */
  @Override
  public Future<Void> deleteRoom(String roomId) {
    Context ctx = Vertx.currentContext();
    return super.deleteRoom(roomId).compose(v -> {
      Promise<Void> truncated = Promise.promise();
      Runnable run = () -> {
        checkpoint("TRUNCATE");
        if (ctx == null) {
          truncated.complete();
        } else {
          ctx.runOnContext(x -> truncated.complete());
        }
      };
      if (checkpointer == null) {
        run.run();
      } else {
        checkpointer.execute(run);
      }
      return truncated.future();
    });
  }

  /** A scrub is queued on the checkpointer: later redactions until it runs share it. */
  private final java.util.concurrent.atomic.AtomicBoolean scrubQueued =
      new java.util.concurrent.atomic.AtomicBoolean();
  /** How long a scrub waits for more redactions (a burst of deletions scrubs once). */
  static final long SCRUB_DELAY_MS = 200;

  /**
   * Rewrites the operations, then scrubs: secure_delete zeroes the replaced bytes in the database
   * pages; a TRUNCATE checkpoint leaves no older copy of those pages in the WAL, and an
   * incremental vacuum gives the free pages back. Debounced: one scrub per burst of redactions.
   * The returned future completes once the rows are durable, not when the scrub ran.
   */
  @Override
  public Future<Integer> redact(String roomId, List<Long> seqs,
      java.util.function.UnaryOperator<io.ponte.protocol.v1.Operation> rewrite,
      long snapshotsBefore,
      java.util.function.UnaryOperator<io.ponte.protocol.v1.RoomStateRecord> rewriteSnapshot) {
    return super.redact(roomId, seqs, rewrite, snapshotsBefore, rewriteSnapshot).onSuccess(n -> {
      if (n > 0) {
        scheduleScrub();
      }
    });
  }

  @Override
  public void scrub() {
    scheduleScrub();
  }

  /** As {@link #redact}: the old entries' bytes are scrubbed from the files soon after. */
  @Override
  public Future<Integer> rewriteAudit(
      java.util.function.UnaryOperator<io.ponte.protocol.v1.AuditEntry> rewrite) {
    return super.rewriteAudit(rewrite).onSuccess(n -> {
      if (n > 0) {
        scheduleScrub();
      }
    });
  }

  /** Asks for a scrub of the database file and the WAL soon (see {@link #redact}). */
  private void scheduleScrub() {
    if (checkpointer == null || !scrubQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      checkpointer.schedule(() -> {
        scrubQueued.set(false);
        scrubNow();
      }, SCRUB_DELAY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      scrubQueued.set(false);
    }
  }

  /** Frees pages and empties the WAL now, on the calling thread (the checkpointer's). */
  private void scrubNow() {
    try {
      if (checkpointConn == null) {
        checkpointConn = connect(false);
      }
      try (Statement st = checkpointConn.createStatement()) {
        st.execute("PRAGMA incremental_vacuum");
      }
    } catch (SQLException | RuntimeException e) {
      LOG_CHECKPOINT.warn("incremental vacuum failed: {}", e.toString());
    }
    checkpoint("TRUNCATE");
  }

  private void checkpoint(String mode) {
    try {
      if (checkpointConn == null) {
        checkpointConn = connect(false);
      }
      try (Statement st = checkpointConn.createStatement()) {
        st.execute("PRAGMA wal_checkpoint(" + mode + ")");
      }
    } catch (SQLException | RuntimeException e) {
      LOG_CHECKPOINT.warn("WAL checkpoint failed: {}", e.toString());
      closeQuietly(checkpointConn, "checkpoint");
      checkpointConn = null;
    }
  }

  @Override
  protected void beforeClose() {
    if (checkpointer != null) {
      checkpointer.shutdown();
      try {
        checkpointer.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeQuietly(checkpointConn, "checkpoint");
    checkpointConn = null;
  }

  @Override
  protected void afterClose() {
    SqliteFileLock held = fileLock;
    fileLock = null;
    if (held != null) {
      held.close();
    }
  }

  private static final org.slf4j.Logger LOG_CHECKPOINT =
      org.slf4j.LoggerFactory.getLogger(SqliteStore.class);

  @Override
  protected String openDetails() {
    return "(synchronous=" + options.synchronous() + ")";
  }

  @Override
  protected List<List<String>> migrations() {
    return MIGRATIONS;
  }

  @Override
  protected Connection connectWriter() throws Exception {
    Path dir = dbFile.getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      // A directory made for the database is the owner's alone; an existing one (store-url
      // naming a file elsewhere) is the operator's and left as it is.
      OwnerOnly.directory(dir);
    }
    if (fileLock == null) {
      fileLock = SqliteFileLock.acquire(dbFile);
    }
    Connection conn = connect(false);
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA journal_mode = WAL")) {
      String mode = rs.next() ? rs.getString(1) : "";
      if (!"wal".equalsIgnoreCase(mode)) {
        throw new SQLException("could not switch to WAL journal mode (got " + mode + ")");
      }
      // Checkpoints are the checkpointer thread's job (see afterOpen), not the commit's.
      st.execute("PRAGMA wal_autocheckpoint = 0");
      incrementalVacuum(st);
      // The database, its WAL and shared memory hold learners' data: the owner's alone.
      for (String suffix : List.of("", "-wal", "-shm")) {
        OwnerOnly.file(dbFile.resolveSibling(dbFile.getFileName() + suffix));
      }
    } catch (SQLException | RuntimeException e) {
      closeQuietly(conn, "writer");
      throw e;
    }
    return conn;
  }

  /**
   * Free pages are given back by {@code PRAGMA incremental_vacuum} after a redaction, which needs
   * auto_vacuum=INCREMENTAL: set before the first table exists, or followed once by a VACUUM for
   * a database created before (which rewrites the file, also dropping any free page left).
   */
  private static void incrementalVacuum(Statement st) throws SQLException {
    int mode;
    try (ResultSet rs = st.executeQuery("PRAGMA auto_vacuum")) {
      mode = rs.next() ? rs.getInt(1) : 0;
    }
    if (mode == 2) {
      return;
    }
    st.execute("PRAGMA auto_vacuum = INCREMENTAL");
    boolean hasTables;
    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
      hasTables = rs.next() && rs.getInt(1) > 0;
    }
    if (hasTables) {
      st.execute("VACUUM");
    }
  }

  @Override
  protected Connection connectReader() throws Exception {
    return connect(true);
  }

  private Connection connect(boolean queryOnly) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    // The writer takes the write lock at BEGIN; the reader must never take it.
    config.setTransactionMode(
        queryOnly ? SQLiteConfig.TransactionMode.DEFERRED : SQLiteConfig.TransactionMode.IMMEDIATE);
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    Connection conn = config.createConnection("jdbc:sqlite:" + dbFile);
    try (Statement st = conn.createStatement()) {
      st.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MS);
      st.execute("PRAGMA foreign_keys = ON");
      // Deleted rows are overwritten with zeros, not left readable in free pages.
      st.execute("PRAGMA secure_delete = ON");
      st.execute("PRAGMA synchronous = " + options.synchronous());
      if (queryOnly) {
        st.execute("PRAGMA query_only = ON");
      }
    } catch (SQLException e) {
      closeQuietly(conn, "new");
      throw e;
    }
    return conn;
  }
}
