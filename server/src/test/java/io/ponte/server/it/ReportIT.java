package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Report;
import io.ponte.protocol.v1.ReportFile;
import io.ponte.protocol.v1.ReportReason;
import io.ponte.protocol.v1.ReportRequest;
import io.ponte.protocol.v1.ReportResolve;
import io.ponte.protocol.v1.ReportStatus;
import io.ponte.protocol.v1.ReportTarget;
import io.ponte.protocol.v1.ReportedElementRef;
import io.ponte.protocol.v1.Role;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reports with real clients: the copy outlives an edit and a delete of the original; only teachers
 * see reports (events, join snapshot, admin API); missing targets and bad input get their codes
 * while bystanders keep working; resolving reaches every teacher across two nodes and is audited.
 */
@Timeout(120)
class ReportIT {
  private static final Duration QUIET = Duration.ofMillis(400);

  @TempDir
  Path dir;

  // ---- requests -----------------------------------------------------------------------------

  static ClientMessage.Builder report(String room, ReportTarget.Builder target, ReportReason reason, String text) {
    return ClientMessage.newBuilder().setReport(ReportRequest.newBuilder().setRoomId(room)
        .setFile(ReportFile.newBuilder().setTarget(target).setReason(reason).setText(text)));
  }

  static ClientMessage.Builder reportMessage(String room, long seq) {
    return report(room, ReportTarget.newBuilder().setMessageSeq(seq), ReportReason.HARASSMENT, "");
  }

  static ClientMessage.Builder resolve(String room, long reportSeq, ReportStatus status) {
    return ClientMessage.newBuilder().setReport(ReportRequest.newBuilder().setRoomId(room)
        .setResolve(ReportResolve.newBuilder().setReportSeq(reportSeq).setStatus(status)));
  }

