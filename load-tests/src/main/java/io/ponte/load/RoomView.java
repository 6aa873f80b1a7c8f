package io.ponte.load;

/**
 * What one participant knows about one room: the highest seq processed and the epoch, as a
 * client keeps them for resuming. Checks that durable seqs arrive gap-free and exactly once.
 * Not thread-safe: used on the participant's event loop only.
 */
final class RoomView {
  final String roomId;
  long lastSeq;
  String epoch = "";
  boolean joined;
  /** A Leave was sent and its Left has not arrived: send nothing more, keep counting events. */
  boolean leaving;
  /** Seqs that never arrived (gaps), and seqs that arrived again. */
  long missed;
  long duplicates;

  RoomView(String roomId) {
    this.roomId = roomId;
  }

  /** A durable event (seq > 0). Returns true when it is the next seq (new, in order). */
  boolean onSeq(long seq) {
    if (seq <= lastSeq) {
      duplicates++;
      return false;
    }
    if (seq > lastSeq + 1) {
      missed += seq - lastSeq - 1;
    }
    lastSeq = seq;
    return true;
  }

  /**
   * After the missed events of a resuming Joined were applied: the room is at {@code seq}; any
   * difference means the server's replay did not fill the gap exactly.
   */
  void resumedAt(long seq, String newEpoch) {
    if (seq > lastSeq) {
      missed += seq - lastSeq;
      lastSeq = seq;
    } else if (seq < lastSeq) {
      // The server says the room is behind what we processed: we saw seqs it does not have.
      duplicates += lastSeq - seq;
    }
    epoch = newEpoch;
  }

  /** A snapshot (reset): start over from the room's seq. */
  void reset(long seq, String newEpoch) {
    lastSeq = seq;
    epoch = newEpoch;
  }
}
