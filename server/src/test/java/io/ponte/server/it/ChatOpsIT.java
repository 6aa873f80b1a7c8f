package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Edit, delete, react, reply and the text rules, with a bystander checking that the seqs it sees
 * stay gap-free while accepted and rejected operations mix.
 */
@Timeout(60)
class ChatOpsIT {
  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(WireFormat.class)
  void editDeleteReactAndTextRulesKeepSeqsGapFree(WireFormat format) {
    try (TestServer s = new TestServer(dir, b -> b
        .rateMessagesPerSecond(10_000).rateMessagesBurst(10_000))) {
      s.createRoom("c1");
      try (TestClient teacher = s.user("tea", "c1", Role.TEACHER);
          TestClient author = s.user("ann", "c1", Role.STUDENT, format);
          TestClient other = s.user("ben", "c1", Role.STUDENT, format);
          TestClient bystander = s.user("bys", "c1", Role.STUDENT, format)) {
        teacher.join("c1");
        author.join("c1");
        other.join("c1");
        bystander.join("c1");

        // Author edits; others see chat_edited.
        long msg = author.post("c1", "orignal").getSeq();
        long edit = TestClient.ack(author.request(edit("c1", msg, "original"))).getSeq();
        Event edited = awaitSeq(other, edit);
        assertEquals(msg, edited.getChatEdited().getMessageSeq());
        assertEquals("original", edited.getChatEdited().getText());
        assertEquals("ann", edited.getActor().getUserId());

        // Not the author: refused (a teacher may not edit either).
        assertError(ErrorCode.PERMISSION_DENIED, other.request(edit("c1", msg, "hijacked")));
        assertError(ErrorCode.PERMISSION_DENIED, teacher.request(edit("c1", msg, "hijacked")));

        // Deleting: not another student's message; a teacher may.
        long bens = other.post("c1", "off-topic").getSeq();
        assertError(ErrorCode.PERMISSION_DENIED, author.request(delete("c1", bens)));
        long del = TestClient.ack(teacher.request(delete("c1", bens))).getSeq();
        Event deleted = awaitSeq(author, del);
        assertEquals(bens, deleted.getChatDeleted().getMessageSeq());
        assertError(ErrorCode.MESSAGE_NOT_FOUND, other.request(edit("c1", bens, "undo")));
        assertError(ErrorCode.MESSAGE_NOT_FOUND, teacher.request(delete("c1", bens)));

        // Reactions.
        TestClient.ack(other.request(react("c1", msg, "👍", true)));
        TestClient.ack(teacher.request(react("c1", msg, "👍", true)));
        TestClient.ack(author.request(react("c1", msg, "🎉", true)));
        long removed = TestClient.ack(other.request(react("c1", msg, "👍", false))).getSeq();
        Event rc = awaitSeq(author, removed);
        assertFalse(rc.getReactionChanged().getAdded());
        assertEquals("ben", rc.getReactionChanged().getUserId());
        assertError(ErrorCode.REACTION_INVALID, other.request(react("c1", msg, " ", true)));
        assertError(ErrorCode.REACTION_INVALID, other.request(react("c1", msg, "x".repeat(33), true)));
        assertError(ErrorCode.MESSAGE_NOT_FOUND, other.request(react("c1", bens, "👍", true)));

        List<ChatMessage> history = bystander.history("c1", 0, 10).getMessagesList();
        ChatMessage m = byseq(history, msg);
        assertEquals("original", m.getText());
        assertTrue(m.getEditedMs() > 0);
        assertEquals(List.of(Reaction.newBuilder().setReaction("👍").addUserIds("tea").build(),
            Reaction.newBuilder().setReaction("🎉").addUserIds("ann").build()), m.getReactionsList());
        ChatMessage gone = byseq(history, bens);
        assertTrue(gone.getDeleted());
        assertEquals("", gone.getText(), "deleted text is gone");

        // Replies.
        assertError(ErrorCode.MESSAGE_NOT_FOUND, other.post(post("c1", "re").setReplyTo(9_999)));
        assertError(ErrorCode.MESSAGE_NOT_FOUND, other.post(post("c1", "re").setReplyTo(bens)));
        long reply = TestClient.ack(other.post(post("c1", "re").setReplyTo(msg))).getSeq();
        assertEquals(msg, awaitSeq(author, reply).getChatPosted().getReplyTo());

        // Text rules.
        assertError(ErrorCode.TEXT_EMPTY, author.post(post("c1", "")));
        assertError(ErrorCode.TEXT_EMPTY, author.post(post("c1", " \n\t ")));
        assertError(ErrorCode.TEXT_TOO_LONG, author.post(post("c1", "x".repeat(4001))));
        assertError(ErrorCode.TEXT_INVALID, author.post(post("c1", "bell\u0007")));
        assertError(ErrorCode.TEXT_INVALID, author.post(post("c1", "nul\u0000")));
        assertError(ErrorCode.LANGUAGE_INVALID, author.post(post("c1", "hi").setLanguage("not a tag!")));
        assertError(ErrorCode.TEXT_EMPTY, author.request(edit("c1", msg, "")));
        assertError(ErrorCode.TEXT_TOO_LONG, author.request(edit("c1", msg, "y".repeat(4001))));
        long longest = TestClient.ack(author.post(post("c1", "x".repeat(4000)))).getSeq();
        long lines = TestClient.ack(author.post(post("c1", "line one\nline\ttwo"))).getSeq();
        long tagged = TestClient.ack(author.post(post("c1", "olá").setLanguage("pt-br"))).getSeq();
        // NFC: decomposed in, composed out; the length counts composed characters.
        long nfc = TestClient.ack(author.post(post("c1", "cafe\u0301"))).getSeq();
        long nfcLong = TestClient.ack(author.post(post("c1", "e\u0301".repeat(4000)))).getSeq();
        assertEquals(4000, awaitSeq(other, longest).getChatPosted().getText().length());
        assertEquals("line one\nline\ttwo", awaitSeq(other, lines).getChatPosted().getText());
        assertEquals("pt-BR", awaitSeq(other, tagged).getChatPosted().getLanguage());
        assertEquals("caf\u00e9", awaitSeq(other, nfc).getChatPosted().getText());
        assertEquals("\u00e9".repeat(4000), awaitSeq(other, nfcLong).getChatPosted().getText());
        long nfcEdit = TestClient.ack(author.request(edit("c1", nfc, "cafe\u0301 au lait"))).getSeq();
        assertEquals("caf\u00e9 au lait", awaitSeq(other, nfcEdit).getChatEdited().getText());

        // Rejections when applied: the second of two pipelined operations finds the message
        // deleted by the first. The requester gets the error; the seq it took is skipped.
        int rounds = 3;
        for (int i = 0; i < rounds; i++) {
          long victim = author.post("c1", "victim " + i).getSeq();
          long d = author.sendRequest(delete("c1", victim));
          long e = author.sendRequest(edit("c1", victim, "too late"));
          long r = author.sendRequest(react("c1", victim, "👍", true));
          TestClient.ack(author.answer(d));
          assertError(ErrorCode.MESSAGE_NOT_FOUND, author.answer(e));
          assertError(ErrorCode.MESSAGE_NOT_FOUND, author.answer(r));
        }

        long end = author.post("c1", "the end").getSeq();
        // The bystander saw every seq from 1 to the end, each once, in order.
        int skipped = 0;
        for (long seq = 1; seq <= end; seq++) {
          Event e = bystander.nextEvent("c1");
          assertEquals(seq, e.getSeq(), "gap or reordering in the bystander's events");
          if (e.hasSkipped()) {
            skipped++;
          }
        }
        assertFalse(bystander.receives(x -> x.hasEvent() && x.getEvent().getSeq() > 0,
            Duration.ofMillis(300)));
        assertTrue(skipped > 0, "some pipelined operation should have been rejected when applied");
        assertTrue(skipped <= 2 * rounds);
      }
    }
  }

