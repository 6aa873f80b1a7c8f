package io.ponte.server.room;

import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Permissions;
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

  /**
   * Whether the operation being validated or applied is a redacted copy ({@link Redaction}): it
   * took effect as its original did, so checks on the content that was blanked are skipped.
   */
  default boolean redacted() {
    return false;
  }

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

  /**
   * Whether the participant, in this role, has the capability now: teachers every one, observers
   * none, a student their override ({@link CapabilityOverrides}) or else the room's default.
   * Deterministic (state only), so every node decides alike. This default knows no overrides
   * (a core without the permissions feature); {@link RoomState} asks the feature keeping them.
   */
  default boolean allows(String userId, Role role, Capability capability) {
    return Capabilities.allowed(role, null, settings().getStudentPermissions(), capability);
  }

  /**
   * The check every feature makes where it acts: {@link #mayWrite}, then the capability
   * ({@link #allows}): CAPABILITY_DENIED naming it. Null when the actor may.
   */
  default ErrorInfo mayUse(String userId, Role role, Capability capability) {
    ErrorInfo refused = mayWrite(userId, role);
    if (refused != null || allows(userId, role, capability)) {
      return refused;
    }
    return error(ErrorCode.CAPABILITY_DENIED,
        Capabilities.label(capability) + " is not allowed for you in this room");
  }

  void ban(String userId);

  void liftBan(String userId);

  void lock(boolean locked);

  void end();

  /** Replaces the room's defaults for students (the permissions feature's operation). */
  void setStudentPermissions(Permissions defaults);
}
