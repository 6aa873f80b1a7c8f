package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.store.PgTestSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rooms that could no longer be joined through one node (chaos soak, issue 16: F2, F3), with a
 * real PostgreSQL and a Redis of the test's own, each behind a TCP proxy the test cuts or
 * stalls. Every Join is answered (Joined, or the retryable UNAVAILABLE) within a bound, the room
 * loads once its store and broker answer again, and a room loaded beside it goes on.
 */
@Timeout(300)
class StuckJoinIT {
  private static final String ROOM = "stuck1";
  private static final String OTHER = "bystander1";
  /** How long a Join may go unanswered: the registry's load bound, with slack for a loaded machine. */
  private static final Duration ANSWER_BOUND = Duration.ofMillis(RoomRegistry.LOAD_TIMEOUT_MS + 20_000);

  @TempDir
  Path dir;

  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  private final String prefix = RedisFixture.newPrefix();
  private final RedisFixture.Dedicated redis = RedisFixture.dedicated(false);
  private TcpProxy pgProxy;
  private TcpProxy redisProxy;

  @AfterEach
  void stop() throws Exception {
    if (pgProxy != null) {
      pgProxy.close();
    }
    if (redisProxy != null) {
      redisProxy.close();
    }
    redis.close();
  }

  /** host:port of the test PostgreSQL. */
  private static String pgHostPort() {
    Matcher m = Pattern.compile("//([^/?]+)/").matcher(PgTestSchema.BASE_URL);
    assertTrue(m.find(), PgTestSchema.BASE_URL);
    return m.group(1);
  }

