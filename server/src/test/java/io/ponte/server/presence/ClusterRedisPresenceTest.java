package io.ponte.server.presence;

import io.ponte.server.redis.RedisClusterFixture;
import io.ponte.server.redis.RedisTarget;

/**
 * The presence contract on {@link RedisPresence} against a real three-master Redis Cluster
 * ({@link RedisClusterFixture}): the sync script's two keys share the room's slot.
 */
class ClusterRedisPresenceTest extends RedisPresenceTest {
  @Override
  protected RedisTarget target() {
    return RedisClusterFixture.get().target();
  }
}
