package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LobbyAdmit;
import io.ponte.protocol.v1.LobbyAdmitAll;
import io.ponte.protocol.v1.LobbyDeny;
import io.ponte.protocol.v1.LobbyEntry;
import io.ponte.protocol.v1.LobbyLeft;
import io.ponte.protocol.v1.LobbyMode;
import io.ponte.protocol.v1.LobbyRequest;
import io.ponte.protocol.v1.LobbySetMode;
import io.ponte.protocol.v1.LobbyStatus;
import io.ponte.protocol.v1.RemoveParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lobby with real WebSocket clients: a guest waits with its place and sees nothing of the
 * room, a teacher admits and the Join completes with a snapshot; deny, admit all, the teacher who
 * never waits, the guests and everyone modes and a runtime mode change, an admitted user coming
 * back, a waiting client that leaves, two nodes through Redis, and bad input while bystanders are
 * served.
 */
@Timeout(120)
class LobbyIT {
  private static final Duration QUIET = Duration.ofMillis(600);

  @TempDir
  Path dir;

  // ---- helpers ------------------------------------------------------------------------------

  static void createRoom(TestServer s, String room, String lobby) {
    s.createRoom(new JsonObject().put("id", room).put("title", "Room " + room).put("lobby", lobby));
  }

  static ClientMessage.Builder lobby(String room, LobbyRequest.Builder r) {
    return ClientMessage.newBuilder().setLobby(r.setRoomId(room));
  }

  static ClientMessage.Builder admit(String room, String user) {
    return lobby(room, LobbyRequest.newBuilder().setAdmit(LobbyAdmit.newBuilder().setUserId(user)));
  }

  static ClientMessage.Builder deny(String room, String user) {
    return lobby(room, LobbyRequest.newBuilder().setDeny(LobbyDeny.newBuilder().setUserId(user)));
  }

  static ClientMessage.Builder admitAll(String room) {
    return lobby(room, LobbyRequest.newBuilder().setAdmitAll(LobbyAdmitAll.getDefaultInstance()));
  }

  static ClientMessage.Builder setMode(String room, LobbyMode mode) {
    return lobby(room, LobbyRequest.newBuilder().setSetMode(LobbySetMode.newBuilder().setMode(mode)));
  }

  /** Sends a Join and returns its request id (the answer comes once the lobby lets it go). */
  static long knock(TestClient c, String room) {
    return c.sendRequest(ClientMessage.newBuilder().setJoin(Join.newBuilder().setRoomId(room)));
  }

  /** The next WAITING status of the room with this place. */
  static LobbyStatus waitingAt(TestClient c, String room, int position) {
    return c.await(m -> m.hasLobbyStatus() && m.getLobbyStatus().getRoomId().equals(room)
        && m.getLobbyStatus().getState() == LobbyStatus.State.WAITING
        && m.getLobbyStatus().getPosition() == position,
        "lobby status: waiting at " + position).getLobbyStatus();
  }

  static LobbyStatus status(TestClient c, LobbyStatus.State state) {
    return c.await(m -> m.hasLobbyStatus() && m.getLobbyStatus().getState() == state,
        "lobby status " + state).getLobbyStatus();
  }

  static Joined joined(TestClient c, long joinRequest) {
    ServerMessage m = c.answer(joinRequest);
    assertEquals(ServerMessage.BodyCase.JOINED, m.getBodyCase(), () -> "expected joined: " + m);
    return m.getJoined();
  }

  static ErrorInfo refused(TestClient c, long joinRequest) {
    return TestClient.error(c.answer(joinRequest));
  }

  static LobbyEntry knocked(TestClient teacher, String user) {
    return teacher.awaitEvent(e -> e.hasLobbyKnocked() && e.getLobbyKnocked().getEntry().getUserId().equals(user),
        user + " knocking").getLobbyKnocked().getEntry();
  }

  static LobbyLeft leftLobby(TestClient teacher, String user) {
    return teacher.awaitEvent(e -> e.hasLobbyLeft() && e.getLobbyLeft().getUserIdsList().contains(user),
        user + " leaving the lobby").getLobbyLeft();
  }

