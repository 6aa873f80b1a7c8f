package io.ponte.server.whiteboard;

import static io.ponte.server.whiteboard.BoardTestRoom.ANA;
import static io.ponte.server.whiteboard.BoardTestRoom.BO;
import static io.ponte.server.whiteboard.BoardTestRoom.OBS;
import static io.ponte.server.whiteboard.BoardTestRoom.TEACHER;
import static io.ponte.server.whiteboard.BoardTestRoom.actor;
import static io.ponte.server.whiteboard.BoardTestRoom.add;
import static io.ponte.server.whiteboard.BoardTestRoom.create;
import static io.ponte.server.whiteboard.BoardTestRoom.delete;
import static io.ponte.server.whiteboard.BoardTestRoom.move;
import static io.ponte.server.whiteboard.BoardTestRoom.on;
import static io.ponte.server.whiteboard.BoardTestRoom.rect;
import static io.ponte.server.whiteboard.BoardTestRoom.update;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Board;
import io.ponte.protocol.v1.BoardChanged;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardDelete;
import io.ponte.protocol.v1.BoardLock;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardRevert;
import io.ponte.protocol.v1.ElementZ;
import io.ponte.protocol.v1.ElementsChanged.Cause;
import io.ponte.protocol.v1.ElementsLock;
import io.ponte.protocol.v1.ElementsReorder;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PageAdd;
import io.ponte.protocol.v1.PageClear;
import io.ponte.protocol.v1.PageDelete;
import io.ponte.protocol.v1.PageMove;
import io.ponte.protocol.v1.PageRename;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.RoomFeatures;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Boards, pages, permissions and locks. */
@Timeout(30)
class WhiteboardStateTest {
  static BoardRequest.Builder addPage(String board, String page, Integer index) {
    PageAdd.Builder a = PageAdd.newBuilder().setPageId(page).setTitle("Page " + page);
    if (index != null) {
      a.setIndex(index);
    }
    return on(board).setAddPage(a);
  }

  static BoardRequest.Builder lockBoard(String board, boolean locked) {
    return on(board).setLockBoard(BoardLock.newBuilder().setLocked(locked));
  }

  static BoardRequest.Builder lockElements(String board, String page, boolean locked, String... ids) {
    return on(board).setLockElements(ElementsLock.newBuilder().setPageId(page).setLocked(locked)
        .addAllElementIds(List.of(ids)));
  }

  static BoardRequest.Builder reorder(String board, String page, String id, String z) {
    return on(board).setReorderElements(ElementsReorder.newBuilder().setPageId(page)
        .addMoves(ElementZ.newBuilder().setElementId(id).setZ(z)));
  }

  static List<String> pageIds(Board b) {
    return b.getPagesList().stream().map(BoardPage::getPageId).toList();
  }

  @Test
  void theFeatureOwnsBoardOperationsOnly() {
    Whiteboard w = new Whiteboard();
    assertEquals("whiteboard", w.name());
    assertEquals(Set.of(Operation.BodyCase.BOARD), w.operations());
    assertEquals(w, new RoomFeatures(List.of(w)).owner(Operation.BodyCase.BOARD));
    WhiteboardState fresh = (WhiteboardState) w.load(RoomStateRecord.getDefaultInstance());
    assertTrue(fresh.boards().isEmpty(), "a room starts with no board");
  }

