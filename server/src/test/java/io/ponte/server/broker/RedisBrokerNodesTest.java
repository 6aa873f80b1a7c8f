package io.ponte.server.broker;

import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.redis.RedisTarget;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * The broker contract on {@link RedisBroker} in one of its modes, and other nodes for what only a
 * shared broker does: each its own Vert.x and broker on the same Redis and key prefix (every test
 * has its own prefix).
 */
abstract class RedisBrokerNodesTest extends BrokerContractTest {
  protected final String prefix = RedisFixture.newPrefix();
  private final List<Vertx> extraVertx = new ArrayList<>();
  private final List<Broker> extraBrokers = new ArrayList<>();
  protected PonteMetrics metrics;

  /** The Redis the brokers use. */
  protected abstract RedisTarget target();

  protected RedisBroker.Options options() {
    return RedisBroker.Options.of(target()).withKeyPrefix(prefix);
  }

  @Override
  protected Broker createBroker(Vertx vertx) throws Exception {
    metrics = new PonteMetrics();
    return await(RedisBroker.connect(vertx, options(), metrics));
  }

  @AfterEach
  void closeExtraNodes() throws Exception {
    for (Broker b : extraBrokers) {
      await(b.close());
    }
    for (Vertx v : extraVertx) {
      v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Another node, closed after the test. */
  protected Node node() throws Exception {
    return node(options(), new PonteMetrics());
  }

  /** Another node with these options and metrics, closed after the test. */
  protected Node node(RedisBroker.Options nodeOptions, PonteMetrics nodeMetrics) throws Exception {
    Vertx v = Vertx.vertx();
    extraVertx.add(v);
    RedisBroker b = await(RedisBroker.connect(v, nodeOptions, nodeMetrics));
    extraBrokers.add(b);
    return new Node(v, b, v.getOrCreateContext());
  }

  /** A node: its Vert.x, its broker, and the context its rooms are attached on. */
  protected record Node(Vertx vertx, Broker broker, Context context) {}
}
