package io.ponte.server.store;

import io.ponte.protocol.v1.RoomSettings;

/**
 * A room as the store knows it: identity, the settings it was created with, and its epoch.
 *
 * @param roomId unique room id
 * @param epoch opaque id that changes whenever the room's history is lost
 * @param createdMs creation time, epoch milliseconds
 * @param settings settings at creation (later changes are operations)
 */
public record RoomRecord(String roomId, String epoch, long createdMs, RoomSettings settings) {}
