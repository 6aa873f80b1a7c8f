package io.ponte.server.room;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Role;
import io.ponte.server.outbound.OutboundMessage;

/** What a room needs of a connection that joined it. Every method is safe from any thread. */
public interface RoomMember {
  String sessionId();

  String userId();

  String displayName();

  /**
   * The room accepted the member's join; called on the room's context right before the Joined
   * message is queued, so requests the client sends after reading Joined find the membership.
   */
  void joined(Room room, Role role);

  /** Queues a message for the connection (it may be dropped when ephemeral and the queue is full). */
  void send(OutboundMessage message);

  /** The room no longer holds this connection (removed, ended, closed); it must forget the room. */
  void leftRoom(String roomId, LeftReason reason);

  /** Says goodbye with the code and closes the connection. */
  void close(CloseCode code, String reason);
}
