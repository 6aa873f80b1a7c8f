package io.ponte.server.room;

import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Earlier operations of a room that an operation just applied makes obsolete in part (a deleted
 * chat message's text, an edited message's earlier texts): every copy of them is rewritten, in
 * the store, the broker's history, the resume window and the snapshots, so that what was deleted
 * is gone and not merely hidden. The seqs stay: sequencing, resume and replay go on working.
 *
 * <p>The rewrites must be deterministic, idempotent ({@code f(f(x)) == f(x)}) and must keep the
 * operation's effect on a replay: a redacted copy is applied without the content checks its
 * original passed ({@link RoomCore#redacted()}), and a fresh node replaying the rewritten
 * operations ends in the same state as a node that applied the originals.
 *
 * @param seqs the seqs to rewrite, ascending, all below the operation's own
 * @param operation how a stored operation at one of them is rewritten
 * @param event how its event (resume window) is rewritten
 * @param snapshot how a snapshot taken before the operation is rewritten: what it removes from
 *     the state must go from the snapshot too, and a replay of the rewritten operations up to the
 *     snapshot's seq must give the rewritten snapshot
 */
public record Redaction(List<Long> seqs, UnaryOperator<Operation> operation,
    UnaryOperator<Event> event, UnaryOperator<RoomStateRecord> snapshot) {
  public Redaction {
    seqs = List.copyOf(seqs);
  }

  /**
   * By seqs: the rewrites are functions, never equal across runs, and are what the operation that
   * made the redaction determines (so two runs of one room compare equal).
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Redaction r && r.seqs.equals(seqs);
  }

  @Override
  public int hashCode() {
    return seqs.hashCode();
  }
}
