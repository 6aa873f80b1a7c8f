package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.Typing;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis stopped (SIGKILL) and restarted on the same port mid-room, under two nodes: while it is
 * down, posts fail fast with a retryable UNAVAILABLE and are never acknowledged, typing is
 * dropped, and /health/ready says 503; once it is back (its append-only file kept the room's
 * seq, epoch and stream), posts work again and clients that stayed connected to either node see
 * every event in order without a gap.
 */
@Timeout(120)
class RedisOutageIT {
  @TempDir
  Path dir;

  @Test
  void postsFailRetryablyWhileRedisIsDownAndTheRoomGoesOnWithoutAGapWhenItIsBack()
      throws Exception {
    try (RedisFixture.Dedicated redis = RedisFixture.dedicated(true)) {
      UnaryOperator<PonteConfig.Builder> config = b -> b.redisUrl(redis.url())
          .presenceLeaseMs(1500);
      try (TestServer a = new TestServer(dir.resolve("a"), config);
          TestServer b = new TestServer(dir.resolve("b"), config)) {
        a.createRoom("o1");
        b.createRoom("o1");
        try (TestClient tea = a.user("tea", "o1", Role.TEACHER);
            TestClient stu = b.user("stu", "o1", Role.STUDENT)) {
          tea.join("o1");
          stu.join("o1");
          for (int i = 1; i <= 3; i++) {
            assertEquals(i, tea.post("o1", "before " + i).getSeq());
          }
          for (int i = 1; i <= 3; i++) {
            assertEquals(i, stu.nextEvent("o1").getSeq());
            assertEquals(i, tea.nextEvent("o1").getSeq());
          }

          redis.kill();

          ServerMessage refused = postWithId(tea, "during the outage", "m4");
          ErrorInfo error = TestClient.error(refused);
          assertEquals(ErrorCode.UNAVAILABLE, error.getCode(), refused::toString);
          assertTrue(error.getRetryable(), refused::toString);
          assertEquals(ErrorCode.UNAVAILABLE,
              TestClient.error(postWithId(stu, "from b", "s1")).getCode());
          stu.send(ClientMessage.newBuilder().setTyping(
              Typing.newBuilder().setRoomId("o1").setTyping(true)).build());
          assertEquals(503, awaitReadyStatus(a, 503));
          assertEquals(503, awaitReadyStatus(b, 503));
          // What the alert PonteRedisUnavailable (ops/prometheus) reads: each scrape checks.
          String down = OperabilityIT.scrape(a);
          assertEquals(0, OperabilityIT.metric(down, "ponte_broker_up", "broker=\"redis\""), down);
          assertEquals(1, OperabilityIT.metric(down, "ponte_store_up", null));
          assertEquals(0, OperabilityIT.metric(down, "ponte_ready", null));
          tea.assertOpen();
          stu.assertOpen();

          redis.start();

          // The client retries its refused post (same client id) until Redis takes it.
          long seq = retryUntilAcked(tea, "during the outage", "m4");
          assertEquals(4, seq, "nothing was sequenced while Redis was down");
          Event fourth = stu.nextEvent("o1");
          assertEquals(4, fourth.getSeq());
          assertEquals("during the outage", fourth.getChatPosted().getText());
          assertEquals(5, retryUntilAcked(stu, "from b", "s1"));
          assertEquals(4, tea.nextEvent("o1").getSeq());
          Event fifth = tea.nextEvent("o1");
          assertEquals(5, fifth.getSeq());
          assertEquals("from b", fifth.getChatPosted().getText());
          assertEquals(200, awaitReadyStatus(a, 200));
          assertEquals(200, awaitReadyStatus(b, 200));
          for (TestServer s : new TestServer[] {a, b}) {
            String metrics = s.http("GET", "/metrics", null, null).body();
            assertEquals(1, OperabilityIT.metric(metrics, "ponte_broker_up", "broker=\"redis\""));
            assertEquals(1, OperabilityIT.metric(metrics, "ponte_ready", null));
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("ponte_redis_reconnects_total")
                && !l.endsWith(" 0.0")), "a reconnect was counted");
          }
        }
      }
    }
  }

  @Test
  void redisComingBackEmptyStartsANewEpochAndClientsResumeIntoAReset() throws Exception {
    try (RedisFixture.Dedicated redis = RedisFixture.dedicated(false)) {
      try (TestServer a = new TestServer(dir.resolve("a"), b -> b.redisUrl(redis.url()))) {
        a.createRoom("o2");
        String epoch;
        try (TestClient tea = a.user("tea", "o2", Role.TEACHER)) {
          epoch = tea.join("o2").getEpoch();
          for (int i = 1; i <= 3; i++) {
            assertEquals(i, tea.post("o2", "kept " + i).getSeq());
          }
          redis.kill();
          redis.start(); // without persistence: the room's seq, epoch and stream are gone
          // The first post after the loss finds the epoch gone: refused (retryable), and the
          // room's clients are told to resume.
          // (Posts may first meet the command pool reconnecting: refused the same way.)
          long deadline = System.currentTimeMillis() + 30_000;
          while (!tea.isClosed() && System.currentTimeMillis() < deadline) {
            long id = tea.sendRequest(ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
                .setRoomId("o2").setText("x").setClientMsgId("after-loss")));
            ServerMessage m = tea.poll(r -> r.getRequestId() == id, java.time.Duration.ofSeconds(3));
            if (m != null) {
              ErrorInfo e = TestClient.error(m);
              assertEquals(ErrorCode.UNAVAILABLE, e.getCode(), m::toString);
              assertTrue(e.getRetryable());
            }
            Thread.sleep(100); // the client's retry pause
          }
          assertEquals(io.ponte.protocol.CloseCode.INTERNAL_ERROR.code(), tea.awaitClose());
        }
        try (TestClient tea = a.user("tea", "o2", Role.TEACHER)) {
          io.ponte.protocol.v1.Joined j = tea.join("o2", 3, epoch);
          assertTrue(j.getReset(), () -> "a reset into the new epoch: " + j);
          assertTrue(!j.getEpoch().equals(epoch), "a new epoch");
          assertEquals(3, j.getSeq());
          assertEquals(3, j.getSnapshot().getRecentMessagesCount(), "the stored messages survive");
          assertEquals(4, retryUntilAcked(tea, "o2", "x", "after-loss"));
        }
      }
    }
  }

  private static ServerMessage postWithId(TestClient c, String text, String clientMsgId) {
    return c.post(ChatPost.newBuilder().setRoomId("o1").setText(text).setClientMsgId(clientMsgId));
  }

  /** What a client does with a retryable error: send the same post again, a bit later. */
  private static long retryUntilAcked(TestClient c, String text, String clientMsgId)
      throws InterruptedException {
    return retryUntilAcked(c, "o1", text, clientMsgId);
  }

  private static long retryUntilAcked(TestClient c, String room, String text, String clientMsgId)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      ServerMessage m = c.post(ChatPost.newBuilder().setRoomId(room).setText(text)
          .setClientMsgId(clientMsgId));
      if (m.hasAck()) {
        return m.getAck().getSeq();
      }
      ErrorInfo e = TestClient.error(m);
      assertEquals(ErrorCode.UNAVAILABLE, e.getCode(), m::toString);
      assertTrue(e.getRetryable());
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("still refused after Redis came back: " + m);
      }
      Thread.sleep(Math.max(100, e.getRetryAfterMs())); // the client's retry pause
    }
  }

  private static int awaitReadyStatus(TestServer s, int wanted) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    int status;
    do {
      status = s.http("GET", "/health/ready", null, null).statusCode();
      if (status == wanted) {
        return status;
      }
      Thread.sleep(100);
    } while (System.currentTimeMillis() < deadline);
    return status;
  }
}
