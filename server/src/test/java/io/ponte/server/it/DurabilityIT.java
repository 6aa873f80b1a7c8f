package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.MuteParticipant;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.RemoveParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.SetStudentChat;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.config.PonteConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Guarantee 2 and 3 across a graceful restart of the node on the same data directory. */
@Timeout(120)
class DurabilityIT {
  static final String ROOM = "r1";
  static final UnaryOperator<PonteConfig.Builder> NO_RATE_LIMIT = b -> b
      .rateMessagesPerSecond(100_000).rateMessagesBurst(100_000);

  @TempDir
  Path dir;

  @Test
  void restartKeepsMessagesModerationSeqAndEpoch() {
    try (TestServer s = new TestServer(dir, NO_RATE_LIMIT)) {
      s.createRoom(ROOM);
      String epoch;
      RoomSnapshot before;
      long lastSeq;
      long anaLeftAt;
      TestClient tina = s.user("tina", ROOM, Role.TEACHER);
      TestClient cy = s.user("cy", ROOM, Role.STUDENT);
      try (TestClient ana = s.user("ana", ROOM, Role.STUDENT);
          TestClient bo = s.user("bo", ROOM, Role.STUDENT)) {
        epoch = tina.join(ROOM).getEpoch();
        ana.join(ROOM);
        bo.join(ROOM);
        cy.join(ROOM);
        assertEquals(1, ana.post(ROOM, "hello from ana").getSeq());
        assertEquals(2, bo.post(ROOM, "hi from bo").getSeq());
        assertEquals(3, cy.post(ROOM, "cy here").getSeq());
        assertEquals(4, tina.post(ROOM, "welcome").getSeq());
        assertEquals(5, ack(ana, ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
            .setRoomId(ROOM).setText("question for teachers").setToTeachers(true))));
        assertEquals(6, ack(ana, ClientMessage.newBuilder().setChatEdit(
            ChatEdit.newBuilder().setRoomId(ROOM).setMessageSeq(1).setText("hello from ana (edited)"))));
        assertEquals(7, ack(tina, ClientMessage.newBuilder().setChatDelete(
            ChatDelete.newBuilder().setRoomId(ROOM).setMessageSeq(2))));
        assertEquals(8, ack(bo, react(4, "👍")));
        assertEquals(9, ack(ana, react(4, "👍")));
        assertEquals(10, ack(tina, react(1, "❤")));
        assertEquals(11, ack(tina, teacher(TeacherAction.newBuilder()
            .setMute(MuteParticipant.newBuilder().setUserId("cy").setMuted(true)))));
        assertEquals(12, ack(tina, teacher(TeacherAction.newBuilder()
            .setRemove(RemoveParticipant.newBuilder().setUserId("bo")))));
        assertEquals(CloseCode.REMOVED.code(), bo.awaitClose());
        assertEquals(13, ack(tina, teacher(TeacherAction.newBuilder()
            .setLock(LockRoom.newBuilder().setLocked(true)))));
        assertEquals(14, ack(tina, teacher(TeacherAction.newBuilder()
            .setStudentChat(SetStudentChat.newBuilder().setEnabled(false)))));
        awaitSeq(ana, 14);
        anaLeftAt = 14;
      }
      // Posted after ana went away: exactly what she must get when she resumes.
      assertEquals(15, tina.post(ROOM, "while ana was away 1").getSeq());
      assertEquals(16, tina.post(ROOM, "while ana was away 2").getSeq());
      awaitSeq(tina, 16);
      awaitSeq(cy, 16);
      lastSeq = 16;
      try (TestClient theo = s.user("theo", ROOM, Role.TEACHER)) {
        Joined j = theo.join(ROOM);
        assertEquals(epoch, j.getEpoch());
        assertEquals(lastSeq, j.getSeq());
        before = j.getSnapshot();
      }
      checkSnapshot(before);

      s.stop();
      assertEquals(CloseCode.SERVER_SHUTDOWN.code(), tina.awaitClose());
      assertEquals(CloseCode.SERVER_SHUTDOWN.code(), cy.awaitClose());
      tina.close();
      cy.close();
      s.start();

      try (TestClient theo = s.user("theo", ROOM, Role.TEACHER)) {
        Joined j = theo.join(ROOM);
        assertTrue(j.getReset());
        assertEquals(epoch, j.getEpoch(), "a restart loses no history: same epoch");
        assertEquals(lastSeq, j.getSeq(), "same seq after the restart");
        checkSnapshot(j.getSnapshot());
        assertEquals(before, j.getSnapshot(), "the whole snapshot is as before the restart");
      }
      try (TestClient bo = s.user("bo", ROOM, Role.STUDENT)) {
        assertEquals(ErrorCode.BANNED, TestClient.error(bo.joinRaw(ROOM, 0, "")).getCode());
      }
      try (TestClient dan = s.user("dan", ROOM, Role.STUDENT)) {
        assertEquals(ErrorCode.ROOM_LOCKED, TestClient.error(dan.joinRaw(ROOM, 0, "")).getCode(),
            "the lock survives the restart");
      }
      // Clients connected before the restart resume where they were.
      try (TestClient tina2 = s.user("tina", ROOM, Role.TEACHER);
          TestClient cy2 = s.user("cy", ROOM, Role.STUDENT);
          TestClient ana2 = s.user("ana", ROOM, Role.STUDENT)) {
        Joined t = tina2.join(ROOM, lastSeq, epoch);
        assertFalse(t.getReset());
        assertEquals(lastSeq, t.getSeq());
        assertEquals(List.of(), t.getMissedList());

        Joined c = cy2.join(ROOM, lastSeq, epoch);
        assertFalse(c.getReset(), "a student who was in the locked room resumes");
        assertEquals(List.of(), c.getMissedList());

        Joined a = ana2.join(ROOM, anaLeftAt, epoch);
        assertFalse(a.getReset(), "the history reaches back to where ana left");
        assertEquals(lastSeq, a.getSeq());
        assertEquals(List.of(15L, 16L),
            a.getMissedList().stream().map(Event::getSeq).collect(Collectors.toList()));
        assertEquals(List.of("while ana was away 1", "while ana was away 2"), a.getMissedList().stream()
            .map(e -> e.getChatPosted().getText()).collect(Collectors.toList()));

        // The sequence goes on where it stopped, and everyone gets the next event.
        assertEquals(17, tina2.post(ROOM, "after the restart").getSeq());
        for (TestClient each : List.of(tina2, cy2, ana2)) {
          Event e = each.nextEvent(ROOM);
          assertEquals(17, e.getSeq());
          assertEquals("after the restart", e.getChatPosted().getText());
        }
        // Moderation still applies after the restart.
        assertEquals(ErrorCode.CHAT_DISABLED, TestClient.error(cy2.request(post("still muted?"))).getCode());
      }
    }
  }

  @Test
  void manyOperationsWithFrequentSnapshotsRebuildTheSameHistory() {
    UnaryOperator<PonteConfig.Builder> config = b -> NO_RATE_LIMIT.apply(b)
        .snapshotInterval(10).snapshotsKept(2).resumeWindow(10);
    try (TestServer s = new TestServer(dir, config)) {
      s.createRoom(ROOM);
      String epoch;
      List<ChatMessage> before;
      TestClient tina = s.user("tina", ROOM, Role.TEACHER);
      TestClient ana = s.user("ana", ROOM, Role.STUDENT);
      epoch = tina.join(ROOM).getEpoch();
      ana.join(ROOM);
      long seq = 0;
      for (int i = 1; i <= 100; i++) {
        TestClient who = i % 3 == 0 ? tina : ana;
        seq = who.post(ROOM, "message " + i).getSeq();
        assertEquals(i + (i + 4) / 10 * 2L, seq, "gap-free seqs");
        if (i % 10 == 5) {
          // An edit and a reaction every ten posts, so snapshots hold more than posts.
          assertEquals(seq + 1, ack(who, ClientMessage.newBuilder().setChatEdit(ChatEdit.newBuilder()
              .setRoomId(ROOM).setMessageSeq(seq).setText("message " + i + " (edited)"))));
          assertEquals(seq + 2, ack(tina, react(seq, "👍")));
        }
      }
      long last = seq;
      // Three more after the last post; ana's last seen seq is a recent one.
      awaitSeq(ana, last);
      long anaSeen = last;
      for (int i = 1; i <= 3; i++) {
        assertEquals(last + i, tina.post(ROOM, "late " + i).getSeq());
      }
      long finalSeq = last + 3;
      awaitSeq(tina, finalSeq);
      before = history(tina);
      assertEquals(103, before.size());
      ana.close();

      s.stop();
      tina.close();
      s.start();

      try (TestClient theo = s.user("theo", ROOM, Role.TEACHER);
          TestClient ana2 = s.user("ana", ROOM, Role.STUDENT);
          TestClient early = s.user("early", ROOM, Role.STUDENT)) {
        Joined j = theo.join(ROOM);
        assertEquals(epoch, j.getEpoch());
        assertEquals(finalSeq, j.getSeq());
        assertEquals(before, history(theo), "the history rebuilt from snapshots and later operations");
        assertEquals("message 95 (edited)", before.get(94).getText());
        assertEquals(List.of(reaction("👍", "tina")), before.get(94).getReactionsList());

        Joined a = ana2.join(ROOM, anaSeen, epoch);
        assertFalse(a.getReset());
        assertEquals(finalSeq, a.getSeq());
        assertEquals(List.of("late 1", "late 2", "late 3"), a.getMissedList().stream()
            .map(e -> e.getChatPosted().getText()).collect(Collectors.toList()));

        // Far behind the resume window: a reset with a fresh snapshot, never a gap.
        Joined e = early.join(ROOM, 5, epoch);
        assertTrue(e.getReset());
        assertEquals(finalSeq, e.getSeq());
        assertEquals("late 3", e.getSnapshot().getRecentMessages(
            e.getSnapshot().getRecentMessagesCount() - 1).getText());

        assertEquals(finalSeq + 1, theo.post(ROOM, "after").getSeq());
      }
    }
  }

  /** Every message the client may see, oldest first, through HistoryRequest pages. */
  static List<ChatMessage> history(TestClient c) {
    java.util.ArrayList<ChatMessage> all = new java.util.ArrayList<>();
    long before = 0;
    while (true) {
      var page = c.request(ClientMessage.newBuilder().setHistory(io.ponte.protocol.v1.HistoryRequest
          .newBuilder().setRoomId(ROOM).setBeforeSeq(before).setLimit(7)));
      assertEquals(io.ponte.protocol.v1.ServerMessage.BodyCase.HISTORY, page.getBodyCase(), page::toString);
      List<ChatMessage> m = page.getHistory().getMessagesList();
      all.addAll(0, m);
      if (!page.getHistory().getMore()) {
        return all;
      }
      assertFalse(m.isEmpty(), "more=true with an empty page");
      before = m.get(0).getSeq();
    }
  }

  private static void checkSnapshot(RoomSnapshot snap) {
    assertTrue(snap.getLocked());
    assertFalse(snap.getStudentChatEnabled());
    assertFalse(snap.getEnded());
    assertEquals(List.of("cy"), snap.getMutedUserIdsList());
    assertEquals(List.of("bo"), snap.getBannedUserIdsList());
    assertEquals("Room " + ROOM, snap.getSettings().getTitle());
    List<ChatMessage> m = snap.getRecentMessagesList();
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 15L, 16L),
        m.stream().map(ChatMessage::getSeq).collect(Collectors.toList()));
    assertEquals("hello from ana (edited)", m.get(0).getText());
    assertTrue(m.get(0).getEditedMs() > 0);
    assertEquals(List.of(reaction("❤", "tina")), m.get(0).getReactionsList());
    assertTrue(m.get(1).getDeleted());
    assertEquals("", m.get(1).getText());
    assertEquals("cy here", m.get(2).getText());
    assertEquals("welcome", m.get(3).getText());
    assertEquals(List.of(reaction("👍", "ana", "bo")), m.get(3).getReactionsList());
    assertEquals("question for teachers", m.get(4).getText());
    assertTrue(m.get(4).getToTeachers());
    assertEquals("while ana was away 2", m.get(6).getText());
  }

  private static Reaction reaction(String r, String... users) {
    return Reaction.newBuilder().setReaction(r).addAllUserIds(List.of(users)).build();
  }

  static ClientMessage.Builder post(String text) {
    return ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder().setRoomId(ROOM).setText(text));
  }

  static ClientMessage.Builder react(long seq, String reaction) {
    return ClientMessage.newBuilder().setChatReact(
        ChatReact.newBuilder().setRoomId(ROOM).setMessageSeq(seq).setReaction(reaction).setAdd(true));
  }

  static ClientMessage.Builder teacher(TeacherAction.Builder action) {
    return ClientMessage.newBuilder().setTeacherAction(action.setRoomId(ROOM));
  }

  static long ack(TestClient c, ClientMessage.Builder m) {
    return TestClient.ack(c.request(m)).getSeq();
  }

  static void awaitSeq(TestClient c, long seq) {
    c.awaitEvent(e -> e.getRoomId().equals(ROOM) && e.getSeq() == seq, "event " + seq);
  }
}
