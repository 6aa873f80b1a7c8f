package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Breakout;
import io.ponte.protocol.v1.BreakoutBroadcast;
import io.ponte.protocol.v1.BreakoutClose;
import io.ponte.protocol.v1.BreakoutCreate;
import io.ponte.protocol.v1.BreakoutMove;
import io.ponte.protocol.v1.BreakoutPlace;
import io.ponte.protocol.v1.BreakoutPlacement;
import io.ponte.protocol.v1.BreakoutRequest;
import io.ponte.protocol.v1.BreakoutRound;
import io.ponte.protocol.v1.BreakoutSetTimer;
import io.ponte.protocol.v1.BreakoutTakePlace;
import io.ponte.protocol.v1.BreakoutsChanged;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocSyncReply;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.server.redis.RedisFixture;
import io.ponte.yjs.Lib0Encoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Breakout rooms with real WebSocket clients: a round created with manual, random and by-claim
 * placement; learners joining their breakout (and no other) and chatting there; a teacher of the
 * parent visiting as teacher; moves, a broadcast, the timer and a close that returns everyone;
 * chat, board and documents of a closed breakout read from the parent's teacher (/ws and /yjs);
 * two nodes through Redis; bad input with bystanders still served.
 */
@Timeout(150)
class BreakoutIT {
  private static final String CLS = "cls";

  @TempDir
  Path dir;

  // ---- requests -----------------------------------------------------------------------------

  static ClientMessage.Builder breakout(String room, BreakoutRequest.Builder r) {
    return ClientMessage.newBuilder().setBreakout(r.setRoomId(room));
  }

  static ClientMessage.Builder create(String room, BreakoutCreate.Builder c) {
    return breakout(room, BreakoutRequest.newBuilder().setCreate(c));
  }

  static BreakoutCreate.Builder manual(String... names) {
    return BreakoutCreate.newBuilder().addAllNames(List.of(names)).setAssignment(BreakoutRound.Assignment.MANUAL);
  }

  static BreakoutPlacement place(String user, int breakout) {
    return BreakoutPlacement.newBuilder().setUserId(user).setBreakout(breakout).build();
  }

  static ClientMessage.Builder move(String room, String user, String to) {
    return breakout(room, BreakoutRequest.newBuilder().setMove(BreakoutMove.newBuilder().setUserId(user).setToRoomId(to)));
  }

  static ClientMessage.Builder broadcast(String room, String text) {
    return breakout(room, BreakoutRequest.newBuilder().setBroadcast(BreakoutBroadcast.newBuilder().setText(text)));
  }

  static ClientMessage.Builder close(String room) {
    return breakout(room, BreakoutRequest.newBuilder().setClose(BreakoutClose.getDefaultInstance()));
  }

  static ClientMessage.Builder timer(String room, long ms) {
    return breakout(room, BreakoutRequest.newBuilder().setSetTimer(BreakoutSetTimer.newBuilder().setDurationMs(ms)));
  }

  static ClientMessage.Builder post(String room, String text) {
    return ClientMessage.newBuilder().setChatPost(io.ponte.protocol.v1.ChatPost.newBuilder().setRoomId(room).setText(text));
  }

  static BreakoutsChanged changed(TestClient c, BreakoutsChanged.Kind kind) {
    return c.awaitEvent(e -> e.hasBreakoutsChanged() && e.getBreakoutsChanged().getKind() == kind,
        "breakouts " + kind).getBreakoutsChanged();
  }

  /** Where the round places each user: user id to breakout room id. */
  static Map<String, String> places(BreakoutRound round) {
    Map<String, String> out = new HashMap<>();
    for (BreakoutPlace p : round.getPlacesList()) {
      out.put(p.getUserId(), p.getRoomId());
    }
    return out;
  }

  static ErrorCode errorOf(ServerMessage m) {
    return TestClient.error(m).getCode();
  }

  static List<String> texts(Joined j) {
    return j.getSnapshot().getRecentMessagesList().stream().map(ChatMessage::getText).toList();
  }

