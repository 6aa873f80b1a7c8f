package io.ponte.load;

import io.vertx.core.Context;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One Socket.IO client on the peer chat server ({@code load-tests/peers/socketio}), speaking
 * Engine.IO v4 over WebSocket directly as the browser client does after its upgrade
 * ({@code /socket.io/?EIO=4&transport=websocket}): the server opens with {@code 0{...}}, the
 * client connects the main namespace with {@code 40}, the server answers {@code 40{...}}; events
 * are {@code 42["event",...]}, acknowledged ones {@code 42<id>[...]} answered {@code 43<id>[...]};
 * the server's ping {@code 2} is answered {@code 3}.
 *
 * <p>It joins one room ({@code join}, acknowledged) and posts {@code chat} events that carry
 * their send time in the text as the Ponte participants' posts do ("t&lt;nanoTime&gt; ...");
 * the server broadcasts each post to the room, sender included, and acknowledges it.
 */
final class SocketIoClient implements LoadClient {
  private final int index;
  private final String room;
  private final Context context;
  private final WebSocketClient client;
  private final WebSocketConnectOptions connectOptions;
  private final LoadOptions options;
  private final Stats stats;
  private final Participant.Listener listener;
  private final String filler;

  private WebSocket ws;
  private int attempts;
  private long connectStart;
  private boolean stopped;
  private boolean closingByUs;
  private boolean everReady;
  private long nextAckId;
  private long joinAckId = -1;
  private long joinStart;
  private int pendingAcks;
  private long postTimer = -1;
  private double postRate;
  private long postCounter;

  SocketIoClient(int index, String room, Context context, WebSocketClient client,
      WebSocketConnectOptions connectOptions, LoadOptions options, Stats stats,
      Participant.Listener listener) {
    this.index = index;
    this.room = room;
    this.context = context;
    this.client = client;
    this.connectOptions = connectOptions;
    this.options = options;
    this.stats = stats;
    this.listener = listener;
    this.filler = "x".repeat(options.messageSize);
  }

  @Override
  public void run(Runnable action) {
    context.runOnContext(v -> action.run());
  }

  @Override
  public void start() {
    attempts = 0;
    connect();
  }

  private void connect() {
    if (stopped) {
      return;
    }
    attempts++;
    connectStart = System.nanoTime();
    client.connect(connectOptions).onComplete(ar -> {
      if (ar.failed()) {
        stats.connectFailures.increment();
        Stats.count(stats.connectErrors, ar.cause().getClass().getSimpleName());
        if (!stopped && attempts < options.connectAttempts) {
          long backoff = Math.min(2000, 100L << Math.min(attempts, 5));
          context.owner().setTimer(backoff + ThreadLocalRandom.current().nextLong(backoff), t -> connect());
        } else {
          listener.failed(this);
        }
        return;
      }
      if (stopped) {
        ar.result().close();
        return;
      }
      opened(ar.result());
    });
  }

  private void opened(WebSocket socket) {
    ws = socket;
    stats.upgrade.recordValue(Math.max(0, (System.nanoTime() - connectStart) / 1000));
    stats.connected.incrementAndGet();
    stats.countCompression(socket);
    socket.textMessageHandler(this::onMessage);
    socket.binaryMessageHandler(b -> Stats.count(stats.errors, "UNEXPECTED_BINARY_FRAME"));
    socket.exceptionHandler(e -> Stats.count(stats.connectErrors, "socket " + e.getClass().getSimpleName()));
    socket.closeHandler(v -> {
      ws = null;
      stats.connected.decrementAndGet();
      if (!closingByUs) {
        Short code = socket.closeStatusCode();
        Stats.count(stats.closes, code == null ? "none" : Short.toString(code));
        if (!everReady) {
          listener.failed(this);
        }
      }
      stopPosting();
      listener.closed(this);
    });
  }

  private void send(String packet) {
    WebSocket socket = ws;
    if (socket != null && !closingByUs) {
      socket.writeTextMessage(packet);
    }
  }

