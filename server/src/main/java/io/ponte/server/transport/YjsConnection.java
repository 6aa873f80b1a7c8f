package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.Principal;
import io.ponte.server.doc.yjs.Lib0Decoder;
import io.ponte.server.doc.yjs.Lib0Encoder;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One y-websocket client on {@code /yjs/{room}/{doc}}: y-protocols framing (sync step 1/2,
 * update, awareness, query-awareness, auth permission-denied) over binary frames, for one
 * document of one room. The document side (room membership, sync, updates, awareness) is a
 * {@link YDocSession}; this class owns the socket.
 *
 * <p>Client updates become sequenced DocUpdate operations, checked when applied like any other;
 * a refused update is dropped and answered with the auth message permission-denied, whose
 * reason starts with the error code name (e.g. {@code "DOC_READ_ONLY: ..."}).
 *
 * <p>Close codes: a join the room refuses for good (banned, session ended) closes with
 * FORBIDDEN (4403) and a token that expires with UNAUTHORIZED (4401), both in the 4400-4499
 * range on which y-websocket providers stop reconnecting; a join refused for now (room full,
 * locked, loading) closes with ROOM_UNAVAILABLE (4105), which they retry.
 */
final class YjsConnection implements YDocSession.Channel {
  private static final Logger log = LoggerFactory.getLogger(YjsConnection.class);

  static final int AUTH_PERMISSION_DENIED = 0;

  private final ServerWebSocket ws;
  private final Context context;
  private final Vertx vertx;
  private final Transport transport;
  private final Principal principal;
  private final YDocSession session;
  private long pingTimer = -1;
  private long expiryTimer = -1;
  private volatile boolean closing;
  private final YSocketOutput output;

  YjsConnection(ServerWebSocket ws, Context context, Transport transport, Principal principal,
      Role role, Room room, String docId) {
    this.ws = ws;
    this.context = context;
    this.vertx = context.owner();
    this.transport = transport;
    this.output = new YSocketOutput(ws, context, transport.metrics(), () -> closing);
    this.principal = principal;
    int perSecond = transport.config().rateMessagesPerSecond();
    TokenBucket awarenessBucket = new TokenBucket(perSecond, transport.config().rateMessagesBurst(), System.nanoTime());
    this.session = new YDocSession(transport, principal, role, room, docId, awarenessBucket, this);
  }

  /** Wires the socket, joins the room, sends sync step 1 and the current awareness. */
  void start() {
    ws.binaryMessageHandler(this::onMessage);
    ws.textMessageHandler(text -> close(CloseCode.UNSUPPORTED_FRAME_TYPE, "binary frames only"));
    ws.exceptionHandler(err -> log.debug("yjs session {}: socket error: {}", session.sessionId(), err.toString()));
    ws.closeHandler(v -> onClosed());
    pingTimer = vertx.setPeriodic(transport.config().pingIntervalMs(), id -> {
      if (!ws.isClosed()) {
        ws.writePing(Buffer.buffer("p"));
      }
    });
    long untilExpiry = Math.max(1, principal.expiresAtMs() - System.currentTimeMillis());
    // The provider would reconnect with the same (expired) token in its URL and be refused
    // forever: close with a code it stops on, so the application can set a fresh token.
    expiryTimer = vertx.setTimer(untilExpiry, id -> close(CloseCode.UNAUTHORIZED, "TOKEN_EXPIRED: token expired"));
    session.join().onComplete(ar -> context.runOnContext(v -> {
      if (ar.failed()) {
        refusedByTheRoom(ar.cause());
        return;
      }
      if (closing) {
        session.leave();
        return;
      }
      session.sendInitial();
    }));
  }

  /**
   * The room refused the join: for good (banned, ended, closed) with FORBIDDEN, which y-websocket
   * providers do not retry; otherwise (full, locked, loading) with ROOM_UNAVAILABLE, which they do.
   */
  private void refusedByTheRoom(Throwable cause) {
    boolean forGood = cause instanceof RoomException re && !re.error().getRetryable();
    String reason = cause instanceof RoomException re
        ? re.error().getCode().name() + ": " + re.error().getMessage()
        : "UNAVAILABLE: the room cannot be joined now, retry";
    writeNow(permissionDenied(reason));
    closeNow(forGood ? CloseCode.FORBIDDEN : CloseCode.ROOM_UNAVAILABLE, reason);
  }

  static byte[] permissionDenied(String reason) {
    return new Lib0Encoder().writeVarUint(YDocSession.MESSAGE_AUTH).writeVarUint(AUTH_PERMISSION_DENIED)
        .writeVarString(reason).toByteArray();
  }

  private void onMessage(Buffer buf) {
    if (closing) {
      return;
    }
    try {
      Lib0Decoder d = new Lib0Decoder(buf.getBytes());
      int type = (int) d.readVarUint();
      if (type == YDocSession.MESSAGE_AUTH) {
        return;
      }
      if (!session.onMessage(type, d)) {
        close(CloseCode.MALFORMED_MESSAGE, "unknown message type " + type);
      }
    } catch (RuntimeException e) {
      close(CloseCode.MALFORMED_MESSAGE, "malformed y-protocols message");
    }
  }

  // ------------------------------------------------------------------------------------------
  // Channel
  // ------------------------------------------------------------------------------------------

  @Override
  public void refused(ErrorInfo error) {
    write(permissionDenied(error.getCode().name() + ": " + error.getMessage()), false);
  }

  @Override
  public void applied() { }

  @Override
  public void end(CloseCode code, String reason) {
    close(code, reason);
  }

  /** Writes from any thread; ephemeral frames are dropped when the socket cannot keep up. */
  @Override
  public void write(byte[] frame, boolean ephemeral) {
    output.write(frame, ephemeral);
  }

  private void writeNow(byte[] frame) {
    output.writeNow(frame);
  }

  void close(CloseCode code, String reason) {
    context.runOnContext(v -> closeNow(code, reason));
  }

  private void closeNow(CloseCode code, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    transport.metrics().closed(code.code());
    if (!ws.isClosed()) {
      ws.close((short) code.code(), reason.length() > 60 ? reason.substring(0, 60) : reason);
    }
  }

  private void onClosed() {
    closing = true;
    for (long timer : new long[] {pingTimer, expiryTimer}) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    }
    session.leave();
    transport.forgetYjs(this);
  }

  Future<Void> closeForShutdown() {
    close(CloseCode.SERVER_SHUTDOWN, "server shutting down");
    return Future.succeededFuture();
  }
}
