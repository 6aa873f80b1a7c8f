package io.ponte.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.ponte.protocol.CloseCode;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.util.TokenBucket;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every WebSocket endpoint (/ws, /yjs, /hocuspocus) does the same way, below its protocol:
 * messages assembled from frames under one size limit, the per-connection message, byte and
 * sync-request buckets, the authentication deadline, idle timeout with WebSocket pings, token
 * expiry timers, the per-user connection count, and the close. A {@link Protocol} adapter decodes
 * the messages and decides the words that go with a refusal.
 *
 * <p>Frames, not Vert.x's message aggregator: a message over the limit, in one frame, in
 * fragments or once inflated, is refused as soon as its size passes the limit and is never
 * assembled past it; every fragment is charged to the byte bucket as it arrives (a fragment
 * flood is a flood). Everything here runs on the socket's context, except {@link #isClosing}.
 */
final class SocketCore {
  private static final Logger log = LoggerFactory.getLogger(SocketCore.class);

  /** The endpoint's side of a socket; every call comes on the socket's context. */
  interface Protocol {
    /**
     * A whole message (text or binary). {@code rateWaitMs} > 0: it is over the message or byte
     * rate; the adapter refuses it (with {@link #refusedForRate} deciding whether that is a flood).
     */
    void onMessage(Buffer payload, boolean text, long rateWaitMs);

    /** A message passed the size limit: refuse it and close with FRAME_TOO_LARGE. */
    void onTooLarge(long length, int limit);

    /** A fragment was over the byte rate (the message is skipped); {@code flooding}: close. */
    void onFragmentsLimited(long waitMs, boolean flooding);

    /** No authentication within auth-timeout-ms. */
    void onAuthTimeout();

    /** Nothing received (not even a pong) for idle-timeout-ms. */
    void onIdle(long silentMs);

    /** The socket is closed (by either side): leave rooms, release everything. */
    void onClosed();
  }

  private final ServerWebSocket ws;
  /** The socket's Netty channel (null if unknown): where WebSocketDeflate marks an inflation bomb. */
  private final Channel channel;
  private final Context context;
  private final Vertx vertx;
  private final Transport transport;
  private final PonteConfig config;
  private final int maxMessageBytes;
  private Protocol protocol;

  private final TokenBucket messageBucket;
  private final TokenBucket byteBucket;
  private final TokenBucket syncBucket;
  private int refusedInARow;
  private boolean throttle;
  private boolean paused;
  private long lastReceivedNanos = System.nanoTime();
  private long authTimer = -1;
  private long pingTimer = -1;
  private final Set<Long> timers = new HashSet<>();
  /** Users this socket counts against max-connections-per-user (Hocuspocus: possibly several). */
  private final Set<String> users = new HashSet<>();
  private volatile boolean closing;
  private boolean released;
  /**
   * Writes read from this socket whose answer (ack, error, applied) is not yet in its outbound
   * queue; decremented from any thread. A drain closes the socket only once this is 0.
   */
  private final AtomicInteger unanswered = new AtomicInteger();
  /** Set by {@link #drain}: the adapter's last words and close, run once every write is answered. */
  private volatile Runnable closeWhenAnswered;
  private io.vertx.core.Promise<Boolean> drained;
  private long drainTimer = -1;

  // The message being assembled.
  private List<ByteBuf> parts;
  private long assembled;
  private boolean text;
  private boolean skipping;

  SocketCore(ServerWebSocket ws, Channel channel, Context context, Transport transport, int maxMessageBytes) {
    this.ws = ws;
    this.channel = channel;
    this.context = context;
    this.vertx = context.owner();
    this.transport = transport;
    this.config = transport.config();
    this.maxMessageBytes = maxMessageBytes;
    long now = System.nanoTime();
    this.messageBucket = new TokenBucket(config.rateMessagesPerSecond(), config.rateMessagesBurst(), now);
    this.byteBucket = new TokenBucket(config.rateBytesPerSecond(), config.rateBytesBurst(), now);
    int sync = config.syncRequestsPerSecond();
    this.syncBucket = new TokenBucket(sync, 2.0 * sync, now);
  }

  /**
   * Wires the socket; with {@code authDeadline}, the adapter must call {@link #authenticated} in
   * time. With {@code throttle}, a message or fragment over the rates is not refused: the socket
   * stops being read until the buckets have refilled (TCP backpressure), for protocols that have
   * no way to tell a sender to resend (y-protocols: a dropped update would wait for the next
   * reconnect); the adapter then always sees {@code rateWaitMs} 0.
   */
  void start(Protocol protocol, boolean authDeadline, boolean throttle) {
    this.protocol = protocol;
    this.throttle = throttle;
    ws.frameHandler(this::onFrame);
    ws.pongHandler(buf -> lastReceivedNanos = System.nanoTime());
    ws.exceptionHandler(err -> log.debug("socket error: {}", err.toString()));
    ws.closeHandler(v -> onClosed());
    if (authDeadline) {
      authTimer = vertx.setTimer(config.authTimeoutMs(), id -> {
        authTimer = -1;
        if (!closing) {
          protocol.onAuthTimeout();
        }
      });
    }
    pingTimer = vertx.setPeriodic(config.pingIntervalMs(), id -> keepAlive());
  }

