package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Resume after a reconnect (missed events or a reset) and exactly-once effect of retried sends. */
@Timeout(60)
class ResumeIT {
  static final Duration QUIET = Duration.ofMillis(400);

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void reconnectGetsExactlyTheMissedEventsThenLiveOnesWithoutGaps(WireFormat format) {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient bo = s.user("bo", "r1", Role.TEACHER)) {
        bo.join("r1");
        long lastSeq;
        String epoch;
        try (TestClient ana = s.user("ana", "r1", Role.STUDENT, format)) {
          Joined first = ana.join("r1");
          epoch = first.getEpoch();
          assertFalse(epoch.isEmpty());
          for (int i = 0; i < 3; i++) {
            bo.post("r1", "before " + i);
          }
          lastSeq = 0;
          for (int i = 0; i < 3; i++) {
            Event e = ana.nextEvent("r1");
            assertEquals(lastSeq + 1, e.getSeq());
            lastSeq = e.getSeq();
          }
        } // ana's connection is dropped
        int missedCount = 5;
        List<Long> acked = new ArrayList<>();
        for (int i = 0; i < missedCount; i++) {
          acked.add(bo.post("r1", "while away " + i).getSeq());
        }
        try (TestClient ana = s.user("ana", "r1", Role.STUDENT, format)) {
          Joined resumed = ana.join("r1", lastSeq, epoch);
          assertFalse(resumed.getReset(), () -> "expected missed events: " + resumed);
          assertFalse(resumed.hasSnapshot());
          assertEquals(epoch, resumed.getEpoch());
          assertEquals(lastSeq + missedCount, resumed.getSeq());
          assertEquals(missedCount, resumed.getMissedCount(), () -> "missed: " + resumed.getMissedList());
          for (int i = 0; i < missedCount; i++) {
            Event e = resumed.getMissed(i);
            assertEquals(acked.get(i), e.getSeq());
            assertEquals("r1", e.getRoomId());
            assertEquals("while away " + i, e.getChatPosted().getText());
          }
          // Presence is whole on resume too.
          assertTrue(resumed.getParticipantsList().stream().anyMatch(p -> p.getUserId().equals("bo")));
          // Nothing missed arrives again as a live event; live ones continue from Joined.seq.
          bo.post("r1", "after 0");
          bo.post("r1", "after 1");
          Event next = ana.nextEvent("r1");
          assertEquals(resumed.getSeq() + 1, next.getSeq());
          assertEquals("after 0", next.getChatPosted().getText());
          Event next2 = ana.nextEvent("r1");
          assertEquals(resumed.getSeq() + 2, next2.getSeq());
          assertFalse(ana.receives(m -> m.hasEvent() && m.getEvent().getSeq() > 0, QUIET),
              "no durable event beyond those posted");
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void resumeThatCannotBeServedGetsAResetSnapshot(WireFormat format) {
    try (TestServer s = new TestServer(dir, b -> b.resumeWindow(10)
        .rateMessagesPerSecond(10_000).rateMessagesBurst(10_000))) {
      s.createRoom("r2");
      try (TestClient bo = s.user("bo", "r2", Role.TEACHER)) {
        String epoch = bo.join("r2").getEpoch();
        for (int i = 1; i <= 15; i++) {
          bo.post("r2", "m" + i);
        }
        // Wrong epoch: the client's seqs mean nothing in this room's history.
        assertReset(s, format, "r2", 12, "some-other-epoch", epoch, 15);
        // last_seq beyond the room's seq (e.g. a room recreated after its history was lost).
        assertReset(s, format, "r2", 16, epoch, epoch, 15);
        assertReset(s, format, "r2", 999, epoch, epoch, 15);
        // Older than the resume window (the last 10 events: seqs 6..15).
        assertReset(s, format, "r2", 2, epoch, epoch, 15);
        assertReset(s, format, "r2", 4, epoch, epoch, 15);
        // Exactly at the window's edge: everything after seq 5 is still there.
        try (TestClient c = s.user("edge", "r2", Role.STUDENT, format)) {
          Joined j = c.join("r2", 5, epoch);
          assertFalse(j.getReset());
          assertEquals(10, j.getMissedCount());
          for (int i = 0; i < 10; i++) {
            assertEquals(6 + i, j.getMissed(i).getSeq());
            assertEquals("m" + (6 + i), j.getMissed(i).getChatPosted().getText());
          }
        }
        // Up to date: nothing missed, no reset.
        try (TestClient c = s.user("current", "r2", Role.STUDENT, format)) {
          Joined j = c.join("r2", 15, epoch);
          assertFalse(j.getReset());
          assertEquals(0, j.getMissedCount());
          assertEquals(15, j.getSeq());
        }
      }
    }
  }

  private static void assertReset(TestServer s, WireFormat format, String room, long lastSeq,
      String epoch, String roomEpoch, long roomSeq) {
    try (TestClient c = s.user("late-" + lastSeq, room, Role.STUDENT, format)) {
      Joined j = c.join(room, lastSeq, epoch);
      assertTrue(j.getReset(), () -> "expected a reset for last_seq " + lastSeq + ": " + j);
      assertEquals(0, j.getMissedCount());
      assertTrue(j.hasSnapshot());
      assertEquals(roomSeq, j.getSeq());
      assertEquals(roomEpoch, j.getEpoch());
      assertEquals(roomSeq, j.getSnapshot().getRecentMessages(j.getSnapshot().getRecentMessagesCount() - 1).getSeq());
    }
  }

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void retriedPostIsAppliedOnceOnTheSameAndOnANewConnection(WireFormat format) {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r3");
      try (TestClient bystander = s.user("by", "r3", Role.TEACHER)) {
        bystander.join("r3");
        long seq1;
        long seq2;
        String epoch;
        long lastSeen;
        try (TestClient ana = s.user("ana", "r3", Role.STUDENT, format)) {
          epoch = ana.join("r3").getEpoch();
          Ack first = TestClient.ack(ana.post(post("r3", "hello", "cm-1")));
          seq1 = first.getSeq();
          assertFalse(first.getDuplicate());
          Ack retry = TestClient.ack(ana.post(post("r3", "hello", "cm-1")));
          assertTrue(retry.getDuplicate());
          assertEquals(seq1, retry.getSeq());

          // Two sends of one id in flight at once: still one effect.
          long a = ana.sendRequest(ClientMessage.newBuilder().setChatPost(post("r3", "second", "cm-2")));
          long b = ana.sendRequest(ClientMessage.newBuilder().setChatPost(post("r3", "second", "cm-2")));
          Ack ackA = TestClient.ack(ana.answer(a));
          Ack ackB = TestClient.ack(ana.answer(b));
          assertEquals(ackA.getSeq(), ackB.getSeq());
          assertTrue(ackA.getDuplicate() != ackB.getDuplicate(), "exactly one of the two is a duplicate");
          seq2 = ackA.getSeq();
          // The sender's own view: each message posted once; any sequenced retry is skipped.
          lastSeen = 0;
          int posted = 0;
          int skipped = 0;
          while (true) {
            ServerMessage m = lastSeen < seq2 ? ana.await(x -> durable(x, "r3"), "event")
                : ana.poll(x -> durable(x, "r3"), QUIET);
            if (m == null) {
              break;
            }
            Event e = m.getEvent();
            assertEquals(lastSeen + 1, e.getSeq());
            lastSeen = e.getSeq();
            if (e.hasChatPosted()) {
              posted++;
            } else {
              assertTrue(e.hasSkipped(), () -> "unexpected event " + e);
              skipped++;
            }
          }
          assertEquals(2, posted);
          assertTrue(skipped <= 1, "only the in-flight retry may take a (skipped) seq");
        }
        // The answer was "lost": retry both after reconnecting.
        try (TestClient ana = s.user("ana", "r3", Role.STUDENT, format)) {
          Joined resumed = ana.join("r3", lastSeen, epoch);
          assertFalse(resumed.getReset());
          Ack again1 = TestClient.ack(ana.post(post("r3", "hello", "cm-1")));
          assertTrue(again1.getDuplicate());
          assertEquals(seq1, again1.getSeq());
          Ack again2 = TestClient.ack(ana.post(post("r3", "second", "cm-2")));
          assertTrue(again2.getDuplicate());
          assertEquals(seq2, again2.getSeq());
          // A new id is a new message; the same id from another user is theirs, not a duplicate.
          Ack fresh = TestClient.ack(ana.post(post("r3", "third", "cm-3")));
          assertFalse(fresh.getDuplicate());
          Ack other = TestClient.ack(bystander.post(post("r3", "by's own", "cm-1")));
          assertFalse(other.getDuplicate());
          assertTrue(other.getSeq() > fresh.getSeq());

          // The bystander saw every seq once, in order, and each text posted exactly once.
          List<String> texts = new ArrayList<>();
          for (long seq = 1; seq <= other.getSeq(); seq++) {
            Event e = bystander.nextEvent("r3");
            assertEquals(seq, e.getSeq());
            if (e.hasChatPosted()) {
              texts.add(e.getChatPosted().getText());
            }
          }
          assertEquals(List.of("hello", "second", "third", "by's own"), texts);
          assertFalse(bystander.receives(m -> m.hasEvent() && m.getEvent().getSeq() > 0, QUIET));
        }
      }
    }
  }

  @Test
  void retryAfterARestartIsStillADuplicate() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r4");
      long seq;
      try (TestClient ana = s.user("ana", "r4", Role.STUDENT)) {
        ana.join("r4");
        seq = TestClient.ack(ana.post(post("r4", "kept once", "cm-r"))).getSeq();
      }
      s.stop();
      s.start();
      try (TestClient ana = s.user("ana", "r4", Role.STUDENT)) {
        Joined j = ana.join("r4");
        Ack retry = TestClient.ack(ana.post(post("r4", "kept once", "cm-r")));
        assertTrue(retry.getDuplicate());
        assertEquals(seq, retry.getSeq());
        assertEquals(1, j.getSnapshot().getRecentMessagesCount());
        ServerMessage page = ana.historyRaw("r4", 0, 10);
        assertEquals(1, page.getHistory().getMessagesCount());
      }
    }
  }

  static boolean durable(ServerMessage m, String room) {
    return m.hasEvent() && m.getEvent().getSeq() > 0 && m.getEvent().getRoomId().equals(room);
  }

  static ChatPost.Builder post(String room, String text, String clientMsgId) {
    return ChatPost.newBuilder().setRoomId(room).setText(text).setClientMsgId(clientMsgId);
  }
}