  static List<String> waiting(Joined j) {
    return j.getSnapshot().getLobby().getWaitingList().stream().map(LobbyEntry::getUserId).toList();
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void aGuestWaitsWithItsPlaceSeesNothingAndATeachersAdmissionCompletesItsJoin() {
    try (TestServer s = new TestServer(dir)) {
      createRoom(s, "r1", "guests");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient gus = s.guest("gus", "r1", Role.STUDENT);
          TestClient gia = s.guest("gia", "r1", Role.STUDENT)) {
        Joined teacher = tina.join("r1");
        assertEquals(LobbyMode.LOBBY_GUESTS, teacher.getSnapshot().getLobby().getMode());
        ana.join("r1"); // no guest claim: no lobby in guests mode

        long gusJoin = knock(gus, "r1");
        LobbyStatus first = waitingAt(gus, "r1", 1);
        assertEquals(1, first.getWaiting());
        LobbyEntry entry = knocked(tina, "gus");
        assertTrue(entry.getGuest());
        assertEquals("Guest gus", entry.getDisplayName());
        assertTrue(entry.getSinceMs() > 0);
        long giaJoin = knock(gia, "r1");
        waitingAt(gia, "r1", 2);
        assertEquals(2, waitingAt(gus, "r1", 1).getWaiting(), "the queue grew behind gus");
        assertFalse(ana.receives(m -> m.hasEvent() && m.getEvent().hasLobbyKnocked(), QUIET),
            "learners do not see the lobby");

        // While waiting: no room content, and no room requests.
        ana.post("r1", "hello class");
        assertFalse(gus.receives(ServerMessage::hasEvent, QUIET), "a waiting guest sees nothing of the room");
        assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(gus.request(admit("r1", "gia"))).getCode());
        assertEquals(ErrorCode.ALREADY_IN_ROOM,
            TestClient.error(gus.joinRaw("r1", 0, "")).getCode(), "one pending Join per room");

        try (TestClient theo = s.user("theo", "r1", Role.TEACHER)) {
          assertEquals(List.of("gus", "gia"), waiting(theo.join("r1")), "a teacher's snapshot lists the queue");
        }
        try (TestClient cy = s.user("cy", "r1", Role.STUDENT)) {
          assertEquals(List.of(), waiting(cy.join("r1")), "a learner's does not");
        }

        long seq = TestClient.ack(tina.request(admit("r1", "gus"))).getSeq();
        assertEquals(LobbyLeft.Reason.ADMITTED, leftLobby(tina, "gus").getReason());
        status(gus, LobbyStatus.State.ADMITTED);
        Joined in = joined(gus, gusJoin);
        assertTrue(in.getReset());
        assertTrue(in.getSeq() >= seq);
        assertTrue(in.getSnapshot().getRecentMessagesList().stream().anyMatch(m -> m.getText().equals("hello class")),
            "the admitted guest gets the room's snapshot");
        assertEquals(List.of(), waiting(in));
        assertEquals(1, waitingAt(gia, "r1", 1).getWaiting(), "gia moved up");

        gus.post("r1", "hi from a partner school");
        ana.awaitEvent(e -> e.hasChatPosted() && e.getChatPosted().getText().equals("hi from a partner school"),
            "the admitted guest's post");
        TestClient.ack(tina.request(admit("r1", "gia")));
        joined(gia, giaJoin);
      }
    }
  }

  @Test
  void aDeniedGuestGetsTheRefusalAndMayNotKnockAgainForAWhile() {
    try (TestServer s = new TestServer(dir)) {
      createRoom(s, "r1", "guests");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient gus = s.guest("gus", "r1", Role.STUDENT)) {
        tina.join("r1");
        long join = knock(gus, "r1");
        waitingAt(gus, "r1", 1);
        knocked(tina, "gus");
        TestClient.ack(tina.request(deny("r1", "gus")));
        assertEquals(LobbyLeft.Reason.DENIED, leftLobby(tina, "gus").getReason());
        status(gus, LobbyStatus.State.DENIED);
        ErrorInfo denied = refused(gus, join);
        assertEquals(ErrorCode.LOBBY_DENIED, denied.getCode());
        assertFalse(denied.getRetryable());
        assertTrue(denied.getRetryAfterMs() > 500_000, "barred for lobby-deny-block-ms: " + denied.getRetryAfterMs());
        gus.assertOpen();

        ServerMessage again = gus.joinRaw("r1", 0, "");
        assertEquals(ErrorCode.LOBBY_DENIED, TestClient.error(again).getCode(), "no knocking again while barred");
        assertFalse(tina.receives(m -> m.hasEvent() && m.getEvent().hasLobbyKnocked(), QUIET));
        try (TestClient gus2 = s.guest("gus", "r1", Role.STUDENT)) {
          assertEquals(ErrorCode.LOBBY_DENIED, TestClient.error(gus2.joinRaw("r1", 0, "")).getCode(),
              "nor from another connection");
        }
      }
    }
  }

  @Test
  void admitAllLetsEveryoneWaitingIn() {
    try (TestServer s = new TestServer(dir)) {
      createRoom(s, "r1", "everyone");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        tina.join("r1");
        long a = knock(ana, "r1");
        waitingAt(ana, "r1", 1);
        long b = knock(bo, "r1");
        waitingAt(bo, "r1", 2);
        long o = knock(olga, "r1");
        waitingAt(olga, "r1", 3);
        knocked(tina, "olga");
        TestClient.ack(tina.request(admitAll("r1")));
        LobbyLeft all = leftLobby(tina, "olga");
        assertEquals(LobbyLeft.Reason.ADMITTED, all.getReason());
        assertEquals(List.of("ana", "bo", "olga"), all.getUserIdsList());
        assertTrue(TestClient.ack(tina.request(admitAll("r1"))).getDuplicate(), "admitting nobody is not sequenced");
        joined(ana, a);
        joined(bo, b);
        joined(olga, o);
      }
    }
  }

  @Test
  void aTeacherNeverWaitsEveryoneModeHoldsStudentsAndAModeChangeLetsThemIn() {
    try (TestServer s = new TestServer(dir)) {
      createRoom(s, "r1", "everyone");
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient gus = s.guest("gus", "r1", Role.STUDENT)) {
        long a = knock(ana, "r1");
        waitingAt(ana, "r1", 1);
        long g = knock(gus, "r1");
        waitingAt(gus, "r1", 2);
        try (TestClient tina = s.guest("tina", "r1", Role.TEACHER)) {
          Joined t = tina.join("r1"); // a teacher walks in, even with the guest claim
          assertEquals(List.of("ana", "gus"), waiting(t));
          TestClient.ack(tina.request(setMode("r1", LobbyMode.LOBBY_GUESTS)));
          Event changed = tina.awaitEvent(Event::hasLobbyModeChanged, "the mode change");
          assertEquals(List.of("ana"), changed.getLobbyModeChanged().getAdmittedUserIdsList());
          Joined in = joined(ana, a);
          assertEquals(LobbyMode.LOBBY_GUESTS, in.getSnapshot().getLobby().getMode());
          assertEquals(1, waitingAt(gus, "r1", 1).getWaiting(), "the guest still waits, now first");
          try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
            bo.join("r1"); // guests mode: a known student walks in

            // Back to everyone: who is in the room stays admitted; a newcomer waits.
            TestClient.ack(tina.request(setMode("r1", LobbyMode.LOBBY_EVERYONE)));
            tina.awaitEvent(e -> e.hasLobbyModeChanged()
                && e.getLobbyModeChanged().getMode() == LobbyMode.LOBBY_EVERYONE, "everyone again");
          }
          try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
            bo.join("r1");
          }
          try (TestClient cy = s.user("cy", "r1", Role.STUDENT)) {
            knock(cy, "r1");
            waitingAt(cy, "r1", 2);
          }
          TestClient.ack(tina.request(setMode("r1", LobbyMode.LOBBY_OFF)));
          joined(gus, g);
        }
      }
    }
  }

  @Test
  void anAdmittedUserComingBackDoesNotWaitAgain() {
    try (TestServer s = new TestServer(dir)) {
      createRoom(s, "r1", "guests");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        Joined first;
        try (TestClient gus = s.guest("gus", "r1", Role.STUDENT)) {
          long join = knock(gus, "r1");
          waitingAt(gus, "r1", 1);
          TestClient.ack(tina.request(admit("r1", "gus")));
          first = joined(gus, join);
          try (TestClient tab = s.guest("gus", "r1", Role.STUDENT)) {
            tab.join("r1"); // a second tab walks in
          }
        }
        try (TestClient gus = s.guest("gus", "r1", Role.STUDENT)) {
          Joined resumed = gus.join("r1", first.getSeq(), first.getEpoch());
          assertFalse(resumed.getReset(), "a resume");
        }
        try (TestClient gus = s.guest("gus", "r1", Role.STUDENT)) {
          gus.join("r1"); // a fresh page load
        }
        s.stop();
        s.start();
        try (TestClient gus = s.guest("gus", "r1", Role.STUDENT)) {
          gus.join("r1"); // after a node restart: the admission is in the room's state
        }
      }
    }
  }

  @Test
  void aWaitingClientThatDisconnectsLeavesTheTeachersViewAndARemovedOneIsRefused() {
    try (TestServer s = new TestServer(dir, b -> b.set("lobby-leave-grace-ms", "1500"))) {
      createRoom(s, "r1", "guests");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        TestClient gus = s.guest("gus", "r1", Role.STUDENT);
        knock(gus, "r1");
        waitingAt(gus, "r1", 1);
        knocked(tina, "gus");
        gus.close();
        assertEquals(LobbyLeft.Reason.GONE, leftLobby(tina, "gus").getReason());
        try (TestClient theo = s.user("theo", "r1", Role.TEACHER)) {
          assertEquals(List.of(), waiting(theo.join("r1")));
        }

        // A reconnect within the grace keeps the place.
        TestClient gia = s.guest("gia", "r1", Role.STUDENT);
        TestClient gab = s.guest("gab", "r1", Role.STUDENT);
        knock(gia, "r1");
        waitingAt(gia, "r1", 1);
        knock(gab, "r1");
        waitingAt(gab, "r1", 2);
        gia.close();
        gia = s.guest("gia", "r1", Role.STUDENT);
        long again = knock(gia, "r1");
        waitingAt(gia, "r1", 1);
        assertFalse(tina.receives(m -> m.hasEvent() && m.getEvent().hasLobbyLeft()
            && m.getEvent().getLobbyLeft().getUserIdsList().contains("gia"), Duration.ofMillis(2500)),
            "gia came back in time");

        // A teacher removes a waiting guest: the Join is refused BANNED, as a banned join always was.
        TestClient.ack(tina.request(ClientMessage.newBuilder().setTeacherAction(TeacherAction.newBuilder()
            .setRoomId("r1").setRemove(RemoveParticipant.newBuilder().setUserId("gia")))));
        assertEquals(ErrorCode.BANNED, refused(gia, again).getCode());
        assertEquals(ErrorCode.BANNED, TestClient.error(gia.joinRaw("r1", 0, "")).getCode());
        assertEquals(1, waitingAt(gab, "r1", 1).getWaiting());
        gia.close();
        gab.close();
      }
    }
  }

  @Test
  void aGuestWaitingOnOneNodeIsAdmittedByATeacherOnTheOtherThroughRedis() {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix)
        .set("lobby-leave-grace-ms", "500");
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      createRoom(a, "r1", "guests");
      createRoom(b, "r1", "guests");
      try (TestClient tina = a.user("tina", "r1", Role.TEACHER);
          TestClient gus = b.guest("gus", "r1", Role.STUDENT);
          TestClient gia = b.guest("gia", "r1", Role.STUDENT);
          TestClient gab = a.guest("gab", "r1", Role.STUDENT)) {
        tina.join("r1");
        long join = knock(gus, "r1");
        waitingAt(gus, "r1", 1);
        assertTrue(knocked(tina, "gus").getGuest(), "node b's knock seen on node a");
        long giaJoin = knock(gia, "r1");
        waitingAt(gia, "r1", 2);
        long gabJoin = knock(gab, "r1");
        waitingAt(gab, "r1", 3);

        TestClient.ack(tina.request(admit("r1", "gus")));
        Joined in = joined(gus, join);
        assertTrue(in.getReset());
        waitingAt(gia, "r1", 1);
        waitingAt(gab, "r1", 2);
        TestClient.ack(tina.request(deny("r1", "gia")));
        assertEquals(ErrorCode.LOBBY_DENIED, refused(gia, giaJoin).getCode(), "denied on node b by node a");
        waitingAt(gab, "r1", 1);
        gus.post("r1", "from node b");
        tina.awaitEvent(e -> e.hasChatPosted() && e.getChatPosted().getText().equals("from node b"), "gus's post");
        TestClient.ack(tina.request(admitAll("r1")));
        joined(gab, gabJoin);

        // A guest waiting on node b goes away: node b takes them out of the queue node a shows.
        TestClient gil = b.guest("gil", "r1", Role.STUDENT);
        knock(gil, "r1");
        waitingAt(gil, "r1", 1);
        knocked(tina, "gil");
        gil.close();
        assertEquals(LobbyLeft.Reason.GONE, leftLobby(tina, "gil").getReason());
      }
    }
  }

  @Test
  void badInputGetsItsCodeWhileTheRoomAndBystandersKeepWorking() {
    try (TestServer s = new TestServer(dir, b -> b.set("lobby-max-waiting", "1"))) {
      createRoom(s, "r1", "guests");
      assertEquals(400, s.admin("POST", "/admin/rooms",
          new JsonObject().put("id", "r2").put("title", "x").put("lobby", "sometimes").encode()).statusCode());
      assertEquals(400, s.admin("POST", "/admin/rooms",
          new JsonObject().put("id", "r2").put("title", "x").put("lobby", 7).encode()).statusCode());
      try (Bystanders others = new Bystanders(s, "other");
          TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient gus = s.guest("gus", "r1", Role.STUDENT);
          TestClient gia = s.guest("gia", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        long join = knock(gus, "r1");
        waitingAt(gus, "r1", 1);

        assertEquals(ErrorCode.LOBBY_FULL, TestClient.error(gia.joinRaw("r1", 0, "")).getCode(), "lobby-max-waiting 1");
        assertEquals(ErrorCode.NOT_IN_LOBBY, TestClient.error(tina.request(admit("r1", "nobody"))).getCode());
        assertEquals(ErrorCode.NOT_IN_LOBBY, TestClient.error(tina.request(deny("r1", "ana"))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(ana.request(admit("r1", "gus"))).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(ana.request(admitAll("r1"))).getCode());
        assertEquals(ErrorCode.LOBBY_MODE_INVALID, TestClient.error(tina.request(lobby("r1",
            LobbyRequest.newBuilder().setSetMode(LobbySetMode.newBuilder().setModeValue(9))))).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(tina.request(lobby("r1", LobbyRequest.newBuilder())))
            .getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(tina.request(admit("r1", ""))).getCode());
        assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(tina.request(admit("elsewhere", "gus"))).getCode());
        others.assertServed();

        List<Long> burst = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
          burst.add(tina.sendRequest(admit("r1", "nobody")));
        }
        int limited = 0;
        for (long id : burst) {
          ServerMessage m = tina.answer(id);
          if (m.hasError() && m.getError().getCode() == ErrorCode.RATE_LIMITED) {
            limited++;
          }
        }
        assertTrue(limited > 0, "lobby requests are rate limited");
        others.assertServed();

        ana.post("r1", "the room still works");
        tina.awaitEvent(e -> e.hasChatPosted() && e.getChatPosted().getText().equals("the room still works"),
            "a post in the room");
        Thread.sleep(2_500); // the lobby budget refills
        TestClient.ack(tina.request(admit("r1", "gus")));
        joined(gus, join);
        others.assertServed();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void theDocumentEndpointsRefuseAGuestNotYetAdmittedAndLetTheAdmittedIn() {
    try (TestServer s = new TestServer(dir)) {
      createRoom(s, "r1", "guests");
      YWebsocketIT.createDoc(s, "r1", "report");
      // A guest token minted through the admin API.
      java.net.http.HttpResponse<String> minted = s.admin("POST", "/admin/tokens", new JsonObject()
          .put("userId", "gus").put("name", "Gus").put("rooms", new JsonObject().put("r1", "student"))
          .put("guest", true).encode());
      assertEquals(200, minted.statusCode(), minted.body());
      String token = new JsonObject(minted.body()).getString("token");
      assertEquals(400, s.admin("POST", "/admin/tokens", new JsonObject().put("userId", "x").put("name", "X")
          .put("guest", "yes").encode()).statusCode(), "guest must be a boolean");
      try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(), "/yjs/r1/report?token=" + token)) {
        assertEquals(CloseCode.FORBIDDEN.code(), y.awaitClose(), "no way around the lobby through /yjs");
      }
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient gus = s.guest("gus", "r1", Role.STUDENT)) {
        tina.join("r1");
        long join = knock(gus, "r1");
        waitingAt(gus, "r1", 1);
        TestClient.ack(tina.request(admit("r1", "gus")));
        joined(gus, join);
      }
      try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(), "/yjs/r1/report?token=" + token)) {
        y.await(m -> m[0] == 0, "sync step 1 for the admitted guest", Duration.ofSeconds(10));
      }
    }
  }
}
