package io.ponte.server.report;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Board;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Report;
import io.ponte.protocol.v1.ReportFile;
import io.ponte.protocol.v1.ReportFiled;
import io.ponte.protocol.v1.ReportOperation;
import io.ponte.protocol.v1.ReportReason;
import io.ponte.protocol.v1.ReportRequest;
import io.ponte.protocol.v1.ReportResolve;
import io.ponte.protocol.v1.ReportResolved;
import io.ponte.protocol.v1.ReportStatus;
import io.ponte.protocol.v1.ReportTarget;
import io.ponte.protocol.v1.ReportedContent;
import io.ponte.protocol.v1.ReportedDocument;
import io.ponte.protocol.v1.ReportedMessage;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.chat.ChatState;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.RoomCore;
import io.ponte.server.text.ChatText;
import io.ponte.server.whiteboard.WhiteboardState;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The reports of one room, oldest first, as part of its deterministic state. A report copies the
 * reported content when it is applied (the same seq on every node, so every node copies the same
 * thing), so the evidence outlives a later edit or delete of the original. Only teachers see
 * reports; they resolve them (handled or dismissed), which the audit log records.
 *
 * <p>Not thread-safe: touched only on the room's context.
 */
public final class ReportsState implements FeatureState {
  private static final long MINUTE_MS = 60_000;

  private final ReportLimits limits;
  private final LinkedHashMap<Long, Report> reports = new LinkedHashMap<>();

  ReportsState(ReportLimits limits, List<Report> records) {
    this.limits = limits;
    for (Report r : records) {
      reports.put(r.getReportSeq(), r);
    }
  }

  /** Every report, oldest first. */
  public List<Report> all() {
    return List.copyOf(reports.values());
  }

  /** The report filed at this seq, or null. */
  public Report report(long seq) {
    return reports.get(seq);
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.clearReports().addAllReports(reports.values());
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    if (viewerRole == Role.TEACHER) {
      snapshot.addAllReports(reports.values());
    }
  }

  // ------------------------------------------------------------------------------------------
  // Validating
  // ------------------------------------------------------------------------------------------

