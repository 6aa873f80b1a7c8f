package io.ponte.server.whiteboard;

/**
 * Who applies a board operation, and at which seq; {@code redacted}: the operation is a redacted
 * copy (RoomCore#redacted), whose element content an erasure blanked after it took effect.
 */
record Editor(String userId, boolean teacher, long seq, boolean redacted) {}
