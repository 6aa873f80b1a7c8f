package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.AuthException;
import io.ponte.server.auth.Principal;
import io.ponte.server.chat.ChatText;
import io.ponte.server.doc.yjs.Lib0Decoder;
import io.ponte.server.doc.yjs.Lib0Encoder;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Hocuspocus provider socket on {@code /hocuspocus}: several documents over one WebSocket.
 * Every message starts with the document name ({@code {room}/{doc}}) as a var-string, then the
 * Hocuspocus message type: Sync (0, y-protocols sync), Awareness (1), Auth (2: Token from the
 * client; PermissionDenied / Authenticated "read-write" | "readonly" from the server),
 * QueryAwareness (3), Stateless (5), Close (7) and SyncStatus (8, 1 = applied). Ping (9) and
 * Pong (10) are the exception: connection-level, one byte without a document name. A Ping is
 * answered with a Pong and a Pong is taken as a sign of life; the server sends no Ping of its own
 * (providers before Hocuspocus 4 throw on it) and keeps the connection alive with WebSocket pings.
 *
 * <p>A document's messages are queued until its Auth message has been checked: the token is
 * verified like Hello, the role comes from its rooms claim, and the document must exist. Then
 * the server sends its sync step 1 and the current awareness and works through the queue; the
 * document side is a {@link YDocSession}, as for y-websocket. Each applied client update is
 * answered with SyncStatus 1; a refused one (read-only, malformed, too large) with SyncStatus 0
 * and a Stateless message {@code {"event":"ponte.error","code":...,"message":...}}.
 */
final class HocuspocusConnection {
  private static final Logger log = LoggerFactory.getLogger(HocuspocusConnection.class);

  static final int MESSAGE_AUTH = 2;
  static final int MESSAGE_STATELESS = 5;
  static final int MESSAGE_CLOSE = 7;
  static final int MESSAGE_SYNC_STATUS = 8;
  static final int MESSAGE_PING = 9;
  static final int MESSAGE_PONG = 10;
  private static final byte[] PONG = {MESSAGE_PONG};
  static final int AUTH_TOKEN = 0;
  static final int AUTH_PERMISSION_DENIED = 1;
  static final int AUTH_AUTHENTICATED = 2;
  /** Documents one socket may have open (or pending) at once. */
  static final int MAX_DOCUMENTS = 64;
  /** Messages queued for a document before its Auth message has been checked. */
  static final int MAX_QUEUED = 256;

  private enum State { PENDING, AUTHENTICATING, READY, DENIED }

  private final ServerWebSocket ws;
  private final Context context;
  private final Vertx vertx;
  private final Transport transport;
  private final TokenBucket awarenessBucket;
  /** Documents by name; touched on the socket's context only. */
  private final Map<String, Doc> docs = new HashMap<>();
  private long pingTimer = -1;
  private volatile boolean closing;
  private final YSocketOutput output;

  HocuspocusConnection(ServerWebSocket ws, Context context, Transport transport) {
    this.ws = ws;
    this.context = context;
    this.vertx = context.owner();
    this.transport = transport;
    this.output = new YSocketOutput(ws, context, transport.metrics(), () -> closing);
    int perSecond = transport.config().rateMessagesPerSecond();
    this.awarenessBucket = new TokenBucket(perSecond, transport.config().rateMessagesBurst(), System.nanoTime());
  }

