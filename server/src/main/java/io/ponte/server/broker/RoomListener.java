package io.ponte.server.broker;

import io.ponte.protocol.v1.SequencedOperation;

/** Receives one room's traffic from the {@link Broker}. Calls never overlap for one room. */
public interface RoomListener {

  /** The next operation of the room, in seq order. */
  void onOperation(SequencedOperation operation);

  /** An ephemeral payload published to the room (by any node, this one included). */
  void onEphemeral(byte[] payload);
}
