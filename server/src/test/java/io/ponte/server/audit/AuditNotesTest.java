package io.ponte.server.audit;

import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.apply;
import static io.ponte.server.room.RoomStateTest.closeRoom;
import static io.ponte.server.room.RoomStateTest.delete;
import static io.ponte.server.room.RoomStateTest.mute;
import static io.ponte.server.room.RoomStateTest.op;
import static io.ponte.server.room.RoomStateTest.post;
import static io.ponte.server.room.RoomStateTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardDelete;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardLock;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocSetReadOnly;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsLock;
import io.ponte.protocol.v1.HandLower;
import io.ponte.protocol.v1.HandOperation;
import io.ponte.protocol.v1.HandRaise;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.HandUserLeft;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PageAdd;
import io.ponte.protocol.v1.PageDelete;
import io.ponte.server.chat.Chat;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.doc.Documents;
import io.ponte.server.hand.Hands;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import io.ponte.server.whiteboard.BoardLimits;
import io.ponte.server.whiteboard.Whiteboard;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The audit notes features give for what they apply (FeatureState#audit): the teacher actions the
 * integration tests do not reach (board and page deletes, element locks, unlocking), and what must
 * leave no note (students' own actions, a teacher's own message or hand, rejected operations, the
 * server lowering the hand of a user who left).
 */
@Timeout(30)
class AuditNotesTest {
  private static RoomState fresh() {
    return RoomState.create(ROOM, settings(true), new RoomFeatures(List.of(new Moderation(),
        new Chat(200, 10), new Documents(DocumentSet.Limits.DEFAULT, 8192),
        new Whiteboard(BoardLimits.DEFAULT), new Hands(1000))));
  }

  private static Operation board(io.ponte.protocol.v1.Actor a, BoardRequest.Builder r) {
    return op(a, "").setBoard(r.setRoomId(ROOM).setBoardId("b1")).build();
  }

  private static Operation hand(io.ponte.protocol.v1.Actor a, HandRequest.Builder r) {
    return op(a, "").setHand(HandOperation.newBuilder().setRequest(r.setRoomId(ROOM))).build();
  }

  private static AuditNote note(RoomState s, Operation o) {
    AppliedOperation a = accepted(s, o);
    return s.audit(a);
  }

  @Test
  void teachersBoardControlsAreNoted() {
    RoomState s = fresh();
    assertNull(note(s, board(TEACHER, BoardRequest.newBuilder()
        .setCreateBoard(BoardCreate.newBuilder().setTitle("B").setFirstPageId("p1")))), "creating is content");
    assertNull(note(s, board(TEACHER, BoardRequest.newBuilder().setAddPage(PageAdd.newBuilder().setPageId("p2")))));
    assertNull(note(s, board(BO, BoardRequest.newBuilder().setAddElements(ElementsAdd.newBuilder().setPageId("p1")
        .addElements(BoardElement.newBuilder().setElementId("e1").setZ("a0")
            .setRectangle(BoardBox.newBuilder().setWidth(5).setHeight(5)))))), "a student's drawing");
    assertEquals(AuditNote.about("board.elements_lock", "board:b1", "p1"), note(s, board(TEACHER,
        BoardRequest.newBuilder().setLockElements(ElementsLock.newBuilder().setPageId("p1").addElementIds("e1").setLocked(true)))));
    assertEquals(AuditNote.about("board.elements_unlock", "board:b1", "p1"), note(s, board(TEACHER,
        BoardRequest.newBuilder().setLockElements(ElementsLock.newBuilder().setPageId("p1").addElementIds("e1").setLocked(false)))));
    assertEquals(AuditNote.about("board.page_delete", "board:b1", "p2"), note(s, board(TEACHER,
        BoardRequest.newBuilder().setDeletePage(PageDelete.newBuilder().setPageId("p2")))));
    assertEquals(AuditNote.about("board.lock", "board:b1", ""), note(s, board(TEACHER,
        BoardRequest.newBuilder().setLockBoard(BoardLock.newBuilder().setLocked(true)))));
    assertEquals(AuditNote.about("board.unlock", "board:b1", ""), note(s, board(TEACHER,
        BoardRequest.newBuilder().setLockBoard(BoardLock.newBuilder().setLocked(false)))));
    assertEquals(AuditNote.about("board.delete", "board:b1", ""), note(s, board(TEACHER,
        BoardRequest.newBuilder().setDeleteBoard(BoardDelete.getDefaultInstance()))));
  }

  @Test
  void ownActionsRejectionsAndTheServersOwnLeaveNoNote() {
    RoomState s = fresh();
    long mine = accepted(s, post(TEACHER, "mine")).seq();
    assertNull(note(s, delete(TEACHER, mine)), "a teacher deleting her own message");
    long anas = accepted(s, post(ANA, "hers")).seq();
    assertNull(note(s, delete(ANA, anas)), "a student deleting her own message");
    assertNull(note(s, hand(TEACHER, HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()))));
    assertNull(note(s, hand(TEACHER, HandRequest.newBuilder().setLower(HandLower.getDefaultInstance()))),
        "a teacher lowering her own hand");
    AppliedOperation raised = accepted(s, hand(ANA, HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance())));
    assertNull(note(s, op(ANA, "").setHand(HandOperation.newBuilder().setUserLeft(
        HandUserLeft.newBuilder().setUserId("ana").setRaisedSeq(raised.seq()))).build()), "the server lowering the hand of a user who left");
    AppliedOperation refused = apply(s, mute(ANA, "bo", true));
    assertFalse(refused.accepted());
    assertNull(s.audit(refused), "a refused teacher action did nothing");
    accepted(s, op(TEACHER, "").setDocCreate(DocCreate.newBuilder().setRoomId(ROOM).setDocId("d1")).build());
    assertEquals(AuditNote.about("doc.read_only", "doc:d1", "off"), note(s, op(TEACHER, "").setDocSetReadOnly(
        DocSetReadOnly.newBuilder().setRoomId(ROOM).setDocId("d1").setStudentsReadOnly(false)).build()));
    assertEquals(AuditNote.of("room.close", ""), note(s, closeRoom()));
  }
}
