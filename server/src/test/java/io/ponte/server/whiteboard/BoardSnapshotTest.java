package io.ponte.server.whiteboard;

import static io.ponte.server.whiteboard.BoardTestRoom.ANA;
import static io.ponte.server.whiteboard.BoardTestRoom.BO;
import static io.ponte.server.whiteboard.BoardTestRoom.OBS;
import static io.ponte.server.whiteboard.BoardTestRoom.TEACHER;
import static io.ponte.server.whiteboard.BoardTestRoom.add;
import static io.ponte.server.whiteboard.BoardTestRoom.create;
import static io.ponte.server.whiteboard.BoardTestRoom.delete;
import static io.ponte.server.whiteboard.BoardTestRoom.move;
import static io.ponte.server.whiteboard.BoardTestRoom.on;
import static io.ponte.server.whiteboard.BoardTestRoom.rect;
import static io.ponte.server.whiteboard.BoardTestRoom.stroke;
import static io.ponte.server.whiteboard.BoardTestRoom.update;
import static io.ponte.server.whiteboard.BoardRevertTest.revert;
import static io.ponte.server.whiteboard.WhiteboardStateTest.addPage;
import static io.ponte.server.whiteboard.WhiteboardStateTest.lockBoard;
import static io.ponte.server.whiteboard.WhiteboardStateTest.lockElements;
import static io.ponte.server.whiteboard.WhiteboardStateTest.reorder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.BoardDelete;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardRecord;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.PageClear;
import io.ponte.protocol.v1.PageDelete;
import io.ponte.protocol.v1.PageMove;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Snapshot records round trip, and every node applying the same seqs ends in the same state. */
@Timeout(60)
class BoardSnapshotTest {
  static final BoardLimits TIGHT = new BoardLimits(3, 4, 12, 50, 40, 20_000, 25, 6_000);
  /** Weighted: teachers and students act most, observers (always refused) now and then. */
  static final List<Actor> ACTORS = List.of(TEACHER, TEACHER, TEACHER, ANA, ANA, ANA, BO, BO, BO, OBS);

  /** A random but reproducible board request: many are refused, which must be deterministic too. */
  static BoardRequest.Builder randomRequest(Random rnd) {
    String board = "b" + rnd.nextInt(2);
    String page = "p" + rnd.nextInt(2);
    String id = "e" + rnd.nextInt(8);
    return switch (rnd.nextInt(16)) {
      case 0 -> create(board, "p0");
      case 1 -> addPage(board, page, rnd.nextBoolean() ? null : rnd.nextInt(4));
      case 2, 3, 4 -> add(board, page, randomElement(rnd, id));
      case 5, 6 -> update(board, page, rnd.nextInt(3) == 0
          ? move(id, rnd.nextInt(500), rnd.nextInt(500), rnd.nextInt(100), rnd.nextInt(100))
          : stroke(id, String.format("#%06x", rnd.nextInt(1 << 24))));
      case 7 -> delete(board, page, id);
      case 8 -> reorder(board, page, id, "a" + rnd.nextInt(100));
      case 9 -> lockElements(board, page, rnd.nextBoolean(), id);
      case 10 -> lockBoard(board, rnd.nextInt(4) == 0);
      case 11 -> rnd.nextInt(3) == 0 ? on(board).setClearPage(PageClear.newBuilder().setPageId(page))
          : delete(board, page, id);
      case 12 -> revert(board, List.of("ana", "bo", "teacher-1").get(rnd.nextInt(3)), 1 + rnd.nextInt(200));
      case 13 -> rnd.nextInt(3) == 0 ? on(board).setDeletePage(PageDelete.newBuilder().setPageId(page))
          : add(board, page, randomElement(rnd, id));
      case 14 -> on(board).setMovePage(PageMove.newBuilder().setPageId(page).setIndex(rnd.nextInt(4)));
      default -> rnd.nextInt(10) == 0 ? on(board).setDeleteBoard(BoardDelete.getDefaultInstance())
          : update(board, page, stroke(id, "#00ff00"));
    };
  }

