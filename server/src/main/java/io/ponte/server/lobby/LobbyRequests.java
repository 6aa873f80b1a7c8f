package io.ponte.server.lobby;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.LobbyOperation;
import io.ponte.protocol.v1.LobbyRequest;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.Role;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.RequestBudgets;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.ponte.server.text.ChatText;

/**
 * Teachers' lobby requests on /ws (admit, deny, admit all, deny all, set mode), each sequenced
 * (at most lobby-ops-per-second per connection, burst 2x), and the lobby's join gate. Runs on the
 * connection's context; the room checks the rest when the operation applies.
 */
final class LobbyRequests implements RequestFeature {
  private final Lobby.Limits limits;

  LobbyRequests(Lobby.Limits limits) {
    this.limits = limits;
  }

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.LOBBY, (s, id, m) -> lobby(s, id, m.getLobby()));
    requests.gate(new LobbyGate());
  }

  private void lobby(Session s, long requestId, LobbyRequest request) {
    String roomId = request.getRoomId();
    Membership m = s.member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (!RequestBudgets.take(s, "lobby", s.config().lobbyOpsPerSecond(), requestId, roomId)) {
      return;
    }
    if (m.role() != Role.TEACHER) {
      s.replyError(requestId, ErrorCode.PERMISSION_DENIED, "only teachers admit, deny or set the lobby", roomId);
      return;
    }
    String named = switch (request.getOpCase()) {
      case ADMIT -> request.getAdmit().getUserId();
      case DENY -> request.getDeny().getUserId();
      default -> null;
    };
    if (request.getOpCase() == LobbyRequest.OpCase.OP_NOT_SET) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "lobby request without an op", roomId);
      return;
    }
    if (named != null && !ChatText.validUserId(named)) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "user_id is invalid", roomId);
      return;
    }
    if (request.getOpCase() == LobbyRequest.OpCase.SET_MODE
        && !LobbyState.known(request.getSetMode().getModeValue())) {
      s.replyError(requestId, ErrorCode.LOBBY_MODE_INVALID,
          "mode must be LOBBY_OFF, LOBBY_GUESTS or LOBBY_EVERYONE", roomId);
      return;
    }
    String clientMsgId = s.clientMsgId(requestId, request.getClientMsgId(), roomId);
    if (clientMsgId == null) {
      return;
    }
    LobbyOperation.Builder op = LobbyOperation.newBuilder().setRequest(request);
    switch (request.getOpCase()) {
      case DENY, DENY_ALL -> {
        op.setBarredUntilMs(System.currentTimeMillis() + limits.denyBlockMs());
        s.submit(requestId, m, clientMsgId, Operation.newBuilder().setLobby(op));
      }
      case SET_MODE -> m.room().details().onComplete(details -> {
        // Who is in the room now stays admitted under the new mode (see LobbyOperation).
        if (details.succeeded()) {
          for (Participant p : details.result().participants()) {
            if (p.getRole() != Role.TEACHER) {
              op.addPresentUserIds(p.getUserId());
            }
          }
        }
        s.submit(requestId, m, clientMsgId, Operation.newBuilder().setLobby(op));
      });
      default -> s.submit(requestId, m, clientMsgId, Operation.newBuilder().setLobby(op));
    }
  }
}
