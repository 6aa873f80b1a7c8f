package io.ponte.server.presence;

import io.ponte.protocol.v1.Participant;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The single-node {@link Presence}, in memory. Nodes sharing one {@link Space} (tests) see each
 * other's entries; with a lease, a node that stops syncing loses its entries like on Redis.
 */
public final class MemoryPresence implements Presence {

  /** The shared table of entries and leases (per room: field to entry, node to lease deadline). */
  public static final class Space {
    private final Map<String, TreeMap<String, Entry>> rooms = new HashMap<>();
    private final Map<String, Map<String, Long>> leases = new HashMap<>();
    private final LongSupplier clock;

    public Space() {
      this(System::currentTimeMillis);
    }

    public Space(LongSupplier clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }
  }

  private final Space space;
  private final String nodeId;
  private final long leaseMs;

  /** One node on its own; entries never expire. */
  public MemoryPresence(String nodeId) {
    this(new Space(), nodeId, 0);
  }

  /** One node of the space; with {@code leaseMs > 0}, its entries expire unless synced in time. */
  public MemoryPresence(Space space, String nodeId, long leaseMs) {
    this.space = Objects.requireNonNull(space, "space");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.leaseMs = Math.max(0, leaseMs);
  }

  @Override
  public Future<Void> erase(String roomId) {
    synchronized (space) {
      space.rooms.remove(roomId);
      space.leases.remove(roomId);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Result> sync(String roomId, Map<String, Entry> local) {
    synchronized (space) {
      long now = space.clock.getAsLong();
      TreeMap<String, Entry> entries = space.rooms.computeIfAbsent(roomId, r -> new TreeMap<>());
      Map<String, Long> leases = space.leases.computeIfAbsent(roomId, r -> new HashMap<>());
      List<PresenceMerge.Changed> changed = new ArrayList<>();
      Map<String, Entry> mine = new HashMap<>(local);
      for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Entry> e = it.next();
        // Read before removing: a TreeMap entry may take its successor's contents on removal.
        String field = e.getKey();
        Entry value = e.getValue();
        String node = PresenceMerge.nodeOf(field);
        if (node.equals(nodeId)) {
          Entry wanted = mine.remove(PresenceMerge.userOf(field));
          if (wanted == null) {
            it.remove();
            changed.add(new PresenceMerge.Changed(field, value, null));
          } else if (!wanted.equals(value)) {
            changed.add(new PresenceMerge.Changed(field, value, wanted));
            e.setValue(wanted);
          }
        } else if (leaseMs > 0) {
          Long deadline = leases.get(node);
          if (deadline == null || deadline <= now) {
            it.remove();
            changed.add(new PresenceMerge.Changed(field, value, null));
          }
        }
      }
      for (Map.Entry<String, Entry> e : mine.entrySet()) {
        String field = PresenceMerge.field(nodeId, e.getKey());
        entries.put(field, e.getValue());
        changed.add(new PresenceMerge.Changed(field, null, e.getValue()));
      }
      if (leaseMs > 0) {
        leases.values().removeIf(deadline -> deadline <= now);
      }
      if (local.isEmpty()) {
        leases.remove(nodeId);
      } else {
        leases.put(nodeId, now + leaseMs);
      }
      Result result = PresenceMerge.result(entries, changed);
      if (entries.isEmpty()) {
        space.rooms.remove(roomId);
        space.leases.remove(roomId);
      }
      return Future.succeededFuture(result);
    }
  }

  @Override
  public Future<List<Participant>> participants(String roomId) {
    synchronized (space) {
      long now = space.clock.getAsLong();
      TreeMap<String, Entry> entries = space.rooms.getOrDefault(roomId, new TreeMap<>());
      Map<String, Long> leases = space.leases.getOrDefault(roomId, Map.of());
      TreeMap<String, Entry> live = new TreeMap<>();
      for (Map.Entry<String, Entry> e : entries.entrySet()) {
        String node = PresenceMerge.nodeOf(e.getKey());
        Long deadline = leases.get(node);
        if (leaseMs == 0 || node.equals(nodeId) || (deadline != null && deadline > now)) {
          live.put(e.getKey(), e.getValue());
        }
      }
      return Future.succeededFuture(PresenceMerge.participants(live));
    }
  }

  @Override
  public long renewIntervalMs() {
    return leaseMs == 0 ? 0 : Math.max(1, leaseMs / 3);
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
