package io.ponte.server.session;

import io.ponte.protocol.v1.Role;
import io.ponte.server.room.Room;

/** A connection's place in a room: the room and its role there. */
public record Membership(Room room, Role role) {}