  /** Why a report's text is refused (null: fine), as code and reason. */
  static Refusal checkText(String text, int maxChars) {
    if (text.codePointCount(0, text.length()) > maxChars) {
      return new Refusal(ErrorCode.REPORT_TEXT_TOO_LONG, "a report's text has at most " + maxChars + " characters");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) && c != '\n' && c != '\t') {
        return new Refusal(ErrorCode.REPORT_INVALID, "a report's text may hold no control characters");
      }
    }
    return null;
  }

  /** Why a report is refused before looking at the room (null: fine). */
  static Refusal checkFile(ReportFile f, int maxChars) {
    if (f.getReason() == ReportReason.REPORT_REASON_UNSPECIFIED || f.getReason() == ReportReason.UNRECOGNIZED) {
      return new Refusal(ErrorCode.REPORT_INVALID, "a report needs a reason from the list");
    }
    Refusal text = checkText(f.getText(), maxChars);
    if (text != null) {
      return text;
    }
    if (f.getReason() == ReportReason.OTHER_REASON && f.getText().isBlank()) {
      return new Refusal(ErrorCode.REPORT_INVALID, "a report for another reason needs a text saying what");
    }
    ReportTarget t = f.getTarget();
    return switch (t.getKindCase()) {
      case MESSAGE_SEQ -> t.getMessageSeq() <= 0
          ? new Refusal(ErrorCode.REPORT_INVALID, "message_seq is missing") : null;
      case ELEMENT -> ResourceId.valid(t.getElement().getBoardId()) && ResourceId.valid(t.getElement().getElementId())
          ? null : new Refusal(ErrorCode.REPORT_INVALID, "board_id or element_id is missing or invalid");
      case DOC_ID -> ResourceId.valid(t.getDocId())
          ? null : new Refusal(ErrorCode.REPORT_INVALID, "doc_id is missing or invalid");
      case USER_ID -> ChatText.validUserId(t.getUserId())
          ? null : new Refusal(ErrorCode.REPORT_INVALID, "user_id is missing or invalid");
      case KIND_NOT_SET -> new Refusal(ErrorCode.REPORT_INVALID, "a report needs a target");
    };
  }

  record Refusal(ErrorCode code, String reason) {}

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    Actor actor = op.getActor();
    ReportRequest r = op.getReport().getRequest();
    ErrorInfo mayWrite = room.mayWrite(actor.getUserId(), actor.getRole());
    if (mayWrite != null) {
      return mayWrite;
    }
    switch (r.getOpCase()) {
      case FILE -> {
        Refusal bad = checkFile(r.getFile(), limits.maxTextChars());
        if (bad == null) {
          bad = checkTarget(op, room);
        }
        if (bad == null) {
          bad = checkRoomFor(actor.getUserId(), op.getServerTimeMs());
        }
        return bad == null ? null : room.error(bad.code(), bad.reason());
      }
      case RESOLVE -> {
        if (actor.getRole() != Role.TEACHER) {
          return room.error(ErrorCode.PERMISSION_DENIED, "only teachers resolve reports");
        }
        ReportResolve res = r.getResolve();
        if (res.getStatus() != ReportStatus.REPORT_HANDLED && res.getStatus() != ReportStatus.REPORT_DISMISSED) {
          return room.error(ErrorCode.REPORT_INVALID, "a report is resolved as handled or dismissed");
        }
        Report report = reports.get(res.getReportSeq());
        if (report == null) {
          return room.error(ErrorCode.REPORT_NOT_FOUND, "no report at seq " + Long.toUnsignedString(res.getReportSeq()));
        }
        if (report.getStatus() != ReportStatus.REPORT_OPEN) {
          return room.error(ErrorCode.REPORT_ALREADY_RESOLVED, "the report is resolved already");
        }
        return null;
      }
      default -> {
        return room.error(ErrorCode.REPORT_INVALID, "report request without an op");
      }
    }
  }

  /** Whether the target exists now, as the reporter may see it. */
  private static Refusal checkTarget(Operation op, RoomCore room) {
    String reporter = op.getActor().getUserId();
    ReportTarget t = op.getReport().getRequest().getFile().getTarget();
    switch (t.getKindCase()) {
      case MESSAGE_SEQ -> {
        ChatMessage m = room.feature(ChatState.class).message(t.getMessageSeq());
        if (m == null || m.getDeleted() || !ChatState.visibleTo(m, reporter, op.getActor().getRole())) {
          return new Refusal(ErrorCode.MESSAGE_NOT_FOUND, "no such message");
        }
        if (m.getAuthor().getUserId().equals(reporter)) {
          return new Refusal(ErrorCode.REPORT_INVALID, "one's own message cannot be reported");
        }
        return null;
      }
      case ELEMENT -> {
        Board board = room.feature(WhiteboardState.class).board(t.getElement().getBoardId());
        if (board == null) {
          return new Refusal(ErrorCode.BOARD_NOT_FOUND, "no board " + t.getElement().getBoardId());
        }
        return element(board, t.getElement().getElementId()) == null
            ? new Refusal(ErrorCode.ELEMENT_NOT_FOUND, "no element " + t.getElement().getElementId()) : null;
      }
      case DOC_ID -> {
        return room.feature(DocumentSet.class).info(t.getDocId()) == null
            ? new Refusal(ErrorCode.DOC_NOT_FOUND, "no document " + t.getDocId()) : null;
      }
      case USER_ID -> {
        if (t.getUserId().equals(reporter)) {
          return new Refusal(ErrorCode.REPORT_INVALID, "one cannot report oneself");
        }
        // The submitting node stamped the participant from its presence (the state has none).
        return op.getReport().getParticipant().getUserId().equals(t.getUserId()) ? null
            : new Refusal(ErrorCode.PARTICIPANT_NOT_FOUND, "no participant " + t.getUserId() + " in this room");
      }
      default -> {
        return new Refusal(ErrorCode.REPORT_INVALID, "a report needs a target");
      }
    }
  }

  /** The room's and the reporter's budgets. */
  private Refusal checkRoomFor(String reporter, long nowMs) {
    if (reports.size() >= limits.maxPerRoom() && oldestResolved() == null) {
      return new Refusal(ErrorCode.TOO_MANY_REPORTS,
          "the room holds " + limits.maxPerRoom() + " open reports; teachers must resolve some first");
    }
    int recent = 0;
    for (Report r : reports.values()) {
      if (r.getReporterUserId().equals(reporter) && r.getFiledMs() > nowMs - MINUTE_MS) {
        recent++;
      }
    }
    return recent >= limits.perUserPerMinute()
        ? new Refusal(ErrorCode.REPORTS_TOO_FREQUENT, "at most " + limits.perUserPerMinute() + " reports a minute")
        : null;
  }

  private Long oldestResolved() {
    for (Report r : reports.values()) {
      if (r.getStatus() != ReportStatus.REPORT_OPEN) {
        return r.getReportSeq();
      }
    }
    return null;
  }

  private static BoardElement element(Board board, String elementId) {
    for (BoardPage page : board.getPagesList()) {
      for (BoardElement e : page.getElementsList()) {
        if (e.getElementId().equals(elementId)) {
          return e;
        }
      }
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    ReportRequest r = op.getReport().getRequest();
    if (r.getOpCase() == ReportRequest.OpCase.FILE) {
      if (reports.size() >= limits.maxPerRoom()) {
        reports.remove(oldestResolved());
      }
      Report report = file(op, room);
      reports.put(report.getReportSeq(), report);
      event.setReportFiled(ReportFiled.newBuilder().setReport(report));
    } else {
      ReportResolve res = r.getResolve();
      Report resolved = reports.get(res.getReportSeq()).toBuilder()
          .setStatus(res.getStatus())
          .setResolvedByUserId(op.getActor().getUserId())
          .setResolvedByName(op.getActor().getDisplayName())
          .setResolvedMs(op.getServerTimeMs())
          .build();
      reports.put(resolved.getReportSeq(), resolved);
      event.setReportResolved(ReportResolved.newBuilder()
          .setReportSeq(resolved.getReportSeq())
          .setStatus(resolved.getStatus())
          .setResolvedByUserId(resolved.getResolvedByUserId())
          .setResolvedByName(resolved.getResolvedByName())
          .setResolvedMs(resolved.getResolvedMs()));
    }
    return Outcome.teachersOnly();
  }

  /** The report with a copy of its target as the room holds it at this seq. */
  private Report file(Operation op, RoomCore room) {
    ReportOperation ro = op.getReport();
    ReportFile f = ro.getRequest().getFile();
    ReportTarget t = f.getTarget();
    Report.Builder b = Report.newBuilder()
        .setReportSeq(room.seq())
        .setReporterUserId(op.getActor().getUserId())
        .setReporterName(op.getActor().getDisplayName())
        .setTarget(t)
        .setReason(f.getReason())
        .setText(f.getText().strip())
        .setFiledMs(op.getServerTimeMs())
        .setStatus(ReportStatus.REPORT_OPEN);
    ReportedContent.Builder content = ReportedContent.newBuilder();
    switch (t.getKindCase()) {
      case MESSAGE_SEQ -> {
        ChatMessage m = room.feature(ChatState.class).message(t.getMessageSeq());
        content.setMessage(ReportedMessage.newBuilder()
            .setSeq(m.getSeq())
            .setAuthorUserId(m.getAuthor().getUserId())
            .setAuthorName(m.getAuthor().getDisplayName())
            .setText(m.getText())
            .setLanguage(m.getLanguage())
            .setPostedMs(m.getPostedMs())
            .setEditedMs(m.getEditedMs())
            .setToTeachers(m.getToTeachers()));
        b.setReportedUserId(m.getAuthor().getUserId());
      }
      case ELEMENT -> {
        Board board = room.feature(WhiteboardState.class).board(t.getElement().getBoardId());
        BoardElement e = element(board, t.getElement().getElementId());
        content.setElement(e);
        b.setReportedUserId(e.getAuthorId());
      }
      case DOC_ID -> {
        DocumentSet docs = room.feature(DocumentSet.class);
        DocumentInfo info = docs.info(t.getDocId());
        byte[] state = docs.state(t.getDocId());
        ReportedDocument.Builder d = ReportedDocument.newBuilder()
            .setDocId(info.getDocId()).setTitle(info.getTitle());
        if (state.length <= limits.maxDocumentBytes()) {
          d.setState(com.google.protobuf.ByteString.copyFrom(state));
        } else {
          d.setTooLarge(true);
        }
        content.setDocument(d);
      }
      case USER_ID -> {
        content.setParticipant(ro.getParticipant());
        b.setReportedUserId(t.getUserId());
      }
      default -> throw new IllegalStateException("validated report has no target");
    }
    return b.setContent(content).build();
  }

  /** Resolving a report is a teacher's action; filing one is not (and names nobody's content). */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    ReportRequest r = op.getReport().getRequest();
    if (r.getOpCase() != ReportRequest.OpCase.RESOLVE) {
      return null;
    }
    Report report = reports.get(r.getResolve().getReportSeq());
    return new AuditNote(
        r.getResolve().getStatus() == ReportStatus.REPORT_HANDLED ? "report.handle" : "report.dismiss",
        report == null ? "" : report.getReportedUserId(),
        "report:" + r.getResolve().getReportSeq(), "");
  }
}
