package io.ponte.server.breakout;

import io.ponte.protocol.v1.BreakoutCreate;
import io.ponte.protocol.v1.BreakoutMove;
import io.ponte.protocol.v1.BreakoutOperation;
import io.ponte.protocol.v1.BreakoutPlacement;
import io.ponte.protocol.v1.BreakoutRequest;
import io.ponte.protocol.v1.BreakoutRound;
import io.ponte.protocol.v1.BreakoutTakePlace;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.Role;
import io.ponte.server.room.Room;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.RequestBudgets;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Breakout requests on /ws (at most breakout-ops-per-second per connection, burst 2x). Before
 * sequencing, the server completes what only this node can know: who is in the room now (a random
 * spread, the display names of placed and moved users, refusing users who are not there) and the
 * claim value of the requester's token. Everything else is checked when the room applies it.
 * Runs on the connection's context.
 */
final class BreakoutRequests implements RequestFeature {
  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.BREAKOUT, (s, id, m) -> breakout(s, id, m.getBreakout()));
  }

  private static void breakout(Session s, long requestId, BreakoutRequest request) {
    String roomId = request.getRoomId();
    Membership m = s.member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (!RequestBudgets.take(s, "breakout", s.config().breakoutOpsPerSecond(), requestId, roomId)) {
      return;
    }
    if (request.getOpCase() == BreakoutRequest.OpCase.OP_NOT_SET) {
      s.replyError(requestId, ErrorCode.INVALID_REQUEST, "breakout request without an op", roomId);
      return;
    }
    String clientMsgId = s.clientMsgId(requestId, request.getClientMsgId(), roomId);
    if (clientMsgId == null) {
      return;
    }
    boolean teacherOp = request.getOpCase() != BreakoutRequest.OpCase.TAKE_PLACE;
    if (teacherOp && m.role() != Role.TEACHER) {
      // Early, before reading who is in the room for someone who may not ask (the room checks again).
      s.replyError(requestId, ErrorCode.PERMISSION_DENIED, "only teachers manage breakouts", roomId);
      return;
    }
    Context here = Vertx.currentContext();
    Room room = m.room();
    switch (request.getOpCase()) {
      case CREATE -> {
        BreakoutCreate c = request.getCreate();
        if (c.getAssignment() == BreakoutRound.Assignment.BY_CLAIM) {
          submit(s, requestId, m, clientMsgId, request);
          return;
        }
        room.details().onComplete(ar -> here.runOnContext(v -> {
          if (ar.failed()) {
            s.replyFailure(requestId, ar.cause(), roomId);
            return;
          }
          Map<String, Participant> present = byUser(ar.result().participants());
          BreakoutCreate.Builder filled = c.toBuilder().clearPlacements();
          if (c.getAssignment() == BreakoutRound.Assignment.RANDOM) {
            if (c.getNamesCount() == 0) {
              s.replyError(requestId, ErrorCode.BREAKOUT_INVALID, "at least one breakout", roomId);
              return;
            }
            // The students present now, in random order, dealt round the breakouts like cards.
            List<Participant> students = new ArrayList<>();
            for (Participant p : present.values()) {
              if (p.getRole() == Role.STUDENT) {
                students.add(p);
              }
            }
            Collections.shuffle(students, ThreadLocalRandom.current());
            for (int i = 0; i < students.size(); i++) {
              Participant p = students.get(i);
              filled.addPlacements(BreakoutPlacement.newBuilder().setUserId(p.getUserId())
                  .setDisplayName(p.getDisplayName()).setBreakout(i % c.getNamesCount()));
            }
          } else {
            for (BreakoutPlacement p : c.getPlacementsList()) {
              Participant who = present.get(p.getUserId());
              if (who == null) {
                s.replyError(requestId, ErrorCode.BREAKOUT_UNKNOWN_USER,
                    "a placed user is not in the room", roomId);
                return;
              }
              filled.addPlacements(p.toBuilder().setDisplayName(who.getDisplayName()));
            }
          }
          submit(s, requestId, m, clientMsgId, request.toBuilder().setCreate(filled).build());
        }));
      }
      case MOVE -> {
        BreakoutMove move = request.getMove();
        room.details().onComplete(ar -> room.read(state -> state.feature(BreakoutState.class).open())
            .onComplete(open -> here.runOnContext(v -> {
              if (ar.failed() || open.failed()) {
                s.replyFailure(requestId, ar.failed() ? ar.cause() : open.cause(), roomId);
                return;
              }
              Participant who = byUser(ar.result().participants()).get(move.getUserId());
              String name = who != null ? who.getDisplayName() : placedName(open.result(), move.getUserId());
              // A user who left may still be sent back to the main room; into a breakout, only
              // someone who is here.
              if (who == null && (name == null || !move.getToRoomId().isEmpty())) {
                s.replyError(requestId, ErrorCode.BREAKOUT_UNKNOWN_USER, "that user is not in the room", roomId);
                return;
              }
              submit(s, requestId, m, clientMsgId,
                  request.toBuilder().setMove(move.toBuilder().setDisplayName(name)).build());
            })));
      }
      case TAKE_PLACE -> room.read(state -> state.feature(BreakoutState.class).open())
          .onComplete(open -> here.runOnContext(v -> {
            if (open.failed()) {
              s.replyFailure(requestId, open.cause(), roomId);
              return;
            }
            String claim = open.result() == null ? "" : open.result().getClaim();
            String value = claim.isEmpty() ? "" : s.principal().groups().getOrDefault(claim, "");
            submit(s, requestId, m, clientMsgId, request.toBuilder()
                .setTakePlace(BreakoutTakePlace.newBuilder().setClaimValue(value)).build());
          }));
      default -> submit(s, requestId, m, clientMsgId, request);
    }
  }

  private static void submit(Session s, long requestId, Membership m, String clientMsgId,
      BreakoutRequest request) {
    s.submit(requestId, m, clientMsgId,
        Operation.newBuilder().setBreakout(BreakoutOperation.newBuilder().setRequest(request)));
  }

  private static Map<String, Participant> byUser(List<Participant> participants) {
    Map<String, Participant> out = new HashMap<>();
    for (Participant p : participants) {
      out.put(p.getUserId(), p);
    }
    return out;
  }

  /** The display name the round has for a placed user, or null. */
  private static String placedName(BreakoutRound open, String userId) {
    if (open == null) {
      return null;
    }
    for (var p : open.getPlacesList()) {
      if (p.getUserId().equals(userId)) {
        return p.getDisplayName();
      }
    }
    return null;
  }
}
