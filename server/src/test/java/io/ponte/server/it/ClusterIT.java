package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.HistoryPage;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.auth.AuthKeys;
import io.ponte.server.auth.TokenIssuer;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster of real server processes (child JVMs running {@code Main serve}) sharing one Redis of
 * the test's own and one PostgreSQL schema of the test's own: participants of one room spread
 * over the nodes see the same events in the same order; a node killed with SIGKILL while posts
 * are in flight loses no acknowledged post, and its participants resume on another node with
 * exactly what they missed; the same through HAProxy with round-robin balancing.
 *
 * <p>Node logs go to {@code target/cluster-it/}.
 */
@Timeout(120)
class ClusterIT {
  static final String ROOM = "cluster";
  static final Duration QUIET = Duration.ofMillis(400);

  @TempDir Path dir;

  private RedisFixture.Dedicated redis;
  private PgTestSchema schema;
  private final List<Node> nodes = new ArrayList<>();
  private Process haproxy;
  private final Vertx vertx = Vertx.vertx();
  private final List<TestClient> clients = Collections.synchronizedList(new ArrayList<>());
  private final TokenIssuer issuer = new TokenIssuer(AuthKeys.of(
      TestServer.SECRET.getBytes(StandardCharsets.UTF_8), null, null, null));
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private String testName;
  private int streamMaxLength = 10_000;

  @BeforeEach
  void setUp(TestInfo info) {
    testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
    redis = RedisFixture.dedicated(false);
    schema = PgTestSchema.create();
  }

