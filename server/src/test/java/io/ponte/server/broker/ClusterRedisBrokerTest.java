package io.ponte.server.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.server.redis.RedisClusterFixture;
import io.ponte.server.redis.RedisTarget;
import io.ponte.server.redis.RedisSlots;
import io.vertx.core.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The broker contract on {@link RedisBroker} in cluster mode, against a real three-master Redis
 * Cluster ({@link RedisClusterFixture}), plus what sharding adds: each room's keys and channels
 * live on the master owning its slot, rooms on different masters work side by side, and a node
 * whose shard pub/sub connections drop subscribes again and catches up.
 */
class ClusterRedisBrokerTest extends RedisBrokerNodesTest {

  @Override
  protected RedisTarget target() {
    return RedisClusterFixture.get().target();
  }

  private String key(String room, String suffix) {
    return prefix + "{" + room + "}:" + suffix;
  }

  /** One room id per master: ids whose slots belong to different masters, keyed by port. */
  private Map<Integer, String> oneRoomPerMaster() {
    RedisClusterFixture cluster = RedisClusterFixture.get();
    Map<Integer, String> rooms = new LinkedHashMap<>();
    for (int i = 0; rooms.size() < cluster.ports().size() && i < 10_000; i++) {
      String room = "shard-" + UUID.randomUUID();
      rooms.putIfAbsent(cluster.portOfSlot(RedisSlots.slot(key(room, "ops"))), room);
    }
    assertEquals(cluster.ports().size(), rooms.size(), "a room for every master");
    return rooms;
  }

  @Test
  void roomsOnEveryMasterKeepTheirKeysOnTheirOwnerAndReachBothNodesInOrder() throws Exception {
    Map<Integer, String> rooms = oneRoomPerMaster();
    Node other = node();
    Context ctx = vertx.getOrCreateContext();
    Map<String, Recorder> here = new LinkedHashMap<>();
    Map<String, Recorder> there = new LinkedHashMap<>();
    for (String room : rooms.values()) {
      here.put(room, new Recorder());
      there.put(room, new Recorder());
      onContext(ctx, () -> broker.attach(room, 0, "", here.get(room)));
      onContext(other.context(), () -> other.broker().attach(room, 0, "", there.get(room)));
    }
    for (int i = 0; i < 20; i++) {
      for (String room : rooms.values()) {
        Broker b = i % 2 == 0 ? broker : other.broker();
        Context c = i % 2 == 0 ? ctx : other.context();
        int n = i;
        assertEquals(i + 1, onContext(c, () -> b.append(room, op(room + "-" + n))));
      }
    }
    for (Map.Entry<Integer, String> e : rooms.entrySet()) {
      String room = e.getValue();
      eventuallyLong(() -> here.get(room).operations.size() == 20
          && there.get(room).operations.size() == 20);
      assertEquals(range(1, 20), seqs(here.get(room).operations));
      assertEquals(here.get(room).operations, there.get(room).operations);
      // The room's keys are on the master owning its hash tag's slot, and only there.
      int owner = e.getKey();
      String stream = key(room, "stream");
      assertEquals("1", RedisClusterFixture.get().cli(owner, "EXISTS", stream).strip());
      assertEquals("20", RedisClusterFixture.get().cli(owner, "GET", key(room, "seq")).strip());
      // Both nodes are subscribed to the shard channels on the owner.
      String numsub = RedisClusterFixture.get().cli(owner, "PUBSUB", "SHARDNUMSUB",
          key(room, "ops"), key(room, "eph"));
      assertEquals(List.of(key(room, "ops"), "2", key(room, "eph"), "2"),
          List.of(numsub.strip().split("\\s+")), numsub);
    }
    Set<Integer> owners = new HashSet<>(rooms.keySet());
    assertEquals(3, owners.size(), "the rooms are spread over the three masters");
  }

  @Test
  void ephemeralMessagesUseTheShardChannelAndReachEveryNode() throws Exception {
    for (String room : oneRoomPerMaster().values()) {
      Recorder here = new Recorder();
      onContext(vertx.getOrCreateContext(), () -> broker.attach(room, 0, "", here));
      Node other = node();
      Recorder there = new Recorder();
      onContext(other.context(), () -> other.broker().attach(room, 0, "", there));
      other.broker().publishEphemeral(room, "typing".getBytes(StandardCharsets.UTF_8));
      eventuallyLong(() -> here.ephemeral.size() == 1 && there.ephemeral.size() == 1);
      assertEquals("typing", new String(here.ephemeral.get(0), StandardCharsets.UTF_8));
      assertTrue(here.operations.isEmpty());
    }
  }

