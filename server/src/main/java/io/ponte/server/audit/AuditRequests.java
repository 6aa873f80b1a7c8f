package io.ponte.server.audit;

import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.AuditPage;
import io.ponte.protocol.v1.AuditRead;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.ponte.server.text.ChatText;
import java.util.List;

/**
 * The audit log on /ws: a teacher reads a page of their room's log (AuditRead, answered
 * ServerMessage.audit_page), newest first, paged by entry id. Only rooms the connection has
 * joined as a teacher: another room's log is NOT_IN_ROOM, a student's request PERMISSION_DENIED.
 *
 * <p>The entries themselves are written by the room (Room#recordAudit) from each feature's
 * {@link io.ponte.server.room.FeatureState#audit} note, and by the admin API.
 */
public final class AuditRequests implements RequestFeature {
  /** Entries per page when the request names none. */
  public static final int DEFAULT_PAGE = 50;
  /** The most entries per page. */
  public static final int MAX_PAGE = 200;

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.AUDIT_READ, (s, id, m) -> read(s, id, m.getAuditRead()));
  }

  private static void read(Session s, long requestId, AuditRead request) {
    String roomId = request.getRoomId();
    Membership m = s.member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (m.role() != Role.TEACHER) {
      s.replyError(requestId, ErrorCode.PERMISSION_DENIED, "only the room's teachers read its audit log", roomId);
      return;
    }
    // limit is a uint32: above 2^31 it reads as a negative int, so compare it unsigned.
    long requested = Integer.toUnsignedLong(request.getLimit());
    if (requested > MAX_PAGE) {
      s.replyError(requestId, ErrorCode.AUDIT_QUERY_INVALID, "limit is at most " + MAX_PAGE, roomId);
      return;
    }
    // before_id is a uint64: above 2^63 it reads negative; no entry id is that large.
    if (request.getBeforeId() < 0) {
      s.replyError(requestId, ErrorCode.AUDIT_QUERY_INVALID, "before_id is out of range", roomId);
      return;
    }
    String actor = request.getActorUserId();
    if (!actor.isEmpty() && !ChatText.validUserId(actor)) {
      s.replyError(requestId, ErrorCode.AUDIT_QUERY_INVALID, "actor_user_id is invalid", roomId);
      return;
    }
    int limit = requested == 0 ? DEFAULT_PAGE : (int) requested;
    // One more than asked: whether there is a next page.
    m.room().auditLog(actor.isEmpty() ? null : actor, request.getBeforeId(), limit + 1)
        .onComplete(ar -> {
          if (ar.failed()) {
            s.replyFailure(requestId, ar.cause(), roomId);
            return;
          }
          s.reply(requestId, ServerMessage.newBuilder().setAuditPage(page(roomId, ar.result(), limit)));
        });
  }

  /** A page of at most {@code limit} of the entries (read with one more, to know if more follow). */
  public static AuditPage page(String roomId, List<AuditEntry> entries, int limit) {
    AuditPage.Builder page = AuditPage.newBuilder().setRoomId(roomId);
    page.addAllEntries(entries.size() > limit ? entries.subList(0, limit) : entries);
    if (entries.size() > limit) {
      page.setNextCursor(entries.get(limit - 1).getId());
    }
    return page.build();
  }
}
