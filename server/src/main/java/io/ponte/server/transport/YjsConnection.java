package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.Principal;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;

/**
 * One y-websocket client on {@code /yjs/{room}/{doc}}: y-protocols framing (sync step 1/2,
 * update, awareness, query-awareness, auth permission-denied) over binary frames, for one
 * document of one room. The document side (room membership, sync, updates, awareness) is a
 * {@link YDocSession}; this class is the y-websocket adapter of the socket core
 * ({@link SocketCore}: limits, deadlines, keepalive, close) shared with /ws and /hocuspocus.
 *
 * <p>Client updates become sequenced DocUpdate operations, checked when applied like any other;
 * a refused update is dropped and answered with the auth message permission-denied, whose
 * reason starts with the error code name (e.g. {@code "DOC_READ_ONLY: ..."}).
 *
 * <p>Close codes: a join the room refuses for good (banned, session ended) closes with
 * FORBIDDEN (4403) and a token that expires with UNAUTHORIZED (4401), both in the 4400-4499
 * range on which y-websocket providers stop reconnecting; a join refused for now (room full,
 * locked, loading) closes with ROOM_UNAVAILABLE (4105), which they retry. Over the message or
 * byte rates the socket is read more slowly (nothing dropped); a sync request over its own rate
 * gets permission-denied {@code "RATE_LIMITED: ..."}; a message over the size limit gets
 * {@code "FRAME_TOO_LARGE: ..."} and close 4003.
 */
final class YjsConnection implements YDocSession.Channel, SocketCore.Protocol {

  static final int AUTH_PERMISSION_DENIED = 0;

  private final SocketCore core;
  private final Context context;
  private final Transport transport;
  private final Principal principal;
  private final YDocSession session;
  private final YSocketOutput output;

  YjsConnection(ServerWebSocket ws, io.netty.channel.Channel channel, Context context, Transport transport,
      Principal principal,
      Role role, Room room, String docId) {
    this.context = context;
    this.transport = transport;
    this.core = new SocketCore(ws, channel, context, transport, transport.yMessageLimit());
    this.output = new YSocketOutput(core, transport.config(), transport.metrics());
    this.principal = principal;
    this.session = new YDocSession(transport, core, principal, role, room, docId, this);
  }

  /** Wires the socket, joins the room, sends sync step 1 and the current awareness. */
  void start() {
    core.start(this, false, true);
    if (!core.claimUser(principal.userId())) {
      closeNow(CloseCode.TOO_MANY_CONNECTIONS, "TOO_MANY_CONNECTIONS: at most "
          + transport.config().maxConnectionsPerUser() + " connections per user");
      return;
    }
    // The provider would reconnect with the same (expired) token in its URL and be refused
    // forever: close with a code it stops on, so the application can set a fresh token.
    core.at(principal.expiresAtMs(), () -> closeNow(CloseCode.UNAUTHORIZED, "TOKEN_EXPIRED: token expired"));
    session.join().onComplete(ar -> context.runOnContext(v -> {
      if (ar.failed()) {
        refusedByTheRoom(ar.cause());
        return;
      }
      if (core.isClosing()) {
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
    output.writeNow(permissionDenied(reason));
    closeNow(forGood ? CloseCode.FORBIDDEN : CloseCode.ROOM_UNAVAILABLE, reason);
  }

  static byte[] permissionDenied(String reason) {
    return new Lib0Encoder().writeVarUint(YDocSession.MESSAGE_AUTH).writeVarUint(AUTH_PERMISSION_DENIED)
        .writeVarString(reason).toByteArray();
  }

  // ------------------------------------------------------------------------------------------
  // SocketCore.Protocol
  // ------------------------------------------------------------------------------------------

  @Override
  public void onMessage(Buffer payload, boolean text, long rateWaitMs) {
    if (core.isClosing()) {
      return;
    }
    if (text) {
      closeNow(CloseCode.UNSUPPORTED_FRAME_TYPE, "binary frames only");
      return;
    }
    // rateWaitMs is always 0: the core throttles this socket instead (see start).
    try {
      Lib0Decoder d = new Lib0Decoder(payload.getBytes());
      int type = (int) d.readVarUint();
      if (type == YDocSession.MESSAGE_AUTH) {
        return;
      }
      if (!session.onMessage(type, d)) {
        closeNow(CloseCode.MALFORMED_MESSAGE, "unknown message type " + type);
      }
    } catch (RuntimeException e) {
      closeNow(CloseCode.MALFORMED_MESSAGE, "malformed y-protocols message");
    }
  }

  @Override
  public void onTooLarge(long length, int limit) {
    output.writeNow(permissionDenied("FRAME_TOO_LARGE: a message is at most " + limit + " bytes"));
    closeNow(CloseCode.FRAME_TOO_LARGE, "message too large");
  }

  @Override
  public void onFragmentsLimited(long waitMs, boolean flooding) {
    // never: a throttled socket is slowed down, not refused
  }

  @Override
  public void onAuthTimeout() { }

  @Override
  public void onIdle(long silentMs) {
    closeNow(CloseCode.IDLE_TIMEOUT, "nothing received for " + silentMs + " ms");
  }

  @Override
  public void onClosed() {
    session.leave();
    transport.forgetYjs(this);
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

  void close(CloseCode code, String reason) {
    core.closeLater(code, reason);
  }

  private void closeNow(CloseCode code, String reason) {
    core.close(code, reason);
  }

  /**
   * Closes with SERVER_SHUTDOWN once every update read from the socket is applied or refused,
   * reading nothing more meanwhile; what is queued goes out before the close frame.
   */
  Future<Boolean> closeForShutdown(long timeoutMs) {
    return core.drain(timeoutMs, () -> {
      output.flushAll();
      closeNow(CloseCode.SERVER_SHUTDOWN, "server shutting down");
    });
  }
}