  Context context() {
    return context;
  }

  ServerWebSocket socket() {
    return ws;
  }

  /** The first successful authentication: the deadline no longer applies. */
  void authenticated() {
    if (authTimer >= 0) {
      vertx.cancelTimer(authTimer);
      authTimer = -1;
    }
  }

  /**
   * Counts the socket against the user's max-connections-per-user on this node (once per user);
   * false when the user is at the limit.
   */
  boolean claimUser(String userId) {
    if (users.contains(userId)) {
      return true;
    }
    if (closing || !transport.claimUser(userId)) {
      return false;
    }
    users.add(userId);
    return true;
  }

  /** Runs {@code action} at {@code atMs} (a token's expiry) unless the socket closes first. */
  long at(long atMs, Runnable action) {
    long delay = Math.max(1, atMs - System.currentTimeMillis());
    long[] id = new long[1];
    id[0] = vertx.setTimer(delay, t -> {
      timers.remove(id[0]);
      if (!closing) {
        action.run();
      }
    });
    timers.add(id[0]);
    return id[0];
  }

  void cancel(long timer) {
    if (timers.remove(timer)) {
      vertx.cancelTimer(timer);
    }
  }

  /** A sync request (DocSync, sync step 1, query-awareness) within sync-requests-per-second. */
  long trySyncRequest() {
    return syncBucket.tryTake(1, System.nanoTime());
  }

  /** Counts one more message refused for rate in a row; true when that makes it a flood. */
  boolean refusedForRate() {
    refusedInARow++;
    // Still sending after a burst's worth of refusals: a flood, not a burst.
    return refusedInARow > config.rateMessagesBurst();
  }

  /** A message within the rates: the refusals in a row start again. */
  void acceptedForRate() {
    refusedInARow = 0;
  }

  boolean isClosing() {
    return closing;
  }

  /** Closes the socket with the code (once); the adapter has written its last words. */
  void close(CloseCode code, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    transport.metrics().closed(code.code());
    if (!ws.isClosed()) {
      // A close frame's reason is at most 123 bytes.
      ws.close((short) code.code(), reason.length() > 60 ? reason.substring(0, 60) : reason);
    }
    if (drained != null) {
      // A drained socket was paused: read again so that the peer's close frame is seen (data
      // frames are ignored from now on, see onFrame).
      ws.resume();
    }
  }

  /** From any thread. */
  void closeLater(CloseCode code, String reason) {
    context.runOnContext(v -> close(code, reason));
  }

  /**
   * A write (an operation the client expects an answer to) was read from the socket: a drain
   * waits for its answer before closing. Call on the socket's context, before handling it.
   */
  void writeRead() {
    unanswered.incrementAndGet();
  }

  /**
   * The answer to a write read earlier is in the outbound queue (from any thread, after queueing
   * it): the last one lets a waiting drain close the socket.
   */
  void writeAnswered() {
    if (unanswered.decrementAndGet() <= 0 && closeWhenAnswered != null) {
      context.runOnContext(v -> finishDrain());
    }
  }

  /**
   * Drains the socket (from any thread): reads no further message from it at once, then, as soon
   * as every write already read has its answer queued (or after {@code timeoutMs} at the latest),
   * runs {@code lastWordsAndClose}, which flushes the outbound queue and closes with
   * SERVER_SHUTDOWN. Completes once the close was sent (or the socket was already closed): true
   * when every write read had been answered, false when the deadline closed it before.
   *
   * <p>Pitfall: reading is paused, not the messages read dropped: a message handed to the
   * adapter was "read" and is answered; one still in the socket's buffers was never read, and a
   * client resends it after resuming elsewhere (exactly once by its client message id).
   */
  io.vertx.core.Future<Boolean> drain(long timeoutMs, Runnable lastWordsAndClose) {
    io.vertx.core.Promise<Boolean> done = io.vertx.core.Promise.promise();
    context.runOnContext(v -> {
      if (drained != null) {
        drained.future().onComplete(done);
        return;
      }
      drained = done;
      if (closing) {
        done.tryComplete(true);
        return;
      }
      ws.pause();
      closeWhenAnswered = lastWordsAndClose;
      drainTimer = vertx.setTimer(Math.max(1, timeoutMs), t -> {
        drainTimer = -1;
        if (unanswered.get() > 0) {
          log.debug("drain: closing a socket with {} writes unanswered at the deadline", unanswered.get());
        }
        finishDrain(true);
      });
      finishDrain();
    });
    return done.future();
  }

