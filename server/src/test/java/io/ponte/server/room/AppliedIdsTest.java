package io.ponte.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.AppliedClientMessage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AppliedIdsTest {

  @Test
  void findsTheSeqOfARememberedIdAndForgetsTheOldestBeyondItsCapacity() {
    AppliedIds ids = new AppliedIds(3);
    assertEquals(0, ids.seqOf("u1", "c1"));
    ids.put("u1", "c1", 10);
    ids.put("u2", "c1", 11);
    ids.put("u1", "c2", 12);
    assertEquals(10, ids.seqOf("u1", "c1"));
    assertEquals(11, ids.seqOf("u2", "c1"), "the same id from another user is another key");
    assertEquals(0, ids.seqOf("u1", "c3"));
    ids.put("u1", "c3", 13);
    assertEquals(0, ids.seqOf("u1", "c1"), "the oldest left");
    assertEquals(13, ids.seqOf("u1", "c3"));
    assertEquals(List.of(11L, 12L, 13L), ids.all().stream().map(AppliedClientMessage::getSeq).toList());
  }

  /** The user id and client id are not joined into one string: "a" + "bc" is not "ab" + "c". */
  @Test
  void keysDoNotRunIntoEachOther() {
    AppliedIds ids = new AppliedIds(10);
    ids.put("a", "bc", 1);
    assertEquals(0, ids.seqOf("ab", "c"));
    assertEquals(0, ids.seqOf("a\0b", "c"));
    assertEquals(1, ids.seqOf("a", "bc"));
  }

  /** Behaves as the bounded insertion-ordered map it replaces, through many table rebuilds. */
  @Test
  void matchesABoundedLinkedMap() {
    Random random = new Random(7);
    for (int capacity : new int[] {1, 5, 100, 2000}) {
      AppliedIds ids = new AppliedIds(capacity);
      LinkedHashMap<List<String>, Long> model = new LinkedHashMap<>();
      for (long seq = 1; seq <= 20_000; seq++) {
        String user = "u" + random.nextInt(30);
        String client = "c" + random.nextInt(5000);
        List<String> key = List.of(user, client);
        // As the room does: an id already remembered is answered, not applied again.
        long known = ids.seqOf(user, client);
        assertEquals(model.getOrDefault(key, 0L), known, "capacity " + capacity + " seq " + seq);
        if (known != 0) {
          continue;
        }
        ids.put(user, client, seq);
        model.put(key, seq);
        if (model.size() > capacity) {
          Iterator<Map.Entry<List<String>, Long>> oldest = model.entrySet().iterator();
          oldest.next();
          oldest.remove();
        }
      }
      assertEquals(model.size(), ids.size());
      List<Long> expected = new ArrayList<>(model.values());
      assertEquals(expected, ids.all().stream().map(AppliedClientMessage::getSeq).toList());
    }
  }

  @Test
  void theNewestEntryForAKeyWins() {
    AppliedIds ids = new AppliedIds(10);
    ids.put("u", "c", 5);
    ids.put("u", "c", 9);
    assertEquals(9, ids.seqOf("u", "c"));
  }
}
