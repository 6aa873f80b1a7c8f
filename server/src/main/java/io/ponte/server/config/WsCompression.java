package io.ponte.server.config;

/** Whether the WebSocket endpoints accept permessage-deflate ({@code ws-compression}). */
public enum WsCompression {
  /** No compression extension is negotiated, whatever the client offers. */
  OFF,
  /**
   * permessage-deflate without context takeover on both sides (no window kept between messages),
   * inflation bounded by the message limits, small messages sent uncompressed.
   */
  ON
}
