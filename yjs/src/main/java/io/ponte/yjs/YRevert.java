package io.ponte.yjs;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The inverse of one participant's edits in a Yjs document, as one V1 update that any Yjs peer
 * applies like any other (the server's counterpart of {@code Y.UndoManager} for edits made by
 * other sessions).
 *
 * <p>Two parts: (a) a delete set covering the participant's items inserted since a clock per
 * client id that are not deleted yet; (b) new items, owned by a server client id, that re-insert
 * content the participant deleted: each restored piece is placed immediately before the deleted
 * piece (right origin: the deleted piece; origin: what the deleted piece had on its left), so it
 * appears where the deleted content was. With the largest client id in a conflict, YATA puts it
 * right next to the deleted piece.
 *
 * <p>Restored: string, format, embed, JSON/any and binary content of list items (Y.Text, XmlText,
 * Y.Array), and deleted nested types (a Y.XmlElement paragraph, a list item, a nested Y.Map or
 * Y.Text) re-created whole with what was in them when the participant deleted them (their
 * attributes and map entries too, and what others wrote into them meanwhile), up to
 * {@link #MAX_SUBTREE_UNITS} clock units each. Not restored: map entries the participant
 * overwrote or deleted directly (a key of a map that still exists), sub-documents, content the
 * document no longer holds (garbage-collected before it reached the server). Deleting an item
 * that is a nested type deletes everything inside it, also what others wrote there later (as it
 * does in any Yjs peer).
 */
public final class YRevert {
  /** The server's Yjs client id for restored content: the largest uint32 (see the class comment). */
  public static final long SERVER_CLIENT = 0xFFFFFFFFL;

  private YRevert() { }

  /**
   * The inverse update and what it holds.
   *
   * @param update a Yjs V1 update (empty: {@link YUpdates#emptyUpdate()})
   * @param deletedUnits clock units the update deletes
   * @param restoredUnits clock units of content it re-inserts
   */
  public record Result(byte[] update, long deletedUnits, long restoredUnits) {
    public boolean isEmpty() {
      return deletedUnits == 0 && restoredUnits == 0;
    }
  }

  /**
   * Computes the inverse.
   *
   * @param doc the whole document as one update (a merged state)
   * @param insertedFrom per client id of the participant: the first clock inserted since the time
   *     (items at this clock or later are reverted)
   * @param deletions what the participant's updates deleted since the time (ranges of any client)
   * @param serverClient the client id of restored items (normally {@link #SERVER_CLIENT})
   * @throws YUpdateException when {@code doc} is malformed
   */
  public static Result inverse(byte[] doc, Map<Long, Long> insertedFrom, YDeleteSet deletions,
      long serverClient) {
    YUpdate u = YUpdate.decode(doc);
    Index index = new Index(u);

    // (a) the participant's live items since the time
    YDeleteSet ds = new YDeleteSet();
    long deletedUnits = 0;
    for (YStruct s : u.structsInternal()) {
      Long from = insertedFrom.get(s.client);
      if (from == null || s.end() <= from || !(s instanceof YStruct.Item item)
          || item.content() instanceof YContent.Deleted) {
        continue;
      }
      long start = Math.max(s.clock, from);
      for (long[] r : index.notDeleted(s.client, start, s.end())) {
        ds.add(s.client, r[0], r[1] - r[0]);
        deletedUnits += r[1] - r[0];
      }
    }

    // (b) re-insert what the participant deleted (and that others had written or was there before)
    long clock = index.nextClock(serverClient);
    long firstClock = clock;
    List<YStruct.Item> restored = new ArrayList<>();
    List<YStruct.Item> subtrees = new ArrayList<>();
    TreeMap<Long, TreeMap<Long, Long>> learnerDeleted = normalize(deletions);
    for (Map.Entry<Long, TreeMap<Long, Long>> e : learnerDeleted.entrySet()) {
      long client = e.getKey();
      if (client == serverClient) {
        continue; // never restore a revert's own items: reverting a revert is a new revert
      }
      Long ownFrom = insertedFrom.get(client);
      for (Map.Entry<Long, Long> r : e.getValue().entrySet()) {
        long from = r.getKey();
        long to = ownFrom == null ? r.getValue() : Math.min(r.getValue(), ownFrom);
        for (YStruct s : index.structsIn(client, from, to)) {
          if (!(s instanceof YStruct.Item item) || !index.parentLives(item)) {
            continue;
          }
          if (item.content() instanceof YContent.Type && item.parentSub() == null
              && !index.deleted(client, s.clock, s.end()).isEmpty()) {
            subtrees.add(item); // a deleted paragraph, list item, nested type: copied whole below
            continue;
          }
          if (!restorable(item)) {
            continue;
          }
          long a = Math.max(from, s.clock);
          long b = Math.min(to, s.end());
          for (long[] piece : index.deleted(client, a, b)) {
            // One restored item per stretch that nobody inserted into: others' items placed inside
            // the deleted piece (by their origins) stay where they were, between the restored parts.
            long at = piece[0];
            while (at < piece[1]) {
              long end = index.nextSplit(client, at, piece[1]);
              YContent content = slice(item.content(), at - s.clock, end - s.clock);
              YId origin = at > s.clock ? new YId(client, at - 1) : item.origin();
              YId right = new YId(client, at);
              restored.add(new YStruct.Item(serverClient, clock, origin, right, null, null, null, content));
              clock += content.length();
              at = end;
            }
          }
        }
      }
    }

    for (YStruct.Item root : subtrees) {
      clock = copySubtree(index, root, clock, serverClient, insertedFrom, learnerDeleted, restored);
    }

    Lib0Encoder enc = new Lib0Encoder();
    if (restored.isEmpty()) {
      enc.writeVarUint(0);
    } else {
      enc.writeVarUint(1);
      enc.writeVarUint(restored.size());
      enc.writeVarUint(serverClient);
      enc.writeVarUint(firstClock);
      for (YStruct.Item i : restored) {
        i.write(enc, 0);
      }
    }
    ds.write(enc);
    return new Result(enc.toByteArray(), deletedUnits, clock - firstClock);
  }

  /**
   * The parts of {@code deletions} that {@code doc} does not hold as deleted yet: what an update
   * with this delete set newly deletes (the rest was deleted already, by whoever).
   */
  public static YDeleteSet newlyDeleted(byte[] doc, YDeleteSet deletions) {
    Index index = new Index(YUpdate.decode(doc));
    YDeleteSet out = new YDeleteSet();
    for (Map.Entry<Long, TreeMap<Long, Long>> e : normalize(deletions).entrySet()) {
      for (Map.Entry<Long, Long> r : e.getValue().entrySet()) {
        for (long[] p : index.notDeleted(e.getKey(), r.getKey(), r.getValue())) {
          out.add(e.getKey(), p[0], p[1] - p[0]);
        }
      }
    }
    return out;
  }

  /** Units (clocks) a deleted nested type may hold to be re-created (the simulation is quadratic). */
  static final int MAX_SUBTREE_UNITS = 5_000;

  /**
   * Re-creates a deleted nested type (a paragraph, a list item) with what was in it, as new items
   * of the server's client: the copy of the root goes just before the deleted root. Inside, the
   * order of each list (and of each map key) is worked out as yjs does (YATA, unit by unit), and
   * the copies are chained in that order, so no conflict between copies can reorder them. Left
   * out: what was deleted before the participant's deletion (by anyone else), what the
   * participant wrote inside since the time, and content the server no longer holds. A subtree
   * of more than {@link #MAX_SUBTREE_UNITS} units is not re-created. Returns the next clock.
   */
  private static long copySubtree(Index index, YStruct.Item root, long clock, long serverClient,
      Map<Long, Long> insertedFrom, TreeMap<Long, TreeMap<Long, Long>> learnerDeleted,
      List<YStruct.Item> out) {
    java.util.Set<YStruct> in = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    List<YStruct.Item> items = new ArrayList<>();
    java.util.ArrayDeque<YStruct.Item> todo = new java.util.ArrayDeque<>();
    todo.add(root);
    long units = 0;
    while (!todo.isEmpty()) {
      YStruct.Item t = todo.poll();
      if (!in.add(t)) {
        continue;
      }
      items.add(t);
      units += t.length;
      if (units > MAX_SUBTREE_UNITS) {
        return clock;
      }
      if (t.content() instanceof YContent.Type) {
        todo.addAll(index.children(new YId(t.client, t.clock)));
      }
    }
    // causal order: what an item refers to (origin, right origin, parent) first
    List<YStruct.Item> order = new ArrayList<>(items.size());
    java.util.Set<YStruct> done = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    java.util.Set<YStruct> onStack = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (YStruct.Item start : items) {
      java.util.ArrayDeque<YStruct.Item> stack = new java.util.ArrayDeque<>();
      stack.push(start);
      onStack.add(start);
      while (!stack.isEmpty()) {
        YStruct.Item top = stack.peek();
        YStruct.Item dep = null;
        if (!done.contains(top) && top != root) {
          for (YId ref : new YId[] {top.origin(), top.rightOrigin(), top.parentId()}) {
            YStruct r = ref == null ? null : index.find(ref.client(), ref.clock());
            if (r instanceof YStruct.Item ri && in.contains(ri) && !done.contains(ri) && !onStack.contains(ri)) {
              dep = ri;
              break;
            }
          }
        }
        if (dep != null) {
          stack.push(dep);
          onStack.add(dep);
        } else {
          stack.pop();
          onStack.remove(top);
          if (done.add(top)) {
            order.add(top);
          }
        }
      }
    }
    // each list (parent type, map key) in yjs' order, unit by unit
    Map<YId, Unit> unitOf = new java.util.HashMap<>();
    Map<List<Object>, List<Unit>> lists = new java.util.LinkedHashMap<>();
    for (YStruct.Item it : order) {
      if (it == root) {
        continue;
      }
      YId parent = index.parentOf(it);
      List<Unit> seq = lists.computeIfAbsent(java.util.Arrays.asList(parent, index.parentSubOf(it)),
          k -> new ArrayList<>());
      for (long k = it.clock; k < it.end(); k++) {
        YId originId = k > it.clock ? new YId(it.client, k - 1) : it.origin();
        Unit u = new Unit(it, k, originId, it.rightOrigin());
        unitOf.put(new YId(it.client, k), u);
        integrate(seq, u, unitOf);
      }
    }
    // copies, parents before children, each list chained in order; dead units are left out
    Map<YId, YId> typeCopy = new java.util.HashMap<>();
    long c = clock;
    out.add(new YStruct.Item(serverClient, c, root.origin(), new YId(root.client, root.clock),
        null, null, null, root.content()));
    typeCopy.put(new YId(root.client, root.clock), new YId(serverClient, c));
    c++;
    java.util.ArrayDeque<YId> types = new java.util.ArrayDeque<>();
    types.add(new YId(root.client, root.clock));
    Map<YId, List<List<Object>>> listsByParent = new java.util.HashMap<>();
    for (List<Object> key : lists.keySet()) {
      listsByParent.computeIfAbsent((YId) key.get(0), k -> new ArrayList<>()).add(key);
    }
    while (!types.isEmpty()) {
      YId type = types.poll();
      for (List<Object> key : listsByParent.getOrDefault(type, List.of())) {
        YId prev = null;
        List<Unit> seq = lists.get(key);
        int i = 0;
        while (i < seq.size()) {
          Unit u = seq.get(i);
          if (!alive(index, u, insertedFrom, learnerDeleted)) {
            i++;
            continue;
          }
          // a run: consecutive alive units of one item
          int j = i + 1;
          while (j < seq.size() && seq.get(j).item == u.item && seq.get(j).clock == seq.get(j - 1).clock + 1
              && alive(index, seq.get(j), insertedFrom, learnerDeleted)) {
            j++;
          }
          long from = u.clock - u.item.clock;
          long to = seq.get(j - 1).clock + 1 - u.item.clock;
          YContent content = slice(u.item.content(), from, to);
          YStruct.Item copy = prev == null
              ? new YStruct.Item(serverClient, c, null, null, null, typeCopy.get(type), (String) key.get(1), content)
              : new YStruct.Item(serverClient, c, prev, null, null, null, null, content);
          out.add(copy);
          if (content instanceof YContent.Type) {
            YId orig = new YId(u.item.client, u.item.clock);
            typeCopy.put(orig, new YId(serverClient, c));
            types.add(orig);
          }
          c += content.length();
          prev = new YId(serverClient, c - 1);
          i = j;
        }
      }
    }
    return c;
  }

  /** One clock unit of an item, as yjs integrates it into a list. */
  private static final class Unit {
    final YStruct.Item item;
    final long clock;
    final YId origin;
    final YId rightOrigin;

    Unit(YStruct.Item item, long clock, YId origin, YId rightOrigin) {
      this.item = item;
      this.clock = clock;
      this.origin = origin;
      this.rightOrigin = rightOrigin;
    }
  }

  /** Yjs' Item.integrate (YATA) on a list of units. */
  private static void integrate(List<Unit> seq, Unit u, Map<YId, Unit> unitOf) {
    Unit left = u.origin == null ? null : unitOf.get(u.origin);
    Unit right = u.rightOrigin == null ? null : unitOf.get(u.rightOrigin);
    int leftIdx = left == null ? -1 : seq.indexOf(left);
    int rightIdx = right == null ? seq.size() : seq.indexOf(right);
    if (leftIdx < 0) {
      left = null;
      leftIdx = -1;
    }
    if (rightIdx < 0) {
      right = null;
      rightIdx = seq.size();
    }
    if (leftIdx + 1 != rightIdx) {
      java.util.Set<Unit> conflicting = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
      java.util.Set<Unit> beforeOrigin = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
      for (int o = leftIdx + 1; o < seq.size() && o != rightIdx; o++) {
        Unit ou = seq.get(o);
        beforeOrigin.add(ou);
        conflicting.add(ou);
        if (java.util.Objects.equals(u.origin, ou.origin)) {
          if (ou.item.client < u.item.client) {
            leftIdx = o;
            conflicting.clear();
          } else if (java.util.Objects.equals(u.rightOrigin, ou.rightOrigin)) {
            break;
          }
        } else if (ou.origin != null && beforeOrigin.contains(unitOf.get(ou.origin))) {
          if (!conflicting.contains(unitOf.get(ou.origin))) {
            leftIdx = o;
            conflicting.clear();
          }
        } else {
          break;
        }
      }
    }
    seq.add(leftIdx + 1, u);
  }

  /** Whether a unit of a deleted subtree is alive in its copy. */
  private static boolean alive(Index index, Unit u, Map<Long, Long> insertedFrom,
      TreeMap<Long, TreeMap<Long, Long>> learnerDeleted) {
    YContent c = u.item.content();
    if (c instanceof YContent.Deleted || c instanceof YContent.Doc) {
      return false; // content the server does not hold; sub-documents are not duplicated
    }
    Long own = insertedFrom.get(u.item.client);
    if (own != null && u.clock >= own) {
      return false; // the participant's own writing since the time
    }
    if (!index.isDeleted(new YId(u.item.client, u.clock))) {
      return true; // alive but for its deleted parent
    }
    TreeMap<Long, Long> mine = learnerDeleted.get(u.item.client);
    Map.Entry<Long, Long> e = mine == null ? null : mine.floorEntry(u.clock);
    return e != null && e.getValue() > u.clock; // deleted by the participant: back
  }

  private static boolean restorable(YStruct.Item item) {
    if (item.parentSub() != null) {
      return false;
    }
    YContent c = item.content();
    return c instanceof YContent.Str || c instanceof YContent.Format || c instanceof YContent.Embed
        || c instanceof YContent.Any || c instanceof YContent.Json || c instanceof YContent.Binary;
  }

  /** Content units [from, to) of a content, split like yjs splits (broken surrogates: U+FFFD). */
  static YContent slice(YContent c, long from, long to) {
    YContent right = from == 0 ? c : c.sliceRight(from);
    long len = to - from;
    if (len >= right.length()) {
      return right;
    }
    if (right instanceof YContent.Str s) {
      String str = s.str().substring(0, (int) len);
      if (Character.isHighSurrogate(str.charAt(str.length() - 1))) {
        str = str.substring(0, str.length() - 1) + "\uFFFD";
      }
      return new YContent.Str(str);
    }
    if (right instanceof YContent.Any a) {
      return new YContent.Any(List.copyOf(a.values().subList(0, (int) len)));
    }
    if (right instanceof YContent.Json j) {
      return new YContent.Json(List.copyOf(j.values().subList(0, (int) len)));
    }
    throw new IllegalStateException("cannot slice " + c.getClass().getSimpleName());
  }

  /** Per client, ranges as start → end, sorted, joined where they overlap or touch. */
  private static TreeMap<Long, TreeMap<Long, Long>> normalize(YDeleteSet ds) {
    TreeMap<Long, TreeMap<Long, Long>> out = new TreeMap<>();
    for (Map.Entry<Long, List<YDeleteSet.Range>> e : ds.clients().entrySet()) {
      TreeMap<Long, Long> ranges = out.computeIfAbsent(e.getKey(), c -> new TreeMap<>());
      for (YDeleteSet.Range r : e.getValue()) {
        if (r.len() > 0) {
          insert(ranges, r.clock(), r.clock() + r.len());
        }
      }
    }
    return out;
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

  /** Structs by id, what is deleted, and the parent of items (resolved through their origins). */
  private static final class Index {
    private final Map<Long, List<YStruct>> byClient = new TreeMap<>();
    private final Map<Long, TreeMap<Long, Long>> deleted;
    private final IdentityHashMap<YStruct, YId> parents = new IdentityHashMap<>();
    /** Marks "the parent is a root type" (or cannot be found: then nothing is restored). */
    private static final YId ROOT = new YId(-1, -1);
    private static final YId UNKNOWN = new YId(-2, -2);

    private int structCount;
    /** Per client: clocks where some item's origin or right origin points (split points). */
    private final Map<Long, java.util.TreeSet<Long>> splits = new java.util.HashMap<>();

    Index(YUpdate u) {
      structCount = u.structsInternal().size();
      for (YStruct s : u.structsInternal()) {
        if (!(s instanceof YStruct.Skip)) {
          byClient.computeIfAbsent(s.client, c -> new ArrayList<>()).add(s);
        }
      }
      for (List<YStruct> list : byClient.values()) {
        list.sort((x, y) -> Long.compare(x.clock, y.clock));
      }
      YDeleteSet ds = new YDeleteSet();
      for (Map.Entry<Long, List<YDeleteSet.Range>> e : u.deleteSet().clients().entrySet()) {
        for (YDeleteSet.Range r : e.getValue()) {
          ds.add(e.getKey(), r.clock(), r.len());
        }
      }
      for (Map.Entry<Long, List<YStruct>> e : byClient.entrySet()) {
        for (YStruct s : e.getValue()) {
          if (s instanceof YStruct.Gc
              || (s instanceof YStruct.Item i && i.content() instanceof YContent.Deleted)) {
            ds.add(s.client, s.clock, s.length);
          }
        }
      }
      deleted = normalize(ds);
      for (YStruct s : u.structsInternal()) {
        if (s instanceof YStruct.Item i) {
          if (i.origin() != null) {
            splits.computeIfAbsent(i.origin().client(), c -> new java.util.TreeSet<>())
                .add(i.origin().clock() + 1);
          }
          if (i.rightOrigin() != null) {
            splits.computeIfAbsent(i.rightOrigin().client(), c -> new java.util.TreeSet<>())
                .add(i.rightOrigin().clock());
          }
        }
      }
    }

    /** The first point after {@code from} (at most {@code to}) where another item attaches. */
    long nextSplit(long client, long from, long to) {
      java.util.TreeSet<Long> points = splits.get(client);
      Long next = points == null ? null : points.higher(from);
      return next == null || next > to ? to : next;
    }

    long nextClock(long client) {
      List<YStruct> list = byClient.get(client);
      return list == null || list.isEmpty() ? 0 : list.get(list.size() - 1).end();
    }

    /** The struct holding the id, or null. */
    YStruct find(long client, long clock) {
      List<YStruct> list = byClient.get(client);
      if (list == null) {
        return null;
      }
      int lo = 0;
      int hi = list.size() - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        YStruct s = list.get(mid);
        if (s.end() <= clock) {
          lo = mid + 1;
        } else if (s.clock > clock) {
          hi = mid - 1;
        } else {
          return s;
        }
      }
      return null;
    }

    /** Structs of the client overlapping [from, to), in clock order. */
    List<YStruct> structsIn(long client, long from, long to) {
      List<YStruct> out = new ArrayList<>();
      List<YStruct> list = byClient.get(client);
      if (list == null || from >= to) {
        return out;
      }
      int lo = 0;
      int hi = list.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (list.get(mid).end() <= from) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      for (int i = lo; i < list.size() && list.get(i).clock < to; i++) {
        out.add(list.get(i));
      }
      return out;
    }

    /** The deleted parts of [from, to) of a client, as [start, end) pairs. */
    List<long[]> deleted(long client, long from, long to) {
      List<long[]> out = new ArrayList<>();
      TreeMap<Long, Long> ranges = deleted.get(client);
      if (ranges == null) {
        return out;
      }
      Map.Entry<Long, Long> e = ranges.floorEntry(from);
      if (e == null || e.getValue() <= from) {
        e = ranges.higherEntry(from);
      }
      while (e != null && e.getKey() < to) {
        long a = Math.max(from, e.getKey());
        long b = Math.min(to, e.getValue());
        if (a < b) {
          out.add(new long[] {a, b});
        }
        e = ranges.higherEntry(e.getKey());
      }
      return out;
    }

    /** The parts of [from, to) of a client that are not deleted, as [start, end) pairs. */
    List<long[]> notDeleted(long client, long from, long to) {
      List<long[]> out = new ArrayList<>();
      long at = from;
      for (long[] d : deleted(client, from, to)) {
        if (d[0] > at) {
          out.add(new long[] {at, d[0]});
        }
        at = d[1];
      }
      if (at < to) {
        out.add(new long[] {at, to});
      }
      return out;
    }

    boolean isDeleted(YId id) {
      TreeMap<Long, Long> ranges = deleted.get(id.client());
      if (ranges == null) {
        return false;
      }
      Map.Entry<Long, Long> e = ranges.floorEntry(id.clock());
      return e != null && e.getValue() > id.clock();
    }

    private Map<YId, List<YStruct.Item>> children;

    /** The items whose parent is the type item {@code parent}, in clock order per client. */
    List<YStruct.Item> children(YId parent) {
      if (children == null) {
        children = new java.util.HashMap<>();
        for (List<YStruct> list : byClient.values()) {
          for (YStruct s : list) {
            if (s instanceof YStruct.Item i) {
              YId p = parent(i);
              if (p != ROOT && p != UNKNOWN) {
                children.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
              }
            }
          }
        }
      }
      return children.getOrDefault(parent, List.of());
    }

    /** The map key of an item (null: a list item), found like its parent through its origins. */
    String parentSubOf(YStruct.Item item) {
      YStruct s = item;
      for (int guard = 0; guard <= structCount && s instanceof YStruct.Item i; guard++) {
        if (i.parentKey() != null || i.parentId() != null) {
          return i.parentSub();
        }
        YId next = i.origin() != null ? i.origin() : i.rightOrigin();
        s = next == null ? null : find(next.client(), next.clock());
      }
      return null;
    }

    /** The id of the item's parent type item (null: a root type or unknown). */
    YId parentOf(YStruct.Item item) {
      YId p = parent(item);
      return p == ROOT || p == UNKNOWN ? null : p;
    }

    /** Whether the item's parent is a root type or a type item that is not deleted. */
    boolean parentLives(YStruct.Item item) {
      YId parent = parent(item);
      return parent == ROOT || (parent != UNKNOWN && !isDeleted(parent));
    }

    /** The id of the type item an item belongs to (ROOT, UNKNOWN), following origins iteratively. */
    private YId parent(YStruct.Item item) {
      List<YStruct> chain = new ArrayList<>();
      YStruct s = item;
      YId found = null;
      while (found == null) {
        YId memo = parents.get(s);
        if (memo != null) {
          found = memo;
          break;
        }
        chain.add(s);
        if (chain.size() > structCount) {
          found = UNKNOWN; // origins that go round in a circle (a forged update)
          break;
        }
        if (!(s instanceof YStruct.Item i)) {
          found = UNKNOWN; // a GC'd neighbour: its parent is unknown here
          break;
        }
        if (i.parentKey() != null) {
          found = ROOT;
        } else if (i.parentId() != null) {
          found = i.parentId();
        } else {
          YId next = i.origin() != null ? i.origin() : i.rightOrigin();
          YStruct n = next == null ? null : find(next.client(), next.clock());
          if (n == null) {
            found = UNKNOWN;
          } else {
            s = n;
          }
        }
      }
      for (YStruct c : chain) {
        parents.put(c, found);
      }
      return found;
    }
  }
}
