package io.ponte.server.room;

import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import java.util.Set;

/**
 * A feature's ephemeral traffic in one room on this node (awareness, live ink): events without a
 * seq that reach the room from any node through the broker. Runs on the room's context.
 */
public interface FeatureRelay {
  /** The ephemeral event bodies it relays. */
  Set<Event.BodyCase> events();

  /** Sees every such event before it is delivered (to keep what a late joiner needs). */
  default void observe(Event event) {}

  /** Whether this member receives the event. */
  default boolean deliverTo(Event event, RoomMember member, Role role) {
    return true;
  }

  /**
   * The room's state moved on here: an operation was applied live, or the room was loaded and
   * caught up (then once). For work that follows the state on this node (a timer). Room context.
   */
  default void applied(RoomCore state) {}

  /** The member left the room on this node (its connection closed, it left, it was removed). */
  default void left(RoomMember member, Role role) {}
}
