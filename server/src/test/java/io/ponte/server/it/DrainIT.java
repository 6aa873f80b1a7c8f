package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * POST /admin/drain, as a rolling deploy's preStop hook calls it: the node stops being ready and
 * refuses upgrades at once, answers every write it has read, sends each client to resume
 * elsewhere with 4102, unloads its rooms and reports; idempotent; refused without the admin
 * token. Two nodes share Redis and PostgreSQL, so the drained node's clients resume on the other.
 */
@Timeout(180)
class DrainIT {
  static final String ROOM = "drain";

  @TempDir Path dir;

  private final String prefix = RedisFixture.newPrefix();
  private PgTestSchema schema;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeEach
  void setUp() {
    schema = PgTestSchema.create();
  }

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    schema.close();
  }

  private UnaryOperator<PonteConfig.Builder> node(String id, int spreadMs, int timeoutMs) {
    return b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix).nodeId(id)
        .storeUrl(schema.url()).drainCloseSpreadMs(spreadMs).drainTimeoutMs(timeoutMs)
        // The writers below pipeline hundreds of posts a second: no flood refusal here.
        .rateMessagesPerSecond(2000).rateMessagesBurst(4000);
  }

  /** One writer's record: what it sent, in order, and what was answered. */
  private static final class Writer {
    final String user;
    final TestClient client;
    final List<long[]> requests = new ArrayList<>(); // {requestId, n}
    final Map<Long, Long> ackedSeqByN = new TreeMap<>();
    final List<Long> unanswered = new ArrayList<>();
    /** Refused as retryable (UNAVAILABLE): resent; may have been sequenced after all. */
    final List<Long> retry = new ArrayList<>();
    final Joined joined;

    Writer(String user, TestClient client, Joined joined) {
      this.user = user;
      this.client = client;
      this.joined = joined;
    }

    String id(long n) {
      return user + "." + n;
    }

    String text(long n) {
      return "post " + n + " of " + user;
    }
  }

  @Test
  void drainAnswersWritesInFlightThenSendsEveryoneToResumeElsewhere() throws Exception {
    try (RedisFixture.Dedicated redis = RedisFixture.dedicated(false);
        TestServer a = new TestServer(dir.resolve("a"), x -> node("node-a", 400, 60_000).apply(x)
            .redisUrl(redis.url()));
        TestServer b = new TestServer(dir.resolve("b"), x -> node("node-b", 400, 60_000).apply(x)
            .redisUrl(redis.url()))) {
      a.createRoom(ROOM);
      TestClient watcher = b.user("watcher", ROOM, Role.TEACHER);
      String epoch = watcher.join(ROOM).getEpoch();
      // Writers join at seq 1, not 0: a Join with last_seq 0 asks for a fresh start, not a resume.
      assertEquals(1, watcher.post(ROOM, "before the writers").getSeq());
      List<Writer> writers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        TestClient c = a.user("w" + i, ROOM, Role.STUDENT);
        writers.add(new Writer("w" + i, c, c.join(ROOM)));
      }
      // Each writer sends bursts of posts, without waiting for answers, until its socket closes:
      // when the drain comes, some are being sequenced and stored, some not yet read.
      CompletableFuture<Void> draining = new CompletableFuture<>();
      List<Future<?>> sending = new ArrayList<>();
      for (Writer w : writers) {
        sending.add(pool.submit(() -> {
          long n = 0;
          while (!w.client.isClosed() && n < 2000) {
            for (int k = 0; k < 4; k++) {
              n++;
              long id = w.client.sendRequest(ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
                  .setRoomId(ROOM).setText(w.text(n)).setClientMsgId(w.id(n))));
              synchronized (w.requests) {
                w.requests.add(new long[] {id, n});
              }
            }
            if (n >= 40) {
              draining.complete(null);
            }
            Thread.sleep(20);
          }
          return null;
        }));
      }
      draining.get(30, TimeUnit.SECONDS);
      HttpResponse<String> drained = a.admin("POST", "/admin/drain", null);
      assertEquals(200, drained.statusCode(), drained.body());
      JsonObject report = new JsonObject(drained.body());
      assertEquals("drained", report.getString("state"), report.encode());
      assertEquals(0, report.getInteger("socketsClosedUnanswered"), report.encode());
      assertTrue(report.getInteger("socketsClosed") >= writers.size(), report.encode());
      assertTrue(report.getInteger("roomsUnloaded") >= 1, report.encode());
      for (Future<?> f : sending) {
        f.get(30, TimeUnit.SECONDS);
      }

      int answered = 0;
      int neverRead = 0;
      for (Writer w : writers) {
        assertEquals(CloseCode.SERVER_SHUTDOWN.code(), w.client.awaitClose(), w.user + " told to resume");
        // Everything the server sent came before the close: answers, events, the Goodbye. All of
        // it into the client's stash first, so that a lookup never stops short of a late answer.
        w.client.discard(m -> false);
        for (long[] r : w.requests) {
          ServerMessage answer = w.client.poll(m -> m.getRequestId() == r[0], Duration.ofMillis(1));
          if (answer == null) {
            w.unanswered.add(r[1]);
          } else if (answer.hasError()) {
            // Redis slower than its timeout on a loaded machine: a client retries these.
            assertTrue(answer.getError().getRetryable(), () -> w.user + ": " + answer);
            w.retry.add(r[1]);
          } else {
            assertEquals(ServerMessage.BodyCase.ACK, answer.getBodyCase(), () -> w.user + ": " + answer);
            assertFalse(answer.getAck().getDuplicate());
            w.ackedSeqByN.put(r[1], answer.getAck().getSeq());
          }
        }
        // Answers came in the order of the writes, and nothing answered follows something not
        // read: the unanswered writes are the tail of what was sent.
        if (!w.unanswered.isEmpty()) {
          long firstUnanswered = w.unanswered.get(0);
          assertTrue(w.ackedSeqByN.keySet().stream().allMatch(n -> n < firstUnanswered)
                  && w.retry.stream().allMatch(n -> n < firstUnanswered),
              () -> w.user + ": an answered write after an unanswered one " + w.unanswered);
        }
        answered += w.ackedSeqByN.size();
        neverRead += w.unanswered.size();
      }
      System.out.printf("drain: %d writes answered before the close, %d never read (resent)%n",
          answered, neverRead);
      assertTrue(answered > 0, "writes were answered before the close");

      // Each writer resumes on node b from the last seq it saw: no gap, no reset; then resends
      // what went unanswered under the same client message ids. Each resend is new to the room
      // (never read by a), and so is acked as such, not as a duplicate.
      Map<String, Long> storedExpected = new HashMap<>();
      java.util.Set<String> retried = new java.util.HashSet<>();
      for (Writer w : writers) {
        TreeMap<Long, Event> seen = new TreeMap<>();
        ServerMessage m;
        while ((m = w.client.poll(x -> x.hasEvent() && x.getEvent().getSeq() > 0, Duration.ofMillis(1))) != null) {
          assertTrue(seen.put(m.getEvent().getSeq(), m.getEvent()) == null, "an event twice");
        }
        long seenUpTo = w.joined.getSeq();
        for (long seq : seen.keySet()) {
          assertEquals(++seenUpTo, seq, w.user + ": events gap-free before the close");
        }
        long last = seenUpTo;
        TestClient again = b.user(w.user, ROOM, Role.STUDENT);
        Joined resumed = again.join(ROOM, last, epoch);
        assertFalse(resumed.getReset(), () -> w.user + " resumed without a reset: from " + last
            + " to " + resumed.getSeq());
        assertEquals(resumed.getSeq() - last, resumed.getMissedCount(), "exactly the missed events");
        for (long n : w.unanswered) {
          Ack ack = TestClient.ack(again.request(ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
              .setRoomId(ROOM).setText(w.text(n)).setClientMsgId(w.id(n)))));
          assertFalse(ack.getDuplicate(), () -> w.user + ": write " + n
              + " went unanswered before the close, yet node a had read and sequenced it");
          w.ackedSeqByN.put(n, ack.getSeq());
        }
        for (long n : w.retry) {
          retried.add(w.id(n));
          Ack ack = TestClient.ack(again.request(ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
              .setRoomId(ROOM).setText(w.text(n)).setClientMsgId(w.id(n)))));
          w.ackedSeqByN.put(n, ack.getSeq()); // the original's seq when it was sequenced after all
        }
        for (Map.Entry<Long, Long> e : w.ackedSeqByN.entrySet()) {
          storedExpected.put(w.id(e.getKey()), e.getValue());
        }
        again.close();
      }

      // The store: gap-free seqs, every write once, at the seq its ack named.
      List<SequencedOperation> ops = b.server().store().operations(ROOM, 0, 100_000)
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Map<String, List<Long>> stored = new LinkedHashMap<>();
      long seq = 0;
      for (SequencedOperation op : ops) {
        assertEquals(++seq, op.getSeq(), "stored seqs are gap-free");
        if (op.getOperation().hasChatPost() && op.getOperation().getClientMsgId().matches("w\\d+\\.\\d+")) {
          stored.computeIfAbsent(op.getOperation().getClientMsgId(), k -> new ArrayList<>()).add(op.getSeq());
        }
      }
      assertEquals(storedExpected.keySet(), stored.keySet(), "every write stored");
      for (Map.Entry<String, Long> e : storedExpected.entrySet()) {
        List<Long> copies = stored.get(e.getKey());
        // A write refused as retryable may have been sequenced after all, and then its retry too
        // (the room applies the second copy as a skipped duplicate): stored at its acked seq.
        assertTrue(copies.equals(List.of(e.getValue())) || retried.contains(e.getKey())
                && copies.contains(e.getValue()),
            () -> e.getKey() + " acked at " + e.getValue() + ", stored at " + copies);
      }
      // The watcher on node b saw the whole room, in order.
      long watched = 0;
      for (long s = 1; s <= seq; s++) {
        Event e = watcher.nextEvent(ROOM);
        assertEquals(++watched, e.getSeq());
      }
      watcher.close();
    }
  }

  @Test
  void duringTheDrainTheNodeIsNotReadyAndRefusesUpgradesWhileItsSocketsStillServe() throws Exception {
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a", 4000, 60_000))) {
      a.createRoom(ROOM);
      TestClient one = a.user("one", ROOM, Role.TEACHER);
      one.join(ROOM);
      TestClient two = a.user("two", ROOM, Role.STUDENT);
      two.join(ROOM);
      assertEquals(200, a.http("GET", "/health/ready", null, null).statusCode());
      assertEquals("serving", new JsonObject(a.admin("GET", "/admin/drain", null).body()).getString("state"));

      CompletableFuture<HttpResponse<String>> post = CompletableFuture.supplyAsync(
          () -> a.admin("POST", "/admin/drain", null), pool);
      // One socket is closed at once, the other at the end of the spread (4 s).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!one.isClosed() && !two.isClosed() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      TestClient first = one.isClosed() ? one : two;
      TestClient last = first == one ? two : one;
      assertEquals(CloseCode.SERVER_SHUTDOWN.code(), first.awaitClose());
      assertFalse(last.isClosed(), "the closes are spread");
      assertEquals(503, a.http("GET", "/health/ready", null, null).statusCode());
      assertTrue(a.http("GET", "/metrics", null, null).body().contains("ponte_ready 0.0"));
      assertEquals(503, TestClient.upgradeStatus(a.clientVertx(), a.port(), "ponte.v1.proto", null));
      String token = a.token("late", "Late", ROOM, Role.STUDENT);
      for (String path : List.of("/yjs/" + ROOM + "/notes?token=" + token, "/hocuspocus")) {
        AssertionError refused = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
            () -> RawWebSocket.open(a.port(), path, "").close());
        assertTrue(refused.getMessage().contains("503"), path + ": " + refused.getMessage());
      }
      JsonObject status = new JsonObject(a.admin("GET", "/admin/drain", null).body());
      assertEquals("draining", status.getString("state"), status.encode());
      assertEquals(2, status.getInteger("socketsToClose"));
      // A socket whose turn has not come serves as before.
      assertTrue(last.post(ROOM, "still here").getSeq() > 0);
      assertEquals(CloseCode.SERVER_SHUTDOWN.code(), last.awaitClose());
      HttpResponse<String> done = post.get(60, TimeUnit.SECONDS);
      assertEquals(200, done.statusCode(), done.body());
      JsonObject report = new JsonObject(done.body());
      assertEquals(2, report.getInteger("socketsClosed"));
      assertTrue(report.getLong("durationMs") >= 3000, "closes spread over drain-close-spread-ms: " + report);
      assertEquals(503, a.http("GET", "/health/ready", null, null).statusCode(), "drained stays not ready");
    }
  }

  /**
   * Redis pauses every client, so a write read by the node cannot be sequenced in time: the drain
   * closes its socket at drain-timeout-ms anyway and answers 503 TIMED_OUT; asked again, the same.
   */
  @Test
  void aDrainThatCannotAnswerAWriteInTimeTimesOutAndSaysSoAgain() throws Exception {
    try (RedisFixture.Dedicated redis = RedisFixture.dedicated(false);
        TestServer a = new TestServer(dir.resolve("a"), b -> node("node-a", 0, 1000).apply(b)
            .redisUrl(redis.url()))) {
      a.createRoom(ROOM);
      TestClient writer = a.user("writer", ROOM, Role.STUDENT);
      writer.join(ROOM);
      assertEquals("OK", redis.cli("CLIENT", "PAUSE", "4000", "ALL").strip());
      long request = writer.sendRequest(ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
          .setRoomId(ROOM).setText("stuck").setClientMsgId("writer.1")));
      Thread.sleep(200); // read by the node, waiting for Redis
      HttpResponse<String> first = a.admin("POST", "/admin/drain", null);
      assertEquals(503, first.statusCode(), first.body());
      JsonObject report = new JsonObject(first.body());
      assertEquals("TIMED_OUT", report.getString("code"), report.encode());
      assertEquals("timed_out", report.getString("state"));
      assertEquals(1, report.getInteger("socketsClosedUnanswered"), report.encode());
      assertEquals(CloseCode.SERVER_SHUTDOWN.code(), writer.awaitClose());
      assertEquals(null, writer.poll(m -> m.getRequestId() == request, Duration.ofMillis(1)),
          "the write was not answered");
      HttpResponse<String> again = a.admin("POST", "/admin/drain", null);
      assertEquals(503, again.statusCode());
      assertEquals(report, new JsonObject(again.body()), "a second drain gives the same answer");
      assertEquals("timed_out", new JsonObject(a.admin("GET", "/admin/drain", null).body()).getString("state"));
    }
  }

  @Test
  void drainNeedsTheAdminToken() throws Exception {
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a", 0, 5000))) {
      for (String auth : new String[] {null, "Bearer not-the-admin-token-0123456789"}) {
        HttpResponse<String> r = a.http("POST", "/admin/drain", null, auth);
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("UNAUTHORIZED", new JsonObject(r.body()).getString("code"));
        assertEquals(401, a.http("GET", "/admin/drain", null, auth).statusCode());
      }
      assertEquals(200, a.http("GET", "/health/ready", null, null).statusCode(), "still serving");
      TestClient c = a.user("u", "*", Role.STUDENT);
      c.assertOpen();
      c.close();
      HttpResponse<String> ok = a.admin("POST", "/admin/drain", null);
      assertEquals(200, ok.statusCode(), ok.body());
      HttpResponse<String> again = a.admin("POST", "/admin/drain", null);
      assertEquals(ok.body(), again.body(), "idempotent: the same report");
    }
  }
}
