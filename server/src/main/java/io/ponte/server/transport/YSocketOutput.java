package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.metrics.PonteMetrics;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outbound queue of a socket of a Yjs-compatible endpoint ({@code /yjs}, {@code /hocuspocus}),
 * bounded like /ws's: at most outbound-queue-messages frames and outbound-queue-bytes bytes wait
 * while the socket cannot take more; ephemeral frames (awareness) are dropped once it is half
 * full, and a socket that falls further behind is closed with SLOW_CONSUMER (providers reconnect
 * and resync through sync steps 1 and 2). No batching: the y-protocols have no batch frame.
 * Frames are wrapped, not copied (one update frame goes to every provider of a document); a frame
 * must not be changed once written.
 */
final class YSocketOutput {
  private final ServerWebSocket ws;
  private final Context context;
  private final PonteMetrics metrics;
  private final SocketCore core;
  private final int maxMessages;
  private final long maxBytes;
  private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queuedMessages = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();

  YSocketOutput(SocketCore core, PonteConfig config, PonteMetrics metrics) {
    this.core = core;
    this.ws = core.socket();
    this.context = core.context();
    this.metrics = metrics;
    this.maxMessages = config.outboundQueueMessages();
    this.maxBytes = config.outboundQueueBytes();
    ws.drainHandler(v -> flush());
  }

  /** Queues a frame from any thread, unless the socket is closing. */
  void write(byte[] frame, boolean ephemeral) {
    if (core.isClosing()) {
      return;
    }
    int messages = queuedMessages.get();
    long bytes = queuedBytes.get();
    if (ephemeral && (messages >= maxMessages / 2 || bytes >= maxBytes / 2)) {
      metrics.dropped("ephemeral_backpressure");
      return;
    }
    if (messages >= maxMessages || bytes + frame.length > maxBytes) {
      metrics.dropped("slow_consumer");
      queue.clear();
      core.closeLater(CloseCode.SLOW_CONSUMER, "outbound queue full");
      return;
    }
    queue.add(frame);
    queuedMessages.incrementAndGet();
    queuedBytes.addAndGet(frame.length);
    if (flushScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> flush());
    }
  }

  private void flush() {
    flushScheduled.set(false);
    byte[] frame;
    while (!core.isClosing() && !ws.isClosed()) {
      if (ws.writeQueueFull()) {
        return; // the drain handler calls flush again
      }
      if ((frame = queue.poll()) == null) {
        return;
      }
      queuedMessages.decrementAndGet();
      queuedBytes.addAndGet(-frame.length);
      writeNow(frame);
    }
    queue.clear();
  }

  /**
   * Writes everything queued now, past backpressure (before a drain's close: the answers to the
   * writes read must reach the client ahead of the close frame); on the socket's context.
   */
  void flushAll() {
    flushScheduled.set(false);
    byte[] frame;
    while (!ws.isClosed() && (frame = queue.poll()) != null) {
      queuedMessages.decrementAndGet();
      queuedBytes.addAndGet(-frame.length);
      writeNow(frame);
    }
  }

  /** Writes at once, ahead of the queue (a last word before the close); on the socket's context. */
  void writeNow(byte[] frame) {
    if (!ws.isClosed()) {
      ws.writeFinalBinaryFrame(BufferInternal.buffer(io.netty.buffer.Unpooled.wrappedBuffer(frame)));
    }
  }
}
