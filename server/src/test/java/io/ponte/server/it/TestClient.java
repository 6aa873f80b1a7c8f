package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.ProtocolException;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.HistoryPage;
import io.ponte.protocol.v1.HistoryRequest;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.Welcome;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A real WebSocket client for integration tests, driven from the test thread: every method blocks
 * (with a timeout) until the answer arrives. Batches are flattened into single messages.
 */
public final class TestClient implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final WebSocketClient client;
  private final WebSocket ws;
  private final WireFormat format;
  private final LinkedBlockingQueue<ServerMessage> inbox = new LinkedBlockingQueue<>();
  /** Messages read past by {@link #await}, in arrival order, still available to later waits. */
  private final List<ServerMessage> stash = new ArrayList<>();
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  /** Every frame received, as it came (text frames as UTF-8), for tests that scan all output. */
  private final List<byte[]> frames = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong requestIds = new AtomicLong();
  private volatile String decodeFailure;

  private TestClient(WebSocketClient client, WebSocket ws, WireFormat format) {
    this.client = client;
    this.ws = ws;
    this.format = format;
    ws.binaryMessageHandler(buf -> {
      frames.add(buf.getBytes());
      accept(() -> FrameCodec.decodeServer(buf.getBytes()));
    });
    ws.textMessageHandler(text -> {
      frames.add(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      accept(() -> FrameCodec.decodeServer(text));
    });
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode() == null ? -1 : (int) ws.closeStatusCode()));
  }

  public static TestClient connect(Vertx vertx, int port, WireFormat format) {
    return connect(vertx, port, format.subprotocol(), format);
  }

  /** Connects offering the given subprotocol header value (may be null for none). */
  public static TestClient connect(Vertx vertx, int port, String subprotocols, WireFormat format) {
    return connect(vertx, port, subprotocols, format, null);
  }

  /**
   * Connects offering the given subprotocol header value (may be null for none) with the given
   * Origin header (null: none, as a non-browser client).
   */
  public static TestClient connect(Vertx vertx, int port, String subprotocols, WireFormat format,
      String origin) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(16 * 1024 * 1024).setMaxMessageSize(64 * 1024 * 1024));
    try {
      WebSocket ws = client.connect(connectOptions(port, subprotocols, origin))
          .toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new TestClient(client, ws, format);
    } catch (Exception e) {
      client.close();
      throw new AssertionError("cannot connect: " + e, e);
    }
  }

  /** Connects with extra request headers (e.g. a User-Agent or X-Forwarded-For a proxy adds). */
  public static TestClient connect(Vertx vertx, int port, WireFormat format,
      java.util.Map<String, String> headers) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(16 * 1024 * 1024).setMaxMessageSize(64 * 1024 * 1024));
    WebSocketConnectOptions options = connectOptions(port, format.subprotocol(), null);
    headers.forEach(options::putHeader);
    try {
      WebSocket ws = client.connect(options)
          .toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new TestClient(client, ws, format);
    } catch (Exception e) {
      client.close();
      throw new AssertionError("cannot connect: " + e, e);
    }
  }

  /**
   * Tries a WebSocket upgrade and returns the HTTP status: 101 when the server accepted it (the
   * socket is closed again right away), else the status of the refusal.
   */
  public static int upgradeStatus(Vertx vertx, int port, String subprotocols, String origin) {
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      WebSocket ws = client.connect(connectOptions(port, subprotocols, origin))
          .toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      ws.close();
      return 101;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UpgradeRejectedException rejected) {
        return rejected.getStatus();
      }
      throw new AssertionError("upgrade failed without an HTTP status: " + e.getCause(), e);
    } catch (Exception e) {
      throw new AssertionError("upgrade failed: " + e, e);
    } finally {
      client.close();
    }
  }

  private static WebSocketConnectOptions connectOptions(int port, String subprotocols, String origin) {
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(port).setURI("/ws")
        // Vert.x adds its own Origin header unless told not to; with false it drops ours too.
        .setAllowOriginHeader(origin != null);
    if (subprotocols != null) {
      for (String s : subprotocols.split(",")) {
        options.addSubProtocol(s.trim());
      }
    }
    if (origin != null) {
      options.putHeader("Origin", origin);
    }
    return options;
  }

  private interface Decoder {
    ServerMessage decode() throws ProtocolException;
  }

  private void accept(Decoder decoder) {
    try {
      ServerMessage m = decoder.decode();
      if (m.getBodyCase() == ServerMessage.BodyCase.BATCH) {
        inbox.addAll(m.getBatch().getMessagesList());
      } else {
        inbox.add(m);
      }
    } catch (ProtocolException e) {
      decodeFailure = e.toString();
    }
  }

  /** A copy of every frame received so far, in arrival order. */
  public List<byte[]> frames() {
    synchronized (frames) {
      return List.copyOf(frames);
    }
  }

  /** A header of the server's handshake (upgrade) response, or null. */
  public String handshakeHeader(String name) {
    return ws.headers() == null ? null : ws.headers().get(name);
  }

  public WireFormat format() {
    return format;
  }

  /** The subprotocol the server selected in the handshake (null if none). */
  public String subProtocol() {
    return ws.subProtocol();
  }

  /**
   * Stops reading from the socket (the underlying Vert.x WebSocket is paused): once its small
   * buffer is full, nothing more is read, so the server's writes back up, and pings go unanswered.
   */
  public void pause() {
    ws.pause();
  }

  /** Reads again after {@link #pause()}. */
  public void resume() {
    ws.resume();
  }

  public long nextRequestId() {
    return requestIds.incrementAndGet();
  }

  // ------------------------------------------------------------------------------------------
  // Sending
  // ------------------------------------------------------------------------------------------

  public void send(ClientMessage message) {
    if (format == WireFormat.PROTO) {
      sendBinary(FrameCodec.encodeBinary(message));
    } else {
      sendText(FrameCodec.encodeJson(message));
    }
  }

  public void sendBinary(byte[] frame) {
    ws.writeBinaryMessage(Buffer.buffer(frame));
  }

  public void sendText(String frame) {
    ws.writeTextMessage(frame);
  }

  /** Sends with a fresh request id and waits for the message answering it. */
  public ServerMessage request(ClientMessage.Builder message) {
    long id = nextRequestId();
    send(message.setRequestId(id).build());
    return await(m -> m.getRequestId() == id, "answer to request " + id);
  }

  /** Sends with a fresh request id without waiting for the answer; returns the id. */
  public long sendRequest(ClientMessage.Builder message) {
    long id = nextRequestId();
    send(message.setRequestId(id).build());
    return id;
  }

  /** Waits for the answer to a request sent earlier with {@link #sendRequest}. */
  public ServerMessage answer(long requestId) {
    return await(m -> m.getRequestId() == requestId, "answer to request " + requestId);
  }

  public Welcome hello(String token) {
    ServerMessage m = request(ClientMessage.newBuilder().setHello(Hello.newBuilder().setToken(token)));
    assertEquals(ServerMessage.BodyCase.WELCOME, m.getBodyCase(), () -> "expected welcome: " + m);
    return m.getWelcome();
  }

  public Joined join(String roomId) {
    return join(roomId, 0, "");
  }

  public Joined join(String roomId, long lastSeq, String epoch) {
    ServerMessage m = joinRaw(roomId, lastSeq, epoch);
    assertEquals(ServerMessage.BodyCase.JOINED, m.getBodyCase(), () -> "expected joined: " + m);
    return m.getJoined();
  }

  public ServerMessage joinRaw(String roomId, long lastSeq, String epoch) {
    return request(ClientMessage.newBuilder().setJoin(
        Join.newBuilder().setRoomId(roomId).setLastSeq(lastSeq).setEpoch(epoch)));
  }

  /** Posts and expects an ack. */
  public Ack post(String roomId, String text) {
    return ack(request(ClientMessage.newBuilder()
        .setChatPost(ChatPost.newBuilder().setRoomId(roomId).setText(text))));
  }

  /** Posts and returns the answer (ack or error). */
  public ServerMessage post(ChatPost.Builder post) {
    return request(ClientMessage.newBuilder().setChatPost(post));
  }

  /** Requests a history page and returns the answer (page or error). */
  public ServerMessage historyRaw(String roomId, long beforeSeq, int limit) {
    return request(ClientMessage.newBuilder().setHistory(
        HistoryRequest.newBuilder().setRoomId(roomId).setBeforeSeq(beforeSeq).setLimit(limit)));
  }

  /** Requests a history page and expects one. */
  public HistoryPage history(String roomId, long beforeSeq, int limit) {
    ServerMessage m = historyRaw(roomId, beforeSeq, limit);
    assertEquals(ServerMessage.BodyCase.HISTORY, m.getBodyCase(), () -> "expected history: " + m);
    return m.getHistory();
  }

  public static Ack ack(ServerMessage m) {
    assertEquals(ServerMessage.BodyCase.ACK, m.getBodyCase(), () -> "expected ack: " + m);
    return m.getAck();
  }

  public static ErrorInfo error(ServerMessage m) {
    assertEquals(ServerMessage.BodyCase.ERROR, m.getBodyCase(), () -> "expected error: " + m);
    return m.getError();
  }

  // ------------------------------------------------------------------------------------------
  // Receiving
  // ------------------------------------------------------------------------------------------

  /** The first message (stashed or new) matching the predicate; others are kept for later. */
  public ServerMessage await(Predicate<ServerMessage> match, String what) {
    return await(match, what, TIMEOUT);
  }

  public synchronized ServerMessage await(Predicate<ServerMessage> match, String what, Duration timeout) {
    for (Iterator<ServerMessage> it = stash.iterator(); it.hasNext(); ) {
      ServerMessage m = it.next();
      if (match.test(m)) {
        it.remove();
        return m;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      ServerMessage m;
      try {
        m = left > 0 ? inbox.poll(left, TimeUnit.NANOSECONDS) : null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
      if (m == null) {
        fail("timed out waiting for " + what + (decodeFailure != null ? " (decode failure: "
            + decodeFailure + ")" : "") + "; unmatched: " + stash);
      }
      if (match.test(m)) {
        return m;
      }
      stash.add(m);
    }
  }

  /** The next durable event of a room (seq > 0), in arrival order. */
  public Event nextEvent(String roomId) {
    return await(m -> m.hasEvent() && m.getEvent().getSeq() > 0
        && m.getEvent().getRoomId().equals(roomId), "event in " + roomId).getEvent();
  }

  /** The next event matching the predicate. */
  public Event awaitEvent(Predicate<Event> match, String what) {
    return await(m -> m.hasEvent() && match.test(m.getEvent()), what).getEvent();
  }

  /** Whether a matching message arrives within the time (consuming it if so). */
  public boolean receives(Predicate<ServerMessage> match, Duration within) {
    try {
      await(match, "optional", within);
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }

  /** The first matching message arriving within the time (consumed), or null if none does. */
  public ServerMessage poll(Predicate<ServerMessage> match, Duration within) {
    try {
      return await(match, "optional", within);
    } catch (AssertionError e) {
      return null;
    }
  }

  /**
   * Forgets every message received so far (stashed or queued) that matches; returns how many.
   * Use it after a reply to ignore what was sent before that reply.
   */
  public synchronized int discard(Predicate<ServerMessage> match) {
    inbox.drainTo(stash);
    int before = stash.size();
    stash.removeIf(match);
    return before - stash.size();
  }

  /** Waits until the server closes the connection; returns the close code. */
  public int awaitClose() {
    try {
      return closed.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("connection was not closed within " + TIMEOUT, e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  public void assertOpen() {
    assertTrue(!closed.isDone(), "connection should be open");
  }

  @Override
  public void close() {
    try {
      ws.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // already closed
    }
    client.close();
  }
}