  void start() {
    ws.binaryMessageHandler(this::onMessage);
    ws.textMessageHandler(text -> close(CloseCode.UNSUPPORTED_FRAME_TYPE, "binary frames only"));
    ws.exceptionHandler(err -> log.debug("hocuspocus socket error: {}", err.toString()));
    ws.closeHandler(v -> onClosed());
    pingTimer = vertx.setPeriodic(transport.config().pingIntervalMs(), id -> {
      if (!ws.isClosed()) {
        ws.writePing(Buffer.buffer("p"));
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // Inbound
  // ------------------------------------------------------------------------------------------

  private void onMessage(Buffer buf) {
    if (closing) {
      return;
    }
    byte[] bytes = buf.getBytes();
    if (bytes.length == 1 && (bytes[0] == MESSAGE_PING || bytes[0] == MESSAGE_PONG)) {
      // a document message is never one byte: its name's length alone is one
      if (bytes[0] == MESSAGE_PING) {
        write(PONG, false);
      }
      return;
    }
    try {
      Lib0Decoder d = new Lib0Decoder(bytes);
      String name = d.readVarString();
      int type = (int) d.readVarUint();
      Doc doc = docs.get(name);
      if (type == MESSAGE_AUTH) {
        if (d.readVarUint() != AUTH_TOKEN) {
          return;
        }
        String token = d.readVarString();
        if (doc == null) {
          doc = newDoc(name);
          if (doc == null) {
            return;
          }
        }
        if (doc.state == State.PENDING || doc.state == State.DENIED) {
          doc.authenticate(token);
        }
        return;
      }
      if (doc == null) {
        doc = newDoc(name);
        if (doc == null) {
          return;
        }
      }
      switch (doc.state) {
        case READY -> doc.dispatch(type, d);
        case PENDING, AUTHENTICATING -> {
          if (doc.queue.size() >= MAX_QUEUED) {
            close(CloseCode.PROTOCOL_VIOLATION, "too many messages before authentication");
            return;
          }
          doc.queue.add(bytes);
        }
        case DENIED -> { }
      }
    } catch (RuntimeException e) {
      close(CloseCode.MALFORMED_MESSAGE, "malformed hocuspocus message");
    }
  }

  private Doc newDoc(String name) {
    if (docs.size() >= MAX_DOCUMENTS) {
      close(CloseCode.PROTOCOL_VIOLATION, "too many documents on one socket");
      return null;
    }
    Doc doc = new Doc(name);
    docs.put(name, doc);
    return doc;
  }

  /** One document on this socket. */
  private final class Doc implements YDocSession.Channel {
    final String name;
    final byte[] prefix;
    final List<byte[]> queue = new ArrayList<>();
    State state = State.PENDING;
    YDocSession session;
    long expiryTimer = -1;

    Doc(String name) {
      this.name = name;
      this.prefix = new Lib0Encoder().writeVarString(name).toByteArray();
    }

    void authenticate(String token) {
      state = State.AUTHENTICATING;
      Principal principal;
      try {
        principal = transport.tokens().verify(token);
      } catch (AuthException e) {
        deny(e.code().name() + ": " + e.getMessage());
        return;
      }
      int slash = name.indexOf('/');
      String roomId = slash < 0 ? "" : name.substring(0, slash);
      String docId = slash < 0 ? "" : name.substring(slash + 1);
      if (!io.ponte.server.room.ResourceId.valid(roomId) || !io.ponte.server.room.ResourceId.valid(docId)) {
        deny(ErrorCode.DOC_NOT_FOUND.name() + ": the document name must be {room}/{doc}");
        return;
      }
      Role role = principal.roleFor(roomId);
      if (role == null) {
        deny(ErrorCode.ROOM_NOT_ALLOWED.name() + ": the token does not grant this room");
        return;
      }
      transport.rooms().room(roomId)
          .compose(room -> room.openDocument(docId, io.ponte.protocol.v1.Actor.newBuilder()
              .setUserId(principal.userId()).setDisplayName(principal.displayName()).setRole(role)
              .build()).map(info -> new Found(room, info)))
          .onComplete(ar -> context.runOnContext(v -> {
            if (closing || state != State.AUTHENTICATING) {
              return;
            }
            if (ar.failed()) {
              deny(ar.cause() instanceof RoomException re
                  ? re.error().getCode().name() + ": " + re.error().getMessage()
                  : ErrorCode.UNAVAILABLE.name() + ": the room cannot be loaded now, retry");
              return;
            }
            if (ar.result().info() == null) {
              deny(ErrorCode.DOC_NOT_FOUND.name() + ": no such document");
              return;
            }
            join(principal, role, ar.result().room(), docId, ar.result().info());
          }));
    }

    private void join(Principal principal, Role role, Room room, String docId, DocumentInfo info) {
      YDocSession s = new YDocSession(transport, principal, role, room, docId, awarenessBucket, this);
      session = s;
      s.join().onComplete(ar -> context.runOnContext(v -> {
        if (closing || session != s) {
          s.leave();
          return;
        }
        if (ar.failed()) {
          session = null;
          deny(ar.cause() instanceof RoomException re
              ? re.error().getCode().name() + ": " + re.error().getMessage() : "the room cannot be joined now");
          return;
        }
        boolean readOnly = role == Role.OBSERVER || (role == Role.STUDENT && info.getStudentsReadOnly());
        state = State.READY;
        writeNow(message(new Lib0Encoder().writeVarUint(MESSAGE_AUTH).writeVarUint(AUTH_AUTHENTICATED)
            .writeVarString(readOnly ? "readonly" : "read-write").toByteArray()));
        long untilExpiry = Math.max(1, principal.expiresAtMs() - System.currentTimeMillis());
        expiryTimer = vertx.setTimer(untilExpiry, id -> end(CloseCode.TOKEN_EXPIRED, "token expired"));
        s.sendInitial();
        List<byte[]> queued = List.copyOf(queue);
        queue.clear();
        for (byte[] bytes : queued) {
          Lib0Decoder d = new Lib0Decoder(bytes);
          d.readVarString();
          int type = (int) d.readVarUint();
          try {
            dispatch(type, d);
          } catch (RuntimeException e) {
            close(CloseCode.MALFORMED_MESSAGE, "malformed hocuspocus message");
            return;
          }
        }
      }));
    }

    private void deny(String reason) {
      state = State.DENIED;
      queue.clear();
      writeNow(message(new Lib0Encoder().writeVarUint(MESSAGE_AUTH).writeVarUint(AUTH_PERMISSION_DENIED)
          .writeVarString(reason).toByteArray()));
    }

    /** A message of an authenticated document. */
    void dispatch(int type, Lib0Decoder d) {
      if (type == MESSAGE_CLOSE) {
        forget();
        return;
      }
      if (type == MESSAGE_STATELESS || type == MESSAGE_AUTH) {
        return;
      }
      if (!session.onMessage(type, d)) {
        log.debug("hocuspocus: ignoring message type {}", type);
      }
    }

    /** The client closed the document, or the session ended: leave the room, forget it. */
    void forget() {
      if (expiryTimer >= 0) {
        vertx.cancelTimer(expiryTimer);
      }
      if (session != null) {
        session.leave();
      }
      docs.remove(name, this);
    }

    byte[] message(byte[] body) {
      byte[] out = new byte[prefix.length + body.length];
      System.arraycopy(prefix, 0, out, 0, prefix.length);
      System.arraycopy(body, 0, out, prefix.length, body.length);
      return out;
    }

    @Override
    public void write(byte[] body, boolean ephemeral) {
      HocuspocusConnection.this.write(message(body), ephemeral);
    }

    @Override
    public void writeUpdate(OutboundMessage update) {
      HocuspocusConnection.this.write(update.yjsSyncUpdate(prefix), false);
    }

    @Override
    public void refused(ErrorInfo error) {
      write(new Lib0Encoder().writeVarUint(MESSAGE_SYNC_STATUS).writeVarUint(0).toByteArray(), false);
      String payload = new JsonObject().put("event", "ponte.error").put("code", error.getCode().name())
          .put("message", error.getMessage()).encode();
      write(new Lib0Encoder().writeVarUint(MESSAGE_STATELESS).writeVarString(payload).toByteArray(), false);
    }

    @Override
    public void applied() {
      write(new Lib0Encoder().writeVarUint(MESSAGE_SYNC_STATUS).writeVarUint(1).toByteArray(), false);
    }

    @Override
    public void end(CloseCode code, String reason) {
      context.runOnContext(v -> {
        if (docs.get(name) != this) {
          return;
        }
        if (!closing) {
          writeNow(message(new Lib0Encoder().writeVarUint(MESSAGE_CLOSE)
              .writeVarString(code.name() + ": " + reason).toByteArray()));
        }
        forget();
      });
    }
  }

  private record Found(Room room, DocumentInfo info) { }

  // ------------------------------------------------------------------------------------------
  // Outbound
  // ------------------------------------------------------------------------------------------

  private void write(byte[] frame, boolean ephemeral) {
    output.write(frame, ephemeral);
  }

  private void writeNow(byte[] frame) {
    output.writeNow(frame);
  }

  void close(CloseCode code, String reason) {
    context.runOnContext(v -> {
      if (closing) {
        return;
      }
      closing = true;
      transport.metrics().closed(code.code());
      if (!ws.isClosed()) {
        ws.close((short) code.code(), reason.length() > 60 ? reason.substring(0, 60) : reason);
      }
    });
  }

  private void onClosed() {
    closing = true;
    if (pingTimer >= 0) {
      vertx.cancelTimer(pingTimer);
    }
    context.runOnContext(v -> {
      for (Doc doc : List.copyOf(docs.values())) {
        doc.forget();
      }
    });
    transport.forgetHocuspocus(this);
  }

  Future<Void> closeForShutdown() {
    close(CloseCode.SERVER_SHUTDOWN, "server shutting down");
    return Future.succeededFuture();
  }
}
