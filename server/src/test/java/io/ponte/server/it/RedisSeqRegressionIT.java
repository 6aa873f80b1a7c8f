package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.HistoryPage;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis failover that lost the last writes (asynchronous replication), under two nodes of a
 * cluster (one Redis, one PostgreSQL store): the new master holds the room's epoch but a lower
 * seq than the nodes applied. No post is acknowledged at a seq clients already saw: the first
 * posts after the loss are refused (retryable) and the room reloads on both nodes under a new
 * epoch; clients resuming with the old epoch get a reset that still holds every acknowledged
 * message, and their retried posts are acknowledged at fresh seqs.
 */
@Timeout(120)
class RedisSeqRegressionIT {
  private static final String ROOM = "s1";

  @TempDir
  Path dir;

  private final String prefix = RedisFixture.newPrefix();
  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  private UnaryOperator<PonteConfig.Builder> node(String nodeId) {
    return b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix).nodeId(nodeId)
        .storeUrl(pg.schema().url());
  }

  @Test
  void redisSeqGoingBackStartsANewEpochAndNoPostIsAcknowledgedAtAReusedSeq() throws Exception {
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a"));
        TestServer b = new TestServer(dir.resolve("b"), node("node-b"))) {
      a.createRoom(ROOM);
      Redis redis = Redis.createClient(a.clientVertx(), RedisFixture.get().url());
      String epoch;
      try (TestClient tea = a.user("tea", ROOM, Role.TEACHER);
          TestClient stu = b.user("stu", ROOM, Role.STUDENT)) {
        epoch = tea.join(ROOM).getEpoch();
        stu.join(ROOM);
        for (int i = 1; i <= 3; i++) {
          assertEquals(i, tea.post(ROOM, "tea " + i).getSeq());
        }
        for (int i = 4; i <= 5; i++) {
          assertEquals(i, stu.post(ROOM, "stu " + i).getSeq());
        }
        for (int i = 1; i <= 5; i++) {
          assertEquals(i, tea.nextEvent(ROOM).getSeq());
          assertEquals(i, stu.nextEvent(ROOM).getSeq());
        }

        loseWritesAfter(redis, 3);

        ServerMessage refused = tea.post(post("after the failover", "tea-after"));
        assertRetryableRefusal(refused);
        assertEquals(CloseCode.INTERNAL_ERROR.code(), tea.awaitClose(), "told to resume");
        assertEquals("3", redis(redis, "GET", key("seq")).toString(), "nothing was sequenced");
        assertNotEquals(epoch, redis(redis, "GET", key("epoch")).toString(), "epoch renewed");
        // The other node's room is still under the old epoch: its post is refused as well.
        assertRetryableRefusal(stu.post(post("from node b", "stu-after")));
        assertEquals(CloseCode.INTERNAL_ERROR.code(), stu.awaitClose(), "told to resume");
        assertEquals("3", redis(redis, "GET", key("seq")).toString(), "nothing was sequenced");
      }

      try (TestClient tea = a.user("tea", ROOM, Role.TEACHER);
          TestClient stu = b.user("stu", ROOM, Role.STUDENT)) {
        Joined onA = tea.join(ROOM, 5, epoch);
        assertTrue(onA.getReset(), () -> "a reset into a new epoch: " + onA);
        assertNotEquals(epoch, onA.getEpoch());
        assertEquals(5, onA.getSeq());
        assertEquals(5, onA.getSnapshot().getRecentMessagesCount(), "acknowledged messages kept");
        Joined onB = stu.join(ROOM, 5, epoch);
        assertTrue(onB.getReset(), () -> "a reset into a new epoch: " + onB);
        assertEquals(onA.getEpoch(), onB.getEpoch(), "both nodes in the same new epoch");
        assertEquals(5, onB.getSeq());

        // The clients retry their refused posts (same ids): acknowledged at fresh seqs.
        assertEquals(6, retryUntilAcked(tea, post("after the failover", "tea-after")));
        assertEquals(7, retryUntilAcked(stu, post("from node b", "stu-after")));
        assertEquals(6, stu.nextEvent(ROOM).getSeq());
        assertEquals(7, tea.awaitEvent(e -> e.getSeq() == 7, "seq 7 on node a").getSeq());

        for (TestClient c : List.of(tea, stu)) {
          HistoryPage page = c.history(ROOM, 0, 100);
          assertEquals(List.of("tea 1", "tea 2", "tea 3", "stu 4", "stu 5", "after the failover",
              "from node b"), page.getMessagesList().stream().map(ChatMessage::getText).toList());
          assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L),
              page.getMessagesList().stream().map(ChatMessage::getSeq).toList());
        }
      }
      redis.close();
    }
  }

  private static ChatPost.Builder post(String text, String clientMsgId) {
    return ChatPost.newBuilder().setRoomId(ROOM).setText(text).setClientMsgId(clientMsgId);
  }

  private static void assertRetryableRefusal(ServerMessage m) {
    ErrorInfo e = TestClient.error(m);
    assertEquals(ErrorCode.UNAVAILABLE, e.getCode(), m::toString);
    assertTrue(e.getRetryable(), m::toString);
  }

  /** What a client does with a retryable error: send the same post again, a bit later. */
  private static long retryUntilAcked(TestClient c, ChatPost.Builder post)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      ServerMessage m = c.post(post);
      if (m.hasAck()) {
        return m.getAck().getSeq();
      }
      assertRetryableRefusal(m);
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("still refused: " + m);
      }
      Thread.sleep(Math.max(100, TestClient.error(m).getRetryAfterMs()));
    }
  }

  /**
   * What a failover that lost the last writes leaves behind: the room's seq set back to
   * {@code seq}, and a stream that never had the later entries (rebuilt, so its last id is the
   * last entry kept, as on a replica).
   */
  private void loseWritesAfter(Redis redis, long seq) throws Exception {
    redis(redis, "SET", key("seq"), Long.toString(seq));
    Response kept = redis(redis, "XRANGE", key("stream"), "-", seq + "-0");
    redis(redis, "DEL", key("stream"));
    for (Response entry : kept) {
      Request add = Request.cmd(Command.XADD).arg(key("stream")).arg(entry.get(0).toString());
      Response fields = entry.get(1);
      for (int i = 0; i < fields.size(); i++) {
        add.arg(fields.get(i).toBytes());
      }
      await(redis.send(add));
    }
  }

  private String key(String suffix) {
    return prefix + "{" + ROOM + "}:" + suffix;
  }

  private static Response redis(Redis redis, String command, String... args) throws Exception {
    Request req = Request.cmd(Command.create(command));
    for (String arg : args) {
      req.arg(arg);
    }
    return await(redis.send(req));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
