package io.ponte.server.presence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.PresenceChanged;
import io.ponte.protocol.v1.PresenceState;
import io.ponte.protocol.v1.Role;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link Presence} contract, run against every implementation: one participant per user over
 * every node, the merge rules, the changes a sync reports, and leases (a node that stops syncing
 * disappears, announced by exactly one survivor).
 */
@Timeout(60)
abstract class PresenceContractTest {
  /** Leases in these tests, when the implementation has them. */
  static final long LEASE_MS = 600;

  /** One node's presence; every node of one test shares the same space (keys or memory). */
  protected abstract Presence node(String nodeId, long leaseMs) throws Exception;

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static Presence.Entry entry(String userId, Role role, PresenceState state, int connections,
      long since) {
    return new Presence.Entry(Participant.newBuilder().setUserId(userId)
        .setDisplayName("User " + userId).setRole(role).setState(state)
        .setConnections(connections).build(), since);
  }

  static Map<String, Presence.Entry> entries(Presence.Entry... es) {
    Map<String, Presence.Entry> out = new LinkedHashMap<>();
    for (Presence.Entry e : es) {
      out.put(e.participant().getUserId(), e);
    }
    return out;
  }

  static Presence.Change only(Presence.Result r) {
    assertEquals(1, r.changes().size(), () -> "changes: " + r.changes());
    return r.changes().get(0);
  }

  @Test
  void aUserOnTwoNodesIsListedOnceWithTheirConnectionsSummed() throws Exception {
    Presence a = node("node-a", LEASE_MS);
    Presence b = node("node-b", LEASE_MS);
    String room = "r1";
    Presence.Change joined = only(await(a.sync(room,
        entries(entry("sam", Role.STUDENT, PresenceState.ACTIVE, 1, 100)))));
    assertEquals(PresenceChanged.Kind.JOINED, joined.kind());
    assertEquals(1, joined.after().getConnections());

    Presence.Result second = await(b.sync(room,
        entries(entry("sam", Role.STUDENT, PresenceState.ACTIVE, 2, 200))));
    Presence.Change updated = only(second);
    assertEquals(PresenceChanged.Kind.UPDATED, updated.kind());
    assertEquals(1, updated.before().getConnections());
    assertEquals(3, updated.after().getConnections());
    assertEquals(1, second.participants().size(), () -> "listed once: " + second.participants());
    assertEquals(3, second.participants().get(0).getConnections());
    assertEquals(List.of("sam"), await(a.participants(room)).stream()
        .map(Participant::getUserId).toList());
    assertEquals(3, await(a.participants(room)).get(0).getConnections());

    // Leaving one node: still present; leaving the last: LEFT.
    Presence.Change fewer = only(await(b.sync(room, Map.of())));
    assertEquals(PresenceChanged.Kind.UPDATED, fewer.kind());
    assertEquals(1, fewer.after().getConnections());
    Presence.Change left = only(await(a.sync(room, Map.of())));
    assertEquals(PresenceChanged.Kind.LEFT, left.kind());
    assertNull(left.after());
    assertEquals("sam", left.userId());
    assertTrue(await(b.participants(room)).isEmpty());
  }

  @Test
  void mergedParticipantsTakeTheHighestRoleActiveOverAwayAndTheFirstAppearanceOrder()
      throws Exception {
    Presence a = node("node-a", LEASE_MS);
    Presence b = node("node-b", LEASE_MS);
    await(a.sync("r2", entries(entry("zoe", Role.STUDENT, PresenceState.AWAY, 1, 300),
        entry("tea", Role.STUDENT, PresenceState.AWAY, 1, 500))));
    Presence.Result r = await(b.sync("r2", entries(
        entry("tea", Role.TEACHER, PresenceState.ACTIVE, 1, 50),
        entry("obs", Role.OBSERVER, PresenceState.AWAY, 1, 400))));
    assertEquals(List.of("tea", "zoe", "obs"),
        r.participants().stream().map(Participant::getUserId).toList());
    Participant tea = r.participants().get(0);
    assertEquals(Role.TEACHER, tea.getRole());
    assertEquals(PresenceState.ACTIVE, tea.getState());
    assertEquals(2, tea.getConnections());
    assertEquals(PresenceState.AWAY, r.participants().get(1).getState());
    assertEquals(2, r.changes().size(), () -> "tea updated, obs joined: " + r.changes());
  }

