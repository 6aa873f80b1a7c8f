package io.ponte.server.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

/** The broker contract on the in-process {@link MemoryBroker}. */
class MemoryBrokerTest extends BrokerContractTest {
  @Override
  protected Broker createBroker(Vertx vertx) {
    return new MemoryBroker(1000);
  }

  /** A single node's store is the truth: the memory broker keeps the stored epoch. */
  @Test
  void attachKeepsTheStoredEpoch() throws Exception {
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    Broker.Attachment a = onContext(ctx, () -> broker.attach(room, 41, "epoch-1", new Recorder()));
    assertEquals("epoch-1", a.epoch());
    assertEquals(41, a.seq());
  }
}
