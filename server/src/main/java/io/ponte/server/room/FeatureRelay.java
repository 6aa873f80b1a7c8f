package io.ponte.server.room;

import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import java.util.Set;

/**
 * A feature's node-local side in one room: its ephemeral traffic (awareness, live ink: events
 * without a seq that reach the room from any node through the broker), and what it keeps on this
 * node about members and applied operations. Runs on the room's context.
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

  /**
   * An operation (of any feature) took effect here, after its event was delivered: for node-local
   * work that follows the state (a lobby completing the Joins it holds). The state is the room's,
   * read-only.
   */
  default void applied(AppliedOperation applied, RoomState state) {}

  /** Whether it holds something on this node that keeps the room loaded (Joins waiting in it). */
  default boolean holdsRoom() {
    return false;
  }

  /** The room is being unloaded or failed on this node: let go of what it holds. */
  default void unloaded() {}
}
