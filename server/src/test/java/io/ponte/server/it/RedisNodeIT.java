package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.server.PonteServer;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real node whose broker is Redis ({@code redis-url} set): the whole pipeline (rooms, store,
 * resume) runs over {@code RedisBroker}. Several nodes on one room need the shared PostgreSQL
 * store, which does not exist yet, so multi-node server tests come with it.
 */
@Timeout(60)
class RedisNodeIT {
  @TempDir
  Path dir;

  private final String prefix = RedisFixture.newPrefix();

  private UnaryOperator<PonteConfig.Builder> redis() {
    return b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
  }

  private static Response command(TestServer s, String... args) throws Exception {
    Redis client = Redis.createClient(s.clientVertx(), RedisFixture.get().url());
    try {
      Request req = Request.cmd(Command.create(args[0]));
      for (int i = 1; i < args.length; i++) {
        req.arg(args[i]);
      }
      return client.send(req).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } finally {
      client.close();
    }
  }

  @Test
  void chatThroughRedisReachesEveryClientInOrderAndRedisHoldsTheRoom() throws Exception {
    try (TestServer s = new TestServer(dir, redis())) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT, WireFormat.JSON)) {
        Joined joined = ana.join("r1");
        bo.join("r1");
        for (int i = 0; i < 20; i++) {
          assertEquals(i + 1, (i % 2 == 0 ? ana : bo).post("r1", "message " + i).getSeq());
        }
        for (TestClient c : List.of(ana, bo)) {
          for (int i = 0; i < 20; i++) {
            Event e = c.nextEvent("r1");
            assertEquals(i + 1, e.getSeq());
            assertEquals("message " + i, e.getChatPosted().getText());
          }
        }
        assertEquals("20", command(s, "GET", prefix + "{r1}:seq").toString());
        assertEquals(joined.getEpoch(), command(s, "GET", prefix + "{r1}:epoch").toString());
        assertEquals(20L, command(s, "XLEN", prefix + "{r1}:stream").toLong());
      }
      assertEquals(200, s.http("GET", "/health/ready", null, null).statusCode());
      assertTrue(s.http("GET", "/metrics", null, null).body().contains("ponte_broker_publish_seconds_count"));
    }
  }

  @Test
  void afterARestartTheRoomKeepsItsEpochAndResumeGetsExactlyTheMissedEvents() throws Exception {
    try (TestServer s = new TestServer(dir, redis())) {
      s.createRoom("r1");
      String epoch;
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER)) {
        epoch = ana.join("r1").getEpoch();
        for (int i = 1; i <= 5; i++) {
          assertEquals(i, ana.post("r1", "m" + i).getSeq());
        }
      }
      s.stop();
      s.start();
      try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        Joined j = bo.join("r1", 3, epoch);
        assertFalse(j.getReset(), () -> "expected a resume: " + j);
        assertEquals(epoch, j.getEpoch());
        assertEquals(5, j.getSeq());
        assertEquals(List.of(4L, 5L), j.getMissedList().stream().map(Event::getSeq).toList());
        assertEquals(6, bo.post("r1", "after restart").getSeq());
      }
    }
  }

  @Test
  void redisLosingTheRoomWhileTheNodeWasDownResetsClientsIntoANewEpoch() throws Exception {
    try (TestServer s = new TestServer(dir, redis())) {
      s.createRoom("r1");
      String epoch;
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER)) {
        epoch = ana.join("r1").getEpoch();
        for (int i = 1; i <= 3; i++) {
          ana.post("r1", "m" + i);
        }
      }
      s.stop();
      if (RedisFixture.get().owned()) {
        command(s, "FLUSHALL");
      } else {
        command(s, "DEL", prefix + "{r1}:seq", prefix + "{r1}:epoch", prefix + "{r1}:stream");
      }
      s.start();
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER)) {
        Joined j = ana.join("r1", 3, epoch);
        assertTrue(j.getReset(), () -> "expected a reset: " + j);
        assertNotEquals(epoch, j.getEpoch());
        assertEquals(3, j.getSeq());
        // The stored messages survive; seqs continue after them.
        assertEquals(3, j.getSnapshot().getRecentMessagesCount(), () -> "snapshot: " + j.getSnapshot());
        assertEquals(4, ana.post("r1", "after the flush").getSeq());
      }
    }
  }

  @Test
  void aNodeWhoseRedisDoesNotAnswerDoesNotStartAndSaysWhy() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    PonteConfig config = PonteConfig.defaults().toBuilder()
        .httpHost("127.0.0.1").httpPort(0).dataDir(dir)
        .jwtSecret(TestServer.SECRET).adminToken(TestServer.ADMIN_TOKEN).eventLoops(1)
        .redisUrl("redis://127.0.0.1:" + closedPort).build();
    ExecutionException e = assertThrows(ExecutionException.class, () -> PonteServer.start(config)
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().startsWith("redis-url"), e.getCause().getMessage());
  }
}
