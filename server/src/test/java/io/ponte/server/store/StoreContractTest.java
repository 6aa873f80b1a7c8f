package io.ponte.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link Store} must have, run against each implementation by a subclass
 * ({@link SqliteStoreTest}, {@link PostgresStoreTest}) that says how to prepare an empty database,
 * open a store on it and run raw SQL in it. Implementation-specific tests live in the subclasses.
 */
abstract class StoreContractTest {

  /** The store under test, open on an empty database before each test; closed after. */
  protected JdbcStore store;

  /** Prepares a fresh, empty database (runs before the store is opened). */
  protected abstract void prepareDatabase() throws Exception;

  /** Removes what {@link #prepareDatabase} made (runs after the store is closed). */
  protected abstract void dropDatabase() throws Exception;

  /** Opens a store on the test database with this write batch bound. */
  protected abstract Future<? extends JdbcStore> openStore(int maxBatch);

  /** Runs one SQL statement directly in the test database (not through a store). */
  protected abstract void execSql(String sql) throws Exception;

  /** Opens a store with the default batch bound. */
  /** A plain connection to the store's database (the caller closes it). */
  protected abstract java.sql.Connection connect() throws Exception;

  /** The schema the store's tables are in; null where the database has no schemas (SQLite). */
  protected abstract String schema();

  protected Future<? extends JdbcStore> openStore() {
    return openStore(512);
  }

  @BeforeEach
  void openStoreForTest() throws Exception {
    prepareDatabase();
    store = await(openStore());
  }

  @AfterEach
  void closeStoreAfterTest() throws Exception {
    try {
      if (store != null) {
        await(store.close());
      }
    } finally {
      dropDatabase();
    }
  }

  // -------------------------------------------------------------------------------------------

