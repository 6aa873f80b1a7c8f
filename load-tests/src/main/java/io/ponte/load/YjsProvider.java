package io.ponte.load;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One Yjs provider socket for one document, framed as a stock provider frames it: y-websocket
 * ({@code /yjs/{room}/{doc}?token=}: y-protocols messages, lib0 var-uint framing) or Hocuspocus
 * ({@code /hocuspocus}: each message prefixed with the document name, Auth first, SyncStatus
 * acknowledgements, one-byte Ping/Pong). On open it sends sync step 1 and its awareness, answers
 * the server's step 1 with step 2, and counts as ready once synced (and, on Hocuspocus,
 * authenticated). A typist sends each keystroke as a sync update (type 0, sub 2) holding a real
 * Yjs V1 update from its own client id with a gap-free clock ({@link YjsText}).
 *
 * <p>Receivers check delivery per typist client: each update's struct ranges must continue that
 * client's clock (else missed or duplicated), and at the end every receiver must have reached each
 * typist's final clock. Updates from its own client id (servers may echo them) are counted apart.
 * Latency: the (client, clock) of a received range looks up the send time the typist recorded.
 *
 * <p>Pitfalls: the provider keeps no document model, so its step 2 is empty: it holds nothing
 * the server lacks at open (typing starts after everyone is synced), and it never reconnects.
 */
final class YjsProvider implements LoadClient {
  static final int MESSAGE_SYNC = 0;
  static final int MESSAGE_AWARENESS = 1;
  static final int MESSAGE_AUTH = 2;
  static final int MESSAGE_QUERY_AWARENESS = 3;
  /** Hocuspocus: a sync message the provider answers without emitting synced (same content). */
  static final int MESSAGE_SYNC_REPLY = 4;
  static final int MESSAGE_STATELESS = 5;
  static final int MESSAGE_CLOSE = 7;
  static final int MESSAGE_SYNC_STATUS = 8;
  static final int MESSAGE_PING = 9;
  static final int MESSAGE_PONG = 10;
  static final int SYNC_STEP1 = 0;
  static final int SYNC_STEP2 = 1;
  static final int SYNC_UPDATE = 2;
  static final int AUTH_TOKEN = 0;
  static final int AUTH_PERMISSION_DENIED = 1;
  static final int AUTH_AUTHENTICATED = 2;
  /** An empty Yjs V1 update: no structs, empty delete set. */
  private static final byte[] EMPTY_UPDATE = {0, 0};

  final int index;
  final boolean hocuspocus;
  /** {@code {room}/{doc}}; the document name on Hocuspocus. */
  final String docName;
  final boolean typist;
  private final String token;
  private final Context context;
  private final WebSocketClient client;
  private final WebSocketConnectOptions connectOptions;
  private final LoadOptions options;
  private final Stats stats;
  private final Participant.Listener listener;

  private WebSocket ws;
  private int attempts;
  private long connectStart;
  private boolean stopped;
  private boolean closingByUs;
  private boolean everReady;
  private boolean synced;
  private boolean authenticated;
  /** Hocuspocus: our step 2 waits for its SyncStatus before the keystrokes' ones. */
  private int unackedStep2;
  private int unackedUpdates;
  /** This provider's Yjs client id (its keystrokes' and its awareness'). */
  final long docClient = 1 + ThreadLocalRandom.current().nextLong(0xFFFF_FFFEL);
  private long docClock;
  private long keystrokes;
  private long typeTimer = -1;
  private double typeRate;
  private AtomicLongArray sendTimes;
  /** Per typist client seen: the clock its next update must start at. */
  private final Map<Long, Long> nextClock = new HashMap<>();

