package io.ponte.server.lobby;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.Principal;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.session.JoinGate;
import io.ponte.server.session.Session;
import io.vertx.core.Future;

/**
 * The lobby's admission hook on the join path. A Join needs a teacher's admission when the room's
 * lobby mode covers the user (guests, or every non-teacher) and the state does not list them as
 * admitted; even then it walks in when the user is in the room already (another tab, on any node,
 * by the shared presence) or resumes (this room's epoch and a seq it reached: someone who was
 * in before a reconnect), as a lock lets them in. Everyone else waits in the {@link LobbyDoor}.
 * Bans and an ended session are left to the room's own checks, which refuse them as before.
 */
final class LobbyGate implements JoinGate {
  @Override
  public Future<Void> admit(Session session, Room room, Role role, Join join) {
    if (role == Role.TEACHER) {
      return Future.succeededFuture();
    }
    Principal p = session.principal();
    return mayWalkIn(p, role, room, join).compose(walkIn -> {
      if (walkIn) {
        return Future.succeededFuture();
      }
      Actor actor = Actor.newBuilder().setUserId(p.userId()).setDisplayName(p.displayName())
          .setRole(role).build();
      return room.call(state -> {
        LobbyDoor door = room.relay(LobbyDoor.class);
        Future<Void> verdict = door.await(state, session.member(), actor, p.guest());
        session.closed().onComplete(v -> room.call(s -> {
          door.closed(session.member(), p.userId());
          return Future.succeededFuture();
        }));
        return verdict;
      });
    });
  }

  @Override
  public Future<Void> check(Principal principal, Role role, Room room) {
    if (role == Role.TEACHER) {
      return Future.succeededFuture();
    }
    return mayWalkIn(principal, role, room, Join.getDefaultInstance()).compose(walkIn -> walkIn
        ? Future.succeededFuture()
        : Future.failedFuture(new RoomException(ErrorCode.LOBBY_ADMISSION_REQUIRED,
            "a teacher has to admit you to this room first (join it on /ws)")));
  }

  /** Whether the Join may go on without waiting. */
  private static Future<Boolean> mayWalkIn(Principal p, Role role, Room room, Join join) {
    String user = p.userId();
    return room.read(state -> !state.feature(LobbyState.class).mustWait(state, user, role, p.guest())
            || state.isBanned(user) || state.ended())
        .compose(free -> free ? Future.succeededFuture(true) : room.details().map(d ->
            d.participants().stream().anyMatch(x -> x.getUserId().equals(user))
                || join.getLastSeq() > 0 && join.getEpoch().equals(d.epoch()) && join.getLastSeq() <= d.seq()));
  }
}
