package io.ponte.server.poll;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PollOperation;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.RoomException;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.RequestBudgets;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.vertx.core.Future;

/**
 * Poll requests on /ws, each sequenced (at most poll-ops-per-second per connection, burst 2x).
 * Runs on the connection's context; the room checks the rest when the operation applies.
 *
 * <p>An answer to an anonymous poll never becomes an operation that names its user: on the room's
 * context the poll's salt turns the user into a voter key, and the operation is submitted with the
 * pseudonymous actor {@code anon:<key>} (no name), the key, and a keyed hash of the client
 * message id (a client's id could name its user). That is what the broker, the store, every node
 * and every event see; exactly-once still holds, since the same user and id give the same actor
 * and hashed id. An anonymous poll that is closed has forgotten its salt: its answers are refused
 * here, before anything is submitted.
 */
final class PollRequests implements RequestFeature {
  private final PollLimits limits;

  PollRequests(PollLimits limits) {
    this.limits = limits;
  }

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.POLL, (s, id, m) -> poll(s, id, m.getPoll()));
  }

  private void poll(Session s, long requestId, PollRequest request) {
    String roomId = request.getRoomId();
    Membership m = s.member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (!RequestBudgets.take(s, "poll", s.config().pollOpsPerSecond(), requestId, roomId)) {
      return;
    }
    if (!ResourceId.valid(request.getPollId())) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "poll_id is missing or invalid", roomId);
      return;
    }
    if (request.getOpCase() == PollRequest.OpCase.OP_NOT_SET) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "poll request without an op", roomId);
      return;
    }
    if (request.getOpCase() == PollRequest.OpCase.CREATE) {
      PollRules.Refusal bad = PollRules.create(request.getCreate(), limits);
      if (bad != null) {
        s.replyError(requestId, bad.code(), bad.reason(), roomId);
        return;
      }
    }
    String clientMsgId = s.clientMsgId(requestId, request.getClientMsgId(), roomId);
    if (clientMsgId == null) {
      return;
    }
    PollOperation.Builder op = PollOperation.newBuilder().setRequest(request);
    switch (request.getOpCase()) {
      case CREATE -> {
        if (request.getCreate().getAnonymous()) {
          op.setVoterSalt(ByteString.copyFrom(VoterKeys.newSalt()));
        }
        s.submit(requestId, m, clientMsgId, Operation.newBuilder().setPoll(op));
      }
      case ANSWER -> answer(s, requestId, m, clientMsgId, op);
      default -> s.submit(requestId, m, clientMsgId, Operation.newBuilder().setPoll(op));
    }
  }

  private static void answer(Session s, long requestId, Membership m, String clientMsgId,
      PollOperation.Builder op) {
    String roomId = m.room().roomId();
    String userId = s.principal().userId();
    String pollId = op.getRequest().getPollId();
    m.room().call(state -> {
      PollsState.Voter voter = state.feature(PollsState.class).voter(pollId, userId, clientMsgId);
      if (voter == null) {
        return Future.failedFuture(new RoomException(state.error(ErrorCode.POLL_CLOSED, "the poll is closed")));
      }
      if (voter.anonymous() && state.isBanned(userId)) {
        // The operation will not name the user, so the ban is checked here, not when it applies.
        return Future.failedFuture(new RoomException(state.error(ErrorCode.BANNED, "removed from this room")));
      }
      return Future.succeededFuture(voter);
    }).onComplete(ar -> {
      if (ar.failed()) {
        s.replyFailure(requestId, ar.cause(), roomId);
        return;
      }
      PollsState.Voter voter = ar.result();
      if (!voter.anonymous()) {
        s.submit(requestId, m, clientMsgId, Operation.newBuilder().setPoll(op));
        return;
      }
      Operation anonymous = Operation.newBuilder()
          .setClientMsgId(voter.messageId())
          .setActor(Actor.newBuilder().setUserId(VoterKeys.ACTOR_PREFIX + voter.key()).setRole(m.role()))
          .setPoll(op.setVoterKey(voter.key()).setRequest(op.getRequest().toBuilder().clearClientMsgId()))
          .build();
      m.room().submit(anonymous).onComplete(applied -> {
        if (applied.failed()) {
          s.replyFailure(requestId, applied.cause(), roomId);
        } else if (applied.result().rejection() != null) {
          s.replyError(requestId, applied.result().rejection());
        } else {
          long duplicateOf = applied.result().duplicateOf();
          s.reply(requestId, ServerMessage.newBuilder().setAck(Ack.newBuilder()
              .setSeq(duplicateOf != 0 ? duplicateOf : applied.result().seq())
              .setDuplicate(duplicateOf != 0)));
        }
      });
    });
  }
}
