package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.broker.RedisBroker;
import io.ponte.server.broker.RoomListener;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.ponte.server.store.PostgresStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stuck-room case and the same-seq conflict, with real nodes, a Redis of the test's own and
 * real stores. A lost seq: "node A" sequences an operation in Redis and dies before storing it
 * (a broker of its own that never reaches a store, as a node killed between the two steps), and
 * the stream is trimmed before any node adopted it. The nodes that load the room fill that seq
 * with one skipped placeholder within {@code gap-skip-after-ms}, their clients see gap-free seqs
 * and go on; of two nodes racing to fill it, one placeholder is stored. A seq written under two
 * epochs: the current epoch's operation is kept, the other lands in operation_conflicts, counted.
 */
@Timeout(180)
class LostSeqIT {
  private static final String ROOM = "lost1";
  /** The bound under test; the assertions allow it generous slack on a loaded machine. */
  private static final int SKIP_AFTER_MS = 2_000;

  @TempDir
  Path dir;

  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  private final String prefix = RedisFixture.newPrefix();
  private final RedisFixture.Dedicated redis = RedisFixture.dedicated(false);
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    redis.close();
  }

  private UnaryOperator<PonteConfig.Builder> node(String nodeId, boolean postgres) {
    return b -> {
      b.redisUrl(redis.url()).redisKeyPrefix(prefix).nodeId(nodeId).gapSkipAfterMs(SKIP_AFTER_MS);
      return postgres ? b.storeUrl(pg.schema().url()) : b;
    };
  }

  @Test
  void twoNodesLoadingARoomWithALostSeqFillItWithOnePlaceholderAndGoOn() throws Exception {
    String epoch;
    try (TestServer b = new TestServer(dir.resolve("b"), node("node-b", true));
        TestServer c = new TestServer(dir.resolve("c"), node("node-c", true))) {
      b.createRoom(ROOM);
      epoch = postThree(b, c);
    }
    // Node A sequences seq 4 and dies before storing it; node D sequences seq 5 and stores it.
    String streamKey = prefix + "{" + ROOM + "}:stream";
    assertEquals(4, sequenceWithoutStoring("ana", "lost with node a").getSeq());
    SequencedOperation five = sequenceWithoutStoring("dan", "from node d");
    assertEquals(5, five.getSeq());
    assertEquals(epoch, five.getEpoch());
    PostgresStore d = await(PostgresStore.open(pg.schema().url(), PostgresStore.Options.defaults()));
    await(d.append(ROOM, five));
    await(d.close());
    // The stream is trimmed before any node adopted seq 4.
    assertEquals("1", redis.cli("XDEL", streamKey, "4-0").strip());

    long restarted = System.currentTimeMillis();
    try (TestServer b = new TestServer(dir.resolve("b2"), node("node-b", true));
        TestServer c = new TestServer(dir.resolve("c2"), node("node-c", true));
        TestClient tea = b.user("tea", ROOM, Role.TEACHER);
        TestClient stu = c.user("stu", ROOM, Role.STUDENT)) {
      // Both nodes load the room at once: both meet the hole at seq 4.
      List<Event> onB = new ArrayList<>(tea.join(ROOM, 3, epoch).getMissedList());
      List<Event> onC = new ArrayList<>(stu.join(ROOM, 3, epoch).getMissedList());
      eventsUpTo(tea, onB, 5);
      eventsUpTo(stu, onC, 5);
      long filledAfter = System.currentTimeMillis() - restarted;
      assertTrue(filledAfter < SKIP_AFTER_MS + 60_000, "filled after " + filledAfter + " ms");
      for (List<Event> events : List.of(onB, onC)) {
        assertEquals(List.of(4L, 5L), events.stream().map(Event::getSeq).toList(), events::toString);
        assertTrue(events.get(0).hasSkipped(), events::toString);
        assertEquals("from node d", events.get(1).getChatPosted().getText());
      }
      // The room goes on, gap-free, on both nodes.
      assertEquals(6, tea.post(ROOM, "after the gap").getSeq());
      assertEquals(6, tea.nextEvent(ROOM).getSeq());
      assertEquals(6, stu.nextEvent(ROOM).getSeq());
      assertEquals(7, stu.post(ROOM, "from c").getSeq());
      assertEquals(7, tea.nextEvent(ROOM).getSeq());

      // One placeholder in the store, written by one of the two nodes, counted once.
      List<Stored> stored = storedOperations();
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), stored.stream().map(Stored::seq).toList());
      Operation placeholder = stored.get(3).op();
      assertTrue(placeholder.hasSeqSkipped(), placeholder::toString);
      String filler = placeholder.getSeqSkipped().getNode();
      assertTrue(filler.startsWith("node-b") || filler.startsWith("node-c"), filler);
      assertEquals(1, skippedMetric(b) + skippedMetric(c), "one node filled it");
      assertEquals(0, conflictMetric(b) + conflictMetric(c));

      for (TestClient client : List.of(tea, stu)) {
        assertEquals(List.of(1L, 2L, 3L, 5L, 6L, 7L), client.history(ROOM, 0, 100)
            .getMessagesList().stream().map(ChatMessage::getSeq).toList());
      }
    }
  }

  @Test
  void aNodeOnSqliteFillsALostSeqAndTheSenderWaitingBehindItIsAcknowledged() throws Exception {
    String epoch;
    try (TestServer b = new TestServer(dir.resolve("b"), node("node-b", false));
        TestClient tea = b.user("tea", ROOM, Role.TEACHER)) {
      b.createRoom(ROOM);
      epoch = tea.join(ROOM).getEpoch();
      for (int i = 1; i <= 3; i++) {
        assertEquals(i, tea.post(ROOM, "tea " + i).getSeq());
      }
    }
    assertEquals(4, sequenceWithoutStoring("ana", "lost with node a").getSeq());
    assertEquals("1", redis.cli("XDEL", prefix + "{" + ROOM + "}:stream", "4-0").strip());

    TestServer b = new TestServer(dir.resolve("b"), node("node-b", false));
    try (TestClient tea = b.user("tea", ROOM, Role.TEACHER)) {
      List<Event> events = new ArrayList<>(tea.join(ROOM, 3, epoch).getMissedList());
      // Sequenced at 5 behind the lost seq 4: answered once the room filled 4 and applied 5.
      long sent = System.currentTimeMillis();
      assertEquals(5, postAwaitingAck(tea, "behind the gap", "m5", "ack behind the gap",
          Duration.ofMillis(SKIP_AFTER_MS + 60_000)).getSeq());
      assertTrue(System.currentTimeMillis() - sent < SKIP_AFTER_MS + 60_000);
      eventsUpTo(tea, events, 5);
      assertEquals(List.of(4L, 5L), events.stream().map(Event::getSeq).toList(), events::toString);
      assertTrue(events.get(0).hasSkipped(), events::toString);
      assertEquals(1, skippedMetric(b));
    }
    // The placeholder is durable: a restarted node loads the room gap-free at once.
    b.stop();
    b.start();
    try (TestClient tea = b.user("tea", ROOM, Role.TEACHER)) {
      Joined again = tea.join(ROOM, 3, epoch);
      assertEquals(5, again.getSeq());
      assertEquals(List.of(4L, 5L), again.getMissedList().stream().map(Event::getSeq).toList());
      assertTrue(again.getMissed(0).hasSkipped());
      assertEquals(6, tea.post(ROOM, "after the restart").getSeq());
      assertEquals(0, skippedMetric(b), "nothing left to fill");
    } finally {
      b.close();
    }
  }

  @Test
  void aLiveNodeMeetingALostSeqFillsItAndDeliversWhatCameAfter() throws Exception {
    try (TestServer b = new TestServer(dir.resolve("b"), node("node-b", false));
        TestClient tea = b.user("tea", ROOM, Role.TEACHER);
        TestClient stu = b.user("stu", ROOM, Role.STUDENT)) {
      b.createRoom(ROOM);
      tea.join(ROOM);
      stu.join(ROOM);
      for (int i = 1; i <= 3; i++) {
        assertEquals(i, tea.post(ROOM, "tea " + i).getSeq());
        assertEquals(i, stu.nextEvent(ROOM).getSeq());
      }
      // Seq 4 is taken in Redis by a node that dies at once: its publish never reached node b
      // and its stream entry is gone (as trimmed). Then node A sequences seq 5, which b receives.
      assertEquals("4", redis.cli("INCR", prefix + "{" + ROOM + "}:seq").strip());
      long started = System.currentTimeMillis();
      assertEquals(5, sequenceWithoutStoring("ana", "after the lost one").getSeq());
      // A post of b's own waits behind the gap, and is answered once it is filled.
      assertEquals(6, postAwaitingAck(tea, "tea 6", "t6", "ack of seq 6",
          Duration.ofMillis(SKIP_AFTER_MS + 60_000)).getSeq());
      assertTrue(System.currentTimeMillis() - started >= SKIP_AFTER_MS, "not filled before the bound");
      List<Event> events = new ArrayList<>();
      eventsUpTo(stu, events, 6);
      assertEquals(List.of(4L, 5L, 6L), events.stream().map(Event::getSeq).toList(), events::toString);
      assertTrue(events.get(0).hasSkipped(), events::toString);
      assertEquals("after the lost one", events.get(1).getChatPosted().getText());
      assertEquals(1, skippedMetric(b));
    }
  }

  @Test
  void aSeqWrittenUnderTwoEpochsKeepsTheCurrentEpochsOperationAndRecordsTheOther()
      throws Exception {
    try (TestServer b = new TestServer(dir.resolve("b"), node("node-b", true));
        TestClient tea = b.user("tea", ROOM, Role.TEACHER)) {
      b.createRoom(ROOM);
      String epoch = tea.join(ROOM).getEpoch();
      for (int i = 1; i <= 3; i++) {
        assertEquals(i, tea.post(ROOM, "tea " + i).getSeq());
      }
      // A node of an older epoch (before Redis lost writes) stores its operation at seq 4 late.
      PostgresStore old = await(PostgresStore.open(pg.schema().url(),
          PostgresStore.Options.defaults()));
      await(old.append(ROOM, SequencedOperation.newBuilder().setSeq(4).setEpoch("older-epoch")
          .setOperation(chat("ana", "from the older epoch", 4)).build()));
      await(old.close());
      assertEquals(0, conflictMetric(b));

      // The current epoch's seq 4: stored over the older one, so acknowledged.
      assertEquals(4, tea.post(ROOM, "tea 4").getSeq());
      assertEquals(1, conflictMetric(b));
      List<String> conflicts = new ArrayList<>();
      try (Connection conn = pg.schema().connection();
          PreparedStatement st = conn.prepareStatement("SELECT seq, epoch, kept_epoch, op"
              + " FROM operation_conflicts WHERE room_id = ?")) {
        st.setString(1, ROOM);
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            conflicts.add(rs.getLong(1) + " " + rs.getString(2) + " " + rs.getString(3) + " "
                + Operation.parseFrom(rs.getBytes(4)).getChatPost().getText());
          }
        }
      }
      assertEquals(List.of("4 older-epoch " + epoch + " from the older epoch"), conflicts);
      assertEquals(List.of("tea 1", "tea 2", "tea 3", "tea 4"), tea.history(ROOM, 0, 100)
          .getMessagesList().stream().map(ChatMessage::getText).toList());
    }
  }

  @Test
  void anOperationWhoseNodeDiedBeforeStoringItIsStoredByTheNodesThatAppliedIt() throws Exception {
    try (TestServer b = new TestServer(dir.resolve("b"), node("node-b", true));
        TestServer c = new TestServer(dir.resolve("c"), node("node-c", true));
        TestClient tea = b.user("tea", ROOM, Role.TEACHER);
        TestClient stu = c.user("stu", ROOM, Role.STUDENT)) {
      b.createRoom(ROOM);
      tea.join(ROOM);
      stu.join(ROOM);
      assertEquals(1, tea.post(ROOM, "tea 1").getSeq());
      assertEquals(1, tea.nextEvent(ROOM).getSeq());
      assertEquals(1, stu.nextEvent(ROOM).getSeq());
      // Node A sequences seq 2 and publishes it, then dies before its store write: b and c apply
      // and deliver it, and one of them must store it, or a restart of every node loses it.
      long started = System.currentTimeMillis();
      assertEquals(2, sequenceWithoutStoring("ana", "orphaned").getSeq());
      assertEquals("orphaned", tea.nextEvent(ROOM).getChatPosted().getText());
      assertEquals("orphaned", stu.nextEvent(ROOM).getChatPosted().getText());
      long deadline = started + 120_000;
      while (storedTexts().size() < 2) {
        assertTrue(System.currentTimeMillis() < deadline, "seq 2 never stored");
        Thread.sleep(200);
      }
      assertEquals(List.of("1 tea 1", "2 orphaned"), storedTexts());
      assertTrue(adoptedMetric(b) + adoptedMetric(c) >= 1);
      assertEquals(0, conflictMetric(b) + conflictMetric(c), "an identical row is no conflict");
      assertEquals(3, stu.post(ROOM, "stu 3").getSeq());
    }
  }

  @Test
  void aRetryOfAnOperationAppliedButNotStoredIsAnsweredOnceItIsStored() throws Exception {
    try (TestServer b = new TestServer(dir.resolve("b"), node("node-b", true));
        TestClient tea = b.user("tea", ROOM, Role.TEACHER);
        TestClient ana = b.user("ana", ROOM, Role.STUDENT)) {
      b.createRoom(ROOM);
      tea.join(ROOM);
      ana.join(ROOM);
      // Ana's post reached node A, which sequenced it and died before storing; her client sends
      // it again, with the same client message id, to node b, which applied it from Redis.
      assertEquals(1, sequenceWithoutStoring("ana", "sent twice").getSeq());
      assertEquals("sent twice", tea.nextEvent(ROOM).getChatPosted().getText());
      var ack = postAwaitingAck(ana, "sent twice", "ana-0", "ack of the retry", Duration.ofSeconds(60));
      assertEquals(1, ack.getSeq());
      assertTrue(ack.getDuplicate());
      // Acknowledged means durable: the row is there the moment the ack is.
      assertEquals(List.of("1 sent twice"), storedTexts());
    }
  }

  /** An operation of the room as stored, with its seq. */
  private record Stored(long seq, Operation op) { }

  /** Every stored operation of the room, in seq order. */
  private List<Stored> storedOperations() throws Exception {
    List<Stored> out = new ArrayList<>();
    try (Connection conn = pg.schema().connection();
        PreparedStatement st = conn.prepareStatement(
            "SELECT seq, op FROM operations WHERE room_id = ? ORDER BY seq")) {
      st.setString(1, ROOM);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(new Stored(rs.getLong(1), Operation.parseFrom(rs.getBytes(2))));
        }
      }
    }
    return out;
  }

  /** "seq text" of every stored chat post of the room, in seq order. */
  private List<String> storedTexts() throws Exception {
    return storedOperations().stream().map(s -> s.seq() + " " + s.op().getChatPost().getText()).toList();
  }

  private static double adoptedMetric(TestServer s) {
    return Math.max(0, OperabilityIT.metric(OperabilityIT.scrape(s), "ponte_operations_adopted_total", null));
  }

  // -------------------------------------------------------------------------------------------

  /** Three posts from a teacher on b, seen on b and on c; returns the room's epoch. */
  private static String postThree(TestServer b, TestServer c) {
    try (TestClient tea = b.user("tea", ROOM, Role.TEACHER);
        TestClient stu = c.user("stu", ROOM, Role.STUDENT)) {
      String epoch = tea.join(ROOM).getEpoch();
      stu.join(ROOM);
      for (int i = 1; i <= 3; i++) {
        assertEquals(i, tea.post(ROOM, "tea " + i).getSeq());
      }
      for (int i = 1; i <= 3; i++) {
        assertEquals(i, tea.nextEvent(ROOM).getSeq());
        assertEquals(i, stu.nextEvent(ROOM).getSeq());
      }
      return epoch;
    }
  }

  /**
   * Sequences a chat post through a broker of its own that never stores it: a node that died
   * between the broker's step and the store's. Returns it as the broker sequenced it.
   */
  private SequencedOperation sequenceWithoutStoring(String userId, String text) throws Exception {
    RedisBroker a = await(RedisBroker.connect(vertx,
        RedisBroker.Options.of(redis.url()).withKeyPrefix(prefix), new PonteMetrics()));
    try {
      String epoch = await(a.attach(ROOM, 0, "", new RoomListener() {
        @Override
        public void onOperation(SequencedOperation operation) {}

        @Override
        public void onEphemeral(byte[] payload) {}

        @Override
        public void onSeqRegressed() {}
      })).epoch();
      Operation op = chat(userId, text, 0).toBuilder().setOriginNode("node-gone").build();
      long seq = await(a.append(ROOM, op));
      return SequencedOperation.newBuilder().setSeq(seq).setOperation(op).setEpoch(epoch).build();
    } finally {
      await(a.close());
    }
  }

  private static Operation chat(String userId, String text, long n) {
    return Operation.newBuilder()
        .setActor(Actor.newBuilder().setUserId(userId).setDisplayName(userId).setRole(Role.STUDENT))
        .setServerTimeMs(System.currentTimeMillis())
        .setClientMsgId(userId + "-" + n)
        .setChatPost(ChatPost.newBuilder().setRoomId(ROOM).setText(text))
        .build();
  }

  /**
   * Posts with this client message id and waits up to {@code within} for the ack (a post behind a
   * gap is answered only once the gap is filled); returns it.
   */
  private static Ack postAwaitingAck(TestClient c, String text, String clientMsgId, String what, Duration within) {
    long request = c.sendRequest(ClientMessage.newBuilder().setChatPost(
        ChatPost.newBuilder().setRoomId(ROOM).setText(text).setClientMsgId(clientMsgId)));
    return TestClient.ack(c.await(m -> m.getRequestId() == request, what, within));
  }

  /** Adds the client's durable events of the room to {@code events} until it holds seq {@code upTo}. */
  private static void eventsUpTo(TestClient client, List<Event> events, long upTo) {
    long deadline = System.currentTimeMillis() + SKIP_AFTER_MS + 60_000;
    while (events.isEmpty() || events.get(events.size() - 1).getSeq() < upTo) {
      assertTrue(System.currentTimeMillis() < deadline, () -> "no seq " + upTo + ": " + events);
      ServerMessageWait.poll(client).ifPresent(events::add);
    }
  }

  private static double skippedMetric(TestServer s) {
    return Math.max(0, OperabilityIT.metric(OperabilityIT.scrape(s), "ponte_seq_skipped_total", null));
  }

  private static double conflictMetric(TestServer s) {
    return OperabilityIT.metric(OperabilityIT.scrape(s), "ponte_seq_conflicts_total", null);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Polls a client for its next durable event of the room, a second at a time. */
  private static final class ServerMessageWait {
    static java.util.Optional<Event> poll(TestClient client) {
      io.ponte.protocol.v1.ServerMessage m = client.poll(x -> x.hasEvent() && x.getEvent().getSeq() > 0
          && x.getEvent().getRoomId().equals(ROOM), java.time.Duration.ofSeconds(1));
      return java.util.Optional.ofNullable(m).map(io.ponte.protocol.v1.ServerMessage::getEvent);
    }
  }
}
