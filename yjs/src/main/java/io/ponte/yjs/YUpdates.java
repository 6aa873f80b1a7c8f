package io.ponte.yjs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Operations on Yjs V1 updates, behaving like the functions of the same name in the {@code yjs}
 * npm package (13.6.x): {@link #mergeUpdates}, {@link #encodeStateVectorFromUpdate},
 * {@link #diffUpdate}; plus state vector helpers. All of them throw {@link YUpdateException} for
 * malformed input.
 */
public final class YUpdates {
  private YUpdates() { }

  /** An update that contains nothing (no structs, empty delete set). */
  public static byte[] emptyUpdate() {
    return new byte[] {0, 0};
  }

  /**
   * Merges updates into one, like {@code Y.mergeUpdates}. Like yjs, a single update is returned
   * as it is (this implementation still validates it first).
   */
  public static byte[] mergeUpdates(List<byte[]> updates) {
    if (updates.size() == 1) {
      YUpdate.decode(updates.get(0));
      return updates.get(0);
    }
    List<YUpdate> decoded = new ArrayList<>(updates.size());
    List<StructReader> readers = new ArrayList<>(updates.size());
    long totalStructs = 0;
    for (byte[] u : updates) {
      YUpdate d = YUpdate.decode(u);
      decoded.add(d);
      readers.add(new StructReader(d.structsInternal(), true));
      totalStructs += d.structsInternal().size();
    }
    LazyStructWriter writer = new LazyStructWriter();
    YStruct currWrite = null;
    // Every round consumes at least one struct or shrinks the reader list; the guard is a safety net.
    long guard = 4 * totalStructs + 4L * updates.size() + 16;
    while (true) {
      if (--guard < 0) {
        throw new IllegalStateException("mergeUpdates did not terminate");
      }
      readers.removeIf(r -> r.curr == null);
      V8Sort.sort(readers, YUpdates::compareReaders);
      if (readers.isEmpty()) {
        break;
      }
      StructReader currDecoder = readers.get(0);
      long firstClient = currDecoder.curr.client;
      if (currWrite != null) {
        YStruct curr = currDecoder.curr;
        boolean iterated = false;
        // skip what was written already (higher clients are written first)
        while (curr != null && curr.end() <= currWrite.end() && curr.client >= currWrite.client) {
          curr = currDecoder.next();
          iterated = true;
        }
        if (curr == null || curr.client != firstClient || (iterated && curr.clock > currWrite.end())) {
          continue;
        }
        if (firstClient != currWrite.client) {
          writer.write(currWrite, 0);
          currWrite = curr;
          currDecoder.next();
        } else if (currWrite.end() < curr.clock) {
          // a gap: fill it with a Skip
          if (currWrite instanceof YStruct.Skip) {
            currWrite.length = curr.end() - currWrite.clock;
          } else {
            writer.write(currWrite, 0);
            long diff = curr.clock - currWrite.end();
            currWrite = new YStruct.Skip(firstClient, currWrite.end(), diff);
          }
        } else {
          long diff = currWrite.end() - curr.clock;
          if (diff > 0) {
            if (currWrite instanceof YStruct.Skip) {
              // prefer slicing the Skip, the other struct has more information
              currWrite.length -= diff;
            } else {
              curr = curr.sliceRight(diff);
            }
          }
          if (!mergeInto(currWrite, curr)) {
            writer.write(currWrite, 0);
            currWrite = curr;
            currDecoder.next();
          }
        }
      } else {
        currWrite = currDecoder.curr;
        currDecoder.next();
      }
      for (YStruct next = currDecoder.curr;
          next != null && next.client == firstClient && next.clock == currWrite.end()
              && !(next instanceof YStruct.Skip);
          next = currDecoder.next()) {
        writer.write(currWrite, 0);
        currWrite = next;
      }
    }
    if (currWrite != null) {
      writer.write(currWrite, 0);
    }
    Lib0Encoder out = new Lib0Encoder(estimate(updates));
    writer.finish(out);
    List<YDeleteSet> sets = new ArrayList<>(decoded.size());
    for (YUpdate d : decoded) {
      sets.add(d.deleteSet());
    }
    YDeleteSet.merge(sets).write(out);
    return out.toByteArray();
  }

  private static int estimate(List<byte[]> updates) {
    long n = 0;
    for (byte[] u : updates) {
      n += u.length;
    }
    return (int) Math.min(n + 16, 1 << 20);
  }

  /**
   * Order of readers: higher client first, then lower clock; on equal ids a Skip goes last. (The
   * tie-break is not a consistent order for an Item against a GC; {@link V8Sort} resolves it the
   * way V8 does.)
   */
  private static int compareReaders(StructReader a, StructReader b) {
    YStruct x = a.curr;
    YStruct y = b.curr;
    if (x.client == y.client) {
      int c = Long.compare(x.clock, y.clock);
      if (c != 0) {
        return c;
      }
      if (x.getClass() == y.getClass()) {
        return 0;
      }
      return x instanceof YStruct.Skip ? 1 : -1;
    }
    return Long.compare(y.client, x.client);
  }

  /** Merges {@code right} into {@code left} where yjs' lazy merge would (GC+GC, Skip+Skip). */
  private static boolean mergeInto(YStruct left, YStruct right) {
    if ((left instanceof YStruct.Gc && right instanceof YStruct.Gc)
        || (left instanceof YStruct.Skip && right instanceof YStruct.Skip)) {
      left.length += right.length;
      return true;
    }
    // Items never merge here: yjs requires them to be linked neighbours, which lazily read items are not.
    return false;
  }

  /** The state vector of an update, like {@code Y.encodeStateVectorFromUpdate}. */
  public static byte[] encodeStateVectorFromUpdate(byte[] update) {
    List<YStruct> structs = YUpdate.decode(update).structsInternal();
    Lib0Encoder pairs = new Lib0Encoder();
    Lib0Encoder out = new Lib0Encoder();
    if (structs.isEmpty()) {
      out.writeVarUint(0);
      return out.toByteArray();
    }
    long size = 0;
    YStruct first = structs.get(0);
    long currClient = first.client;
    boolean stopCounting = first.clock != 0; // must start at 0
    long currClock = stopCounting ? 0 : first.end();
    for (YStruct curr : structs) {
      if (currClient != curr.client) {
        if (currClock != 0) {
          size++;
          pairs.writeVarUint(currClient).writeVarUint(currClock);
        }
        currClient = curr.client;
        currClock = 0;
        stopCounting = curr.clock != 0;
      }
      if (curr instanceof YStruct.Skip) {
        stopCounting = true;
      }
      if (!stopCounting) {
        currClock = curr.end();
      }
    }
    if (currClock != 0) {
      size++;
      pairs.writeVarUint(currClient).writeVarUint(currClock);
    }
    out.writeVarUint(size);
    out.writeBytes(pairs.toByteArray());
    return out.toByteArray();
  }

  /** The state vector of an update, decoded. */
  public static Map<Long, Long> stateVectorFromUpdate(byte[] update) {
    return decodeStateVector(encodeStateVectorFromUpdate(update));
  }

  /**
   * The part of {@code update} that a peer with state vector {@code stateVector} is missing, like
   * {@code Y.diffUpdate}. The delete set is always included whole.
   */
  public static byte[] diffUpdate(byte[] update, byte[] stateVector) {
    Map<Long, Long> state = decodeStateVector(stateVector);
    YUpdate decoded = YUpdate.decode(update);
    StructReader reader = new StructReader(decoded.structsInternal(), false);
    LazyStructWriter writer = new LazyStructWriter();
    while (reader.curr != null) {
      YStruct curr = reader.curr;
      long currClient = curr.client;
      long svClock = state.getOrDefault(currClient, 0L);
      if (curr instanceof YStruct.Skip) {
        // the first written struct must not be a Skip
        reader.next();
        continue;
      }
      if (curr.end() > svClock) {
        writer.write(curr, Math.max(svClock - curr.clock, 0));
        reader.next();
        while (reader.curr != null && reader.curr.client == currClient) {
          writer.write(reader.curr, 0);
          reader.next();
        }
      } else {
        while (reader.curr != null && reader.curr.client == currClient && reader.curr.end() <= svClock) {
          reader.next();
        }
      }
    }
    Lib0Encoder out = new Lib0Encoder(update.length + 16);
    writer.finish(out);
    decoded.deleteSet().write(out);
    return out.toByteArray();
  }

  /** Decodes a V1 state vector (client → next expected clock); later duplicates win. */
  public static Map<Long, Long> decodeStateVector(byte[] stateVector) {
    Lib0Decoder d = new Lib0Decoder(stateVector);
    long n = d.readVarUint();
    Map<Long, Long> sv = new LinkedHashMap<>();
    for (long i = 0; i < n; i++) {
      long client = d.readVarUint();
      long clock = d.readVarUint();
      sv.put(client, clock);
    }
    return sv;
  }

  /** Encodes a state vector like {@code Y.encodeStateVector}: clients in decreasing order. */
  public static byte[] encodeStateVector(Map<Long, Long> stateVector) {
    List<Map.Entry<Long, Long>> entries = new ArrayList<>(stateVector.entrySet());
    entries.sort((a, b) -> Long.compare(b.getKey(), a.getKey()));
    Lib0Encoder out = new Lib0Encoder();
    out.writeVarUint(entries.size());
    for (Map.Entry<Long, Long> e : entries) {
      out.writeVarUint(e.getKey()).writeVarUint(e.getValue());
    }
    return out.toByteArray();
  }

  /** Iterates the structs of one update, optionally hiding Skips. */
  private static final class StructReader {
    private final List<YStruct> structs;
    private final boolean filterSkips;
    private int index;
    YStruct curr;

    StructReader(List<YStruct> structs, boolean filterSkips) {
      this.structs = structs;
      this.filterSkips = filterSkips;
      next();
    }

    YStruct next() {
      do {
        curr = index < structs.size() ? structs.get(index++) : null;
      } while (filterSkips && curr instanceof YStruct.Skip);
      return curr;
    }
  }

  /**
   * Writes structs client by client; the number of structs of each run is only known at the end,
   * so runs are buffered and assembled in {@link #finish}.
   */
  private static final class LazyStructWriter {
    private long currClient;
    private int written;
    private Lib0Encoder enc = new Lib0Encoder();
    private final List<Object[]> runs = new ArrayList<>();

    void write(YStruct struct, long offset) {
      if (written > 0 && currClient != struct.client) {
        flush();
      }
      if (written == 0) {
        currClient = struct.client;
        enc.writeVarUint(struct.client);
        enc.writeVarUint(struct.clock + offset);
      }
      struct.write(enc, offset);
      written++;
    }

    private void flush() {
      if (written > 0) {
        runs.add(new Object[] {written, enc.toByteArray()});
        enc = new Lib0Encoder();
        written = 0;
      }
    }

    void finish(Lib0Encoder out) {
      flush();
      out.writeVarUint(runs.size());
      for (Object[] run : runs) {
        out.writeVarUint((Integer) run[0]);
        out.writeBytes((byte[]) run[1]);
      }
    }
  }

  /**
   * The sort V8 applies to arrays shorter than 64 elements (one run found by count-and-make-run,
   * extended by binary insertion sort). It is stable, and it gives the same order as yjs in Node for
   * the comparator above even where that comparator is inconsistent. Used for all sizes here.
   */
  static final class V8Sort {
    private V8Sort() { }

    static <T> void sort(List<T> list, java.util.Comparator<? super T> cmp) {
      int n = list.size();
      if (n < 2) {
        return;
      }
      // count and make run
      int runLength = 2;
      boolean descending = cmp.compare(list.get(1), list.get(0)) < 0;
      T previous = list.get(1);
      for (int i = 2; i < n; i++) {
        T current = list.get(i);
        int order = cmp.compare(current, previous);
        if (descending ? order >= 0 : order < 0) {
          break;
        }
        previous = current;
        runLength++;
      }
      if (descending) {
        Collections.reverse(list.subList(0, runLength));
      }
      // binary insertion sort of the rest
      for (int start = runLength; start < n; start++) {
        T pivot = list.get(start);
        int left = 0;
        int right = start;
        while (left < right) {
          int mid = left + ((right - left) >> 1);
          if (cmp.compare(pivot, list.get(mid)) < 0) {
            right = mid;
          } else {
            left = mid + 1;
          }
        }
        for (int p = start; p > left; p--) {
          list.set(p, list.get(p - 1));
        }
        list.set(left, pivot);
      }
    }
  }
}
