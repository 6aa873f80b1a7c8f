package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.PresenceChanged;
import io.ponte.protocol.v1.PresenceState;
import io.ponte.protocol.v1.PresenceUpdate;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.Typing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Presence (one participant per person, whatever the tabs), away state and typing indicators. */
@Timeout(60)
class PresenceIT {
  static final Duration QUIET = Duration.ofMillis(400);

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void tabsAreOneParticipantAndOthersSeePresenceDiffs(WireFormat format) {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("p1");
      try (TestClient teacher = s.user("tea", "p1", Role.TEACHER)) {
        Joined tj = teacher.join("p1");
        assertEquals(1, tj.getParticipantsCount());
        assertEquals("tea", tj.getParticipants(0).getUserId());
        assertEquals(Role.TEACHER, tj.getParticipants(0).getRole());

        TestClient tab1 = s.user("sam", "p1", Role.STUDENT, format);
        Joined j1 = tab1.join("p1");
        assertEquals(2, j1.getParticipantsCount());
        Participant joined = presence(teacher, PresenceChanged.Kind.JOINED, "sam");
        assertEquals(1, joined.getConnections());
        assertEquals(Role.STUDENT, joined.getRole());
        assertEquals(PresenceState.ACTIVE, joined.getState());
        assertEquals("User sam", joined.getDisplayName());

        TestClient tab2 = s.user("sam", "p1", Role.STUDENT, format);
        Joined j2 = tab2.join("p1");
        assertEquals(2, j2.getParticipantsCount(), () -> "one participant per person: " + j2);
        assertEquals(2, participant(j2.getParticipantsList(), "sam").getConnections());
        assertEquals(1, participant(j2.getParticipantsList(), "tea").getConnections());
        assertEquals(2, presence(teacher, PresenceChanged.Kind.UPDATED, "sam").getConnections());

        // Typing reaches others, not the typer (on any of its tabs), and gets no answer.
        long typingId = tab1.sendRequest(ClientMessage.newBuilder()
            .setTyping(Typing.newBuilder().setRoomId("p1").setTyping(true)));
        Event typing = teacher.awaitEvent(e -> e.hasTyping(), "typing");
        assertEquals("sam", typing.getTyping().getUserId());
        assertTrue(typing.getTyping().getTyping());
        assertEquals(0, typing.getSeq(), "typing is ephemeral");
        assertEquals("p1", typing.getRoomId());
        assertFalse(tab1.receives(m -> m.hasEvent() && m.getEvent().hasTyping(), QUIET));
        assertFalse(tab2.receives(m -> m.hasEvent() && m.getEvent().hasTyping(), Duration.ZERO));
        assertFalse(tab1.receives(m -> m.getRequestId() == typingId, Duration.ZERO));

        // The second tab goes: still one participant, one connection fewer.
        tab2.close();
        Participant afterTab = presence(teacher, PresenceChanged.Kind.UPDATED, "sam");
        assertEquals(1, afterTab.getConnections());

        // Away.
        long awayId = tab1.sendRequest(ClientMessage.newBuilder().setPresenceUpdate(
            PresenceUpdate.newBuilder().setRoomId("p1").setState(PresenceState.AWAY)));
        Participant away = presence(teacher, PresenceChanged.Kind.UPDATED, "sam");
        assertEquals(PresenceState.AWAY, away.getState());
        assertEquals(1, away.getConnections());
        assertFalse(tab1.receives(m -> m.getRequestId() == awayId, QUIET), "presence gets no answer");
        // A newcomer's participant list is the current presence.
        try (TestClient late = s.user("lee", "p1", Role.OBSERVER, format)) {
          Joined lj = late.join("p1");
          assertEquals(3, lj.getParticipantsCount());
          Participant sam = participant(lj.getParticipantsList(), "sam");
          assertEquals(PresenceState.AWAY, sam.getState());
          assertEquals(1, sam.getConnections());
          assertEquals(Role.OBSERVER, participant(lj.getParticipantsList(), "lee").getRole());
          assertEquals(Role.OBSERVER, lj.getRole());
          presence(teacher, PresenceChanged.Kind.JOINED, "lee");
        }
        presence(teacher, PresenceChanged.Kind.LEFT, "lee");

        // The last tab goes: the participant leaves.
        tab1.close();
        Participant left = presence(teacher, PresenceChanged.Kind.LEFT, "sam");
        assertEquals("sam", left.getUserId());
        try (TestClient again = s.user("lee", "p1", Role.STUDENT, format)) {
          assertEquals(List.of("tea", "lee"), again.join("p1").getParticipantsList().stream()
              .map(Participant::getUserId).toList());
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void excessTypingIsDroppedWithoutAnError(WireFormat format) {
    try (TestServer s = new TestServer(dir, b -> b.typingPerSecond(2))) {
      s.createRoom("p2");
      try (TestClient teacher = s.user("tea", "p2", Role.TEACHER);
          TestClient typer = s.user("tim", "p2", Role.STUDENT, format)) {
        teacher.join("p2");
        typer.join("p2");
        int sent = 30;
        for (int i = 0; i < sent; i++) {
          typer.sendRequest(ClientMessage.newBuilder()
              .setTyping(Typing.newBuilder().setRoomId("p2").setTyping(i % 2 == 0)));
        }
        // A ping after them: once its pong is back, every typing message has been handled.
        typer.request(ClientMessage.newBuilder().setPing(
            io.ponte.protocol.v1.Ping.newBuilder().setClientTimeMs(1)));
        int received = 0;
        while (teacher.receives(m -> m.hasEvent() && m.getEvent().hasTyping(), QUIET)) {
          received++;
        }
        assertTrue(received >= 1, "some typing indicators get through");
        assertTrue(received < sent, "excess typing is dropped: " + received + " of " + sent);
        assertFalse(typer.receives(ServerMessage::hasError, Duration.ZERO), "no error for dropped typing");
        typer.assertOpen();
        // Typing dropped on the floor leaves the connection fully usable.
        assertEquals(1, typer.post("p2", "still here").getSeq());
      }
    }
  }

  static Participant presence(TestClient c, PresenceChanged.Kind kind, String userId) {
    Predicate<Event> match = e -> e.hasPresence() && e.getPresence().getKind() == kind
        && e.getPresence().getParticipant().getUserId().equals(userId);
    Event e = c.awaitEvent(match, kind + " of " + userId);
    assertEquals(0, e.getSeq(), "presence is ephemeral");
    return e.getPresence().getParticipant();
  }

  static Participant participant(List<Participant> list, String userId) {
    return list.stream().filter(p -> p.getUserId().equals(userId)).findFirst()
        .orElseThrow(() -> new AssertionError("no participant " + userId + " in " + list));
  }
}
