package io.ponte.server.room;

import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;

/**
 * A feature's part of one room's deterministic state. Like the room's, every decision here depends
 * on the operation and the state alone (never the clock or the node), so every node applying the
 * same seqs ends in the same state with the same events.
 */
public interface FeatureState {
  /**
   * The apply-time checks of an operation this feature owns: null when it would take effect.
   * Changes nothing (also the early filter before sequencing).
   */
  ErrorInfo validate(Operation op, RoomCore room);

  /**
   * Applies an operation that {@link #validate} accepted at this seq ({@code room.seq()}): changes
   * the state and sets the event's body.
   */
  Outcome apply(Operation op, Event.Builder event, RoomCore room);

  /**
   * The audit log's note of an operation of this feature that {@link #apply} just accepted (the
   * state and {@code room} are as apply left them; {@code event} is the event it built), or null
   * when it is no teacher's or admin's action. Deterministic like apply: every node gets the same
   * note, and the room writes it once (see Room). Must not carry message contents, nor anything
   * that tells who answered an anonymous poll.
   */
  default AuditNote audit(Operation op, Event event, RoomCore room) {
    return null;
  }

  /**
   * The earlier operations that this one, valid at this seq and about to be applied, makes
   * obsolete in part (see {@link Redaction}), or null. Called before {@link #apply}, on every
   * node alike, also when a room replays its stored operations.
   */
  default Redaction redaction(Operation op, RoomCore room) {
    return null;
  }

  /** Writes this feature's fields of the snapshot record. */
  void writeTo(RoomStateRecord.Builder record);

  /**
   * Its fields of a snapshot taken now, to be encoded later on another thread: must not change
   * when the state goes on. By default a copy made by {@link #writeTo}.
   */
  default RecordPart snapshot() {
    RoomStateRecord.Builder b = RoomStateRecord.newBuilder();
    writeTo(b);
    return RecordPart.of(b.build());
  }

  /**
   * Whether the operation, valid, would change nothing (a Yjs update the document already holds):
   * then it is acknowledged as a duplicate of the room's current seq, neither sequenced nor stored.
   */
  default boolean changesNothing(Operation op) {
    return false;
  }

  /** Adds what a joining viewer sees of this feature to the join snapshot. */
  void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole);

  /**
   * Whether the room, ended, still admits a joiner in this role (read-only: an ended room takes
   * no writes). By default nobody joins an ended room.
   */
  default boolean admitsAfterEnd(Role role) {
    return false;
  }

  /**
   * A teacher removed (banned) the user at this seq, through another feature's operation: drop
   * what the user held as a member of the room (a raised hand). Runs on every node at the same
   * seq, so it changes the state like an operation; its event is the removal's.
   */
  default void userRemoved(String userId, RoomCore room) {}

  /**
   * What an applied operation means beyond its event.
   *
   * @param privateTo "" when everyone sees the event; else only this user and teachers do (the
   *     others get the seq as skipped, live and on resume); {@link #TEACHERS}: teachers only
   * @param effect what the room runtime carries out
   * @param affectedUser the user the effect is about ("" when none)
   */
  record Outcome(String privateTo, RoomState.Effect effect, String affectedUser) {
    public static final Outcome PUBLIC = new Outcome("", RoomState.Effect.NONE, "");

    /** The privateTo of an event for teachers only: holds a NUL, so it is nobody's user id. */
    public static final String TEACHERS = "\0teachers";

    public static Outcome privateTo(String userId) {
      return new Outcome(userId, RoomState.Effect.NONE, "");
    }

    public static Outcome teachersOnly() {
      return new Outcome(TEACHERS, RoomState.Effect.NONE, "");
    }
  }
}