  @AfterEach
  void tearDown() throws Exception {
    pool.shutdownNow();
    for (TestClient c : List.copyOf(clients)) {
      if (!c.isClosed()) {
        c.close();
      }
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    if (haproxy != null) {
      haproxy.destroyForcibly();
      haproxy.waitFor(10, TimeUnit.SECONDS);
    }
    for (Node n : nodes) {
      n.kill();
    }
    redis.close();
    schema.close();
  }

  // ------------------------------------------------------------------------------------------
  // Tests
  // ------------------------------------------------------------------------------------------

  @Test
  @Timeout(60)
  void participantsOnDifferentNodesSeeTheSameEventsInTheSameOrder() throws Exception {
    startNodes(3);
    createRoom(nodes.get(0).port);
    int perPoster = 25;
    List<TestClient> posters = new ArrayList<>();
    List<TestClient> watchers = new ArrayList<>();
    for (int n = 0; n < nodes.size(); n++) {
      for (int p = 0; p < 2; p++) {
        TestClient c = user(nodes.get(n).port, "p" + n + "x" + p, Role.STUDENT);
        assertEquals(0, c.join(ROOM).getSeq());
        posters.add(c);
      }
      TestClient w = user(nodes.get(n).port, "w" + n, Role.TEACHER);
      w.join(ROOM);
      watchers.add(w);
    }
    // Every poster posts concurrently with the others, pipelining a few posts at a time.
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Map<Long, String>>> acks = new ArrayList<>();
    for (int i = 0; i < posters.size(); i++) {
      TestClient c = posters.get(i);
      String prefix = "poster " + i + " #";
      acks.add(pool.submit(() -> {
        go.await();
        return postMany(c, prefix, perPoster, 4, new AtomicBoolean());
      }));
    }
    go.countDown();
    Map<Long, String> acked = new TreeMap<>();
    for (Future<Map<Long, String>> f : acks) {
      Map<Long, String> a = f.get(30, TimeUnit.SECONDS);
      assertEquals(perPoster, a.size(), "every post acknowledged");
      for (Map.Entry<Long, String> e : a.entrySet()) {
        assertTrue(acked.put(e.getKey(), e.getValue()) == null, "seq acked twice: " + e.getKey());
      }
    }
    long total = (long) perPoster * posters.size();
    assertEquals(total, acked.size());
    // A post refused as retryable (UNAVAILABLE when Redis answers late on a loaded machine) is sent
    // again under its client_msg_id. If the first one was sequenced after all, the retry's seq is
    // a skipped duplicate: seqs are then 1..last with those skips, and the text still appears once.
    long last = ((TreeMap<Long, String>) acked).lastKey();
    assertEquals(1L, ((TreeMap<Long, String>) acked).firstKey(), "acked seqs start at 1");

    List<TestClient> everyone = new ArrayList<>(posters);
    everyone.addAll(watchers);
    for (TestClient c : everyone) {
      NavigableMap<Long, String> seen = new TreeMap<>();
      collect(c, seen, 0, last);
      assertEquals(acked, seen, "a participant's events (seq -> text) differ from the acks");
      assertFalse(c.receives(m -> m.hasEvent() && m.getEvent().getSeq() > 0, Duration.ofMillis(50)),
          "no durable event beyond those posted");
    }
    // History on every node is the same, gap-free.
    for (TestClient w : watchers) {
      assertEquals(acked, history(w));
    }
  }

  /**
   * A node that falls behind by more than the room's Redis stream (frozen, its pub/sub connection
   * cut, while the room went on) takes what the stream no longer has from the shared store: its
   * member sees every seq, in order, and the room goes on.
   */
  @Test
  @Timeout(120)
  void aNodeBehindByMoreThanTheStreamTakesTheMissingOperationsFromTheStore() throws Exception {
    streamMaxLength = 100;
    startNodes(2);
    Node a = nodes.get(0);
    Node b = nodes.get(1);
    createRoom(a.port);
    TestClient poster = user(a.port, "poster", Role.TEACHER);
    poster.join(ROOM);
    TestClient reader = user(b.port, "reader", Role.STUDENT);
    reader.join(ROOM);
    Map<Long, String> acked = new TreeMap<>(postMany(poster, "before #", 5, 4, new AtomicBoolean()));
    NavigableMap<Long, String> seen = new TreeMap<>();
    collect(reader, seen, 0, 5);

    signal(b, "STOP");
    try {
      // Redis drops node b's subscriptions; a few hundred posts go past the stream's length.
      String killed = redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
      assertTrue(Integer.parseInt(killed.strip()) >= 1, "pub/sub connections cut: " + killed);
      acked.putAll(postMany(poster, "while b was away #", 600, 8, new AtomicBoolean()));
      assertEquals(605, acked.size(), "every post acknowledged by node a");
      String streamLength = redis.cli("XLEN", "ponte:{" + ROOM + "}:stream");
      assertTrue(Long.parseLong(streamLength.strip()) < 600, "the stream was trimmed: " + streamLength);
    } finally {
      signal(b, "CONT");
    }
    collect(reader, seen, 0, 605);
    acked.putAll(postMany(poster, "after #", 5, 4, new AtomicBoolean()));
    collect(reader, seen, 0, 610);
    assertEquals(acked, seen, "node b's member saw every post, in order");
    assertEquals(acked, history(reader));
  }

  private static void signal(Node n, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(n.process.pid())).start();
    assertEquals(0, kill.waitFor(), "kill -" + signal);
  }

