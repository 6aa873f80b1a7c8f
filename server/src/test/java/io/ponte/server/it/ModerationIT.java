package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.EndSession;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Leave;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.LiftBan;
import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.MuteParticipant;
import io.ponte.protocol.v1.PresenceChanged;
import io.ponte.protocol.v1.RemoveParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.SetStudentChat;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.protocol.v1.Typing;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Teacher controls, roles and admission on a real node. */
@Timeout(60)
class ModerationIT {
  private static final Duration QUIET = Duration.ofMillis(400);

  @TempDir
  Path dir;

  // ------------------------------------------------------------------------------------------
  // Helpers
  // ------------------------------------------------------------------------------------------

  static ServerMessage action(TestClient c, String roomId, Consumer<TeacherAction.Builder> body) {
    TeacherAction.Builder a = TeacherAction.newBuilder().setRoomId(roomId);
    body.accept(a);
    return c.request(ClientMessage.newBuilder().setTeacherAction(a));
  }

  static ServerMessage mute(TestClient c, String roomId, String userId, boolean muted) {
    return action(c, roomId, a -> a.setMute(MuteParticipant.newBuilder().setUserId(userId).setMuted(muted)));
  }

  static ServerMessage remove(TestClient c, String roomId, String userId) {
    return action(c, roomId, a -> a.setRemove(RemoveParticipant.newBuilder().setUserId(userId)));
  }

  static ServerMessage postRaw(TestClient c, String roomId, String text) {
    return c.request(ClientMessage.newBuilder()
        .setChatPost(ChatPost.newBuilder().setRoomId(roomId).setText(text)));
  }

  static ServerMessage leave(TestClient c, String roomId) {
    return c.request(ClientMessage.newBuilder().setLeave(Leave.newBuilder().setRoomId(roomId)));
  }

  static ErrorCode postError(TestClient c, String roomId, String text) {
    return TestClient.error(postRaw(c, roomId, text)).getCode();
  }

  static ErrorCode joinError(TestClient c, String roomId) {
    return TestClient.error(c.joinRaw(roomId, 0, "")).getCode();
  }

  /** Every client sees the next durable event of the room at the given seq; returns one copy. */
  static Event everyoneSees(String roomId, long seq, List<TestClient> clients) {
    Event first = null;
    for (TestClient c : clients) {
      Event e = c.nextEvent(roomId);
      assertEquals(seq, e.getSeq(), () -> "seq of " + e);
      if (first == null) {
        first = e;
      } else {
        assertEquals(first, e);
      }
    }
    return first;
  }

  static boolean isLeft(ServerMessage m, String roomId, LeftReason reason) {
    return m.hasLeft() && m.getLeft().getRoomId().equals(roomId) && m.getLeft().getReason() == reason;
  }

  static boolean isGoodbye(ServerMessage m, CloseCode code) {
    return m.hasGoodbye() && m.getGoodbye().getCloseCode() == code.code();
  }

  static boolean presence(Event e, PresenceChanged.Kind kind, String userId) {
    return e.hasPresence() && e.getPresence().getKind() == kind
        && e.getPresence().getParticipant().getUserId().equals(userId);
  }

  // ------------------------------------------------------------------------------------------
  // Mute
  // ------------------------------------------------------------------------------------------

