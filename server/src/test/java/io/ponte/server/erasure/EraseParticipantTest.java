package io.ponte.server.erasure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardImage;
import io.ponte.protocol.v1.BoardPath;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardRevert;
import io.ponte.protocol.v1.BoardSticky;
import io.ponte.protocol.v1.BoardStyle;
import io.ponte.protocol.v1.BoardText;
import io.ponte.protocol.v1.ElementPatch;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsDelete;
import io.ponte.protocol.v1.ElementsUpdate;
import io.ponte.protocol.v1.PageClear;
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
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import io.ponte.server.room.RoomStateTest;
import io.ponte.server.testsupport.TestRooms;
import io.ponte.server.whiteboard.BoardLimits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
    return erase(userId, PSEUDONYM, removeBoard);
  }

  static Operation erase(String userId, String pseudonym, boolean removeBoard) {
    return Operation.newBuilder()
        .setActor(Actor.newBuilder().setUserId("admin").setRole(Role.ROLE_UNSPECIFIED))
        .setEraseParticipant(EraseParticipant.newBuilder().setUserId(userId)
            .setPseudonym(pseudonym).setRemoveBoardElements(removeBoard))
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
    boolean anonymisedKeptText = false;
    long boardOpsByHer = 0;
    for (long seed = 1; seed <= 40; seed++) {
      List<Operation> ops = withBoardOperations(RoomStateTest.randomOperations(seed, 300), seed);
      ops.add(ops.size() / 2, erase(DRAWER.getUserId(), DRAWER_PSEUDONYM, seed % 2 == 0));
      ops.add(ops.size() / 2, erase("ana", seed % 2 == 0));
      long[] erasedAt = {0};
      RoomState original = RoomState.create(RoomStateTest.ROOM, RoomStateTest.settings(true), BOARDS);
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
      RoomState replayed = RoomState.create(RoomStateTest.ROOM, RoomStateTest.settings(true), BOARDS);
      for (SequencedOperation sop : stored.values()) {
        replayed.apply(sop);
      }
      assertEquals(expected, replayed.toRecord(), "seed " + seed + " from the start");
      for (RoomStateRecord snapshot : snapshots.values()) {
        RoomState fromSnapshot = RoomState.fromRecord(snapshot, BOARDS);
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
      // Removed board elements: her board texts are gone from every stored copy; kept
      // (anonymised): still there, under the pseudonym.
      boolean removed = seed % 2 == 0;
      boolean drewText = false;
      for (SequencedOperation sop : stored.headMap(erasedAt[0]).values()) {
        drewText |= contains(sop.toByteArray(), ANA_BOARD_TEXT);
      }
      for (RoomStateRecord snapshot : snapshots.headMap(erasedAt[0]).values()) {
        drewText |= contains(snapshot.toByteArray(), ANA_BOARD_TEXT);
      }
      if (removed) {
        long s = seed;
        assertFalse(drewText, () -> "seed " + s + ": a board text of hers is still stored: "
            + stored.headMap(erasedAt[0]).values().stream()
                .filter(o -> contains(o.toByteArray(), ANA_BOARD_TEXT)).findFirst()
                .map(Object::toString).orElse("in a snapshot"));
      } else {
        anonymisedKeptText |= drewText;
      }
      boardOpsByHer += stored.headMap(erasedAt[0]).values().stream()
          .filter(o -> o.getOperation().hasBoard() && o.getOperation().getActor().getUserId().equals(DRAWER_PSEUDONYM))
          .count();
    }
    assertTrue(anonymisedKeptText, "no seed kept a board text of hers in anonymise mode");
    assertTrue(boardOpsByHer > 100, "too few board operations of hers: " + boardOpsByHer);
  }

  /**
   * Whiteboards with small limits, so that the board size and the history's bounds (counted in
   * encoded bytes) take part: blanked copies must be accepted, refused and forgotten alike.
   */
  static final RoomFeatures BOARDS = TestRooms.featuresWithBoards(
      new BoardLimits(20, 100, 5_000, 10_000, 2_000, 4_000, 1_000, 2_500));

  /**
   * The erased student who draws (ana does not). Her id is as long as a pseudonym: renaming user
   * ids changes the encoded size of what names them, which the small limits above would make a
   * replay see (a limitation of the renaming, not of the blanking, whose fillers keep sizes).
   */
  static final Actor DRAWER = Actor.newBuilder().setUserId("drawer-" + "0".repeat(20))
      .setDisplayName("Drawer").setRole(Role.STUDENT).build();
  static final String DRAWER_PSEUDONYM = new Pseudonyms(new byte[32]).of(DRAWER.getUserId());

  /** What the erased student writes on boards (only she does; after the erasure she is new). */
  static final String ANA_BOARD_TEXT = "ana-board-words";

  /**
   * The operations with random board operations between them: two boards, a few pages and
   * element ids that come back (deleted and added again), texts, strokes, images, patches,
   * deletes, clears and the teachers' reverts, by the teachers and the students.
   */
  static List<Operation> withBoardOperations(List<Operation> ops, long seed) {
    Random r = new Random(seed * 31 + 7);
    List<Actor> cast = RoomStateTest.CAST;
    List<Operation> out = new ArrayList<>();
    int n = 0;
    for (Operation o : ops) {
      out.add(o);
      for (int k = 0; k < 2; k++) {
        Actor a = r.nextInt(3) == 0 ? DRAWER : cast.get(r.nextInt(cast.size()));
        a = a.getUserId().equals("ana") ? DRAWER : a;
        String board = "b" + r.nextInt(2);
        String page = "p" + r.nextInt(2);
        // Her elements have ids of their own (what she writes into others' elements is theirs
        // and stays with them, as does an id of hers someone adds again: Erasure decides by
        // element id); anyone may change or delete hers.
        boolean ana = a == DRAWER;
        String id = (ana || r.nextBoolean() ? "a" : "e") + r.nextInt(6);
        String words = ana ? ANA_BOARD_TEXT + " " + n : "board words " + n;
        BoardRequest.Builder req = BoardRequest.newBuilder().setRoomId(RoomStateTest.ROOM).setBoardId(board)
            .setClientMsgId("board-" + n++);
        switch (r.nextInt(12)) {
          case 0 -> req.setCreateBoard(BoardCreate.newBuilder().setFirstPageId("p0"));
          case 1 -> req.setAddPage(io.ponte.protocol.v1.PageAdd.newBuilder().setPageId("p1"));
          case 2, 3, 4 -> req.setAddElements(ElementsAdd.newBuilder().setPageId(page)
              .addElements(element(r, ana ? id : "e" + id.substring(1), words)));
          case 5, 6 -> {
            ElementPatch.Builder p = ElementPatch.newBuilder().setElementId(id);
            switch (r.nextInt(4)) {
              case 0 -> p.setText(BoardText.newBuilder().setX(r.nextInt(300) - 100).setY(5).setText(words));
              case 1 -> p.setPath(path(r));
              case 2 -> p.setSticky(BoardSticky.newBuilder().setX(1).setY(2).setWidth(90).setHeight(40).setText(words));
              default -> p.setStyle(BoardStyle.newBuilder().setStroke("#ff0000"));
            }
            req.setUpdateElements(ElementsUpdate.newBuilder().setPageId(page).addPatches(p));
          }
          case 7, 8 -> req.setDeleteElements(ElementsDelete.newBuilder().setPageId(page).addElementIds(id));
          case 9 -> req.setRevert(BoardRevert.newBuilder().setUserId(cast.get(r.nextInt(4)).getUserId())
              .setSinceSeq(r.nextInt(Math.max(1, out.size()))));
          case 10 -> req.setClearPage(PageClear.newBuilder().setPageId(page));
          default -> req.setAddElements(ElementsAdd.newBuilder().setPageId(page)
              .addElements(element(r, (ana ? "a" : "e") + r.nextInt(6), words)));
        }
        out.add(Operation.newBuilder().setActor(a).setClientMsgId(req.getClientMsgId()).setBoard(req).build());
      }
    }
    return out;
  }

  private static BoardElement element(Random r, String id, String words) {
    BoardElement.Builder e = BoardElement.newBuilder().setElementId(id).setZ("a" + r.nextInt(9));
    switch (r.nextInt(5)) {
      case 0 -> e.setText(BoardText.newBuilder().setX(r.nextInt(1000) - 500).setY(20).setText(words));
      case 1 -> e.setSticky(BoardSticky.newBuilder().setX(3).setY(4).setWidth(80).setHeight(60).setText(words));
      case 2 -> e.setImage(BoardImage.newBuilder().setX(0).setY(0).setWidth(10).setHeight(10).setAssetId("logo"));
      case 3 -> e.setRectangle(BoardBox.newBuilder().setX(r.nextInt(50)).setY(-7).setWidth(9).setHeight(300));
      default -> e.setPath(path(r));
    }
    return e.build();
  }

  private static BoardPath path(Random r) {
    BoardPath.Builder p = BoardPath.newBuilder().addPoints(r.nextInt(20000) - 10000).addPoints(r.nextInt(700));
    int points = 1 + r.nextInt(30);
    for (int i = 1; i < points; i++) {
      p.addPoints(r.nextInt(400) - 200).addPoints(r.nextInt(40_000) - 20_000);
    }
    if (r.nextBoolean()) {
      for (int i = 0; i < points; i++) {
        p.addPressure(r.nextInt(256));
      }
    }
    return p.build();
  }

  @Test
  void blankingKeepsTheKindAndTheEncodedSizeOfEveryShapeAndIsIdempotent() {
    Random r = new Random(5);
    for (int i = 0; i < 500; i++) {
      BoardElement e = element(r, "e", i % 2 == 0 ? "héllo wörld " + i : ANA_BOARD_TEXT);
      BoardElement blank = Erasure.blankShape(e);
      assertEquals(e.getShapeCase(), blank.getShapeCase());
      assertEquals(e.getSerializedSize(), blank.getSerializedSize(), e.toString());
      assertEquals(blank, Erasure.blankShape(blank));
      assertFalse(contains(blank.toByteArray(), ANA_BOARD_TEXT));
      assertFalse(contains(blank.toByteArray(), "logo"));
      if (e.hasPath() && e.getPath().getPointsCount() > 2) {
        assertFalse(e.getPath().getPointsList().equals(blank.getPath().getPointsList()));
      }
    }
    // Every shape is one EraseParticipant blanks: its fields are all of the kinds blankShape fills.
    for (var f : Erasure.shapeOf(BoardElement.getDescriptor()).getFields()) {
      for (var sub : f.getMessageType().getFields()) {
        assertTrue(List.of(com.google.protobuf.Descriptors.FieldDescriptor.Type.SINT32,
            com.google.protobuf.Descriptors.FieldDescriptor.Type.UINT32,
            com.google.protobuf.Descriptors.FieldDescriptor.Type.STRING).contains(sub.getType()),
            f.getName() + "." + sub.getName());
      }
    }
  }

  static boolean contains(byte[] bytes, String s) {
    return Erasure.contains(bytes, s.getBytes(StandardCharsets.UTF_8));
  }
}
