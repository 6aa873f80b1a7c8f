package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A WebSocket client that sends and receives raw binary frames on the Yjs-compatible endpoints
 * ({@code /yjs/...}, {@code /hocuspocus}), for what the npm providers never send: single-byte
 * keepalive messages, frames of an exact size.
 */
final class RawYSocket implements AutoCloseable {
  private final WebSocketClient client;
  private final WebSocket ws;
  private final BlockingQueue<byte[]> inbox;
  private final CompletableFuture<Integer> closed;

  private RawYSocket(WebSocketClient client, WebSocket ws, BlockingQueue<byte[]> inbox,
      CompletableFuture<Integer> closed) {
    this.client = client;
    this.ws = ws;
    this.inbox = inbox;
    this.closed = closed;
  }

  /** Opens {@code uri} (path and query) on the test server; fails unless upgraded. */
  static RawYSocket open(Vertx vertx, int port, String uri) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(8 * 1024 * 1024).setMaxMessageSize(8 * 1024 * 1024));
    try {
      BlockingQueue<byte[]> inbox = new LinkedBlockingQueue<>();
      CompletableFuture<Integer> closed = new CompletableFuture<>();
      // Handlers set in the completion callback, on the socket's event loop: the server speaks
      // first on /yjs, and a frame read before the handlers exist would be lost.
      WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
              .setURI(uri).setAllowOriginHeader(false))
          .onSuccess(w -> {
            w.binaryMessageHandler(buf -> inbox.add(buf.getBytes()));
            w.closeHandler(v -> closed.complete(w.closeStatusCode() == null ? -1 : (int) w.closeStatusCode()));
          })
          .toCompletionStage().toCompletableFuture().get(TestClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new RawYSocket(client, ws, inbox, closed);
    } catch (Exception e) {
      client.close();
      throw new AssertionError("cannot open " + uri.replaceAll("token=[^&]*", "token=…") + ": " + e, e);
    }
  }

  /** Sends one binary frame. */
  void send(byte[] frame) {
    ws.writeFinalBinaryFrame(Buffer.buffer(frame));
  }

  /** The next message matching, skipping others; fails after the timeout. */
  byte[] await(Predicate<byte[]> match, String what, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      byte[] m = null;
      try {
        m = left > 0 ? inbox.poll(left, TimeUnit.NANOSECONDS) : null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (m == null) {
        fail("timed out waiting for " + what + (closed.isDone() ? " (closed with " + closed.join() + ")" : ""));
      }
      if (match.test(m)) {
        return m;
      }
    }
  }

  /** Waits for the server to close the socket; returns the close code (-1: none). */
  int awaitClose() {
    try {
      return closed.get(TestClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the socket was not closed within " + TestClient.TIMEOUT, e);
    }
  }

  /** Whether the server closes the socket within the time. */
  boolean closesWithin(Duration within) {
    try {
      closed.get(within.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!ws.isClosed()) {
      ws.close();
    }
    client.close();
  }
}
