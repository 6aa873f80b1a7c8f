package io.ponte.server.store;

import io.vertx.core.Future;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

/**
 * The {@link Store} for clusters: a PostgreSQL database (or one schema of it) shared by every
 * node.
 *
 * <p>Threads, group commit, futures and the shared SQL are in {@link JdbcStore}; this class adds
 * the PostgreSQL connections and schema:
 * <ul>
 *   <li>One writing connection (group commit as with SQLite). {@code synchronous_commit} is kept
 *       on (forced on when the server default is off), so a committed transaction is durable and
 *       an acknowledged append survives a crash of the node or of the database server.
 *   <li>{@link Options#readers()} read-only connections at REPEATABLE READ, so a multi-statement
 *       read (e.g. load: room, snapshot, operations) sees one consistent view.
 *   <li>The JDBC URL selects the database and may carry {@code currentSchema=...} to keep Ponte's
 *       tables in their own schema; the schema must exist. Credentials go in the URL
 *       ({@code user=...&password=...}); they are never logged.
 *   <li>Migrations run at start-up in one transaction under {@code pg_advisory_xact_lock}, keyed
 *       by the schema, so nodes starting at the same time migrate once.
 *   <li>Connections default to {@code connectTimeout=10}, {@code socketTimeout=60} (seconds) and
 *       {@code ApplicationName=ponte-store}; the same parameters in the URL win. A connection
 *       lost (database restart, failover) fails the calls in flight with UNAVAILABLE and is
 *       replaced on the next call.
 * </ul>
 */
public final class PostgresStore extends JdbcStore {

  /** First key of the advisory lock taken while migrating (the second is the schema's hash). */
  static final int MIGRATION_LOCK = 0x506f6e74; // "Pont"

  /**
   * Schema migrations; index i brings the schema from version i to i + 1. Keep the numbering in
   * step with {@link SqliteStore}'s list.
   */
  private static final List<List<String>> MIGRATIONS =
      List.of(
          List.of(
              "CREATE TABLE rooms ("
                  + " room_id TEXT PRIMARY KEY NOT NULL,"
                  + " epoch TEXT NOT NULL,"
                  + " created_ms BIGINT NOT NULL,"
                  + " settings BYTEA NOT NULL)",
              "CREATE TABLE operations ("
                  + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                  + " seq BIGINT NOT NULL,"
                  + " op BYTEA NOT NULL,"
                  + " PRIMARY KEY (room_id, seq))",
              "CREATE TABLE snapshots ("
                  + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                  + " seq BIGINT NOT NULL,"
                  + " state BYTEA NOT NULL,"
                  + " PRIMARY KEY (room_id, seq))"),
          // 2: when a room's session ended (or it was closed), for its retention period.
          List.of("ALTER TABLE rooms ADD COLUMN ended_ms BIGINT NOT NULL DEFAULT 0"),
          // 3: the audit log of teacher and admin actions; one entry per operation (seq > 0).
          List.of(
              "CREATE TABLE audit_log ("
                  + " id BIGSERIAL PRIMARY KEY,"
                  + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                  + " seq BIGINT NOT NULL,"
                  + " time_ms BIGINT NOT NULL,"
                  + " actor_id TEXT NOT NULL,"
                  + " entry BYTEA NOT NULL)",
              "CREATE UNIQUE INDEX audit_log_op ON audit_log(room_id, seq) WHERE seq > 0",
              "CREATE INDEX audit_log_room ON audit_log(room_id, id)",
              "CREATE INDEX audit_log_actor ON audit_log(actor_id, id)"),
          // 4: operations rewritten by a redaction (deleted or edited chat text blanked).
          List.of("ALTER TABLE operations ADD COLUMN redacted SMALLINT NOT NULL DEFAULT 0"),
          // 5: erasures of one learner (admin.ErasureJobs): the job, its claim and progress.
          List.of(
              "CREATE TABLE erasure_jobs ("
                  + " job_id TEXT PRIMARY KEY NOT NULL,"
                  + " user_id TEXT NOT NULL,"
                  + " pseudonym TEXT NOT NULL,"
                  + " state TEXT NOT NULL,"
                  + " created_ms BIGINT NOT NULL,"
                  + " finished_ms BIGINT NOT NULL DEFAULT 0,"
                  + " claimed_by TEXT NOT NULL DEFAULT '',"
                  + " claimed_until_ms BIGINT NOT NULL DEFAULT 0,"
                  + " progress TEXT NOT NULL)",
              "CREATE INDEX erasure_jobs_pseudonym ON erasure_jobs(pseudonym, created_ms)"),
          // 6: the epoch each operation was sequenced under, and the operations that lost a
          // same-seq conflict (two epochs, or a placeholder and a late write), for inspection.
          List.of(
              "ALTER TABLE operations ADD COLUMN epoch TEXT NOT NULL DEFAULT ''",
              "CREATE TABLE operation_conflicts ("
                  + " id BIGSERIAL PRIMARY KEY,"
                  + " room_id TEXT NOT NULL REFERENCES rooms(room_id),"
                  + " seq BIGINT NOT NULL,"
                  + " epoch TEXT NOT NULL,"
                  + " op BYTEA NOT NULL,"
                  + " kept_epoch TEXT NOT NULL,"
                  + " detected_ms BIGINT NOT NULL)",
              "CREATE INDEX operation_conflicts_room ON operation_conflicts(room_id, seq)"));

