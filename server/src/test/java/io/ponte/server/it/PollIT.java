package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.ProtocolException;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Poll;
import io.ponte.protocol.v1.PollAnswer;
import io.ponte.protocol.v1.PollClose;
import io.ponte.protocol.v1.PollCountsChanged;
import io.ponte.protocol.v1.PollCreate;
import io.ponte.protocol.v1.PollOpen;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.PollResults;
import io.ponte.protocol.v1.PollShare;
import io.ponte.protocol.v1.PollStatus;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.SqliteStore;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Polls and quizzes with real WebSocket clients: a poll's whole life with live counts for teachers
 * only; an anonymous poll whose voters appear in nothing delivered or persisted (every client's
 * frames, the store's rows and files, the Redis stream); bad input answered with its code while
 * bystanders keep chatting; two nodes through Redis.
 */
@Timeout(120)
class PollIT {
  private static final Duration QUIET = Duration.ofMillis(500);

  @TempDir
  Path dir;

  // ---- requests -----------------------------------------------------------------------------

  static ClientMessage.Builder poll(String room, String pollId, PollRequest.Builder r) {
    return ClientMessage.newBuilder().setPoll(r.setRoomId(room).setPollId(pollId));
  }

  static ClientMessage.Builder create(String room, String pollId, PollCreate.Builder c) {
    return poll(room, pollId, PollRequest.newBuilder().setCreate(c));
  }

  static PollCreate.Builder question(String q, String... options) {
    return PollCreate.newBuilder().setQuestion(q).addAllOptions(List.of(options));
  }

  static ClientMessage.Builder open(String room, String pollId) {
    return poll(room, pollId, PollRequest.newBuilder().setOpen(PollOpen.getDefaultInstance()));
  }

  static ClientMessage.Builder close(String room, String pollId) {
    return poll(room, pollId, PollRequest.newBuilder().setClose(PollClose.getDefaultInstance()));
  }

  static ClientMessage.Builder share(String room, String pollId) {
    return poll(room, pollId, PollRequest.newBuilder().setShare(PollShare.getDefaultInstance()));
  }

  static ClientMessage.Builder answer(String room, String pollId, String clientMsgId, Integer... choices) {
    return poll(room, pollId, PollRequest.newBuilder().setClientMsgId(clientMsgId)
        .setAnswer(PollAnswer.newBuilder().addAllChoices(List.of(choices))));
  }

  static Poll pollIn(Joined joined, String pollId) {
    return joined.getSnapshot().getPollsList().stream().filter(p -> p.getPollId().equals(pollId))
        .findFirst().orElseThrow(() -> new AssertionError("no poll " + pollId + " in " + joined.getSnapshot()));
  }

  static PollCountsChanged counts(TestClient c, long seq) {
    Event e = c.awaitEvent(ev -> ev.getSeq() == seq, "event " + seq);
    assertTrue(e.hasPollCounts(), e.toString());
    return e.getPollCounts();
  }

  static void skipped(TestClient c, long seq) {
    Event e = c.awaitEvent(ev -> ev.getSeq() == seq, "event " + seq);
    assertTrue(e.hasSkipped(), () -> "expected seq " + seq + " skipped, got " + e);
  }

  /** A client authenticated with its own display name. */
  static TestClient named(TestServer s, String userId, String name, Role role) {
    TestClient c = s.client();
    c.hello(s.token(userId, name, "r1", role));
    return c;
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void aPollIsAnsweredChangedClosedAndSharedWithLiveCountsForTeachersOnly() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient theo = s.user("theo", "r1", Role.TEACHER, WireFormat.JSON);
          TestClient ana = s.user("ana", "r1", Role.STUDENT, WireFormat.JSON);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        for (TestClient c : List.of(tina, theo, ana, bo, olga)) {
          c.join("r1");
        }
        long created = TestClient.ack(tina.request(create("r1", "q1",
            question("Capital of Poland?", "Kraków", "Warszawa", "Gdańsk").addCorrectOptions(1)))).getSeq();
        Event draft = theo.awaitEvent(e -> e.getSeq() == created, "the draft");
        assertEquals(List.of(1), draft.getPollChanged().getCreated().getCorrectOptionsList());
        skipped(ana, created);
        skipped(olga, created);

        long opened = TestClient.ack(tina.request(open("r1", "q1"))).getSeq();
        for (TestClient c : List.of(ana, bo, olga, theo)) {
          Poll p = c.awaitEvent(e -> e.getSeq() == opened, "opened").getPollChanged().getOpened();
          assertEquals(PollStatus.POLL_STATUS_OPEN, p.getStatus());
          assertEquals(List.of("Kraków", "Warszawa", "Gdańsk"), p.getOptionsList());
          assertEquals(List.of(), p.getCorrectOptionsList(), "the answer is not given away");
          assertTrue(p.getQuiz());
        }

        long a1 = TestClient.ack(ana.request(answer("r1", "q1", "ana-1", 0))).getSeq();
        long b1 = TestClient.ack(bo.request(answer("r1", "q1", "bo-1", 1))).getSeq();
        long a2 = TestClient.ack(ana.request(answer("r1", "q1", "ana-2", 1))).getSeq();
        Ack retry = TestClient.ack(ana.request(answer("r1", "q1", "ana-2", 1)));
        assertTrue(retry.getDuplicate());
        assertEquals(a2, retry.getSeq());
        assertTrue(TestClient.ack(ana.request(answer("r1", "q1", "ana-3", 1))).getDuplicate(),
            "the same answer again changes nothing");
        for (TestClient teacher : List.of(tina, theo)) {
          assertEquals(List.of(1, 0, 0), counts(teacher, a1).getCounts().getPerOptionList());
          assertEquals("bo", counts(teacher, b1).getBallot().getUserId());
          PollCountsChanged last = counts(teacher, a2);
          assertEquals(List.of(0, 2, 0), last.getCounts().getPerOptionList());
          assertEquals(2, last.getCounts().getVoters());
          assertEquals("User ana", last.getBallot().getDisplayName());
        }
        for (TestClient other : List.of(ana, bo, olga)) {
          skipped(other, a1);
          skipped(other, b1);
          skipped(other, a2);
        }
        try (TestClient carl = s.user("carl", "r1", Role.STUDENT);
            TestClient late = s.user("ana", "r1", Role.STUDENT)) {
          Poll forCarl = pollIn(carl.join("r1"), "q1");
          assertFalse(forCarl.hasCounts(), "no counts for students before sharing");
          assertEquals(List.of(), forCarl.getMyChoicesList());
          assertEquals(List.of(1), pollIn(late.join("r1"), "q1").getMyChoicesList(), "ana's other tab sees her answer");
        }

        long closed = TestClient.ack(tina.request(close("r1", "q1"))).getSeq();
        assertTrue(bo.awaitEvent(e -> e.getSeq() == closed, "closed").getPollChanged().hasClosed());
        assertEquals(ErrorCode.POLL_CLOSED, TestClient.error(bo.request(answer("r1", "q1", "bo-2", 2))).getCode());
        long shared = TestClient.ack(tina.request(share("r1", "q1"))).getSeq();
        for (TestClient c : List.of(ana, bo, olga, theo)) {
          PollResults r = c.awaitEvent(e -> e.getSeq() == shared, "results").getPollResults();
          assertEquals(List.of(0, 2, 0), r.getCounts().getPerOptionList());
          assertEquals(List.of(1), r.getCorrectOptionsList());
        }
        try (TestClient carl = s.user("carl", "r1", Role.STUDENT);
            TestClient ted = s.user("ted", "r1", Role.TEACHER)) {
          Poll forCarl = pollIn(carl.join("r1"), "q1");
          assertEquals(List.of(0, 2, 0), forCarl.getCounts().getPerOptionList());
          assertEquals(List.of(), forCarl.getBallotsList(), "students never see who answered what");
          Poll forTed = pollIn(ted.join("r1"), "q1");
          assertEquals(List.of("bo", "ana"), forTed.getBallotsList().stream().map(b -> b.getUserId()).toList());
        }
      }
    }
  }

  private static final String ANJA = "anja-voter-7f3";
  private static final String ANJA_NAME = "Anja Kowalska-Zielinska";
  private static final String BRAM = "bram-voter-91c";
  private static final String BRAM_NAME = "Bram van Dijk-Oosterhout";
  private static final String NINA = "nina-named-55";

  @Test
  void anAnonymousPollRevealsNoVoterInAnythingDeliveredOrPersisted() throws Exception {
    List<TestClient> everyone = new ArrayList<>();
    try (TestServer s = new TestServer(dir, b -> b.set("snapshot-interval", "10"))) {
      s.createRoom("r1");
      TestClient tina = named(s, "tina", "Tina", Role.TEACHER);
      TestClient anja = named(s, ANJA, ANJA_NAME, Role.STUDENT);
      TestClient bram = named(s, BRAM, BRAM_NAME, Role.STUDENT);
      TestClient nina = named(s, NINA, "Nina Named", Role.STUDENT);
      TestClient olga = named(s, "olga", "Olga", Role.OBSERVER);
      everyone.addAll(List.of(tina, anja, bram, nina, olga));
      for (TestClient c : everyone) {
        c.join("r1");
      }
      TestClient.ack(tina.request(create("r1", "mood", question("How was today?", "good", "meh", "bad")
          .setAnonymous(true))));
      TestClient.ack(tina.request(create("r1", "quiz", question("2 + 2?", "4", "5").addCorrectOptions(0))));
      TestClient.ack(tina.request(open("r1", "mood")));
      TestClient.ack(tina.request(open("r1", "quiz")));
      // Client message ids that name their users must not give them away either.
      long a1 = TestClient.ack(anja.request(answer("r1", "mood", ANJA + "-1", 0))).getSeq();
      long b1 = TestClient.ack(bram.request(answer("r1", "mood", BRAM + "-1", 2))).getSeq();
      long a2 = TestClient.ack(anja.request(answer("r1", "mood", ANJA + "-2", 1))).getSeq();
      Ack retry = TestClient.ack(anja.request(answer("r1", "mood", ANJA + "-2", 1)));
      assertEquals(a2, retry.getSeq());
      assertTrue(retry.getDuplicate());
      TestClient.ack(nina.request(answer("r1", "quiz", NINA + "-1", 0)));
      for (int i = 0; i < 4; i++) {
        tina.post("r1", "keep going " + i); // past snapshot-interval: a snapshot with the poll open
      }
      Event last = null;
      for (long seq : List.of(a1, b1, a2)) {
        last = tina.awaitEvent(ev -> ev.getSeq() == seq, "counts at " + seq);
        assertTrue(last.hasPollCounts());
        assertFalse(last.hasActor(), "no actor on an anonymous answer: " + last);
        assertFalse(last.getPollCounts().hasBallot());
        skipped(olga, seq);
      }
      assertEquals(List.of(0, 1, 1), last.getPollCounts().getCounts().getPerOptionList());
      try (TestClient anjaTab = named(s, ANJA, ANJA_NAME, Role.STUDENT)) {
        everyone.add(anjaTab);
        assertEquals(List.of(1), pollIn(anjaTab.join("r1"), "mood").getMyChoicesList(),
            "anja's own answer, found again from her voter key");
      }

      // A node restart in the middle: the poll's salt survives, so a change still counts once.
      s.stop();
      s.start();
      tina = named(s, "tina", "Tina", Role.TEACHER);
      anja = named(s, ANJA, ANJA_NAME, Role.STUDENT);
      bram = named(s, BRAM, BRAM_NAME, Role.STUDENT);
      olga = named(s, "olga", "Olga", Role.OBSERVER);
      everyone.addAll(List.of(tina, anja, bram, olga));
      tina.join("r1");
      assertEquals(List.of(1), pollIn(anja.join("r1"), "mood").getMyChoicesList(),
          "after the restart anja still finds her answer");
      bram.join("r1");
      olga.join("r1");
      long a3 = TestClient.ack(anja.request(answer("r1", "mood", ANJA + "-3", 2))).getSeq();
      PollCountsChanged after = counts(tina, a3);
      assertEquals(List.of(0, 0, 2), after.getCounts().getPerOptionList());
      assertEquals(2, after.getCounts().getVoters(), "still two voters");
      TestClient.ack(tina.request(close("r1", "mood")));
      long sharedSeq = TestClient.ack(tina.request(share("r1", "mood"))).getSeq();
      assertEquals(List.of(0, 0, 2), bram.awaitEvent(e -> e.getSeq() == sharedSeq, "results")
          .getPollResults().getCounts().getPerOptionList());
      assertEquals(ErrorCode.POLL_CLOSED,
          TestClient.error(anja.request(answer("r1", "mood", ANJA + "-4", 0))).getCode());
      TestClient.ack(tina.request(close("r1", "quiz")));
      tina.post("r1", "that's all");
      tina.awaitEvent(e -> e.hasChatPosted() && e.getChatPosted().getText().equals("that's all"), "last post");
      s.stop(); // the room unloads: a last snapshot, with the anonymous poll closed

      List<String> secrets = List.of(ANJA, ANJA_NAME, BRAM, BRAM_NAME);
      // 1. Everything any client received: events, snapshots, missed events, answers. Left out:
      // a client's own Welcome and the presence list, which say who is in the room, not who
      // answered what.
      int scanned = 0;
      boolean ninaSeen = false;
      for (TestClient c : everyone) {
        for (byte[] frame : c.frames()) {
          for (ServerMessage m : flatten(decode(frame))) {
            byte[] bytes = scrubbed(m).toByteArray();
            scanned++;
            assertNone(secrets, bytes, "a message to a client: " + m);
            ninaSeen |= contains(bytes, NINA);
          }
        }
      }
      assertTrue(scanned > 50, "scanned " + scanned + " messages");
      assertTrue(ninaSeen, "the scan does find a named voter where teachers should see them");

      // 2. The store: every row of the room, and the database files byte for byte.
      Path db = dir.resolve(SqliteStore.DB_FILE);
      int snapshotsWithOpenAnonymousPoll = 0;
      boolean ninaStored = false;
      try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + db);
          Statement st = conn.createStatement()) {
        for (String table : List.of("rooms", "operations", "snapshots")) {
          try (ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
              for (int i = 1; i <= columns; i++) {
                byte[] cell = rs.getBytes(i);
                if (cell != null) {
                  assertNone(secrets, cell, table + " row");
                  ninaStored |= contains(cell, NINA);
                }
              }
              if (table.equals("snapshots")) {
                RoomStateRecord r = RoomStateRecord.parseFrom(rs.getBytes("state"));
                if (r.getPollsList().stream().anyMatch(p -> p.getAnonymousBallotsCount() > 0)) {
                  snapshotsWithOpenAnonymousPoll++;
                }
              }
            }
          }
        }
      }
      assertTrue(snapshotsWithOpenAnonymousPoll > 0, "a snapshot taken while the poll was open was scanned");
      assertTrue(ninaStored, "the scan does find a named answer in the store");
      for (Path file : List.of(db, dir.resolve(SqliteStore.DB_FILE + "-wal"))) {
        if (Files.exists(file)) {
          assertNone(secrets, Files.readAllBytes(file), file.toString());
        }
      }
      s.start(); // for close()
    } finally {
      everyone.forEach(TestClient::close);
    }
  }

  @Test
  void badPollInputGetsItsCodeWhileTwoBystandersKeepChatting() {
    try (TestServer s = new TestServer(dir, b -> b.set("poll-max-options", "4")
        .set("poll-max-question-chars", "40").set("poll-max-option-chars", "10"))) {
      s.createRoom("r1");
      try (Bystanders quiet = new Bystanders(s, "quiet");
          TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient theo = s.user("theo", "r1", Role.TEACHER);
          TestClient mallory = s.user("mallory", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        tina.join("r1");
        theo.join("r1");
        mallory.join("r1");
        olga.join("r1");
        TestClient.ack(tina.request(create("r1", "single", question("One?", "a", "b", "c"))));
        assertEquals(ErrorCode.POLL_NOT_OPEN,
            TestClient.error(mallory.request(answer("r1", "single", "", 0))).getCode());
        TestClient.ack(tina.request(open("r1", "single")));
        quiet.assertServed();

        assertEquals(ErrorCode.POLL_NOT_FOUND,
            TestClient.error(mallory.request(answer("r1", "nope", "", 0))).getCode());
        assertEquals(ErrorCode.POLL_CHOICE_INVALID,
            TestClient.error(mallory.request(answer("r1", "single", "", 7))).getCode());
        assertEquals(ErrorCode.POLL_CHOICE_INVALID,
            TestClient.error(mallory.request(answer("r1", "single", ""))).getCode());
        assertEquals(ErrorCode.POLL_SINGLE_CHOICE,
            TestClient.error(mallory.request(answer("r1", "single", "", 0, 1))).getCode());
        assertEquals(ErrorCode.READ_ONLY,
            TestClient.error(olga.request(answer("r1", "single", "", 0))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED,
            TestClient.error(tina.request(answer("r1", "single", "", 0))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED,
            TestClient.error(mallory.request(create("r1", "mine", question("?", "a", "b")))).getCode());
        quiet.assertServed();

        assertEquals(ErrorCode.POLL_TOO_MANY_OPTIONS, TestClient.error(theo.request(
            create("r1", "big", question("Many?", "a", "b", "c", "d", "e")))).getCode());
        assertEquals(ErrorCode.POLL_TEXT_TOO_LONG, TestClient.error(theo.request(
            create("r1", "long", question("q".repeat(41), "a", "b")))).getCode());
        assertEquals(ErrorCode.POLL_TEXT_TOO_LONG, TestClient.error(theo.request(
            create("r1", "long", question("?", "a", "b".repeat(11))))).getCode());
        assertEquals(ErrorCode.POLL_INVALID, TestClient.error(theo.request(
            create("r1", "one", question("?", "a")))).getCode());
        assertEquals(ErrorCode.POLL_EXISTS, TestClient.error(theo.request(
            create("r1", "single", question("?", "a", "b")))).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(theo.request(
            create("r1", "no spaces", question("?", "a", "b")))).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST,
            TestClient.error(theo.request(poll("r1", "single", PollRequest.newBuilder()))).getCode());
        assertEquals(ErrorCode.NOT_IN_ROOM,
            TestClient.error(mallory.request(answer("elsewhere", "single", "", 0))).getCode());
        quiet.assertServed();

        TestClient.ack(mallory.request(answer("r1", "single", "", 0)));
        TestClient.ack(tina.request(close("r1", "single")));
        assertEquals(ErrorCode.POLL_CLOSED,
            TestClient.error(mallory.request(answer("r1", "single", "", 1))).getCode());
        TestClient.ack(tina.request(share("r1", "single")));
        assertEquals(ErrorCode.POLL_ALREADY_SHARED,
            TestClient.error(tina.request(share("r1", "single"))).getCode());
        assertEquals(ErrorCode.POLL_CLOSED, TestClient.error(tina.request(open("r1", "single"))).getCode());
        // poll-ops-per-second (default 5, burst 10): a flood is refused, nobody is closed
        int limited = 0;
        for (int i = 0; i < 20; i++) {
          ServerMessage m = mallory.request(answer("r1", "single", "", 1));
          if (m.hasError() && m.getError().getCode() == ErrorCode.RATE_LIMITED) {
            limited++;
            assertTrue(m.getError().getRetryable());
          }
        }
        assertTrue(limited > 0, "the poll rate limit applies");
        mallory.assertOpen();
        quiet.assertServed();
      }
    }
  }

  @Test
  void pollsWorkAcrossTwoNodesThroughRedisAndTheStreamHoldsNoAnonymousVoter() throws Exception {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      a.createRoom("r1");
      b.createRoom("r1");
      try (TestClient tina = named(a, "tina", "Tina", Role.TEACHER);
          TestClient anja = named(b, ANJA, ANJA_NAME, Role.STUDENT);
          TestClient bram = named(a, BRAM, BRAM_NAME, Role.STUDENT);
          TestClient nina = named(b, NINA, "Nina Named", Role.STUDENT)) {
        for (TestClient c : List.of(tina, anja, bram, nina)) {
          c.join("r1");
        }
        TestClient.ack(tina.request(create("r1", "mood", question("Tempo?", "slow", "ok", "fast").setAnonymous(true))));
        TestClient.ack(tina.request(create("r1", "quiz", question("3 x 3?", "6", "9").addCorrectOptions(1))));
        long opened = TestClient.ack(tina.request(open("r1", "mood"))).getSeq();
        TestClient.ack(tina.request(open("r1", "quiz")));
        anja.awaitEvent(e -> e.getSeq() == opened, "the poll opened, on node b");
        long a1 = TestClient.ack(anja.request(answer("r1", "mood", "x1", 0))).getSeq(); // node b
        long b1 = TestClient.ack(bram.request(answer("r1", "mood", "y1", 2))).getSeq(); // node a
        long a2 = TestClient.ack(anja.request(answer("r1", "mood", "x2", 1))).getSeq(); // changed, node b
        long n1 = TestClient.ack(nina.request(answer("r1", "quiz", "z1", 1))).getSeq();
        assertNotEquals(a1, b1);
        PollCountsChanged live = counts(tina, a2);
        assertEquals(List.of(0, 1, 1), live.getCounts().getPerOptionList());
        assertEquals(2, live.getCounts().getVoters(), "two voters across both nodes");
        assertFalse(live.hasBallot());
        assertEquals(NINA, counts(tina, n1).getBallot().getUserId());
        skipped(nina, a2);

        Redis client = Redis.createClient(a.clientVertx(), RedisFixture.get().url());
        try {
          Response stream = client.send(Request.cmd(Command.XRANGE).arg(prefix + "{r1}:stream").arg("-").arg("+"))
              .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
          List<byte[]> values = new ArrayList<>();
          collect(stream, values);
          assertTrue(values.size() > 8, "the stream holds the operations: " + values.size());
          for (byte[] v : values) {
            assertNone(List.of(ANJA, ANJA_NAME, BRAM, BRAM_NAME), v, "the Redis stream");
          }
          assertTrue(values.stream().anyMatch(v -> contains(v, NINA)), "the named answer is in the stream");
        } finally {
          client.close();
        }
        long closed = TestClient.ack(tina.request(close("r1", "mood"))).getSeq();
        TestClient.ack(tina.request(share("r1", "mood")));
        assertTrue(anja.awaitEvent(e -> e.getSeq() == closed, "closed on b").getPollChanged().hasClosed());
        assertEquals(List.of(0, 1, 1), anja.awaitEvent(Event::hasPollResults, "results on b")
            .getPollResults().getCounts().getPerOptionList());
      }
    }
  }

  // ---- scanning -----------------------------------------------------------------------------

  private static ServerMessage decode(byte[] frame) {
    try {
      return frame.length > 0 && frame[0] == '{'
          ? FrameCodec.decodeServer(new String(frame, StandardCharsets.UTF_8)) : FrameCodec.decodeServer(frame);
    } catch (ProtocolException e) {
      throw new AssertionError("a frame the client got does not decode", e);
    }
  }

  private static List<ServerMessage> flatten(ServerMessage m) {
    return m.hasBatch() ? m.getBatch().getMessagesList() : List.of(m);
  }

  /** The message without what says who is in the room (own Welcome, presence), which is not what they answered. */
  private static ServerMessage scrubbed(ServerMessage m) {
    if (m.hasWelcome() || m.hasEvent() && m.getEvent().hasPresence()) {
      return ServerMessage.getDefaultInstance();
    }
    if (m.hasJoined()) {
      return m.toBuilder().setJoined(m.getJoined().toBuilder().clearParticipants()).build();
    }
    return m;
  }

  private static void collect(Response r, List<byte[]> out) {
    if (r == null) {
      return;
    }
    if (r.type() == ResponseType.MULTI) {
      for (Response child : r) {
        collect(child, out);
      }
    } else if (r.type() == ResponseType.BULK) {
      out.add(r.toBytes());
    }
  }

  private static void assertNone(List<String> secrets, byte[] haystack, String where) {
    for (String secret : secrets) {
      assertFalse(contains(haystack, secret), () -> "found '" + secret + "' in " + where);
    }
  }

  private static boolean contains(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
