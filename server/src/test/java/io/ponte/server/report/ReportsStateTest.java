package io.ponte.server.report;

import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.OBS;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.apply;
import static io.ponte.server.room.RoomStateTest.delete;
import static io.ponte.server.room.RoomStateTest.edit;
import static io.ponte.server.room.RoomStateTest.op;
import static io.ponte.server.room.RoomStateTest.post;
import static io.ponte.server.room.RoomStateTest.rejected;
import static io.ponte.server.room.RoomStateTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsDelete;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Report;
import io.ponte.protocol.v1.ReportFile;
import io.ponte.protocol.v1.ReportOperation;
import io.ponte.protocol.v1.ReportReason;
import io.ponte.protocol.v1.ReportRequest;
import io.ponte.protocol.v1.ReportResolve;
import io.ponte.protocol.v1.ReportStatus;
import io.ponte.protocol.v1.ReportTarget;
import io.ponte.protocol.v1.ReportedElementRef;
import io.ponte.protocol.v1.ReportedParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.chat.Chat;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.doc.Documents;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import io.ponte.server.whiteboard.BoardLimits;
import io.ponte.server.whiteboard.Whiteboard;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reports: the copy of the target at filing, missing targets, who may file and resolve, what each
 * viewer sees, limits, determinism through a snapshot, and the audit note of resolving.
 */
@Timeout(30)
class ReportsStateTest {
  private static RoomState fresh(ReportLimits limits) {
    return RoomState.create(ROOM, settings(true), new RoomFeatures(List.of(new Moderation(),
        new Chat(200, 10), new Documents(DocumentSet.Limits.DEFAULT, 8192),
        new Whiteboard(BoardLimits.DEFAULT), new Reports(limits))));
  }

  private static RoomState fresh() {
    return fresh(ReportLimits.DEFAULT);
  }

  static Operation report(Actor a, ReportTarget.Builder target, ReportReason reason, String text) {
    return op(a, "").setReport(ReportOperation.newBuilder().setRequest(ReportRequest.newBuilder()
        .setRoomId(ROOM).setFile(ReportFile.newBuilder().setTarget(target).setReason(reason).setText(text))))
        .build();
  }

  static Operation reportMessage(Actor a, long seq) {
    return report(a, ReportTarget.newBuilder().setMessageSeq(seq), ReportReason.HARASSMENT, "");
  }

  static Operation resolve(Actor a, long reportSeq, ReportStatus status) {
    return op(a, "").setReport(ReportOperation.newBuilder().setRequest(ReportRequest.newBuilder()
        .setRoomId(ROOM).setResolve(ReportResolve.newBuilder().setReportSeq(reportSeq).setStatus(status))))
        .build();
  }

  static Operation board(Actor a, BoardRequest.Builder r) {
    return op(a, "").setBoard(r.setRoomId(ROOM)).build();
  }

  static BoardElement rect(String id) {
    return BoardElement.newBuilder().setElementId(id).setZ("a0")
        .setRectangle(BoardBox.newBuilder().setX(1).setY(2).setWidth(30).setHeight(40)).build();
  }

  private static Report only(RoomState s) {
    List<Report> all = s.feature(ReportsState.class).all();
    assertEquals(1, all.size());
    return all.get(0);
  }

  @Test
  void aReportKeepsTheMessageAsItWasThoughItIsEditedAndDeletedLater() {
    RoomState s = fresh();
    long msg = accepted(s, post(BO, "you are stupid")).seq();
    accepted(s, edit(BO, msg, "you are really stupid"));
    AppliedOperation filed = accepted(s, report(ANA, ReportTarget.newBuilder().setMessageSeq(msg),
        ReportReason.HARASSMENT, "  he keeps doing this  "));
    assertEquals(FeatureState.Outcome.TEACHERS, filed.privateTo(), "teachers only");
    assertTrue(filed.visibleTo(TEACHER.getUserId(), Role.TEACHER));
    assertFalse(filed.visibleTo(ANA.getUserId(), Role.STUDENT), "not even the reporter gets the event");
    assertFalse(filed.visibleTo(BO.getUserId(), Role.STUDENT));
    accepted(s, edit(BO, msg, "sorry"));
    accepted(s, delete(BO, msg));

    Report r = only(s);
    assertEquals(filed.seq(), r.getReportSeq());
    assertEquals("you are really stupid", r.getContent().getMessage().getText());
    assertEquals("bo", r.getContent().getMessage().getAuthorUserId());
    assertEquals("bo", r.getReportedUserId());
    assertEquals("ana", r.getReporterUserId());
    assertEquals("he keeps doing this", r.getText());
    assertEquals(ReportStatus.REPORT_OPEN, r.getStatus());
    assertEquals(r, filed.event().getReportFiled().getReport());
    assertEquals(List.of(r), s.snapshotFor("tina", Role.TEACHER).getReportsList());
    assertEquals(List.of(), s.snapshotFor("ana", Role.STUDENT).getReportsList(), "students never see reports");
    assertEquals(List.of(), s.snapshotFor("olga", Role.OBSERVER).getReportsList());
  }