  @Test
  @Timeout(90)
  void aParticipantOfANodeKilledMidPostResumesOnAnotherWithExactlyWhatItMissed() throws Exception {
    startNodes(2);
    Node a = nodes.get(0);
    Node b = nodes.get(1);
    createRoom(a.port);
    TestClient watcher = user(a.port, "tea", Role.TEACHER);
    watcher.join(ROOM);
    TestClient ana = user(b.port, "ana", Role.STUDENT);
    Joined anaJoined = ana.join(ROOM);
    String epoch = anaJoined.getEpoch();
    assertFalse(epoch.isEmpty());
    TestClient bo = user(a.port, "bo", Role.STUDENT);
    bo.join(ROOM);
    TestClient spy = user(a.port, "spy", Role.OBSERVER);
    spy.join(ROOM);
    TestClient cy = user(b.port, "cy", Role.STUDENT);
    cy.join(ROOM);

    AtomicBoolean stopBo = new AtomicBoolean();
    Map<Long, String> boAcks = new ConcurrentHashMap<>();
    Map<Long, String> cyAcks = new ConcurrentHashMap<>();
    Future<Map<Long, String>> boDone = pool.submit(
        () -> postUntil(bo, "bo #", 8, stopBo, boAcks));
    Future<Map<Long, String>> cyDone = pool.submit(
        () -> postUntil(cy, "cy #", 8, new AtomicBoolean(), cyAcks));
    awaitCondition(() -> boAcks.size() >= 20 && cyAcks.size() >= 20, "posts acknowledged on both");
    stopBo.set(true);
    boDone.get(20, TimeUnit.SECONDS);

    // Hold every store write, so that node b sequences cy's next posts in Redis (node a delivers
    // them) but dies before storing (and acknowledging) them.
    long ackedSoFar = Math.max(Collections.max(boAcks.keySet()), Collections.max(cyAcks.keySet()));
    try (Connection lock = schema.connection()) {
      lock.setAutoCommit(false);
      try (Statement st = lock.createStatement()) {
        st.execute("LOCK TABLE operations IN EXCLUSIVE MODE");
      }
      spy.await(m -> m.hasEvent() && m.getEvent().getSeq() >= ackedSoFar + 3,
          "posts sequenced while the store is held");
      b.killHard();
      lock.rollback();
    }
    assertTrue(ana.awaitClose() != 1000, "ana's socket to the killed node is not closed normally");
    cyDone.get(20, TimeUnit.SECONDS);
    assertTrue(cy.isClosed());
    // What ana received before her node died: gap-free from where she joined.
    NavigableMap<Long, String> anaSeen = new TreeMap<>();
    drain(ana, anaSeen, anaJoined.getSeq());
    long lastSeq = anaSeen.isEmpty() ? anaJoined.getSeq() : anaSeen.lastKey();
    // The room goes on without her on the surviving node.
    int boBefore = boAcks.size();
    AtomicBoolean stopBo2 = new AtomicBoolean();
    Future<Map<Long, String>> boDone2 = pool.submit(
        () -> postUntil(bo, "bo again #", 8, stopBo2, boAcks));
    awaitCondition(() -> boAcks.size() >= boBefore + 15, "posts on the surviving node");
    stopBo2.set(true);
    boDone2.get(20, TimeUnit.SECONDS);

    // Ana reconnects to the surviving node with her last seq and epoch.
    TestClient ana2 = user(a.port, "ana", Role.STUDENT);
    Joined resumed = ana2.join(ROOM, lastSeq, epoch);
    assertFalse(resumed.getReset(), () -> "expected the missed events, got a reset: seq "
        + resumed.getSeq());
    assertEquals(epoch, resumed.getEpoch());
    assertEquals(resumed.getSeq() - lastSeq, resumed.getMissedCount(),
        "exactly the events after her last seq");
    NavigableMap<Long, String> anaAll = new TreeMap<>(anaSeen);
    long expect = lastSeq;
    for (Event e : resumed.getMissedList()) {
      assertEquals(++expect, e.getSeq(), "missed events in order without gaps");
      anaAll.put(e.getSeq(), e.getChatPosted().getText());
    }
    long finalSeq = resumed.getSeq();

    // The watcher on the surviving node saw every event once, in order; ana's view equals it.
    NavigableMap<Long, String> reference = new TreeMap<>();
    collect(watcher, reference, 0, finalSeq);
    assertEquals(reference.subMap(anaJoined.getSeq(), false, finalSeq, true), anaAll);
    assertFalse(ana2.receives(m -> m.hasEvent() && m.getEvent().getSeq() > 0, QUIET),
        "nothing she got in Joined arrives again");

    // No acknowledged post is lost: every ack is in the surviving node's history, gap-free.
    Map<Long, String> history = history(watcher);
    assertGapFree(history, finalSeq);
    assertEquals(reference, history);
    assertAcked(history, boAcks);
    assertAcked(history, cyAcks);
    assertTrue(cyAcks.size() >= 20 && boAcks.size() >= 35);

    // And the room goes on: a new post reaches the resumed participant next.
    assertEquals(finalSeq + 1, watcher.post(ROOM, "after the crash").getSeq());
    Event next = ana2.nextEvent(ROOM);
    assertEquals(finalSeq + 1, next.getSeq());
    assertEquals("after the crash", next.getChatPosted().getText());

    // A node started now loads the room from PostgreSQL (where the posts node b sequenced but
    // never stored are missing) and the Redis stream: the same history.
    reference.put(finalSeq + 1, "after the crash");
    startNodes(1);
    TestClient late = user(nodes.get(2).port, "lee", Role.OBSERVER);
    assertEquals(finalSeq + 1, late.join(ROOM).getSeq());
    assertEquals(reference, history(late));
  }