  private TestServer node(boolean redisThroughProxy) throws Exception {
    String hostPort = pgHostPort();
    int colon = hostPort.lastIndexOf(':');
    pgProxy = new TcpProxy(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    String storeUrl = pgProxy.route(pg.schema().url(), hostPort);
    String redisUrl = redis.url();
    if (redisThroughProxy) {
      redisProxy = new TcpProxy("127.0.0.1", redis.port());
      redisUrl = redisProxy.route(redisUrl, "127.0.0.1:" + redis.port());
    }
    String routedRedis = redisUrl;
    UnaryOperator<PonteConfig.Builder> cfg = b -> b.redisUrl(routedRedis).redisKeyPrefix(prefix)
        .nodeId("node-a").storeUrl(storeUrl);
    return new TestServer(dir.resolve("a"), cfg);
  }

  /** Two rooms with history; the node restarted so that neither is loaded. */
  private void twoRooms(TestServer a) {
    a.createRoom(ROOM);
    a.createRoom(OTHER);
    try (TestClient tea = a.user("tea", ROOM, Role.TEACHER)) {
      tea.join(ROOM);
      for (int i = 1; i <= 3; i++) {
        assertEquals(i, tea.post(ROOM, "tea " + i).getSeq());
      }
    }
    a.stop();
  }

  /**
   * F2: a load that fails after the broker attach (the store's writer connection broke, so the
   * room's new epoch cannot be written) left the room attached to the broker; every later load
   * on this node was refused ("already attached"), for good.
   */
  @Test
  void aRoomWhoseLoadFailedAfterAttachingIsJoinedOnTheNextTry() throws Exception {
    try (TestServer a = node(false)) {
      twoRooms(a);
      // Redis loses the rooms' epochs while no node holds them: a load writes a new epoch.
      redis.cli("FLUSHALL");
      int before = pgProxy.accepted();
      a.start();
      try (TestClient by = a.user("by", OTHER, Role.STUDENT);
          TestClient tea = a.user("tea", ROOM, Role.TEACHER)) {
        by.join(OTHER);
        assertEquals(1, by.post(OTHER, "before").getSeq());
        // The store's writer (its first connection) breaks: its next write, the new epoch of the
        // room loading below, fails after the room attached to the broker.
        pgProxy.cut(before);
        assertLoadsWithItsHistoryAndTakesAPost(tea, "after the failed load");
        assertEquals(4, tea.nextEvent(ROOM).getSeq());
        assertEquals(2, by.post(OTHER, "bystander goes on").getSeq());
      }
    }
  }

  /** The safety net: a room load that hangs (the store frozen) answers its Joins UNAVAILABLE. */
  @Test
  void aJoinWhoseRoomLoadHangsIsAnsweredAndTheRoomLoadsOnceTheStoreAnswers() throws Exception {
    try (TestServer a = node(false)) {
      twoRooms(a);
      a.start();
      try (TestClient by = a.user("by", OTHER, Role.STUDENT);
          TestClient tea = a.user("tea", ROOM, Role.TEACHER)) {
        by.join(OTHER);
        pgProxy.stall();
        long sent = System.currentTimeMillis();
        ServerMessage first = joinOnce(tea, ROOM);
        ErrorInfo refused = TestClient.error(first);
        assertEquals(ErrorCode.UNAVAILABLE, refused.getCode(), refused::toString);
        assertTrue(refused.getRetryable());
        long waited = System.currentTimeMillis() - sent;
        assertTrue(waited >= RoomRegistry.LOAD_TIMEOUT_MS - 1_000, "answered after " + waited + " ms");
        pgProxy.resume();
        assertLoadsWithItsHistoryAndTakesAPost(tea, "after the stall");
        assertEquals(1, by.post(OTHER, "bystander goes on").getSeq());
      }
    }
  }

  /**
   * F3: the broker attach waited for ever on a Redis connection that neither answered nor
   * failed (Redis frozen or killed unnoticed): bounded now, the Join is answered well before the
   * registry's own bound, and the room loads once Redis answers.
   */
  @Test
  void aJoinWhoseBrokerAttachHangsIsAnsweredAndTheRoomLoadsOnceRedisAnswers() throws Exception {
    try (TestServer a = node(true)) {
      twoRooms(a);
      a.start();
      try (TestClient by = a.user("by", OTHER, Role.STUDENT);
          TestClient tea = a.user("tea", ROOM, Role.TEACHER)) {
        by.join(OTHER);
        redisProxy.stall();
        long sent = System.currentTimeMillis();
        ErrorInfo refused = TestClient.error(joinOnce(tea, ROOM));
        long waited = System.currentTimeMillis() - sent;
        assertEquals(ErrorCode.UNAVAILABLE, refused.getCode(), refused::toString);
        assertTrue(waited < RoomRegistry.LOAD_TIMEOUT_MS, "answered after " + waited + " ms");
        redisProxy.resume();
        assertLoadsWithItsHistoryAndTakesAPost(tea, "after the stall");
        assertEquals(1, postAnswered(by, OTHER, "bystander goes on"));
      }
    }
  }

  /** The room is joined (retried while refused retryably) at its three posts, and takes a fourth. */
  private static void assertLoadsWithItsHistoryAndTakesAPost(TestClient tea, String text) throws Exception {
    Joined joined = joinAnswered(tea, ROOM, Duration.ofSeconds(60));
    assertEquals(3, joined.getSeq());
    assertEquals(4, tea.post(ROOM, text).getSeq());
  }

  private static ServerMessage joinOnce(TestClient c, String room) {
    long id = c.sendRequest(ClientMessage.newBuilder().setJoin(Join.newBuilder().setRoomId(room)));
    return c.await(m -> m.getRequestId() == id, "answer to the Join of " + room, ANSWER_BOUND);
  }

  /** Joins, trying again after each retryable refusal; every Join is answered within the bound. */
  private static Joined joinAnswered(TestClient c, String room, Duration within) throws Exception {
    long deadline = System.currentTimeMillis() + within.toMillis();
    while (true) {
      ServerMessage m = joinOnce(c, room);
      if (m.getBodyCase() == ServerMessage.BodyCase.JOINED) {
        return m.getJoined();
      }
      ErrorInfo e = TestClient.error(m);
      assertTrue(e.getRetryable(), e::toString);
      if (System.currentTimeMillis() > deadline) {
        fail("the Join of " + room + " is still refused after " + within + ": " + e);
      }
      Thread.sleep(300);
    }
  }

  /** Posts, trying again after retryable refusals (Redis just came back); returns the seq. */
  private static long postAnswered(TestClient c, String room, String text) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      ServerMessage m = c.request(ClientMessage.newBuilder().setChatPost(
          io.ponte.protocol.v1.ChatPost.newBuilder().setRoomId(room).setText(text)
              .setClientMsgId("p-" + text.hashCode())));
      if (m.getBodyCase() == ServerMessage.BodyCase.ACK) {
        return m.getAck().getSeq();
      }
      ErrorInfo e = TestClient.error(m);
      assertTrue(e.getRetryable() && System.currentTimeMillis() < deadline, e::toString);
      Thread.sleep(300);
    }
  }
}
