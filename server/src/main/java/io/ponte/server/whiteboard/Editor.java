package io.ponte.server.whiteboard;

/** Who applies a board operation, and at which seq. */
record Editor(String userId, boolean teacher, long seq) {}
