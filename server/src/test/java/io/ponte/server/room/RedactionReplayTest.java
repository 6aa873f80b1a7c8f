package io.ponte.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.testsupport.TestRooms;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The redactions of deletions and edits (see {@link Redaction}), carried out on the stored
 * operations and on snapshots taken before them, change nothing a replay gives: a fresh node
 * replaying the rewritten operations, from the start or from a rewritten snapshot, ends in the
 * state of the node that applied the originals. And no deleted or superseded text is left.
 */
class RedactionReplayTest {

  @Test
  void replayingRedactedOperationsGivesTheSameRoomAndKeepsOnlyLiveTexts() {
    int redactions = 0;
    for (long seed = 1; seed <= 60; seed++) {
      List<Operation> ops = RoomStateTest.randomOperations(seed, 400);
      RoomState original = RoomStateTest.fresh();
      TreeMap<Long, SequencedOperation> stored = new TreeMap<>();
      TreeMap<Long, RoomStateRecord> snapshots = new TreeMap<>();
      Set<Long> accepted = new HashSet<>();
      for (Operation o : ops) {
        AppliedOperation a = RoomStateTest.apply(original, o);
        stored.put(a.seq(), a.operation());
        if (a.accepted()) {
          accepted.add(a.seq());
        }
        Redaction r = a.redaction();
        if (r != null) {
          redactions++;
          for (long seq : r.seqs()) {
            assertTrue(seq < a.seq());
            SequencedOperation before = stored.get(seq);
            stored.put(seq, before.toBuilder()
                .setOperation(r.operation().apply(before.getOperation())).setRedacted(true).build());
          }
          snapshots.replaceAll((seq, rec) -> r.snapshot().apply(rec));
        }
        if (a.seq() % 37 == 0) {
          snapshots.put(a.seq(), original.toRecord());
        }
      }
      RoomStateRecord expected = original.toRecord();

      RoomState replayed = RoomStateTest.fresh();
      for (SequencedOperation sop : stored.values()) {
        replayed.apply(sop);
      }
      assertEquals(expected, replayed.toRecord(), "seed " + seed + " from the start");

      for (RoomStateRecord snapshot : snapshots.values()) {
        RoomState fromSnapshot = TestRooms.fromRecord(snapshot);
        for (SequencedOperation sop : stored.tailMap(snapshot.getSeq(), false).values()) {
          fromSnapshot.apply(sop);
        }
        assertEquals(expected, fromSnapshot.toRecord(),
            "seed " + seed + " from the snapshot at " + snapshot.getSeq());
      }

      // The texts left in the stored operations are exactly the messages' current texts.
      Set<String> live = new HashSet<>();
      for (ChatMessage m : expected.getMessagesList()) {
        live.add(m.getText());
      }
      List<String> left = new ArrayList<>();
      for (SequencedOperation sop : stored.values()) {
        if (!accepted.contains(sop.getSeq())) {
          continue; // never took effect: no message holds it
        }
        Operation o = sop.getOperation();
        if (o.hasChatPost() && !o.getChatPost().getText().isEmpty()) {
          left.add(o.getChatPost().getText());
        }
        if (o.hasChatEdit() && !o.getChatEdit().getText().isEmpty()) {
          left.add(o.getChatEdit().getText());
        }
      }
      for (ChatMessage m : expected.getMessagesList()) {
        if (m.getDeleted()) {
          assertEquals("", m.getText());
        }
      }
      long seedNow = seed;
      assertTrue(left.stream().allMatch(t -> live.contains(
          java.text.Normalizer.normalize(t, java.text.Normalizer.Form.NFC))),
          () -> "seed " + seedNow + ": texts left that no message holds: " + left + " vs " + live);
      int liveTexts = (int) expected.getMessagesList().stream()
          .filter(m -> !m.getText().isEmpty()).count();
      assertEquals(liveTexts, left.size(), "seed " + seed + ": one stored text per live message");
    }
    assertTrue(redactions >= 20, "the mix redacts: " + redactions);
  }
}
