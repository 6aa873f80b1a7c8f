package io.ponte.server.transport;

import io.netty.util.concurrent.FastThreadLocal;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.ProtocolException;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Goodbye;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Left;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Limits;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Pong;
import io.ponte.protocol.v1.PresenceState;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.User;
import io.ponte.protocol.v1.Welcome;
import io.ponte.server.auth.AuthException;
import io.ponte.server.auth.Principal;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.outbound.OutboundMessage;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomMember;
import io.ponte.server.room.RoomUnloadedException;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestHandler;
import io.ponte.server.session.Session;
import io.ponte.server.text.ChatText;
import io.ponte.server.util.TokenBucket;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's WebSocket: its protocol state machine (hello, rooms, requests), its limits, and its
 * bounded outbound queue.
 *
 * <p>Pipeline: {@link SocketCore} (message assembly under the size limit, rates, deadlines,
 * keepalive) → frame type check → decode → dispatch → room. Outbound:
 * rooms and replies {@link #send} shared, pre-encoded messages from any thread into a bounded
 * queue; the connection's event loop drains it, batching what queued up into one frame.
 *
 * <p>Under pressure, ephemeral messages are dropped once the queue is half full; a connection
 * whose queue overflows with durable messages is closed with SLOW_CONSUMER and comes back through
 * resume. Inbound handling and every field not marked otherwise run on the connection's context.
 */
public final class Connection implements RoomMember, Session, SocketCore.Protocol {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  private static final int MAX_BATCH_MESSAGES = 128;
  private static final int MAX_BATCH_BYTES = 64 * 1024;
  /** A Join's room load, bounded past the registry's own bound (which answers first). */
  static final long JOIN_LOAD_BOUND_MS = io.ponte.server.room.RoomRegistry.LOAD_TIMEOUT_MS + 5_000;
  /** The messages of the batch being written: one list per event loop, not one per write. */
  private static final FastThreadLocal<List<OutboundMessage>> BATCH_SCRATCH =
      new FastThreadLocal<>() {
        @Override
        protected List<OutboundMessage> initialValue() {
          return new ArrayList<>(MAX_BATCH_MESSAGES);
        }
      };
  /** Messages held while a Hello is verified: a client may send its Joins right after Hello. */
  static final int MAX_HELD_MESSAGES = 32;
  /** A room being joined. */
  private static final Membership JOINING = new Membership(null, Role.ROLE_UNSPECIFIED);
  /**
   * The writes: requests that carry a client message id (chat, board, document, moderation...
   * operations). Each is answered with an Ack or an Error, and a drain waits for that answer.
   */
  static final java.util.Set<ClientMessage.BodyCase> WRITES = writes();

  private static java.util.Set<ClientMessage.BodyCase> writes() {
    java.util.Set<ClientMessage.BodyCase> writes = java.util.EnumSet.noneOf(ClientMessage.BodyCase.class);
    for (com.google.protobuf.Descriptors.FieldDescriptor f : ClientMessage.getDescriptor().getFields()) {
      if (f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE
          && carriesClientMsgId(f.getMessageType(), 0)) {
        writes.add(ClientMessage.BodyCase.forNumber(f.getNumber()));
      }
    }
    return java.util.Collections.unmodifiableSet(writes);
  }

  /** A client_msg_id field in the message or in a message it holds (a oneof of requests). */
  private static boolean carriesClientMsgId(com.google.protobuf.Descriptors.Descriptor d, int depth) {
    for (com.google.protobuf.Descriptors.FieldDescriptor f : d.getFields()) {
      if (f.getName().equals("client_msg_id")) {
        return true;
      }
      if (depth < 2 && f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE
          && !f.isRepeated() && carriesClientMsgId(f.getMessageType(), depth + 1)) {
        return true;
      }
    }
    return false;
  }

  private final ServerWebSocket ws;
  private final WireFormat format;
  private final Context context;
  private final Transport transport;
  private final PonteConfig config;
  private final String sessionId = UUID.randomUUID().toString();

  private final SocketCore core;
  private Principal principal;
  /**
   * Messages that arrived while a Hello's token was being verified (its keys being fetched), in
   * order; null when no Hello is waiting. Bounded by {@link #MAX_HELD_MESSAGES} and
   * max-frame-bytes in all.
   */
  private java.util.ArrayDeque<ClientMessage> held;
  private long heldBytes;
  private final TokenBucket typingBucket;
  private final TokenBucket presenceBucket;
  /** Features' per-connection values ({@link #attachment}); connection context only. */
  private final Map<Class<?>, Object> attachments = new java.util.HashMap<>();

  /** Rooms by id; a null room means the join is in progress. Read from room threads too. */
  private final Map<String, Membership> rooms = new ConcurrentHashMap<>();

  // Outbound queue: written from any thread, drained on the connection's context.
  private final ConcurrentLinkedQueue<OutboundMessage> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queuedMessages = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private volatile boolean closing;
  /** Request ids of the writes read and not yet answered, with how many of each (any thread). */
  private final ConcurrentHashMap<Long, Integer> unanswered = new ConcurrentHashMap<>();
  /** Completed when the socket closed; made on first use (a Join held by the join gate). */
  private io.vertx.core.Promise<Void> closedPromise;

  Connection(ServerWebSocket ws, io.netty.channel.Channel channel, WireFormat format, Context context,
      Transport transport) {
    this.ws = ws;
    this.format = format;
    this.context = context;
    this.transport = transport;
    this.config = transport.config();
    long now = System.nanoTime();
    this.typingBucket = new TokenBucket(config.typingPerSecond(), config.typingPerSecond(), now);
    int presence = config.presenceUpdatesPerSecond();
    this.presenceBucket = new TokenBucket(presence, 2.0 * presence, now);
    // Only a document update may exceed max-frame-bytes (see onMessage): that is the assembly limit.
    this.core = new SocketCore(ws, channel, context, transport,
        (int) Math.max(config.maxFrameBytes(), docUpdateFrameLimit(config, format)));
  }

  /** Wires the socket's handlers and timers; runs on the connection's context. */
  void start() {
    transport.metrics().connections().incrementAndGet();
    ws.drainHandler(v -> flush());
    core.start(this, true, false);
  }

  @Override
  public void onAuthTimeout() {
    if (principal == null) {
      refuse(0, ErrorCodes.error(ErrorCode.AUTH_TIMEOUT, "no hello within the deadline", null),
          CloseCode.AUTH_TIMEOUT);
    }
  }

  @Override
  public void onIdle(long silentMs) {
    closeNow(CloseCode.IDLE_TIMEOUT, "nothing received for " + silentMs + " ms", 0);
  }

  @Override
  public void onTooLarge(long length, int limit) {
    refuse(0, ErrorCodes.error(ErrorCode.FRAME_TOO_LARGE,
        "message of " + (length > limit ? "more than " + limit : length) + " bytes exceeds the limit", null),
        CloseCode.FRAME_TOO_LARGE);
  }

  @Override
  public void onFragmentsLimited(long waitMs, boolean flooding) {
    ErrorInfo limited = ErrorCodes.error(ErrorCode.RATE_LIMITED, "too many bytes", null, waitMs);
    if (flooding) {
      refuse(0, limited, CloseCode.FLOODING);
    } else {
      replyError(0, limited);
    }
  }

  // ------------------------------------------------------------------------------------------
  // RoomMember
  // ------------------------------------------------------------------------------------------

  @Override
  public String sessionId() {
    return sessionId;
  }

  @Override
  public String userId() {
    return principal.userId();
  }

  @Override
  public String displayName() {
    return principal.displayName();
  }

  @Override
  public void send(OutboundMessage message) {
    if (closing) {
      return;
    }
    int size = message.size(format);
    int maxMessages = config.outboundQueueMessages();
    long maxBytes = config.outboundQueueBytes();
    if (message.ephemeral()
        && (queuedMessages.get() >= maxMessages / 2 || queuedBytes.get() >= maxBytes / 2)) {
      transport.metrics().dropped("ephemeral_backpressure");
      return;
    }
    if (queuedMessages.get() >= maxMessages || queuedBytes.get() + size > maxBytes) {
      transport.metrics().dropped("slow_consumer");
      close(CloseCode.SLOW_CONSUMER, "outbound queue full");
      return;
    }
    queue.add(message);
    queuedMessages.incrementAndGet();
    queuedBytes.addAndGet(size);
    if (flushScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> flush());
    }
  }

  @Override
  public void joined(Room room, Role role) {
    rooms.replace(room.roomId(), JOINING, new Membership(room, role));
  }

  @Override
  public void leftRoom(String roomId, LeftReason reason) {
    context.runOnContext(v -> {
      if (rooms.remove(roomId) == null) {
        return;
      }
      send(OutboundMessage.of(ServerMessage.newBuilder()
          .setLeft(Left.newBuilder().setRoomId(roomId).setReason(reason)).build()));
      if (reason != LeftReason.LEFT_REMOVED && rooms.isEmpty()) {
        close(reason == LeftReason.LEFT_SESSION_ENDED ? CloseCode.SESSION_ENDED : CloseCode.ROOM_CLOSED,
            "no rooms left");
      }
    });
  }

  @Override
  public void close(CloseCode code, String reason) {
    context.runOnContext(v -> closeNow(code, reason, 0));
  }

  // ------------------------------------------------------------------------------------------
  // Outbound
  // ------------------------------------------------------------------------------------------

  private void flush() {
    flushScheduled.set(false);
    while (!queue.isEmpty() && !ws.isClosed()) {
      if (ws.writeQueueFull()) {
        return; // the drain handler calls flush again
      }
      writeBatch();
    }
  }

  private void writeBatch() {
    List<OutboundMessage> batch = BATCH_SCRATCH.get();
    if (!batch.isEmpty()) {
      // Re-entered from inside a write (a handler that flushes): this list is in use.
      writeBatch(new ArrayList<>());
      return;
    }
    try {
      writeBatch(batch);
    } finally {
      batch.clear();
    }
  }

  private void writeBatch(List<OutboundMessage> batch) {
    int bytes = 0;
    OutboundMessage m;
    while (batch.size() < MAX_BATCH_MESSAGES && (m = queue.peek()) != null) {
      int size = m.size(format);
      if (!batch.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
        break;
      }
      queue.poll();
      queuedMessages.decrementAndGet();
      queuedBytes.addAndGet(-size);
      batch.add(m);
      bytes += size;
    }
    if (batch.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    for (OutboundMessage each : batch) {
      transport.metrics().messageOut(each.typeName());
      if (each.eventTimeMs() > 0) {
        transport.metrics().delivered(now - each.eventTimeMs());
      }
    }
    transport.metrics().frameOut();
    if (format == WireFormat.PROTO) {
      byte[] frame = batch.size() == 1 ? batch.get(0).binary() : SharedBatches.binary(batch);
      // Wrap, not copy: the same encoded bytes go to every recipient of an event, and
      // Buffer.buffer(byte[]) would copy them once per connection.
      ws.writeFinalBinaryFrame(
          io.vertx.core.internal.buffer.BufferInternal.buffer(io.netty.buffer.Unpooled.wrappedBuffer(frame)));
    } else {
      ws.writeFinalTextFrame(batch.size() == 1 ? batch.get(0).json() : SharedBatches.json(batch));
    }
    if (batch.size() > 1) {
      transport.metrics().batchFrame(SharedBatches.lastWasShared());
    }
  }

  @Override
  public void reply(long requestId, ServerMessage.Builder message) {
    send(OutboundMessage.of(message.setRequestId(requestId).build()));
    // After the queueing: a drain that sees the write answered finds its answer queued.
    answered(requestId);
  }

  /** The first answer to a write read with this request id: one write less to wait for. */
  private void answered(long requestId) {
    if (unanswered.isEmpty()) {
      return;
    }
    boolean[] was = new boolean[1];
    unanswered.computeIfPresent(requestId, (id, n) -> {
      was[0] = true;
      return n == 1 ? null : n - 1;
    });
    if (was[0]) {
      core.writeAnswered();
    }
  }

  @Override
  public void replyError(long requestId, ErrorInfo error) {
    transport.metrics().error(error.getCode());
    reply(requestId, ServerMessage.newBuilder().setError(error));
  }


  /** Sends the error, then closes with the code. */
  private void refuse(long requestId, ErrorInfo error, CloseCode code) {
    if (closing) {
      return;
    }
    replyError(requestId, error);
    closeNow(code, error.getMessage(), error.getRetryAfterMs());
  }

  private void closeNow(CloseCode code, String reason, int retryAfterMs) {
    if (closing) {
      return;
    }
    if (code == CloseCode.SLOW_CONSUMER) {
      // What is queued cannot be delivered in time anyway; resume will bring it.
      queue.clear();
    }
    send(OutboundMessage.of(ServerMessage.newBuilder()
        .setGoodbye(Goodbye.newBuilder().setCloseCode(code.code()).setReason(reason)
            .setRetryAfterMs(retryAfterMs))
        .build()));
    closing = true;
    flushAllIgnoringBackpressure();
    core.close(code, reason);
  }

  private void flushAllIgnoringBackpressure() {
    flushScheduled.set(false);
    while (!queue.isEmpty() && !ws.isClosed()) {
      writeBatch();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Inbound
  // ------------------------------------------------------------------------------------------

  @Override
  public void onMessage(Buffer payload, boolean text, long rateWaitMs) {
    if (closing) {
      return;
    }
    int length = payload.length();
    if (text == format.binaryFrames()) {
      refuse(0, ErrorCodes.error(ErrorCode.UNSUPPORTED_FRAME_TYPE,
          (text ? "text" : "binary") + " frame on subprotocol " + format.subprotocol(), null),
          CloseCode.UNSUPPORTED_FRAME_TYPE);
      return;
    }
    ClientMessage message;
    try {
      message = text
          ? FrameCodec.decodeClient(payload.toString(java.nio.charset.StandardCharsets.UTF_8))
          : FrameCodec.decodeClient(payload.getBytes());
    } catch (ProtocolException e) {
      refuse(0, ErrorCodes.error(e.code(), e.getMessage(), null), CloseCode.MALFORMED_MESSAGE);
      return;
    }
    if (WRITES.contains(message.getBodyCase())) {
      // Read: from here on it is answered, whatever happens to it (a drain waits for that).
      unanswered.merge(message.getRequestId(), 1, Integer::sum);
      core.writeRead();
    }
    if (length > config.maxFrameBytes()
        && message.getBodyCase() != ClientMessage.BodyCase.DOC_UPDATE) {
      refuseOversizeFrame(length, config.maxFrameBytes());
      return;
    }
    if (rateWaitMs > 0) {
      ErrorInfo limited = ErrorCodes.error(ErrorCode.RATE_LIMITED, "too many messages", null, rateWaitMs);
      if (core.refusedForRate()) {
        refuse(message.getRequestId(), limited, CloseCode.FLOODING);
      } else {
        replyError(message.getRequestId(), limited);
      }
      return;
    }
    core.acceptedForRate();
    transport.metrics().messageIn(message.getBodyCase().name().toLowerCase(java.util.Locale.ROOT));
    if (held != null) {
      hold(message, length);
      return;
    }
    dispatchSafely(message);
  }

  private void dispatchSafely(ClientMessage message) {
    try {
      dispatch(message);
    } catch (RuntimeException e) {
      log.error("session {}: failed to handle a {} request", sessionId, message.getBodyCase(), e);
      replyError(message.getRequestId(), ErrorCode.INTERNAL, "internal error", null);
    }
  }

  /** Keeps a message until the Hello being verified is answered; refuses a client that floods. */
  private void hold(ClientMessage message, int length) {
    if (held.size() >= MAX_HELD_MESSAGES || heldBytes + length > config.maxFrameBytes()) {
      refuse(message.getRequestId(), ErrorCodes.error(ErrorCode.NOT_AUTHENTICATED,
          "too much sent before the Welcome", null), CloseCode.PROTOCOL_VIOLATION);
      return;
    }
    held.add(message);
    heldBytes += length;
  }

  private void refuseOversizeFrame(int length, int limit) {
    refuse(0, ErrorCodes.error(ErrorCode.FRAME_TOO_LARGE,
        "frame of " + length + " bytes exceeds " + limit, null), CloseCode.FRAME_TOO_LARGE);
  }

  /**
   * The largest frame that may carry a document update: the update limit plus its envelope (ids
   * and request fields); in JSON the update is base64, a third larger.
   */
  private static long docUpdateFrameLimit(PonteConfig config, WireFormat format) {
    long update = config.docMaxUpdateBytes();
    if (!format.binaryFrames()) {
      update = (update + 2) / 3 * 4;
    }
    return update + Transport.Y_FRAMING_BYTES;
  }

  private void dispatch(ClientMessage message) {
    long requestId = message.getRequestId();
    if (principal == null) {
      switch (message.getBodyCase()) {
        case HELLO -> hello(requestId, message.getHello().getToken());
        case PING -> pong(requestId, message.getPing().getClientTimeMs());
        default -> refuse(requestId, ErrorCodes.error(ErrorCode.NOT_AUTHENTICATED,
            "the first message must be a hello", null), CloseCode.PROTOCOL_VIOLATION);
      }
      return;
    }
    switch (message.getBodyCase()) {
      case HELLO -> replyError(requestId, ErrorCode.ALREADY_AUTHENTICATED, "already authenticated", null);
      case PING -> pong(requestId, message.getPing().getClientTimeMs());
      case JOIN -> join(requestId, message.getJoin(), true);
      case LEAVE -> leave(requestId, message.getLeave().getRoomId());
      case TYPING -> typing(requestId, message.getTyping().getRoomId(), message.getTyping().getTyping());
      case PRESENCE_UPDATE -> presence(requestId, message.getPresenceUpdate().getRoomId(),
          message.getPresenceUpdate().getState());
      default -> {
        RequestHandler handler = transport.requests().handler(message.getBodyCase());
        if (handler == null) {
          replyError(requestId, ErrorCode.UNKNOWN_MESSAGE, "unknown or empty message", null);
        } else {
          handler.handle(this, requestId, message);
        }
      }
    }
  }

  private void pong(long requestId, long clientTimeMs) {
    reply(requestId, ServerMessage.newBuilder().setPong(
        Pong.newBuilder().setClientTimeMs(clientTimeMs).setServerTimeMs(System.currentTimeMillis())));
  }

  /**
   * Verifies the token; while its keys are fetched, later messages are held (no read pause) and
   * the auth deadline still runs. Every outcome ends in the Welcome or a refusal, unless the
   * socket closed meanwhile.
   */
  private void hello(long requestId, String token) {
    Future<Principal> verified = transport.tokens().verifyAsync(token);
    if (verified.isComplete()) {
      helloVerified(requestId, verified);
      return;
    }
    held = new java.util.ArrayDeque<>();
    heldBytes = 0;
    verified.onComplete(ar -> context.runOnContext(v -> {
      java.util.ArrayDeque<ClientMessage> waiting = held;
      held = null;
      heldBytes = 0;
      if (closing) {
        return;
      }
      helloVerified(requestId, ar);
      // In arrival order, as if the Hello had been answered at once.
      ClientMessage next;
      while (!closing && waiting != null && (next = waiting.poll()) != null) {
        dispatchSafely(next);
      }
    }));
  }

  private void helloVerified(long requestId, io.vertx.core.AsyncResult<Principal> verified) {
    if (verified.failed()) {
      AuthException e = verified.cause() instanceof AuthException a ? a
          : new AuthException(ErrorCode.TOKEN_INVALID, "cannot verify the token");
      if (e.code() == ErrorCode.TOKEN_KEYS_UNAVAILABLE) {
        // Not the client's fault: it reconnects (resume) after a while with the same token.
        refuse(requestId, ErrorCodes.error(e.code(), e.getMessage(), null,
            config.jwtJwksRefreshMinIntervalMs()), CloseCode.INTERNAL_ERROR);
        return;
      }
      CloseCode close = e.code() == ErrorCode.TOKEN_EXPIRED ? CloseCode.TOKEN_EXPIRED : CloseCode.AUTH_FAILED;
      refuse(requestId, ErrorCodes.error(e.code(), e.getMessage(), null), close);
      return;
    }
    Principal p = verified.result();
    if (!core.claimUser(p.userId())) {
      refuse(requestId, ErrorCodes.error(ErrorCode.TOO_MANY_CONNECTIONS, "at most "
          + config.maxConnectionsPerUser() + " connections per user", null), CloseCode.TOO_MANY_CONNECTIONS);
      return;
    }
    principal = p;
    core.authenticated();
    core.at(p.expiresAtMs(), () -> refuse(0,
        ErrorCodes.error(ErrorCode.TOKEN_EXPIRED, "token expired", null), CloseCode.TOKEN_EXPIRED));
    reply(requestId, ServerMessage.newBuilder().setWelcome(Welcome.newBuilder()
        .setSessionId(sessionId)
        .setUser(User.newBuilder().setUserId(p.userId()).setDisplayName(p.displayName()))
        .setServerTimeMs(System.currentTimeMillis())
        .setTokenExpiresMs(p.expiresAtMs())
        .setLimits(Limits.newBuilder()
            .setMaxFrameBytes(config.maxFrameBytes())
            .setMaxRoomsPerConnection(config.maxRoomsPerConnection())
            .setMaxChatChars(ChatText.MAX_CHARS)
            .setMessagesPerSecond(config.rateMessagesPerSecond())
            .setBytesPerSecond(config.rateBytesPerSecond())
            .setAuthTimeoutMs(config.authTimeoutMs())
            .setIdleTimeoutMs(config.idleTimeoutMs())
            .setHistoryPageMax(config.historyPageMax()))));
  }

  private void join(long requestId, Join join, boolean retryIfUnloaded) {
    String roomId = join.getRoomId();
    if (!io.ponte.server.room.ResourceId.valid(roomId)) {
      replyError(requestId, ErrorCode.INVALID_REQUEST, "room_id is missing or invalid", null);
      return;
    }
    if (retryIfUnloaded) {
      if (rooms.containsKey(roomId)) {
        replyError(requestId, ErrorCode.ALREADY_IN_ROOM, "already in this room", roomId);
        return;
      }
      if (rooms.size() >= config.maxRoomsPerConnection()) {
        replyError(requestId, ErrorCode.TOO_MANY_ROOMS,
            "at most " + config.maxRoomsPerConnection() + " rooms per connection", roomId);
        return;
      }
      rooms.put(roomId, JOINING);
    }
    transport.access().roleFor(principal, roomId)
        .compose(role -> role == null
            ? Future.failedFuture(new RoomException(ErrorCode.ROOM_NOT_ALLOWED, "the token grants no role in this room"))
            : loadBounded(roomId)
                // The admission hook (the lobby): may hold the Join until a teacher admits it.
                .compose(room -> transport.requests().gate().admit(this, room, role, join).map(room))
                .compose(room -> room.join(this, role, join, requestId).map(room)))
        .onComplete(ar -> context.runOnContext(v -> {
          if (ar.succeeded()) {
            // joined() (on the room's context, before Joined was queued) recorded the membership.
            Room room = ar.result();
            Membership current = rooms.get(roomId);
            if (closing || current == null || current.room() != room) {
              room.leave(this);
            }
          } else if (ar.cause() instanceof RoomUnloadedException && retryIfUnloaded) {
            join(requestId, join, false);
          } else {
            rooms.remove(roomId);
            replyError(requestId, errorOf(ar.cause(), roomId));
          }
        }));
  }

  /**
   * The room for a Join, answered within {@link #JOIN_LOAD_BOUND_MS} (the registry bounds its
   * loads; this holds whatever else waits), so no Join waits for ever on a room that never
   * loads: past it, the retryable UNAVAILABLE.
   */
  private Future<Room> loadBounded(String roomId) {
    return transport.rooms().room(roomId)
        .timeout(JOIN_LOAD_BOUND_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(err -> Future.failedFuture(err instanceof RoomException ? err
            : new RoomException(ErrorCode.UNAVAILABLE, "the room cannot be loaded now, retry")));
  }

  private void leave(long requestId, String roomId) {
    Membership m = rooms.get(roomId);
    if (m == null || m.room() == null) {
      replyError(requestId, ErrorCode.NOT_IN_ROOM, "not in this room", roomId);
      return;
    }
    rooms.remove(roomId);
    m.room().leave(this).onComplete(ar -> reply(requestId, ServerMessage.newBuilder()
        .setLeft(Left.newBuilder().setRoomId(roomId).setReason(LeftReason.LEFT_BY_REQUEST))));
  }

  @Override
  public void submit(long requestId, Membership m, String clientMsgId, Operation.Builder op) {
    String roomId = m.room().roomId();
    op.setClientMsgId(clientMsgId).setActor(Actor.newBuilder()
        .setUserId(principal.userId()).setDisplayName(principal.displayName()).setRole(m.role()));
    m.room().submit(op.build()).onComplete(ar -> {
      if (ar.failed()) {
        replyError(requestId, errorOf(ar.cause(), roomId));
        return;
      }
      AppliedOperation applied = ar.result();
      if (applied.rejection() != null) {
        replyError(requestId, applied.rejection());
      } else {
        boolean duplicate = applied.duplicateOf() != 0;
        reply(requestId, ServerMessage.newBuilder().setAck(Ack.newBuilder()
            .setSeq(duplicate ? applied.duplicateOf() : applied.seq()).setDuplicate(duplicate)));
      }
    });
  }

  private void typing(long requestId, String roomId, boolean typing) {
    Membership m = member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (m.role() == Role.OBSERVER) {
      replyError(requestId, ErrorCode.READ_ONLY, "observers are read-only", roomId);
      return;
    }
    if (typingBucket.tryTake(1, System.nanoTime()) > 0) {
      transport.metrics().dropped("typing_rate");
      return;
    }
    m.room().typing(this, m.role(), typing);
  }

  private void presence(long requestId, String roomId, PresenceState state) {
    Membership m = member(requestId, roomId);
    if (m == null) {
      return;
    }
    if (state != PresenceState.ACTIVE && state != PresenceState.AWAY) {
      replyError(requestId, ErrorCode.INVALID_REQUEST, "state must be ACTIVE or AWAY", roomId);
      return;
    }
    long waitMs = presenceBucket.tryTake(1, System.nanoTime());
    if (waitMs > 0) {
      replyError(requestId, ErrorCodes.error(ErrorCode.RATE_LIMITED, "at most "
          + config.presenceUpdatesPerSecond() + " presence updates per second", roomId, waitMs));
      return;
    }
    m.room().updatePresence(this, state);
  }

  @Override
  public Membership member(long requestId, String roomId) {
    Membership m = rooms.get(roomId);
    if (m == null || m.room() == null) {
      replyError(requestId, ErrorCode.NOT_IN_ROOM, "not in this room", roomId);
      return null;
    }
    return m;
  }

  @Override
  public Principal principal() {
    return principal;
  }

  @Override
  public RoomMember member() {
    return this;
  }

  @Override
  public PonteConfig config() {
    return config;
  }

  @Override
  public PonteMetrics metrics() {
    return transport.metrics();
  }

  @Override
  public void replyFailure(long requestId, Throwable cause, String roomId) {
    replyError(requestId, errorOf(cause, roomId));
  }

  @Override
  public long trySyncRequest() {
    return core.trySyncRequest();
  }

  @Override
  public <T> T attachment(Class<T> type, java.util.function.Supplier<T> create) {
    return type.cast(attachments.computeIfAbsent(type, t -> create.get()));
  }

  private static ErrorInfo errorOf(Throwable cause, String roomId) {
    if (cause instanceof RoomException re) {
      ErrorInfo e = re.error();
      return e.getRoomId().isEmpty() ? e.toBuilder().setRoomId(roomId).build() : e;
    }
    if (cause instanceof RoomUnloadedException) {
      // Unloaded again while joining (a failing room): the next Join loads it afresh.
      return ErrorCodes.error(ErrorCode.UNAVAILABLE, "the room is being unloaded, retry", roomId);
    }
    log.warn("request failed unexpectedly: {}", cause.toString());
    return ErrorCodes.error(ErrorCode.INTERNAL, "internal error", roomId);
  }

  // ------------------------------------------------------------------------------------------
  // Liveness and shutdown
  // ------------------------------------------------------------------------------------------

  @Override
  public synchronized Future<Void> closed() {
    if (closedPromise == null) {
      closedPromise = io.vertx.core.Promise.promise();
      if (closing) {
        closedPromise.complete();
      }
    }
    return closedPromise.future();
  }

  @Override
  public void onClosed() {
    synchronized (this) {
      closing = true;
      if (closedPromise != null) {
        closedPromise.tryComplete();
      }
    }
    if (held != null) {
      held.clear();
    }
    for (Membership m : rooms.values()) {
      if (m.room() != null) {
        m.room().leave(this);
      }
    }
    rooms.clear();
    queue.clear();
    transport.metrics().connections().decrementAndGet();
    transport.forget(this);
  }


  /** Whether the socket is in the given room (for tests and admin). */
  boolean inRoom(String roomId) {
    Membership m = rooms.get(roomId);
    return m != null && m.room() != null;
  }

  /**
   * Closes with SERVER_SHUTDOWN (resume elsewhere) once every write read from the socket is
   * answered, reading nothing more meanwhile (see {@link SocketCore#drain}); the answers and
   * everything queued before them go out before the close frame.
   */
  Future<Boolean> closeForShutdown(long timeoutMs) {
    return core.drain(timeoutMs, () -> closeNow(CloseCode.SERVER_SHUTDOWN, "server shutting down", 0));
  }
}
