package io.ponte.server.outbound;

import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.ServerMessage;

/**
 * A server message on its way to one or many connections, encoded at most once per wire format
 * and shared by every recipient.
 *
 * <p>Pitfall: two threads may race to encode the same format; both produce the same bytes and one
 * wins, which is cheaper than locking on every send.
 */
public final class OutboundMessage {
  private final ServerMessage message;
  private final boolean ephemeral;
  private final long eventTimeMs;
  private volatile byte[] binary;
  private volatile String json;
  private volatile String typeName;
  /** A DocUpdated event as a y-protocols sync-update message, and behind the last prefix asked. */
  private volatile byte[] yjsUpdate;
  private volatile PrefixedFrame yjsUpdatePrefixed;

  private record PrefixedFrame(byte[] prefix, byte[] frame) {}

  private OutboundMessage(ServerMessage message, boolean ephemeral, long eventTimeMs) {
    this.message = message;
    this.ephemeral = ephemeral;
    this.eventTimeMs = eventTimeMs;
  }

  /** A reply or notice for one connection; never dropped under pressure. */
  public static OutboundMessage of(ServerMessage message) {
    return new OutboundMessage(message, false, 0);
  }

  /** A room event; ephemeral ones (seq 0) may be dropped under pressure. */
  public static OutboundMessage event(Event event) {
    return new OutboundMessage(ServerMessage.newBuilder().setEvent(event).build(),
        event.getSeq() == 0, event.getServerTimeMs());
  }

  public ServerMessage message() {
    return message;
  }

  /** Whether the message may be dropped when the connection cannot keep up. */
  public boolean ephemeral() {
    return ephemeral;
  }

  /** Server time of the event it carries (for delivery latency), or 0. */
  public long eventTimeMs() {
    return eventTimeMs;
  }

  public byte[] binary() {
    byte[] b = binary;
    if (b == null) {
      b = FrameCodec.encodeBinary(message);
      binary = b;
    }
    return b;
  }

  public String json() {
    String j = json;
    if (j == null) {
      j = FrameCodec.encodeJson(message);
      json = j;
    }
    return j;
  }

  /** Encoded size in the given format (encodes it if not done yet). */
  public int size(WireFormat format) {
    return format == WireFormat.PROTO ? binary().length : json().length();
  }

  /** The message type as metrics tag it ("chat_posted", "ack", ...); computed once, shared. */
  public String typeName() {
    String t = typeName;
    if (t == null) {
      t = message.getBodyCase() == ServerMessage.BodyCase.EVENT
          ? message.getEvent().getBodyCase().name().toLowerCase(java.util.Locale.ROOT)
          : message.getBodyCase().name().toLowerCase(java.util.Locale.ROOT);
      typeName = t;
    }
    return t;
  }

  /**
   * For a DocUpdated event: the y-protocols sync-update message ({@code 0, 2, update}), built
   * once and shared by every Yjs socket of the document (the same race as {@link #binary()}).
   */
  public byte[] yjsSyncUpdate() {
    byte[] y = yjsUpdate;
    if (y == null) {
      byte[] update = message.getEvent().getDocUpdated().getUpdate().toByteArray();
      y = new io.ponte.yjs.Lib0Encoder(update.length + 8)
          .writeVarUint(0).writeVarUint(2).writeVarUint8Array(update).toByteArray();
      yjsUpdate = y;
    }
    return y;
  }

  /**
   * {@link #yjsSyncUpdate()} behind a prefix (Hocuspocus: the document name, the same for every
   * provider of one document), kept for the last prefix asked, so the providers of a document
   * share one frame.
   */
  public byte[] yjsSyncUpdate(byte[] prefix) {
    PrefixedFrame p = yjsUpdatePrefixed;
    if (p == null || !java.util.Arrays.equals(p.prefix(), prefix)) {
      byte[] body = yjsSyncUpdate();
      byte[] frame = new byte[prefix.length + body.length];
      System.arraycopy(prefix, 0, frame, 0, prefix.length);
      System.arraycopy(body, 0, frame, prefix.length, body.length);
      p = new PrefixedFrame(prefix, frame);
      yjsUpdatePrefixed = p;
    }
    return p.frame();
  }
}
