package io.ponte.server.erasure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.EraseParticipant;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.Redaction;
import io.ponte.server.room.RoomState;
import io.ponte.server.room.RoomStateTest;
import io.ponte.server.testsupport.TestRooms;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * EraseParticipant at the state level: what it leaves of the user in the room, and that it is
 * deterministic on replay: a fresh node replaying the rewritten operations (from the start, or
 * from a snapshot rewritten by the redaction) ends in the state of the node that applied the
 * originals, and a second erasure changes nothing.
 */
class EraseParticipantTest {
  private static final String PSEUDONYM = new Pseudonyms(new byte[32]).of("ana");

  static Operation erase(String userId, boolean removeBoard) {
    return Operation.newBuilder()
        .setActor(Actor.newBuilder().setUserId("admin").setRole(Role.ROLE_UNSPECIFIED))
        .setEraseParticipant(EraseParticipant.newBuilder().setUserId(userId)
            .setPseudonym(PSEUDONYM).setRemoveBoardElements(removeBoard))
        .build();
  }

  @Test
  void pseudonymIsStableAndKeyed() {
    Pseudonyms a = new Pseudonyms("k".repeat(32).getBytes(StandardCharsets.UTF_8));
    assertEquals(a.of("ana"), new Pseudonyms("k".repeat(32).getBytes(StandardCharsets.UTF_8)).of("ana"));
    assertFalse(a.of("ana").equals(new Pseudonyms("j".repeat(32).getBytes(StandardCharsets.UTF_8)).of("ana")));
    assertTrue(a.of("ana").matches("erased-[0-9a-f]{20}"), a.of("ana"));
    assertFalse(a.of("ana").equals(a.of("bo")));
  }

  @Test
  void erasureLeavesPlaceholdersAndNoMentionOfTheUser() {
    RoomState s = RoomStateTest.fresh();
    RoomStateTest.accepted(s, RoomStateTest.post(RoomStateTest.ANA, "my secret text"));
    RoomStateTest.accepted(s, RoomStateTest.post(RoomStateTest.BO, "bo says hi"));
    RoomStateTest.accepted(s, RoomStateTest.react(RoomStateTest.ANA, 2, "👍", true));
    RoomStateTest.accepted(s, RoomStateTest.react(RoomStateTest.BO, 2, "👍", true));
    RoomStateTest.accepted(s, RoomStateTest.mute(RoomStateTest.TEACHER, "ana", true));
    AppliedOperation a = RoomStateTest.accepted(s, erase("ana", true));
    Event.BodyCase kind = a.event().getBodyCase();
    assertEquals(Event.BodyCase.PARTICIPANT_ERASED, kind);
    assertEquals(List.of(1L), a.event().getParticipantErased().getMessageSeqsList());
    assertEquals(1, a.event().getParticipantErased().getMessagesRemoved());
    assertEquals(1, a.event().getParticipantErased().getReactionsRemoved());
    RoomStateRecord r = s.toRecord();
    assertFalse(contains(r.toByteArray(), "ana"), r::toString);
    assertFalse(contains(r.toByteArray(), "my secret text"));
    ChatMessage first = r.getMessages(0);
    assertTrue(first.getDeleted());
    assertEquals(PSEUDONYM, first.getAuthor().getUserId());
    assertEquals("", first.getAuthor().getDisplayName());
    List<Reaction> reactions = r.getMessages(1).getReactionsList();
    assertEquals(List.of("bo"), reactions.get(0).getUserIdsList());
    assertTrue(r.getMutedUserIdsList().contains(PSEUDONYM), "a mute stays, on the pseudonym");

    // Its redaction covers every seq and its own; its own copy loses the user id.
    Redaction red = a.redaction();
    assertNotNull(red);
    assertEquals(a.seq(), (long) red.seqs().get(red.seqs().size() - 1));
    Operation own = red.operation().apply(a.operation().getOperation());
    assertEquals("", own.getEraseParticipant().getUserId());
    assertEquals(PSEUDONYM, own.getEraseParticipant().getPseudonym());

    // Again: nothing changes but the seq.
    RoomStateRecord before = s.toRecord();
    AppliedOperation again = RoomStateTest.accepted(s, erase("ana", true));
    assertEquals(0, again.event().getParticipantErased().getMessagesRemoved());
    assertEquals(RoomStateTest.withoutSeq(before), RoomStateTest.withoutSeq(s.toRecord()));
  }

  @Test
  void replayingTheRewrittenOperationsGivesTheSameRoom() {
    for (long seed = 1; seed <= 40; seed++) {
      List<Operation> ops = RoomStateTest.randomOperations(seed, 300);
      ops.add(150, erase("ana", seed % 2 == 0));
      long[] erasedAt = {0};
      RoomState original = RoomStateTest.fresh();
      TreeMap<Long, SequencedOperation> stored = new TreeMap<>();
      TreeMap<Long, RoomStateRecord> snapshots = new TreeMap<>();
      for (Operation o : ops) {
        if (original.check(o) != null) {
          continue; // refused before sequencing, as Room.submit does: never stored
        }
        AppliedOperation a = RoomStateTest.apply(original, o);
        stored.put(a.seq(), a.operation());
        Redaction r = a.redaction();
        if (o.hasEraseParticipant()) {
          erasedAt[0] = a.seq();
        }
        if (r != null) {
          for (long seq : r.seqs()) {
            SequencedOperation before = stored.get(seq);
            Operation after = r.operation().apply(before.getOperation());
            if (!after.equals(before.getOperation())) {
              stored.put(seq, before.toBuilder().setOperation(after).setRedacted(true).build());
            }
          }
          snapshots.replaceAll((seq, rec) -> seq < a.seq() ? r.snapshot().apply(rec) : rec);
        }
        if (a.seq() % 29 == 0) {
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
      // Nothing stored before the erasure names "ana" any more, and no text of hers is left.
      for (SequencedOperation sop : stored.headMap(erasedAt[0] + 1).values()) {
        Operation o = sop.getOperation();
        assertFalse(o.getActor().getUserId().equals("ana"), "seed " + seed + " seq " + sop.getSeq());
        if (o.getActor().getUserId().equals(PSEUDONYM) && o.hasChatPost()) {
          assertEquals("", o.getChatPost().getText());
        }
      }
      for (RoomStateRecord snapshot : snapshots.headMap(erasedAt[0]).values()) {
        assertFalse(contains(snapshot.toByteArray(), "\"ana\""));
      }
    }
  }

  static boolean contains(byte[] bytes, String s) {
    return Erasure.contains(bytes, s.getBytes(StandardCharsets.UTF_8));
  }
}
