package io.ponte.server.whiteboard;

import static io.ponte.server.whiteboard.BoardTestRoom.ANA;
import static io.ponte.server.whiteboard.BoardTestRoom.BO;
import static io.ponte.server.whiteboard.BoardTestRoom.TEACHER;
import static io.ponte.server.whiteboard.BoardTestRoom.add;
import static io.ponte.server.whiteboard.BoardTestRoom.create;
import static io.ponte.server.whiteboard.BoardTestRoom.delete;
import static io.ponte.server.whiteboard.BoardTestRoom.move;
import static io.ponte.server.whiteboard.BoardTestRoom.on;
import static io.ponte.server.whiteboard.BoardTestRoom.rect;
import static io.ponte.server.whiteboard.BoardTestRoom.stroke;
import static io.ponte.server.whiteboard.BoardTestRoom.update;
import static io.ponte.server.whiteboard.WhiteboardStateTest.addPage;
import static io.ponte.server.whiteboard.WhiteboardStateTest.lockElements;
import static io.ponte.server.whiteboard.WhiteboardStateTest.reorder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.BoardChanged;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardRevert;
import io.ponte.protocol.v1.ElementsChanged;
import io.ponte.protocol.v1.ElementsChanged.Cause;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.PageClear;
import io.ponte.protocol.v1.PageDelete;
import io.ponte.protocol.v1.PageElements;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Revert: one participant's element changes since a seq undone as one operation. */
@Timeout(30)
class BoardRevertTest {
  static BoardRequest.Builder revert(String board, String userId, long sinceSeq) {
    return on(board).setRevert(BoardRevert.newBuilder().setUserId(userId).setSinceSeq(sinceSeq));
  }

  /** The content of an element, without who changed it last and when. */
  static BoardElement content(BoardElement e) {
    return e == null ? null : e.toBuilder().clearChangedBy().clearChangedSeq().build();
  }

