package io.ponte.server.hand;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.HandOperation;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.Operation;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.RequestBudgets;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.ponte.server.text.ChatText;

/**
 * Hand requests on /ws: raise, lower, lower all, each sequenced (at most hand-ops-per-second per
 * connection, burst 2x). Runs on the connection's context; the room checks the rest.
 */
final class HandRequests implements RequestFeature {
  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.HAND, (s, id, m) -> hand(s, id, m.getHand()));
  }

  private static void hand(Session s, long requestId, HandRequest request) {
    String roomId = request.getRoomId();
    Membership m = s.member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (!RequestBudgets.take(s, "hand", s.config().handOpsPerSecond(), requestId, roomId)) {
      return;
    }
    if (request.getOpCase() == HandRequest.OpCase.OP_NOT_SET) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "hand request without an op", roomId);
      return;
    }
    String named = request.getLower().getUserId();
    if (!named.isEmpty() && !ChatText.validUserId(named)) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "user_id is invalid", roomId);
      return;
    }
    String clientMsgId = s.clientMsgId(requestId, request.getClientMsgId(), roomId);
    if (clientMsgId != null) {
      s.submit(requestId, m, clientMsgId,
          Operation.newBuilder().setHand(HandOperation.newBuilder().setRequest(request)));
    }
  }
}