  private void onMessage(String m) {
    if (m.isEmpty()) {
      return;
    }
    switch (m.charAt(0)) {
      case '0' -> send("40"); // Engine.IO open: connect the main namespace
      case '2' -> send("3"); // Engine.IO ping: pong
      case '1' -> Stats.count(stats.errors, "ENGINE_IO_CLOSE");
      case '4' -> onSocketIo(m);
      default -> Stats.count(stats.errors, "ENGINE_IO_" + m.charAt(0));
    }
  }

  /** A Socket.IO packet inside an Engine.IO message (type 4). */
  private void onSocketIo(String m) {
    if (m.length() < 2) {
      return;
    }
    switch (m.charAt(1)) {
      case '0' -> { // namespace connected: join the room
        joinAckId = nextAckId++;
        joinStart = System.nanoTime();
        send("42" + joinAckId + "[\"join\"," + Json.quote(room) + "]");
      }
      case '2' -> {
        // 42["chat",{"room":...,"user":...,"text":"t<nanos> ..."}]
        int t = m.indexOf("\"text\":\"");
        if (!m.startsWith("42[\"chat\"") || t < 0) {
          stats.otherEvents.increment();
          return;
        }
        stats.delivered.increment();
        long sent = Participant.sentNanos(m.substring(t + 8));
        long lat = System.nanoTime() - sent;
        if (sent != 0 && lat >= 0) {
          stats.latency.recordValue(lat / 1000);
        }
      }
      case '3' -> { // ack
        int end = m.indexOf('[');
        long id;
        try {
          id = Long.parseLong(m.substring(2, end < 0 ? m.length() : end));
        } catch (NumberFormatException e) {
          Stats.count(stats.errors, "BAD_ACK");
          return;
        }
        if (id == joinAckId) {
          stats.join.recordValue(Math.max(0, (System.nanoTime() - joinStart) / 1000));
          if (!everReady) {
            everReady = true;
            stats.connect.recordValue(Math.max(0, (System.nanoTime() - connectStart) / 1000));
            listener.ready(this);
          }
        } else if (pendingAcks > 0) {
          pendingAcks--;
          stats.acked.increment();
        }
      }
      case '1' -> Stats.count(stats.errors, "SOCKET_IO_DISCONNECT");
      case '4' -> Stats.count(stats.errors, "SOCKET_IO_CONNECT_ERROR");
      default -> stats.otherEvents.increment();
    }
  }

  @Override
  public void stopSending() {
    stopPosting();
  }

  @Override
  public void startSending(double rate) {
    stopPosting();
    if (rate <= 0 || stopped) {
      return;
    }
    postRate = rate;
    long interval = Math.max(1, Math.round(1000 / rate));
    long first = 1 + ThreadLocalRandom.current().nextLong(interval);
    postTimer = context.owner().setTimer(first, t -> {
      postTimer = context.owner().setPeriodic(interval, t2 -> post());
      post();
    });
  }

  private void stopPosting() {
    if (postTimer >= 0) {
      context.owner().cancelTimer(postTimer);
      postTimer = -1;
    }
    postRate = 0;
  }

  private void post() {
    WebSocket socket = ws;
    if (postRate <= 0 || socket == null || closingByUs || !everReady) {
      return;
    }
    if (socket.writeQueueFull()) {
      stats.sendsSkipped.increment();
      return;
    }
    long n = ++postCounter;
    String head = "t" + System.nanoTime() + " " + index + "." + n + " ";
    String text = head.length() >= options.messageSize ? head
        : head + filler.substring(0, options.messageSize - head.length());
    pendingAcks++;
    send("42" + (nextAckId++) + "[\"chat\",{\"room\":" + Json.quote(room) + ",\"text\":"
        + Json.quote(text) + "}]");
    stats.sent.increment();
  }

  @Override
  public void stop() {
    stopped = true;
    stopPosting();
    if (ws != null) {
      closingByUs = true;
      ws.close();
    } else {
      listener.closed(this);
    }
  }

  @Override
  public boolean isOpen() {
    return ws != null;
  }

  @Override
  public int pendingPosts() {
    return pendingAcks;
  }
}