  static BoardElement randomElement(Random rnd, String id) {
    BoardElement e = BoardElementsTest.everyKind().get(rnd.nextInt(8));
    if (e.hasPath()) {
      int[] points = new int[2 * (1 + rnd.nextInt(30))];
      for (int i = 0; i < points.length; i++) {
        points[i] = rnd.nextInt(2_000) - 1_000;
      }
      e = e.toBuilder().setPath(PackedPoints.encode(points)).build();
    }
    return e.toBuilder().setElementId(id).setZ("a" + rnd.nextInt(100)).build();
  }

  static BoardTestRoom session(long seed, int ops) {
    BoardTestRoom room = new BoardTestRoom(TIGHT, true);
    Random rnd = new Random(seed);
    for (int i = 0; i < ops; i++) {
      room.send(ACTORS.get(rnd.nextInt(ACTORS.size())), randomRequest(rnd));
    }
    return room;
  }

  @Test
  void aRecordLoadsIntoAnEqualState() {
    BoardTestRoom room = new BoardTestRoom(new BoardLimits(5, 5, 100, 100, 100, 1 << 20, 3, 1 << 20), true);
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, create("b2", "q1"));
    room.ok(ANA, add("b1", "p1", BoardElementsTest.everyKind().toArray(new BoardElement[0])));
    room.ok(BO, update("b1", "p1", stroke("rect", "#abcdef")));
    room.ok(BO, delete("b1", "p1", "line"));
    room.ok(TEACHER, lockElements("b1", "p1", true, "text"));
    room.ok(TEACHER, lockBoard("b2", true));
    room.ok(BO, add("b1", "p1", rect("r2", 0, 0, 5, 5)));
    room.ok(ANA, update("b1", "p1", move("r2", 1, 1, 5, 5)));
    RoomStateRecord record = room.record();
    BoardRecord b1 = record.getBoards(0);
    assertEquals(3, b1.getHistoryCount(), "the history is part of the record");
    assertTrue(b1.getForgottenThrough() > 0, "and so is how far back it reaches");

    room.reload();
    assertEquals(record, room.record());
    assertArrayEquals(record.toByteArray(), room.record().toByteArray());
  }

  @Test
  void aLoadedStateGoesOnExactlyAsTheOriginal() {
    for (long seed = 1; seed <= 5; seed++) {
      BoardTestRoom original = session(seed, 300);
      BoardTestRoom restored = new BoardTestRoom(TIGHT, true);
      for (SequencedOperation sop : original.log) {
        restored.apply(sop);
      }
      restored.reload();
      Random rnd = new Random(seed * 1_000);
      for (int i = 0; i < 300; i++) {
        Actor who = ACTORS.get(rnd.nextInt(ACTORS.size()));
        BoardRequest.Builder request = randomRequest(rnd);
        assertEquals(original.send(who, request.clone()), restored.send(who, request.clone()),
            "seed " + seed + ", op " + i);
      }
      assertEquals(original.record(), restored.record());
    }
  }

  @Test
  void twoStatesFedTheSameOperationsProduceIdenticalRecordsAndEvents() {
    for (long seed = 10; seed <= 15; seed++) {
      BoardTestRoom a = session(seed, 600);
      BoardTestRoom b = new BoardTestRoom(TIGHT, true);
      BoardTestRoom c = new BoardTestRoom(TIGHT, true);
      int accepted = 0;
      for (SequencedOperation sop : a.log) {
        BoardTestRoom.Result rb = b.apply(sop);
        assertEquals(rb, c.apply(sop), "seed " + seed + " seq " + sop.getSeq());
        accepted += rb.error() == null ? 1 : 0;
      }
      assertTrue(accepted > 100, "the session exercises the state (" + accepted + " accepted)");
      assertArrayEquals(b.record().toByteArray(), c.record().toByteArray());
      assertArrayEquals(a.record().toByteArray(), b.record().toByteArray());
      assertNotEquals(RoomStateRecord.getDefaultInstance(), a.record());
    }
  }
}
