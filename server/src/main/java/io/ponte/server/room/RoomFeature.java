package io.ponte.server.room;

import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import java.util.Set;

/**
 * A room feature (chat, moderation, documents, the whiteboard, ...): one package owning some
 * operation kinds and its part of the room's state. Registered once at start, in
 * {@link RoomFeatures}; the room core delegates to it by operation kind.
 */
public interface RoomFeature {
  /** A short stable name, for logs. */
  String name();

  /** The operation bodies it applies; each body belongs to exactly one feature. */
  Set<Operation.BodyCase> operations();

  /**
   * Its state in one room, as the snapshot record holds it ({@link RoomStateRecord#getDefaultInstance()}
   * for a new room). Called on the room's context; the state is only ever touched there.
   */
  FeatureState load(RoomStateRecord record);

  /**
   * Whether an operation of this kind from this node may be delivered before it is durable (its
   * sender's ack still waits for durability). Only for content whose clients resend what a
   * crashed server lost, as Yjs providers do; applies when the broker's history dies with the
   * process (see Broker#historyOutlivesProcess).
   */
  default boolean deliversBeforeDurable(Operation.BodyCase kind) {
    return false;
  }

  /** Its ephemeral side in one room on this node, or null when it relays nothing. */
  default FeatureRelay relay(Room room) {
    return null;
  }
}