  YjsProvider(int index, boolean hocuspocus, String docName, boolean typist, String token,
      Context context, WebSocketClient client, WebSocketConnectOptions connectOptions,
      LoadOptions options, Stats stats, Participant.Listener listener) {
    this.index = index;
    this.hocuspocus = hocuspocus;
    this.docName = docName;
    this.typist = typist;
    this.token = token;
    this.context = context;
    this.client = client;
    this.connectOptions = connectOptions;
    this.options = options;
    this.stats = stats;
    this.listener = listener;
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
    socket.binaryMessageHandler(buf -> {
      try {
        onMessage(buf.getBytes());
      } catch (RuntimeException e) {
        Stats.count(stats.errors, "CLIENT_DECODE_FAILED");
      }
    });
    socket.textMessageHandler(t -> Stats.count(stats.errors, "UNEXPECTED_TEXT_FRAME"));
    socket.exceptionHandler(e -> Stats.count(stats.connectErrors, "socket " + e.getClass().getSimpleName()));
    socket.closeHandler(v -> {
      ws = null;
      stats.connected.decrementAndGet();
      if (!closingByUs) {
        Short code = socket.closeStatusCode();
        Stats.count(stats.closes, code == null ? "none" : code + " " + socket.closeReason());
        if (!everReady) {
          listener.failed(this);
        }
      }
      stopTyping();
      listener.closed(this);
    });
    // What a provider sends on open: (Hocuspocus: its token,) sync step 1, its awareness.
    if (hocuspocus) {
      ByteArrayOutputStream auth = header(MESSAGE_AUTH);
      YjsText.writeVarUint(auth, AUTH_TOKEN);
      YjsText.writeVarString(auth, token);
      write(auth);
    }
    ByteArrayOutputStream step1 = header(MESSAGE_SYNC);
    YjsText.writeVarUint(step1, SYNC_STEP1);
    writeVarBytes(step1, stateVector());
    write(step1);
    ByteArrayOutputStream awareness = header(MESSAGE_AWARENESS);
    writeVarBytes(awareness, awarenessUpdate());
    write(awareness);
  }

  /** A message under construction: Hocuspocus prefixes the document name. */
  private ByteArrayOutputStream header(int type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    if (hocuspocus) {
      YjsText.writeVarString(out, docName);
    }
    YjsText.writeVarUint(out, type);
    return out;
  }

  private void write(ByteArrayOutputStream message) {
    WebSocket socket = ws;
    if (socket != null && !closingByUs) {
      socket.writeBinaryMessage(Buffer.buffer(message.toByteArray()));
    }
  }

  private static void writeVarBytes(ByteArrayOutputStream out, byte[] b) {
    YjsText.writeVarUint(out, b.length);
    out.write(b, 0, b.length);
  }

  private byte[] stateVector() {
    ByteArrayOutputStream sv = new ByteArrayOutputStream(16);
    if (docClock == 0) {
      YjsText.writeVarUint(sv, 0);
    } else {
      YjsText.writeVarUint(sv, 1);
      YjsText.writeVarUint(sv, docClient);
      YjsText.writeVarUint(sv, docClock);
    }
    return sv.toByteArray();
  }

  /** y-protocols awareness update: one client, clock 1, a small user state as JSON. */
  private byte[] awarenessUpdate() {
    ByteArrayOutputStream a = new ByteArrayOutputStream(64);
    YjsText.writeVarUint(a, 1);
    YjsText.writeVarUint(a, docClient);
    YjsText.writeVarUint(a, 1);
    YjsText.writeVarString(a, "{\"user\":{\"name\":\"Load " + index + "\"}}");
    return a.toByteArray();
  }

  // ------------------------------------------------------------------------------------------
  // Receiving
  // ------------------------------------------------------------------------------------------

