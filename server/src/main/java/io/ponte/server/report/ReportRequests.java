package io.ponte.server.report;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.ReportOperation;
import io.ponte.protocol.v1.ReportRequest;
import io.ponte.protocol.v1.ReportTarget;
import io.ponte.protocol.v1.ReportedParticipant;
import io.ponte.server.room.Room;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;

/**
 * ReportRequest on /ws: checks what can be checked without the room (the early filter), and for a
 * report of a participant stamps the participant as this node's presence knows them (the room's
 * state holds no presence, so this is what makes the apply-time check deterministic). Everything
 * else is decided when the operation is applied.
 */
final class ReportRequests implements RequestFeature {
  private final ReportLimits limits;

  ReportRequests(ReportLimits limits) {
    this.limits = limits;
  }

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.REPORT, (s, id, m) -> report(s, id, m.getReport()));
  }

  private void report(Session s, long requestId, ReportRequest request) {
    String roomId = request.getRoomId();
    Membership m = s.member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (request.getOpCase() == ReportRequest.OpCase.OP_NOT_SET) {
      s.replyError(requestId, ErrorCode.REPORT_INVALID, "report request without an op", roomId);
      return;
    }
    if (request.getOpCase() == ReportRequest.OpCase.FILE) {
      ReportsState.Refusal bad = ReportsState.checkFile(request.getFile(), limits.maxTextChars());
      if (bad != null) {
        s.replyError(requestId, bad.code(), bad.reason(), roomId);
        return;
      }
    }
    String clientMsgId = s.clientMsgId(requestId, request.getClientMsgId(), roomId);
    if (clientMsgId == null) {
      return;
    }
    ReportTarget target = request.getFile().getTarget();
    if (request.getOpCase() != ReportRequest.OpCase.FILE
        || target.getKindCase() != ReportTarget.KindCase.USER_ID) {
      s.submit(requestId, m, clientMsgId, Operation.newBuilder()
          .setReport(ReportOperation.newBuilder().setRequest(request)));
      return;
    }
    m.room().participant(target.getUserId()).onComplete(ar -> {
      Participant p = ar.succeeded() ? ar.result() : null;
      if (p == null) {
        s.replyError(requestId, ErrorCode.PARTICIPANT_NOT_FOUND,
            "no participant " + target.getUserId() + " in this room", roomId);
        return;
      }
      s.submit(requestId, m, clientMsgId, Operation.newBuilder().setReport(ReportOperation.newBuilder()
          .setRequest(request)
          .setParticipant(ReportedParticipant.newBuilder()
              .setUserId(p.getUserId())
              .setDisplayName(p.getDisplayName())
              .setRole(Room.roleName(p.getRole())))));
    });
  }
}