  @Test
  void boardsAreCreatedExplicitly() {
    BoardTestRoom room = new BoardTestRoom();
    room.refused(TEACHER, add("b1", "p1", rect("e1", 0, 0, 10, 10)), ErrorCode.BOARD_NOT_FOUND);
    BoardChanged c = room.ok(TEACHER, create("b1", "p1"));
    assertEquals("b1", c.getBoardId());
    assertEquals("m2", c.getClientMsgId(), "the sender matches its request by client_msg_id");
    Board b = c.getBoardCreated();
    assertEquals("Board b1", b.getTitle());
    assertEquals(List.of("p1"), pageIds(b));
    assertEquals("teacher-1", b.getCreatedBy());
    assertEquals(2, b.getCreatedSeq());
    assertEquals(b, room.state().board("b1"));

    room.refused(ANA, create("b1", ""), ErrorCode.BOARD_EXISTS);
    room.refused(TEACHER, create("bad id", ""), ErrorCode.INVALID_REQUEST);
    room.refused(TEACHER, create("", ""), ErrorCode.INVALID_REQUEST);
    room.refused(TEACHER, create("b2", "bad/page"), ErrorCode.INVALID_REQUEST);
    room.refused(TEACHER, on("b2").setCreateBoard(BoardCreate.newBuilder().setTitle("x".repeat(201))),
        ErrorCode.INVALID_REQUEST);
    room.refused(TEACHER, on("b2").setCreateBoard(BoardCreate.newBuilder().setTitle("a\u0000b")),
        ErrorCode.INVALID_REQUEST);
    room.refused(TEACHER, on("b2"), ErrorCode.INVALID_REQUEST);

    Board empty = room.ok(ANA, create("b2", "")).getBoardCreated();
    assertEquals(0, empty.getPagesCount(), "a board may start with no page");
    assertEquals("ana", empty.getCreatedBy(), "students with the whiteboard permission create boards");
    assertEquals(List.of("b1", "b2"), room.state().boards().stream().map(Board::getBoardId).toList());
  }

