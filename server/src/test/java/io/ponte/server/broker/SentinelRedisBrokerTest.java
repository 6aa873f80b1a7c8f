package io.ponte.server.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisSentinelFixture;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker contract on {@link RedisBroker} in sentinel mode: a real master and Sentinel
 * ({@link RedisSentinelFixture}); the broker finds the master through the Sentinel for commands
 * and pub/sub. And a failover: the Sentinel promotes a replica, both nodes follow it, and the
 * room continues without a gap (the old master is killed, as when its machine dies).
 */
class SentinelRedisBrokerTest extends BrokerContractTest {
  private static RedisSentinelFixture sentinel;
  private final String prefix = RedisFixture.newPrefix();

  @BeforeAll
  static void startSentinel() {
    sentinel = RedisSentinelFixture.start(false);
  }

  @AfterAll
  static void stopSentinel() {
    if (sentinel != null) {
      sentinel.close();
    }
  }

  @Override
  protected Broker createBroker(Vertx vertx) throws Exception {
    return await(RedisBroker.connect(vertx,
        RedisBroker.Options.of(sentinel.target()).withKeyPrefix(prefix), new PonteMetrics()));
  }

  @Test
  void theBrokerWritesToTheMasterTheSentinelNames() throws Exception {
    String room = room();
    Recorder recorder = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> broker.attach(room, 0, "", recorder));
    assertEquals(1L, onContext(ctx, () -> broker.append(room, op("via sentinel"))));
    eventually(() -> recorder.operations.size() == 1);
    assertEquals("1", sentinel.cli(sentinel.masterPort(), "GET",
        prefix + "{" + room + "}:seq").strip());
  }

  @Test
  @Timeout(120)
  void afterAFailoverBothNodesFollowTheNewMasterAndTheRoomContinuesWithoutAGap()
      throws Exception {
    try (RedisSentinelFixture own = RedisSentinelFixture.start(true)) {
      RedisBroker.Options options = RedisBroker.Options.of(own.target()).withKeyPrefix(prefix);
      Vertx vA = Vertx.vertx();
      Vertx vB = Vertx.vertx();
      RedisBroker a = await(RedisBroker.connect(vA, options, new PonteMetrics()));
      RedisBroker b = await(RedisBroker.connect(vB, options, new PonteMetrics()));
      try {
        String room = room();
        Context ctxA = vA.getOrCreateContext();
        Context ctxB = vB.getOrCreateContext();
        Recorder atA = new Recorder();
        Recorder atB = new Recorder();
        onContext(ctxA, () -> a.attach(room, 0, "", atA));
        onContext(ctxB, () -> b.attach(room, 0, "", atB));
        for (int i = 0; i < 5; i++) {
          onContext(ctxB, () -> b.append(room, op("before")));
        }
        eventuallyLong(() -> atA.operations.size() == 5);

        own.killMasterAndAwaitFailover();
        assertEquals(own.replicaPort(), own.currentMasterPort());

        // Appends may fail while the nodes' connections to the old master are dropped; the
        // room retries like a client would, and every appended seq reaches both nodes in order.
        int appended = 0;
        long deadline = System.currentTimeMillis() + 60_000;
        while (appended < 5 && System.currentTimeMillis() < deadline) {
          try {
            onContext(ctxA, () -> a.append(room, op("after")));
            appended++;
          } catch (Exception retry) {
            Thread.sleep(200);
          }
        }
        assertEquals(5, appended, "appends through the new master");
        eventuallyLong(() -> atA.operations.size() == 10 && atB.operations.size() == 10);
        assertEquals(range(1, 10), seqs(atA.operations));
        assertEquals(atA.operations, atB.operations);
        assertEquals("10", own.cli(own.replicaPort(), "GET", prefix + "{" + room + "}:seq").strip());
      } finally {
        await(a.close());
        await(b.close());
        vA.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vB.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private static void eventuallyLong(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(condition.getAsBoolean(), "condition not reached within 30 s");
  }

  private static List<Long> seqs(List<SequencedOperation> ops) {
    return ops.stream().map(SequencedOperation::getSeq).toList();
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }
}