  @Test
  void reportsOfABoardElementADocumentAndAParticipantCopyThem() {
    RoomState s = fresh();
    accepted(s, board(TEACHER, BoardRequest.newBuilder().setBoardId("b1")
        .setCreateBoard(BoardCreate.newBuilder().setTitle("B").setFirstPageId("p1"))));
    accepted(s, board(BO, BoardRequest.newBuilder().setBoardId("b1")
        .setAddElements(ElementsAdd.newBuilder().setPageId("p1").addElements(rect("e1")))));
    accepted(s, op(TEACHER, "").setDocCreate(DocCreate.newBuilder().setRoomId(ROOM).setDocId("d1")
        .setTitle("Notes")).build());

    ReportTarget.Builder element = ReportTarget.newBuilder()
        .setElement(ReportedElementRef.newBuilder().setBoardId("b1").setElementId("e1"));
    accepted(s, report(ANA, element, ReportReason.INAPPROPRIATE_CONTENT, ""));
    accepted(s, board(BO, BoardRequest.newBuilder().setBoardId("b1")
        .setDeleteElements(ElementsDelete.newBuilder().setPageId("p1").addElementIds("e1"))));
    accepted(s, report(ANA, ReportTarget.newBuilder().setDocId("d1"), ReportReason.SPAM, ""));
    ReportedParticipant bo = ReportedParticipant.newBuilder().setUserId("bo").setDisplayName("User bo")
        .setRole("student").build();
    Operation user = report(ANA, ReportTarget.newBuilder().setUserId("bo"), ReportReason.OTHER_REASON, "asked for my address");
    accepted(s, user.toBuilder().setReport(user.getReport().toBuilder().setParticipant(bo)).build());

    List<Report> all = s.feature(ReportsState.class).all();
    assertEquals(3, all.size());
    BoardElement copied = all.get(0).getContent().getElement();
    assertEquals("e1", copied.getElementId());
    assertEquals(30, copied.getRectangle().getWidth());
    assertEquals("bo", all.get(0).getReportedUserId(), "the element's author");
    assertEquals("Notes", all.get(1).getContent().getDocument().getTitle());
    assertFalse(all.get(1).getContent().getDocument().getState().isEmpty(), "the document's state");
    assertFalse(all.get(1).getContent().getDocument().getTooLarge());
    assertEquals(bo, all.get(2).getContent().getParticipant());
    assertEquals("bo", all.get(2).getReportedUserId());
  }

