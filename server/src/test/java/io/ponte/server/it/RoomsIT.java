package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Leave;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.PresenceChanged;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One connection in several rooms: per-room events, the rooms-per-connection limit, leaving. */
@Timeout(60)
class RoomsIT {
  static final Duration QUIET = Duration.ofMillis(400);

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void teacherWatchesTwoRoomsOnOneConnection(WireFormat format) {
    try (TestServer s = new TestServer(dir, b -> b.maxRoomsPerConnection(2))) {
      for (String r : new String[] {"class-a", "class-b", "class-c"}) {
        s.createRoom(r);
      }
      try (TestClient teacher = s.user("tea", "class-*", Role.TEACHER, format);
          TestClient sa = s.user("sa", "class-a", Role.STUDENT);
          TestClient sb = s.user("sb", "class-b", Role.STUDENT, format)) {
        Joined ja = teacher.join("class-a");
        Joined jb = teacher.join("class-b");
        assertEquals("class-a", ja.getRoomId());
        assertEquals("class-b", jb.getRoomId());
        assertEquals(Role.TEACHER, jb.getRole());
        sa.join("class-a");
        sb.join("class-b");

        ErrorInfo twice = TestClient.error(teacher.joinRaw("class-a", 0, ""));
        assertEquals(ErrorCode.ALREADY_IN_ROOM, twice.getCode());
        assertEquals("class-a", twice.getRoomId());
        ErrorInfo third = TestClient.error(teacher.joinRaw("class-c", 0, ""));
        assertEquals(ErrorCode.TOO_MANY_ROOMS, third.getCode());
        assertEquals("class-c", third.getRoomId());
        // Students are limited by their token.
        assertEquals(ErrorCode.ROOM_NOT_ALLOWED, TestClient.error(sa.joinRaw("class-b", 0, "")).getCode());

        // Each room's events carry its id and its own seqs.
        assertEquals(1, sa.post("class-a", "from a").getSeq());
        assertEquals(1, sb.post("class-b", "from b").getSeq());
        assertEquals(2, sa.post("class-a", "from a again").getSeq());
        Event a1 = teacher.nextEvent("class-a");
        Event a2 = teacher.nextEvent("class-a");
        Event b1 = teacher.nextEvent("class-b");
        assertEquals("from a", a1.getChatPosted().getText());
        assertEquals("class-a", a1.getRoomId());
        assertEquals(1, a1.getSeq());
        assertEquals("from a again", a2.getChatPosted().getText());
        assertEquals(2, a2.getSeq());
        assertEquals("from b", b1.getChatPosted().getText());
        assertEquals("class-b", b1.getRoomId());
        assertEquals(1, b1.getSeq());
        // The other rooms' students see nothing of each other.
        assertFalse(sb.receives(m -> m.hasEvent() && !m.getEvent().getRoomId().equals("class-b"), QUIET));

        // The teacher posts in one room only.
        assertEquals(2, teacher.post("class-b", "to b").getSeq());
        assertEquals("from b", sb.nextEvent("class-b").getChatPosted().getText());
        assertEquals("to b", sb.nextEvent("class-b").getChatPosted().getText());
        assertEquals("to b", teacher.nextEvent("class-b").getChatPosted().getText());

        // Leave: answered with Left, then nothing more from that room.
        ServerMessage left = teacher.request(ClientMessage.newBuilder()
            .setLeave(Leave.newBuilder().setRoomId("class-a")));
        assertEquals(ServerMessage.BodyCase.LEFT, left.getBodyCase(), () -> "expected left: " + left);
        assertEquals("class-a", left.getLeft().getRoomId());
        assertEquals(LeftReason.LEFT_BY_REQUEST, left.getLeft().getReason());
        sa.awaitEvent(e -> e.hasPresence() && e.getPresence().getKind() == PresenceChanged.Kind.LEFT
            && e.getPresence().getParticipant().getUserId().equals("tea"), "teacher left");
        // What the room sent before the Left is behind us.
        teacher.discard(m -> m.hasEvent() && m.getEvent().getRoomId().equals("class-a"));
        sa.post("class-a", "anyone there?");
        ServerMessage late = teacher.poll(m -> m.hasEvent() && m.getEvent().getRoomId().equals("class-a"), QUIET);
        assertEquals(null, late, () -> "no events from a room after leaving it: " + late);
        assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(teacher.request(ClientMessage.newBuilder()
            .setLeave(Leave.newBuilder().setRoomId("class-a")))).getCode());
        assertEquals(ErrorCode.NOT_IN_ROOM,
            TestClient.error(teacher.post(io.ponte.protocol.v1.ChatPost.newBuilder()
                .setRoomId("class-a").setText("hi"))).getCode());
        // Still in the other room.
        sb.post("class-b", "b still live");
        assertEquals("b still live", teacher.nextEvent("class-b").getChatPosted().getText());

        // The freed slot can be used; rejoining the left room resumes it.
        teacher.join("class-c");
        assertEquals(ErrorCode.TOO_MANY_ROOMS, TestClient.error(teacher.joinRaw("class-a", 2, ja.getEpoch())).getCode());
        teacher.request(ClientMessage.newBuilder().setLeave(Leave.newBuilder().setRoomId("class-c")));
        Joined back = teacher.join("class-a", 2, ja.getEpoch());
        assertFalse(back.getReset());
        assertEquals(1, back.getMissedCount());
        assertEquals("anyone there?", back.getMissed(0).getChatPosted().getText());
        teacher.assertOpen();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void concurrentJoinsOfOneRoomAdmitOnce(WireFormat format) {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("solo");
      try (TestClient c = s.user("tea", "solo", Role.TEACHER, format)) {
        long first = c.sendRequest(ClientMessage.newBuilder().setJoin(Join.newBuilder().setRoomId("solo")));
        long second = c.sendRequest(ClientMessage.newBuilder().setJoin(Join.newBuilder().setRoomId("solo")));
        ServerMessage a = c.answer(first);
        ServerMessage b = c.answer(second);
        assertTrue(a.hasJoined(), () -> "first join: " + a);
        assertEquals(ErrorCode.ALREADY_IN_ROOM, TestClient.error(b).getCode());
        // One participant with one connection.
        Event p = c.awaitEvent(e -> e.hasPresence(), "own presence");
        assertEquals(1, p.getPresence().getParticipant().getConnections());
        assertEquals(1, c.post("solo", "works").getSeq());
      }
    }
  }

  /** A request sent the moment Joined arrives must find the connection in the room. */
  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void requestRightAfterJoinedIsInTheRoom(WireFormat format) {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("quick");
      try (TestClient teacher = s.user("tea", "quick", Role.TEACHER)) {
        teacher.join("quick");
        for (int i = 0; i < 25; i++) {
          try (TestClient c = s.user("u" + i, "quick", Role.STUDENT, format)) {
            c.join("quick");
            assertEquals(i + 1, c.post("quick", "hi " + i).getSeq());
          }
        }
      }
    }
  }
}
