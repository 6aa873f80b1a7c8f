package io.ponte.server.export;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.DocumentRecord;
import io.ponte.yjs.YContent;
import io.ponte.yjs.YDeleteSet;
import io.ponte.yjs.YId;
import io.ponte.yjs.YStruct;
import io.ponte.yjs.YUpdate;
import io.ponte.yjs.YUpdateException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The text a set of Yjs client ids inserted into a document that is still there: the string items
 * of those clients in the document's current state (its merged update and the updates pending
 * after it), minus every deleted range. Without a document model the pieces come in the order
 * they were typed (client, then clock), not in the document's order; a piece typed right after
 * the previous one (its origin is the previous piece's last character) continues it.
 */
final class DocText {
  private DocText() {}

  /** The pieces of text still present, in typing order; empty when the clients wrote nothing left. */
  static List<String> stillPresent(DocumentRecord doc, Set<Long> clients) {
    if (clients.isEmpty()) {
      return List.of();
    }
    List<YUpdate> updates = new ArrayList<>();
    decodeInto(doc.getState(), updates);
    for (ByteString pending : doc.getPendingList()) {
      decodeInto(pending, updates);
    }
    Map<Long, List<YDeleteSet.Range>> deleted = new HashMap<>();
    // client → clock → item; a later update's copy of the same item changes nothing
    Map<Long, TreeMap<Long, YStruct.Item>> items = new TreeMap<>();
    for (YUpdate u : updates) {
      u.deleteSet().clients().forEach((client, ranges) ->
          deleted.computeIfAbsent(client, c -> new ArrayList<>()).addAll(ranges));
      for (YStruct s : u.structs()) {
        if (s instanceof YStruct.Item item && clients.contains(item.client())
            && item.content() instanceof YContent.Str) {
          items.computeIfAbsent(item.client(), c -> new TreeMap<>()).putIfAbsent(item.clock(), item);
        }
      }
    }
    List<String> pieces = new ArrayList<>();
    for (Map.Entry<Long, TreeMap<Long, YStruct.Item>> e : items.entrySet()) {
      long[][] gone = merged(deleted.getOrDefault(e.getKey(), List.of()));
      int g = 0;
      StringBuilder current = new StringBuilder();
      YId lastKept = null;
      for (YStruct.Item item : e.getValue().values()) {
        String str = ((YContent.Str) item.content()).str();
        long clock = item.clock();
        for (int i = 0; i < str.length(); i++) {
          while (g < gone.length && gone[g][1] <= clock + i) {
            g++;
          }
          if (g < gone.length && gone[g][0] <= clock + i) {
            continue; // deleted
          }
          boolean continues = lastKept != null && lastKept.clock() == clock + i - 1
              && (i > 0 || lastKept.equals(item.origin()));
          if (!continues && current.length() > 0) {
            pieces.add(current.toString());
            current.setLength(0);
          }
          current.append(str.charAt(i));
          lastKept = new YId(item.client(), clock + i);
        }
      }
      if (current.length() > 0) {
        pieces.add(current.toString());
      }
    }
    return pieces;
  }

  /** The ranges as sorted, disjoint {start, end} pairs (clocks are visited in increasing order). */
  private static long[][] merged(List<YDeleteSet.Range> ranges) {
    List<long[]> sorted = new ArrayList<>();
    for (YDeleteSet.Range r : ranges) {
      sorted.add(new long[] {r.clock(), r.clock() + r.len()});
    }
    sorted.sort((a, b) -> Long.compare(a[0], b[0]));
    List<long[]> out = new ArrayList<>();
    for (long[] r : sorted) {
      long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && r[0] <= last[1]) {
        last[1] = Math.max(last[1], r[1]);
      } else {
        out.add(r);
      }
    }
    return out.toArray(new long[0][]);
  }

  private static void decodeInto(ByteString bytes, List<YUpdate> out) {
    if (bytes.isEmpty()) {
      return;
    }
    try {
      out.add(YUpdate.decode(bytes.toByteArray()));
    } catch (YUpdateException e) {
      // Stored updates were validated when applied; one that does not decode adds nothing.
    }
  }
}
