package io.ponte.server.doc;

import io.ponte.yjs.Lib0Encoder;

/**
 * Hand-made Yjs V1 updates for tests: a client typing into the root Y.Text {@code name}, one
 * insertion after another (each insertion's origin is the last character of the previous one).
 */
public final class YTextUpdates {
  private final long client;
  private final String name;
  private long clock;

  public YTextUpdates(long client, String name) {
    this.client = client;
    this.name = name;
  }

  /** The update that appends {@code text} (ASCII, so one clock per char). */
  public byte[] append(String text) {
    Lib0Encoder e = new Lib0Encoder();
    e.writeVarUint(1).writeVarUint(1).writeVarUint(client).writeVarUint(clock);
    if (clock == 0) {
      e.writeUint8(0x04); // ContentString, no origins: the parent follows
      e.writeVarUint(1).writeVarString(name);
    } else {
      e.writeUint8(0x84); // ContentString with an origin
      e.writeVarUint(client).writeVarUint(clock - 1);
    }
    e.writeVarString(text);
    e.writeVarUint(0); // empty delete set
    clock += text.length();
    return e.toByteArray();
  }

  public long clock() {
    return clock;
  }
}
