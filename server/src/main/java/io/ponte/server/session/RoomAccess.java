package io.ponte.server.session;

import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.Principal;
import io.vertx.core.Future;

/**
 * The one admission decision of every endpoint (/ws Join, /yjs, /hocuspocus): which role a
 * principal has in a room. By default the token's grant ({@link Principal#roleFor}); a feature may
 * grant more (a token for a parent room admits to its breakouts). Runs before the room's own
 * checks (ended, banned, locked, full), which still apply.
 */
public interface RoomAccess {
  /** The token's grants alone. */
  RoomAccess TOKEN = (principal, roomId) -> Future.succeededFuture(principal.roleFor(roomId));

  /**
   * The principal's role in the room; null when it has none (ROOM_NOT_ALLOWED). Fails with a
   * {@code RoomException} when the refusal has a code of its own.
   */
  Future<Role> roleFor(Principal principal, String roomId);
}
