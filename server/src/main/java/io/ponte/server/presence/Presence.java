package io.ponte.server.presence;

import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.PresenceChanged;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Records, per room, which users are present with how many connections on which node, so that a
 * participant is listed once whatever node(s) their connections are on.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Each node owns its entries of a room and replaces them as a whole with {@link #sync}; one
 *       sync is atomic with respect to every other node's syncs of the room.
 *   <li>The room's participants are the entries of every node merged per user: connections
 *       summed, the highest role (teacher, then student, then observer), {@code ACTIVE} when any
 *       node says so, the display name of the earliest entry; listed by the time the user first
 *       appeared (then user id).
 *   <li>Every sync renews the node's lease on the room. An implementation with leases
 *       ({@link #renewIntervalMs()} &gt; 0) removes, on any node's sync, the entries of nodes whose
 *       lease ran out (a node that died); the sync that removed them reports the changes, so
 *       exactly one node announces them.
 *   <li>A sync reports every change of a merged participant it made: the user's participant
 *       before and after (null when absent), from which the {@link PresenceChanged.Kind} follows.
 *   <li>Failures go through the returned futures; nothing is thrown across threads. Futures
 *       complete on the calling Vert.x context when there is one.
 * </ul>
 */
public interface Presence {

  /**
   * Replaces this node's entries of a room by {@code local} (user id to this node's entry, its
   * {@code connections} being this node's count; empty when nobody is here), renews this node's
   * lease and drops the entries of nodes whose lease ran out.
   */
  Future<Result> sync(String roomId, Map<String, Entry> local);

  /**
   * Forgets a room for good (its retention is over): drops every node's entries and leases of
   * it, so that no participant of an erased room outlives it here.
   */
  Future<Void> erase(String roomId);

  /** The room's participants, merged over every node. */
  Future<List<Participant>> participants(String roomId);

  /**
   * How often a node must sync each room it holds to keep its lease; 0 when entries never
   * expire (one node in one process).
   */
  long renewIntervalMs();

  Future<Void> close();

  /** One node's view of one user: the participant as seen here, and when it appeared here. */
  record Entry(Participant participant, long sinceMs) {
    public Entry {
      Objects.requireNonNull(participant, "participant");
    }
  }

  /** A merged participant before and after a sync; null when absent. */
  record Change(Participant before, Participant after) {
    /** JOINED, LEFT or UPDATED. */
    public PresenceChanged.Kind kind() {
      if (before == null) {
        return PresenceChanged.Kind.JOINED;
      }
      return after == null ? PresenceChanged.Kind.LEFT : PresenceChanged.Kind.UPDATED;
    }

    public String userId() {
      return after != null ? after.getUserId() : before.getUserId();
    }
  }

  /** What a sync changed, and the room's participants after it. */
  record Result(List<Change> changes, List<Participant> participants) {}
}
