package io.ponte.server.permission;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PermissionsRequest;
import io.ponte.protocol.v1.Role;
import io.ponte.server.room.Room;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Permission requests on /ws (teachers only). Runs on the connection's context; the room checks
 * the rest when the operation is applied.
 *
 * <p>A participant's override needs a participant: someone in the room now, on any node (the
 * shared presence), or someone holding an override already (so a teacher can lift what they set
 * on a student who has left). That is checked here, before sequencing, because presence is not
 * part of the room's deterministic state; at apply time any valid user id is accepted.
 */
final class PermissionRequests implements RequestFeature {
  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.PERMISSIONS, (s, id, m) -> permissions(s, id, m.getPermissions()));
  }

  private static void permissions(Session s, long requestId, PermissionsRequest request) {
    String roomId = request.getRoomId();
    Membership m = s.member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (m.role() != Role.TEACHER) {
      s.replyError(requestId, ErrorCode.PERMISSION_DENIED, "only teachers change permissions", roomId);
      return;
    }
    PermissionsState.Refusal bad = PermissionsState.refusal(request);
    if (bad != null) {
      s.replyError(requestId, bad.code(), bad.reason(), roomId);
      return;
    }
    String clientMsgId = s.clientMsgId(requestId, request.getClientMsgId(), roomId);
    if (clientMsgId == null) {
      return;
    }
    Operation.Builder op = Operation.newBuilder().setPermissions(request);
    String user = request.getUserId();
    if (user.isEmpty()) {
      s.submit(requestId, m, clientMsgId, op);
      return;
    }
    Context connection = Vertx.currentContext();
    known(m.room(), user).onComplete(ar -> connection.runOnContext(v -> {
      if (ar.failed()) {
        s.replyFailure(requestId, ar.cause(), roomId);
      } else if (!ar.result()) {
        s.replyError(requestId, ErrorCode.PARTICIPANT_UNKNOWN,
            "no participant with this user id is in the room", roomId);
      } else {
        s.submit(requestId, m, clientMsgId, op);
      }
    }));
  }

  /** Whether the user is in the room on any node or holds an override already. */
  private static Future<Boolean> known(Room room, String userId) {
    return room.details().compose(d -> d.participants().stream().anyMatch(p -> p.getUserId().equals(userId))
        ? Future.succeededFuture(true)
        : room.read(state -> state.feature(PermissionsState.class).hasOverride(userId)));
  }
}
