package io.ponte.server.room;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.Skipped;
import io.ponte.server.util.EncodedRing;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A room's last applied events, for members who resume: the events they missed are replayed from
 * here. Each event is kept as its encoded bytes in an {@link EncodedRing}, not as the objects it
 * was applied as: a window of thousands of events per room would otherwise hold a dozen objects
 * per event (operation, event, strings), which costs memory (a typed document fills the window
 * with one-keystroke updates) and, worse, makes every young collection copy them all while they
 * survive, which is where the delivery latency's tail came from under load. Decoding happens only
 * when someone resumes.
 */
final class ResumeWindow {

  private final int capacity;
  private final EncodedRing events;
  /** Who may see each private event, by seq; public events have no entry. */
  private final TreeMap<Long, String> privateTo = new TreeMap<>();

  ResumeWindow(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    this.capacity = capacity;
    this.events = capacity == 0 ? null : new EncodedRing(capacity);
  }

  void add(AppliedOperation applied) {
    if (capacity == 0) {
      return;
    }
    events.add(applied.seq(), applied.event());
    if (!applied.privateTo().isEmpty()) {
      privateTo.put(applied.seq(), applied.privateTo());
    }
    if (!privateTo.isEmpty()) {
      privateTo.headMap(events.firstKey()).clear();
    }
    if (!rewritten.isEmpty()) {
      rewritten.headMap(events.firstKey()).clear();
    }
  }

  void clear() {
    if (events != null) {
      events.clear();
    }
    privateTo.clear();
    rewritten.clear();
  }

  /** Rewritten events that did not fit over their old bytes, by seq. */
  private final TreeMap<Long, Event> rewritten = new TreeMap<>();

  /** Rewrites the event at this seq when the window holds it (a redaction). */
  void rewrite(long seq, java.util.function.UnaryOperator<Event> rewrite) {
    if (size() == 0) {
      return;
    }
    int i = events.indexOf(seq);
    if (i < 0) {
      return;
    }
    Event before = decode(i, seq);
    Event after = rewrite.apply(before);
    if (after.equals(before)) {
      return;
    }
    if (events.overwrite(i, after)) {
      rewritten.remove(seq);
    } else {
      rewritten.put(seq, after);
    }
  }

  int size() {
    return events == null ? 0 : events.size();
  }

  /** The seq of the oldest event held, or {@code nextSeq} when none is. */
  long oldestSeq(long nextSeq) {
    return size() == 0 ? nextSeq : events.firstKey();
  }

  /**
   * The events after {@code afterSeq} as the viewer may see them (private ones as skipped), in
   * seq order.
   */
  List<Event> after(long afterSeq, String roomId, String viewerId, Role viewerRole) {
    ArrayList<Event> out = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      long seq = events.key(i);
      if (seq <= afterSeq) {
        continue;
      }
      String only = privateTo.get(seq);
      boolean visible = only == null || AppliedOperation.visible(only, viewerId, viewerRole);
      Event event = decode(i, seq);
      out.add(visible ? event : Event.newBuilder()
          .setRoomId(roomId)
          .setSeq(seq)
          .setServerTimeMs(event.getServerTimeMs())
          .setSkipped(Skipped.getDefaultInstance())
          .build());
    }
    return out;
  }

  private Event decode(int i, long seq) {
    Event replaced = rewritten.get(seq);
    if (replaced != null) {
      return replaced;
    }
    try {
      return events.parse(i, Event.parser());
    } catch (InvalidProtocolBufferException ex) {
      // The bytes were encoded by this process from a valid Event; this cannot happen.
      throw new IllegalStateException("resume window entry " + seq + " cannot be decoded", ex);
    }
  }
}
