package io.ponte.server.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.ChatMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EncodedRingTest {

  private static ChatMessage message(long seq, int textLength) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < textLength; i++) {
      text.append((char) ('a' + (seq + i) % 26));
    }
    return ChatMessage.newBuilder().setSeq(seq).setLanguage("l" + seq % 7)
        .setText(text.toString()).build();
  }

  private static List<ChatMessage> contents(EncodedRing ring) throws InvalidProtocolBufferException {
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < ring.size(); i++) {
      out.add(ring.parse(i, ChatMessage.parser()));
    }
    return out;
  }

  @Test
  void keepsTheNewestEntriesUpToItsCapacityInOrder() throws Exception {
    EncodedRing ring = new EncodedRing(3);
    assertTrue(ring.isEmpty());
    for (long seq = 1; seq <= 5; seq++) {
      ring.add(seq, message(seq, 10));
    }
    assertEquals(3, ring.size());
    assertEquals(3, ring.firstKey());
    assertEquals(5, ring.lastKey());
    assertEquals(List.of(message(3, 10), message(4, 10), message(5, 10)), contents(ring));

    ring.removeOldest();
    assertEquals(4, ring.firstKey());
    ring.clear();
    assertEquals(0, ring.size());
    assertThrows(NoSuchElementException.class, ring::removeOldest);
    assertThrows(IndexOutOfBoundsException.class, () -> ring.key(0));
    ring.add(9, message(9, 3));
    assertEquals(List.of(message(9, 3)), contents(ring));
  }

  /**
   * Many times around, with sizes from empty to several chunks, against a plain queue of the
   * same messages: reused chunks must never show an entry another one's bytes.
   */
  @Test
  void matchesAPlainQueueThroughManyChunksAndReuses() throws Exception {
    Random random = new Random(42);
    for (int capacity : new int[] {1, 2, 7, 100, 1000}) {
      EncodedRing ring = new EncodedRing(capacity);
      ArrayDeque<ChatMessage> expected = new ArrayDeque<>();
      for (long seq = 1; seq <= 5000; seq++) {
        int length = switch (random.nextInt(20)) {
          case 0 -> ByteChunks.MAX_CHUNK_BYTES / 4 + random.nextInt(ByteChunks.MAX_CHUNK_BYTES * 2);
          case 1 -> 0;
          default -> random.nextInt(400);
        };
        ChatMessage m = message(seq, length);
        ring.add(seq, m);
        expected.addLast(m);
        if (expected.size() > capacity) {
          expected.removeFirst();
        }
        if (seq % 97 == 0 || seq > 4990) {
          assertEquals(new ArrayList<>(expected), contents(ring), "capacity " + capacity + " at " + seq);
          assertEquals(expected.peekFirst().getSeq(), ring.firstKey());
          assertEquals(seq, ring.lastKey());
        }
      }
    }
  }

  @Test
  void aMessageReadBeforeItsChunkIsReusedStaysAsItWas() throws Exception {
    EncodedRing ring = new EncodedRing(4);
    ring.add(1, message(1, 5000));
    ChatMessage first = ring.parse(0, ChatMessage.parser());
    for (long seq = 2; seq < 200; seq++) {
      ring.add(seq, message(seq + 1000, 5000));
    }
    assertEquals(message(1, 5000), first);
  }

  @Test
  void refusesANonPositiveCapacity() {
    assertThrows(IllegalArgumentException.class, () -> new EncodedRing(0));
  }
}
