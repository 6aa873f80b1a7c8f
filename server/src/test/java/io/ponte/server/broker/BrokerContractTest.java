package io.ponte.server.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link Broker} contract, run against every implementation: each subclass supplies a broker;
 * each test uses its own room ids, so implementations sharing a backend never see each other's keys.
 */
@Timeout(30)
abstract class BrokerContractTest {
  protected Vertx vertx;
  protected Broker broker;

  protected abstract Broker createBroker(Vertx vertx) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    broker = createBroker(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    await(broker.close());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  protected static String room() {
    return "contract-" + UUID.randomUUID();
  }

  protected static Operation op(String text) {
    return Operation.newBuilder()
        .setActor(Actor.newBuilder().setUserId("u1"))
        .setChatPost(ChatPost.newBuilder().setText(text))
        .build();
  }

  /** A listener that records what it receives and on which context. */
  static final class Recorder implements RoomListener {
    final List<SequencedOperation> operations = new CopyOnWriteArrayList<>();
    final List<byte[]> ephemeral = new CopyOnWriteArrayList<>();
    final List<Context> contexts = new CopyOnWriteArrayList<>();
    final AtomicInteger regressions = new AtomicInteger();

    @Override
    public void onOperation(SequencedOperation operation) {
      contexts.add(Vertx.currentContext());
      operations.add(operation);
    }

    @Override
    public void onEphemeral(byte[] payload) {
      ephemeral.add(payload);
    }

    @Override
    public void onSeqRegressed() {
      regressions.incrementAndGet();
    }
  }

  /** Runs the call on a fresh context and returns that context with the result. */
  protected <T> T onContext(Context ctx, java.util.function.Supplier<Future<T>> call) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    ctx.runOnContext(v -> call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
      } else {
        result.completeExceptionally(ar.cause());
      }
    }));
    return result.get(10, TimeUnit.SECONDS);
  }

  protected static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  protected static void eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
      Thread.sleep(10);
    }
    assertTrue(condition.getAsBoolean(), "condition not reached in time");
  }

  /** For what a real Redis takes longer over (failovers, resubscribing): up to 30 s. */
  protected static void eventuallyLong(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(condition.getAsBoolean(), "condition not reached within 30 s");
  }

  protected static List<Long> seqs(List<SequencedOperation> ops) {
    return ops.stream().map(SequencedOperation::getSeq).toList();
  }

  /** from..to inclusive. */
  protected static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(s);
    }
    return out;
  }

  @Test
  void appendsGetGapFreeSeqsAndReachTheListenerInOrderOnItsContext() throws Exception {
    String room = room();
    Recorder recorder = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment a = onContext(ctx, () -> broker.attach(room, 0, "", recorder));
    assertEquals(0, a.seq());
    assertFalse(a.epoch().isEmpty());
    List<Long> seqs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      int n = i;
      seqs.add(onContext(ctx, () -> broker.append(room, op("m" + n))));
    }
    for (int i = 0; i < 50; i++) {
      assertEquals(i + 1, seqs.get(i));
    }
    eventually(() -> recorder.operations.size() == 50);
    for (int i = 0; i < 50; i++) {
      assertEquals(i + 1, recorder.operations.get(i).getSeq());
      assertEquals("m" + i, recorder.operations.get(i).getOperation().getChatPost().getText());
      assertSame(ctx, recorder.contexts.get(i));
    }
  }

  @Test
  void attachContinuesAfterTheStoredSeq() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment a = onContext(ctx, () -> broker.attach(room, 41, "epoch-1", new Recorder()));
    assertFalse(a.epoch().isEmpty());
    assertEquals(41, a.seq());
    assertEquals(42L, onContext(ctx, () -> broker.append(room, op("x"))));
  }

  /**
   * What a room does when it is unloaded and loaded again: attach with the seq and epoch its store
   * holds. The epoch stays and the seqs continue. (Whether a broker that has no record of the room
   * keeps the store's epoch is implementation-specific: see the subclasses.)
   */
  @Test
  void reattachingWithWhatTheStoreHoldsKeepsTheEpochAndContinuesTheSeqs() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment first = onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    for (int i = 0; i < 3; i++) {
      onContext(ctx, () -> broker.append(room, op("before")));
    }
    await(broker.detach(room));
    Recorder recorder = new Recorder();
    Broker.Attachment second =
        onContext(ctx, () -> broker.attach(room, 3, first.epoch(), recorder));
    assertEquals(first.epoch(), second.epoch());
    assertEquals(3, second.seq());
    assertEquals(4L, onContext(ctx, () -> broker.append(room, op("after"))));
    eventually(() -> recorder.operations.size() == 1);
    assertEquals(4, recorder.operations.get(0).getSeq());
  }

  @Test
  void attachingARoomTwiceFails() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    ctx.runOnContext(v -> broker.attach(room, 0, "", new Recorder())
        .onComplete(ar -> failure.complete(ar.cause())));
    assertTrue(failure.get(10, TimeUnit.SECONDS) instanceof IllegalStateException);
  }

  @Test
  void anErasedRoomIsForgottenAndStartsAgainFromWhatTheStoreSays() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    for (int i = 0; i < 3; i++) {
      int n = i;
      onContext(ctx, () -> broker.append(room, op("e" + n)));
    }
    assertEquals(3, await(broker.history(room, 0, 10)).size());
    onContext(ctx, () -> broker.erase(room));
    assertTrue(await(broker.history(room, 0, 10)).isEmpty(), "its history is gone");
    Broker.Attachment again = onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    assertEquals(0, again.seq());
    assertEquals(1L, onContext(ctx, () -> broker.append(room, op("a new room of the same name"))));
    onContext(ctx, () -> broker.erase(room));
    onContext(ctx, () -> broker.erase(room)); // erasing what is not there is fine
  }

  @Test
  void historyServesRecordedOperationsAfterASeq() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    for (int i = 0; i < 10; i++) {
      int n = i;
      onContext(ctx, () -> broker.append(room, op("h" + n)));
    }
    List<SequencedOperation> page = await(broker.history(room, 4, 3));
    assertEquals(List.of(5L, 6L, 7L), page.stream().map(SequencedOperation::getSeq).toList());
    assertEquals("h4", page.get(0).getOperation().getChatPost().getText());
    assertTrue(await(broker.history(room, 10, 5)).isEmpty());
  }

  @Test
  void redactRewritesTheRecordedHistoryKeepingEverySeq() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    for (int i = 0; i < 5; i++) {
      int n = i;
      onContext(ctx, () -> broker.append(room, op("secret " + n)));
    }
    java.util.function.UnaryOperator<Operation> blank = o -> o.toBuilder()
        .setChatPost(o.getChatPost().toBuilder().clearText()).build();
    onContext(ctx, () -> broker.redact(room, List.of(2L, 4L, 99L), blank));
    onContext(ctx, () -> broker.redact(room, List.of(2L, 4L), blank)); // idempotent
    List<SequencedOperation> all = await(broker.history(room, 0, 10));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(all));
    for (SequencedOperation sop : all) {
      boolean redacted = sop.getSeq() == 2 || sop.getSeq() == 4;
      assertEquals(redacted, sop.getRedacted());
      assertEquals(redacted ? "" : "secret " + (sop.getSeq() - 1),
          sop.getOperation().getChatPost().getText());
    }
    assertEquals(6L, onContext(ctx, () -> broker.append(room, op("after"))));
    assertEquals(List.of(5L, 6L), seqs(await(broker.history(room, 4, 10))));
  }

  @Test
  void ephemeralMessagesReachTheListenerAndAreNotSequenced() throws Exception {
    String room = room();
    Recorder recorder = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", recorder));
    broker.publishEphemeral(room, new byte[] {1, 2, 3});
    eventually(() -> recorder.ephemeral.size() == 1);
    assertEquals(3, recorder.ephemeral.get(0).length);
    assertTrue(await(broker.history(room, 0, 10)).isEmpty());
    assertEquals(1L, onContext(ctx, () -> broker.append(room, op("first durable"))));
  }

  @Test
  void roomsAreIndependent() throws Exception {
    String r1 = room();
    String r2 = room();
    Recorder one = new Recorder();
    Recorder two = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(r1, 0, "", one));
    onContext(ctx, () -> broker.attach(r2, 0, "", two));
    onContext(ctx, () -> broker.append(r1, op("a")));
    onContext(ctx, () -> broker.append(r1, op("b")));
    assertEquals(1L, onContext(ctx, () -> broker.append(r2, op("c"))));
    eventually(() -> one.operations.size() == 2 && two.operations.size() == 1);
    assertEquals("c", two.operations.get(0).getOperation().getChatPost().getText());
  }

  @Test
  void detachStopsDelivery() throws Exception {
    String room = room();
    Recorder recorder = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", recorder));
    onContext(ctx, () -> broker.append(room, op("before")));
    eventually(() -> recorder.operations.size() == 1);
    await(broker.detach(room));
    broker.publishEphemeral(room, new byte[] {9});
    Thread.sleep(200);
    assertEquals(1, recorder.operations.size());
    assertTrue(recorder.ephemeral.isEmpty());
  }

  @Test
  void concurrentAppendersGetDistinctConsecutiveSeqs() throws Exception {
    String room = room();
    Recorder recorder = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", recorder));
    List<Future<Long>> all = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 100; i++) {
          all.add(broker.append(room, op("c")));
        }
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    List<Long> seqs = new ArrayList<>();
    for (Future<Long> f : all) {
      seqs.add(await(f));
    }
    seqs.sort(Long::compare);
    for (int i = 0; i < 400; i++) {
      assertEquals(i + 1, seqs.get(i));
    }
    eventually(() -> recorder.operations.size() == 400);
    for (int i = 0; i < 400; i++) {
      assertEquals(i + 1, recorder.operations.get(i).getSeq());
    }
  }
}
