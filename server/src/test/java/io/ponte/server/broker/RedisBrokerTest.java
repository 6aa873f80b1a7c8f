package io.ponte.server.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisTarget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The broker contract on {@link RedisBroker} against a real Redis ({@link RedisFixture}), plus
 * what only a shared broker does: gap filling, epoch renewal when Redis loses a room, several
 * nodes on one room, reconnecting the pub/sub connection. Every test has its own key prefix.
 */
class RedisBrokerTest extends RedisBrokerNodesTest {
  private Redis redis;

  @Override
  protected RedisTarget target() {
    return RedisTarget.standalone(RedisFixture.get().url());
  }

  @Override
  protected Broker createBroker(Vertx vertx) throws Exception {
    redis = Redis.createClient(vertx, RedisFixture.get().url());
    return super.createBroker(vertx);
  }

  private Response redis(Object... args) throws Exception {
    Request req = Request.cmd(Command.create(args[0].toString()));
    for (int i = 1; i < args.length; i++) {
      if (args[i] instanceof byte[] b) {
        req.arg(b);
      } else {
        req.arg(args[i].toString());
      }
    }
    return await(redis.send(req));
  }

  private String key(String room, String suffix) {
    return prefix + "{" + room + "}:" + suffix;
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void keysCarryThePrefixAndTheRoomHashTagAndTheStreamHoldsTheSequencedOperation() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment a = onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    onContext(ctx, () -> broker.append(room, op("stored")));
    assertEquals("1", redis("GET", key(room, "seq")).toString());
    assertEquals(a.epoch(), redis("GET", key(room, "epoch")).toString());
    assertEquals(1L, redis("XLEN", key(room, "stream")).toLong());
    Response entries = redis("XRANGE", key(room, "stream"), "-", "+");
    assertEquals("1-0", entries.get(0).get(0).toString());
    byte[] op = null;
    Response fields = entries.get(0).get(1);
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      if (fields.get(i).toString().equals("op")) {
        op = fields.get(i + 1).toBytes();
      }
    }
    SequencedOperation sop = SequencedOperation.parseFrom(op);
    assertEquals(1, sop.getSeq());
    assertEquals("stored", sop.getOperation().getChatPost().getText());
  }

  @Test
  void anEndedRoomsKeysExpireAtTheEndOfItsRetentionTheEarliestDeadlineWinning() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    onContext(ctx, () -> broker.append(room, op("before the end")));
    List<String> keys = List.of(key(room, "seq"), key(room, "epoch"), key(room, "stream"));
    for (String k : keys) {
      assertEquals(-1L, redis("PTTL", k).toLong(), "a live room's keys never expire: " + k);
    }
    long hour = 3_600_000L;
    await(broker.expireAt(room, System.currentTimeMillis() + hour));
    await(broker.expireAt(room, System.currentTimeMillis() + 5 * hour)); // later: ignored
    await(broker.expireAt(room, System.currentTimeMillis() - 1)); // past: nothing
    for (String k : keys) {
      long ttl = redis("PTTL", k).toLong();
      assertTrue(ttl > 0 && ttl <= hour, k + " expires within the hour: " + ttl);
    }
    // Appending after the end (a teacher still at work) keeps the expiry.
    onContext(ctx, () -> broker.append(room, op("after the end")));
    for (String k : keys) {
      long ttl = redis("PTTL", k).toLong();
      assertTrue(ttl > 0 && ttl <= hour, k + " keeps its expiry: " + ttl);
    }
  }

  @Test
  void theStreamIsBounded() throws Exception {
    String room = room();
    Node node = node(options().withStreamMaxLength(100), metrics);
    Broker small = node.broker();
    Context ctx = node.context();
    onContext(ctx, () -> small.attach(room, 0, "", new Recorder()));
    List<Future<Long>> all = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      all.add(small.append(room, op("m")));
    }
    for (Future<Long> f : all) {
      await(f);
    }
    long length = redis("XLEN", key(room, "stream")).toLong();
    assertTrue(length >= 100 && length < 1000, "stream length " + length);
    // The newest operations are still there for catching up.
    assertEquals(range(991, 1000), seqs(await(small.history(room, 990, 100))));
  }

  /**
   * A node misses a pub/sub message (here: an operation sequenced by the same script but
   * published where nobody listens, as when a message is lost); the next published seq is ahead
   * of what the node expects, so it fetches the missing one from the stream before delivering.
   */
  @Test
  void aMissedPublishIsFetchedFromTheStreamBeforeLaterOperationsAreDelivered() throws Exception {
    String room = room();
    Recorder recorder = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment a = onContext(ctx, () -> broker.attach(room, 0, "", recorder));
    onContext(ctx, () -> broker.append(room, op("one")));
    eventually(() -> recorder.operations.size() == 1);
    byte[] body = SequencedOperation.newBuilder().setOperation(op("two (publish lost)")).build()
        .toByteArray();
    Response lostSeq = redis("EVAL", RedisBroker.APPEND_SCRIPT, 3, key(room, "seq"),
        key(room, "epoch"), key(room, "stream"), a.epoch(), 10_000, body, prefix + "nowhere");
    assertEquals(2L, lostSeq.toLong());
    onContext(ctx, () -> broker.append(room, op("three")));
    eventually(() -> recorder.operations.size() == 3);
    assertEquals(List.of(1L, 2L, 3L), seqs(recorder.operations));
    assertEquals(List.of("one", "two (publish lost)", "three"), recorder.operations.stream()
        .map(s -> s.getOperation().getChatPost().getText()).toList());
    assertEquals(0, recorder.regressions.get(), "gap filling is no regression");
    for (Context c : recorder.contexts) {
      assertTrue(c == ctx);
    }
    assertTrue(metrics.scrape().contains("ponte_broker_gaps_fetched_total 1.0"),
        "gap metric: " + metrics.scrape().lines().filter(l -> l.contains("gaps")).toList());
  }

  @Test
  void whenThePubSubConnectionDropsTheNodeResubscribesAndCatchesUpWithoutGaps() throws Exception {
    String room = room();
    Recorder recorder = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", recorder));
    Node other = node();
    onContext(other.context(), () -> other.broker().attach(room, 0, "", new Recorder()));
    for (int i = 0; i < 5; i++) {
      onContext(other.context(), () -> other.broker().append(room, op("before")));
    }
    eventually(() -> recorder.operations.size() == 5);
    // Kill every pub/sub connection of this test's Redis clients; both nodes reconnect.
    redis("CLIENT", "KILL", "TYPE", "pubsub");
    for (int i = 0; i < 5; i++) {
      onContext(other.context(), () -> other.broker().append(room, op("during")));
    }
    eventually(() -> recorder.operations.size() == 10);
    // And the new subscription works for what comes after.
    for (int i = 0; i < 5; i++) {
      onContext(other.context(), () -> other.broker().append(room, op("after")));
    }
    eventually(() -> recorder.operations.size() == 15);
    assertEquals(range(1, 15), seqs(recorder.operations));
    assertEquals(0, recorder.regressions.get(), "catching up after resubscribing is no regression");
  }

  @Test
  void whenRedisLostTheRoomAttachStartsANewEpochAndAppendsUnderTheOldOneAreRefused()
      throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment first = onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    for (int i = 0; i < 3; i++) {
      onContext(ctx, () -> broker.append(room, op("before")));
    }
    flush(room);
    // Still attached under the old epoch: the seq must not restart at 1.
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> onContext(ctx, () -> broker.append(room, op("lost"))));
    assertTrue(refused.getCause().getMessage().contains("PONTE_EPOCH"), refused.toString());
    await(broker.detach(room));
    // The store knows the room at seq 3 in the first epoch; Redis has forgotten it.
    Recorder recorder = new Recorder();
    Broker.Attachment second = onContext(ctx, () -> broker.attach(room, 3, first.epoch(), recorder));
    assertNotEquals(first.epoch(), second.epoch());
    assertFalse(second.epoch().isEmpty());
    assertEquals(3, second.seq());
    assertEquals(4L, onContext(ctx, () -> broker.append(room, op("after"))));
    eventually(() -> recorder.operations.size() == 1);
    assertEquals(List.of(4L), seqs(await(broker.history(room, 0, 10))));
  }

  @Test
  void whenRedisIsBehindTheStoreAttachStartsANewEpochAtTheStoredSeq() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment first = onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    onContext(ctx, () -> broker.append(room, op("one")));
    await(broker.detach(room));
    // The store has seq 5: Redis (restored from an older copy, say) lost seqs 2..5.
    Broker.Attachment second = onContext(ctx, () -> broker.attach(room, 5, first.epoch(), new Recorder()));
    assertNotEquals(first.epoch(), second.epoch());
    assertEquals(5, second.seq());
    assertEquals(6L, onContext(ctx, () -> broker.append(room, op("six"))));
  }

  /**
   * A Redis failover that lost the last writes: the new master holds the room's epoch but a lower
   * seq (and a shorter stream) than the nodes already delivered. An append must not re-issue a
   * seq clients saw: the script refuses it (nothing sequenced, stored or published) and the epoch
   * is renewed, so the node attaching again continues under a new epoch.
   */
  @Test
  void whenRedisSeqWentBackAnAppendIsRefusedAndTheEpochRenewed() throws Exception {
    String room = room();
    Recorder here = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment first = onContext(ctx, () -> broker.attach(room, 0, "", here));
    Node other = node();
    Recorder there = new Recorder();
    onContext(other.context(), () -> other.broker().attach(room, 0, "", there));
    for (int i = 1; i <= 5; i++) {
      String text = "before " + i;
      onContext(ctx, () -> broker.append(room, op(text)));
    }
    eventually(() -> here.operations.size() == 5 && there.operations.size() == 5);
    loseWritesAfter(room, 3);

    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> onContext(ctx, () -> broker.append(room, op("would reuse seq 4"))));
    assertTrue(refused.getCause().getMessage().startsWith("PONTE_EPOCH"), refused.toString());
    // Nothing was sequenced, recorded or published at a reused seq.
    assertEquals("3", redis("GET", key(room, "seq")).toString());
    assertEquals(List.of(1L, 2L, 3L), seqs(await(broker.history(room, 0, 10))));
    // The other node (its highest seq is 5 too) is refused as well.
    ExecutionException alsoRefused = assertThrows(ExecutionException.class,
        () -> onContext(other.context(), () -> other.broker().append(room, op("other"))));
    assertTrue(alsoRefused.getCause().getMessage().startsWith("PONTE_EPOCH"), alsoRefused.toString());
    assertEquals("3", redis("GET", key(room, "seq")).toString());
    String renewed = redis("GET", key(room, "epoch")).toString();
    assertNotEquals(first.epoch(), renewed);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(here.operations));
    assertEquals(here.operations, there.operations);

    // The room reloads: its store holds seq 5; Redis is behind, so a new epoch at seq 5.
    await(broker.detach(room));
    Recorder reloaded = new Recorder();
    Broker.Attachment second = onContext(ctx, () -> broker.attach(room, 5, first.epoch(), reloaded));
    assertNotEquals(first.epoch(), second.epoch());
    assertEquals(5, second.seq());
    assertEquals(6L, onContext(ctx, () -> broker.append(room, op("after"))));
    eventually(() -> reloaded.operations.size() == 1);
    assertEquals(0, here.regressions.get() + there.regressions.get() + reloaded.regressions.get());
  }

  /**
   * After the same loss, a node that knows only the lower seq (it attached after the failover)
   * appends: a node that already delivered that seq with another operation stops delivering,
   * renews the epoch and tells its room, rather than dropping it as a duplicate.
   */
  @Test
  void aReissuedSeqWithAnotherOperationTellsTheListenerInsteadOfBeingDropped() throws Exception {
    String room = room();
    Recorder here = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment first = onContext(ctx, () -> broker.attach(room, 0, "", here));
    for (int i = 1; i <= 5; i++) {
      String text = "before " + i;
      onContext(ctx, () -> broker.append(room, op(text)));
    }
    eventually(() -> here.operations.size() == 5);
    loseWritesAfter(room, 3);
    // What a node that attached after the failover would append (it has no higher seq to pass).
    byte[] body = SequencedOperation.newBuilder().setOperation(op("seq 4 again")).build()
        .toByteArray();
    Response reissued = redis("EVAL", RedisBroker.APPEND_SCRIPT, 3, key(room, "seq"),
        key(room, "epoch"), key(room, "stream"), first.epoch(), 10_000, body, key(room, "ops"), 3);
    assertEquals(4L, reissued.toLong());
    eventually(() -> here.regressions.get() == 1);
    assertNotEquals(first.epoch(), redis("GET", key(room, "epoch")).toString());
    // Its own append is refused, and nothing more is delivered through the old attachment.
    ExecutionException refused = assertThrows(ExecutionException.class,
        () -> onContext(ctx, () -> broker.append(room, op("here"))));
    assertTrue(refused.getCause().getMessage().startsWith("PONTE_EPOCH"), refused.toString());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(here.operations));
    assertEquals("before 4", here.operations.get(3).getOperation().getChatPost().getText());
  }

  /** An ordinary duplicate (the same operation published again at its seq) stays silent. */
  @Test
  void theSameOperationPublishedAgainIsADuplicateNotARegression() throws Exception {
    String room = room();
    Recorder here = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", here));
    onContext(ctx, () -> broker.append(room, op("one")));
    onContext(ctx, () -> broker.append(room, op("two")));
    eventually(() -> here.operations.size() == 2);
    redis("PUBLISH", key(room, "ops"), here.operations.get(0).toByteArray());
    onContext(ctx, () -> broker.append(room, op("three")));
    eventually(() -> here.operations.size() == 3);
    assertEquals(List.of(1L, 2L, 3L), seqs(here.operations));
    assertEquals(0, here.regressions.get());
    assertEquals(4L, onContext(ctx, () -> broker.append(room, op("four"))));
  }

  @Test
  void aNewRoomAndAFreshStoreGetANewEpochThatLaterNodesShare() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment first = onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    onContext(ctx, () -> broker.append(room, op("one")));
    onContext(ctx, () -> broker.append(room, op("two")));
    Node other = node();
    // The other node's store is behind (it has not written seqs 1..2 yet): it continues from
    // Redis's seq under the same epoch and catches up from history.
    Broker.Attachment second =
        onContext(other.context(), () -> other.broker().attach(room, 0, first.epoch(), new Recorder()));
    assertEquals(first.epoch(), second.epoch());
    assertEquals(2, second.seq());
    assertEquals(List.of(1L, 2L), seqs(await(other.broker().history(room, 0, 10))));
  }

  @Test
  void twoNodesReceiveEveryOperationInTheSameOrder() throws Exception {
    String room = room();
    Recorder here = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", here));
    Node other = node();
    Recorder there = new Recorder();
    Context otherCtx = other.context();
    onContext(otherCtx, () -> other.broker().attach(room, 0, "", there));
    List<Future<Long>> all = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Broker b = t % 2 == 0 ? broker : other.broker();
      String who = "node" + (t % 2) + "-t" + t;
      Thread th = new Thread(() -> {
        for (int i = 0; i < 50; i++) {
          synchronized (all) {
            all.add(b.append(room, op(who + "-" + i)));
          }
        }
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    for (Future<Long> f : all) {
      await(f);
    }
    eventually(() -> here.operations.size() == 200 && there.operations.size() == 200);
    assertEquals(range(1, 200), seqs(here.operations));
    assertEquals(here.operations, there.operations);
    for (Context c : there.contexts) {
      assertTrue(c == otherCtx);
    }
    assertEquals(200, seqs(await(other.broker().history(room, 0, 1000))).size());
  }

  @Test
  void ephemeralMessagesReachEveryNodeAndAreNeverStored() throws Exception {
    String room = room();
    Recorder here = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", here));
    Node other = node();
    Recorder there = new Recorder();
    onContext(other.context(), () -> other.broker().attach(room, 0, "", there));
    byte[] payload = "typing".getBytes(StandardCharsets.UTF_8);
    other.broker().publishEphemeral(room, payload);
    broker.publishEphemeral(room, new byte[] {7});
    eventually(() -> here.ephemeral.size() == 2 && there.ephemeral.size() == 2);
    assertTrue(Arrays.equals(payload, here.ephemeral.get(0)) || Arrays.equals(payload, here.ephemeral.get(1)));
    assertTrue(here.operations.isEmpty() && there.operations.isEmpty());
    assertTrue(await(broker.history(room, 0, 10)).isEmpty());
    assertEquals(0L, redis("EXISTS", key(room, "stream")).toLong());
    assertEquals("0", redis("GET", key(room, "seq")).toString());
  }

  @Test
  void detachingOneNodeLeavesTheOtherSubscribed() throws Exception {
    String room = room();
    Recorder here = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", here));
    Node other = node();
    Recorder there = new Recorder();
    onContext(other.context(), () -> other.broker().attach(room, 0, "", there));
    await(other.broker().detach(room));
    onContext(ctx, () -> broker.append(room, op("only here")));
    eventually(() -> here.operations.size() == 1);
    // Only this node's subscription is left for the room's operations channel.
    Response subscribers = redis("PUBSUB", "NUMSUB", key(room, "ops"));
    assertEquals(1L, subscribers.get(1).toLong());
    assertTrue(there.operations.isEmpty());
  }

  @Test
  void scriptsAreLoadedAgainWhenRedisForgotThem() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    redis("SCRIPT", "FLUSH");
    assertEquals(1L, onContext(ctx, () -> broker.append(room, op("after script flush"))));
  }

  @Test
  void appendingRecordsThePublishLatency() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", new Recorder()));
    onContext(ctx, () -> broker.append(room, op("timed")));
    assertTrue(metrics.scrape().contains("ponte_broker_publish_seconds_count 1"),
        "publish metric missing");
  }

  /**
   * What a failover that lost the last writes leaves behind (asynchronous replication): the
   * room's seq set back to {@code seq} and the stream without the entries after it.
   */
  private void loseWritesAfter(String room, long seq) throws Exception {
    redis("SET", key(room, "seq"), seq);
    // Rebuilt rather than XDEL'd: the replica never had the later entries, so its stream's last
    // id is the last entry it kept.
    Response kept = redis("XRANGE", key(room, "stream"), "-", seq + "-0");
    redis("DEL", key(room, "stream"));
    for (Response entry : kept) {
      Response fields = entry.get(1);
      List<Object> args = new ArrayList<>(List.of("XADD", key(room, "stream"), entry.get(0).toString()));
      for (int i = 0; i < fields.size(); i++) {
        args.add(fields.get(i).toBytes());
      }
      redis(args.toArray());
    }
  }

  /** What Redis losing its data looks like to the room: FLUSHALL on our own server. */
  private void flush(String room) throws Exception {
    if (RedisFixture.get().owned()) {
      redis("FLUSHALL");
    } else {
      // A shared Redis (REDIS_URL): forget only this room.
      redis("DEL", key(room, "seq"), key(room, "epoch"), key(room, "stream"));
    }
  }
}
