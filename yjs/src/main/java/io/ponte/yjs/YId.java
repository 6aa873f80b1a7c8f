package io.ponte.yjs;

/** A Yjs struct id: client (unsigned 32-bit in practice) and clock, both as non-negative longs. */
public record YId(long client, long clock) {
  @Override
  public String toString() {
    return client + ":" + clock;
  }
}