  private void finishDrain() {
    finishDrain(false);
  }

  private void finishDrain(boolean deadline) {
    Runnable close = closeWhenAnswered;
    if (close == null || (!deadline && unanswered.get() > 0)) {
      return;
    }
    closeWhenAnswered = null;
    if (drainTimer >= 0) {
      vertx.cancelTimer(drainTimer);
      drainTimer = -1;
    }
    boolean answered = unanswered.get() <= 0;
    if (!closing) {
      close.run();
    }
    drained.tryComplete(answered);
  }

  // ------------------------------------------------------------------------------------------

  private void onFrame(WebSocketFrame frame) {
    lastReceivedNanos = System.nanoTime();
    if (closing || frame.isPing() || frame.isClose() || frame.type() == io.vertx.core.http.WebSocketFrameType.PONG) {
      return;
    }
    Buffer data = frame.binaryData();
    int length = data.length();
    if (length == 0 && inflatedTooLarge()) {
      dropAssembly();
      protocol.onTooLarge((long) maxMessageBytes + 1, maxMessageBytes);
      return;
    }
    if (!frame.isContinuation()) {
      dropAssembly();
      skipping = false;
      text = frame.isText();
    }
    long now = System.nanoTime();
    if (skipping) {
      // The rest of a message already refused: still charged, never kept.
      long wait = byteBucket.tryTake(length, now);
      if (wait > 0 && refusedForRate()) {
        protocol.onFragmentsLimited(wait, true);
      }
      if (frame.isFinal()) {
        skipping = false;
      }
      return;
    }
    assembled += length;
    if (assembled > maxMessageBytes) {
      long total = assembled;
      dropAssembly();
      skipping = !frame.isFinal();
      protocol.onTooLarge(total, maxMessageBytes);
      return;
    }
    if (!frame.isFinal()) {
      long wait = throttle ? byteBucket.take(length, now) : byteBucket.tryTake(length, now);
      if (wait > 0 && throttle) {
        pauseFor(wait);
      } else if (wait > 0) {
        dropAssembly();
        skipping = true;
        protocol.onFragmentsLimited(wait, refusedForRate());
        return;
      }
      if (parts == null) {
        parts = new ArrayList<>(4);
      }
      parts.add(((BufferInternal) data).getByteBuf());
      return;
    }
    Buffer message = data;
    if (parts != null) {
      parts.add(((BufferInternal) data).getByteBuf());
      // Wrapped, not copied.
      message = BufferInternal.buffer(Unpooled.wrappedBuffer(parts.toArray(new ByteBuf[0])));
    }
    parts = null;
    assembled = 0;
    long wait = throttle
        ? Math.max(messageBucket.take(1, now), byteBucket.take(length, now))
        : Math.max(messageBucket.tryTake(1, now), byteBucket.tryTake(length, now));
    if (wait > 0 && throttle) {
      pauseFor(wait);
      wait = 0;
    }
    protocol.onMessage(message, text, wait);
  }

  /** Reads nothing more from the socket for a while (its peer's TCP window fills). */
  private void pauseFor(long waitMs) {
    if (paused) {
      return;
    }
    paused = true;
    ws.pause();
    vertx.setTimer(waitMs, t -> {
      paused = false;
      if (!closing && drained == null) {
        ws.resume();
      }
    });
  }

  private void dropAssembly() {
    parts = null;
    assembled = 0;
  }

  private boolean inflatedTooLarge() {
    return channel != null && channel.hasAttr(WebSocketDeflate.INFLATED_TOO_LARGE);
  }

  private void keepAlive() {
    long silentMs = (System.nanoTime() - lastReceivedNanos) / 1_000_000;
    if (silentMs > config.idleTimeoutMs()) {
      if (!closing) {
        protocol.onIdle(silentMs);
      }
      return;
    }
    if (!ws.isClosed()) {
      ws.writePing(Buffer.buffer("p"));
    }
  }

  private void onClosed() {
    closing = true;
    if (drainTimer >= 0) {
      vertx.cancelTimer(drainTimer);
      drainTimer = -1;
    }
    closeWhenAnswered = null;
    if (drained != null) {
      drained.tryComplete(unanswered.get() <= 0);
    }
    if (authTimer >= 0) {
      vertx.cancelTimer(authTimer);
    }
    if (pingTimer >= 0) {
      vertx.cancelTimer(pingTimer);
    }
    for (long t : timers) {
      vertx.cancelTimer(t);
    }
    timers.clear();
    parts = null;
    release();
    protocol.onClosed();
  }

  private void release() {
    if (released) {
      return;
    }
    released = true;
    for (String user : users) {
      transport.releaseUser(user);
    }
    users.clear();
  }
}
