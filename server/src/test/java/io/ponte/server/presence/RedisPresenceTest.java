package io.ponte.server.presence;

import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisTarget;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * The presence contract on {@link RedisPresence} against a real Redis ({@link RedisFixture});
 * every test has its own key prefix, and its nodes share it.
 */
class RedisPresenceTest extends PresenceContractTest {
  private final String prefix = RedisFixture.newPrefix();
  private final Vertx vertx = Vertx.vertx();
  private final List<Presence> nodes = new ArrayList<>();

  @Override
  protected Presence node(String nodeId, long leaseMs) throws Exception {
    Presence p = await(RedisPresence.connect(vertx, new RedisPresence.Options(
        target(), prefix, nodeId, leaseMs, 5_000)));
    nodes.add(p);
    return p;
  }

  /** The Redis the nodes use. */
  protected RedisTarget target() {
    return RedisTarget.standalone(RedisFixture.get().url());
  }

  @AfterEach
  void close() throws Exception {
    for (Presence p : nodes) {
      await(p.close());
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