  @Test
  void aMissingTargetGetsItsCode() {
    RoomState s = fresh();
    long msg = accepted(s, post(BO, "hi")).seq();
    long hidden = accepted(s, post(BO, "only teachers", "", 0, true, "")).seq();
    accepted(s, delete(BO, msg));
    rejected(s, reportMessage(ANA, msg), ErrorCode.MESSAGE_NOT_FOUND);
    rejected(s, reportMessage(ANA, 999), ErrorCode.MESSAGE_NOT_FOUND);
    rejected(s, reportMessage(ANA, hidden), ErrorCode.MESSAGE_NOT_FOUND);
    rejected(s, report(ANA, ReportTarget.newBuilder().setElement(ReportedElementRef.newBuilder()
        .setBoardId("nope").setElementId("e1")), ReportReason.SPAM, ""), ErrorCode.BOARD_NOT_FOUND);
    accepted(s, board(TEACHER, BoardRequest.newBuilder().setBoardId("b1")
        .setCreateBoard(BoardCreate.newBuilder().setTitle("B").setFirstPageId("p1"))));
    rejected(s, report(ANA, ReportTarget.newBuilder().setElement(ReportedElementRef.newBuilder()
        .setBoardId("b1").setElementId("e9")), ReportReason.SPAM, ""), ErrorCode.ELEMENT_NOT_FOUND);
    rejected(s, report(ANA, ReportTarget.newBuilder().setDocId("d9"), ReportReason.SPAM, ""), ErrorCode.DOC_NOT_FOUND);
    // No participant stamped by a node: nobody of that id was present.
    rejected(s, report(ANA, ReportTarget.newBuilder().setUserId("ghost"), ReportReason.SPAM, ""),
        ErrorCode.PARTICIPANT_NOT_FOUND);
  }

  @Test
  void badReportsAreRefused() {
    RoomState s = fresh();
    long msg = accepted(s, post(BO, "hi")).seq();
    rejected(s, report(ANA, ReportTarget.newBuilder(), ReportReason.SPAM, ""), ErrorCode.REPORT_INVALID);
    rejected(s, report(ANA, ReportTarget.newBuilder().setMessageSeq(msg), ReportReason.REPORT_REASON_UNSPECIFIED, ""),
        ErrorCode.REPORT_INVALID);
    rejected(s, report(ANA, ReportTarget.newBuilder().setMessageSeq(msg), ReportReason.OTHER_REASON, " "),
        ErrorCode.REPORT_INVALID);
    rejected(s, report(ANA, ReportTarget.newBuilder().setMessageSeq(msg), ReportReason.SPAM, "x".repeat(1001)),
        ErrorCode.REPORT_TEXT_TOO_LONG);
    rejected(s, report(ANA, ReportTarget.newBuilder().setMessageSeq(msg), ReportReason.SPAM, "bell\u0007"),
        ErrorCode.REPORT_INVALID);
    rejected(s, reportMessage(BO, msg), ErrorCode.REPORT_INVALID); // one's own message
    rejected(s, report(ANA, ReportTarget.newBuilder().setUserId("ana"), ReportReason.SPAM, ""), ErrorCode.REPORT_INVALID);
    rejected(s, report(ANA, ReportTarget.newBuilder().setUserId("has space"), ReportReason.SPAM, ""), ErrorCode.REPORT_INVALID);
    rejected(s, reportMessage(OBS, msg), ErrorCode.READ_ONLY);
    long filed = accepted(s, reportMessage(ANA, msg)).seq();
    rejected(s, resolve(ANA, filed, ReportStatus.REPORT_HANDLED), ErrorCode.PERMISSION_DENIED);
    rejected(s, resolve(TEACHER, filed, ReportStatus.REPORT_OPEN), ErrorCode.REPORT_INVALID);
    rejected(s, resolve(TEACHER, 999, ReportStatus.REPORT_HANDLED), ErrorCode.REPORT_NOT_FOUND);
    accepted(s, resolve(TEACHER, filed, ReportStatus.REPORT_DISMISSED));
    rejected(s, resolve(TEACHER, filed, ReportStatus.REPORT_HANDLED), ErrorCode.REPORT_ALREADY_RESOLVED);
  }

  @Test
  void resolvingIsAuditedAndFilingIsNot() {
    RoomState s = fresh();
    long msg = accepted(s, post(BO, "spam spam")).seq();
    AppliedOperation filed = accepted(s, reportMessage(ANA, msg));
    assertNull(s.audit(filed), "filing a report is no teacher action");
    AppliedOperation handled = accepted(s, resolve(TEACHER, filed.seq(), ReportStatus.REPORT_HANDLED));
    assertEquals(new AuditNote("report.handle", "bo", "report:" + filed.seq(), ""), s.audit(handled));
    Event e = handled.event();
    assertEquals(ReportStatus.REPORT_HANDLED, e.getReportResolved().getStatus());
    assertEquals("tina", e.getReportResolved().getResolvedByUserId());
    assertEquals(FeatureState.Outcome.TEACHERS, handled.privateTo());
    Report r = only(s);
    assertEquals(ReportStatus.REPORT_HANDLED, r.getStatus());
    assertEquals(handled.event().getServerTimeMs(), r.getResolvedMs());
    // The original copy is still there after resolving.
    assertEquals("spam spam", r.getContent().getMessage().getText());
  }

