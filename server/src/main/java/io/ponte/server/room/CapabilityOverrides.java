package io.ponte.server.room;

import io.ponte.protocol.v1.Capability;

/**
 * A feature state holding participants' overrides of the room's defaults for students (the
 * permissions feature). The room core asks it in {@link RoomCore#allows}, so no feature depends on
 * the one that keeps the overrides.
 */
public interface CapabilityOverrides {
  /** The participant's override of the capability: true (allow), false (deny), or null (none). */
  Boolean override(String userId, Capability capability);
}