  private void onMessage(byte[] b) {
    int[] pos = {0};
    if (hocuspocus && b.length == 1 && (b[0] == MESSAGE_PING || b[0] == MESSAGE_PONG)) {
      // Connection-level keepalive, without a document name.
      if (b[0] == MESSAGE_PING && ws != null) {
        ws.writeBinaryMessage(Buffer.buffer(new byte[] {MESSAGE_PONG}));
      }
      return;
    }
    if (hocuspocus) {
      String name = readVarString(b, pos);
      if (!docName.equals(name)) {
        Stats.count(stats.errors, "OTHER_DOCUMENT");
        return;
      }
    }
    int type = (int) YjsText.readVarUint(b, pos);
    switch (type) {
      case MESSAGE_SYNC, MESSAGE_SYNC_REPLY -> onSync(b, pos);
      case MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS -> stats.ephemeral.increment();
      case MESSAGE_AUTH -> {
        int sub = (int) YjsText.readVarUint(b, pos);
        if (sub == AUTH_AUTHENTICATED) {
          authenticated = true;
          maybeReady();
        } else {
          String reason = pos[0] < b.length ? readVarString(b, pos) : "";
          // Keep the code ("DOC_READ_ONLY: ..."), not the free text.
          Stats.count(stats.errors, "PERMISSION_DENIED " + reason.replaceAll("[: ].*", ""));
        }
      }
      case MESSAGE_SYNC_STATUS -> {
        boolean applied = YjsText.readVarUint(b, pos) == 1;
        if (unackedStep2 > 0) {
          unackedStep2--;
        } else if (unackedUpdates > 0) {
          unackedUpdates--;
          if (applied) {
            stats.docAcked.increment();
          }
        }
        if (!applied) {
          Stats.count(stats.errors, "SYNC_STATUS_NOT_APPLIED");
        }
      }
      case MESSAGE_STATELESS -> {
        String payload = readVarString(b, pos);
        Stats.count(payload.contains("ponte.error") ? stats.errors : stats.expectedErrors,
            "STATELESS " + (payload.length() > 60 ? payload.substring(0, 60) : payload));
      }
      case MESSAGE_CLOSE -> Stats.count(stats.errors, "HOCUSPOCUS_CLOSE");
      default -> Stats.count(stats.errors, "UNKNOWN_MESSAGE_" + type);
    }
  }

  private void onSync(byte[] b, int[] pos) {
    int sub = (int) YjsText.readVarUint(b, pos);
    long len = YjsText.readVarUint(b, pos);
    if (len < 0 || pos[0] + len > b.length) {
      Stats.count(stats.errors, "CLIENT_DECODE_FAILED");
      return;
    }
    byte[] payload = java.util.Arrays.copyOfRange(b, pos[0], pos[0] + (int) len);
    switch (sub) {
      case SYNC_STEP1 -> {
        // Answer with what we hold that the server lacks: nothing (see the class comment).
        ByteArrayOutputStream step2 = header(MESSAGE_SYNC);
        YjsText.writeVarUint(step2, SYNC_STEP2);
        writeVarBytes(step2, EMPTY_UPDATE);
        if (hocuspocus) {
          unackedStep2++;
        }
        write(step2);
      }
      case SYNC_STEP2 -> {
        synced = true;
        maybeReady();
      }
      case SYNC_UPDATE -> received(payload);
      default -> Stats.count(stats.errors, "UNKNOWN_SYNC_" + sub);
    }
  }

  private void maybeReady() {
    if (!everReady && synced && (authenticated || !hocuspocus)) {
      everReady = true;
      stats.connect.recordValue(Math.max(0, (System.nanoTime() - connectStart) / 1000));
      listener.ready(this);
    }
  }