  @Test
  void whenEveryShardPubSubConnectionDropsTheNodeSubscribesAgainAndCatchesUp() throws Exception {
    Map<Integer, String> rooms = oneRoomPerMaster();
    Context ctx = vertx.getOrCreateContext();
    Node other = node();
    Map<String, Recorder> recorders = new LinkedHashMap<>();
    for (String room : rooms.values()) {
      recorders.put(room, new Recorder());
      onContext(ctx, () -> broker.attach(room, 0, "", recorders.get(room)));
      onContext(other.context(), () -> other.broker().attach(room, 0, "", new Recorder()));
      for (int i = 0; i < 3; i++) {
        onContext(other.context(), () -> other.broker().append(room, op("before")));
      }
    }
    for (String room : rooms.values()) {
      eventuallyLong(() -> recorders.get(room).operations.size() == 3);
    }
    // Every node of the cluster drops its pub/sub clients (both brokers' shard connections).
    for (int port : RedisClusterFixture.get().ports()) {
      RedisClusterFixture.get().cli(port, "CLIENT", "KILL", "TYPE", "pubsub");
    }
    for (String room : rooms.values()) {
      for (int i = 0; i < 3; i++) {
        onContext(other.context(), () -> other.broker().append(room, op("during")));
      }
    }
    for (String room : rooms.values()) {
      eventuallyLong(() -> recorders.get(room).operations.size() == 6);
    }
    for (String room : rooms.values()) {
      for (int i = 0; i < 3; i++) {
        onContext(other.context(), () -> other.broker().append(room, op("after")));
      }
    }
    for (String room : rooms.values()) {
      eventuallyLong(() -> recorders.get(room).operations.size() == 9);
      assertEquals(range(1, 9), seqs(recorders.get(room).operations));
    }
    eventuallyLong(() -> metrics.registry().find("ponte.redis.reconnects").counter() != null
        && metrics.registry().find("ponte.redis.reconnects").counter().count() >= 1);
  }

  @Test
  void whenTheRoomsSlotMovesToAnotherMasterBothNodesFollowIt() throws Exception {
    RedisClusterFixture cluster = RedisClusterFixture.get();
    String room = room();
    int slot = RedisSlots.slot(key(room, "ops"));
    int from = cluster.portOfSlot(slot);
    int to = cluster.ports().stream().filter(p -> p != from).findFirst().orElseThrow();
    Recorder here = new Recorder();
    Recorder there = new Recorder();
    Context ctx = vertx.getOrCreateContext();
    Node other = node();
    onContext(ctx, () -> broker.attach(room, 0, "", here));
    onContext(other.context(), () -> other.broker().attach(room, 0, "", there));
    for (int i = 0; i < 3; i++) {
      onContext(other.context(), () -> other.broker().append(room, op("before")));
    }
    eventuallyLong(() -> here.operations.size() == 3 && there.operations.size() == 3);

    // Resharding by hand, as redis-cli --cluster reshard does it, for this one slot.
    String fromId = cluster.cli(from, "CLUSTER", "MYID").strip();
    String toId = cluster.cli(to, "CLUSTER", "MYID").strip();
    String s = Integer.toString(slot);
    cluster.cli(to, "CLUSTER", "SETSLOT", s, "IMPORTING", fromId);
    cluster.cli(from, "CLUSTER", "SETSLOT", s, "MIGRATING", toId);
    List<String> keys = new ArrayList<>();
    for (String k : cluster.cli(from, "CLUSTER", "GETKEYSINSLOT", s, "1000").split("\n")) {
      if (!k.isBlank()) {
        keys.add(k.strip());
      }
    }
    assertTrue(keys.contains(key(room, "stream")), keys::toString);
    List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(to),
        "", "0", "10000", "KEYS"));
    migrate.addAll(keys);
    cluster.cli(from, migrate.toArray(String[]::new));
    for (int port : cluster.ports()) {
      cluster.cli(port, "CLUSTER", "SETSLOT", s, "NODE", toId);
    }
    eventuallyLong(() -> cluster.portOfSlot(slot) == to);

    // Appends follow MOVED to the new owner; both nodes subscribe again there and miss nothing.
    for (int i = 0; i < 3; i++) {
      onContext(other.context(), () -> other.broker().append(room, op("after")));
    }
    eventuallyLong(() -> here.operations.size() == 6 && there.operations.size() == 6);
    assertEquals(range(1, 6), seqs(here.operations));
    assertEquals(here.operations, there.operations);
    assertEquals("6", cluster.cli(to, "GET", key(room, "seq")).strip());
    eventuallyLong(() -> cluster.cli(to, "PUBSUB", "SHARDNUMSUB", key(room, "ops"))
        .strip().endsWith("2"));
  }
}
