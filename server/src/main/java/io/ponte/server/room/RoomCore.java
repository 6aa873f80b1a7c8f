package io.ponte.server.room;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;

/**
 * What every feature shares in a room, as features see it while validating and applying: seq,
 * settings, lock, end, bans, and the other features' states. The mutators are for the feature
 * that owns the operation changing them (moderation); others only read.
 */
public interface RoomCore {
  String roomId();

  /** The seq being applied (during apply), else the last applied. */
  long seq();

  RoomSettings settings();

  boolean locked();

  /** The session ended or the room was closed: nobody changes anything any more. */
  boolean ended();

  boolean isBanned(String userId);

  /** Another feature's state in this room (e.g. chat reads moderation's mutes); fails if absent. */
  <T extends FeatureState> T feature(Class<T> type);

  /** An error about this room. */
  ErrorInfo error(ErrorCode code, String message);

  /**
   * The checks every content change shares: observers are read-only, a banned user and an ended
   * session change nothing. Null when the actor may write.
   */
  default ErrorInfo mayWrite(String userId, Role role) {
    if (role == Role.OBSERVER) {
      return error(ErrorCode.READ_ONLY, "observers are read-only");
    }
    if (isBanned(userId)) {
      return error(ErrorCode.BANNED, "removed from this room");
    }
    if (ended()) {
      return error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    return null;
  }

  void ban(String userId);

  void liftBan(String userId);

  void lock(boolean locked);

  void end();
}
