package io.ponte.server.store;

import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import java.util.List;

/**
 * What loading a room returns: its record, a snapshot (null when none was taken yet) and every
 * stored operation after the snapshot's seq, in seq order.
 */
public record StoredRoom(
    RoomRecord room, RoomStateRecord snapshot, List<SequencedOperation> operationsAfterSnapshot) {

  /** The highest seq stored for the room (0 when it has none). */
  public long lastSeq() {
    if (!operationsAfterSnapshot.isEmpty()) {
      return operationsAfterSnapshot.get(operationsAfterSnapshot.size() - 1).getSeq();
    }
    return snapshot == null ? 0 : snapshot.getSeq();
  }
}