  static ErrorCode refused(TestClient c, ClientMessage.Builder m) {
    return TestClient.error(c.request(m)).getCode();
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void aReportKeepsTheOriginalOfAMessageEditedAndDeletedLater() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        long msg = bo.post("r1", "the original words").getSeq();
        long filed = TestClient.ack(ana.request(report("r1", ReportTarget.newBuilder().setMessageSeq(msg),
            ReportReason.HARASSMENT, "he said this to me"))).getSeq();
        Report seen = tina.awaitEvent(e -> e.getSeq() == filed, "the report").getReportFiled().getReport();
        assertEquals("the original words", seen.getContent().getMessage().getText());
        assertEquals("bo", seen.getReportedUserId());
        assertEquals("ana", seen.getReporterUserId());
        assertEquals("he said this to me", seen.getText());
        assertEquals(ReportReason.HARASSMENT, seen.getReason());
        for (TestClient student : List.of(ana, bo)) {
          Event e = student.awaitEvent(ev -> ev.getSeq() == filed, "the report's seq");
          assertTrue(e.hasSkipped(), "students get the report's seq as skipped");
        }

        TestClient.ack(bo.request(ClientMessage.newBuilder().setChatEdit(
            ChatEdit.newBuilder().setRoomId("r1").setMessageSeq(msg).setText("nothing to see"))));
        TestClient.ack(bo.request(ClientMessage.newBuilder().setChatDelete(
            ChatDelete.newBuilder().setRoomId("r1").setMessageSeq(msg))));

        try (TestClient theo = s.user("theo", "r1", Role.TEACHER);
            TestClient cy = s.user("cy", "r1", Role.STUDENT)) {
          Joined late = theo.join("r1");
          assertEquals(1, late.getSnapshot().getReportsCount());
          assertEquals("the original words", late.getSnapshot().getReports(0).getContent().getMessage().getText());
          assertEquals(0, cy.join("r1").getSnapshot().getReportsCount(), "students never see reports");
        }
        HttpResponse<String> r = s.admin("GET", "/admin/rooms/r1/reports", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonArray reports = new JsonObject(r.body()).getJsonArray("reports");
        assertEquals(1, reports.size());
        assertEquals("the original words", reports.getJsonObject(0).getJsonObject("content")
            .getJsonObject("message").getString("text"));
        assertEquals("REPORT_OPEN", reports.getJsonObject(0).getString("status"));
        assertEquals(404, s.admin("GET", "/admin/rooms/nowhere/reports", null).statusCode());
        assertEquals(401, s.http("GET", "/admin/rooms/r1/reports", null, null).statusCode());
      }
    }
  }

  @Test
  void aReportOfAMissingTargetGetsItsCodeAndAPresentParticipantIsCopied() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (Bystanders others = new Bystanders(s, "bystanders");
          TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        long gone = bo.post("r1", "soon gone").getSeq();
        TestClient.ack(bo.request(ClientMessage.newBuilder().setChatDelete(
            ChatDelete.newBuilder().setRoomId("r1").setMessageSeq(gone))));
        assertEquals(ErrorCode.MESSAGE_NOT_FOUND, refused(ana, reportMessage("r1", 999)));
        assertEquals(ErrorCode.MESSAGE_NOT_FOUND, refused(ana, reportMessage("r1", gone)));
        ReportTarget.Builder element = ReportTarget.newBuilder()
            .setElement(ReportedElementRef.newBuilder().setBoardId("b1").setElementId("e1"));
        assertEquals(ErrorCode.BOARD_NOT_FOUND, refused(ana, report("r1", element, ReportReason.SPAM, "")));
        TestClient.ack(tina.request(ClientMessage.newBuilder().setBoard(BoardRequest.newBuilder()
            .setRoomId("r1").setBoardId("b1").setCreateBoard(BoardCreate.newBuilder().setTitle("B").setFirstPageId("p1")))));
        assertEquals(ErrorCode.ELEMENT_NOT_FOUND, refused(ana, report("r1", element, ReportReason.SPAM, "")));
        assertEquals(ErrorCode.DOC_NOT_FOUND, refused(ana,
            report("r1", ReportTarget.newBuilder().setDocId("nodoc"), ReportReason.SPAM, "")));
        assertEquals(ErrorCode.PARTICIPANT_NOT_FOUND, refused(ana,
            report("r1", ReportTarget.newBuilder().setUserId("ghost"), ReportReason.SPAM, "")));
        others.assertServed();

        long filed = TestClient.ack(ana.request(report("r1", ReportTarget.newBuilder().setUserId("bo"),
            ReportReason.PERSONAL_INFORMATION, "shared my phone number"))).getSeq();
        Report r = tina.awaitEvent(e -> e.getSeq() == filed, "the report").getReportFiled().getReport();
        assertEquals("bo", r.getContent().getParticipant().getUserId());
        assertEquals("User bo", r.getContent().getParticipant().getDisplayName());
        assertEquals("student", r.getContent().getParticipant().getRole());
        ana.assertOpen();
      }
    }
  }

  @Test
  void badReportsAreRefusedWhileBystandersAreServed() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (Bystanders others = new Bystanders(s, "bystanders");
          TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        olga.join("r1");
        bo.join("r1");
        long msg = bo.post("r1", "hello").getSeq();
        ReportTarget.Builder target = ReportTarget.newBuilder().setMessageSeq(msg);
        assertEquals(ErrorCode.REPORT_INVALID, refused(ana, report("r1", target, ReportReason.REPORT_REASON_UNSPECIFIED, "")));
        assertEquals(ErrorCode.REPORT_INVALID, refused(ana, ClientMessage.newBuilder().setReport(ReportRequest.newBuilder()
            .setRoomId("r1").setFile(ReportFile.newBuilder().setTarget(target).setReasonValue(99)))));
        assertEquals(ErrorCode.REPORT_INVALID, refused(ana, report("r1", ReportTarget.newBuilder(), ReportReason.SPAM, "")));
        assertEquals(ErrorCode.REPORT_INVALID, refused(ana, ClientMessage.newBuilder().setReport(
            ReportRequest.newBuilder().setRoomId("r1"))));
        assertEquals(ErrorCode.REPORT_INVALID, refused(ana, report("r1", target, ReportReason.OTHER_REASON, "")));
        assertEquals(ErrorCode.REPORT_TEXT_TOO_LONG, refused(ana, report("r1", target, ReportReason.SPAM, "x".repeat(1001))));
        assertEquals(ErrorCode.REPORT_INVALID, refused(bo, reportMessage("r1", msg)), "one's own message");
        assertEquals(ErrorCode.READ_ONLY, refused(olga, reportMessage("r1", msg)));
        assertEquals(ErrorCode.NOT_IN_ROOM, refused(ana, reportMessage("bystanders", 1)));
        others.assertServed();

        long first = TestClient.ack(ana.request(reportMessage("r1", msg))).getSeq();
        assertEquals(ErrorCode.PERMISSION_DENIED, refused(ana, resolve("r1", first, ReportStatus.REPORT_HANDLED)));
        assertEquals(ErrorCode.REPORT_NOT_FOUND, refused(tina, resolve("r1", 9999, ReportStatus.REPORT_HANDLED)));
        assertEquals(ErrorCode.REPORT_INVALID, refused(tina, resolve("r1", first, ReportStatus.REPORT_OPEN)));
        for (int i = 0; i < 4; i++) {
          TestClient.ack(ana.request(reportMessage("r1", msg)));
        }
        assertEquals(ErrorCode.REPORTS_TOO_FREQUENT, refused(ana, reportMessage("r1", msg)), "5 a minute");
        TestClient.ack(tina.request(resolve("r1", first, ReportStatus.REPORT_HANDLED)));
        assertEquals(ErrorCode.REPORT_ALREADY_RESOLVED, refused(tina, resolve("r1", first, ReportStatus.REPORT_DISMISSED)));
        others.assertServed();
        for (TestClient c : List.of(tina, ana, olga, bo)) {
          c.assertOpen();
        }
        // The room goes on.
        long after = bo.post("r1", "still here").getSeq();
        ana.awaitEvent(e -> e.getSeq() == after && e.hasChatPosted(), "a post after the refusals");
      }
    }
  }

  @Test
  void acrossTwoNodesEveryTeacherSeesAReportAndItsResolutionWhichIsAuditedOnce() throws Exception {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      a.createRoom("r1");
      b.createRoom("r1");
      try (TestClient tina = a.user("tina", "r1", Role.TEACHER);
          TestClient theo = b.user("theo", "r1", Role.TEACHER);
          TestClient ana = b.user("ana", "r1", Role.STUDENT);
          TestClient bo = a.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        theo.join("r1");
        ana.join("r1");
        bo.join("r1");
        long msg = bo.post("r1", "said on node a").getSeq();
        ana.awaitEvent(e -> e.getSeq() == msg, "bo's post on node b");
        // A participant on the other node is known through the shared presence.
        long user = TestClient.ack(ana.request(report("r1", ReportTarget.newBuilder().setUserId("bo"),
            ReportReason.HARASSMENT, ""))).getSeq();
        long filed = TestClient.ack(ana.request(reportMessage("r1", msg))).getSeq();
        assertEquals("said on node a", tina.awaitEvent(e -> e.getSeq() == filed, "the report on node a")
            .getReportFiled().getReport().getContent().getMessage().getText());
        assertEquals("bo", tina.awaitEvent(e -> e.getSeq() == user, "the user report on node a")
            .getReportFiled().getReport().getContent().getParticipant().getUserId());
        assertTrue(bo.awaitEvent(e -> e.getSeq() == filed, "the seq").hasSkipped());

        long resolved = TestClient.ack(tina.request(resolve("r1", filed, ReportStatus.REPORT_HANDLED))).getSeq();
        Event e = theo.awaitEvent(ev -> ev.getSeq() == resolved, "the resolution on node b");
        assertEquals(ReportStatus.REPORT_HANDLED, e.getReportResolved().getStatus());
        assertEquals("tina", e.getReportResolved().getResolvedByUserId());
        assertFalse(ana.poll(m -> m.hasEvent() && m.getEvent().hasReportResolved(), QUIET) != null,
            "students never see a resolution");

        // Each node has its own SQLite store here: the node that stored the operation recorded it.
        List<JsonObject> onA = AuditIT.awaitEntries(a, "r1", 2);
        Thread.sleep(300);
        List<JsonObject> onB = AuditIT.adminAuditEntries(b, "r1");
        assertEquals(List.of("admin room.create", "tina report.handle @bo report:" + filed),
            onA.stream().map(AuditIT::describe).toList());
        assertEquals(List.of("admin room.create"), onB.stream().map(AuditIT::describe).toList(),
            "node b applied it but did not store it: no second entry");
      }
    }
  }
}
