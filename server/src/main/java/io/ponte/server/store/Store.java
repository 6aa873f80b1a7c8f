package io.ponte.server.store;

import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * Durable rooms: a store keeps each room's record, its sequenced operations and snapshots of its
 * state.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>A future returned by {@link #append} completes successfully only once the operation is
 *       durable (it survives a kill -9 of the process). Appends are group-committed: many
 *       appends issued close together share one transaction.
 *   <li>Appends of one room are applied in the order they were called; appending a seq that is
 *       already stored with identical bytes succeeds (idempotent). With different bytes (two
 *       epochs issued the seq) the operation of the room's current epoch wins: it replaces a
 *       stored one of another epoch, and otherwise the append fails with
 *       {@link StoreException.Kind#CONFLICT}. Either way the losing operation is kept in the
 *       conflict table and counted ({@link #conflictsRecorded}), never dropped silently.
 *   <li>No method blocks the calling thread: JDBC runs on the store's own threads. Futures
 *       complete on the Vert.x context that made the call when there is one.
 *   <li>Failures go through the future as {@link StoreException}; nothing is thrown across
 *       threads.
 * </ul>
 */
public interface Store {

  /** Creates a room; fails with ROOM_EXISTS when the id is taken. */
  Future<Void> createRoom(RoomRecord room);

  /** The room's record, or empty. */
  Future<Optional<RoomRecord>> room(String roomId);

  /** Every room's record, ordered by room id. */
  Future<List<RoomRecord>> rooms();

  /**
   * Loads what is needed to rebuild a room: the snapshot to start from and the operations after
   * it. The snapshot chosen is the oldest one kept, so that the rebuilt room can serve resume
   * from as far back as possible. Fails with ROOM_NOT_FOUND.
   */
  Future<StoredRoom> load(String roomId);

  /** Durably appends one sequenced operation. See the class comment for ordering and idempotency. */
  Future<Void> append(String roomId, SequencedOperation operation);

  /**
   * Fills a seq that no node could recover with {@code placeholder} (a {@code SeqSkipped}
   * operation), unless the room already has an operation at that seq: a conditional write, so that
   * of several nodes filling one seq at once exactly one wins. Completes, once durable, with the
   * operation stored at that seq afterwards (the placeholder, or what was there first).
   */
  Future<SequencedOperation> fillSkipped(String roomId, SequencedOperation placeholder);

  /** Conflicts this store recorded since it was opened (see the class comment): for a metric. */
  default long conflictsRecorded() {
    return 0;
  }

  /**
   * Rewrites stored operations of a room (a redaction, see room.Redaction): each one stored at
   * one of {@code seqs} is replaced by {@code rewrite} of it and marked redacted; one not stored
   * is left alone. Every snapshot with a seq below {@code snapshotsBefore} is replaced by
   * {@code rewriteSnapshot} of it. Idempotent; a later {@link #append} of an original copy keeps
   * the redacted one. Completes with how many rows changed, once they are durable.
   */
  Future<Integer> redact(String roomId, List<Long> seqs,
      java.util.function.UnaryOperator<io.ponte.protocol.v1.Operation> rewrite,
      long snapshotsBefore, java.util.function.UnaryOperator<RoomStateRecord> rewriteSnapshot);

  /** The seqs in [fromSeq, toSeq] this room has stored operations at, ascending. */
  Future<List<Long>> storedSeqs(String roomId, long fromSeq, long toSeq);

  /**
   * Asks the store to wipe soon what rewritten or deleted rows may have left behind in its files
   * (SQLite: free pages and the WAL; see {@link #redact}). Best effort, returns at once.
   */
  default void scrub() {}

  /** Stored operations with seq in (afterSeq, afterSeq + limit], in seq order. */
  Future<List<SequencedOperation>> operations(String roomId, long afterSeq, int limit);

  /**
   * Saves a snapshot of the room's state at {@code state.getSeq()}, and prunes older snapshots
   * beyond the newest {@code keep}.
   */
  Future<Void> saveSnapshot(String roomId, RoomStateRecord state, int keep);

  /**
   * As {@link #saveSnapshot(String, RoomStateRecord, int)}, for a state already encoded: the
   * encoding of a {@code RoomStateRecord} of this room at {@code seq} (a room encodes its own
   * snapshots off its event loop, without building the record's objects).
   */
  Future<Void> saveSnapshot(String roomId, long seq, byte[] encodedState, int keep);

  /** Replaces a room's epoch (its history was lost and a new one starts). */
  Future<Void> setEpoch(String roomId, String epoch);

  /**
   * Records when the room's session ended or the room was closed (the first call counts), which
   * starts its retention period. Fails with ROOM_NOT_FOUND.
   */
  Future<Void> markEnded(String roomId, long endedMs);

  /** Ids of ended rooms whose retention period (settings.retention_days after the end) is over. */
  default Future<List<String>> expiredRooms(long nowMs) {
    return expiredRooms(nowMs, Integer.MAX_VALUE);
  }

  /**
   * As {@link #expiredRooms(long)}, with no room kept longer than {@code maxRetentionDays} after
   * its end whatever its settings ask (the node's max-retention-days, also for rooms created
   * before it was lowered).
   */
  Future<List<String>> expiredRooms(long nowMs, int maxRetentionDays);

  /**
   * Durably records an audit entry of an existing room (its id is given here: the entry's is
   * ignored). An entry with a seq is recorded once per (room, seq): writing it again, from any
   * node, changes nothing. Fails with ROOM_NOT_FOUND.
   */
  Future<Void> appendAudit(AuditEntry entry);

  /** Audit entries matching the query, newest first, with their ids. */
  Future<List<AuditEntry>> audit(AuditQuery query);

  /** Erases a room: its record, operations, snapshots and audit entries. Fails with ROOM_NOT_FOUND. */
  Future<Void> deleteRoom(String roomId);

  /** Records a new erasure job (see admin.ErasureJobs). */
  Future<Void> createErasureJob(ErasureJob job);

  /** The job, or empty. */
  Future<java.util.Optional<ErasureJob>> erasureJob(String jobId);

  /** The newest job erasing the user with this pseudonym, or empty. */
  Future<java.util.Optional<ErasureJob>> latestErasureJob(String pseudonym);

  /** Jobs not done yet, oldest first. */
  Future<List<ErasureJob>> unfinishedErasureJobs();

  /**
   * Claims a job for this node until {@code untilMs}: succeeds (true) when it is not done and
   * unclaimed, claimed by this node, or its claim ran out before {@code nowMs}. Atomic across the
   * nodes sharing the store: one node runs a job at a time.
   */
  Future<Boolean> claimErasureJob(String jobId, String node, long nowMs, long untilMs);

  /**
   * Saves a job's progress (and state, finish time, user id) while this node holds its claim;
   * false when it does not any more (another node took it over).
   */
  Future<Boolean> updateErasureJob(ErasureJob job, String node);

  /**
   * Rewrites every audit entry that {@code rewrite} changes (the erasure of one learner), also
   * its actor column. Completes with how many entries changed.
   */
  Future<Integer> rewriteAudit(java.util.function.UnaryOperator<AuditEntry> rewrite);

  /** Whether the store answers (for readiness). */
  Future<Void> ping();

  /** Finishes pending writes, then releases the database. Later calls fail with UNAVAILABLE. */
  Future<Void> close();
}