  /** A live update: checks each client's struct range against what came before, records latency. */
  private void received(byte[] update) {
    long[] ranges = YjsText.ranges(update);
    if (ranges == null) {
      Stats.count(stats.errors, "UNREADABLE_UPDATE");
      return;
    }
    boolean counted = false;
    for (int i = 0; i + 2 < ranges.length; i += 3) {
      long client = ranges[i];
      long clock = ranges[i + 1];
      long length = ranges[i + 2];
      if (client == docClient) {
        stats.docEchoes.increment();
        continue;
      }
      long expected = nextClock.getOrDefault(client, 0L);
      if (clock + length <= expected) {
        stats.duplicates.increment();
        continue;
      }
      if (clock > expected) {
        stats.missed.increment();
      }
      nextClock.put(client, clock + length);
      if (!counted) {
        counted = true;
        stats.docDelivered.increment();
        AtomicLongArray times = stats.docSendTimes.get(client);
        long sent = times == null ? 0 : times.get((int) (Math.max(clock, expected) & (Stats.DOC_SEND_TIMES - 1)));
        long lat = System.nanoTime() - sent;
        if (sent != 0 && lat >= 0) {
          stats.docLatency.recordValue(lat / 1000);
        }
      }
    }
  }

  /** Typists of this document whose final clock this provider has not reached (after the drain). */
  int behind(Iterable<YjsProvider> typists) {
    int behind = 0;
    for (YjsProvider t : typists) {
      if (t == this || !t.docName.equals(docName)) {
        continue;
      }
      long last = stats.docFinalClocks.getOrDefault(t.docClient, 0L);
      if (nextClock.getOrDefault(t.docClient, 0L) < last) {
        behind++;
      }
    }
    return behind;
  }

  private static String readVarString(byte[] b, int[] pos) {
    long len = YjsText.readVarUint(b, pos);
    if (len < 0 || pos[0] + len > b.length) {
      throw new IllegalArgumentException("string cut short");
    }
    String s = new String(b, pos[0], (int) len, StandardCharsets.UTF_8);
    pos[0] += (int) len;
    return s;
  }

  // ------------------------------------------------------------------------------------------
  // Typing
  // ------------------------------------------------------------------------------------------

  @Override
  public void stopSending() {
    stopTyping();
  }

  @Override
  public void startSending(double rate) {
    stopTyping();
    if (rate <= 0 || stopped || !typist) {
      return;
    }
    typeRate = rate;
    if (sendTimes == null) {
      sendTimes = new AtomicLongArray(Stats.DOC_SEND_TIMES);
      stats.docSendTimes.put(docClient, sendTimes);
    }
    long interval = Math.max(1, Math.round(1000 / rate));
    long first = 1 + ThreadLocalRandom.current().nextLong(interval);
    typeTimer = context.owner().setTimer(first, t -> {
      typeTimer = context.owner().setPeriodic(interval, t2 -> keystroke());
      keystroke();
    });
  }

  private void stopTyping() {
    if (typeTimer >= 0) {
      context.owner().cancelTimer(typeTimer);
      typeTimer = -1;
    }
    typeRate = 0;
  }

  /** Mostly ASCII, now and then a two-byte character and an emoji (two UTF-16 units). */
  private static final String[] KEYS = {"a", "e", "i", "o", "u", " ", "t", "n", "s", "r"};

  private void keystroke() {
    WebSocket socket = ws;
    if (typeRate <= 0 || socket == null || closingByUs || !everReady) {
      return;
    }
    if (socket.writeQueueFull()) {
      stats.sendsSkipped.increment();
      return;
    }
    long k = ++keystrokes;
    String text = k % 97 == 0 ? "\uD83D\uDE00" : k % 31 == 0 ? "\u00E9" : KEYS[(int) (k % KEYS.length)];
    byte[] update = YjsText.insert(docClient, docClock, docClient, docClock - 1, options.docRoot, text);
    ByteArrayOutputStream m = header(MESSAGE_SYNC);
    YjsText.writeVarUint(m, SYNC_UPDATE);
    writeVarBytes(m, update);
    sendTimes.set((int) (docClock & (Stats.DOC_SEND_TIMES - 1)), System.nanoTime());
    if (hocuspocus) {
      unackedUpdates++;
    }
    write(m);
    docClock += text.length();
    stats.docFinalClocks.put(docClient, docClock);
    stats.docSent.increment();
  }

  @Override
  public void stop() {
    stopped = true;
    stopTyping();
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
    return unackedUpdates + unackedStep2;
  }
}
