package io.ponte.server.store;

/** A store operation that failed; {@link #kind()} tells callers what to answer. */
public class StoreException extends RuntimeException {
  /** Why a store call failed. */
  public enum Kind {
    /** createRoom for an id that exists. */
    ROOM_EXISTS,
    /** A call about a room the store does not have. */
    ROOM_NOT_FOUND,
    /** append of a seq the room already has with different content (or a seq of 0 or less). */
    CONFLICT,
    /** The database failed or the store is closed. */
    UNAVAILABLE
  }

  private final Kind kind;

  public StoreException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public StoreException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
