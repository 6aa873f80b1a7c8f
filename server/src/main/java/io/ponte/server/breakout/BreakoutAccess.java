package io.ponte.server.breakout;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Breakout;
import io.ponte.protocol.v1.BreakoutRound;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.LobbyMode;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.server.auth.Principal;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.session.RoomAccess;
import io.ponte.server.store.RoomRecord;
import io.ponte.server.store.Store;
import io.ponte.server.store.StoreException;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * Admission to breakout rooms: a token granting the parent room admits to its breakouts as the
 * parent's state says. For a room id with a breakout's shape ({@link BreakoutIds}) whose parent
 * the token grants, the parent (loaded on this node when needed) decides:
 * <ul>
 *   <li>round open: the parent's teachers enter any breakout as teachers; anyone else enters the
 *       breakout they are placed in, with their role in the parent (BREAKOUT_NOT_ASSIGNED for
 *       another). The breakout's room is created on first entry (the parent's settings, the
 *       breakout's name as title).
 *   <li>round closed (or the parent ended): the parent's teachers enter read-only (as observers) to read what was made
 *       there; the room is ended first if its end was missed. Others: BREAKOUT_CLOSED.
 *   <li>not a breakout of that parent: BREAKOUT_NOT_FOUND.
 * </ul>
 * Any other room id, or a parent the token does not grant, goes by the token alone.
 */
public final class BreakoutAccess implements RoomAccess {
  private final RoomRegistry rooms;
  private final Store store;

  public BreakoutAccess(RoomRegistry rooms, Store store) {
    this.rooms = rooms;
    this.store = store;
  }

  @Override
  public Future<Role> roleFor(Principal principal, String roomId) {
    Role direct = principal.roleFor(roomId);
    BreakoutIds.Parsed id = BreakoutIds.parse(roomId);
    Role parentRole = id == null ? null : principal.roleFor(id.parentId());
    if (parentRole == null) {
      return Future.succeededFuture(direct);
    }
    String userId = principal.userId();
    return rooms.room(id.parentId())
        .compose(parent -> parent.read(state -> {
          BreakoutState b = state.feature(BreakoutState.class);
          BreakoutState.Standing standing = b.standing(roomId, userId);
          // A class that ended with its breakouts open: they are over too.
          if (state.ended() && standing != BreakoutState.Standing.UNKNOWN) {
            standing = BreakoutState.Standing.CLOSED;
          }
          return new Found(parent, standing, b.roundOf(roomId), state.settings());
        }))
        // No such parent: then the id is just a room's name.
        .recover(err -> err instanceof RoomException re && re.error().getCode() == ErrorCode.ROOM_NOT_FOUND
            ? Future.succeededFuture(new Found(null, BreakoutState.Standing.UNKNOWN, null, null))
            : Future.failedFuture(err))
        .compose(found -> switch (found.standing) {
          case UNKNOWN -> direct != null ? Future.succeededFuture(direct)
              : refuse(ErrorCode.BREAKOUT_NOT_FOUND, "no such breakout in " + id.parentId(), roomId);
          case PLACED -> created(roomId, found).map(parentRole);
          case NOT_PLACED -> parentRole == Role.TEACHER ? created(roomId, found).map(Role.TEACHER)
              : refuse(ErrorCode.BREAKOUT_NOT_ASSIGNED, "you are placed in another breakout", roomId);
          case CLOSED -> parentRole == Role.TEACHER
              ? ended(roomId, found, principal).map(Role.OBSERVER)
              : refuse(ErrorCode.BREAKOUT_CLOSED, "this breakout has closed", roomId);
        });
  }

  private record Found(Room parent, BreakoutState.Standing standing, BreakoutRound round,
      RoomSettings settings) {}

  private static <T> Future<T> refuse(ErrorCode code, String message, String roomId) {
    return Future.failedFuture(new RoomException(code, message));
  }

  /** The breakout's room exists in the store (created now on its first entry). */
  private Future<Void> created(String roomId, Found found) {
    if (rooms.loadedRoom(roomId) != null) {
      return Future.succeededFuture(); // held here: it exists
    }
    return store.room(roomId).compose(existing -> {
      if (existing.isPresent()) {
        return Future.succeededFuture();
      }
      // No lobby in a breakout: its learners were admitted to the main room, and a teacher placed
      // them here (a waiting learner would wait for a teacher who is not there).
      RoomSettings settings = found.settings.toBuilder().setTitle(nameOf(found.round, roomId))
          .setLobby(LobbyMode.LOBBY_OFF).build();
      return store.createRoom(new RoomRecord(roomId, UUID.randomUUID().toString(),
              System.currentTimeMillis(), settings))
          // Two joiners (or two nodes) creating it at once: the other one did.
          .recover(err -> err instanceof StoreException se && se.kind() == StoreException.Kind.ROOM_EXISTS
              ? Future.succeededFuture() : Future.failedFuture(err));
    });
  }

  /** The closed breakout's room has ended (its end is issued now if a node missed it). */
  private Future<Void> ended(String roomId, Found found, Principal principal) {
    Actor teacher = Actor.newBuilder().setUserId(principal.userId())
        .setDisplayName(principal.displayName()).setRole(Role.TEACHER).build();
    return rooms.room(roomId)
        .compose(room -> room.read(state -> state.ended()))
        .compose(ended -> ended ? Future.succeededFuture()
            : BreakoutWatch.end(found.parent, roomId, found.round.getRoundSeq(), teacher));
  }

  private static String nameOf(BreakoutRound round, String roomId) {
    for (Breakout b : round.getBreakoutsList()) {
      if (b.getRoomId().equals(roomId)) {
        return b.getName();
      }
    }
    return roomId;
  }
}
