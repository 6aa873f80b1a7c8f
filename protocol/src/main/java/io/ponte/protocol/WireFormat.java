package io.ponte.protocol;

/** The two encodings of the one Ponte schema, each bound to a WebSocket subprotocol. */
public enum WireFormat {
  /** Binary frames, each a protobuf-encoded message. */
  PROTO("ponte.v1.proto", true),
  /** Text frames, each the proto3 JSON mapping of a message. */
  JSON("ponte.v1.json", false);

  private final String subprotocol;
  private final boolean binaryFrames;

  WireFormat(String subprotocol, boolean binaryFrames) {
    this.subprotocol = subprotocol;
    this.binaryFrames = binaryFrames;
  }

  public String subprotocol() {
    return subprotocol;
  }

  public boolean binaryFrames() {
    return binaryFrames;
  }

  /** The format for a subprotocol name, or null when Ponte does not speak it. */
  public static WireFormat forSubprotocol(String name) {
    for (WireFormat f : values()) {
      if (f.subprotocol.equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** The first subprotocol Ponte speaks from a client's comma-separated offer, or null. */
  public static WireFormat negotiate(String offered) {
    if (offered == null) {
      return null;
    }
    for (String candidate : offered.split(",")) {
      WireFormat f = forSubprotocol(candidate.trim());
      if (f != null) {
        return f;
      }
    }
    return null;
  }
}
