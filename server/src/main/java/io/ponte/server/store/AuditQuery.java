package io.ponte.server.store;

/**
 * Which audit entries to read ({@link Store#audit}), newest first.
 *
 * @param roomId only this room's (null: every room's)
 * @param actorUserId only this actor's (null: everyone's)
 * @param fromMs only entries with time_ms at or after this (0: no bound)
 * @param toMs only entries with time_ms before this (0: no bound)
 * @param beforeId only entries with id below this (0: from the newest): the paging cursor
 * @param limit at most this many, 1 or more
 */
public record AuditQuery(String roomId, String actorUserId, long fromMs, long toMs, long beforeId,
    int limit) {
  public AuditQuery {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1, was " + limit);
    }
    if (fromMs < 0 || toMs < 0 || beforeId < 0) {
      throw new IllegalArgumentException("fromMs, toMs and beforeId must be >= 0");
    }
  }

  /** A room's newest entries. */
  public static AuditQuery room(String roomId, int limit) {
    return new AuditQuery(roomId, null, 0, 0, 0, limit);
  }
}
