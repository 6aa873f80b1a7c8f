package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.EndSession;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class RetentionIT {
  private static final long DAY_MS = 86_400_000L;

  @TempDir
  Path dir;

  @Test
  void endedRoomIsErasedOnlyAfterItsRetentionPeriod() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(new JsonObject().put("id", "short").put("title", "Short").put("retentionDays", 2));
      s.createRoom(new JsonObject().put("id", "open").put("title", "Still running").put("retentionDays", 1));
      try (TestClient teacher = s.user("t", "*", Role.TEACHER)) {
        teacher.join("short");
        teacher.post("short", "homework: read chapter 3");
        TestClient.ack(teacher.request(ClientMessage.newBuilder().setTeacherAction(
            TeacherAction.newBuilder().setRoomId("short").setEndSession(EndSession.getDefaultInstance()))));
      }
      // The end is recorded asynchronously after the ack; wait until the store has it.
      long now = System.currentTimeMillis();
      assertEquals(List.of(), sweep(s, now + DAY_MS));
      List<String> erased = List.of();
      for (int i = 0; i < 50 && erased.isEmpty(); i++) {
        erased = sweep(s, now + 3 * DAY_MS);
        if (erased.isEmpty()) {
          Thread.sleep(100);
        }
      }
      assertEquals(List.of("short"), erased);
      assertEquals(404, s.admin("GET", "/admin/rooms/short", null).statusCode());
      // A room whose session never ended is kept, however old.
      assertEquals(200, s.admin("GET", "/admin/rooms/open", null).statusCode());
      assertEquals(List.of(), sweep(s, now + 365 * DAY_MS));
    }
  }

  /**
   * With Redis, an erased room leaves nothing there (its seq, epoch and stream); while Redis is
   * unreachable the room is not erased yet, and the next sweep after Redis is back erases it.
   */
  @Test
  void anErasedRoomLeavesNothingInRedisAndWaitsWhileRedisIsDown() throws Exception {
    String prefix = RedisFixture.newPrefix();
    try (RedisFixture.Dedicated redis = RedisFixture.dedicated(true);
        TestServer s = new TestServer(dir, b -> b.redisUrl(redis.url()).redisKeyPrefix(prefix))) {
      s.createRoom(new JsonObject().put("id", "gone").put("title", "Gone").put("retentionDays", 1));
      try (TestClient teacher = s.user("t", "*", Role.TEACHER)) {
        teacher.join("gone");
        teacher.post("gone", "see you next term");
        TestClient.ack(teacher.request(ClientMessage.newBuilder().setTeacherAction(
            TeacherAction.newBuilder().setRoomId("gone").setEndSession(EndSession.getDefaultInstance()))));
      }
      long later = System.currentTimeMillis() + 3 * DAY_MS;
      for (int i = 0; i < 50 && expired(s, later).isEmpty(); i++) {
        Thread.sleep(100); // the end is recorded just after the ack
      }
      assertEquals(List.of("gone"), expired(s, later));
      List<String> keys = List.of(prefix + "{gone}:seq", prefix + "{gone}:epoch", prefix + "{gone}:stream");
      assertEquals(3, exists(redis.url(), keys));

      redis.kill();
      assertEquals(List.of(), sweep(s, later), "not erased while Redis is down");
      assertEquals(List.of("gone"), expired(s, later), "the store still has it, for the next sweep");

      redis.start();
      List<String> erased = List.of();
      for (int i = 0; i < 50 && erased.isEmpty(); i++) {
        erased = sweep(s, later);
        if (erased.isEmpty()) {
          Thread.sleep(200);
        }
      }
      assertEquals(List.of("gone"), erased);
      assertEquals(404, s.admin("GET", "/admin/rooms/gone", null).statusCode());
      assertEquals(0, exists(redis.url(), keys), "nothing of the room is left in Redis");
    }
  }

  private static List<String> expired(TestServer s, long nowMs) throws Exception {
    return s.server().store().expiredRooms(nowMs).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static int exists(String url, List<String> keys) throws Exception {
    Vertx v = Vertx.vertx();
    try {
      Request req = Request.cmd(Command.EXISTS);
      keys.forEach(req::arg);
      return Redis.createClient(v, url).send(req).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS).toInteger();
    } finally {
      v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static List<String> sweep(TestServer s, long nowMs) throws Exception {
    return s.server().sweepRetention(nowMs).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
