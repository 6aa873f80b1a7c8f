package io.ponte.server.hand;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.HandLowered;
import io.ponte.protocol.v1.HandOperation;
import io.ponte.protocol.v1.HandRaised;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.HandUserLeft;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RaisedHand;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomCore;
import io.ponte.server.text.ChatText;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The raised hands of one room in raise order, as part of its deterministic state. A hand
 * belongs to a user (not a connection): it stays up through a reconnect, a second tab or a node
 * restart, and goes down when its user lowers it, a teacher lowers it (or all), its user is
 * removed from the room, or its user has left the room for longer than the grace period
 * ({@link HandLeaveWatch}).
 *
 * <p>Not thread-safe: touched only on the room's context.
 */
public final class HandState implements FeatureState {
  /** By user id, in raise order (a hand raised again goes to the end). */
  private final LinkedHashMap<String, RaisedHand> raised = new LinkedHashMap<>();

  HandState(List<RaisedHand> record) {
    for (RaisedHand h : record) {
      raised.put(h.getUserId(), h);
    }
  }

  /** The seq at which the user's hand went up, or 0 when it is down. */
  public long raisedSeq(String userId) {
    RaisedHand h = raised.get(userId);
    return h == null ? 0 : h.getRaisedSeq();
  }

  /** The queue, first raised first. */
  public List<RaisedHand> queue() {
    return List.copyOf(raised.values());
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.clearRaisedHands().addAllRaisedHands(raised.values());
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    snapshot.addAllRaisedHands(raised.values());
  }

  @Override
  public void userRemoved(String userId, RoomCore room) {
    // A removed user is no member any more: their place in the queue goes with them (the
    // participant_removed event says so to clients), and a lifted ban does not bring it back.
    raised.remove(userId);
  }

  // ------------------------------------------------------------------------------------------
  // Validating
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    Actor actor = op.getActor();
    if (actor.getRole() == Role.ROLE_UNSPECIFIED) {
      return room.error(ErrorCode.PERMISSION_DENIED, "operation without a role");
    }
    HandOperation hand = op.getHand();
    return switch (hand.getKindCase()) {
      case REQUEST -> validate(hand.getRequest(), actor, room);
      case USER_LEFT -> validate(hand.getUserLeft(), actor, room);
      default -> room.error(ErrorCode.INVALID_REQUEST, "hand operation without a kind");
    };
  }

  private ErrorInfo validate(HandRequest request, Actor actor, RoomCore room) {
    String self = actor.getUserId();
    switch (request.getOpCase()) {
      case RAISE -> {
        ErrorInfo mayWrite = room.mayUse(self, actor.getRole(), Capability.CAPABILITY_HAND_RAISE);
        if (mayWrite != null) {
          return mayWrite;
        }
        return raised.containsKey(self)
            ? room.error(ErrorCode.HAND_ALREADY_RAISED, "your hand is raised already") : null;
      }
      case LOWER -> {
        String target = target(request, self);
        if (!ChatText.validUserId(target)) {
          return room.error(ErrorCode.INVALID_REQUEST, "user_id is invalid");
        }
        if (!target.equals(self) && actor.getRole() != Role.TEACHER) {
          return room.error(ErrorCode.PERMISSION_DENIED, "only teachers lower someone else's hand");
        }
        ErrorInfo active = stillActive(self, room);
        if (active != null) {
          return active;
        }
        RaisedHand h = raised.get(target);
        long wanted = request.getLower().getRaisedSeq();
        if (h == null || wanted != 0 && h.getRaisedSeq() != wanted) {
          return room.error(ErrorCode.HAND_NOT_RAISED, target.equals(self)
              ? "your hand is not raised" : "that hand is not raised");
        }
        return null;
      }
      case LOWER_ALL -> {
        if (actor.getRole() != Role.TEACHER) {
          return room.error(ErrorCode.PERMISSION_DENIED, "only teachers lower every hand");
        }
        return stillActive(self, room);
      }
      default -> {
        return room.error(ErrorCode.INVALID_REQUEST, "hand request without an op");
      }
    }
  }

  /** The server lowering the hand of a user who left: only that raise, only while it is up. */
  private ErrorInfo validate(HandUserLeft left, Actor actor, RoomCore room) {
    if (!actor.getUserId().equals(left.getUserId())) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only for the user who left");
    }
    if (room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    RaisedHand h = raised.get(left.getUserId());
    return h != null && h.getRaisedSeq() == left.getRaisedSeq()
        ? null : room.error(ErrorCode.HAND_NOT_RAISED, "that hand is not raised");
  }

  /** Lowering needs no write permission (observers have no hand), but a member in a live room. */
  private static ErrorInfo stillActive(String userId, RoomCore room) {
    if (room.isBanned(userId)) {
      return room.error(ErrorCode.BANNED, "removed from this room");
    }
    if (room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    return null;
  }

  private static String target(HandRequest request, String self) {
    String named = request.getLower().getUserId();
    return named.isEmpty() ? self : named;
  }

  @Override
  public boolean changesNothing(Operation op) {
    return op.getHand().getRequest().getOpCase() == HandRequest.OpCase.LOWER_ALL && raised.isEmpty();
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  /** A teacher lowering someone's hand, or every hand. */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    HandOperation hand = op.getHand();
    if (hand.getKindCase() != HandOperation.KindCase.REQUEST) {
      return null;
    }
    HandRequest request = hand.getRequest();
    String actor = op.getActor().getUserId();
    if (request.getOpCase() == HandRequest.OpCase.LOWER_ALL) {
      return AuditNote.about("hand.lower_all", "", "");
    }
    if (request.getOpCase() == HandRequest.OpCase.LOWER) {
      String target = target(request, actor);
      return target.equals(actor) ? null : AuditNote.of("hand.lower", target);
    }
    return null;
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    Actor actor = op.getActor();
    HandOperation hand = op.getHand();
    if (hand.getKindCase() == HandOperation.KindCase.USER_LEFT) {
      String user = hand.getUserLeft().getUserId();
      raised.remove(user);
      event.setHandLowered(HandLowered.newBuilder().setUserId(user)
          .setReason(HandLowered.Reason.USER_LEFT));
      return Outcome.PUBLIC;
    }
    HandRequest request = hand.getRequest();
    switch (request.getOpCase()) {
      case RAISE -> {
        RaisedHand h = RaisedHand.newBuilder().setUserId(actor.getUserId())
            .setDisplayName(actor.getDisplayName()).setRaisedSeq(room.seq())
            .setRaisedMs(op.getServerTimeMs()).build();
        raised.put(h.getUserId(), h);
        event.setHandRaised(HandRaised.newBuilder().setHand(h));
      }
      case LOWER -> {
        String target = target(request, actor.getUserId());
        raised.remove(target);
        event.setHandLowered(HandLowered.newBuilder().setUserId(target)
            .setReason(target.equals(actor.getUserId())
                ? HandLowered.Reason.LOWERED_BY_USER : HandLowered.Reason.LOWERED_BY_TEACHER));
      }
      case LOWER_ALL -> {
        raised.clear();
        event.setHandLowered(HandLowered.newBuilder().setAll(true)
            .setReason(HandLowered.Reason.LOWERED_BY_TEACHER));
      }
      default -> throw new IllegalStateException("validated hand request has no op");
    }
    return Outcome.PUBLIC;
  }
}
