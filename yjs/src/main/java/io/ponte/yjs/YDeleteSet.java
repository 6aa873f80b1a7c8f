package io.ponte.yjs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A Yjs delete set: per client, a list of deleted clock ranges (in the order read or merged). */
public final class YDeleteSet {
  /** A deleted range of {@code len} clock units starting at {@code clock}. */
  public record Range(long clock, long len) { }

  private final Map<Long, List<Range>> clients = new LinkedHashMap<>();

  /** Clients in first-seen order, each with its ranges. */
  public Map<Long, List<Range>> clients() {
    return Collections.unmodifiableMap(clients);
  }

  public boolean isEmpty() {
    return clients.isEmpty();
  }

  public void add(long client, long clock, long len) {
    clients.computeIfAbsent(client, c -> new ArrayList<>()).add(new Range(clock, len));
  }

  /** Reads a V1 delete set; clients with no ranges are dropped, repeated clients are joined. */
  static YDeleteSet read(Lib0Decoder d) {
    YDeleteSet ds = new YDeleteSet();
    long numClients = d.readVarUint();
    for (long i = 0; i < numClients; i++) {
      long client = d.readVarUint();
      long n = d.readVarUint();
      for (long j = 0; j < n; j++) {
        long clock = d.readVarUint();
        long len = d.readVarUint();
        ds.add(client, clock, len);
      }
    }
    return ds;
  }

  /** Writes a V1 delete set, clients in decreasing id order, ranges as they are. */
  void write(Lib0Encoder enc) {
    List<Map.Entry<Long, List<Range>>> entries = new ArrayList<>(clients.entrySet());
    entries.sort((a, b) -> Long.compare(b.getKey(), a.getKey()));
    enc.writeVarUint(entries.size());
    for (Map.Entry<Long, List<Range>> e : entries) {
      enc.writeVarUint(e.getKey());
      enc.writeVarUint(e.getValue().size());
      for (Range r : e.getValue()) {
        enc.writeVarUint(r.clock()).writeVarUint(r.len());
      }
    }
  }

  /** Merges delete sets like yjs' mergeDeleteSets: concatenate per client, sort by clock, join overlaps. */
  static YDeleteSet merge(List<YDeleteSet> sets) {
    YDeleteSet merged = new YDeleteSet();
    for (int i = 0; i < sets.size(); i++) {
      for (Map.Entry<Long, List<Range>> e : sets.get(i).clients.entrySet()) {
        Long client = e.getKey();
        if (!merged.clients.containsKey(client)) {
          List<Range> dels = new ArrayList<>(e.getValue());
          for (int j = i + 1; j < sets.size(); j++) {
            List<Range> more = sets.get(j).clients.get(client);
            if (more != null) {
              dels.addAll(more);
            }
          }
          merged.clients.put(client, dels);
        }
      }
    }
    merged.sortAndMerge();
    return merged;
  }

  private void sortAndMerge() {
    for (Map.Entry<Long, List<Range>> e : clients.entrySet()) {
      List<Range> dels = e.getValue();
      dels.sort(Comparator.comparingLong(Range::clock));
      List<Range> out = new ArrayList<>(dels.size());
      for (Range r : dels) {
        if (!out.isEmpty()) {
          Range left = out.get(out.size() - 1);
          if (left.clock() + left.len() >= r.clock()) {
            out.set(out.size() - 1,
                new Range(left.clock(), Math.max(left.len(), r.clock() + r.len() - left.clock())));
            continue;
          }
        }
        out.add(r);
      }
      e.setValue(out);
    }
  }
}
