package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.Role;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisClusterFixture;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisSlots;
import io.ponte.server.redis.RedisTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real nodes on a real three-master Redis Cluster ({@code redis-mode cluster}, every master
 * as a seed URL): rooms whose hash tags fall on different masters each work across the nodes,
 * with participants of one room on different nodes seeing the same events in the same order and
 * one participant list.
 */
@Timeout(120)
class RedisClusterNodesIT {
  @TempDir
  Path dir;

  private final String prefix = RedisFixture.newPrefix();

  private UnaryOperator<PonteConfig.Builder> node(String nodeId) {
    return b -> b.redisMode(RedisTarget.Mode.CLUSTER)
        .redisUrl(String.join(",", RedisClusterFixture.get().urls()))
        .redisKeyPrefix(prefix).nodeId(nodeId).presenceLeaseMs(3000);
  }

  /** One room id per master, keyed by the master's port. */
  private Map<Integer, String> oneRoomPerMaster() {
    RedisClusterFixture cluster = RedisClusterFixture.get();
    Map<Integer, String> rooms = new LinkedHashMap<>();
    for (int i = 0; rooms.size() < cluster.ports().size() && i < 10_000; i++) {
      String room = "c" + UUID.randomUUID().toString().substring(0, 8);
      rooms.putIfAbsent(cluster.portOfSlot(RedisSlots.slot(prefix + "{" + room + "}:ops")), room);
    }
    return rooms;
  }

  @Test
  void participantsOnBothNodesSeeTheSameEventsInTheSameOrderInRoomsOnEveryMaster() {
    Map<Integer, String> rooms = oneRoomPerMaster();
    assertEquals(3, rooms.size(), "the rooms are spread over the three masters");
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a"));
        TestServer b = new TestServer(dir.resolve("b"), node("node-b"))) {
      for (Map.Entry<Integer, String> e : rooms.entrySet()) {
        String room = e.getValue();
        a.createRoom(room);
        b.createRoom(room);
        try (TestClient ana = a.user("ana", room, Role.TEACHER);
            TestClient bo = b.user("bo", room, Role.STUDENT, WireFormat.JSON)) {
          ana.join(room);
          Joined onB = bo.join(room);
          List<String> names = new ArrayList<>();
          for (Participant p : onB.getParticipantsList()) {
            names.add(p.getUserId());
          }
          assertEquals(List.of("ana", "bo"), names, () -> "one list over both nodes: " + onB);
          for (int i = 0; i < 10; i++) {
            TestClient sender = i % 2 == 0 ? ana : bo;
            assertEquals(i + 1, sender.post(room, room + " message " + i).getSeq());
          }
          List<String> seenByAna = chat(ana, room, 10);
          List<String> seenByBo = chat(bo, room, 10);
          assertEquals(seenByAna, seenByBo, "the same events in the same order on both nodes");
          for (int i = 0; i < 10; i++) {
            assertEquals((i + 1) + ":" + room + " message " + i, seenByAna.get(i));
          }
          // The room lives on the master owning its hash tag's slot.
          int owner = e.getKey();
          assertEquals("10",
              RedisClusterFixture.get().cli(owner, "GET", prefix + "{" + room + "}:seq").strip());
          assertTrue(RedisClusterFixture.get().cli(owner, "EXISTS",
              prefix + "{" + room + "}:presence").strip().equals("1"));
        }
      }
    }
  }

  /** The next n chat events of the room as "seq:text", skipping presence events. */
  private static List<String> chat(TestClient client, String room, int n) {
    List<String> out = new ArrayList<>();
    while (out.size() < n) {
      Event e = client.nextEvent(room);
      if (e.hasChatPosted()) {
        out.add(e.getSeq() + ":" + e.getChatPosted().getText());
      }
    }
    return out;
  }
}