  @Test
  void muteStopsTheStudentsChatAndUnmuteRestoresIt() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient cy = s.user("cy", "r1", Role.STUDENT)) {
        List<TestClient> all = List.of(ana, bo, cy);
        for (TestClient c : all) {
          c.join("r1");
        }
        Ack muted = TestClient.ack(mute(ana, "r1", "bo", true));
        assertEquals(1, muted.getSeq());
        Event e = everyoneSees("r1", 1, all);
        assertTrue(e.hasParticipantMuted(), e::toString);
        assertEquals("bo", e.getParticipantMuted().getUserId());
        assertTrue(e.getParticipantMuted().getMuted());
        assertEquals("ana", e.getActor().getUserId());
        assertEquals(Role.TEACHER, e.getActor().getRole());

        assertEquals(ErrorCode.MUTED, postError(bo, "r1", "can you hear me?"));
        assertEquals(2, cy.post("r1", "cy is not muted").getSeq());
        everyoneSees("r1", 2, all);
        // The muted user's refused post took no seq and reached nobody.
        assertFalse(ana.receives(m -> m.hasEvent() && m.getEvent().hasChatPosted()
            && m.getEvent().getActor().getUserId().equals("bo"), QUIET));

        assertEquals(3, TestClient.ack(mute(ana, "r1", "bo", false)).getSeq());
        Event unmuted = everyoneSees("r1", 3, all);
        assertFalse(unmuted.getParticipantMuted().getMuted());
        assertEquals(4, bo.post("r1", "back again").getSeq());
        assertEquals("back again", everyoneSees("r1", 4, all).getChatPosted().getText());
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Remove and lift ban
  // ------------------------------------------------------------------------------------------

  @Test
  void removeClosesEveryTabOfTheUserBansThemUntilTheBanIsLifted() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient cy = s.user("cy", "r1", Role.STUDENT);
          TestClient boTab1 = s.user("bo", "r1", Role.STUDENT);
          TestClient boTab2 = s.user("bo", "r1", Role.STUDENT)) {
        ana.join("r1");
        cy.join("r1");
        boTab1.join("r1");
        boTab2.join("r1");

        assertEquals(1, TestClient.ack(remove(ana, "r1", "bo")).getSeq());
        for (TestClient c : List.of(ana, cy)) {
          Event e = c.nextEvent("r1");
          assertEquals(1, e.getSeq());
          assertEquals("bo", e.getParticipantRemoved().getUserId());
          c.awaitEvent(ev -> presence(ev, PresenceChanged.Kind.LEFT, "bo"), "bo left");
          c.assertOpen();
        }
        for (TestClient tab : List.of(boTab1, boTab2)) {
          ServerMessage bye = tab.await(m -> m.hasGoodbye(), "goodbye");
          assertEquals(CloseCode.REMOVED.code(), bye.getGoodbye().getCloseCode());
          assertEquals(CloseCode.REMOVED.code(), tab.awaitClose());
          assertTrue(tab.receives(m -> isLeft(m, "r1", LeftReason.LEFT_REMOVED), Duration.ZERO),
              "the removed tab was told it left the room");
        }
        // The room's participants no longer list bo.
        JsonObject details = new JsonObject(s.admin("GET", "/admin/rooms/r1", null).body());
        assertFalse(details.encode().contains("\"userId\":\"bo\""), details::encode);

        // The same user id cannot come back, even on a fresh connection.
        try (TestClient boAgain = s.user("bo", "r1", Role.STUDENT)) {
          assertEquals(ErrorCode.BANNED, joinError(boAgain, "r1"));
          boAgain.assertOpen();

          assertEquals(2, TestClient.ack(action(ana, "r1",
              a -> a.setLiftBan(LiftBan.newBuilder().setUserId("bo")))).getSeq());
          Event lifted = cy.nextEvent("r1");
          assertEquals(2, lifted.getSeq());
          assertEquals("bo", lifted.getBanLifted().getUserId());

          assertEquals(2, boAgain.join("r1").getSeq());
          assertEquals(3, boAgain.post("r1", "sorry").getSeq());
          assertEquals("sorry", cy.nextEvent("r1").getChatPosted().getText());
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Lock
  // ------------------------------------------------------------------------------------------

  @Test
  void lockKeepsNewStudentsOutButNotThoseInsideOrTeachers() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient dee = s.user("dee", "r1", Role.STUDENT);
          TestClient eve = s.user("eve", "r1", Role.TEACHER)) {
        ana.join("r1");
        bo.join("r1");
        assertEquals(1, TestClient.ack(action(ana, "r1",
            a -> a.setLock(LockRoom.newBuilder().setLocked(true)))).getSeq());
        Event locked = everyoneSees("r1", 1, List.of(ana, bo));
        assertTrue(locked.getRoomLocked().getLocked());

        assertEquals(ErrorCode.ROOM_LOCKED, joinError(dee, "r1"));
        dee.assertOpen();
        // Already inside: stays, and can chat.
        assertEquals(2, bo.post("r1", "still here").getSeq());
        bo.assertOpen();
        // A teacher still gets in, and sees the lock in the snapshot.
        assertTrue(eve.join("r1").getSnapshot().getLocked());

        assertEquals(3, TestClient.ack(action(ana, "r1",
            a -> a.setLock(LockRoom.newBuilder().setLocked(false)))).getSeq());
        assertFalse(dee.join("r1").getSnapshot().getLocked());
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Student chat off / on
  // ------------------------------------------------------------------------------------------

  @Test
  void studentChatOffStopsStudentsButNotTeachers() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        ana.join("r1");
        bo.join("r1");
        assertEquals(1, TestClient.ack(action(ana, "r1",
            a -> a.setStudentChat(SetStudentChat.newBuilder().setEnabled(false)))).getSeq());
        assertFalse(everyoneSees("r1", 1, List.of(ana, bo)).getStudentChatChanged().getEnabled());

        assertEquals(ErrorCode.CHAT_DISABLED, postError(bo, "r1", "hello?"));
        assertEquals(2, ana.post("r1", "teachers may still talk").getSeq());
        everyoneSees("r1", 2, List.of(ana, bo));

        assertEquals(3, TestClient.ack(action(ana, "r1",
            a -> a.setStudentChat(SetStudentChat.newBuilder().setEnabled(true)))).getSeq());
        assertTrue(everyoneSees("r1", 3, List.of(ana, bo)).getStudentChatChanged().getEnabled());
        assertEquals(4, bo.post("r1", "finally").getSeq());
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // End session
  // ------------------------------------------------------------------------------------------

  @Test
  void endSessionTakesEveryoneOutAndNobodyMayJoinAgain() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      s.createRoom("r2");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient cy = s.user("cy", "*", Role.STUDENT)) {
        ana.join("r1");
        bo.join("r1");
        cy.join("r1");
        cy.join("r2");

        assertEquals(1, TestClient.ack(action(ana, "r1",
            a -> a.setEndSession(EndSession.getDefaultInstance()))).getSeq());
        for (TestClient c : List.of(ana, bo, cy)) {
          Event e = c.nextEvent("r1");
          assertEquals(1, e.getSeq());
          assertTrue(e.hasSessionEnded(), e::toString);
          c.await(m -> isLeft(m, "r1", LeftReason.LEFT_SESSION_ENDED), "left r1, session ended");
        }
        // Connections in no other room are closed; cy is still in r2.
        for (TestClient c : List.of(ana, bo)) {
          assertTrue(c.receives(m -> isGoodbye(m, CloseCode.SESSION_ENDED), Duration.ofSeconds(5)));
          assertEquals(CloseCode.SESSION_ENDED.code(), c.awaitClose());
        }
        cy.assertOpen();
        assertEquals(1, cy.post("r2", "r2 goes on").getSeq());
        assertEquals(ErrorCode.NOT_IN_ROOM, postError(cy, "r1", "r1 is over"));

        assertEquals(ErrorCode.ROOM_ENDED, joinError(cy, "r1"));
        try (TestClient late = s.user("dee", "r1", Role.STUDENT);
            TestClient teacher = s.user("eve", "r1", Role.TEACHER)) {
          assertEquals(ErrorCode.ROOM_ENDED, joinError(late, "r1"));
          assertEquals(ErrorCode.ROOM_ENDED, joinError(teacher, "r1"));
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Roles
  // ------------------------------------------------------------------------------------------

  @Test
  void studentsCannotUseTeacherControls() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        ana.join("r1");
        bo.join("r1");
        assertEquals(ErrorCode.PERMISSION_DENIED,
            TestClient.error(mute(bo, "r1", "ana", true)).getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED,
            TestClient.error(action(bo, "r1", a -> a.setLock(LockRoom.newBuilder().setLocked(true))))
                .getCode());
        assertEquals(ErrorCode.PERMISSION_DENIED,
            TestClient.error(action(bo, "r1", a -> a.setEndSession(EndSession.getDefaultInstance())))
                .getCode());
        // Nothing was sequenced: the next operation gets seq 1.
        assertEquals(1, ana.post("r1", "still open").getSeq());
        assertFalse(everyoneSees("r1", 1, List.of(ana, bo)).hasRoomLocked());
      }
    }
  }

  @Test
  void observersAreReadOnlyButSeeEverything() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        ana.join("r1");
        assertEquals(Role.OBSERVER, olga.join("r1").getRole());
        assertEquals(ErrorCode.READ_ONLY, postError(olga, "r1", "may I?"));
        assertEquals(ErrorCode.READ_ONLY, TestClient.error(olga.request(ClientMessage.newBuilder()
            .setTyping(Typing.newBuilder().setRoomId("r1").setTyping(true)))).getCode());
        assertFalse(ana.receives(m -> m.hasEvent() && m.getEvent().hasTyping(), QUIET),
            "a refused typing indicator reaches nobody");
        assertEquals(ErrorCode.PERMISSION_DENIED,
            TestClient.error(mute(olga, "r1", "ana", true)).getCode());

        assertEquals(1, ana.post("r1", "welcome, observers").getSeq());
        Event e = olga.nextEvent("r1");
        assertEquals(1, e.getSeq());
        assertEquals("welcome, observers", e.getChatPosted().getText());
        assertEquals(2, TestClient.ack(action(ana, "r1",
            a -> a.setLock(LockRoom.newBuilder().setLocked(true)))).getSeq());
        assertTrue(olga.nextEvent("r1").getRoomLocked().getLocked());
      }
    }
  }

  @Test
  void teacherCannotMuteOrRemoveThemselves() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER)) {
        ana.join("r1");
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(mute(ana, "r1", "ana", true)).getCode());
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(remove(ana, "r1", "ana")).getCode());
        ana.assertOpen();
        assertEquals(1, ana.post("r1", "still here and not muted").getSeq());
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Admission
  // ------------------------------------------------------------------------------------------

  @Test
  void aFullRoomRefusesTheNextStudent() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(new JsonObject().put("id", "small").put("title", "Small group").put("maxParticipants", 2));
      try (TestClient bo = s.user("bo", "small", Role.STUDENT);
          TestClient cy = s.user("cy", "small", Role.STUDENT);
          TestClient dee = s.user("dee", "small", Role.STUDENT);
          TestClient cySecondTab = s.user("cy", "small", Role.STUDENT)) {
        bo.join("small");
        cy.join("small");
        assertEquals(ErrorCode.ROOM_FULL, joinError(dee, "small"));
        dee.assertOpen();
        // A second tab of someone already inside is not a new participant.
        cySecondTab.join("small");
        try (TestClient ana = s.user("ana", "small", Role.TEACHER)) {
          // Teachers are never kept out of their class by the cap.
          ana.join("small");
          assertTrue(isLeft(leave(ana, "small"), "small", LeftReason.LEFT_BY_REQUEST));
        }
        // Once someone leaves, there is room again.
        ServerMessage left = leave(bo, "small");
        assertTrue(isLeft(left, "small", LeftReason.LEFT_BY_REQUEST), left::toString);
        dee.join("small");
      }
    }
  }

  @Test
  void joinIsRefusedOutsideTheTokensRoomsAndForUnknownRooms() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      s.createRoom("r2");
      try (TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient any = s.user("cy", "*", Role.STUDENT)) {
        assertEquals(ErrorCode.ROOM_NOT_ALLOWED, joinError(bo, "r2"));
        assertEquals(ErrorCode.ROOM_NOT_ALLOWED, joinError(bo, "r10"));
        assertEquals(ErrorCode.ROOM_NOT_FOUND, joinError(any, "no-such-room"));
        bo.assertOpen();
        any.assertOpen();
        bo.join("r1");
        any.join("r2");
      }
    }
  }
}