  /** The durable event with this seq, skipping earlier ones. */
  static Event awaitSeq(TestClient c, long seq) {
    return c.awaitEvent(e -> e.getSeq() == seq, "event " + seq);
  }

  static ChatMessage byseq(List<ChatMessage> messages, long seq) {
    return messages.stream().filter(x -> x.getSeq() == seq).findFirst()
        .orElseThrow(() -> new AssertionError("no message " + seq + " in " + messages));
  }

  static void assertError(ErrorCode code, ServerMessage answer) {
    ErrorInfo e = TestClient.error(answer);
    assertEquals(code, e.getCode(), () -> "error: " + e);
    assertEquals("c1", e.getRoomId());
  }

  static ChatPost.Builder post(String room, String text) {
    return ChatPost.newBuilder().setRoomId(room).setText(text);
  }

  static ClientMessage.Builder edit(String room, long seq, String text) {
    return ClientMessage.newBuilder().setChatEdit(
        ChatEdit.newBuilder().setRoomId(room).setMessageSeq(seq).setText(text));
  }

  static ClientMessage.Builder delete(String room, long seq) {
    return ClientMessage.newBuilder().setChatDelete(
        ChatDelete.newBuilder().setRoomId(room).setMessageSeq(seq));
  }

  static ClientMessage.Builder react(String room, long seq, String reaction, boolean add) {
    return ClientMessage.newBuilder().setChatReact(
        ChatReact.newBuilder().setRoomId(room).setMessageSeq(seq).setReaction(reaction).setAdd(add));
  }
}
