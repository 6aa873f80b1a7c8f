package io.ponte.server.transport;

import io.netty.util.concurrent.FastThreadLocal;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.WireFormat;
import io.ponte.server.outbound.OutboundMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch frames an event loop composed last, so that connections whose queues hold the same
 * messages share one frame.
 *
 * <p>Why: the members of a room receive the same events in the same order, and when several
 * queue up between two writes each connection used to copy them into a batch frame of its own —
 * thirty copies of the same bytes for a class of thirty, which was a third of everything the server
 * allocated at high rates, and so a third of its young collections. The members' writes run one
 * after the other on their event loop, so the frame the first one composed is usually still here
 * for the next. A batch matches only the same messages (by identity) in the same order and format;
 * anything else is composed as before.
 *
 * <p>Per thread, no locking; holds a few recent messages, nothing more.
 */
final class SharedBatches {
  private static final int SLOTS = 8;
  private static final FastThreadLocal<SharedBatches> PER_THREAD = new FastThreadLocal<>() {
    @Override
    protected SharedBatches initialValue() {
      return new SharedBatches();
    }
  };

  private final OutboundMessage[][] messages = new OutboundMessage[SLOTS][];
  private final WireFormat[] formats = new WireFormat[SLOTS];
  private final Object[] frames = new Object[SLOTS];
  private int next;
  private boolean lastShared;

  /** The binary batch frame of these messages (at least two). */
  static byte[] binary(List<OutboundMessage> batch) {
    return (byte[]) PER_THREAD.get().frame(batch, WireFormat.PROTO);
  }

  /** The JSON batch frame of these messages (at least two). */
  static String json(List<OutboundMessage> batch) {
    return (String) PER_THREAD.get().frame(batch, WireFormat.JSON);
  }

  /** Whether this thread's last frame was one composed before (for metrics). */
  static boolean lastWasShared() {
    return PER_THREAD.get().lastShared;
  }

  private Object frame(List<OutboundMessage> batch, WireFormat format) {
    for (int slot = 0; slot < SLOTS; slot++) {
      if (formats[slot] == format && same(messages[slot], batch)) {
        lastShared = true;
        return frames[slot];
      }
    }
    lastShared = false;
    Object frame;
    if (format == WireFormat.PROTO) {
      List<byte[]> parts = new ArrayList<>(batch.size());
      for (OutboundMessage each : batch) {
        parts.add(each.binary());
      }
      frame = FrameCodec.batchBinary(parts);
    } else {
      List<String> parts = new ArrayList<>(batch.size());
      for (OutboundMessage each : batch) {
        parts.add(each.json());
      }
      frame = FrameCodec.batchJson(parts);
    }
    messages[next] = batch.toArray(new OutboundMessage[0]);
    formats[next] = format;
    frames[next] = frame;
    next = (next + 1) % SLOTS;
    return frame;
  }

  private static boolean same(OutboundMessage[] held, List<OutboundMessage> batch) {
    if (held == null || held.length != batch.size()) {
      return false;
    }
    for (int i = 0; i < held.length; i++) {
      if (held[i] != batch.get(i)) {
        return false;
      }
    }
    return true;
  }
}
