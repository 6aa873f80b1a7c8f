package io.ponte.server.doc;

import io.ponte.yjs.YDeleteSet;
import io.ponte.yjs.YStruct;
import io.ponte.yjs.YUpdate;
import io.ponte.yjs.YUpdates;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Whether a Yjs update would change a document at all. */
public final class YCoverage {
  private YCoverage() { }

  /**
   * True when every struct of {@code update} is already in {@code doc} (by its state vector) and
   * every deletion of {@code update} is already in the document's delete set: applying the update
   * changes nothing. Throws YUpdateException when either is malformed.
   */
  public static boolean covers(byte[] doc, byte[] update) {
    YUpdate u = YUpdate.decode(update);
    Map<Long, Long> sv = YUpdates.stateVectorFromUpdate(doc);
    for (YStruct s : u.structs()) {
      if (s instanceof YStruct.Skip) {
        continue;
      }
      if (s.end() > sv.getOrDefault(s.client(), 0L)) {
        return false;
      }
    }
    if (u.deleteSet().isEmpty()) {
      return true;
    }
    Map<Long, List<YDeleteSet.Range>> known = YUpdate.decode(doc).deleteSet().clients();
    for (Map.Entry<Long, List<YDeleteSet.Range>> e : u.deleteSet().clients().entrySet()) {
      List<YDeleteSet.Range> have = new ArrayList<>(known.getOrDefault(e.getKey(), List.of()));
      have.sort(Comparator.comparingLong(YDeleteSet.Range::clock));
      for (YDeleteSet.Range r : e.getValue()) {
        if (r.len() > 0 && !covered(have, r.clock(), r.clock() + r.len())) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean covered(List<YDeleteSet.Range> sorted, long from, long to) {
    long at = from;
    for (YDeleteSet.Range h : sorted) {
      if (h.clock() > at) {
        return false;
      }
      at = Math.max(at, h.clock() + h.len());
      if (at >= to) {
        return true;
      }
    }
    return at >= to;
  }
}