  @Test
  @Timeout(30)
  void openRefusesANewerSchema() throws Exception {
    await(store.close());
    store = null;
    execSql("INSERT INTO schema_version(version) VALUES (99)");
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(openStore()));
  }

  @Test
  @Timeout(30)
  void createListAndGetRooms() throws Exception {
    RoomRecord b = room("room-b");
    RoomRecord a =
        new RoomRecord(
            "room-a",
            "epoch-a",
            1234L,
            RoomSettings.newBuilder().setTitle("Maths").addLanguages("nl").setMaxParticipants(30).build());
    await(store.createRoom(b));
    await(store.createRoom(a));

    assertEquals(List.of(a, b), await(store.rooms()));
    assertEquals(a, await(store.room("room-a")).orElseThrow());
    assertTrue(await(store.room("nope")).isEmpty());
  }

  @Test
  @Timeout(30)
  void storedSeqsListsTheHeldSeqsOfARange() throws Exception {
    await(store.createRoom(room("r")));
    await(store.createRoom(room("other")));
    for (long seq : new long[] {1, 2, 4, 7}) {
      await(store.append("r", op("r", seq)));
    }
    await(store.append("other", op("other", 3)));
    assertEquals(List.of(2L, 4L), await(store.storedSeqs("r", 2, 6)));
    assertEquals(List.of(1L, 2L, 4L, 7L), await(store.storedSeqs("r", 0, 100)));
    assertEquals(List.of(), await(store.storedSeqs("r", 5, 6)));
    assertEquals(List.of(), await(store.storedSeqs("r", 6, 5)));
    assertEquals(List.of(), await(store.storedSeqs("missing", 1, 10)));
  }

  @Test
  @Timeout(30)
  void duplicateCreateFailsWithRoomExists() throws Exception {
    await(store.createRoom(room("r")));
    assertEquals(StoreException.Kind.ROOM_EXISTS, failureKind(store.createRoom(room("r"))));
    assertEquals(1, await(store.rooms()).size());
  }

  @Test
  @Timeout(30)
  void appendThenLoadReturnsOperationsInSeqOrder() throws Exception {
    await(store.createRoom(room("r")));
    List<Future<Void>> fs = new ArrayList<>();
    for (long seq = 1; seq <= 50; seq++) {
      fs.add(store.append("r", op("r", seq)));
    }
    for (Future<Void> f : fs) {
      await(f);
    }
    StoredRoom loaded = await(store.load("r"));
    assertEquals(room("r"), loaded.room());
    assertNull(loaded.snapshot());
    assertEquals(expectedOps("r", 1, 50), loaded.operationsAfterSnapshot());
    assertEquals(50, loaded.lastSeq());
  }

  @Test
  @Timeout(30)
  void unknownRoomFailsWithRoomNotFound() throws Exception {
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.load("x")));
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.append("x", op("x", 1))));
    assertEquals(
        StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.saveSnapshot("x", state("x", 1), 2)));
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.setEpoch("x", "e2")));
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.operations("x", 0, 10)));
  }

  @Test
  @Timeout(30)
  void reappendIdenticalIsIdempotentAndDifferentBytesConflict() throws Exception {
    await(store.createRoom(room("r")));
    await(store.append("r", op("r", 1)));
    await(store.append("r", op("r", 2)));
    await(store.append("r", op("r", 1))); // identical: success

    SequencedOperation other =
        SequencedOperation.newBuilder()
            .setSeq(1)
            .setOperation(op("r", 1).getOperation().toBuilder().setClientMsgId("different"))
            .build();
    assertEquals(StoreException.Kind.CONFLICT, failureKind(store.append("r", other)));
    assertEquals(expectedOps("r", 1, 2), await(store.load("r")).operationsAfterSnapshot());
  }

  /** The rows of operation_conflicts of a room, oldest first: "seq epoch kept_epoch". */
  private List<String> conflictRows(String roomId, List<byte[]> ops) throws Exception {
    List<String> out = new ArrayList<>();
    try (java.sql.Connection c = connect();
        java.sql.PreparedStatement st = c.prepareStatement("SELECT seq, epoch, kept_epoch, op"
            + " FROM operation_conflicts WHERE room_id = ? ORDER BY id")) {
      st.setString(1, roomId);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1) + " " + rs.getString(2) + " " + rs.getString(3));
          ops.add(rs.getBytes(4));
        }
      }
    }
    return out;
  }

  private static SequencedOperation underEpoch(SequencedOperation sop, String epoch) {
    return sop.toBuilder().setEpoch(epoch).build();
  }

  @Test
  @Timeout(30)
  void sameSeqFromTwoEpochsKeepsTheCurrentEpochsOperationAndRecordsTheOther() throws Exception {
    await(store.createRoom(room("r"))); // current epoch: epoch-1
    long before = store.conflictsRecorded();
    SequencedOperation old1 = underEpoch(op("r", 1), "epoch-0");
    SequencedOperation new1 = underEpoch(conflicting("r", 1), "epoch-1");
    await(store.append("r", old1));
    // The current epoch's operation replaces the older epoch's, which is kept for inspection.
    await(store.append("r", new1));
    assertEquals(List.of(new1), await(store.operations("r", 0, 10)));
    List<byte[]> ops = new ArrayList<>();
    assertEquals(List.of("1 epoch-0 epoch-1"), conflictRows("r", ops));
    assertEquals(old1.getOperation(), Operation.parseFrom(ops.get(0)));
    assertEquals(1, store.conflictsRecorded() - before);
    // The older epoch's operation arriving again is refused, and not recorded twice.
    assertEquals(StoreException.Kind.CONFLICT, failureKind(store.append("r", old1)));
    assertEquals(List.of(new1), await(store.operations("r", 0, 10)));
    assertEquals(1, conflictRows("r", new ArrayList<>()).size());
    assertEquals(1, store.conflictsRecorded() - before);
    await(store.append("r", new1)); // the stored one again: idempotent

    // Stored under the current epoch first: an older epoch's operation is refused and recorded.
    SequencedOperation new2 = underEpoch(op("r", 2), "epoch-1");
    await(store.append("r", new2));
    assertEquals(StoreException.Kind.CONFLICT,
        failureKind(store.append("r", underEpoch(conflicting("r", 2), "epoch-0"))));
    // Two operations of one epoch (neither wins by epoch): the first stays, the other recorded.
    assertEquals(StoreException.Kind.CONFLICT,
        failureKind(store.append("r", underEpoch(conflicting("r", 2), "epoch-1"))));
    assertEquals(List.of(new1, new2), await(store.operations("r", 0, 10)));
    assertEquals(List.of("1 epoch-0 epoch-1", "2 epoch-0 epoch-1", "2 epoch-1 epoch-1"),
        conflictRows("r", new ArrayList<>()));
    assertEquals(3, store.conflictsRecorded() - before);

    // The epoch is the room's current one as the store has it: after setEpoch, the new one wins.
    await(store.setEpoch("r", "epoch-2"));
    SequencedOperation newer2 = underEpoch(conflicting("r", 2), "epoch-2");
    await(store.append("r", newer2));
    assertEquals(List.of(new1, newer2), await(store.load("r")).operationsAfterSnapshot());
    assertEquals(4, store.conflictsRecorded() - before);
  }

  @Test
  @Timeout(60)
  void fillSkippedWritesOnePlaceholderPerSeqAndReturnsWhatIsStored() throws Exception {
    await(store.createRoom(room("r")));
    await(store.append("r", op("r", 1)));
    // A seq already stored keeps its operation: the filler gets it back.
    assertEquals(op("r", 1), await(store.fillSkipped("r", placeholder(1, "node-a"))));
    // Several nodes filling one seq at once: exactly one placeholder wins, all get it.
    List<Future<SequencedOperation>> racing = new ArrayList<>();
    for (int n = 0; n < 8; n++) {
      racing.add(store.fillSkipped("r", placeholder(2, "node-" + n)));
    }
    Set<SequencedOperation> answers = new HashSet<>();
    for (Future<SequencedOperation> f : racing) {
      answers.add(await(f));
    }
    assertEquals(1, answers.size(), answers::toString);
    SequencedOperation winner = answers.iterator().next();
    assertTrue(winner.getOperation().hasSeqSkipped());
    assertEquals(List.of(op("r", 1), winner), await(store.operations("r", 0, 10)));
    // The real operation arriving after its placeholder (its node was not dead, only slow): the
    // placeholder stays (same epoch, first wins) and the late one is refused and recorded.
    long before = store.conflictsRecorded();
    assertEquals(StoreException.Kind.CONFLICT,
        failureKind(store.append("r", underEpoch(op("r", 2), "epoch-1"))));
    assertEquals(List.of(op("r", 1), winner), await(store.operations("r", 0, 10)));
    assertEquals(List.of("2 epoch-1 epoch-1"), conflictRows("r", new ArrayList<>()));
    assertEquals(1, store.conflictsRecorded() - before);
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND,
        failureKind(store.fillSkipped("nope", placeholder(1, "node-a"))));
  }

  private static SequencedOperation placeholder(long seq, String node) {
    return SequencedOperation.newBuilder()
        .setSeq(seq)
        .setEpoch("epoch-1")
        .setOperation(Operation.newBuilder().setServerTimeMs(1000 + seq)
            .setSeqSkipped(io.ponte.protocol.v1.SeqSkipped.newBuilder().setNode(node)))
        .build();
  }

  @Test
  @Timeout(30)
  void nonPositiveSeqsConflictAndSeqsMayArriveOutOfOrder() throws Exception {
    await(store.createRoom(room("r")));
    assertEquals(StoreException.Kind.CONFLICT, failureKind(store.append("r", op("r", 0))));
    assertEquals(StoreException.Kind.CONFLICT, failureKind(store.append("r", op("r", -5))));
    await(store.append("r", op("r", 1)));
    await(store.append("r", op("r", 3)));
    // Nodes sharing a store write the seqs they sequenced: seq 2 may come after seq 3.
    await(store.append("r", op("r", 2)));
    List<Long> seqs =
        await(store.operations("r", 0, 100)).stream().map(SequencedOperation::getSeq).toList();
    assertEquals(List.of(1L, 2L, 3L), seqs);
  }

  @Test
  @Timeout(60)
  void conflictInABatchFailsOnlyThatAppend() throws Exception {
    int threads = 8;
    int perThread = 300;
    for (int t = 0; t < threads; t++) {
      await(store.createRoom(room("room-" + t)));
      await(store.append("room-" + t, op("room-" + t, 1)));
    }
    long commitsBefore = store.commitCount();
    ConcurrentLinkedQueue<Future<Void>> good = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Future<Void>> bad = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String roomId = "room-" + t;
      Thread w =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (long seq = 2; seq <= perThread + 1; seq++) {
                  good.add(store.append(roomId, op(roomId, seq)));
                  if (seq % 10 == 0) {
                    // Seq 1 again with other bytes: must fail alone, inside the same batches.
                    bad.add(store.append(roomId, conflicting(roomId, 1)));
                  }
                }
              });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }
    for (Future<Void> f : good) {
      await(f);
    }
    for (Future<Void> f : bad) {
      assertEquals(StoreException.Kind.CONFLICT, failureKind(f));
    }
    long commits = store.commitCount() - commitsBefore;
    int requests = good.size() + bad.size();
    assertTrue(commits < requests, "expected group commit: " + commits + " commits");
    for (int t = 0; t < threads; t++) {
      String roomId = "room-" + t;
      assertEquals(
          expectedOps(roomId, 1, perThread + 1), await(store.load(roomId)).operationsAfterSnapshot());
    }
  }

  @Test
  @Timeout(60)
  void concurrentAppendsAreGroupCommitted() throws Exception {
    await(store.createRoom(room("r")));
    long before = store.commitCount();
    int n = 2000;
    List<Future<Void>> fs = new ArrayList<>(n);
    for (long seq = 1; seq <= n; seq++) {
      fs.add(store.append("r", op("r", seq)));
    }
    for (Future<Void> f : fs) {
      await(f);
    }
    long commits = store.commitCount() - before;
    assertTrue(commits >= 1 && commits < n, "commits: " + commits);
    assertEquals(n, await(store.load("r")).operationsAfterSnapshot().size());
  }

  @Test
  @Timeout(30)
  void maxBatchBoundsTransactionSize() throws Exception {
    await(store.close());
    store = await(openStore(1));
    await(store.createRoom(room("r")));
    long before = store.commitCount();
    List<Future<Void>> fs = new ArrayList<>();
    for (long seq = 1; seq <= 20; seq++) {
      fs.add(store.append("r", op("r", seq)));
    }
    for (Future<Void> f : fs) {
      await(f);
    }
    assertEquals(20, store.commitCount() - before);
  }

  @Test
  @Timeout(30)
  void snapshotsArePrunedAndLoadStartsFromOldestKept() throws Exception {
    await(store.createRoom(room("r")));
    for (long seq = 1; seq <= 10; seq++) {
      await(store.append("r", op("r", seq)));
    }
    await(store.saveSnapshot("r", state("r", 3), 2));
    StoredRoom one = await(store.load("r"));
    assertEquals(state("r", 3), one.snapshot());
    assertEquals(expectedOps("r", 4, 10), one.operationsAfterSnapshot());

    await(store.saveSnapshot("r", state("r", 5), 2));
    // Already encoded, as a room saves its snapshots: the same as the record.
    await(store.saveSnapshot("r", 7, state("r", 7).toByteArray(), 2));
    await(store.saveSnapshot("r", state("r", 9), 2));
    StoredRoom loaded = await(store.load("r"));
    assertEquals(state("r", 7), loaded.snapshot()); // 3 and 5 pruned; oldest kept is 7
    assertEquals(expectedOps("r", 8, 10), loaded.operationsAfterSnapshot());
    assertEquals(10, loaded.lastSeq());

    // Re-saving at an existing seq replaces it.
    RoomStateRecord replaced = state("r", 7).toBuilder().setLocked(true).build();
    await(store.saveSnapshot("r", replaced, 2));
    assertEquals(replaced, await(store.load("r")).snapshot());

    // keep=1 leaves only the newest.
    await(store.saveSnapshot("r", state("r", 10), 1));
    StoredRoom latest = await(store.load("r"));
    assertEquals(state("r", 10), latest.snapshot());
    assertTrue(latest.operationsAfterSnapshot().isEmpty());
    assertEquals(10, latest.lastSeq());

    // Operations are never pruned with snapshots.
    assertEquals(expectedOps("r", 1, 10), await(store.operations("r", 0, 100)));
  }

  @Test
  @Timeout(30)
  void operationsPagesAfterSeq() throws Exception {
    await(store.createRoom(room("r")));
    for (long seq = 1; seq <= 10; seq++) {
      await(store.append("r", op("r", seq)));
    }
    assertEquals(expectedOps("r", 1, 4), await(store.operations("r", 0, 4)));
    assertEquals(expectedOps("r", 5, 8), await(store.operations("r", 4, 4)));
    assertEquals(expectedOps("r", 9, 10), await(store.operations("r", 8, 4)));
    assertTrue(await(store.operations("r", 10, 4)).isEmpty());
    assertTrue(await(store.operations("r", 0, 0)).isEmpty());
  }

  @Test
  @Timeout(30)
  void setEpochReplacesEpoch() throws Exception {
    await(store.createRoom(room("r")));
    await(store.setEpoch("r", "epoch-2"));
    assertEquals("epoch-2", await(store.room("r")).orElseThrow().epoch());
    assertEquals("epoch-2", await(store.load("r")).room().epoch());
  }

  @Test
  @Timeout(30)
  void reopenKeepsEverything() throws Exception {
    await(store.createRoom(room("r")));
    for (long seq = 1; seq <= 5; seq++) {
      await(store.append("r", op("r", seq)));
    }
    await(store.saveSnapshot("r", state("r", 2), 3));
    await(store.setEpoch("r", "epoch-2"));
    // Writes queued right before close are committed by close.
    List<Future<Void>> pending = new ArrayList<>();
    for (long seq = 6; seq <= 100; seq++) {
      pending.add(store.append("r", op("r", seq)));
    }
    await(store.close());
    for (Future<Void> f : pending) {
      assertTrue(f.succeeded());
    }

    store = await(openStore());
    StoredRoom loaded = await(store.load("r"));
    assertEquals("epoch-2", loaded.room().epoch());
    assertEquals(state("r", 2), loaded.snapshot());
    assertEquals(expectedOps("r", 3, 100), loaded.operationsAfterSnapshot());
  }

  @Test
  @Timeout(30)
  void futuresCompleteOnTheCallingContext() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      await(store.createRoom(room("r")));
      Context ctx = vertx.getOrCreateContext();
      CompletableFuture<List<Boolean>> result = new CompletableFuture<>();
      ctx.runOnContext(
          v -> {
            List<Boolean> onCtx = new ArrayList<>();
            store
                .append("r", op("r", 1)) // write, succeeds
                .onComplete(ar -> onCtx.add(ar.succeeded() && Vertx.currentContext() == ctx))
                .compose(x -> store.load("r")) // read
                .onComplete(ar -> onCtx.add(ar.succeeded() && Vertx.currentContext() == ctx))
                .compose(x -> store.createRoom(room("r"))) // write, fails
                .onComplete(ar -> onCtx.add(ar.failed() && Vertx.currentContext() == ctx))
                .recover(x -> store.load("missing").mapEmpty()) // read, fails
                .onComplete(
                    ar -> {
                      onCtx.add(ar.failed() && Vertx.currentContext() == ctx);
                      result.complete(onCtx);
                    });
          });
      assertEquals(List.of(true, true, true, true), result.get(10, TimeUnit.SECONDS));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(30)
  void callsAfterCloseFailWithUnavailable() throws Exception {
    await(store.createRoom(room("r")));
    JdbcStore closed = store;
    await(closed.close());
    store = null;
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.ping()));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.room("r")));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.rooms()));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.load("r")));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.operations("r", 0, 1)));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.createRoom(room("s"))));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.append("r", op("r", 1))));
    assertEquals(
        StoreException.Kind.UNAVAILABLE, failureKind(closed.saveSnapshot("r", state("r", 1), 1)));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.setEpoch("r", "e")));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.markEnded("r", 1)));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.expiredRooms(1)));
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(closed.deleteRoom("r")));
    await(closed.close()); // idempotent
  }

  @Test
  @Timeout(30)
  void markEndedCountsTheFirstCallAndExpiredRoomsHonoursRetentionDays() throws Exception {
    long day = 86_400_000L;
    await(store.createRoom(roomWithRetention("a", 1)));
    await(store.createRoom(roomWithRetention("b", 3)));
    await(store.createRoom(roomWithRetention("open", 1)));
    await(store.markEnded("a", 10 * day));
    await(store.markEnded("a", 20 * day)); // ignored: the first end counts
    await(store.markEnded("b", 10 * day));

    assertEquals(List.of(), await(store.expiredRooms(11 * day - 1)));
    assertEquals(List.of("a"), await(store.expiredRooms(11 * day)));
    // The node's maximum retention caps what a room's settings ask: b (3 days) goes after 2.
    assertEquals(List.of("a", "b"), await(store.expiredRooms(12 * day, 2)));
    assertEquals(List.of("a"), await(store.expiredRooms(12 * day - 1, 2)));
    assertEquals(List.of("a"), await(store.expiredRooms(13 * day - 1)));
    assertEquals(List.of("a", "b"), await(store.expiredRooms(13 * day)));
    assertEquals(List.of("a", "b"), await(store.expiredRooms(1000 * day))); // never "open"
  }

  @Test
  @Timeout(30)
  void deleteRoomErasesRecordOperationsAndSnapshots() throws Exception {
    await(store.createRoom(room("gone")));
    await(store.createRoom(room("kept")));
    for (long seq = 1; seq <= 5; seq++) {
      await(store.append("gone", op("gone", seq)));
      await(store.append("kept", op("kept", seq)));
    }
    await(store.saveSnapshot("gone", state("gone", 3), 2));
    await(store.saveSnapshot("kept", state("kept", 3), 2));

    await(store.deleteRoom("gone"));

    assertTrue(await(store.room("gone")).isEmpty());
    assertEquals(List.of(room("kept")), await(store.rooms()));
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.load("gone")));
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.deleteRoom("gone")));
    StoredRoom kept = await(store.load("kept"));
    assertEquals(state("kept", 3), kept.snapshot());
    assertEquals(expectedOps("kept", 4, 5), kept.operationsAfterSnapshot());

    // The id can be used again, starting empty.
    await(store.createRoom(room("gone")));
    StoredRoom again = await(store.load("gone"));
    assertNull(again.snapshot());
    assertTrue(again.operationsAfterSnapshot().isEmpty());
    await(store.append("gone", op("gone", 1)));
  }

  /**
   * Tables that hold no room's data, so retention has nothing to erase there. A new table
   * without a room_id column belongs here only with a reason, and with its own erasure rule.
   */
  /** Tables whose rows belong to no room: the schema's version, and erasures of one learner (by
   * pseudonym, kept as the record that the erasure was done). */
  static final java.util.Set<String> NOT_ROOM_DATA = java.util.Set.of("schema_version", "erasure_jobs");

  @Test
  @Timeout(30)
  void deleteRoomLeavesNoRowOfTheRoomInAnyTable() throws Exception {
    for (String id : List.of("gone", "kept")) {
      await(store.createRoom(room(id)));
      for (long seq = 1; seq <= 3; seq++) {
        await(store.append(id, op(id, seq)));
      }
      await(store.saveSnapshot(id, state(id, 2), 2));
      await(store.appendAudit(audit(id, 2, 1000, "kim", "mute")));
      await(store.markEnded(id, 5000));
      // A same-seq conflict: the refused operation is kept in operation_conflicts.
      assertEquals(StoreException.Kind.CONFLICT, failureKind(store.append(id, conflicting(id, 1))));
    }

    await(store.deleteRoom("gone"));

    java.util.Map<String, List<String>> tables;
    try (java.sql.Connection c = connect()) {
      tables = StoreTables.of(c, schema());
      for (java.util.Map.Entry<String, List<String>> t : tables.entrySet()) {
        if (NOT_ROOM_DATA.contains(t.getKey())) {
          continue;
        }
        assertTrue(t.getValue().contains("room_id"), () -> "table " + t.getKey()
            + " has no room_id column: how does retention erase a room's rows there?");
        assertEquals(0, count(c, t.getKey(), "gone"), "rows of the erased room in " + t.getKey());
        assertTrue(count(c, t.getKey(), "kept") > 0, "the other room keeps its rows in " + t.getKey());
      }
    }
    assertTrue(tables.keySet().containsAll(
        List.of("rooms", "operations", "snapshots", "audit_log", "operation_conflicts")),
        tables::toString);
  }

  private static long count(java.sql.Connection c, String table, String roomId) throws Exception {
    try (java.sql.PreparedStatement st =
        c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE room_id = ?")) {
      st.setString(1, roomId);
      try (java.sql.ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static AuditEntry audit(String room, long seq, long timeMs, String actor, String action) {
    return AuditEntry.newBuilder().setRoomId(room).setSeq(seq).setTimeMs(timeMs)
        .setActorUserId(actor).setActorRole("teacher").setAction(action).setTargetUserId("ana").build();
  }

  private static List<String> actions(List<AuditEntry> entries) {
    return entries.stream().map(AuditEntry::getAction).toList();
  }

  @Test
  @Timeout(30)
  void auditEntriesAreKeptOncePerSeqFilteredPagedAndErasedWithTheRoom() throws Exception {
    await(store.createRoom(room("r1")));
    await(store.createRoom(room("r2")));
    await(store.appendAudit(audit("r1", 0, 100, "admin", "room.create")));
    await(store.appendAudit(audit("r1", 0, 101, "admin", "room.create.again")));
    await(store.appendAudit(audit("r1", 3, 200, "tina", "a")));
    // The same seq again (another node, a reload): still one entry, the first.
    await(store.appendAudit(audit("r1", 3, 200, "tina", "a-twice")));
    await(store.appendAudit(audit("r2", 3, 250, "theo", "b")));
    await(store.appendAudit(audit("r1", 4, 300, "theo", "c")));
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.appendAudit(audit("nope", 1, 1, "x", "y"))));

    List<AuditEntry> all = await(store.audit(new AuditQuery(null, null, 0, 0, 0, 100)));
    assertEquals(List.of("c", "b", "a", "room.create.again", "room.create"), actions(all), "newest first");
    assertEquals("ana", all.get(0).getTargetUserId());
    assertTrue(all.get(0).getId() > all.get(1).getId());
    assertEquals(List.of("c", "a", "room.create.again", "room.create"), actions(await(store.audit(AuditQuery.room("r1", 100)))));
    assertEquals(List.of("c", "b"), actions(await(store.audit(new AuditQuery(null, "theo", 0, 0, 0, 100)))));
    assertEquals(List.of("b", "a"), actions(await(store.audit(new AuditQuery(null, null, 200, 300, 0, 100)))));
    List<AuditEntry> first = await(store.audit(new AuditQuery(null, null, 0, 0, 0, 2)));
    assertEquals(List.of("c", "b"), actions(first));
    assertEquals(List.of("a", "room.create.again"),
        actions(await(store.audit(new AuditQuery(null, null, 0, 0, first.get(1).getId(), 2)))));

    await(store.deleteRoom("r1"));
    assertEquals(List.of("b"), actions(await(store.audit(new AuditQuery(null, null, 0, 0, 0, 100)))));
  }

  @Test
  @Timeout(30)
  void markEndedAndDeleteRoomOfUnknownRoomFailWithRoomNotFound() throws Exception {
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.markEnded("x", 1)));
    assertEquals(StoreException.Kind.ROOM_NOT_FOUND, failureKind(store.deleteRoom("x")));
    assertTrue(await(store.expiredRooms(Long.MAX_VALUE / 2)).isEmpty());
  }

  @Test
  @Timeout(30)
  void pingAnswersWhileOpen() throws Exception {
    await(store.ping());
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Runs {@link DurabilityChild} on {@code target} (a data directory, or a jdbc:postgresql: URL),
   * reads at least 500 seqs it reports as acknowledged, kills it with SIGKILL while appends are in
   * flight, and returns the acknowledged seqs.
   */
  static Set<Long> ackedBeforeKill(String target, String roomId, Path stderr) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            DurabilityChild.class.getName(),
            target,
            roomId);
    pb.redirectError(stderr.toFile());
    Process child = pb.start();
    Set<Long> acked = new HashSet<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertEquals("ready", line, () -> "child did not start: " + readQuietly(stderr));
      while (acked.size() < 500 && (line = out.readLine()) != null) {
        acked.add(Long.parseLong(line.trim()));
      }
      // SIGKILL while appends are in flight. (The JDK closes our end of the pipe on destroy,
      // so only the seqs read so far are checked; that is every seq acknowledged to us.)
      child.destroyForcibly();
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly();
    }
    assertTrue(acked.size() >= 500, () -> "acknowledged: " + acked.size() + " " + readQuietly(stderr));
    return acked;
  }

  /** Every acknowledged seq is stored, with the bytes the child wrote. */
  static void assertNoAcknowledgedLoss(Store reopened, String roomId, Set<Long> acked)
      throws Exception {
    List<SequencedOperation> stored = await(reopened.load(roomId)).operationsAfterSnapshot();
    Set<Long> storedSeqs =
        stored.stream().map(SequencedOperation::getSeq).collect(Collectors.toSet());
    Set<Long> missing = new HashSet<>(acked);
    missing.removeAll(storedSeqs);
    assertTrue(missing.isEmpty(), "acknowledged but lost: " + missing);
    for (SequencedOperation op : stored) {
      assertEquals(DurabilityChild.op(roomId, op.getSeq()), op);
    }
  }

  static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (Exception e) {
      return "(no stderr)";
    }
  }

  static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("store call failed", e.getCause());
    }
  }

  static StoreException.Kind failureKind(Future<?> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      StoreException se = assertInstanceOf(StoreException.class, e.getCause());
      assertNotNull(se.kind());
      return se.kind();
    }
    throw new AssertionError("expected failure, got success");
  }

  static RoomRecord roomWithRetention(String id, int days) {
    return new RoomRecord(
        id, "epoch-1", 1000L, RoomSettings.newBuilder().setTitle(id).setRetentionDays(days).build());
  }

  @Test
  @Timeout(30)
  void redactRewritesStoredOperationsAndOlderSnapshotsAndAnOriginalArrivingLaterKeepsThem()
      throws Exception {
    await(store.createRoom(room("r")));
    for (long seq = 1; seq <= 4; seq++) {
      await(store.append("r", conflicting("r", seq)));
    }
    await(store.saveSnapshot("r", state("r", 2), 5));
    await(store.saveSnapshot("r", state("r", 4), 5));
    java.util.function.UnaryOperator<Operation> blank = o -> o.toBuilder()
        .setChatPost(o.getChatPost().toBuilder().clearText()).build();
    java.util.function.UnaryOperator<RoomStateRecord> unmute =
        r -> r.toBuilder().clearMutedUserIds().build();
    // seq 9 is not stored: left alone; the snapshot at 2 is older than 3, the one at 4 is not
    assertEquals(3, await(store.redact("r", List.of(1L, 2L, 9L), blank, 3, unmute)));
    assertEquals(0, await(store.redact("r", List.of(1L, 2L, 9L), blank, 3, unmute)),
        "idempotent");
    List<SequencedOperation> ops = await(store.operations("r", 0, 10));
    assertEquals(4, ops.size());
    assertEquals("", ops.get(0).getOperation().getChatPost().getText());
    assertTrue(ops.get(0).getRedacted() && ops.get(1).getRedacted());
    assertEquals("other 3", ops.get(2).getOperation().getChatPost().getText());
    assertTrue(!ops.get(2).getRedacted());
    StoredRoom loaded = await(store.load("r"));
    assertEquals(2, loaded.snapshot().getSeq());
    assertEquals(0, loaded.snapshot().getMutedUserIdsCount());
    // The original, adopted late from a broker's history, does not bring the text back.
    await(store.append("r", conflicting("r", 1)));
    assertEquals("", await(store.operations("r", 0, 1)).get(0).getOperation().getChatPost().getText());
    // A redacted copy replaces an original stored before it.
    SequencedOperation redacted3 = conflicting("r", 3).toBuilder()
        .setOperation(blank.apply(conflicting("r", 3).getOperation())).setRedacted(true).build();
    await(store.append("r", redacted3));
    assertEquals(redacted3, await(store.operations("r", 2, 1)).get(0));
  }

  static RoomRecord room(String id) {
    return new RoomRecord(id, "epoch-1", 1000L, RoomSettings.newBuilder().setTitle(id).build());
  }

  static SequencedOperation op(String roomId, long seq) {
    return DurabilityChild.op(roomId, seq);
  }

  static SequencedOperation conflicting(String roomId, long seq) {
    return SequencedOperation.newBuilder()
        .setSeq(seq)
        .setOperation(
            Operation.newBuilder()
                .setChatPost(ChatPost.newBuilder().setRoomId(roomId).setText("other " + seq)))
        .build();
  }

  static List<SequencedOperation> expectedOps(String roomId, long from, long to) {
    List<SequencedOperation> out = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      out.add(op(roomId, seq));
    }
    return out;
  }

  static RoomStateRecord state(String roomId, long seq) {
    return RoomStateRecord.newBuilder()
        .setRoomId(roomId)
        .setSeq(seq)
        .setStudentChatEnabled(true)
        .addMutedUserIds("u-" + seq)
        .build();
  }
}