  static Event posted(TestClient c, String room, String text) {
    return c.awaitEvent(e -> e.getRoomId().equals(room) && e.hasChatPosted()
        && e.getChatPosted().getText().equals(text), "'" + text + "' in " + room);
  }

  static ServerMessage left(TestClient c, String room) {
    return c.await(m -> m.hasLeft() && m.getLeft().getRoomId().equals(room), "left " + room);
  }

  /** The y-protocols sync step 1 of an empty client: asks for the whole document. */
  static byte[] syncStep1Empty() {
    return new Lib0Encoder().writeVarUint(0).writeVarUint(0).writeVarUint8Array(new byte[] {0}).toByteArray();
  }

  static boolean holds(byte[] bytes, String text) {
    return new String(bytes, StandardCharsets.ISO_8859_1).contains(new String(
        text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void aManualRoundFromCreateThroughMovesBroadcastAndCloseToReadingItAfterwards() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(CLS);
      try (TestClient tina = s.user("tina", CLS, Role.TEACHER);
          TestClient ana = s.user("ana", CLS, Role.STUDENT);
          TestClient bo = s.user("bo", CLS, Role.STUDENT);
          TestClient cy = s.user("cy", CLS, Role.STUDENT)) {
        for (TestClient c : List.of(tina, ana, bo, cy)) {
          c.join(CLS);
        }
        long round = TestClient.ack(tina.request(create(CLS, manual("Blue", "Green")
            .addPlacements(place("ana", 0)).addPlacements(place("bo", 1))))).getSeq();
        BreakoutRound r = changed(ana, BreakoutsChanged.Kind.CREATED).getRound();
        assertEquals(round, r.getRoundSeq());
        String blue = r.getBreakouts(0).getRoomId();
        String green = r.getBreakouts(1).getRoomId();
        assertEquals(CLS + ".b" + round + ".1", blue);
        assertEquals(Map.of("ana", blue, "bo", green), places(r));
        assertEquals("User ana", r.getPlaces(0).getDisplayName(), "the server fills display names");
        changed(cy, BreakoutsChanged.Kind.CREATED);
        // A late joiner of the parent learns the round from the snapshot.
        try (TestClient late = s.user("dan", CLS, Role.OBSERVER)) {
          assertEquals(r, late.join(CLS).getSnapshot().getBreakouts().getOpen());
        }

        // Learners join their breakout with their role in the parent, and chat there.
        Joined anaBlue = ana.join(blue);
        assertEquals(Role.STUDENT, anaBlue.getRole());
        assertEquals("Blue", anaBlue.getSnapshot().getSettings().getTitle());
        bo.join(green);
        TestClient.ack(ana.request(post(blue, "hello from blue")));
        TestClient.ack(bo.request(post(green, "hello from green")));
        assertEquals(ErrorCode.BREAKOUT_NOT_ASSIGNED, errorOf(ana.joinRaw(green, 0, "")));
        assertEquals(ErrorCode.BREAKOUT_NOT_ASSIGNED, errorOf(cy.joinRaw(blue, 0, "")));
        assertTrue(bo.poll(m -> m.hasEvent() && m.getEvent().getRoomId().equals(blue), Duration.ofMillis(300)) == null,
            "bo is not in blue");

        // Content of the breakout: a document and a board, made by the learner.
        TestClient.ack(DocumentsIT.create(ana, blue, "notes", false));
        byte[] text = new YTextUpdates(7, "t").append("Blue notes: bridges");
        TestClient.ack(DocumentsIT.update(ana, blue, "notes", text));
        TestClient.ack(ana.request(WhiteboardIT.createBoard(blue, "b1", "p1")));
        TestClient.ack(ana.request(WhiteboardIT.add(blue, "b1", "p1", WhiteboardIT.box("e1", "a0"))));

        // The parent's teacher visits a breakout as a teacher, without being placed.
        Joined tinaBlue = tina.join(blue);
        assertEquals(Role.TEACHER, tinaBlue.getRole());
        assertTrue(texts(tinaBlue).contains("hello from blue"));
        TestClient.ack(tina.request(post(blue, "the teacher drops in")));
        posted(ana, blue, "the teacher drops in");

        // Moves: cy from the main room into green; ana from blue to green (her client follows).
        TestClient.ack(tina.request(move(CLS, "cy", green)));
        Event cyMoved = cy.awaitEvent(e -> e.hasBreakoutMoved(), "cy's move");
        assertEquals(green, cyMoved.getBreakoutMoved().getPlace().getRoomId());
        assertEquals("User cy", cyMoved.getBreakoutMoved().getPlace().getDisplayName());
        cy.join(green);
        TestClient.ack(tina.request(move(CLS, "ana", green)));
        ana.awaitEvent(e -> e.hasBreakoutMoved() && e.getBreakoutMoved().getPlace().getUserId().equals("ana"), "ana's move");
        // The server takes her out of blue (her connection stays, in the parent).
        assertEquals(LeftReason.LEFT_REMOVED, left(ana, blue).getLeft().getReason());
        assertEquals(ErrorCode.NOT_IN_ROOM, errorOf(ana.request(post(blue, "still here?"))));
        assertEquals(ErrorCode.BREAKOUT_NOT_ASSIGNED, errorOf(ana.joinRaw(blue, 0, "")), "moved out of blue");
        assertTrue(texts(ana.join(green)).contains("hello from green"));

        // A broadcast reaches everyone, whichever breakout they are in.
        long b = TestClient.ack(tina.request(broadcast(CLS, "Five minutes left"))).getSeq();
        for (TestClient c : List.of(ana, bo, cy)) {
          Event e = c.awaitEvent(ev -> ev.hasBreakoutBroadcast(), "the broadcast");
          assertEquals("Five minutes left", e.getBreakoutBroadcast().getText());
          assertEquals(b, e.getSeq());
        }

        // Close: everyone returns; the breakouts end and let their members go.
        TestClient.ack(tina.request(close(CLS)));
        BreakoutsChanged closed = changed(bo, BreakoutsChanged.Kind.CLOSED);
        assertTrue(closed.getRound().getClosed());
        assertFalse(closed.getByTimer());
        assertEquals(LeftReason.LEFT_SESSION_ENDED, left(bo, green).getLeft().getReason());
        assertEquals(LeftReason.LEFT_SESSION_ENDED, left(ana, green).getLeft().getReason());
        assertEquals(LeftReason.LEFT_SESSION_ENDED, left(tina, blue).getLeft().getReason());
        left(cy, green);
        bo.assertOpen();
        TestClient.ack(bo.request(post(CLS, "back in the main room")));
        posted(ana, CLS, "back in the main room");
        assertEquals(ErrorCode.BREAKOUT_CLOSED, errorOf(ana.joinRaw(green, 0, "")));

        // What was made in blue stays readable from the parent: its teacher enters read-only.
        Joined after = tina.join(blue);
        assertEquals(Role.OBSERVER, after.getRole());
        assertTrue(after.getSnapshot().getEnded());
        assertTrue(after.getSnapshot().getBreakouts().getEnded());
        assertTrue(texts(after).containsAll(List.of("hello from blue", "the teacher drops in")), texts(after).toString());
        assertEquals(List.of("e1"), WhiteboardIT.elementIds(WhiteboardIT.boardOf(after, "b1"), "p1"));
        assertEquals("notes", after.getSnapshot().getDocuments(0).getDocId());
        DocSyncReply doc = DocumentsIT.sync(tina, blue, "notes", new byte[] {0});
        assertTrue(holds(doc.getUpdate().toByteArray(), "Blue notes: bridges"));
        assertEquals(ErrorCode.READ_ONLY, errorOf(tina.request(post(blue, "too late"))));
        assertEquals(ErrorCode.BREAKOUT_CLOSED, errorOf(bo.joinRaw(blue, 0, "")), "learners do not come back");

        // ... and through /yjs, with the parent's token: the teacher reads, a learner is refused.
        try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(),
            "/yjs/" + blue + "/notes?token=" + s.token("tina", "Tina", CLS, Role.TEACHER))) {
          y.await(m -> m[0] == 0 && m[1] == 0, "sync step 1", Duration.ofSeconds(10));
          y.send(syncStep1Empty());
          byte[] step2 = y.await(m -> m[0] == 0 && m[1] == 1, "sync step 2", Duration.ofSeconds(10));
          assertTrue(holds(step2, "Blue notes: bridges"));
        }
        try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(),
            "/yjs/" + blue + "/notes?token=" + s.token("ana", "Ana", CLS, Role.STUDENT))) {
          assertEquals(4403, y.awaitClose());
        }