  /** Store settings. */
  public record Options(int maxBatch, int readers) {
    /** Validates. */
    public Options {
      if (maxBatch < 1 || maxBatch > 100_000) {
        throw new IllegalArgumentException("maxBatch must be in 1..100000, was " + maxBatch);
      }
      if (readers < 1 || readers > 64) {
        throw new IllegalArgumentException("readers must be in 1..64, was " + readers);
      }
    }

    /** maxBatch=512, readers=2. */
    public static Options defaults() {
      return new Options(512, 2);
    }

    public Options withMaxBatch(int value) {
      return new Options(value, readers);
    }

    public Options withReaders(int value) {
      return new Options(maxBatch, value);
    }
  }

  private final String jdbcUrl;
  private final Options options;

  private PostgresStore(String jdbcUrl, Options options) {
    super(redact(jdbcUrl), options.maxBatch(), options.readers());
    this.jdbcUrl = jdbcUrl;
    this.options = options;
  }

  @Override
  protected String openDetails() {
    return "(readers=" + options.readers() + ", maxBatch=" + options.maxBatch() + ")";
  }

  /**
   * Connects to {@code jdbcUrl} ({@code jdbc:postgresql://host:port/db?user=..&currentSchema=..})
   * and migrates the schema. The future fails with UNAVAILABLE when the database cannot be reached,
   * the schema does not exist, or its version is newer than this server knows.
   */
  public static Future<PostgresStore> open(String jdbcUrl, Options options) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(options, "options");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      return Future.failedFuture(
          new IllegalArgumentException("not a jdbc:postgresql: URL: " + redact(jdbcUrl)));
    }
    return start(new PostgresStore(jdbcUrl, options));
  }

  /** The URL without credentials, for logs and errors. */
  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^/@?]*@", "//***@");
  }

  @Override
  protected List<List<String>> migrations() {
    return MIGRATIONS;
  }

  @Override
  protected void lockForMigration(Connection conn) throws SQLException {
    try (PreparedStatement st =
        conn.prepareStatement("SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))")) {
      st.setInt(1, MIGRATION_LOCK);
      st.execute();
    }
  }

  @Override
  protected Connection connectWriter() throws Exception {
    Connection conn = connect();
    try (Statement st = conn.createStatement()) {
      String sync;
      try (ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
        sync = rs.next() ? rs.getString(1) : "";
      }
      if (sync.equalsIgnoreCase("off")) {
        // A commit must be durable before an append is acknowledged.
        st.execute("SET synchronous_commit = on");
      }
    } catch (SQLException | RuntimeException e) {
      closeQuietly(conn, "writer");
      throw e;
    }
    return conn;
  }

  @Override
  protected Connection connectReader() throws Exception {
    Connection conn = connect();
    try {
      conn.setReadOnly(true);
      conn.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(conn, "reader");
      throw e;
    }
    return conn;
  }

  private Connection connect() throws SQLException {
    Properties props = new Properties();
    // Defaults; the same parameters in the URL take precedence.
    props.setProperty("ApplicationName", "ponte-store");
    props.setProperty("connectTimeout", "10");
    props.setProperty("socketTimeout", "60");
    props.setProperty("tcpKeepAlive", "true");
    Connection conn = DriverManager.getConnection(jdbcUrl, props);
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_schema()")) {
      if (!rs.next() || rs.getString(1) == null) {
        throw new SQLException(
            "no usable schema: the schema named by currentSchema (or the search_path) does not"
                + " exist in " + redact(jdbcUrl));
      }
    } catch (SQLException | RuntimeException e) {
      closeQuietly(conn, "new");
      throw e;
    }
    return conn;
  }
}
