package io.ponte.server.broker;

import io.ponte.protocol.v1.SequencedOperation;

/** Receives one room's traffic from the {@link Broker}. Calls never overlap for one room. */
public interface RoomListener {

  /** The next operation of the room, in seq order. */
  void onOperation(SequencedOperation operation);

  /** An ephemeral payload published to the room (by any node, this one included). */
  void onEphemeral(byte[] payload);

  /**
   * The broker re-issued a seq already delivered here with another operation (its backend lost
   * sequenced operations, e.g. a Redis failover): nothing more is delivered through this
   * attachment, and the broker has started a new epoch where it could. The room must be loaded
   * again (detach, attach) so its clients resume under the new epoch and get a reset.
   */
  void onSeqRegressed();
}
