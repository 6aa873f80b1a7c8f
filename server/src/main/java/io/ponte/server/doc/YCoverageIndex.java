package io.ponte.server.doc;

import io.ponte.yjs.YDeleteSet;
import io.ponte.yjs.YStruct;
import io.ponte.yjs.YUpdate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * What a document has seen, kept incrementally as updates are added, so that "would this update
 * change the document?" costs the update's size rather than the document's: per client an upper
 * bound of its clock, and the union of every delete range. A live edit goes past the bound and is
 * answered at once; only an update within the bound (a resend) needs {@link YCoverage} on the
 * merged document. Not thread-safe.
 */
public final class YCoverageIndex {
  private final Map<Long, Long> clockBound = new HashMap<>();
  /** Per client: deleted ranges as start → end, disjoint and not touching. */
  private final Map<Long, TreeMap<Long, Long>> deleted = new HashMap<>();

  /** An index of the given update (a whole document); throws YUpdateException when malformed. */
  public YCoverageIndex(byte[] document) {
    add(document);
  }

  /** Records an update added to the document (validated: throws YUpdateException otherwise). */
  public void add(byte[] update) {
    YUpdate u = YUpdate.decode(update);
    for (YStruct s : u.structs()) {
      if (!(s instanceof YStruct.Skip)) {
        clockBound.merge(s.client(), s.end(), Math::max);
      }
    }
    for (Map.Entry<Long, List<YDeleteSet.Range>> e : u.deleteSet().clients().entrySet()) {
      TreeMap<Long, Long> ranges = deleted.computeIfAbsent(e.getKey(), c -> new TreeMap<>());
      for (YDeleteSet.Range r : e.getValue()) {
        if (r.len() > 0) {
          insert(ranges, r.clock(), r.clock() + r.len());
        }
      }
    }
  }

  private static void insert(TreeMap<Long, Long> ranges, long from, long to) {
    Map.Entry<Long, Long> before = ranges.floorEntry(from);
    if (before != null && before.getValue() >= from) {
      from = before.getKey();
      to = Math.max(to, before.getValue());
    }
    Map.Entry<Long, Long> next = ranges.ceilingEntry(from);
    while (next != null && next.getKey() <= to) {
      to = Math.max(to, next.getValue());
      ranges.remove(next.getKey());
      next = ranges.ceilingEntry(from);
    }
    ranges.put(from, to);
  }

  /** The parts of [from, to) of a client that no update added so far deleted, as [start, end) pairs. */
  public java.util.List<long[]> notDeleted(long client, long from, long to) {
    java.util.List<long[]> out = new java.util.ArrayList<>();
    TreeMap<Long, Long> ranges = deleted.get(client);
    long at = from;
    if (ranges != null) {
      Map.Entry<Long, Long> h = ranges.floorEntry(from);
      if (h == null || h.getValue() <= from) {
        h = ranges.higherEntry(from);
      }
      while (h != null && h.getKey() < to && at < to) {
        if (h.getKey() > at) {
          out.add(new long[] {at, h.getKey()});
        }
        at = Math.max(at, h.getValue());
        h = ranges.higherEntry(h.getKey());
      }
    }
    if (at < to) {
      out.add(new long[] {at, to});
    }
    return out;
  }

  /**
   * Whether applying the update would change nothing; {@code merged} gives the whole document
   * for the rare exact check. Throws YUpdateException when the update is malformed.
   */
  public boolean covers(byte[] update, Supplier<byte[]> merged) {
    YUpdate u = YUpdate.decode(update);
    boolean structs = false;
    for (YStruct s : u.structs()) {
      if (s instanceof YStruct.Skip) {
        continue;
      }
      if (s.end() > clockBound.getOrDefault(s.client(), 0L)) {
        return false;
      }
      structs = true;
    }
    if (structs) {
      // Within the bound is not yet "in the document" (a gap may lie below it): ask exactly.
      return YCoverage.covers(merged.get(), update);
    }
    for (Map.Entry<Long, List<YDeleteSet.Range>> e : u.deleteSet().clients().entrySet()) {
      TreeMap<Long, Long> ranges = deleted.get(e.getKey());
      for (YDeleteSet.Range r : e.getValue()) {
        if (r.len() == 0) {
          continue;
        }
        Map.Entry<Long, Long> h = ranges == null ? null : ranges.floorEntry(r.clock());
        if (h == null || h.getValue() < r.clock() + r.len()) {
          return false;
        }
      }
    }
    return true;
  }
}
