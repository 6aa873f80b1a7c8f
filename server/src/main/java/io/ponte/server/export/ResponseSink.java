package io.ponte.server.export;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The bytes an export thread writes, sent as chunks of an HTTP response on the response's event
 * loop. The writer blocks (on its own thread, never an event loop) while {@link #IN_FLIGHT}
 * chunks are not yet written to the socket: a client that reads slowly slows the export down
 * instead of making the server hold the archive.
 *
 * <p>The response starts (status 200, the given headers) with the first chunk, so an export that
 * finds nothing can still answer 404: see {@link #started()}.
 */
final class ResponseSink extends OutputStream {
  static final int CHUNK_BYTES = 64 * 1024;
  static final int IN_FLIGHT = 4;
  /** How long a writer waits for a client that reads nothing before giving up. */
  private static final long STALL_MS = 120_000;

  private final Context context;
  private final HttpServerResponse response;
  private final Consumer<HttpServerResponse> start;
  private final Semaphore permits = new Semaphore(IN_FLIGHT);
  private byte[] buffer = new byte[CHUNK_BYTES];
  private int filled;
  private volatile boolean started;
  private volatile boolean gone;

  /**
   * @param start sets the status and headers; runs on the response's context before the first
   *     chunk
   */
  ResponseSink(Context context, HttpServerResponse response, Consumer<HttpServerResponse> start) {
    this.context = context;
    this.response = response;
    this.start = start;
  }

  /** The client went away (connection closed or a write failed): the export should stop. */
  void clientGone() {
    gone = true;
    permits.release(IN_FLIGHT); // wake a waiting writer
  }

  boolean gone() {
    return gone;
  }

  /** Whether the first chunk was handed to the response (its status is then 200). */
  boolean started() {
    return started;
  }

  @Override
  public void write(int b) throws IOException {
    if (filled == buffer.length) {
      emit();
    }
    buffer[filled++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (filled == buffer.length) {
        emit();
      }
      int n = Math.min(len, buffer.length - filled);
      System.arraycopy(b, off, buffer, filled, n);
      filled += n;
      off += n;
      len -= n;
    }
  }

  /** Sends what is buffered (flush() does not: a zip stream flushes often, chunks stay large). */
  private void emit() throws IOException {
    if (filled == 0) {
      return;
    }
    acquire();
    Buffer chunk = Buffer.buffer(filled == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, filled));
    buffer = new byte[CHUNK_BYTES];
    filled = 0;
    boolean first = !started;
    started = true;
    context.runOnContext(v -> {
      if (response.ended() || response.closed()) {
        clientGone();
        return;
      }
      if (first) {
        start.accept(response);
      }
      response.write(chunk).onComplete(ar -> {
        if (ar.failed()) {
          clientGone();
        } else {
          permits.release();
        }
      });
    });
  }

  private void acquire() throws IOException {
    try {
      if (gone || !permits.tryAcquire(STALL_MS, TimeUnit.MILLISECONDS) || gone) {
        gone = true;
        throw new ClientGoneException();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("export interrupted");
    }
  }

  /** Sends the rest and ends the response. */
  void finish() throws IOException {
    emit();
    if (!started) {
      // An archive smaller than a chunk: nothing was emitted, so start here.
      started = true;
      context.runOnContext(v -> start.accept(response));
    }
    context.runOnContext(v -> {
      if (!response.ended() && !response.closed()) {
        response.end();
      }
    });
  }

  /** Breaks off a started response, so the client sees an incomplete download, not a short archive. */
  void abort() {
    context.runOnContext(v -> {
      if (!response.ended() && !response.closed()) {
        response.reset();
      }
    });
  }

  @Override
  public void flush() {
    // see emit()
  }

  @Override
  public void close() {
    // finish() or abort() end the response
  }

  /** The client stopped reading or disconnected. */
  static final class ClientGoneException extends IOException {
    ClientGoneException() {
      super("the client went away");
    }
  }
}
