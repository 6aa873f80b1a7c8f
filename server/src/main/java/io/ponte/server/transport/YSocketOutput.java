package io.ponte.server.transport;

import io.ponte.server.metrics.PonteMetrics;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.function.BooleanSupplier;

/**
 * The outbound side of a socket of a Yjs-compatible endpoint ({@code /yjs}, {@code /hocuspocus}):
 * writes from any thread on the socket's context, drops ephemeral frames (awareness) while the
 * socket cannot keep up, and wraps frames instead of copying them (one update frame goes to every
 * provider of a document). A frame must not be changed once written.
 */
final class YSocketOutput {
  private final ServerWebSocket ws;
  private final Context context;
  private final PonteMetrics metrics;
  private final BooleanSupplier closing;

  YSocketOutput(ServerWebSocket ws, Context context, PonteMetrics metrics, BooleanSupplier closing) {
    this.ws = ws;
    this.context = context;
    this.metrics = metrics;
    this.closing = closing;
  }

  /** Writes from any thread, unless the socket is closing. */
  void write(byte[] frame, boolean ephemeral) {
    if (closing.getAsBoolean()) {
      return;
    }
    context.runOnContext(v -> {
      if (closing.getAsBoolean() || ws.isClosed()) {
        return;
      }
      if (ws.writeQueueFull() && ephemeral) {
        metrics.dropped("ephemeral_backpressure");
        return;
      }
      writeNow(frame);
    });
  }

  /** Writes at once, closing or not (a last word before the close); on the socket's context. */
  void writeNow(byte[] frame) {
    if (!ws.isClosed()) {
      ws.writeFinalBinaryFrame(BufferInternal.buffer(io.netty.buffer.Unpooled.wrappedBuffer(frame)));
    }
  }
}
