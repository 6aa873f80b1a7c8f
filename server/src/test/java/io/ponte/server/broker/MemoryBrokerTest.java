package io.ponte.server.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
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

  /** History keeps the newest operations up to its limit, counting from the attached seq. */
  @Test
  void historyKeepsTheNewestOperationsUpToItsLimit() throws Exception {
    Broker small = new MemoryBroker(3);
    String room = room();
    Context ctx = vertx.getOrCreateContext();
    onContext(ctx, () -> small.attach(room, 40, "epoch-1", new Recorder()));
    for (int i = 0; i < 5; i++) {
      int n = i;
      onContext(ctx, () -> small.append(room, op("m" + n)));
    }
    assertEquals(List.of(43L, 44L, 45L),
        await(small.history(room, 0, 10)).stream().map(SequencedOperation::getSeq).toList());
    List<SequencedOperation> after43 = await(small.history(room, 43, 10));
    assertEquals(List.of(44L, 45L), after43.stream().map(SequencedOperation::getSeq).toList());
    assertEquals("m3", after43.get(0).getOperation().getChatPost().getText());
    assertEquals(List.of(43L),
        await(small.history(room, 42, 1)).stream().map(SequencedOperation::getSeq).toList());
    assertEquals(List.of(), await(small.history(room, 45, 10)));
  }
}
