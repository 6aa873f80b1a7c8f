package io.ponte.server.room;

/** The room was unloaded between lookup and use; look it up again. */
public class RoomUnloadedException extends RuntimeException {
  public RoomUnloadedException() {
    super("room unloaded", null, false, false);
  }
}
