package io.ponte.server.presence;

/** The presence contract on {@link MemoryPresence}: nodes of one test share one space. */
class MemoryPresenceTest extends PresenceContractTest {
  private final MemoryPresence.Space space = new MemoryPresence.Space();

  @Override
  protected Presence node(String nodeId, long leaseMs) {
    return new MemoryPresence(space, nodeId, leaseMs);
  }
}