  @Test
  void aSyncThatChangesNothingReportsNothingAndOtherRoomsAreapart() throws Exception {
    Presence a = node("node-a", LEASE_MS);
    Map<String, Presence.Entry> mine = entries(entry("sam", Role.STUDENT, PresenceState.ACTIVE, 1, 1));
    assertEquals(1, await(a.sync("r3", mine)).changes().size());
    assertEquals(List.of(), await(a.sync("r3", mine)).changes());
    assertTrue(await(a.participants("r4")).isEmpty());
    Presence.Change away = only(await(a.sync("r3",
        entries(entry("sam", Role.STUDENT, PresenceState.AWAY, 1, 1)))));
    assertEquals(PresenceChanged.Kind.UPDATED, away.kind());
    assertEquals(PresenceState.AWAY, away.after().getState());
  }

  @Test
  void anErasedRoomKeepsNoEntryOfAnyNodeAndOtherRoomsKeepTheirs() throws Exception {
    Presence a = node("node-a", LEASE_MS);
    Presence b = node("node-b", LEASE_MS);
    await(a.sync("gone", entries(entry("sam", Role.STUDENT, PresenceState.ACTIVE, 1, 100))));
    await(b.sync("gone", entries(entry("kim", Role.TEACHER, PresenceState.ACTIVE, 1, 200))));
    await(b.sync("kept", entries(entry("kim", Role.TEACHER, PresenceState.ACTIVE, 1, 200))));

    await(a.erase("gone"));
    assertEquals(List.of(), await(b.participants("gone")));
    assertEquals(List.of("kim"), await(a.participants("kept")).stream()
        .map(Participant::getUserId).toList());
    await(a.erase("never-there")); // erasing nothing is fine
  }

  @Test
  void aNodeThatStopsSyncingDisappearsWithinItsLeaseAnnouncedByOneSurvivor() throws Exception {
    Presence dead = node("node-dead", LEASE_MS);
    Presence b = node("node-b", LEASE_MS);
    Presence c = node("node-c", LEASE_MS);
    String room = "r5";
    await(dead.sync(room, entries(entry("ana", Role.STUDENT, PresenceState.ACTIVE, 1, 1),
        entry("sam", Role.STUDENT, PresenceState.ACTIVE, 1, 2))));
    Map<String, Presence.Entry> bs = entries(entry("sam", Role.STUDENT, PresenceState.ACTIVE, 1, 3));
    Map<String, Presence.Entry> cs = entries(entry("tea", Role.TEACHER, PresenceState.ACTIVE, 1, 4));
    await(b.sync(room, bs));
    await(c.sync(room, cs));
    assertEquals(3, await(b.participants(room)).size());

    // b and c keep renewing; the dead node does not. Within a few leases one of them reports
    // ana LEFT and sam down to one connection; the other reports nothing of it.
    List<Presence.Change> seen = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 10 * LEASE_MS;
    while (seen.stream().noneMatch(ch -> ch.userId().equals("ana"))) {
      if (System.currentTimeMillis() > deadline) {
        fail("the dead node's participants never expired; changes: " + seen);
      }
      seen.addAll(await(b.sync(room, bs)).changes());
      seen.addAll(await(c.sync(room, cs)).changes());
      Thread.sleep(LEASE_MS / 6); // renewal cadence, not synchronisation
    }
    seen.addAll(await(b.sync(room, bs)).changes());
    seen.addAll(await(c.sync(room, cs)).changes());
    assertEquals(2, seen.size(), () -> "announced once each: " + seen);
    Presence.Change ana = seen.stream().filter(ch -> ch.userId().equals("ana")).findFirst().get();
    assertEquals(PresenceChanged.Kind.LEFT, ana.kind());
    Presence.Change sam = seen.stream().filter(ch -> ch.userId().equals("sam")).findFirst().get();
    assertEquals(PresenceChanged.Kind.UPDATED, sam.kind());
    assertEquals(1, sam.after().getConnections());
    assertEquals(List.of("sam", "tea"), await(c.participants(room)).stream()
        .map(Participant::getUserId).toList());

    // The node comes back (say after a long pause): its own sync puts its people back.
    Presence.Result back = await(dead.sync(room,
        entries(entry("ana", Role.STUDENT, PresenceState.ACTIVE, 1, 1))));
    Presence.Change again = only(back);
    assertEquals(PresenceChanged.Kind.JOINED, again.kind());
    assertEquals("ana", again.userId());
  }
}