  @Test
  void studentsNeedTheWhiteboardPermissionAndObserversNeverWrite() {
    BoardTestRoom room = new BoardTestRoom(BoardLimits.DEFAULT, false);
    room.refused(ANA, create("b1", "p1"), ErrorCode.CAPABILITY_DENIED);
    room.ok(TEACHER, create("b1", "p1"));
    room.refused(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)), ErrorCode.CAPABILITY_DENIED);
    room.refused(OBS, add("b1", "p1", rect("e1", 0, 0, 10, 10)), ErrorCode.READ_ONLY);
    room.refused(actor("x", Role.ROLE_UNSPECIFIED), add("b1", "p1", rect("e1", 0, 0, 10, 10)),
        ErrorCode.PERMISSION_DENIED);

    room.setStudentWhiteboard(true);
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    room.refused(OBS, add("b1", "p1", rect("e2", 0, 0, 10, 10)), ErrorCode.READ_ONLY);

    room.ban("ana");
    room.refused(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10)), ErrorCode.BANNED);
    room.liftBan("ana");
    room.ok(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10)));

    room.endSession();
    room.refused(ANA, add("b1", "p1", rect("e3", 0, 0, 10, 10)), ErrorCode.ROOM_ENDED);
    room.refused(TEACHER, add("b1", "p1", rect("e3", 0, 0, 10, 10)), ErrorCode.ROOM_ENDED);
  }

  @Test
  void teacherOnlyOperationsAreRefusedToStudents() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    List<BoardRequest.Builder> teacherOnly = List.of(
        on("b1").setDeleteBoard(BoardDelete.getDefaultInstance()),
        lockBoard("b1", true),
        on("b1").setDeletePage(PageDelete.newBuilder().setPageId("p1")),
        on("b1").setClearPage(PageClear.newBuilder().setPageId("p1")),
        lockElements("b1", "p1", true, "e1"),
        on("b1").setRevert(BoardRevert.newBuilder().setUserId("ana").setSinceSeq(1)));
    for (BoardRequest.Builder r : teacherOnly) {
      room.refused(ANA, r.clone(), ErrorCode.PERMISSION_DENIED);
    }
    assertEquals(1, room.elementCount("b1", "p1"), "nothing changed");
    for (int i : new int[] {4, 5, 3, 2, 1, 0}) {
      room.ok(TEACHER, teacherOnly.get(i).clone());
    }
    assertNull(room.state().board("b1"));
  }

  @Test
  void aLockedBoardRefusesStudentsButNotTeachers() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    assertTrue(room.ok(TEACHER, lockBoard("b1", true)).getBoardLock().getLocked());
    assertTrue(room.state().board("b1").getLocked());

    room.refused(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10)), ErrorCode.BOARD_LOCKED);
    room.refused(ANA, update("b1", "p1", move("e1", 5, 5, 10, 10)), ErrorCode.BOARD_LOCKED);
    room.refused(ANA, delete("b1", "p1", "e1"), ErrorCode.BOARD_LOCKED);
    room.refused(ANA, addPage("b1", "p2", null), ErrorCode.BOARD_LOCKED);
    room.refused(ANA, on("b1").setRenamePage(PageRename.newBuilder().setPageId("p1").setTitle("x")),
        ErrorCode.BOARD_LOCKED);
    room.refused(BO, reorder("b1", "p1", "e1", "b0"), ErrorCode.BOARD_LOCKED);

    room.ok(TEACHER, update("b1", "p1", move("e1", 5, 5, 10, 10)));
    room.ok(TEACHER, add("b1", "p1", rect("e2", 0, 0, 10, 10)));
    room.ok(TEACHER, addPage("b1", "p2", null));

    assertFalse(room.ok(TEACHER, lockBoard("b1", false)).getBoardLock().getLocked());
    room.ok(ANA, delete("b1", "p1", "e2"));
  }

  @Test
  void aLockedElementRefusesStudentsButNotTeachers() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10), rect("e2", 0, 0, 10, 10)));
    long changedSeq = room.element("b1", "p1", "e1").getChangedSeq();

    BoardChanged locked = room.ok(TEACHER, lockElements("b1", "p1", true, "e1"));
    assertEquals(Cause.LOCKED, locked.getElements().getCause());
    assertTrue(locked.getElements().getPages(0).getUpserted(0).getLocked());
    assertTrue(room.element("b1", "p1", "e1").getLocked());
    assertEquals(changedSeq, room.element("b1", "p1", "e1").getChangedSeq(), "a lock is not a content change");

    room.refused(ANA, update("b1", "p1", move("e1", 5, 5, 10, 10)), ErrorCode.ELEMENT_LOCKED);
    room.refused(BO, delete("b1", "p1", "e1"), ErrorCode.ELEMENT_LOCKED);
    room.refused(BO, delete("b1", "p1", "e2", "e1"), ErrorCode.ELEMENT_LOCKED);
    room.refused(ANA, reorder("b1", "p1", "e1", "b0"), ErrorCode.ELEMENT_LOCKED);
    assertEquals(2, room.elementCount("b1", "p1"), "a refused delete of two deletes neither");
    room.ok(ANA, update("b1", "p1", move("e2", 5, 5, 10, 10)));
    room.ok(TEACHER, update("b1", "p1", move("e1", 7, 7, 10, 10)));
    assertTrue(room.element("b1", "p1", "e1").getLocked(), "a teacher's change keeps the lock");

    room.refused(TEACHER, lockElements("b1", "p1", true, "nope"), ErrorCode.ELEMENT_NOT_FOUND);
    room.refused(TEACHER, lockElements("b1", "p1", true), ErrorCode.INVALID_REQUEST);
    assertEquals(Cause.UNLOCKED, room.ok(TEACHER, lockElements("b1", "p1", false, "e1")).getElements().getCause());
    room.ok(ANA, delete("b1", "p1", "e1"));

    // A client cannot lock its own element by sending locked=true.
    room.ok(ANA, add("b1", "p1", rect("e3", 0, 0, 1, 1).toBuilder().setLocked(true).build()));
    assertFalse(room.element("b1", "p1", "e3").getLocked());
  }

  @Test
  void pagesAreAddedRenamedMovedAndDeleted() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    assertEquals(1, room.ok(ANA, addPage("b1", "p2", null)).getPageAdded().getIndex());
    assertEquals(0, room.ok(ANA, addPage("b1", "p0", 0)).getPageAdded().getIndex());
    assertEquals(3, room.ok(ANA, addPage("b1", "p9", 99)).getPageAdded().getIndex(), "past the end: last");
    assertEquals(List.of("p0", "p1", "p2", "p9"), pageIds(room.state().board("b1")));
    assertEquals("Page p2", room.state().board("b1").getPages(2).getTitle());
    room.refused(ANA, addPage("b1", "p2", null), ErrorCode.PAGE_EXISTS);
    room.refused(ANA, addPage("b1", "bad id", null), ErrorCode.INVALID_REQUEST);
    room.refused(ANA, addPage("nope", "p3", null), ErrorCode.BOARD_NOT_FOUND);

    BoardChanged renamed = room.ok(BO, on("b1").setRenamePage(PageRename.newBuilder().setPageId("p1").setTitle("Intro")));
    assertEquals("Intro", renamed.getPageRenamed().getTitle());
    assertEquals("Intro", room.state().board("b1").getPages(1).getTitle());
    room.refused(BO, on("b1").setRenamePage(PageRename.newBuilder().setPageId("p1").setTitle("x\ty")),
        ErrorCode.INVALID_REQUEST);

    BoardChanged moved = room.ok(ANA, on("b1").setMovePage(PageMove.newBuilder().setPageId("p0").setIndex(2)));
    assertEquals(2, moved.getPageMoved().getIndex());
    assertEquals(List.of("p1", "p2", "p0", "p9"), pageIds(room.state().board("b1")));
    assertEquals(3, room.ok(ANA, on("b1").setMovePage(PageMove.newBuilder().setPageId("p1").setIndex(-1))).getPageMoved().getIndex(),
        "an index past the end (a uint32 above 2^31 too) moves it last");
    assertEquals(List.of("p2", "p0", "p9", "p1"), pageIds(room.state().board("b1")));

    room.ok(ANA, add("b1", "p2", rect("e1", 0, 0, 10, 10)));
    BoardChanged deleted = room.ok(TEACHER, on("b1").setDeletePage(PageDelete.newBuilder().setPageId("p2")));
    assertEquals("p2", deleted.getPageDeleted().getPageId());
    assertEquals(List.of("p0", "p9", "p1"), pageIds(room.state().board("b1")));
  }

  @Test
  void operationsOnADeletedPageAreRefused() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    room.ok(TEACHER, on("b1").setDeletePage(PageDelete.newBuilder().setPageId("p1")));
    room.refused(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10)), ErrorCode.PAGE_NOT_FOUND);
    room.refused(ANA, update("b1", "p1", move("e1", 1, 1, 1, 1)), ErrorCode.PAGE_NOT_FOUND);
    room.refused(ANA, delete("b1", "p1", "e1"), ErrorCode.PAGE_NOT_FOUND);
    room.refused(ANA, reorder("b1", "p1", "e1", "b"), ErrorCode.PAGE_NOT_FOUND);
    room.refused(ANA, on("b1").setRenamePage(PageRename.newBuilder().setPageId("p1").setTitle("x")),
        ErrorCode.PAGE_NOT_FOUND);
    room.refused(ANA, on("b1").setMovePage(PageMove.newBuilder().setPageId("p1")), ErrorCode.PAGE_NOT_FOUND);
    room.refused(TEACHER, on("b1").setClearPage(PageClear.newBuilder().setPageId("p1")), ErrorCode.PAGE_NOT_FOUND);
    room.refused(TEACHER, on("b1").setDeletePage(PageDelete.newBuilder().setPageId("p1")), ErrorCode.PAGE_NOT_FOUND);
    room.refused(TEACHER, lockElements("b1", "p1", true, "e1"), ErrorCode.PAGE_NOT_FOUND);
    // The id is free again; the new page starts empty.
    room.ok(ANA, addPage("b1", "p1", null));
    assertEquals(0, room.elementCount("b1", "p1"));
  }

  @Test
  void aTeacherClearsAPage() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(TEACHER, addPage("b1", "p2", null));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10), rect("e2", 0, 0, 10, 10)));
    room.ok(BO, add("b1", "p2", rect("e1", 0, 0, 10, 10)));
    BoardChanged cleared = room.ok(TEACHER, on("b1").setClearPage(PageClear.newBuilder().setPageId("p1")));
    assertEquals(Cause.CLEARED, cleared.getElements().getCause());
    assertTrue(cleared.getElements().getPages(0).getCleared());
    assertEquals("p1", cleared.getElements().getPages(0).getPageId());
    assertEquals(0, room.elementCount("b1", "p1"));
    assertEquals(1, room.elementCount("b1", "p2"), "other pages keep their elements");
  }

  @Test
  void aTeacherDeletesABoardAndItsIdBecomesFree() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    assertTrue(room.ok(TEACHER, on("b1").setDeleteBoard(BoardDelete.getDefaultInstance())).hasBoardDeleted());
    assertNull(room.state().board("b1"));
    room.refused(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10)), ErrorCode.BOARD_NOT_FOUND);
    room.refused(TEACHER, on("b1").setDeleteBoard(BoardDelete.getDefaultInstance()), ErrorCode.BOARD_NOT_FOUND);
    room.ok(TEACHER, create("b1", "p1"));
    assertEquals(0, room.elementCount("b1", "p1"));
  }

  @Test
  void boardAndPageCountsAreLimited() {
    BoardLimits limits = new BoardLimits(2, 3, 100, 100, 100, 1 << 20, 100, 1 << 20);
    BoardTestRoom room = new BoardTestRoom(limits, true);
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, create("b2", ""));
    room.refused(ANA, create("b3", ""), ErrorCode.TOO_MANY_BOARDS);
    room.refused(TEACHER, create("b3", ""), ErrorCode.TOO_MANY_BOARDS);
    room.refused(TEACHER, create("b1", ""), ErrorCode.BOARD_EXISTS);
    room.ok(ANA, addPage("b1", "p2", null));
    room.ok(ANA, addPage("b1", "p3", null));
    room.refused(ANA, addPage("b1", "p4", null), ErrorCode.TOO_MANY_PAGES);
    room.ok(TEACHER, on("b1").setDeletePage(PageDelete.newBuilder().setPageId("p2")));
    room.ok(ANA, addPage("b1", "p4", null));
    room.ok(TEACHER, on("b2").setDeleteBoard(BoardDelete.getDefaultInstance()));
    room.ok(ANA, create("b3", ""));
  }

  @Test
  void theJoinSnapshotHoldsEveryBoardWhole() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b2", "p1"));
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    RoomSnapshot.Builder snapshot = RoomSnapshot.newBuilder();
    room.state().addTo(snapshot, "obs", Role.OBSERVER);
    assertEquals(room.state().boards(), snapshot.getBoardsList());
    assertEquals(List.of("b1", "b2"), snapshot.getBoardsList().stream().map(Board::getBoardId).toList());
    assertEquals("e1", snapshot.getBoards(0).getPages(0).getElements(0).getElementId());
  }

  @Test
  void aRejectedOperationChangesNothing() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    RoomStateRecord before = room.record().toBuilder().setSeq(0).build();
    room.refused(ANA, add("b1", "p1", rect("e2", 0, 0, 10, 10), rect("e1", 0, 0, 1, 1)), ErrorCode.ELEMENT_EXISTS);
    room.refused(ANA, update("b1", "p1", move("e1", 1, 1, 1, 1), move("gone", 1, 1, 1, 1)),
        ErrorCode.ELEMENT_NOT_FOUND);
    room.refused(BO, lockBoard("b1", true), ErrorCode.PERMISSION_DENIED);
    assertEquals(before, room.record().toBuilder().setSeq(0).build());
  }
}