  @Test
  void limitsPerUserRateAndPerRoom() {
    RoomState s = fresh(new ReportLimits(3, 2, 1000, 1024));
    long msg = accepted(s, post(BO, "hi")).seq();
    long first = accepted(s, reportMessage(ANA, msg)).seq();
    accepted(s, reportMessage(ANA, msg));
    // Server times in these tests are 1 ms apart: well within a minute.
    rejected(s, reportMessage(ANA, msg), ErrorCode.REPORTS_TOO_FREQUENT);
    accepted(s, reportMessage(actor("cy"), msg));
    rejected(s, reportMessage(actor("dee"), msg), ErrorCode.TOO_MANY_REPORTS);
    accepted(s, resolve(TEACHER, first, ReportStatus.REPORT_DISMISSED));
    long fourth = accepted(s, reportMessage(actor("dee"), msg)).seq();
    List<Report> all = s.feature(ReportsState.class).all();
    assertEquals(3, all.size(), "the oldest resolved report made room");
    assertFalse(all.stream().anyMatch(r -> r.getReportSeq() == first));
    assertEquals(fourth, all.get(2).getReportSeq());
    // A minute later (operation time), ana may report again.
    Operation later = reportMessage(ANA, msg).toBuilder().build();
    accepted(s, resolve(TEACHER, fourth, ReportStatus.REPORT_HANDLED));
    AppliedOperation a = s.apply(io.ponte.protocol.v1.SequencedOperation.newBuilder().setSeq(s.seq() + 1)
        .setOperation(later.toBuilder().setServerTimeMs(1_000_000 + s.seq() + 61_000)).build());
    assertTrue(a.accepted(), () -> "a minute later: " + a.rejection());
  }

  @Test
  void aLargeDocumentIsNotCopiedWhole() {
    RoomState s = fresh(new ReportLimits(10, 5, 1000, 0));
    accepted(s, op(TEACHER, "").setDocCreate(DocCreate.newBuilder().setRoomId(ROOM).setDocId("d1")
        .setTitle("Notes")).build());
    accepted(s, report(ANA, ReportTarget.newBuilder().setDocId("d1"), ReportReason.SPAM, ""));
    Report r = only(s);
    assertTrue(r.getContent().getDocument().getTooLarge());
    assertTrue(r.getContent().getDocument().getState().isEmpty());
  }

  @Test
  void aRoomRebuiltFromItsSnapshotHoldsTheSameReports() {
    RoomState s = fresh();
    long msg = accepted(s, post(BO, "hi")).seq();
    long filed = accepted(s, reportMessage(ANA, msg)).seq();
    accepted(s, resolve(TEACHER, filed, ReportStatus.REPORT_HANDLED));
    accepted(s, reportMessage(ANA, msg));
    RoomStateRecord record = s.toRecord();
    RoomState again = RoomState.fromRecord(record, new RoomFeatures(List.of(new Moderation(),
        new Chat(200, 10), new Documents(DocumentSet.Limits.DEFAULT, 8192),
        new Whiteboard(BoardLimits.DEFAULT), new Reports())));
    assertEquals(record, again.toRecord());
    assertEquals(2, record.getReportsCount());
    rejected(again, resolve(TEACHER, filed, ReportStatus.REPORT_DISMISSED), ErrorCode.REPORT_ALREADY_RESOLVED);
    rejected(s, resolve(TEACHER, filed, ReportStatus.REPORT_DISMISSED), ErrorCode.REPORT_ALREADY_RESOLVED);
    assertEquals(apply(s, resolve(TEACHER, filed + 2, ReportStatus.REPORT_DISMISSED)).event(),
        apply(again, resolve(TEACHER, filed + 2, ReportStatus.REPORT_DISMISSED)).event());
  }

  private static Actor actor(String id) {
    return io.ponte.server.room.RoomStateTest.actor(id, Role.STUDENT);
  }
}
