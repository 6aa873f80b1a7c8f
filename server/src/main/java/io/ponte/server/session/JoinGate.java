package io.ponte.server.session;

import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.Principal;
import io.ponte.server.room.Room;
import io.vertx.core.Future;

/**
 * Decides whether a Join may go into the room now: the one admission hook of the join path
 * (a feature registers it with {@link Requests#gate}). The room's own checks (bans, lock, size)
 * still run when the join goes on.
 */
public interface JoinGate {
  /** Lets every Join through at once. */
  JoinGate OPEN = new JoinGate() {
    @Override
    public Future<Void> admit(Session session, Room room, Role role, Join join) {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> check(Principal principal, Role role, Room room) {
      return Future.succeededFuture();
    }
  };

  /**
   * A Join on /ws: completes when it may go on (at once, or after waiting; the gate may send the
   * session messages meanwhile), fails with a RoomException when it is refused, or when the
   * session closes first.
   */
  Future<Void> admit(Session session, Room room, Role role, Join join);

  /**
   * A join from a connection that cannot wait (the document endpoints): completes when the user
   * may enter now, else fails with a RoomException.
   */
  Future<Void> check(Principal principal, Role role, Room room);
}
