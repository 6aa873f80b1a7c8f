package io.ponte.server.broker;

import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.Future;
import java.util.List;

/**
 * Sequences a room's durable operations, publishes them and ephemeral messages to every node
 * that holds the room, and serves recent history for catching up.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Sequencing, appending to the room's history and publishing are one atomic step per
 *       operation: seqs are gap-free and strictly increasing per room, and every attached node
 *       is offered every seq.
 *   <li>A {@link RoomListener} receives operations in seq order, without gaps and without
 *       duplicates; an implementation that observes a gap fetches the missing range from its
 *       history before delivering. Listener calls for one room never overlap.
 *   <li>A seq is never issued twice under one epoch, even when the broker's backend loses
 *       operations it sequenced (a failover that lost the last writes): {@link #append} then
 *       fails with a message starting {@code PONTE_EPOCH}, a listener that sees a delivered seq
 *       re-issued gets {@link RoomListener#onSeqRegressed}, and attaching again gives a new
 *       epoch.
 *   <li>Ephemeral messages are best effort: never stored, may be dropped.
 *   <li>Failures go through the returned futures; nothing is thrown across threads.
 * </ul>
 */
public interface Broker {

  /**
   * Attaches this node to a room. {@code storedSeq} and {@code storedEpoch} are what this node's
   * store holds; the broker continues the sequence after {@code max(storedSeq, its own seq)}.
   * When the broker's own record of the room was lost, it starts a new epoch. Operations
   * sequenced after the returned future completes are delivered to {@code listener}.
   */
  Future<Attachment> attach(String roomId, long storedSeq, String storedEpoch, RoomListener listener);

  /** Detaches this node from a room; its listener gets nothing more. */
  Future<Void> detach(String roomId);

  /**
   * Forgets a room for good (its retention is over; the store erases it too): detaches it here and
   * drops what the broker keeps of it (seq, epoch, recent history), so that nothing of an erased
   * room stays behind in Redis. Attaching it again later starts from what the store says.
   */
  Future<Void> erase(String roomId);

  /**
   * Lets what the broker keeps of an ended room (seq, epoch, recent history) expire by itself at
   * {@code atMs} (epoch milliseconds: the end of its retention period), so that it does not
   * outlive the room's retention even where no sweep erases it. A room attached again later
   * starts from what the store says, with a new epoch. A deadline already past changes nothing
   * (the sweep erases the room). An in-process broker keeps nothing beyond the process: no-op.
   */
  default Future<Void> expireAt(String roomId, long atMs) {
    return Future.succeededFuture();
  }

  /** Sequences, records and publishes one operation; completes with the seq it got. */
  Future<Long> append(String roomId, Operation operation);

  /** Recorded operations with seq > afterSeq, in order, at most limit (may start later if trimmed). */
  Future<List<SequencedOperation>> history(String roomId, long afterSeq, int limit);

  /**
   * Rewrites the recorded history of a room at these seqs (a redaction, see room.Redaction): each
   * recorded operation among them is replaced by {@code rewrite} of it, marked redacted, so that a
   * later {@link #history} serves the rewritten copy and nothing of the original stays. Seqs no
   * longer (or not) recorded are left alone. Idempotent.
   */
  Future<Void> redact(String roomId, List<Long> seqs,
      java.util.function.UnaryOperator<io.ponte.protocol.v1.Operation> rewrite);

  /** Best-effort delivery of an ephemeral payload to every node holding the room (this one too). */
  void publishEphemeral(String roomId, byte[] payload);

  /** Whether the broker answers (for readiness). */
  Future<Void> ping();

  Future<Void> close();

  /** What a node learns when it attaches to a room. */
  record Attachment(String epoch, long seq) {}

  /**
   * Whether the broker's history of a room outlives this process, so that operations it
   * sequenced and this node delivered but never stored can be fetched after a crash (Redis: yes;
   * in process: no). Rooms that deliver before storing rely on it, or else mark the room so that
   * it starts a new epoch after a crash.
   */
  default boolean historyOutlivesProcess() {
    return true;
  }
}
