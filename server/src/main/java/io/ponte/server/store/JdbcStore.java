package io.ponte.server.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDBC machinery shared by {@link SqliteStore} and {@link PostgresStore}: threads, group
 * commit, savepoints, futures, error mapping, the versioned migration runner and every statement
 * whose SQL is the same on both databases. A subclass supplies only how to connect (and set up a
 * session), its migration list and, when needed, a lock taken before migrating.
 *
 * <p>Wiring:
 * <ul>
 *   <li>{@link #start} returns a future; the connections and the schema migrations are all done on
 *       the store's threads, never on the caller's.
 *   <li>Writes (createRoom, append, saveSnapshot, setEpoch, markEnded, deleteRoom) go into one
 *       queue drained by the daemon thread {@code ponte-store-writer}, which owns the only writing
 *       connection. It takes every pending request (up to {@code maxBatch}), runs them in ONE
 *       transaction, each inside its own savepoint so a failing request (CONFLICT,
 *       ROOM_NOT_FOUND, ...) is rolled back alone, commits once, and only then completes the
 *       futures (group commit).
 *   <li>Reads (room, rooms, load, operations, expiredRooms, ping) run on a small pool of daemon
 *       threads {@code ponte-store-reader[-n]}, each read on a read-only connection of its own,
 *       inside one read transaction (a consistent view across statements).
 *   <li>Every future completes on the Vert.x context that made the call (captured at call time
 *       with {@link Vertx#currentContext()}), or on the store thread when there was none.
 *   <li>A connection found broken after a failure (e.g. the database server restarted) is
 *       replaced on the next call; the failed calls themselves fail with UNAVAILABLE.
 * </ul>
 *
 * <p>Pitfalls:
 * <ul>
 *   <li>Queue order is call order: two appends of one room are applied in the order their
 *       {@code append} calls returned. An append whose seq is below the room's highest stored seq
 *       and is not stored yet is accepted (nodes sharing a store write out of order); gaps are
 *       allowed (the store does not know the broker's numbering beyond what it holds).
 *   <li>Several stores (nodes) may write one PostgreSQL database: inserts use
 *       {@code ON CONFLICT ... DO NOTHING} and then compare, so two nodes storing the same seq get
 *       idempotent success, or the same-seq rule ({@link #resolveConflict}: the current epoch's
 *       operation wins, the loser goes to {@code operation_conflicts}), never a constraint error.
 *       {@link #fillSkipped} is the same insert without the rule: whoever is first stays.
 *   <li>Operations are never deleted by snapshot pruning: history paging and audits read them.
 *       Only {@link #deleteRoom} (retention) removes them. {@link #redact} rewrites some in place
 *       (column {@code redacted}); an original appended after its redacted copy is accepted as a
 *       duplicate, a redacted copy appended over an original replaces it.
 *   <li>Nothing logged here contains operation contents or tokens: only room ids, counts and
 *       SQL error messages.
 * </ul>
 */
public abstract class JdbcStore implements Store {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcStore.class);

  private final String description;
  private final int maxBatch;
  private final BlockingQueue<WriteRequest> writes = new LinkedBlockingQueue<>();
  private final ExecutorService reader;
  private final BlockingQueue<ReadSlot> readSlots;
  private final int readers;
  private final Thread writerThread;
  private final Object lock = new Object();
  private final AtomicLong commits = new AtomicLong();
  /** Operations moved to or refused into operation_conflicts (see {@link #resolveConflict}). */
  private final AtomicLong conflicts = new AtomicLong();

  // Guarded by lock.
  private boolean closed;
  private Future<Void> closeFuture;

  // Owned by the writer thread.
  private Connection writeConn;
  private boolean writerBroken;
  /** Prepared statements of {@link #statementsOf}, the writer connection (writer thread only). */
  private final java.util.HashMap<String, PreparedStatement> statements = new java.util.HashMap<>();
  private Connection statementsOf;

  /**
   * @param description what logs call this store (never contains a password)
   * @param maxBatch most write requests per transaction
   * @param readers reader threads, each with its own connection
   */
  protected JdbcStore(String description, int maxBatch, int readers) {
    if (maxBatch < 1 || readers < 1) {
      throw new IllegalArgumentException("maxBatch and readers must be >= 1");
    }
    this.description = description;
    this.maxBatch = maxBatch;
    this.readers = readers;
    this.readSlots = new ArrayBlockingQueue<>(readers);
    AtomicInteger n = new AtomicInteger();
    this.reader =
        Executors.newFixedThreadPool(
            readers,
            r -> {
              int i = n.incrementAndGet();
              Thread t =
                  new Thread(r, readers == 1 ? "ponte-store-reader" : "ponte-store-reader-" + i);
              t.setDaemon(true);
              return t;
            });
    this.writerThread = new Thread(this::writerLoop, "ponte-store-writer");
    this.writerThread.setDaemon(true);
  }

  // ---------------------------------------------------------------------------------------------
  // What a database provides
  // ---------------------------------------------------------------------------------------------

  /** A new writing connection, its session set up (autocommit on). Runs on the writer thread. */
  protected abstract Connection connectWriter() throws Exception;

  /** A new read-only connection, its session set up (autocommit on). */
  protected abstract Connection connectReader() throws Exception;

  /** Schema migrations; index i brings the schema from version i to i + 1. */
  protected abstract List<List<String>> migrations();

  /**
   * Runs first inside the migration transaction, before the schema version is read: a database
   * shared by several nodes takes a lock here so that only one of them migrates at a time.
   */
  protected void lockForMigration(Connection conn) throws SQLException {}

  /** Called once the store is open (readers connected), before the open future completes. */
  protected void afterOpen() {}

  /** Called on the writer thread when closing, after the last write committed. */
  protected void beforeClose() {}

  /** Called once every connection is closed, before the close future completes. */
  protected void afterClose() {}

  /** Extra words for the "Store open" log line, e.g. "(synchronous=FULL)". */
  protected String openDetails() {
    return "";
  }

  // ---------------------------------------------------------------------------------------------
  // Open
  // ---------------------------------------------------------------------------------------------

  /**
   * Starts the store's threads and opens it: the writer connects and migrates, then the readers
   * connect. The future fails with UNAVAILABLE when the database cannot be opened or has a newer
   * schema than this server knows.
   */
  protected static <S extends JdbcStore> Future<S> start(S store) {
    Completer<S> done = new Completer<>();
    JdbcStore s = store;
    s.writerThread.start();
    s.writes.add(new OpenRequest<>(store, done));
    return done.future();
  }

  /** First request of the writer: opens the database, migrates, then connects the readers. */
  private static final class OpenRequest<S extends JdbcStore> extends WriteRequest {
    private final S store;
    private final Completer<S> done;

    OpenRequest(S store, Completer<S> done) {
      super("open", null, null);
      this.store = store;
      this.done = done;
    }

    void run() {
      JdbcStore s = store;
      try {
        s.writeConn = s.connectWriter();
        s.migrate(s.writeConn);
      } catch (Exception e) {
        s.failOpen(done, e);
        return;
      }
      try {
        s.reader.execute(
            () -> {
              try {
                for (int i = 0; i < s.readers; i++) {
                  s.readSlots.add(new ReadSlot(s.connectReader()));
                }
                LOG.info("Store open: {} {}", s.description, s.openDetails());
                s.afterOpen();
                done.succeed(store);
              } catch (Exception e) {
                s.failOpen(done, e);
              }
            });
      } catch (RejectedExecutionException e) {
        s.failOpen(done, e);
      }
    }
  }

  private void failOpen(Completer<?> done, Exception e) {
    LOG.error("Cannot open store {}: {}", description, e.toString());
    close();
    done.fail(
        e instanceof StoreException se
            ? se
            : new StoreException(StoreException.Kind.UNAVAILABLE, "cannot open store: " + e, e));
  }

  /** How many transactions the writer has committed (for tests of group commit). */
  long commitCount() {
    return commits.get();
  }

  // ---------------------------------------------------------------------------------------------
  // Migrations
  // ---------------------------------------------------------------------------------------------

  /**
   * Brings the schema to the newest version in ONE transaction: lock (see {@link
   * #lockForMigration}), create {@code schema_version} when missing, read the version, apply the
   * missing migrations, record each. Another node starting at the same time waits for the lock and
   * then finds nothing to do.
   */
  private void migrate(Connection conn) throws SQLException {
    List<List<String>> migrations = migrations();
    conn.setAutoCommit(false);
    try (Statement st = conn.createStatement()) {
      lockForMigration(conn);
      st.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      int version;
      try (ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
        version = rs.next() ? rs.getInt(1) : 0;
      }
      if (version > migrations.size()) {
        throw new StoreException(
            StoreException.Kind.UNAVAILABLE,
            "database schema version "
                + version
                + " is newer than this server knows ("
                + migrations.size()
                + ")");
      }
      for (int v = version; v < migrations.size(); v++) {
        for (String sql : migrations.get(v)) {
          st.execute(sql);
        }
        st.execute("INSERT INTO schema_version(version) VALUES (" + (v + 1) + ")");
      }
      conn.commit();
      if (version < migrations.size()) {
        LOG.info("Store schema migrated from version {} to {}", version, migrations.size());
      }
    } catch (SQLException | RuntimeException e) {
      try {
        conn.rollback();
      } catch (SQLException re) {
        LOG.warn("Store migration rollback failed: {}", re.toString());
      }
      throw e;
    } finally {
      try {
        conn.setAutoCommit(true);
      } catch (SQLException e) {
        LOG.warn("Store setAutoCommit failed: {}", e.toString());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Store API: writes
  // ---------------------------------------------------------------------------------------------

  @Override
  public Future<Void> createRoom(RoomRecord room) {
    if (room == null || room.roomId() == null || room.epoch() == null || room.settings() == null) {
      return Future.failedFuture(
          new IllegalArgumentException("room, roomId, epoch and settings must not be null"));
    }
    byte[] settings = room.settings().toByteArray();
    return write(
        "createRoom",
        conn -> {
          try (PreparedStatement st =
              conn.prepareStatement(
                  "INSERT INTO rooms(room_id, epoch, created_ms, settings) VALUES (?, ?, ?, ?)"
                      + " ON CONFLICT (room_id) DO NOTHING")) {
            st.setString(1, room.roomId());
            st.setString(2, room.epoch());
            st.setLong(3, room.createdMs());
            st.setBytes(4, settings);
            if (st.executeUpdate() == 0) {
              throw new StoreException(
                  StoreException.Kind.ROOM_EXISTS, "room exists: " + room.roomId());
            }
          }
          return null;
        });
  }

  @Override
  public Future<Void> append(String roomId, SequencedOperation operation) {
    if (roomId == null || operation == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId and operation required"));
    }
    long seq = operation.getSeq();
    if (seq <= 0) {
      // uint64 values above Long.MAX_VALUE arrive negative: out of range too.
      return Future.failedFuture(
          new StoreException(
              StoreException.Kind.CONFLICT, "seq must be greater than 0, was " + seq));
    }
    byte[] op = operation.getOperation().toByteArray();
    return this.<Boolean>write(
        "append",
        conn -> {
          // The hot path: one cached INSERT. Seqs of one room may arrive out of order when
          // several nodes share the store, so only an existing seq is checked (idempotent
          // retry, or a conflict); a missing room shows up as the foreign key failing.
          if (insertOperation(conn, roomId, operation, op)) {
            return true;
          }
          if (operation.getRedacted()) {
            // A redacted copy (a broker's rewritten history) wins over the original.
            overwriteRedacted(conn, roomId, seq, op);
            return true;
          }
          StoredOperation stored = storedAt(conn, roomId, seq);
          if (stored == null || Arrays.equals(stored.op(), op) || stored.redacted()) {
            // Identical (a retry, or another node adopting it), or a redacted copy of it (the
            // original arriving late does not bring back what was redacted). Null: deleted
            // meanwhile, which only erasing the room does.
            return true;
          }
          return resolveConflict(conn, roomId, operation, op, stored);
        })
        .compose(stored -> {
          if (stored) {
            return Future.succeededFuture();
          }
          return Future.failedFuture(
              new StoreException(StoreException.Kind.CONFLICT, conflictMessage(roomId, seq)));
        });
  }

  /** INSERT unless the seq is stored; true when this call inserted it. */
  private boolean insertOperation(Connection conn, String roomId, SequencedOperation operation,
      byte[] op) throws SQLException {
    PreparedStatement insert = writerStatement(conn,
        "INSERT INTO operations(room_id, seq, op, redacted, epoch) VALUES (?, ?, ?, ?, ?)"
            + " ON CONFLICT (room_id, seq) DO NOTHING");
    insert.setString(1, roomId);
    insert.setLong(2, operation.getSeq());
    insert.setBytes(3, op);
    insert.setInt(4, operation.getRedacted() ? 1 : 0);
    insert.setString(5, operation.getEpoch());
    try {
      return insert.executeUpdate() > 0;
    } catch (SQLException e) {
      if (isForeignKeyViolation(e)) {
        throw notFound(roomId);
      }
      throw e;
    }
  }

  /** A stored operations row. */
  private record StoredOperation(byte[] op, boolean redacted, String epoch) {}

  private StoredOperation storedAt(Connection conn, String roomId, long seq) throws SQLException {
    PreparedStatement st = writerStatement(conn,
        "SELECT op, redacted, epoch FROM operations WHERE room_id = ? AND seq = ?");
    st.setString(1, roomId);
    st.setLong(2, seq);
    try (ResultSet rs = st.executeQuery()) {
      return rs.next() ? new StoredOperation(rs.getBytes(1), rs.getInt(2) != 0, rs.getString(3))
          : null;
    }
  }

  /**
   * Two operations for one seq (two epochs issued it: Redis lost writes and a node continued the
   * room from a lower seq; or a placeholder filled it while its node was still storing it). The
   * rule: the operation of the room's current epoch wins; with neither (or both) of it, the one
   * stored first stays. The loser goes to {@code operation_conflicts} for inspection, never
   * silently away. True when the incoming operation is now the stored one.
   */
  private boolean resolveConflict(Connection conn, String roomId, SequencedOperation incoming,
      byte[] op, StoredOperation stored) throws SQLException {
    long seq = incoming.getSeq();
    String current = epochOf(conn, roomId);
    boolean incomingWins = !incoming.getEpoch().isEmpty() && incoming.getEpoch().equals(current)
        && !stored.epoch().equals(current);
    if (incomingWins) {
      keepConflict(conn, roomId, seq, stored.epoch(), stored.op(), incoming.getEpoch());
      PreparedStatement st = writerStatement(conn,
          "UPDATE operations SET op = ?, redacted = ?, epoch = ? WHERE room_id = ? AND seq = ?");
      st.setBytes(1, op);
      st.setInt(2, incoming.getRedacted() ? 1 : 0);
      st.setString(3, incoming.getEpoch());
      st.setString(4, roomId);
      st.setLong(5, seq);
      st.executeUpdate();
      LOG.warn("room {}: seq {} was stored under epoch {} and now comes under the current epoch"
          + " {}: the current one is kept, the other moved to operation_conflicts", roomId, seq,
          stored.epoch(), incoming.getEpoch());
      return true;
    }
    keepConflict(conn, roomId, seq, incoming.getEpoch(), op, stored.epoch());
    LOG.warn("room {}: seq {} is stored (epoch {}); another operation for it (epoch {}) is"
        + " refused and kept in operation_conflicts", roomId, seq, stored.epoch(),
        incoming.getEpoch());
    return false;
  }

  /** Records the losing operation of a conflict once (a retried write records nothing new). */
  private void keepConflict(Connection conn, String roomId, long seq, String epoch, byte[] op,
      String keptEpoch) throws SQLException {
    PreparedStatement seen = writerStatement(conn,
        "SELECT 1 FROM operation_conflicts WHERE room_id = ? AND seq = ? AND epoch = ? AND op = ?");
    seen.setString(1, roomId);
    seen.setLong(2, seq);
    seen.setString(3, epoch);
    seen.setBytes(4, op);
    try (ResultSet rs = seen.executeQuery()) {
      if (rs.next()) {
        return;
      }
    }
    PreparedStatement st = writerStatement(conn,
        "INSERT INTO operation_conflicts(room_id, seq, epoch, op, kept_epoch, detected_ms)"
            + " VALUES (?, ?, ?, ?, ?, ?)");
    st.setString(1, roomId);
    st.setLong(2, seq);
    st.setString(3, epoch);
    st.setBytes(4, op);
    st.setString(5, keptEpoch);
    st.setLong(6, System.currentTimeMillis());
    st.executeUpdate();
    // Counted once committed would be exact; a rolled-back batch is rare enough to over-count.
    conflicts.incrementAndGet();
  }

  private String epochOf(Connection conn, String roomId) throws SQLException {
    PreparedStatement st = writerStatement(conn, "SELECT epoch FROM rooms WHERE room_id = ?");
    st.setString(1, roomId);
    try (ResultSet rs = st.executeQuery()) {
      return rs.next() ? rs.getString(1) : "";
    }
  }

  @Override
  public Future<SequencedOperation> fillSkipped(String roomId, SequencedOperation placeholder) {
    if (roomId == null || placeholder == null || placeholder.getSeq() <= 0) {
      return Future.failedFuture(new IllegalArgumentException("roomId and a seq > 0 required"));
    }
    byte[] op = placeholder.getOperation().toByteArray();
    return write(
        "fillSkipped",
        conn -> {
          // Conditional: whoever comes first (the real operation, or another node's placeholder)
          // stays, and every node then applies that one.
          if (insertOperation(conn, roomId, placeholder, op)) {
            return placeholder;
          }
          StoredOperation stored = storedAt(conn, roomId, placeholder.getSeq());
          if (stored == null) {
            throw notFound(roomId);
          }
          return SequencedOperation.newBuilder()
              .setSeq(placeholder.getSeq())
              .setOperation(Operation.parseFrom(stored.op()))
              .setRedacted(stored.redacted())
              .setEpoch(stored.epoch())
              .build();
        });
  }

  @Override
  public long conflictsRecorded() {
    return conflicts.get();
  }

  /** The operations → rooms foreign key failed: the room does not exist (SQLite or PostgreSQL). */
  private static boolean isForeignKeyViolation(SQLException e) {
    String message = e.getMessage() == null ? "" : e.getMessage();
    return "23503".equals(e.getSQLState()) || message.contains("FOREIGN KEY constraint failed");
  }

  /**
   * A prepared statement of the writer connection, kept for reuse: preparing costs more than
   * running on the hot path. Writer thread only; the cache follows the writer connection.
   */
  private PreparedStatement writerStatement(Connection conn, String sql) throws SQLException {
    if (conn != statementsOf) {
      statements.clear(); // the connection they belonged to was replaced (and closed)
      statementsOf = conn;
    }
    PreparedStatement st = statements.get(sql);
    if (st == null) {
      st = conn.prepareStatement(sql);
      statements.put(sql, st);
    }
    return st;
  }

  private void overwriteRedacted(Connection conn, String roomId, long seq, byte[] op)
      throws SQLException {
    PreparedStatement st = writerStatement(conn,
        "UPDATE operations SET op = ?, redacted = 1 WHERE room_id = ? AND seq = ?");
    st.setBytes(1, op);
    st.setString(2, roomId);
    st.setLong(3, seq);
    st.executeUpdate();
  }

  @Override
  public Future<Integer> redact(String roomId, List<Long> seqs,
      java.util.function.UnaryOperator<Operation> rewrite, long snapshotsBefore,
      java.util.function.UnaryOperator<RoomStateRecord> rewriteSnapshot) {
    if (roomId == null || seqs == null || rewrite == null || rewriteSnapshot == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId, seqs and rewrites required"));
    }
    return write(
        "redact",
        conn -> {
          int changed = 0;
          for (long seq : seqs) {
            byte[] stored;
            PreparedStatement st = writerStatement(conn,
                "SELECT op, redacted FROM operations WHERE room_id = ? AND seq = ?");
            st.setString(1, roomId);
            st.setLong(2, seq);
            try (ResultSet rs = st.executeQuery()) {
              if (!rs.next()) {
                // Not stored (yet): the node storing it applies the same redaction after it.
                continue;
              }
              stored = rs.getBytes(1);
            }
            byte[] rewritten = rewrite.apply(Operation.parseFrom(stored)).toByteArray();
            // A row the rewrite leaves as it is stays unmarked: an erasure's redaction lists
            // every seq of the room, most of them about somebody else.
            if (!Arrays.equals(stored, rewritten)) {
              overwriteRedacted(conn, roomId, seq, rewritten);
              changed++;
            }
          }
          if (snapshotsBefore > 0) {
            changed += redactSnapshots(conn, roomId, snapshotsBefore, rewriteSnapshot);
          }
          return changed;
        });
  }

  private static String conflictMessage(String roomId, long seq) {
    return "room " + roomId + " already has seq " + seq + " with different content";
  }

  private static int redactSnapshots(Connection conn, String roomId, long before,
      java.util.function.UnaryOperator<RoomStateRecord> rewrite) throws Exception {
    java.util.LinkedHashMap<Long, byte[]> changed = new java.util.LinkedHashMap<>();
    try (PreparedStatement st = conn.prepareStatement(
        "SELECT seq, state FROM snapshots WHERE room_id = ? AND seq < ?")) {
      st.setString(1, roomId);
      st.setLong(2, before);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          RoomStateRecord stored = RoomStateRecord.parseFrom(rs.getBytes(2));
          RoomStateRecord rewritten = rewrite.apply(stored);
          if (!rewritten.equals(stored)) {
            changed.put(rs.getLong(1), rewritten.toByteArray());
          }
        }
      }
    }
    for (var e : changed.entrySet()) {
      try (PreparedStatement st = conn.prepareStatement(
          "UPDATE snapshots SET state = ? WHERE room_id = ? AND seq = ?")) {
        st.setBytes(1, e.getValue());
        st.setString(2, roomId);
        st.setLong(3, e.getKey());
        st.executeUpdate();
      }
    }
    return changed.size();
  }

  @Override
  public Future<Void> saveSnapshot(String roomId, RoomStateRecord state, int keep) {
    if (roomId == null || state == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId and state required"));
    }
    if (!state.getRoomId().isEmpty() && !state.getRoomId().equals(roomId)) {
      return Future.failedFuture(
          new IllegalArgumentException("state.room_id does not match roomId"));
    }
    return saveSnapshot(roomId, state.getSeq(), state.toByteArray(), keep);
  }

  @Override
  public Future<Void> saveSnapshot(String roomId, long seq, byte[] bytes, int keep) {
    if (roomId == null || bytes == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId and state required"));
    }
    if (keep < 1) {
      return Future.failedFuture(new IllegalArgumentException("keep must be >= 1, was " + keep));
    }
    if (seq < 0) {
      return Future.failedFuture(new IllegalArgumentException("state.seq out of range"));
    }
    return write(
        "saveSnapshot",
        conn -> {
          requireRoom(conn, roomId);
          try (PreparedStatement st =
              conn.prepareStatement(
                  "INSERT INTO snapshots(room_id, seq, state) VALUES (?, ?, ?)"
                      + " ON CONFLICT (room_id, seq) DO UPDATE SET state = excluded.state")) {
            st.setString(1, roomId);
            st.setLong(2, seq);
            st.setBytes(3, bytes);
            st.executeUpdate();
          }
          try (PreparedStatement st =
              conn.prepareStatement(
                  "DELETE FROM snapshots WHERE room_id = ? AND seq NOT IN"
                      + " (SELECT seq FROM snapshots WHERE room_id = ? ORDER BY seq DESC LIMIT ?)")) {
            st.setString(1, roomId);
            st.setString(2, roomId);
            st.setInt(3, keep);
            st.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public Future<Void> setEpoch(String roomId, String epoch) {
    if (roomId == null || epoch == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId and epoch required"));
    }
    return write(
        "setEpoch",
        conn -> {
          try (PreparedStatement st =
              conn.prepareStatement("UPDATE rooms SET epoch = ? WHERE room_id = ?")) {
            st.setString(1, epoch);
            st.setString(2, roomId);
            if (st.executeUpdate() == 0) {
              throw notFound(roomId);
            }
          }
          return null;
        });
  }

  @Override
  public Future<Void> markEnded(String roomId, long endedMs) {
    if (roomId == null || endedMs <= 0) {
      return Future.failedFuture(
          new IllegalArgumentException("roomId and a positive endedMs required"));
    }
    return write(
        "markEnded",
        conn -> {
          requireRoom(conn, roomId);
          try (PreparedStatement st =
              conn.prepareStatement(
                  "UPDATE rooms SET ended_ms = ? WHERE room_id = ? AND ended_ms = 0")) {
            st.setLong(1, endedMs);
            st.setString(2, roomId);
            st.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public Future<Void> deleteRoom(String roomId) {
    if (roomId == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId required"));
    }
    return write(
        "deleteRoom",
        conn -> {
          requireRoom(conn, roomId);
          for (String table :
              List.of("audit_log", "operation_conflicts", "operations", "snapshots", "rooms")) {
            try (PreparedStatement st =
                conn.prepareStatement("DELETE FROM " + table + " WHERE room_id = ?")) {
              st.setString(1, roomId);
              st.executeUpdate();
            }
          }
          return null;
        });
  }

  @Override
  public Future<Void> appendAudit(AuditEntry entry) {
    if (entry == null || entry.getRoomId().isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException("an entry with a room id required"));
    }
    byte[] bytes = entry.toBuilder().clearId().build().toByteArray();
    return write(
        "appendAudit",
        conn -> {
          // Every node that stores the operation may record it (and a room's load records again
          // what a crash may have lost): the unique (room_id, seq) index keeps one.
          PreparedStatement insert = writerStatement(conn,
              "INSERT INTO audit_log(room_id, seq, time_ms, actor_id, entry) VALUES (?, ?, ?, ?, ?)"
                  + " ON CONFLICT DO NOTHING");
          insert.setString(1, entry.getRoomId());
          insert.setLong(2, entry.getSeq());
          insert.setLong(3, entry.getTimeMs());
          insert.setString(4, entry.getActorUserId());
          insert.setBytes(5, bytes);
          try {
            insert.executeUpdate();
          } catch (SQLException e) {
            if (isForeignKeyViolation(e)) {
              throw notFound(entry.getRoomId());
            }
            throw e;
          }
          return null;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Erasure jobs
  // ---------------------------------------------------------------------------------------------

  private static final String JOB_COLUMNS = "job_id, user_id, pseudonym, state, created_ms,"
      + " finished_ms, claimed_by, claimed_until_ms, progress";

  @Override
  public Future<Void> createErasureJob(ErasureJob job) {
    return write("createErasureJob", conn -> {
      try (PreparedStatement st = conn.prepareStatement("INSERT INTO erasure_jobs(" + JOB_COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        st.setString(1, job.jobId());
        st.setString(2, job.userId());
        st.setString(3, job.pseudonym());
        st.setString(4, job.state());
        st.setLong(5, job.createdMs());
        st.setLong(6, job.finishedMs());
        st.setString(7, job.claimedBy());
        st.setLong(8, job.claimedUntilMs());
        st.setString(9, job.progress());
        st.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Future<Optional<ErasureJob>> erasureJob(String jobId) {
    return read("erasureJob", conn -> jobs(conn,
        "SELECT " + JOB_COLUMNS + " FROM erasure_jobs WHERE job_id = ?", jobId)
        .stream().findFirst());
  }

  @Override
  public Future<Optional<ErasureJob>> latestErasureJob(String pseudonym) {
    return read("latestErasureJob", conn -> jobs(conn, "SELECT " + JOB_COLUMNS
        + " FROM erasure_jobs WHERE pseudonym = ? ORDER BY created_ms DESC, job_id DESC LIMIT 1",
        pseudonym).stream().findFirst());
  }

  @Override
  public Future<List<ErasureJob>> unfinishedErasureJobs() {
    return read("unfinishedErasureJobs", conn -> jobs(conn, "SELECT " + JOB_COLUMNS
        + " FROM erasure_jobs WHERE state <> ? ORDER BY created_ms, job_id", ErasureJob.DONE));
  }

  private static List<ErasureJob> jobs(Connection conn, String sql, String arg) throws SQLException {
    List<ErasureJob> out = new ArrayList<>();
    try (PreparedStatement st = conn.prepareStatement(sql)) {
      st.setString(1, arg);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(new ErasureJob(rs.getString(1), rs.getString(2), rs.getString(3),
              rs.getString(4), rs.getLong(5), rs.getLong(6), rs.getString(7), rs.getLong(8),
              rs.getString(9)));
        }
      }
    }
    return out;
  }

  @Override
  public Future<Boolean> claimErasureJob(String jobId, String node, long nowMs, long untilMs) {
    return write("claimErasureJob", conn -> {
      // One UPDATE with the condition: the row lock (PostgreSQL) or the single writer (SQLite)
      // makes it atomic among the nodes sharing the store.
      try (PreparedStatement st = conn.prepareStatement("UPDATE erasure_jobs"
          + " SET claimed_by = ?, claimed_until_ms = ? WHERE job_id = ? AND state <> ?"
          + " AND (claimed_by = ? OR claimed_by = '' OR claimed_until_ms < ?)")) {
        st.setString(1, node);
        st.setLong(2, untilMs);
        st.setString(3, jobId);
        st.setString(4, ErasureJob.DONE);
        st.setString(5, node);
        st.setLong(6, nowMs);
        return st.executeUpdate() == 1;
      }
    });
  }

  @Override
  public Future<Boolean> updateErasureJob(ErasureJob job, String node) {
    return write("updateErasureJob", conn -> {
      try (PreparedStatement st = conn.prepareStatement("UPDATE erasure_jobs SET user_id = ?,"
          + " state = ?, finished_ms = ?, claimed_until_ms = ?, progress = ?, claimed_by = ?"
          + " WHERE job_id = ? AND claimed_by = ?")) {
        st.setString(1, job.userId());
        st.setString(2, job.state());
        st.setLong(3, job.finishedMs());
        st.setLong(4, job.claimedUntilMs());
        st.setString(5, job.progress());
        st.setString(6, job.claimedBy());
        st.setString(7, job.jobId());
        st.setString(8, node);
        return st.executeUpdate() == 1;
      }
    });
  }

  @Override
  public Future<Integer> rewriteAudit(java.util.function.UnaryOperator<AuditEntry> rewrite) {
    return write("rewriteAudit", conn -> {
      java.util.LinkedHashMap<Long, AuditEntry> changed = new java.util.LinkedHashMap<>();
      try (PreparedStatement st = conn.prepareStatement("SELECT id, entry FROM audit_log");
          ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          AuditEntry before = AuditEntry.parseFrom(rs.getBytes(2));
          AuditEntry after = rewrite.apply(before);
          if (!after.equals(before)) {
            changed.put(rs.getLong(1), after);
          }
        }
      }
      for (var e : changed.entrySet()) {
        try (PreparedStatement st = conn.prepareStatement(
            "UPDATE audit_log SET actor_id = ?, entry = ? WHERE id = ?")) {
          st.setString(1, e.getValue().getActorUserId());
          st.setBytes(2, e.getValue().toByteArray());
          st.setLong(3, e.getKey());
          st.executeUpdate();
        }
      }
      return changed.size();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Store API: reads
  // ---------------------------------------------------------------------------------------------

  @Override
  public Future<List<AuditEntry>> audit(AuditQuery q) {
    if (q == null) {
      return Future.failedFuture(new IllegalArgumentException("query required"));
    }
    StringBuilder sql = new StringBuilder("SELECT id, entry FROM audit_log WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    if (q.roomId() != null) {
      sql.append(" AND room_id = ?");
      args.add(q.roomId());
    }
    if (q.actorUserId() != null) {
      sql.append(" AND actor_id = ?");
      args.add(q.actorUserId());
    }
    if (q.fromMs() > 0) {
      sql.append(" AND time_ms >= ?");
      args.add(q.fromMs());
    }
    if (q.toMs() > 0) {
      sql.append(" AND time_ms < ?");
      args.add(q.toMs());
    }
    if (q.beforeId() > 0) {
      sql.append(" AND id < ?");
      args.add(q.beforeId());
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    args.add((long) q.limit());
    return read(
        "audit",
        conn -> {
          List<AuditEntry> out = new ArrayList<>();
          try (PreparedStatement st = conn.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
              Object a = args.get(i);
              if (a instanceof String str) {
                st.setString(i + 1, str);
              } else {
                st.setLong(i + 1, (Long) a);
              }
            }
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                out.add(AuditEntry.parseFrom(rs.getBytes(2)).toBuilder().setId(rs.getLong(1)).build());
              }
            }
          }
          return out;
        });
  }

  @Override
  public Future<List<String>> expiredRooms(long nowMs, int maxRetentionDays) {
    return read(
        "expiredRooms",
        conn -> {
          List<String> out = new ArrayList<>();
          try (PreparedStatement st =
                  conn.prepareStatement(
                      "SELECT room_id, ended_ms, settings FROM rooms WHERE ended_ms > 0"
                          + " ORDER BY room_id");
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              long days = Math.min(maxRetentionDays, Integer.toUnsignedLong(
                  RoomSettings.parseFrom(rs.getBytes(3)).getRetentionDays()));
              if (rs.getLong(2) + days * 86_400_000L <= nowMs) {
                out.add(rs.getString(1));
              }
            }
          }
          return out;
        });
  }

  @Override
  public Future<Optional<RoomRecord>> room(String roomId) {
    if (roomId == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId required"));
    }
    return read("room", conn -> Optional.ofNullable(readRoom(conn, roomId)));
  }

  @Override
  public Future<List<RoomRecord>> rooms() {
    return read(
        "rooms",
        conn -> {
          List<RoomRecord> out = new ArrayList<>();
          try (PreparedStatement st =
                  conn.prepareStatement(
                      "SELECT room_id, epoch, created_ms, settings FROM rooms ORDER BY room_id");
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              out.add(toRoom(rs));
            }
          }
          return out;
        });
  }

  @Override
  public Future<StoredRoom> load(String roomId) {
    if (roomId == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId required"));
    }
    return read(
        "load",
        conn -> {
          RoomRecord room = readRoom(conn, roomId);
          if (room == null) {
            throw notFound(roomId);
          }
          RoomStateRecord snapshot = null;
          try (PreparedStatement st =
              conn.prepareStatement(
                  "SELECT state FROM snapshots WHERE room_id = ? ORDER BY seq ASC LIMIT 1")) {
            st.setString(1, roomId);
            try (ResultSet rs = st.executeQuery()) {
              if (rs.next()) {
                snapshot = RoomStateRecord.parseFrom(rs.getBytes(1));
              }
            }
          }
          long after = snapshot == null ? 0 : snapshot.getSeq();
          List<SequencedOperation> ops = readOperations(conn, roomId, after, -1);
          return new StoredRoom(room, snapshot, List.copyOf(ops));
        });
  }

  /**
   * Stored operations with seq greater than {@code afterSeq}, in seq order, at most {@code limit}
   * of them. With the broker's gap-free seqs this is exactly (afterSeq, afterSeq + limit]; if a
   * room ever has gaps, the page still holds {@code limit} operations (when there are that many),
   * so paging on the last returned seq never stalls. Fails with ROOM_NOT_FOUND for an unknown room.
   */
  @Override
  public Future<List<Long>> storedSeqs(String roomId, long fromSeq, long toSeq) {
    if (roomId == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId required"));
    }
    if (toSeq < fromSeq) {
      return Future.succeededFuture(List.of());
    }
    return read(
        "storedSeqs",
        conn -> {
          try (PreparedStatement st = conn.prepareStatement(
              "SELECT seq FROM operations WHERE room_id = ? AND seq BETWEEN ? AND ? ORDER BY seq")) {
            st.setString(1, roomId);
            st.setLong(2, fromSeq);
            st.setLong(3, toSeq);
            List<Long> seqs = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
              while (rs.next()) {
                seqs.add(rs.getLong(1));
              }
            }
            return seqs;
          }
        });
  }

  @Override
  public Future<List<SequencedOperation>> operations(String roomId, long afterSeq, int limit) {
    if (roomId == null) {
      return Future.failedFuture(new IllegalArgumentException("roomId required"));
    }
    if (limit < 0) {
      return Future.failedFuture(new IllegalArgumentException("limit must be >= 0, was " + limit));
    }
    return read(
        "operations",
        conn -> {
          if (readRoom(conn, roomId) == null) {
            throw notFound(roomId);
          }
          if (limit == 0) {
            return List.of();
          }
          return List.copyOf(readOperations(conn, roomId, Math.max(afterSeq, 0), limit));
        });
  }

  @Override
  public Future<Void> ping() {
    return read(
        "ping",
        conn -> {
          try (Statement st = conn.createStatement();
              ResultSet rs = st.executeQuery("SELECT MAX(version) FROM schema_version")) {
            rs.next();
          }
          return null;
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Close
  // ---------------------------------------------------------------------------------------------

  /**
   * Stops accepting calls, commits every write queued before it, then closes the connections and
   * ends the threads. Calling it again returns the same future (close is idempotent); every other
   * call after it fails with UNAVAILABLE.
   */
  @Override
  public Future<Void> close() {
    Completer<Void> done = new Completer<>();
    synchronized (lock) {
      if (closed) {
        Future<Void> f = closeFuture;
        Context ctx = Vertx.currentContext();
        if (ctx == null) {
          return f;
        }
        Promise<Void> p = Promise.promise();
        f.onComplete(ar -> ctx.runOnContext(v -> p.handle(ar)));
        return p.future();
      }
      closed = true;
      closeFuture = done.plain.future();
      writes.add(new CloseRequest(done));
    }
    return done.future();
  }

  private final class CloseRequest extends WriteRequest {
    private final Completer<Void> done;

    CloseRequest(Completer<Void> done) {
      super("close", null, null);
      this.done = done;
    }

    /** Runs on the writer thread after every earlier write was committed. */
    void finish() {
      beforeClose();
      closeQuietly(writeConn, "writer");
      writeConn = null;
      reader.shutdown();
      // Wait for the readers on a helper thread, so no store thread waits on another.
      Thread waiter =
          new Thread(
              () -> {
                try {
                  while (!reader.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("Store reader still busy while closing");
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                ReadSlot slot;
                while ((slot = readSlots.poll()) != null) {
                  closeQuietly(slot.conn, "reader");
                }
                afterClose();
                LOG.info("Store closed: {} ({} commits)", description, commits.get());
                done.succeed(null);
              },
              "ponte-store-close");
      waiter.setDaemon(true);
      waiter.start();
    }
  }

  /** Closes a connection, logging (not throwing) a failure. */
  protected static void closeQuietly(Connection c, String which) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      LOG.warn("Closing store {} connection failed: {}", which, e.toString());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writer
  // ---------------------------------------------------------------------------------------------

  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection conn) throws Exception;
  }

  private static class WriteRequest {
    final String name;
    final SqlWork<?> work;
    final Completer<Object> done;

    @SuppressWarnings("unchecked")
    WriteRequest(String name, SqlWork<?> work, Completer<?> done) {
      this.name = name;
      this.work = work;
      this.done = (Completer<Object>) done;
    }
  }

  private <T> Future<T> write(String name, SqlWork<T> work) {
    Completer<T> done = new Completer<>();
    synchronized (lock) {
      if (closed) {
        return Future.failedFuture(closedException());
      }
      writes.add(new WriteRequest(name, work, done));
    }
    return done.future();
  }

  private void writerLoop() {
    List<WriteRequest> batch = new ArrayList<>(maxBatch);
    while (true) {
      batch.clear();
      try {
        batch.add(writes.take());
      } catch (InterruptedException e) {
        // Nobody interrupts this thread on purpose; keep serving until a CloseRequest arrives.
        continue;
      }
      holdForTests();
      writes.drainTo(batch, maxBatch - 1);
      try {
        if (!handle(batch)) {
          return;
        }
      } catch (RuntimeException | Error e) {
        // Never let the writer die silently: every caller would wait forever.
        LOG.error("Store writer failed on a batch of {}: {}", batch.size(), e.toString());
        StoreException se =
            new StoreException(StoreException.Kind.UNAVAILABLE, "store writer failed", e);
        for (WriteRequest r : batch) {
          if (r.done != null) {
            r.done.fail(se); // no effect on futures already completed
          }
        }
      }
    }
  }

  /**
   * TEST ONLY: the system property {@value #TEST_HOLD_PROPERTY} names a file; while it exists
   * the writer holds every write, so a crash test can kill the node between delivering an
   * operation and storing it. Never set in production (no setting, no flag reads it).
   */
  static final String TEST_HOLD_PROPERTY = "ponte.test.hold-store-writes-while-exists";

  private static void holdForTests() {
    // Read each time (a property lookup per batch): in-process tests set it after stores exist.
    String p = System.getProperty(TEST_HOLD_PROPERTY);
    if (p == null || p.isBlank()) {
      return;
    }
    java.nio.file.Path hold = java.nio.file.Path.of(p);
    while (java.nio.file.Files.exists(hold)) {
      try {
        Thread.sleep(10); // the writer's own thread, never an event loop
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Handles one drained batch; false once the store is closed and the writer must end. */
  private boolean handle(List<WriteRequest> batch) {
    List<WriteRequest> txn = new ArrayList<>(batch.size());
    for (WriteRequest r : batch) {
      if (r instanceof CloseRequest c) {
        runBatch(txn);
        txn.clear();
        // Anything after the close request cannot exist (enqueued under the lock), but be safe.
        for (WriteRequest late : writes) {
          if (late.done != null) {
            late.done.fail(closedException());
          }
        }
        c.finish();
        return false;
      } else if (r instanceof OpenRequest<?> o) {
        runBatch(txn);
        txn.clear();
        o.run();
      } else {
        txn.add(r);
      }
    }
    runBatch(txn);
    return true;
  }

  /** The writing connection, reconnected first when the last transaction found it broken. */
  private Connection writer() {
    if (writeConn != null && writerBroken) {
      closeQuietly(writeConn, "writer");
      try {
        writeConn = connectWriter();
        writerBroken = false;
        LOG.info("Store writer reconnected: {}", description);
      } catch (Exception e) {
        LOG.error("Store writer cannot reconnect to {}: {}", description, e.toString());
        return null;
      }
    }
    return writeConn;
  }

  /** Runs the requests in one transaction, one savepoint each; completes futures after commit. */
  private void runBatch(List<WriteRequest> txn) {
    if (txn.isEmpty()) {
      return;
    }
    Connection conn = writer();
    if (conn == null) {
      String why = writerBroken ? "store database unreachable" : "store is not open";
      for (WriteRequest r : txn) {
        r.done.fail(new StoreException(StoreException.Kind.UNAVAILABLE, why));
      }
      return;
    }
    Object[] results = new Object[txn.size()];
    Throwable[] failures = new Throwable[txn.size()];
    try {
      conn.setAutoCommit(false);
      // Optimistic pass: requests almost never fail, and a savepoint per request costs two
      // statements each. When one fails, the transaction is rolled back and run again with a
      // savepoint per request, so that the failure stays that request's alone.
      if (!runAll(conn, txn, results, failures, false)) {
        conn.rollback();
        java.util.Arrays.fill(results, null);
        java.util.Arrays.fill(failures, null);
        runAll(conn, txn, results, failures, true);
      }
      conn.commit();
      commits.incrementAndGet();
    } catch (SQLException e) {
      LOG.error("Store transaction of {} requests failed: {}", txn.size(), e.toString());
      try {
        conn.rollback();
      } catch (SQLException re) {
        LOG.warn("Store rollback failed: {}", re.toString());
      }
      writerBroken = !isValid(conn);
      StoreException se =
          new StoreException(StoreException.Kind.UNAVAILABLE, "store transaction failed", e);
      for (WriteRequest r : txn) {
        r.done.fail(se);
      }
      return;
    } finally {
      try {
        conn.setAutoCommit(true);
      } catch (SQLException e) {
        LOG.warn("Store setAutoCommit failed: {}", e.toString());
      }
    }
    for (int i = 0; i < txn.size(); i++) {
      if (failures[i] != null) {
        txn.get(i).done.fail(failures[i]);
      } else {
        txn.get(i).done.succeed(results[i]);
      }
    }
  }

  /**
   * Runs every request of the transaction. Without savepoints, stops at the first failure and
   * returns false (the caller rolls back); with them, isolates each failure and returns true.
   */
  private boolean runAll(Connection conn, List<WriteRequest> txn, Object[] results,
      Throwable[] failures, boolean savepoints) throws SQLException {
    try (Statement sp = conn.createStatement()) {
      for (int i = 0; i < txn.size(); i++) {
        WriteRequest r = txn.get(i);
        if (savepoints) {
          sp.execute("SAVEPOINT req");
        }
        try {
          results[i] = r.work.run(conn);
          if (savepoints) {
            sp.execute("RELEASE SAVEPOINT req");
          }
        } catch (Exception e) {
          if (!savepoints) {
            return false;
          }
          sp.execute("ROLLBACK TO SAVEPOINT req");
          sp.execute("RELEASE SAVEPOINT req");
          failures[i] = toStoreException(r.name, e);
        }
      }
    }
    return true;
  }

  private static boolean isValid(Connection conn) {
    try {
      return conn.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Readers
  // ---------------------------------------------------------------------------------------------

  /** One reader connection; replaced when a failed read finds it broken. */
  private static final class ReadSlot {
    Connection conn;

    ReadSlot(Connection conn) {
      this.conn = conn;
    }
  }

  private <T> Future<T> read(String name, SqlWork<T> work) {
    Completer<T> done = new Completer<>();
    synchronized (lock) {
      if (closed) {
        return Future.failedFuture(closedException());
      }
      try {
        reader.execute(() -> runRead(name, work, done));
      } catch (RejectedExecutionException e) {
        return Future.failedFuture(closedException());
      }
    }
    return done.future();
  }

  private <T> void runRead(String name, SqlWork<T> work, Completer<T> done) {
    // At most `readers` reads run at once, one per thread, so a slot is free unless not open yet.
    ReadSlot slot = readSlots.poll();
    if (slot == null) {
      done.fail(new StoreException(StoreException.Kind.UNAVAILABLE, "store is not open"));
      return;
    }
    try {
      if (slot.conn == null) {
        try {
          slot.conn = connectReader();
          LOG.info("Store reader reconnected: {}", description);
        } catch (Exception e) {
          LOG.error("Store reader cannot reconnect to {}: {}", description, e.toString());
          done.fail(
              new StoreException(
                  StoreException.Kind.UNAVAILABLE, "store database unreachable", e));
          return;
        }
      }
      Connection conn = slot.conn;
      T result;
      try {
        conn.setAutoCommit(false); // one read transaction: a consistent view across statements
        try {
          result = work.run(conn);
        } finally {
          conn.rollback();
          conn.setAutoCommit(true);
        }
      } catch (Exception e) {
        if (e instanceof SQLException && !isValid(conn)) {
          closeQuietly(conn, "reader");
          slot.conn = null;
        }
        done.fail(toStoreException(name, e));
        return;
      }
      done.succeed(result);
    } finally {
      readSlots.add(slot);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // SQL helpers
  // ---------------------------------------------------------------------------------------------

  private static RoomRecord readRoom(Connection conn, String roomId) throws Exception {
    try (PreparedStatement st =
        conn.prepareStatement(
            "SELECT room_id, epoch, created_ms, settings FROM rooms WHERE room_id = ?")) {
      st.setString(1, roomId);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? toRoom(rs) : null;
      }
    }
  }

  private static RoomRecord toRoom(ResultSet rs)
      throws SQLException, InvalidProtocolBufferException {
    return new RoomRecord(
        rs.getString(1), rs.getString(2), rs.getLong(3), RoomSettings.parseFrom(rs.getBytes(4)));
  }

  /** Operations with seq > afterSeq in seq order; at most limit of them (limit < 0: all). */
  private static List<SequencedOperation> readOperations(
      Connection conn, String roomId, long afterSeq, int limit) throws Exception {
    List<SequencedOperation> out = new ArrayList<>();
    // No "LIMIT -1": SQLite reads it as "no limit", PostgreSQL rejects it.
    String sql =
        "SELECT seq, op, redacted, epoch FROM operations WHERE room_id = ? AND seq > ?"
            + " ORDER BY seq";
    try (PreparedStatement st = conn.prepareStatement(limit < 0 ? sql : sql + " LIMIT ?")) {
      st.setString(1, roomId);
      st.setLong(2, afterSeq);
      if (limit >= 0) {
        st.setLong(3, limit);
      }
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(
              SequencedOperation.newBuilder()
                  .setSeq(rs.getLong(1))
                  .setOperation(Operation.parseFrom(rs.getBytes(2)))
                  .setRedacted(rs.getInt(3) != 0)
                  .setEpoch(rs.getString(4))
                  .build());
        }
      }
    }
    return out;
  }

  private static void requireRoom(Connection conn, String roomId) throws SQLException {
    try (PreparedStatement st = conn.prepareStatement("SELECT 1 FROM rooms WHERE room_id = ?")) {
      st.setString(1, roomId);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw notFound(roomId);
        }
      }
    }
  }

  private static StoreException notFound(String roomId) {
    return new StoreException(StoreException.Kind.ROOM_NOT_FOUND, "no room " + roomId);
  }

  private static StoreException closedException() {
    return new StoreException(StoreException.Kind.UNAVAILABLE, "store is closed");
  }

  private static Throwable toStoreException(String what, Exception e) {
    if (e instanceof StoreException || e instanceof IllegalArgumentException) {
      return e;
    }
    if (e instanceof InvalidProtocolBufferException) {
      LOG.error("Store {}: stored bytes do not parse", what);
      return new StoreException(StoreException.Kind.UNAVAILABLE, "corrupt stored record", e);
    }
    LOG.error("Store {} failed: {}", what, e.toString());
    return new StoreException(StoreException.Kind.UNAVAILABLE, what + " failed", e);
  }

  // ---------------------------------------------------------------------------------------------
  // Completion on the caller's context
  // ---------------------------------------------------------------------------------------------

  /** A promise that completes on the Vert.x context current when it was created, if any. */
  private static final class Completer<T> {
    private final Context ctx = Vertx.currentContext();
    private final Promise<T> plain = Promise.promise();

    Future<T> future() {
      return plain.future();
    }

    void succeed(T value) {
      if (ctx == null) {
        plain.tryComplete(value);
      } else {
        ctx.runOnContext(v -> plain.tryComplete(value));
      }
    }

    void fail(Throwable t) {
      if (ctx == null) {
        plain.tryFail(t);
      } else {
        ctx.runOnContext(v -> plain.tryFail(t));
      }
    }
  }
}
