package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis holds nothing the store does not (README, "Backups"): two nodes of a cluster (one Redis,
 * one PostgreSQL store) under chat load from clients on both, and Redis loses everything at once
 * ({@code FLUSHALL}). Every post acknowledged before, during and after is in the store, once; the
 * clients, reconnecting as clients do, get a reset into a new epoch and go on posting.
 */
@Timeout(180)
class RedisFlushIT {
  static final String ROOM = "flush-1";

  @TempDir
  Path dir;

  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  /** A client that posts as a browser client does: retries refusals, reconnects and resumes. */
  static final class Poster extends Thread {
    final TestServer node;
    final String user;
    final ConcurrentSkipListMap<Long, String> acked = new ConcurrentSkipListMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final AtomicInteger resets = new AtomicInteger();
    TestClient client;
    long lastSeq;
    String epoch = "";

    Poster(TestServer node, String user) {
      super("poster-" + user);
      this.node = node;
      this.user = user;
      connect();
    }

    private void connect() {
      client = node.user(user, ROOM, Role.TEACHER);
      Joined j = client.join(ROOM, lastSeq, epoch);
      if (lastSeq > 0 && j.getReset()) {
        resets.incrementAndGet();
      }
      epoch = j.getEpoch();
      lastSeq = Math.max(lastSeq, j.getSeq());
    }

    @Override
    public void run() {
      try {
        int i = 0;
        long deadline = 0;
        while (!stop.get()) {
          if (client.isClosed()) {
            client.close();
            connect();
          }
          String text = user + " post " + i;
          if (deadline == 0) {
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          } else if (System.nanoTime() > deadline) {
            throw new AssertionError(text + ": not acknowledged within 30 s of retries");
          }
          long id;
          try {
            id = client.sendRequest(ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
                .setRoomId(ROOM).setText(text).setClientMsgId(user + "-" + i)));
          } catch (RuntimeException closedMeanwhile) {
            continue;
          }
          ServerMessage m = client.poll(r -> r.getRequestId() == id, Duration.ofSeconds(1));
          if (m == null) {
            continue; // closed or slow: the same client_msg_id again (after a reconnect)
          }
          if (m.hasAck()) {
            acked.put(m.getAck().getSeq(), text);
            lastSeq = Math.max(lastSeq, m.getAck().getSeq());
            i++;
            deadline = 0;
            if (i % 50 == 0) {
              client.discard(x -> x.getBodyCase() == ServerMessage.BodyCase.EVENT);
            }
            continue;
          }
          ErrorInfo e = TestClient.error(m);
          assertTrue(e.getRetryable(), () -> "a refusal a client cannot retry: " + m);
          Thread.sleep(Math.max(50, e.getRetryAfterMs()));
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    }

    void awaitAcks(int n) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (acked.size() < n && failure.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(null, failure.get(), user + " failed");
      assertTrue(acked.size() >= n, user + ": only " + acked.size() + " acks");
    }

    void finish() throws InterruptedException {
      stop.set(true);
      join(30_000);
      assertEquals(null, failure.get(), user + " failed");
      client.close();
    }
  }

  @Test
  void flushingRedisUnderLoadLosesNoAcknowledgedPostAndClientsGoOn() throws Exception {
    String prefix = RedisFixture.newPrefix();
    try (RedisFixture.Dedicated redis = RedisFixture.dedicated(false)) {
      UnaryOperator<PonteConfig.Builder> config = b -> b.redisUrl(redis.url()).redisKeyPrefix(prefix)
          .storeUrl(pg.schema().url()).rateMessagesPerSecond(10_000).rateMessagesBurst(10_000);
      try (TestServer a = new TestServer(dir.resolve("a"), b -> config.apply(b).nodeId("node-a"));
          TestServer b = new TestServer(dir.resolve("b"), x -> config.apply(x).nodeId("node-b"))) {
        a.createRoom(ROOM);
        Poster onA = new Poster(a, "ana");
        Poster onB = new Poster(b, "bo");
        String before = onA.epoch;
        onA.start();
        onB.start();
        onA.awaitAcks(60);
        onB.awaitAcks(60);
        assertTrue(redis.cli("EXISTS", prefix + "{" + ROOM + "}:seq").strip().equals("1"),
            "Redis holds the room before the flush");

        assertEquals("OK", redis.cli("FLUSHALL").strip());
        int ackedAtFlush = onA.acked.size() + onB.acked.size();

        // Both go on: well past the flush, from both nodes.
        onA.awaitAcks(onA.acked.size() + 40);
        onB.awaitAcks(onB.acked.size() + 40);
        onA.finish();
        onB.finish();
        assertTrue(onA.acked.size() + onB.acked.size() >= ackedAtFlush + 80);

        for (Poster p : List.of(onA, onB)) {
          assertTrue(p.resets.get() >= 1, p.user + " resumed into a reset after the flush");
          assertNotEquals(before, p.epoch, p.user + " is in a new epoch");
        }
        assertEquals(onA.epoch, onB.epoch, "both nodes continue the same new epoch");

        // Every acknowledged post is in the store at its seq, and each once.
        Map<Long, String> stored = storedTexts();
        Map<String, Long> seqOfText = new HashMap<>();
        List<String> problems = new ArrayList<>();
        stored.forEach((seq, text) -> {
          Long other = seqOfText.put(text, seq);
          if (other != null) {
            problems.add("'" + text + "' stored twice, at " + other + " and " + seq);
          }
        });
        for (Poster p : List.of(onA, onB)) {
          p.acked.forEach((seq, text) -> {
            if (!text.equals(stored.get(seq))) {
              problems.add(p.user + ": acked " + seq + "=" + text + ", stored " + stored.get(seq));
            }
          });
        }
        assertTrue(problems.isEmpty(), () -> problems.size() + " problem(s): "
            + problems.subList(0, Math.min(10, problems.size())));
        assertTrue(stored.size() >= onA.acked.size() + onB.acked.size());
      }
    }
  }

  private Map<Long, String> storedTexts() throws Exception {
    Map<Long, String> texts = new java.util.TreeMap<>();
    try (Connection c = pg.schema().connection();
        PreparedStatement st = c.prepareStatement("SELECT seq, op FROM operations WHERE room_id = ?")) {
      st.setString(1, ROOM);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          Operation op = Operation.parseFrom(rs.getBytes(2));
          if (op.hasChatPost()) {
            texts.put(rs.getLong(1), op.getChatPost().getText());
          }
        }
      }
    }
    return texts;
  }
}
