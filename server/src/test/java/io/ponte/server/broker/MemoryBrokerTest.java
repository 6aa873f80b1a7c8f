package io.ponte.server.broker;

import io.vertx.core.Vertx;

/** The broker contract on the in-process {@link MemoryBroker}. */
class MemoryBrokerTest extends BrokerContractTest {
  @Override
  protected Broker createBroker(Vertx vertx) {
    return new MemoryBroker(1000);
  }
}