        // ... and through /hocuspocus, the same admission.
        try (RawYSocket hp = RawYSocket.open(s.clientVertx(), s.port(), "/hocuspocus")) {
          String name = blue + "/notes";
          hp.send(HocuspocusIT.hpMessage(name, new Lib0Encoder().writeVarUint(2).writeVarUint(0)
              .writeVarString(s.token("tina", "Tina", CLS, Role.TEACHER)).toByteArray()));
          byte[] auth = hp.await(m -> m.length > 1, "Authenticated", Duration.ofSeconds(10));
          assertTrue(HocuspocusIT.isAuthenticated(auth, name));
        }
        try (RawYSocket hp = RawYSocket.open(s.clientVertx(), s.port(), "/hocuspocus")) {
          String name = blue + "/notes";
          hp.send(HocuspocusIT.hpMessage(name, new Lib0Encoder().writeVarUint(2).writeVarUint(0)
              .writeVarString(s.token("bo", "Bo", CLS, Role.STUDENT)).toByteArray()));
          byte[] denied = hp.await(m -> m.length > 1, "the refusal", Duration.ofSeconds(10));
          assertFalse(HocuspocusIT.isAuthenticated(denied, name));
          assertTrue(holds(denied, "BREAKOUT_CLOSED"), "the refusal names its code");
        }