  @Test
  void revertUndoesExactlyOneParticipantsChangesSinceTheSeq() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("ana-old", 0, 0, 10, 10)));
    room.ok(BO, add("b1", "p1", rect("bo-moved", 0, 0, 10, 10), rect("bo-deleted", 0, 0, 10, 10),
        rect("bo-recoloured", 0, 0, 10, 10)));
    room.ok(ANA, update("b1", "p1", move("ana-old", 1, 1, 10, 10)));
    BoardElement anaOldBefore = room.element("b1", "p1", "ana-old");
    BoardElement boMoved = room.element("b1", "p1", "bo-moved");
    BoardElement boDeleted = room.element("b1", "p1", "bo-deleted");
    BoardElement boRecoloured = room.element("b1", "p1", "bo-recoloured");

    long since = room.seq() + 1;
    room.ok(ANA, add("b1", "p1", rect("ana-new", 0, 0, 10, 10)));
    room.ok(ANA, update("b1", "p1", move("bo-moved", 50, 50, 10, 10)));
    room.ok(ANA, update("b1", "p1", move("bo-moved", 60, 60, 10, 10)));
    room.ok(ANA, delete("b1", "p1", "bo-deleted"));
    room.ok(ANA, reorder("b1", "p1", "bo-recoloured", "z9"));
    room.ok(BO, add("b1", "p1", rect("bo-new", 0, 0, 10, 10)));
    room.ok(BO, update("b1", "p1", stroke("ana-old", "#123456")));
    BoardElement anaOldNow = room.element("b1", "p1", "ana-old");
    BoardElement boNew = room.element("b1", "p1", "bo-new");

    BoardChanged c = room.ok(TEACHER, revert("b1", "ana", since));
    long revertSeq = room.seq();
    ElementsChanged r = c.getElements();
    assertEquals(Cause.REVERTED, r.getCause());
    assertEquals("ana", r.getRevertedUserId());
    assertEquals(since, r.getSinceSeq());
    assertEquals(1, r.getPagesCount());
    PageElements p = r.getPages(0);
    assertEquals(List.of("ana-new"), p.getRemovedList());
    assertEquals(List.of("bo-deleted", "bo-moved", "bo-recoloured"),
        p.getUpsertedList().stream().map(BoardElement::getElementId).toList());

    assertNull(room.element("b1", "p1", "ana-new"), "what she added is gone");
    assertEquals(content(boMoved), content(room.element("b1", "p1", "bo-moved")), "her updates are undone");
    assertEquals(content(boDeleted), content(room.element("b1", "p1", "bo-deleted")), "what she deleted is back");
    assertEquals(content(boRecoloured), content(room.element("b1", "p1", "bo-recoloured")), "her reorder is undone");
    assertEquals(boNew, room.element("b1", "p1", "bo-new"), "others' changes stay");
    assertEquals(anaOldNow, room.element("b1", "p1", "ana-old"), "her change before the seq stays, and Bo's after it");
    assertEquals("#123456", anaOldNow.getStyle().getStroke());
    assertEquals(content(anaOldBefore).toBuilder().setStyle(anaOldNow.getStyle()).build(), content(anaOldNow));

    for (BoardElement e : p.getUpsertedList()) {
      assertEquals(e, room.element("b1", "p1", e.getElementId()), "the event carries the result");
      assertEquals("teacher-1", e.getChangedBy(), "a restore is the reverting teacher's change");
      assertEquals(revertSeq, e.getChangedSeq());
      assertEquals("bo", e.getAuthorId(), "authorship is kept");
    }
    assertEquals(5, room.elementCount("b1", "p1"));
  }

  @Test
  void theRuleForAnElementBothChanged() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(BO, add("b1", "p1", rect("later-by-bo", 0, 0, 10, 10), rect("earlier-by-bo", 0, 0, 10, 10)));
    long since = room.seq() + 1;

    // Ana changed it, then Bo: Bo's later change stands (and with it what it was built on).
    room.ok(ANA, update("b1", "p1", move("later-by-bo", 20, 20, 10, 10)));
    room.ok(BO, update("b1", "p1", stroke("later-by-bo", "#0000ff")));
    BoardElement laterByBo = room.element("b1", "p1", "later-by-bo");

    // Bo changed it, then Ana: back to Bo's version (his change kept, hers undone).
    room.ok(BO, update("b1", "p1", stroke("earlier-by-bo", "#00ff00")));
    BoardElement bosVersion = room.element("b1", "p1", "earlier-by-bo");
    room.ok(ANA, update("b1", "p1", move("earlier-by-bo", 30, 30, 10, 10)));
    room.ok(ANA, update("b1", "p1", stroke("earlier-by-bo", "#ff0000")));

    // Ana created it, Bo moved it: undoing her creation removes it with what was built on it.
    room.ok(ANA, add("b1", "p1", rect("created-by-ana", 0, 0, 10, 10)));
    room.ok(BO, update("b1", "p1", move("created-by-ana", 5, 5, 10, 10)));

    // Ana deleted Bo's element and then undid her delete by adding it again: back to Bo's.
    room.ok(BO, add("b1", "p1", rect("deleted-and-readded", 0, 0, 10, 10)));
    BoardElement bos = room.element("b1", "p1", "deleted-and-readded");
    room.ok(ANA, delete("b1", "p1", "deleted-and-readded"));
    room.ok(ANA, add("b1", "p1", bos.toBuilder().setRectangle(move("x", 9, 9, 9, 9).getRectangle()).build()));

    room.ok(TEACHER, revert("b1", "ana", since));
    assertEquals(laterByBo, room.element("b1", "p1", "later-by-bo"));
    assertEquals(content(bosVersion), content(room.element("b1", "p1", "earlier-by-bo")));
    assertNull(room.element("b1", "p1", "created-by-ana"));
    assertEquals(content(bos), content(room.element("b1", "p1", "deleted-and-readded")));
  }

  @Test
  void revertingTheTeacherWhoClearedBringsThePageBack() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10), rect("e2", 0, 0, 10, 10)));
    List<BoardElement> before = room.state().board("b1").getPages(0).getElementsList();
    room.ok(TEACHER, on("b1").setClearPage(PageClear.newBuilder().setPageId("p1")));
    long since = room.seq();
    BoardChanged c = room.ok(TEACHER, revert("b1", "teacher-1", since));
    assertEquals(2, c.getElements().getPages(0).getUpsertedCount());
    Function<List<BoardElement>, List<BoardElement>> contents = l -> l.stream().map(BoardRevertTest::content).toList();
    assertEquals(contents.apply(before), contents.apply(room.state().board("b1").getPages(0).getElementsList()));
  }

  @Test
  void aRevertCanItselfBeReverted() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(BO, add("b1", "p1", rect("bo", 0, 0, 10, 10)));
    long since = room.seq() + 1;
    room.ok(ANA, add("b1", "p1", rect("ana", 0, 0, 10, 10)));
    room.ok(ANA, update("b1", "p1", move("bo", 40, 40, 10, 10)));
    List<BoardElement> afterAna = room.state().board("b1").getPages(0).getElementsList();
    room.ok(TEACHER, revert("b1", "ana", since));
    room.ok(TEACHER, revert("b1", "teacher-1", room.seq()));
    assertEquals(afterAna.stream().map(BoardRevertTest::content).toList(),
        room.state().board("b1").getPages(0).getElementsList().stream().map(BoardRevertTest::content).toList());
  }

  @Test
  void aRestoredElementKeepsItsCurrentLock() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(BO, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    long since = room.seq() + 1;
    room.ok(ANA, update("b1", "p1", move("e1", 40, 40, 10, 10)));
    room.ok(TEACHER, lockElements("b1", "p1", true, "e1"));
    room.ok(TEACHER, revert("b1", "ana", since));
    BoardElement e = room.element("b1", "p1", "e1");
    assertEquals(0, e.getRectangle().getX());
    assertTrue(e.getLocked(), "the lock is moderation, not one of her changes");
  }

  @Test
  void revertIsForTeachersWithAUserAndASeq() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    room.refused(BO, revert("b1", "ana", 1), ErrorCode.PERMISSION_DENIED);
    room.refused(TEACHER, revert("b1", "ana", 0), ErrorCode.INVALID_REQUEST);
    room.refused(TEACHER, revert("b1", "", 1), ErrorCode.INVALID_REQUEST);
    room.refused(TEACHER, revert("nope", "ana", 1), ErrorCode.BOARD_NOT_FOUND);
    BoardChanged nothing = room.ok(TEACHER, revert("b1", "nobody", 1));
    assertEquals(Cause.REVERTED, nothing.getElements().getCause());
    assertEquals(0, nothing.getElements().getPagesCount());
    BoardChanged future = room.ok(TEACHER, revert("b1", "ana", room.seq() + 10));
    assertEquals(0, future.getElements().getPagesCount());
    assertEquals(1, room.elementCount("b1", "p1"));
  }

  @Test
  void revertIsRefusedWhenTheHistoryNoLongerReachesBack() {
    BoardLimits limits = new BoardLimits(5, 5, 100, 100, 100, 1 << 20, 3, 1 << 20);
    BoardTestRoom room = new BoardTestRoom(limits, true);
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));      // seq 2
    room.ok(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10), rect("e3", 0, 0, 10, 10))); // seq 3
    room.ok(ANA, add("b1", "p1", rect("e4", 0, 0, 10, 10)));      // seq 4: seq 2 is forgotten
    room.refused(TEACHER, revert("b1", "ana", 1), ErrorCode.REVERT_TOO_OLD);
    room.refused(TEACHER, revert("b1", "ana", 2), ErrorCode.REVERT_TOO_OLD);
    room.ok(TEACHER, revert("b1", "ana", 3));
    assertEquals(List.of("e1"), room.state().board("b1").getPages(0).getElementsList().stream()
        .map(BoardElement::getElementId).toList());
  }

  @Test
  void theHistoryIsBoundedInBytesToo() {
    BoardLimits limits = new BoardLimits(5, 5, 100, 10_000, 100, 1 << 20, 1_000, 3_000);
    BoardTestRoom room = new BoardTestRoom(limits, true);
    room.ok(TEACHER, create("b1", "p1"));
    int[] points = new int[2_000];
    room.ok(ANA, add("b1", "p1", BoardElementsTest.path("big", points)));           // seq 2
    room.ok(ANA, update("b1", "p1", stroke("big", "#ff0000")));                    // seq 3: ~2 KB kept
    room.ok(ANA, update("b1", "p1", stroke("big", "#00ff00")));                    // seq 4: seq 3 forgotten
    room.refused(TEACHER, revert("b1", "ana", 3), ErrorCode.REVERT_TOO_OLD);
    room.ok(TEACHER, revert("b1", "ana", 4));
    assertEquals("#ff0000", room.element("b1", "p1", "big").getStyle().getStroke());
  }

  @Test
  void aRevertThatWouldOverfillAPageIsRefused() {
    BoardLimits limits = new BoardLimits(5, 5, 2, 100, 100, 1 << 20, 100, 1 << 20);
    BoardTestRoom room = new BoardTestRoom(limits, true);
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(BO, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    long since = room.seq() + 1;
    room.ok(ANA, delete("b1", "p1", "e1"));
    room.ok(BO, add("b1", "p1", rect("e2", 0, 0, 10, 10), rect("e3", 0, 0, 10, 10)));
    room.refused(TEACHER, revert("b1", "ana", since), ErrorCode.TOO_MANY_ELEMENTS);
    room.ok(BO, delete("b1", "p1", "e3"));
    room.ok(TEACHER, revert("b1", "ana", since));
    assertEquals(2, room.elementCount("b1", "p1"));
  }

  @Test
  void aDeletedPagesChangesAreNotReverted() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(TEACHER, addPage("b1", "p2", null));
    long since = room.seq() + 1;
    room.ok(ANA, add("b1", "p2", rect("e1", 0, 0, 10, 10)));
    room.ok(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10)));
    room.ok(TEACHER, on("b1").setDeletePage(PageDelete.newBuilder().setPageId("p2")));
    room.ok(TEACHER, addPage("b1", "p2", null));
    BoardChanged c = room.ok(TEACHER, revert("b1", "ana", since));
    assertEquals(1, c.getElements().getPagesCount());
    assertEquals("p1", c.getElements().getPages(0).getPageId());
    assertEquals(0, room.elementCount("b1", "p2"), "the new page of the same id is not touched");
  }

  @Test
  void aRevertSpansPagesInBoardOrder() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(TEACHER, addPage("b1", "p0", 0));
    long since = room.seq() + 1;
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    room.ok(ANA, add("b1", "p0", rect("e1", 0, 0, 10, 10)));
    BoardChanged c = room.ok(TEACHER, revert("b1", "ana", since));
    assertEquals(List.of("p0", "p1"), c.getElements().getPagesList().stream().map(PageElements::getPageId).toList());
    assertEquals(0, room.elementCount("b1", "p0"));
    assertEquals(0, room.elementCount("b1", "p1"));
  }
}
