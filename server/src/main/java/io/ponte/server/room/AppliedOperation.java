package io.ponte.server.room;

import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;

/**
 * The outcome of applying one sequenced operation: the event everyone who may see it receives,
 * the rejection or duplicate verdict for its sender, and any effect the runtime must carry out.
 *
 * @param operation the operation as sequenced
 * @param event the event in full
 * @param privateTo "" when everyone may see the event in full; else only this user (the private
 *     message's author) and teachers may, and everybody else gets {@link #skippedEvent};
 *     {@link FeatureState.Outcome#TEACHERS}: teachers only
 * @param rejection why the operation did not take effect, or null
 * @param duplicateOf the seq of the earlier identical send when this was a retry, or 0
 * @param effect what the runtime has to do besides delivering
 * @param affectedUser the user an effect is about ("" when none)
 * @param redaction the earlier operations it makes obsolete in part, or null (see {@link Redaction})
 */
public record AppliedOperation(
    SequencedOperation operation,
    Event event,
    String privateTo,
    ErrorInfo rejection,
    long duplicateOf,
    RoomState.Effect effect,
    String affectedUser,
    Redaction redaction) {

  public AppliedOperation(SequencedOperation operation, Event event, String privateTo,
      ErrorInfo rejection, long duplicateOf, RoomState.Effect effect, String affectedUser) {
    this(operation, event, privateTo, rejection, duplicateOf, effect, affectedUser, null);
  }

  AppliedOperation withRedaction(Redaction r) {
    return r == null ? this : new AppliedOperation(operation, event, privateTo, rejection,
        duplicateOf, effect, affectedUser, r);
  }

  static AppliedOperation accepted(SequencedOperation op, Event event, String privateTo,
      RoomState.Effect effect, String affectedUser) {
    return new AppliedOperation(op, event, privateTo, null, 0, effect, affectedUser);
  }

  static AppliedOperation rejected(SequencedOperation op, Event skipped, ErrorInfo rejection) {
    return new AppliedOperation(op, skipped, "", rejection, 0,
        RoomState.Effect.NONE, "");
  }

  static AppliedOperation duplicate(SequencedOperation op, Event skipped, long originalSeq) {
    return new AppliedOperation(op, skipped, "", null, originalSeq,
        RoomState.Effect.NONE, "");
  }

  public long seq() {
    return operation.getSeq();
  }

  public boolean accepted() {
    return rejection == null && duplicateOf == 0;
  }

  /** Whether a viewer receives the event in full (else as skipped). */
  public boolean visibleTo(String viewerId, Role viewerRole) {
    return visible(privateTo, viewerId, viewerRole);
  }

  /** Whether a viewer may see an event private to {@code privateTo} (see FeatureState.Outcome). */
  static boolean visible(String privateTo, String viewerId, Role viewerRole) {
    return privateTo.isEmpty() || viewerRole == Role.TEACHER
        || privateTo.equals(viewerId) && !privateTo.equals(FeatureState.Outcome.TEACHERS);
  }

  /** The same seq with nothing in it, for receivers who may not see the event. */
  public Event skippedEvent() {
    return Event.newBuilder()
        .setRoomId(event.getRoomId())
        .setSeq(event.getSeq())
        .setServerTimeMs(event.getServerTimeMs())
        .setSkipped(io.ponte.protocol.v1.Skipped.getDefaultInstance())
        .build();
  }
}
