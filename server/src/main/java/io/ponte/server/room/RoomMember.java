package io.ponte.server.room;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Role;
import io.ponte.server.transport.OutboundMessage;

/** What a room needs of a connection that joined it. Every method is safe from any thread. */
public interface RoomMember {
  String sessionId();

  String userId();

  String displayName();

  /**
   * Called on the room's context when the room admits this connection, before the Joined (and
   * any event after it) is queued: from here on the connection must treat requests about the room
   * as coming from a member, since the client may send them as soon as it reads the Joined.
   */
  default void admitted(Room room, Role role) {}

  /** Queues a message for the connection (it may be dropped when ephemeral and the queue is full). */
  void send(OutboundMessage message);

  /** The room no longer holds this connection (removed, ended, closed); it must forget the room. */
  void leftRoom(String roomId, LeftReason reason);

  /** Says goodbye with the code and closes the connection. */
  void close(CloseCode code, String reason);
}
