package io.ponte.server.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RedisSlots#slot} computes what a real Redis Cluster answers to {@code CLUSTER KEYSLOT}. */
@Timeout(60)
class RedisSlotsTest {

  @Test
  void knownSlotsAndHashTags() {
    assertEquals(12182, RedisSlots.slot("foo"));
    assertEquals(0x31C3, RedisSlots.slot("123456789"));
    assertEquals(RedisSlots.slot("room-1"), RedisSlots.slot("ponte:{room-1}:ops"));
    assertEquals(RedisSlots.slot("ponte:{room-1}:seq"), RedisSlots.slot("other:{room-1}:eph"));
    // An empty tag "{}" does not count: the whole key is hashed.
    assertEquals(crossCheck("{}x"), RedisSlots.slot("{}x"));
    assertEquals(RedisSlots.slot("a{}{b}"), crossCheck("a{}{b}"));
  }

  @Test
  void agreesWithARealClusterOnRandomKeys() {
    for (int i = 0; i < 20; i++) {
      String key = "p:{" + UUID.randomUUID() + "}:ops" + (i % 2 == 0 ? "" : "{x}");
      assertEquals(crossCheck(key), RedisSlots.slot(key), key);
      String untagged = "no-tag-" + UUID.randomUUID() + "-ü";
      assertEquals(crossCheck(untagged), RedisSlots.slot(untagged), untagged);
    }
  }

  private static int crossCheck(String key) {
    RedisClusterFixture cluster = RedisClusterFixture.get();
    return Integer.parseInt(cluster.cli(cluster.ports().get(0), "CLUSTER", "KEYSLOT", key).strip());
  }
}
