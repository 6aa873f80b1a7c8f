package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.Role;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisSentinelFixture;
import io.ponte.server.redis.RedisTarget;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node configured with {@code redis-mode sentinel}: it reaches the master through a real
 * Sentinel ({@link RedisSentinelFixture}) for the broker and presence.
 */
@Timeout(90)
class RedisSentinelNodeIT {
  @TempDir
  Path dir;

  @Test
  void aNodeInSentinelModeServesARoomThroughTheMasterTheSentinelNames() {
    String prefix = RedisFixture.newPrefix();
    try (RedisSentinelFixture sentinel = RedisSentinelFixture.start(false);
        TestServer s = new TestServer(dir, b -> b.redisMode(RedisTarget.Mode.SENTINEL)
            .redisUrl(sentinel.sentinelUrl())
            .redisSentinelMaster(RedisSentinelFixture.MASTER)
            .redisKeyPrefix(prefix))) {
      s.createRoom("s1");
      try (TestClient ana = s.user("ana", "s1", Role.TEACHER);
          TestClient bo = s.user("bo", "s1", Role.STUDENT)) {
        ana.join("s1");
        bo.join("s1");
        assertEquals(1, ana.post("s1", "through the sentinel").getSeq());
        assertEquals("through the sentinel", bo.nextEvent("s1").getChatPosted().getText());
      }
      assertEquals("1", sentinel.cli(sentinel.masterPort(), "GET", prefix + "{s1}:seq").strip());
    }
  }
}