        // A new round gets new rooms.
        long second = TestClient.ack(tina.request(create(CLS, manual("Red")))).getSeq();
        assertNotEquals(round, second);
        assertEquals(CLS + ".b" + second + ".1", changed(cy, BreakoutsChanged.Kind.CREATED).getRound().getBreakouts(0).getRoomId());
      }
    }
  }

  @Test
  void aRandomRoundSpreadsTheStudentsAndItsTimerClosesIt() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(CLS);
      Map<String, TestClient> students = new java.util.LinkedHashMap<>();
      try (TestClient tina = s.user("tina", CLS, Role.TEACHER)) {
        tina.join(CLS);
        for (int i = 0; i < 5; i++) {
          TestClient c = s.user("s" + i, CLS, Role.STUDENT);
          students.put("s" + i, c);
          c.join(CLS);
        }
        try (TestClient olga = s.user("olga", CLS, Role.OBSERVER)) {
          olga.join(CLS);
          TestClient.ack(tina.request(create(CLS, BreakoutCreate.newBuilder().addNames("One").addNames("Two")
              .setAssignment(BreakoutRound.Assignment.RANDOM))));
          BreakoutRound r = changed(tina, BreakoutsChanged.Kind.CREATED).getRound();
          Map<String, String> places = places(r);
          assertEquals(5, places.size(), "every student, no teacher, no observer: " + places);
          long inOne = places.values().stream().filter(r.getBreakouts(0).getRoomId()::equals).count();
          assertTrue(inOne == 2 || inOne == 3, "spread evenly: " + places);
          for (Map.Entry<String, TestClient> c : students.entrySet()) {
            assertEquals(Role.STUDENT, c.getValue().join(places.get(c.getKey())).getRole());
          }
          // A timer set now closes the round by itself; everyone in a breakout is let go.
          TestClient.ack(tina.request(timer(CLS, 1_500)));
          BreakoutsChanged set = changed(students.get("s0"), BreakoutsChanged.Kind.TIMER_SET);
          assertTrue(set.getRound().getEndsAtMs() > 0);
          assertEquals("tina", set.getRound().getTimerUserId());
          BreakoutsChanged closed = changed(olga, BreakoutsChanged.Kind.CLOSED);
          assertTrue(closed.getByTimer());
          Event closing = tina.awaitEvent(e -> e.hasBreakoutsChanged()
              && e.getBreakoutsChanged().getKind() == BreakoutsChanged.Kind.CLOSED, "the close");
          assertEquals("tina", closing.getActor().getUserId(), "closed in the name of who set the timer");
          assertTrue(closing.getServerTimeMs() >= set.getRound().getEndsAtMs(), "not before its time");
          for (Map.Entry<String, TestClient> c : students.entrySet()) {
            assertEquals(LeftReason.LEFT_SESSION_ENDED,
                left(c.getValue(), places.get(c.getKey())).getLeft().getReason());
            c.getValue().assertOpen();
          }
          // Only one close was applied (a second from another check would be refused).
          assertTrue(tina.poll(m -> m.hasEvent() && m.getEvent().hasBreakoutsChanged()
              && m.getEvent().getBreakoutsChanged().getKind() == BreakoutsChanged.Kind.CLOSED,
              Duration.ofMillis(500)) == null);
        }
      } finally {
        students.values().forEach(TestClient::close);
      }
    }
  }

  @Test
  void learnersTakeTheBreakoutOfTheirSchoolClaim() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(CLS);
      try (TestClient tina = s.user("tina", CLS, Role.TEACHER);
          TestClient ana = s.client();
          TestClient bo = s.client();
          TestClient cy = s.user("cy", CLS, Role.STUDENT)) {
        ana.hello(s.server().issuer().mint("ana", "Ana", Map.of(CLS, Role.STUDENT), Duration.ofHours(1), false,
            Map.of("school", "lyon", "language", "fr")));
        bo.hello(s.server().issuer().mint("bo", "Bo", Map.of(CLS, Role.STUDENT), Duration.ofHours(1), false,
            Map.of("school", "krakow")));
        for (TestClient c : List.of(tina, ana, bo, cy)) {
          c.join(CLS);
        }
        TestClient.ack(tina.request(create(CLS, BreakoutCreate.newBuilder().addNames("Lyon").addNames("Kraków")
            .setAssignment(BreakoutRound.Assignment.BY_CLAIM).setClaim("school")
            .addClaimValues("lyon").addClaimValues("krakow"))));
        BreakoutRound r = changed(ana, BreakoutsChanged.Kind.CREATED).getRound();
        ClientMessage.Builder take = breakout(CLS, BreakoutRequest.newBuilder()
            .setTakePlace(BreakoutTakePlace.newBuilder().setClaimValue("lyon"))); // the client's value is ignored
        TestClient.ack(ana.request(take.clone()));
        TestClient.ack(bo.request(take.clone()));
        assertEquals(ErrorCode.BREAKOUT_NO_CLAIM, errorOf(cy.request(take.clone())), "cy's token has no school");
        Map<String, String> placed = new HashMap<>();
        for (int i = 0; i < 2; i++) {
          Event e = tina.awaitEvent(Event::hasBreakoutMoved, "a place taken");
          placed.put(e.getBreakoutMoved().getPlace().getUserId(), e.getBreakoutMoved().getPlace().getRoomId());
        }
        assertEquals(Map.of("ana", r.getBreakouts(0).getRoomId(), "bo", r.getBreakouts(1).getRoomId()), placed);
        ana.join(r.getBreakouts(0).getRoomId());
        assertEquals(ErrorCode.BREAKOUT_NOT_ASSIGNED, errorOf(bo.joinRaw(r.getBreakouts(0).getRoomId(), 0, "")));
        bo.join(r.getBreakouts(1).getRoomId());
      }
    }
  }

  @Test
  void theClassEndingWithBreakoutsOpenEndsThemToo() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(CLS);
      try (TestClient tina = s.user("tina", CLS, Role.TEACHER);
          TestClient ana = s.user("ana", CLS, Role.STUDENT)) {
        tina.join(CLS);
        ana.join(CLS);
        TestClient.ack(tina.request(create(CLS, manual("Blue").addPlacements(place("ana", 0)))));
        String blue = changed(ana, BreakoutsChanged.Kind.CREATED).getRound().getBreakouts(0).getRoomId();
        ana.join(blue);
        TestClient.ack(ana.request(post(blue, "before the end")));
        TestClient.ack(tina.request(ClientMessage.newBuilder().setTeacherAction(
            io.ponte.protocol.v1.TeacherAction.newBuilder().setRoomId(CLS)
                .setEndSession(io.ponte.protocol.v1.EndSession.getDefaultInstance()))));
        assertEquals(LeftReason.LEFT_SESSION_ENDED, left(ana, blue).getLeft().getReason());
        try (TestClient again = s.user("ana", CLS, Role.STUDENT)) {
          assertEquals(ErrorCode.BREAKOUT_CLOSED, errorOf(again.joinRaw(blue, 0, "")));
        }
        try (TestClient reader = s.user("tina", CLS, Role.TEACHER)) {
          Joined after = reader.join(blue);
          assertEquals(Role.OBSERVER, after.getRole());
          assertTrue(texts(after).contains("before the end"));
        }
      }
    }
  }

  @Test
  void twoNodesThroughRedisShareTheRoundsAndTheBreakoutRooms() {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      a.createRoom(CLS);
      b.createRoom(CLS);
      try (TestClient tina = a.user("tina", CLS, Role.TEACHER);
          TestClient ana = b.user("ana", CLS, Role.STUDENT);
          TestClient bo = a.user("bo", CLS, Role.STUDENT)) {
        tina.join(CLS);
        ana.join(CLS);
        bo.join(CLS);
        // ana is on node b: node a knows her through the shared presence, once it has arrived.
        tina.awaitEvent(e -> e.hasPresence() && e.getPresence().getParticipant().getUserId().equals("ana"),
            "ana's presence on node a");
        TestClient.ack(tina.request(create(CLS, manual("Blue", "Green")
            .addPlacements(place("ana", 0)).addPlacements(place("bo", 0)))));
        BreakoutRound r = changed(ana, BreakoutsChanged.Kind.CREATED).getRound();
        String blue = r.getBreakouts(0).getRoomId();
        String green = r.getBreakouts(1).getRoomId();
        ana.join(blue);
        bo.join(blue);
        TestClient.ack(ana.request(post(blue, "from node b")));
        posted(bo, blue, "from node b");
        TestClient.ack(bo.request(post(blue, "from node a")));
        posted(ana, blue, "from node a");

        TestClient.ack(tina.request(move(CLS, "ana", green)));
        assertEquals(green, ana.awaitEvent(Event::hasBreakoutMoved, "the move on node b")
            .getBreakoutMoved().getPlace().getRoomId());
        assertEquals(LeftReason.LEFT_REMOVED, left(ana, blue).getLeft().getReason(), "taken out of blue on node b");
        ana.join(green);
        TestClient.ack(tina.request(broadcast(CLS, "wrap up")));
        assertEquals("wrap up", ana.awaitEvent(Event::hasBreakoutBroadcast, "the broadcast on b")
            .getBreakoutBroadcast().getText());
        Joined visit = tina.join(green);
        assertEquals(Role.TEACHER, visit.getRole());

        TestClient.ack(tina.request(close(CLS)));
        changed(ana, BreakoutsChanged.Kind.CLOSED);
        assertEquals(LeftReason.LEFT_SESSION_ENDED, left(ana, green).getLeft().getReason());
        assertEquals(LeftReason.LEFT_SESSION_ENDED, left(bo, blue).getLeft().getReason());
        left(tina, green);
        Joined after = tina.join(blue);
        assertEquals(Role.OBSERVER, after.getRole());
        assertTrue(texts(after).containsAll(List.of("from node a", "from node b")), texts(after).toString());
      }
    }
  }

  @Test
  void twoNodesSharingAPostgresStoreCreateABreakoutRoomOnceWhenBothEnterItAtOnce() throws Exception {
    String prefix = RedisFixture.newPrefix();
    try (io.ponte.server.store.PgTestSchema schema = io.ponte.server.store.PgTestSchema.create()) {
      UnaryOperator<PonteConfig.Builder> shared = b -> b.redisUrl(RedisFixture.get().url())
          .redisKeyPrefix(prefix).storeUrl(schema.url());
      try (TestServer a = new TestServer(dir.resolve("a"), b -> shared.apply(b).nodeId("a"));
          TestServer b = new TestServer(dir.resolve("b"), c -> shared.apply(c).nodeId("b"))) {
        a.createRoom(CLS);
        try (TestClient tina = a.user("tina", CLS, Role.TEACHER);
            TestClient ana = a.user("ana", CLS, Role.STUDENT);
            TestClient bo = b.user("bo", CLS, Role.STUDENT)) {
          tina.join(CLS);
          ana.join(CLS);
          bo.join(CLS);
          // Placements name users present in the room: wait until node a sees bo (shared presence).
          tina.awaitEvent(e -> e.hasPresence() && e.getPresence().getParticipant().getUserId().equals("bo"),
              "bo's presence on node a");
          TestClient.ack(tina.request(create(CLS, manual("Blue").addPlacements(place("ana", 0))
              .addPlacements(place("bo", 0)))));
          String blue = changed(bo, BreakoutsChanged.Kind.CREATED).getRound().getBreakouts(0).getRoomId();
          changed(ana, BreakoutsChanged.Kind.CREATED);
          // Both nodes find no room and create it at the same moment: one creation wins, both join.
          long anaJoin = ana.sendRequest(ClientMessage.newBuilder().setJoin(
              io.ponte.protocol.v1.Join.newBuilder().setRoomId(blue)));
          long boJoin = bo.sendRequest(ClientMessage.newBuilder().setJoin(
              io.ponte.protocol.v1.Join.newBuilder().setRoomId(blue)));
          assertTrue(ana.answer(anaJoin).hasJoined(), "ana joined on node a");
          assertTrue(bo.answer(boJoin).hasJoined(), "bo joined on node b");
          TestClient.ack(bo.request(post(blue, "one room for both nodes")));
          posted(ana, blue, "one room for both nodes");
          TestClient.ack(tina.request(close(CLS)));
          left(ana, blue);
          left(bo, blue);
          try (java.sql.Connection c = schema.connection();
              java.sql.ResultSet rs = c.createStatement().executeQuery(
                  "SELECT count(*), max(ended_ms) FROM rooms WHERE room_id = '" + blue + "'")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1), "one record");
            assertTrue(rs.getLong(2) > 0, "its retention period started at the close");
          }
        }
      }
    }
  }

  @Test
  void badInputGetsItsCodeWhileTheRoomAndBystandersKeepWorking() {
    try (TestServer s = new TestServer(dir, c -> c.set("breakout-max-per-room", "3").set("breakout-ops-per-second", "20"));
        Bystanders by = new Bystanders(s, "by")) {
      s.createRoom(CLS);
      try (TestClient tina = s.user("tina", CLS, Role.TEACHER);
          TestClient ana = s.user("ana", CLS, Role.STUDENT);
          TestClient other = s.user("oz", "elsewhere", Role.TEACHER)) {
        tina.join(CLS);
        ana.join(CLS);
        by.assertServed();
        assertEquals(ErrorCode.PERMISSION_DENIED, errorOf(ana.request(create(CLS, manual("A")))));
        assertEquals(ErrorCode.TOO_MANY_BREAKOUTS, errorOf(tina.request(create(CLS, manual("A", "B", "C", "D")))));
        assertEquals(ErrorCode.BREAKOUT_NAME_TOO_LONG, errorOf(tina.request(create(CLS, manual("n".repeat(65))))));
        assertEquals(ErrorCode.BREAKOUT_INVALID, errorOf(tina.request(create(CLS, manual()))));
        assertEquals(ErrorCode.BREAKOUT_TIMER_INVALID,
            errorOf(tina.request(create(CLS, manual("A").setDurationMs(100)))));
        assertEquals(ErrorCode.BREAKOUT_UNKNOWN_USER,
            errorOf(tina.request(create(CLS, manual("A").addPlacements(place("ghost", 0))))));
        assertEquals(ErrorCode.INVALID_REQUEST, errorOf(tina.request(breakout(CLS, BreakoutRequest.newBuilder()))));
        assertEquals(ErrorCode.NOT_IN_ROOM, errorOf(other.request(create(CLS, manual("A")))));
        assertEquals(ErrorCode.BREAKOUT_NOT_FOUND, errorOf(tina.request(move(CLS, "ana", ""))));
        assertEquals(ErrorCode.BREAKOUT_NOT_FOUND, errorOf(tina.request(close(CLS))));
        by.assertServed();

        long round = TestClient.ack(tina.request(create(CLS, manual("A", "B")))).getSeq();
        assertEquals(ErrorCode.BREAKOUTS_ALREADY_OPEN, errorOf(tina.request(create(CLS, manual("C")))));
        assertEquals(ErrorCode.BREAKOUT_NOT_FOUND, errorOf(tina.request(move(CLS, "ana", CLS + ".b" + round + ".9"))));
        assertEquals(ErrorCode.BREAKOUT_UNKNOWN_USER, errorOf(tina.request(move(CLS, "ghost", CLS + ".b" + round + ".1"))));
        assertEquals(ErrorCode.BREAKOUT_TIMER_INVALID, errorOf(tina.request(timer(CLS, 86_400_001))));
        assertEquals(ErrorCode.PERMISSION_DENIED, errorOf(ana.request(close(CLS))));
        assertEquals(ErrorCode.PERMISSION_DENIED, errorOf(ana.request(move(CLS, "ana", CLS + ".b" + round + ".1"))));
        assertEquals(ErrorCode.TEXT_EMPTY, errorOf(tina.request(broadcast(CLS, " "))));
        // Joins of breakout-shaped ids: unknown ones, one not placed in, a parent not granted.
        assertEquals(ErrorCode.BREAKOUT_NOT_FOUND, errorOf(ana.joinRaw(CLS + ".b999.1", 0, "")));
        assertEquals(ErrorCode.BREAKOUT_NOT_FOUND, errorOf(ana.joinRaw(CLS + ".b" + round + ".3", 0, "")));
        assertEquals(ErrorCode.BREAKOUT_NOT_ASSIGNED, errorOf(ana.joinRaw(CLS + ".b" + round + ".1", 0, "")));
        assertEquals(ErrorCode.ROOM_NOT_ALLOWED, errorOf(other.joinRaw(CLS + ".b" + round + ".1", 0, "")));
        // A flood is rate limited (20 per second here, burst 40).
        boolean limited = false;
        for (int i = 0; i < 100 && !limited; i++) {
          ServerMessage m = tina.request(broadcast(CLS, "flood " + i));
          limited = m.hasError() && m.getError().getCode() == ErrorCode.RATE_LIMITED;
        }
        assertTrue(limited, "breakout requests are rate limited");
        by.assertServed();
        // The room still works: a post, and the round still closes.
        TestClient.ack(ana.request(post(CLS, "still here")));
        Thread.sleep(2_100);
        TestClient.ack(tina.request(close(CLS)));
        changed(ana, BreakoutsChanged.Kind.CLOSED);
        by.assertServed();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
