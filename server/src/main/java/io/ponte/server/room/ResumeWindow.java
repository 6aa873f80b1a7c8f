package io.ponte.server.room;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.Skipped;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A room's last applied events, for members who resume: the events they missed are replayed from
 * here. Each event is kept as its encoded bytes, not as the objects it was applied as: a window of
 * thousands of events per room would otherwise hold a dozen objects per event (operation, event,
 * strings), which costs memory (a typed document fills the window with one-keystroke updates) and,
 * worse, makes every young collection copy them all while they survive, which is where the
 * delivery latency's tail came from under load. Decoding happens only when someone resumes.
 */
final class ResumeWindow {

  private record Entry(long seq, long serverTimeMs, String privateTo, byte[] event) { }

  private final int capacity;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  ResumeWindow(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    this.capacity = capacity;
  }

  void add(AppliedOperation applied) {
    if (capacity == 0) {
      return;
    }
    Event event = applied.event();
    entries.addLast(new Entry(applied.seq(), event.getServerTimeMs(), applied.privateTo(),
        event.toByteArray()));
    while (entries.size() > capacity) {
      entries.removeFirst();
    }
  }

  void clear() {
    entries.clear();
  }

  int size() {
    return entries.size();
  }

  /** The seq of the oldest event held, or {@code nextSeq} when none is. */
  long oldestSeq(long nextSeq) {
    return entries.isEmpty() ? nextSeq : entries.peekFirst().seq();
  }

  /**
   * The events after {@code afterSeq} as the viewer may see them (private ones as skipped), in
   * seq order.
   */
  List<Event> after(long afterSeq, String roomId, String viewerId, Role viewerRole) {
    ArrayList<Event> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.seq() <= afterSeq) {
        continue;
      }
      boolean visible = e.privateTo().isEmpty() || viewerRole == Role.TEACHER
          || e.privateTo().equals(viewerId);
      out.add(visible ? decode(e) : Event.newBuilder()
          .setRoomId(roomId)
          .setSeq(e.seq())
          .setServerTimeMs(e.serverTimeMs())
          .setSkipped(Skipped.getDefaultInstance())
          .build());
    }
    return out;
  }

  private static Event decode(Entry e) {
    try {
      return Event.parseFrom(e.event());
    } catch (InvalidProtocolBufferException ex) {
      // The bytes were encoded by this process from a valid Event; this cannot happen.
      throw new IllegalStateException("resume window entry " + e.seq() + " cannot be decoded", ex);
    }
  }
}
