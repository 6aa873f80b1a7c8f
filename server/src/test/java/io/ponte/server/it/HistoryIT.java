package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.HistoryPage;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Chat history: HistoryRequest paging and the recent messages of a join snapshot. */
@Timeout(60)
class HistoryIT {
  static final int PAGE_MAX = 25;
  /** Messages in a join snapshot (RoomOptions.recentMessages as wired by PonteServer). */
  static final int SNAPSHOT_MESSAGES = 50;

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void pagesBackwardsOldestFirstWithMoreFlag(WireFormat format) {
    try (TestServer s = new TestServer(dir, b -> b.historyPageMax(PAGE_MAX)
        .rateMessagesPerSecond(10_000).rateMessagesBurst(10_000))) {
      s.createRoom("h1");
      try (TestClient teacher = s.user("tea", "h1", Role.TEACHER);
          TestClient student = s.user("stu", "h1", Role.STUDENT, format)) {
        teacher.join("h1");
        student.join("h1");
        int total = 60;
        for (int i = 1; i <= total; i++) {
          assertEquals(i, teacher.post("h1", "m" + i).getSeq());
        }
        // Wait until the student has seen them all (history is read from the applied state).
        for (int i = 1; i <= total; i++) {
          assertEquals(i, student.nextEvent("h1").getSeq());
        }

        HistoryPage newest = student.history("h1", 0, PAGE_MAX);
        assertSeqs(newest, 36, 60);
        assertTrue(newest.getMore());
        assertEquals("h1", newest.getRoomId());
        assertEquals("m60", newest.getMessages(PAGE_MAX - 1).getText());
        assertEquals("tea", newest.getMessages(0).getAuthor().getUserId());

        HistoryPage middle = student.history("h1", 36, PAGE_MAX);
        assertSeqs(middle, 11, 35);
        assertTrue(middle.getMore());

        HistoryPage oldest = student.history("h1", 11, PAGE_MAX);
        assertSeqs(oldest, 1, 10);
        assertFalse(oldest.getMore());

        HistoryPage exact = student.history("h1", 11, 10);
        assertSeqs(exact, 1, 10);
        assertFalse(exact.getMore(), "nothing older than seq 1");

        HistoryPage small = student.history("h1", 5, 2);
        assertSeqs(small, 3, 4);
        assertTrue(small.getMore());

        assertEquals(0, student.history("h1", 1, PAGE_MAX).getMessagesCount());

        // limit 0 means a default page no larger than the maximum.
        HistoryPage byDefault = student.history("h1", 0, 0);
        assertTrue(byDefault.getMessagesCount() > 0 && byDefault.getMessagesCount() <= PAGE_MAX);
        assertEquals(60, byDefault.getMessages(byDefault.getMessagesCount() - 1).getSeq());

        var tooLarge = TestClient.error(student.historyRaw("h1", 0, PAGE_MAX + 1));
        assertEquals(ErrorCode.INVALID_REQUEST, tooLarge.getCode());
        assertEquals("h1", tooLarge.getRoomId());
        assertFalse(tooLarge.getRetryable());

        // uint32 limits above 2^31 (negative as a Java int) are too large as well.
        var huge = TestClient.error(student.historyRaw("h1", 0, -1));
        assertEquals(ErrorCode.INVALID_REQUEST, huge.getCode());
        var huge2 = TestClient.error(student.historyRaw("h1", 0, Integer.MIN_VALUE));
        assertEquals(ErrorCode.INVALID_REQUEST, huge2.getCode());

        var notIn = TestClient.error(student.historyRaw("elsewhere", 0, 10));
        assertEquals(ErrorCode.NOT_IN_ROOM, notIn.getCode());

        // A joiner's snapshot carries the newest messages, oldest first, and says there are more.
        try (TestClient late = s.user("late", "h1", Role.STUDENT, format)) {
          Joined j = late.join("h1");
          assertTrue(j.getReset());
          assertEquals(total, j.getSeq());
          List<ChatMessage> recent = j.getSnapshot().getRecentMessagesList();
          assertEquals(SNAPSHOT_MESSAGES, recent.size());
          for (int i = 0; i < recent.size(); i++) {
            long seq = total - SNAPSHOT_MESSAGES + 1 + i;
            assertEquals(seq, recent.get(i).getSeq());
            assertEquals("m" + seq, recent.get(i).getText());
          }
          assertTrue(j.getSnapshot().getMoreHistory());
          // Paging on from the snapshot's oldest message reaches the rest.
          HistoryPage rest = late.history("h1", recent.get(0).getSeq(), PAGE_MAX);
          assertSeqs(rest, 1, 10);
          assertFalse(rest.getMore());
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void smallRoomSnapshotHasEverythingAndNoMore(WireFormat format) {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("h2");
      try (TestClient teacher = s.user("tea", "h2", Role.TEACHER)) {
        Joined empty = teacher.join("h2");
        assertEquals(0, empty.getSnapshot().getRecentMessagesCount());
        assertFalse(empty.getSnapshot().getMoreHistory());
        for (int i = 1; i <= 5; i++) {
          teacher.post("h2", "m" + i);
        }
        try (TestClient student = s.user("stu", "h2", Role.STUDENT, format)) {
          Joined j = student.join("h2");
          assertEquals(5, j.getSnapshot().getRecentMessagesCount());
          assertEquals("m1", j.getSnapshot().getRecentMessages(0).getText());
          assertEquals("m5", j.getSnapshot().getRecentMessages(4).getText());
          assertFalse(j.getSnapshot().getMoreHistory());
          HistoryPage all = student.history("h2", 0, 100);
          assertSeqs(all, 1, 5);
          assertFalse(all.getMore());
        }
      }
    }
  }

  static void assertSeqs(HistoryPage page, long first, long last) {
    assertEquals(last - first + 1, page.getMessagesCount(), () -> "page: " + seqs(page));
    for (int i = 0; i < page.getMessagesCount(); i++) {
      ChatMessage m = page.getMessages(i);
      assertEquals(first + i, m.getSeq(), () -> "page: " + seqs(page));
      assertEquals("m" + m.getSeq(), m.getText());
    }
  }

  static List<Long> seqs(HistoryPage page) {
    return page.getMessagesList().stream().map(ChatMessage::getSeq).toList();
  }
}
