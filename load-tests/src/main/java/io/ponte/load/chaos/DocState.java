package io.ponte.load.chaos;

import io.ponte.yjs.YDeleteSet;
import io.ponte.yjs.YStruct;
import io.ponte.yjs.YUpdate;
import io.ponte.yjs.YUpdates;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Yjs document's state, normalised for comparing replicas: the state vector, the delete set with
 * its ranges sorted and joined, and how many structs are still missing (skips). Two replicas with
 * the same items and the same deletions describe the same document whatever order they got the
 * updates in.
 */
final class DocState {
  private DocState() { }

  /** The normalised state of all these updates applied together. */
  static String of(List<byte[]> updates) {
    if (updates.isEmpty()) {
      return "sv{} ds{} missing=0";
    }
    byte[] merged = YUpdates.mergeUpdates(updates);
    Map<Long, Long> sv = new TreeMap<>(YUpdates.stateVectorFromUpdate(merged));
    YUpdate decoded = YUpdate.decode(merged);
    long missing = decoded.structs().stream().filter(s -> s instanceof YStruct.Skip).count();
    Map<Long, List<long[]>> ds = new TreeMap<>();
    for (Map.Entry<Long, List<YDeleteSet.Range>> e : decoded.deleteSet().clients().entrySet()) {
      List<YDeleteSet.Range> ranges = new ArrayList<>(e.getValue());
      ranges.sort((a, b) -> Long.compare(a.clock(), b.clock()));
      List<long[]> joined = new ArrayList<>();
      for (YDeleteSet.Range r : ranges) {
        long[] last = joined.isEmpty() ? null : joined.get(joined.size() - 1);
        if (last != null && r.clock() <= last[0] + last[1]) {
          last[1] = Math.max(last[1], r.clock() + r.len() - last[0]);
        } else {
          joined.add(new long[] {r.clock(), r.len()});
        }
      }
      ds.put(e.getKey(), joined);
    }
    StringBuilder sb = new StringBuilder("sv").append(sv).append(" ds{");
    ds.forEach((client, ranges) -> {
      sb.append(client).append(':');
      ranges.forEach(r -> sb.append('[').append(r[0]).append('+').append(r[1]).append(']'));
      sb.append(' ');
    });
    return sb.append("} missing=").append(missing).toString();
  }
}
