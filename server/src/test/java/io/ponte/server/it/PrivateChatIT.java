package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** "Ask the teacher" (to_teachers): the text reaches only the sender and the teachers. */
@Timeout(60)
class PrivateChatIT {
  static final String SECRET = "secret question about homework";

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void privateMessageReachesOnlySenderAndTeachersEverywhere(WireFormat format) {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("p1");
      try (TestClient teacher = s.user("tea", "p1", Role.TEACHER);
          TestClient sender = s.user("asker", "p1", Role.STUDENT, format);
          TestClient other = s.user("other", "p1", Role.STUDENT, format);
          TestClient observer = s.user("obs", "p1", Role.OBSERVER, format)) {
        teacher.join("p1");
        sender.join("p1");
        String epoch = other.join("p1").getEpoch();
        observer.join("p1");

        assertEquals(1, sender.post("p1", "hello everyone").getSeq());
        long secretSeq = TestClient.ack(sender.post(ChatPost.newBuilder().setRoomId("p1")
            .setText(SECRET).setToTeachers(true))).getSeq();
        assertEquals(2, secretSeq);

        for (TestClient full : List.of(teacher, sender)) {
          assertEquals("hello everyone", full.nextEvent("p1").getChatPosted().getText());
          Event e = full.nextEvent("p1");
          assertEquals(secretSeq, e.getSeq());
          assertEquals(SECRET, e.getChatPosted().getText());
          assertTrue(e.getChatPosted().getToTeachers());
        }
        for (TestClient outsider : List.of(other, observer)) {
          assertEquals("hello everyone", outsider.nextEvent("p1").getChatPosted().getText());
          assertSkipped(outsider.nextEvent("p1"), secretSeq);
        }

        // History: visible to the sender and the teacher only.
        assertEquals(List.of(1L, 2L), seqs(teacher.history("p1", 0, 10).getMessagesList()));
        assertEquals(List.of(1L, 2L), seqs(sender.history("p1", 0, 10).getMessagesList()));
        assertEquals(List.of(1L), seqs(other.history("p1", 0, 10).getMessagesList()));
        assertEquals(List.of(1L), seqs(observer.history("p1", 0, 10).getMessagesList()));
        assertFalse(other.history("p1", 0, 1).getMore(), "an invisible message is not 'more'");

        // Edits and reactions on it stay private too.
        long editSeq = TestClient.ack(sender.request(ClientMessage.newBuilder().setChatEdit(
            ChatEdit.newBuilder().setRoomId("p1").setMessageSeq(secretSeq).setText(SECRET + "!")))).getSeq();
        long reactSeq = TestClient.ack(teacher.request(ClientMessage.newBuilder().setChatReact(
            ChatReact.newBuilder().setRoomId("p1").setMessageSeq(secretSeq).setReaction("👀").setAdd(true))))
            .getSeq();
        assertEquals(SECRET + "!", sender.nextEvent("p1").getChatEdited().getText());
        assertEquals("👀", sender.nextEvent("p1").getReactionChanged().getReaction());
        assertEquals(SECRET + "!", teacher.nextEvent("p1").getChatEdited().getText());
        assertEquals("👀", teacher.nextEvent("p1").getReactionChanged().getReaction());
        assertSkipped(other.nextEvent("p1"), editSeq);
        assertSkipped(other.nextEvent("p1"), reactSeq);
        assertSkipped(observer.nextEvent("p1"), editSeq);
        assertSkipped(observer.nextEvent("p1"), reactSeq);

        // Other students cannot tell it exists: acting on it is MESSAGE_NOT_FOUND.
        assertEquals(ErrorCode.MESSAGE_NOT_FOUND, TestClient.error(other.post(ChatPost.newBuilder()
            .setRoomId("p1").setText("re").setReplyTo(secretSeq))).getCode());
        assertEquals(ErrorCode.MESSAGE_NOT_FOUND, TestClient.error(other.request(ClientMessage.newBuilder()
            .setChatReact(ChatReact.newBuilder().setRoomId("p1").setMessageSeq(secretSeq)
                .setReaction("👍").setAdd(true)))).getCode());

        // Join snapshots.
        try (TestClient tab = s.user("other", "p1", Role.STUDENT, format);
            TestClient teacherTab = s.user("tea", "p1", Role.TEACHER, format)) {
          Joined j = tab.join("p1");
          assertEquals(List.of(1L), seqs(j.getSnapshot().getRecentMessagesList()));
          assertFalse(j.getSnapshot().getMoreHistory());
          assertFalse(j.toString().contains("secret"), "snapshot leaks the private text");
          Joined tj = teacherTab.join("p1");
          assertEquals(List.of(1L, 2L), seqs(tj.getSnapshot().getRecentMessagesList()));
          assertEquals(SECRET + "!", tj.getSnapshot().getRecentMessages(1).getText());
          assertEquals(List.of("tea"), tj.getSnapshot().getRecentMessages(1).getReactions(0).getUserIdsList());
        }

        // Resume: a private message posted while away comes back as skipped.
        long lastSeen = reactSeq;
        other.close();
        long whileAway = TestClient.ack(sender.post(ChatPost.newBuilder().setRoomId("p1")
            .setText(SECRET + " again").setToTeachers(true))).getSeq();
        long publicAfter = sender.post("p1", "public again").getSeq();
        try (TestClient back = s.user("other", "p1", Role.STUDENT, format)) {
          Joined r = back.join("p1", lastSeen, epoch);
          assertFalse(r.getReset());
          assertEquals(2, r.getMissedCount());
          assertSkipped(r.getMissed(0), whileAway);
          assertEquals(publicAfter, r.getMissed(1).getSeq());
          assertEquals("public again", r.getMissed(1).getChatPosted().getText());
        }
        // The teacher resuming gets it in full.
        try (TestClient back = s.user("tea", "p1", Role.TEACHER, format)) {
          Joined r = back.join("p1", lastSeen, epoch);
          assertFalse(r.getReset());
          assertEquals(SECRET + " again", r.getMissed(0).getChatPosted().getText());
        }
      }
    }
  }

  static void assertSkipped(Event e, long seq) {
    assertEquals(seq, e.getSeq());
    assertTrue(e.hasSkipped(), () -> "expected skipped: " + e);
    assertFalse(e.hasActor(), "a skipped event does not say who acted");
    assertFalse(e.toString().contains("secret"), "skipped event leaks the text");
  }

  static List<Long> seqs(List<ChatMessage> messages) {
    return messages.stream().map(ChatMessage::getSeq).toList();
  }
}
