package io.ponte.server.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisSentinelFixture;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker contract on {@link RedisBroker} in sentinel mode: a real master and Sentinel
 * ({@link RedisSentinelFixture}); the broker finds the master through the Sentinel for commands
 * and pub/sub. And a failover: the Sentinel promotes a replica, both nodes follow it, and the
 * room continues without a gap (the old master is killed, as when its machine dies); and a
 * failover that lost the last writes, which must never re-issue their seqs.
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

  /**
   * A failover that loses the last writes: the replica's link is cut (its replication user is
   * disabled on the master), the master takes two more appends and dies, and the Sentinel
   * promotes the lagging replica. The nodes' appends are refused (PONTE_EPOCH) rather than
   * sequenced again at seqs 6 and 7, and attaching again gives a new epoch after seq 7.
   */
  @Test
  @Timeout(180)
  void aFailoverThatLostTheLastWritesIsRefusedAndAttachingAgainStartsANewEpoch() throws Exception {
    try (RedisSentinelFixture own = RedisSentinelFixture.start(true)) {
      // The replica authenticates as its own user, so its link alone can be cut later.
      own.cli(own.masterPort(), "ACL", "SETUSER", "replication", "on", ">repl-secret", "+@all",
          "~*", "&*");
      own.cli(own.replicaPort(), "CONFIG", "SET", "masteruser", "replication");
      own.cli(own.replicaPort(), "CONFIG", "SET", "masterauth", "repl-secret");
      own.cli(own.masterPort(), "CLIENT", "KILL", "TYPE", "replica");
      awaitReplicaLink(own, "up");
      RedisBroker.Options options = RedisBroker.Options.of(own.target()).withKeyPrefix(prefix);
      Vertx vA = Vertx.vertx();
      Vertx vB = Vertx.vertx();
      RedisBroker a = await(RedisBroker.connect(vA, options, new PonteMetrics()));
      RedisBroker b = await(RedisBroker.connect(vB, options, new PonteMetrics()));
      try {
        String room = room();
        String seqKey = prefix + "{" + room + "}:seq";
        String epochKey = prefix + "{" + room + "}:epoch";
        Context ctxA = vA.getOrCreateContext();
        Context ctxB = vB.getOrCreateContext();
        Recorder atA = new Recorder();
        Recorder atB = new Recorder();
        Broker.Attachment first = onContext(ctxA, () -> a.attach(room, 0, "", atA));
        onContext(ctxB, () -> b.attach(room, 0, "", atB));
        for (int i = 0; i < 5; i++) {
          onContext(ctxB, () -> b.append(room, op("replicated")));
        }
        assertEquals("1", own.cli(own.masterPort(), "WAIT", "1", "10000").strip());

        own.cli(own.masterPort(), "ACL", "SETUSER", "replication", "off");
        own.cli(own.masterPort(), "CLIENT", "KILL", "TYPE", "replica");
        awaitReplicaLink(own, "down");
        assertEquals(6L, onContext(ctxB, () -> b.append(room, op("lost 6"))));
        assertEquals(7L, onContext(ctxA, () -> a.append(room, op("lost 7"))));
        eventuallyLong(() -> atA.operations.size() == 7 && atB.operations.size() == 7);

        own.killMasterAndAwaitFailover();
        assertEquals("5", own.cli(own.replicaPort(), "GET", seqKey).strip(), "writes were lost");

        // Connection errors first, while the nodes follow the new master; then the refusal.
        String refusal = refusedAppend(ctxA, a, room);
        assertTrue(refusal.startsWith("PONTE_EPOCH"), refusal);
        assertTrue(refusedAppend(ctxB, b, room).startsWith("PONTE_EPOCH"));
        assertEquals("5", own.cli(own.replicaPort(), "GET", seqKey).strip(), "nothing re-issued");
        assertTrue(!first.epoch().equals(own.cli(own.replicaPort(), "GET", epochKey).strip()),
            "the epoch was renewed");
        assertEquals(range(1, 7), seqs(atA.operations));
        assertEquals(atA.operations, atB.operations);

        // The room loads again; its store holds seq 7. The node's pub/sub connection may still be
        // finding the new master (a reconnect can have asked the Sentinel just before the
        // failover): a room that cannot attach yet is loaded again later, so retry as it would.
        await(a.detach(room));
        Broker.Attachment second = attachWhenReachable(ctxA, a, room, 7, first.epoch());
        assertTrue(!first.epoch().equals(second.epoch()), "a new epoch");
        assertEquals(7, second.seq());
        assertEquals(8L, onContext(ctxA, () -> a.append(room, op("after"))));
      } finally {
        await(a.close());
        await(b.close());
        vA.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vB.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  private static void awaitReplicaLink(RedisSentinelFixture own, String status)
      throws InterruptedException {
    eventuallyLong(() -> own.cli(own.replicaPort(), "INFO", "replication")
        .contains("master_link_status:" + status));
  }

  /** Attaches, trying again while Redis cannot be reached (for up to 60 s). */
  private Broker.Attachment attachWhenReachable(Context ctx, Broker node, String room, long seq,
      String epoch) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      try {
        return onContext(ctx, () -> node.attach(room, seq, epoch, new Recorder()));
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof java.net.ConnectException
            || e.getCause() instanceof java.io.IOException
            || String.valueOf(e.getCause()).contains("Connection refused"))
            || System.currentTimeMillis() > deadline) {
          throw e;
        }
        await(node.detach(room)); // an attach that failed half-way leaves nothing behind
        Thread.sleep(200);
      }
    }
  }

  /** Appends until the broker refuses for a reason other than the connection; its message. */
  private String refusedAppend(Context ctx, Broker node, String room) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      try {
        long seq = onContext(ctx, () -> node.append(room, op("after the failover")));
        throw new AssertionError("appended at seq " + seq + " after the failover");
      } catch (java.util.concurrent.ExecutionException e) {
        String message = String.valueOf(e.getCause().getMessage());
        if (message.startsWith("PONTE_EPOCH") || System.currentTimeMillis() > deadline) {
          return message;
        }
        Thread.sleep(200);
      }
    }
  }

}
