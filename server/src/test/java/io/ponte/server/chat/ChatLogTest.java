package io.ponte.server.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.server.room.RoomState;
import io.ponte.server.testsupport.TestRooms;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ChatLogTest {

  private static ChatMessage msg(long seq, String text, boolean toTeachers) {
    return ChatMessage.newBuilder().setSeq(seq).setText(text).setToTeachers(toTeachers)
        .setAuthor(Actor.newBuilder().setUserId("u" + (seq % 3)).setDisplayName("Ana ñ 👋"))
        .build();
  }

  private static List<Long> seqs(List<ChatMessage> ms) {
    return ms.stream().map(ChatMessage::getSeq).toList();
  }

  @Test
  void appendsReplacesAndFindsBySeq() {
    ChatLog log = new ChatLog();
    for (long seq = 1; seq <= 100; seq += 3) {
      log.put(msg(seq, "m" + seq, false));
    }
    assertEquals(34, log.size());
    assertEquals(msg(4, "m4", false), log.get(4));
    assertNull(log.get(5));
    assertNull(log.get(0));
    assertNull(log.get(1000));
    log.put(msg(4, "edited", false));
    assertEquals("edited", log.get(4).getText());
    assertEquals(34, log.size());
    assertEquals(seqs(log.all()), java.util.stream.LongStream.iterate(1, s -> s <= 100, s -> s + 3)
        .boxed().toList());
  }

  @Test
  void pagesNewestFirstBelowASeqThroughAFilter() {
    ChatLog log = new ChatLog();
    for (long seq = 1; seq <= 10; seq++) {
      log.put(msg(seq, "m" + seq, seq % 2 == 0));
    }
    ChatLog.Page newest = log.newestFirst(0, 3, m -> true);
    assertEquals(List.of(10L, 9L, 8L), seqs(newest.newestFirst()));
    assertTrue(newest.more());
    ChatLog.Page publicOnly = log.newestFirst(8, 10, m -> !m.getToTeachers());
    assertEquals(List.of(7L, 5L, 3L, 1L), seqs(publicOnly.newestFirst()));
    assertFalse(publicOnly.more());
    ChatLog.Page exact = log.newestFirst(4, 3, m -> true);
    assertEquals(List.of(3L, 2L, 1L), seqs(exact.newestFirst()));
    assertFalse(exact.more(), "nothing older is left");
    assertEquals(List.of(), seqs(log.newestFirst(1, 5, m -> true).newestFirst()));
    assertEquals(List.of(10L), seqs(log.newestFirst(11, 1, m -> true).newestFirst()));
  }

  /** Behaves as the sorted map it replaces, whatever the order messages arrive in. */
  @Test
  void matchesASortedMapUnderRandomPutsAndReads() {
    Random random = new Random(42);
    ChatLog log = new ChatLog();
    TreeMap<Long, ChatMessage> model = new TreeMap<>();
    for (int i = 0; i < 3000; i++) {
      long seq = random.nextInt(800) + 1;
      ChatMessage m = msg(seq, "t" + i, random.nextBoolean());
      log.put(m);
      model.put(seq, m);
      long probe = random.nextInt(802);
      assertEquals(model.get(probe), log.get(probe));
    }
    assertEquals(List.copyOf(model.values()), log.all());
    assertEquals(model.size(), log.size());
    ChatLog.Page page = log.newestFirst(400, 50, m -> !m.getToTeachers());
    List<ChatMessage> expected = model.headMap(400L, false).descendingMap().values().stream()
        .filter(m -> !m.getToTeachers()).limit(50).toList();
    assertEquals(expected, page.newestFirst());
  }

  @Test
  void aFrozenViewKeepsTheMessagesOfItsMoment() {
    ChatLog log = new ChatLog();
    log.put(msg(1, "one", false));
    log.put(msg(2, "two", false));
    ChatLog.Frozen frozen = log.frozen();
    log.put(msg(2, "edited", false));
    log.put(msg(3, "three", false));
    assertEquals(List.of(msg(1, "one", false), msg(2, "two", false)), frozen.decodeAll());
    assertEquals(3, log.all().size());
  }

  /** A snapshot source captured now builds the state of now, whatever is applied after. */
  @Test
  void aRoomSnapshotSourceBuildsTheStateOfItsMoment() {
    RoomState state = TestRooms.create("r1", io.ponte.protocol.v1.RoomSettings.getDefaultInstance());
    for (long seq = 1; seq <= 3; seq++) {
      state.apply(teacherPost(seq, "m" + seq));
    }
    io.ponte.protocol.v1.RoomStateRecord atThree = state.toRecord();
    RoomState.SnapshotSource source = state.snapshotSource();
    state.apply(teacherPost(4, "m4"));
    assertEquals(3, source.seq());
    assertEquals(atThree, source.build());
    assertEquals(atThree, parse(source.encode()), "the encoding without decoding the chat");
    assertEquals(4, state.toRecord().getMessagesCount());
    assertEquals(atThree, TestRooms.fromRecord(atThree).toRecord(), "round trip");
  }

  private static io.ponte.protocol.v1.RoomStateRecord parse(byte[] bytes) {
    try {
      return io.ponte.protocol.v1.RoomStateRecord.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /** Edits write new versions; once the old ones outweigh the live ones they are dropped. */
  @Test
  void compactsReplacedVersionsAndKeepsFrozenViewsIntact() {
    ChatLog log = new ChatLog();
    String big = "x".repeat(io.ponte.server.util.ByteChunks.MAX_CHUNK_BYTES / 2); // an array of its own
    for (long seq = 1; seq <= 200; seq++) {
      log.put(msg(seq, seq == 7 ? big : "m" + seq, false));
    }
    long live = log.liveBytes();
    ChatLog.Frozen before = log.frozen();
    List<ChatMessage> original = before.decodeAll();
    boolean compacted = false;
    for (int round = 0; round < 400; round++) {
      for (long seq = 1; seq <= 200; seq += 2) {
        long deadBefore = log.deadBytes();
        log.put(msg(seq, seq == 7 ? big : "edit " + round + " of " + seq, false));
        compacted |= log.deadBytes() < deadBefore;
      }
      assertTrue(log.deadBytes() <= Math.max(1 << 20, log.liveBytes()) + io.ponte.server.util.ByteChunks.MAX_CHUNK_BYTES);
    }
    assertTrue(compacted, "the dead versions were dropped at least once");
    assertEquals(original, before.decodeAll(), "a view taken before keeps its messages");
    assertEquals(200, log.size());
    assertEquals("edit 399 of 1", log.get(1).getText());
    assertEquals("m2", log.get(2).getText());
    assertEquals(big, log.get(7).getText());
    assertTrue(log.liveBytes() > live, "edited texts are longer");
  }

  private static io.ponte.protocol.v1.SequencedOperation teacherPost(long seq, String text) {
    return io.ponte.protocol.v1.SequencedOperation.newBuilder().setSeq(seq)
        .setOperation(io.ponte.protocol.v1.Operation.newBuilder()
            .setServerTimeMs(1000 + seq)
            .setClientMsgId("c" + seq)
            .setActor(Actor.newBuilder().setUserId("tina").setDisplayName("Tina")
                .setRole(io.ponte.protocol.v1.Role.TEACHER))
            .setChatPost(io.ponte.protocol.v1.ChatPost.newBuilder().setRoomId("r1").setText(text)))
        .build();
  }
}
