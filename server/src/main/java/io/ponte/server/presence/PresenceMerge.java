package io.ponte.server.presence;

import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.PresenceState;
import io.ponte.protocol.v1.Role;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The merge rules every {@link Presence} shares: entries are keyed {@code node|user} (node ids
 * never contain '|'), merged per user, and compared before and after a sync to find changes.
 */
final class PresenceMerge {
  private PresenceMerge() {}

  static String field(String nodeId, String userId) {
    return nodeId + "|" + userId;
  }

  static String nodeOf(String field) {
    return field.substring(0, field.indexOf('|'));
  }

  static String userOf(String field) {
    return field.substring(field.indexOf('|') + 1);
  }

  /** A field's stored value changed by a sync; null before or after = absent. */
  record Changed(String field, Presence.Entry before, Presence.Entry after) {}

  /** Builds the result of a sync from the room's entries after it and the fields it changed. */
  static Presence.Result result(Map<String, Presence.Entry> after, List<Changed> changed) {
    Map<String, Map<String, Presence.Entry>> byUser = byUser(after);
    List<Presence.Change> changes = new ArrayList<>();
    Map<String, List<Changed>> changedByUser = new LinkedHashMap<>();
    for (Changed c : changed) {
      changedByUser.computeIfAbsent(userOf(c.field()), u -> new ArrayList<>()).add(c);
    }
    for (Map.Entry<String, List<Changed>> e : changedByUser.entrySet()) {
      Map<String, Presence.Entry> now = byUser.getOrDefault(e.getKey(), Map.of());
      Map<String, Presence.Entry> before = new TreeMap<>(now);
      for (Changed c : e.getValue()) {
        if (c.before() == null) {
          before.remove(c.field());
        } else {
          before.put(c.field(), c.before());
        }
      }
      Merged was = merge(before.values());
      Merged is = merge(now.values());
      Participant p0 = was == null ? null : was.participant();
      Participant p1 = is == null ? null : is.participant();
      if (!Objects.equals(p0, p1)) {
        changes.add(new Presence.Change(p0, p1));
      }
    }
    return new Presence.Result(List.copyOf(changes), mergedList(byUser));
  }

  static List<Participant> participants(Map<String, Presence.Entry> entries) {
    return mergedList(byUser(entries));
  }

  private static List<Participant> mergedList(Map<String, Map<String, Presence.Entry>> byUser) {
    List<Merged> merged = new ArrayList<>();
    for (Map<String, Presence.Entry> entries : byUser.values()) {
      Merged m = merge(entries.values());
      if (m != null) {
        merged.add(m);
      }
    }
    merged.sort(Comparator.comparingLong(Merged::sinceMs)
        .thenComparing(m -> m.participant().getUserId()));
    return merged.stream().map(Merged::participant).toList();
  }

  private static Map<String, Map<String, Presence.Entry>> byUser(Map<String, Presence.Entry> all) {
    Map<String, Map<String, Presence.Entry>> out = new TreeMap<>();
    for (Map.Entry<String, Presence.Entry> e : all.entrySet()) {
      out.computeIfAbsent(userOf(e.getKey()), u -> new TreeMap<>()).put(e.getKey(), e.getValue());
    }
    return out;
  }

  private record Merged(Participant participant, long sinceMs) {}

  /** One user's entries (of several nodes) as one participant; null when there are none. */
  private static Merged merge(Iterable<Presence.Entry> entries) {
    Presence.Entry first = null;
    int connections = 0;
    Role role = Role.ROLE_UNSPECIFIED;
    boolean active = false;
    boolean any = false;
    for (Presence.Entry e : entries) {
      if (e.participant().getConnections() <= 0) {
        continue;
      }
      any = true;
      if (first == null || e.sinceMs() < first.sinceMs()) {
        first = e;
      }
      connections += e.participant().getConnections();
      if (rank(e.participant().getRole()) > rank(role)) {
        role = e.participant().getRole();
      }
      active |= e.participant().getState() != PresenceState.AWAY;
    }
    if (!any) {
      return null;
    }
    Participant p = first.participant().toBuilder()
        .setConnections(connections)
        .setRole(role)
        .setState(active ? PresenceState.ACTIVE : PresenceState.AWAY)
        .build();
    return new Merged(p, first.sinceMs());
  }

  private static int rank(Role role) {
    return switch (role) {
      case TEACHER -> 3;
      case STUDENT -> 2;
      case OBSERVER -> 1;
      default -> 0;
    };
  }

  /** The stored form of an entry: 8 bytes of sinceMs (big-endian), then the Participant. */
  static byte[] encode(Presence.Entry entry) {
    byte[] p = entry.participant().toByteArray();
    return ByteBuffer.allocate(8 + p.length).putLong(entry.sinceMs()).put(p).array();
  }

  static Presence.Entry decode(byte[] bytes) {
    if (bytes == null || bytes.length < 8) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    long since = b.getLong();
    try {
      return new Presence.Entry(Participant.parseFrom(b), since);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return null;
    }
  }
}
