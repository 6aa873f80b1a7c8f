package io.ponte.server.hand;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.HandOperation;
import io.ponte.protocol.v1.HandUserLeft;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.server.room.FeatureRelay;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomMember;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the hand of a user who left the room: when a connection of theirs leaves on this node and,
 * the grace period later, the user is in the room nowhere (no connection on any node, by the shared
 * presence), it submits a {@code HandUserLeft} for the raise it saw. A drop and a resume within the
 * grace period keep the hand; so does a node restart shorter than it.
 *
 * <p>Pitfall: it runs where the user's last connection was. A node that is killed takes its
 * timers with it, so a hand of someone who was only there stays up until a teacher lowers it or
 * the user comes back and lowers it. The operation names the raise, so a hand raised again
 * meanwhile is never lowered by a late check.
 */
final class HandLeaveWatch implements FeatureRelay {
  private static final Logger log = LoggerFactory.getLogger(HandLeaveWatch.class);

  private final Room room;
  private final long graceMs;
  /** Users with a check pending, so that several closing tabs make one check. */
  private final Set<String> pending = new HashSet<>();

  HandLeaveWatch(Room room, long graceMs) {
    this.room = room;
    this.graceMs = graceMs;
  }

  @Override
  public Set<Event.BodyCase> events() {
    return Set.of();
  }

  @Override
  public void left(RoomMember member, Role role) {
    String userId = member.userId();
    if (!pending.add(userId)) {
      return;
    }
    Actor actor = Actor.newBuilder().setUserId(userId).setDisplayName(member.displayName())
        .setRole(role).build();
    Vertx.currentContext().owner().setTimer(Math.max(1, graceMs), t -> check(actor));
  }

  private void check(Actor actor) {
    String userId = actor.getUserId();
    room.details().onComplete(details -> room.call(state -> {
      pending.remove(userId);
      boolean present = details.failed() || details.result().participants().stream()
          .anyMatch(p -> p.getUserId().equals(userId));
      long raisedSeq = state.feature(HandState.class).raisedSeq(userId);
      if (present || raisedSeq == 0 || state.ended()) {
        return Future.succeededFuture();
      }
      Operation lower = Operation.newBuilder().setActor(actor)
          .setHand(HandOperation.newBuilder().setUserLeft(HandUserLeft.newBuilder()
              .setUserId(userId).setRaisedSeq(raisedSeq)))
          .build();
      room.submit(lower).onFailure(err ->
          log.debug("room {}: cannot lower the hand of a user who left: {}", room.roomId(), err.toString()));
      return Future.succeededFuture();
    }));
  }
}
