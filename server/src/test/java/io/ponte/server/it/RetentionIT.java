package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.EndSession;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.protocol.v1.Participant;
import io.ponte.server.presence.Presence;
import io.ponte.server.presence.RedisPresence;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisTarget;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
      // The dry run names what a sweep at a time would erase, and erases nothing.
      JsonObject dry = null;
      for (int i = 0; i < 50; i++) {
        dry = new JsonObject(s.admin("GET", "/admin/retention?at=" + (now + 3 * DAY_MS), null).body());
        if (!dry.getJsonArray("rooms").isEmpty()) {
          break;
        }
        Thread.sleep(100);
      }
      assertEquals(List.of("short"), dry.getJsonArray("rooms").getList());
      assertEquals(List.of(), new JsonObject(s.admin("GET", "/admin/retention", null).body())
          .getJsonArray("rooms").getList(), "nothing is due within the next hour");
      assertEquals(200, s.admin("GET", "/admin/rooms/short", null).statusCode(), "a dry run erases nothing");
      for (String bad : List.of("?at=soon", "?at=-1", "?at=1&at=2", "?room=short",
          "?at=" + (now + 4000 * DAY_MS))) {
        assertEquals(400, s.admin("GET", "/admin/retention" + bad, null).statusCode(), bad);
      }
      List<String> erased = List.of();
      for (int i = 0; i < 50 && erased.isEmpty(); i++) {
        erased = sweep(s, now + 3 * DAY_MS);
        if (erased.isEmpty()) {
          Thread.sleep(100);
        }
      }
      assertEquals(List.of("short"), erased);
      assertEquals(404, s.admin("GET", "/admin/rooms/short", null).statusCode());
      // Erased means gone from the bytes too: not in the database's free pages, nor in its WAL.
      assertTextNowhere(dir, "homework: read chapter 3");
      // A room whose session never ended is kept, however old.
      assertEquals(200, s.admin("GET", "/admin/rooms/open", null).statusCode());
      assertEquals(List.of(), sweep(s, now + 365 * DAY_MS));
    }
  }

  /**
   * The dry run names exactly what the sweep at that time erases, also for a room whose own
   * retention is longer than a max-retention-days lowered after it was created.
   */
  @Test
  void theDryRunListsWhatTheSweepErases() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(new JsonObject().put("id", "a").put("title", "A").put("retentionDays", 2));
      s.createRoom(new JsonObject().put("id", "b").put("title", "B").put("retentionDays", 30));
      s.createRoom(new JsonObject().put("id", "c").put("title", "C").put("retentionDays", 1));
      for (String id : List.of("a", "b")) {
        assertEquals(200, s.admin("POST", "/admin/rooms/" + id + "/close", null).statusCode());
      }
    }
    try (TestServer s = new TestServer(dir, b -> b.maxRetentionDays(5).defaultRetentionDays(5))) {
      long now = System.currentTimeMillis();
      for (int i = 0; i < 50 && dryRun(s, now + 6 * DAY_MS).size() < 2; i++) {
        Thread.sleep(100); // the close is recorded just after its ack
      }
      assertEquals(List.of("a"), dryRun(s, now + 3 * DAY_MS));
      List<Object> due = dryRun(s, now + 6 * DAY_MS);
      assertEquals(List.of("a", "b"), due, "b is capped by max-retention-days; c never ended");
      assertEquals(due, List.copyOf(sweep(s, now + 6 * DAY_MS)));
      assertEquals(List.of(), dryRun(s, now + 6 * DAY_MS), "nothing left to erase");
      assertEquals(200, s.admin("GET", "/admin/rooms/c", null).statusCode());
    }
  }

  private static List<Object> dryRun(TestServer s, long at) {
    return new JsonObject(s.admin("GET", "/admin/retention?at=" + at, null).body())
        .getJsonArray("rooms").getList();
  }

  /** No file under {@code root} holds {@code text} (UTF-8), checked on the raw bytes. */
  static void assertTextNowhere(Path root, String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().endsWith(".db")),
        () -> "a database file under " + root + ": " + files);
    for (Path f : files) {
      byte[] bytes = Files.readAllBytes(f);
      assertEquals(-1, indexOf(bytes, needle), () -> f + " still holds '" + text + "'");
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void theDataDirectoryAndTheDatabaseAreTheOwnersAlone() throws Exception {
    // A directory an earlier start (or an operator) left open, with a database file the umask made 0644.
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
    }
    try (Stream<Path> walk = Files.list(dir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r2");
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
      List<Path> files;
      try (Stream<Path> walk = Files.list(dir)) {
        files = walk.filter(Files::isRegularFile).toList();
      }
      assertTrue(files.stream().anyMatch(f -> f.getFileName().toString().endsWith("-wal")), files::toString);
      for (Path f : files) {
        String name = f.getFileName().toString();
        // The secret files are the operator's to keep (the node warns when others can read them, see SecretFile).
        if (name.equals("jwt-secret") || name.equals("admin-token")) {
          continue;
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), name);
      }
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
      for (String k : keys) {
        long ttl = pttl(redis.url(), k);
        for (int i = 0; i < 50 && ttl == -1; i++) {
          Thread.sleep(100); // the expiry is set just after the end, like the store's record
          ttl = pttl(redis.url(), k);
        }
        long last = ttl;
        assertTrue(ttl > 0 && ttl <= DAY_MS, () -> k + " expires with the room's retention: " + last);
      }
      // A node that died with a learner in the room left its presence entry and lease behind.
      Vertx other = Vertx.vertx();
      try {
        RedisPresence dead = RedisPresence.connect(other, new RedisPresence.Options(
            RedisTarget.standalone(redis.url()), prefix, "dead-node", DAY_MS, 5_000))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        dead.sync("gone", Map.of("u-left-behind", new Presence.Entry(Participant.newBuilder()
                .setUserId("u-left-behind").setDisplayName("Left Behind").setRole(Role.STUDENT)
                .setConnections(1).build(), 1)))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } finally {
        other.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      assertEquals(List.of(prefix + "{gone}:epoch", prefix + "{gone}:presence",
          prefix + "{gone}:presence:leases", prefix + "{gone}:seq", prefix + "{gone}:stream"),
          roomKeys(redis.url(), prefix, "gone"), "every kind of key a room has");

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
      assertEquals(List.of(), roomKeys(redis.url(), prefix, "gone"), "no key of the room at all");
    }
  }

  private static List<String> expired(TestServer s, long nowMs) throws Exception {
    return s.server().store().expiredRooms(nowMs).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static long pttl(String url, String key) throws Exception {
    Vertx v = Vertx.vertx();
    try {
      return Redis.createClient(v, url).send(Request.cmd(Command.PTTL).arg(key))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toLong();
    } finally {
      v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
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

  /** Every key of the room under the prefix (SCAN, so nothing is missed by naming it), sorted. */
  static List<String> roomKeys(String url, String prefix, String roomId) throws Exception {
    Vertx v = Vertx.vertx();
    try {
      Redis client = Redis.createClient(v, url);
      List<String> out = new ArrayList<>();
      String cursor = "0";
      do {
        Response page = client.send(Request.cmd(Command.SCAN).arg(cursor)
                .arg("MATCH").arg(prefix + "{" + roomId + "}*").arg("COUNT").arg(1000))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        cursor = page.get(0).toString();
        page.get(1).forEach(k -> out.add(k.toString()));
      } while (!cursor.equals("0"));
      Collections.sort(out);
      return out;
    } finally {
      v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static List<String> sweep(TestServer s, long nowMs) throws Exception {
    return s.server().sweepRetention(nowMs).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