  @Test
  @Timeout(90)
  void throughHaproxyRoundRobinClientsOfAKilledNodeResumeWithoutGaps() throws Exception {
    startNodes(2);
    int front = startHaproxy();
    createRoom(nodes.get(0).port);
    // Round robin: the connections are spread over both nodes.
    int count = 6;
    List<TestClient> cs = new ArrayList<>();
    List<Joined> joined = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TestClient c = user(front, "u" + i, i == 0 ? Role.TEACHER : Role.STUDENT);
      joined.add(c.join(ROOM));
      cs.add(c);
    }
    String epoch = joined.get(0).getEpoch();
    // HAProxy names the node of each connection in the upgrade response.
    List<Integer> dropped = new ArrayList<>();
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String node = cs.get(i).handshakeHeader("X-Ponte-Node");
      assertTrue(node != null && node.startsWith("node"), "X-Ponte-Node: " + node);
      (node.equals(nodes.get(1).id) ? dropped : kept).add(i);
    }
    assertTrue(!dropped.isEmpty() && !kept.isEmpty(),
        "round robin spread the clients over both nodes: on node2 " + dropped + ", on node1 " + kept);
    // One client on each node posts; everyone receives.
    List<Integer> posters = List.of(dropped.get(0), kept.get(0));
    AtomicBoolean stop = new AtomicBoolean();
    List<Map<Long, String>> acks = List.of(new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    List<Future<Map<Long, String>>> posting = new ArrayList<>();
    for (int k = 0; k < 2; k++) {
      TestClient c = cs.get(posters.get(k));
      Map<Long, String> mine = acks.get(k);
      String prefix = "u" + posters.get(k) + " #";
      posting.add(pool.submit(() -> postUntil(c, prefix, 6, stop, mine)));
    }
    awaitCondition(() -> acks.get(0).size() >= 15 && acks.get(1).size() >= 15, "posts acked");

    nodes.get(1).killHard();
    for (int i : dropped) {
      cs.get(i).awaitClose();
    }
    // The poster on the dead node stops when its socket drops.
    posting.get(0).get(20, TimeUnit.SECONDS);

    // Each dropped client reconnects through HAProxy (which sends it to the live node) and
    // resumes from what it had.
    Map<Integer, NavigableMap<Long, String>> seen = new LinkedHashMap<>();
    Map<Integer, TestClient> now = new LinkedHashMap<>();
    Map<Integer, Long> resumedAt = new LinkedHashMap<>();
    for (int i : dropped) {
      NavigableMap<Long, String> s = new TreeMap<>();
      drain(cs.get(i), s, joined.get(i).getSeq());
      long last = s.isEmpty() ? joined.get(i).getSeq() : s.lastKey();
      TestClient again = reconnect(front, "u" + i, i == 0 ? Role.TEACHER : Role.STUDENT);
      Joined r = again.join(ROOM, last, epoch);
      assertFalse(r.getReset(), "client " + i + " resumed without a reset");
      assertEquals(epoch, r.getEpoch());
      assertEquals(r.getSeq() - last, r.getMissedCount(), "exactly the missed events");
      long expect = last;
      for (Event e : r.getMissedList()) {
        assertEquals(++expect, e.getSeq());
        s.put(e.getSeq(), e.getChatPosted().getText());
      }
      seen.put(i, s);
      now.put(i, again);
      resumedAt.put(i, r.getSeq());
    }
    // Posting goes on after the resume, then stops.
    int live = 1;
    int liveBefore = acks.get(live).size();
    awaitCondition(() -> acks.get(live).size() >= liveBefore + 10, "posts after the resume");
    stop.set(true);
    for (Future<Map<Long, String>> f : posting) {
      f.get(20, TimeUnit.SECONDS);
    }
    TestClient survivor = cs.get(kept.get(0));
    long finalSeq = TestClient.ack(survivor.request(ClientMessage.newBuilder().setChatPost(
        ChatPost.newBuilder().setRoomId(ROOM).setText("the end")))).getSeq();
    Map<Long, String> history = history(survivor);
    assertGapFree(history, finalSeq);
    assertAcked(history, acks.get(0));
    assertAcked(history, acks.get(1));
    assertEquals("the end", history.get(finalSeq));

    // Every client, resumed or not, has exactly the room's events from where it joined.
    for (int i = 0; i < count; i++) {
      NavigableMap<Long, String> s = seen.getOrDefault(i, new TreeMap<>());
      TestClient c = now.getOrDefault(i, cs.get(i));
      collect(c, s, s.isEmpty() ? joined.get(i).getSeq() : s.lastKey(), finalSeq);
      assertEquals(new TreeMap<>(history).subMap(joined.get(i).getSeq(), false, finalSeq, true), s,
          "client " + i + " (" + (dropped.contains(i) ? "resumed at " + resumedAt.get(i) : "kept")
              + ") sees the room's events");
      if (!dropped.contains(i)) {
        c.assertOpen();
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Posting and receiving
  // ------------------------------------------------------------------------------------------

  /** Posts {@code count} messages with up to {@code window} in flight; returns seq -> text of the acks. */
  private static Map<Long, String> postMany(TestClient c, String prefix, int count, int window,
      AtomicBoolean stop) {
    Map<Long, String> acked = new ConcurrentHashMap<>();
    post(c, prefix, count, window, stop, acked, true);
    return acked;
  }

  /** Posts until stopped or the connection drops, recording acks into {@code acked} as they come. */
  private static Map<Long, String> postUntil(TestClient c, String prefix, int window,
      AtomicBoolean stop, Map<Long, String> acked) {
    post(c, prefix, Integer.MAX_VALUE, window, stop, acked, false);
    return acked;
  }

  /**
   * Posts with up to {@code window} in flight. With {@code retry}, a retryable refusal is sent again
   * (after its retry_after_ms) under a client_msg_id, as a client does; without, it stays unacked.
   */
  private static void post(TestClient c, String prefix, int count, int window, AtomicBoolean stop,
      Map<Long, String> acked, boolean retry) {
    Map<Long, String> inFlight = new LinkedHashMap<>();
    ArrayDeque<String> again = new ArrayDeque<>();
    int sent = 0;
    while (true) {
      boolean more = (sent < count || !again.isEmpty()) && !stop.get() && !c.isClosed();
      if (more && inFlight.size() < window) {
        String text = again.isEmpty() ? prefix + sent++ : again.poll();
        ChatPost.Builder post = ChatPost.newBuilder().setRoomId(ROOM).setText(text);
        if (retry) {
          post.setClientMsgId(text.replace(' ', '_'));
        }
        inFlight.put(c.sendRequest(ClientMessage.newBuilder().setChatPost(post)), text);
        continue;
      }
      if (inFlight.isEmpty()) {
        return;
      }
      ServerMessage m = c.poll(x -> inFlight.containsKey(x.getRequestId()), Duration.ofMillis(200));
      if (m == null) {
        if (c.isClosed()) {
          // Answers still queued were read above; the rest never came: not acknowledged.
          ServerMessage late;
          while ((late = c.poll(x -> inFlight.containsKey(x.getRequestId()), Duration.ofMillis(50)))
              != null) {
            record(late, inFlight, acked, null);
          }
          return;
        }
        continue;
      }
      record(m, inFlight, acked, retry ? again : null);
    }
  }

  private static void record(ServerMessage m, Map<Long, String> inFlight, Map<Long, String> acked,
      ArrayDeque<String> again) {
    String text = inFlight.remove(m.getRequestId());
    if (m.getBodyCase() == ServerMessage.BodyCase.ACK) {
      String before = acked.put(m.getAck().getSeq(), text);
      assertTrue(before == null, "seq acked twice");
    } else {
      // A retryable refusal is fine (the post is not acknowledged, or is sent again); anything else
      // is a bug.
      assertEquals(ServerMessage.BodyCase.ERROR, m.getBodyCase(), m::toString);
      assertTrue(m.getError().getRetryable(), () -> "non-retryable error: " + m.getError());
      if (again != null) {
        try {
          Thread.sleep(Math.min(1000, Math.max(20, m.getError().getRetryAfterMs())));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        again.add(text);
      }
    }
  }

  /** Receives the room's durable events up to {@code upTo}, each exactly once, in seq order. */
  private static void collect(TestClient c, NavigableMap<Long, String> seen, long after, long upTo) {
    long last = seen.isEmpty() ? after : seen.lastKey();
    while (last < upTo) {
      Event e = c.await(m -> m.hasEvent() && m.getEvent().getSeq() > 0
          && m.getEvent().getRoomId().equals(ROOM), "event after " + seen.size() + " events",
          Duration.ofSeconds(10)).getEvent();
      assertEquals(last + 1, e.getSeq(), "events arrive in seq order without gaps or repeats");
      if (e.hasChatPosted()) {
        seen.put(e.getSeq(), e.getChatPosted().getText());
      } else {
        // Only a retried duplicate is skipped here; it never repeats a text (checked by the caller).
        assertTrue(e.hasSkipped(), () -> "a chat post or a skipped duplicate, got " + e);
      }
      last = e.getSeq();
    }
  }

  /** What a closed client had received: gap-free from {@code after}. */
  private static void drain(TestClient c, NavigableMap<Long, String> seen, long after) {
    long last = seen.isEmpty() ? after : seen.lastKey();
    ServerMessage m;
    while ((m = c.poll(x -> x.hasEvent() && x.getEvent().getSeq() > 0, Duration.ofMillis(100)))
        != null) {
      Event e = m.getEvent();
      assertEquals(last + 1, e.getSeq(), "events arrive in seq order without gaps or repeats");
      seen.put(e.getSeq(), e.getChatPosted().getText());
      last = e.getSeq();
    }
  }

  /** The whole chat history the client may see, seq -> text, through history pages. */
  private static Map<Long, String> history(TestClient c) {
    TreeMap<Long, String> all = new TreeMap<>();
    long before = 0;
    while (true) {
      HistoryPage page = c.history(ROOM, before, 50);
      for (ChatMessage m : page.getMessagesList()) {
        assertTrue(all.put(m.getSeq(), m.getText()) == null, "message twice in history");
      }
      if (!page.getMore()) {
        return all;
      }
      assertFalse(page.getMessagesList().isEmpty(), "more=true with an empty page");
      before = page.getMessages(0).getSeq();
    }
  }

  private static void assertGapFree(Map<Long, String> history, long lastSeq) {
    List<Long> seqs = new ArrayList<>(new TreeMap<>(history).keySet());
    assertEquals(lastSeq, seqs.size(), "history holds every seq 1.." + lastSeq);
    for (int i = 0; i < seqs.size(); i++) {
      assertEquals(i + 1L, seqs.get(i), "history seqs are gap-free");
    }
  }

  private static void assertAcked(Map<Long, String> history, Map<Long, String> acked) {
    assertFalse(acked.isEmpty());
    for (Map.Entry<Long, String> e : acked.entrySet()) {
      assertEquals(e.getValue(), history.get(e.getKey()), "acknowledged post " + e.getKey());
    }
  }

  private static void awaitCondition(java.util.function.BooleanSupplier ok, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!ok.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Clients
  // ------------------------------------------------------------------------------------------

  private TestClient user(int port, String userId, Role role) {
    TestClient c = TestClient.connect(vertx, port, WireFormat.PROTO);
    clients.add(c);
    c.hello(issuer.mint(userId, "User " + userId, Map.of(ROOM, role), Duration.ofHours(1), false));
    return c;
  }

  /** Connects through the balancer, retrying while it still sends some attempts to the dead node. */
  private TestClient reconnect(int port, String userId, Role role) throws InterruptedException {
    AssertionError last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        return user(port, userId, role);
      } catch (AssertionError e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw last;
  }

  private void createRoom(int port) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/admin/rooms"))
        .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            new JsonObject().put("id", ROOM).put("title", "Cluster room").encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r::body);
  }

  // ------------------------------------------------------------------------------------------
  // Processes
  // ------------------------------------------------------------------------------------------

  private final class Node {
    final String id;
    final int port;
    final Path log;
    final Process process;

    Node(String id, int port, Path log, Process process) {
      this.id = id;
      this.port = port;
      this.log = log;
      this.process = process;
    }

    void killHard() throws InterruptedException {
      process.destroyForcibly();
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), id + " did not die");
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }

  private static Path logDir() throws IOException {
    Path logs = Path.of("target", "cluster-it").toAbsolutePath();
    Files.createDirectories(logs);
    return logs;
  }

  private void startNodes(int count) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    int first = nodes.size() + 1;
    for (int i = first; i < first + count; i++) {
      String id = "node" + i;
      int port = freePort();
      Path log = logDir().resolve(testName + "-" + id + ".log");
      Files.deleteIfExists(log);
      Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
          "io.ponte.server.Main", "serve",
          "--http-host", "127.0.0.1", "--http-port", Integer.toString(port),
          "--data-dir", dir.resolve(id).toString(), "--node-id", id,
          "--redis-url", redis.url(), "--store-url", schema.url(),
          "--jwt-secret", TestServer.SECRET, "--admin-token", TestServer.ADMIN_TOKEN,
          "--event-loops", "2", "--presence-lease-ms", "3000",
          "--rate-messages-per-second", "10000", "--rate-messages-burst", "10000",
          "--redis-stream-max-length", Integer.toString(streamMaxLength))
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      nodes.add(new Node(id, port, log, p));
    }
    for (Node n : nodes.subList(first - 1, nodes.size())) {
      awaitReady(n.port, n.process, n.log);
    }
  }

  private void awaitReady(int port, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        fail("process on port " + port + " exited with " + process.exitValue() + "; log " + log
            + ":\n" + tail(log));
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/health/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    fail("not ready on port " + port + " within 40 s; log " + log + ":\n" + tail(log));
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /**
   * HAProxy in front of the nodes, configured like ops/haproxy/haproxy.cfg (round robin, no
   * stickiness, ready checks) with short check intervals and redispatch of failed connects.
   * Fails (never skips) when haproxy is not installed.
   */
  private int startHaproxy() throws Exception {
    int front = freePort();
    StringBuilder cfg = new StringBuilder()
        .append("global\n    maxconn 1000\n")
        .append("defaults\n    mode http\n    option http-server-close\n")
        .append("    option redispatch\n    retries 3\n")
        .append("    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n")
        .append("    timeout tunnel 2m\n    timeout http-request 10s\n")
        .append("    timeout client-fin 5s\n")
        .append("frontend ponte\n    bind 127.0.0.1:").append(front).append('\n')
        .append("    default_backend ponte_nodes\n")
        .append("    http-response set-header X-Ponte-Node %s\n")
        .append("backend ponte_nodes\n    balance roundrobin\n")
        .append("    option httpchk GET /health/ready\n    http-check expect status 200\n")
        .append("    default-server inter 300ms fall 1 rise 1\n");
    for (Node n : nodes) {
      cfg.append("    server ").append(n.id).append(" 127.0.0.1:").append(n.port)
          .append(" check\n");
    }
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg.toString());
    Path log = logDir().resolve(testName + "-haproxy.log");
    Files.deleteIfExists(log);
    try {
      haproxy = new ProcessBuilder("haproxy", "-f", file.toString(), "-db")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      fail("haproxy is required for the HAProxy cluster test and cannot be started (install it,"
          + " e.g. apt-get install haproxy): " + e.getMessage(), e);
    }
    // Ready through the balancer, for each node in turn (round robin).
    for (int i = 0; i < nodes.size(); i++) {
      awaitReady(front, haproxy, log);
    }
    return front;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
