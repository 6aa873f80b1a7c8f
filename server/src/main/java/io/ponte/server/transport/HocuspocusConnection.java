package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.Principal;
import io.ponte.server.outbound.OutboundMessage;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import io.vertx.core.Context;
import io.vertx.core.Future;
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
 * <p>A document's messages are queued until its Auth message has been checked, at most
 * hocuspocus-preauth-bytes for all such documents together (more closes the socket with
 * PROTOCOL_VIOLATION), and some Auth must succeed within auth-timeout-ms (else AUTH_TIMEOUT): the
 * socket core ({@link SocketCore}) holds the deadlines and limits shared with /ws and /yjs. The token is
 * verified like Hello, the role comes from its rooms claim, and the document is opened (created
 * when missing and the user may, once the room supports it). Then
 * the server sends its sync step 1 and the current awareness and works through the queue; the
 * document side is a {@link YDocSession}, as for y-websocket. Each applied client update is
 * answered with SyncStatus 1; a refused one (read-only, malformed, too large) with SyncStatus 0
 * and a Stateless message {@code {"event":"ponte.error","code":...,"message":...}}.
 */
final class HocuspocusConnection implements SocketCore.Protocol {
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

  private final SocketCore core;
  private final Context context;
  private final Transport transport;
  /** Documents by name; touched on the socket's context only. */
  private final Map<String, Doc> docs = new HashMap<>();
  /** Bytes queued for documents whose Auth has not succeeded yet, all together. */
  private long preauthBytes;
  private final YSocketOutput output;

  HocuspocusConnection(ServerWebSocket ws, io.netty.channel.Channel channel, Context context, Transport transport) {
    this.context = context;
    this.transport = transport;
    this.core = new SocketCore(ws, channel, context, transport, transport.yMessageLimit());
    this.output = new YSocketOutput(core, transport.config(), transport.metrics());
  }

  void start() {
    // No document authenticated within auth-timeout-ms: closed with AUTH_TIMEOUT.
    core.start(this, true, true);
  }

  @Override
  public void onAuthTimeout() {
    closeNow(CloseCode.AUTH_TIMEOUT, "no successful Auth within the deadline");
  }

  @Override
  public void onIdle(long silentMs) {
    closeNow(CloseCode.IDLE_TIMEOUT, "nothing received for " + silentMs + " ms");
  }

  @Override
  public void onTooLarge(long length, int limit) {
    closeNow(CloseCode.FRAME_TOO_LARGE, "a message is at most " + limit + " bytes");
  }

  @Override
  public void onFragmentsLimited(long waitMs, boolean flooding) {
    // never: a throttled socket is slowed down, not refused
  }

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
    onMessage(payload.getBytes());
  }

  // ------------------------------------------------------------------------------------------
  // Inbound
  // ------------------------------------------------------------------------------------------

  private void onMessage(byte[] bytes) {
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
          if (doc.queue.size() >= MAX_QUEUED
              || preauthBytes + bytes.length > transport.config().hocuspocusPreauthBytes()) {
            // Held for documents nobody has authenticated: bounded, all documents together.
            closeNow(CloseCode.PROTOCOL_VIOLATION, "too much before authentication");
            return;
          }
          preauthBytes += bytes.length;
          doc.queuedBytes += bytes.length;
          doc.queue.add(bytes);
        }
        case DENIED -> { }
      }
    } catch (RuntimeException e) {
      closeNow(CloseCode.MALFORMED_MESSAGE, "malformed hocuspocus message");
    }
  }

  private Doc newDoc(String name) {
    if (docs.size() >= MAX_DOCUMENTS) {
      closeNow(CloseCode.PROTOCOL_VIOLATION, "too many documents on one socket");
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
    long queuedBytes;
    State state = State.PENDING;
    YDocSession session;
    long expiryTimer = -1;

    Doc(String name) {
      this.name = name;
      this.prefix = new Lib0Encoder().writeVarString(name).toByteArray();
    }

    void authenticate(String token) {
      state = State.AUTHENTICATING;
      // The name is exactly {room}/{doc}: "a/b/c" has the document id "b/c", which is no id.
      int slash = name.indexOf('/');
      String roomId = slash < 0 ? "" : name.substring(0, slash);
      String docId = slash < 0 ? "" : name.substring(slash + 1);
      if (!io.ponte.server.room.ResourceId.valid(roomId) || !io.ponte.server.room.ResourceId.valid(docId)) {
        deny(ErrorCode.DOC_NOT_FOUND.name() + ": the document name must be {room}/{doc}");
        return;
      }
      // Bounded like /yjs: a document never stays AUTHENTICATING (its queue held) for ever.
      Transport.within(context, transport.config().authTimeoutMs(),
          DocumentAdmission.admit(transport, token, roomId, docId)).onComplete(ar -> context.runOnContext(v -> {
        if (core.isClosing() || state != State.AUTHENTICATING) {
          return;
        }
        if (ar.failed()) {
          deny(ar.cause() instanceof DocumentAdmission.Refused r ? r.reason()
              : ErrorCode.UNAVAILABLE.name() + ": the room cannot be loaded now, retry");
          return;
        }
        DocumentAdmission.Admitted a = ar.result();
        if (!core.claimUser(a.principal().userId())) {
          closeNow(CloseCode.TOO_MANY_CONNECTIONS, "TOO_MANY_CONNECTIONS: at most "
              + transport.config().maxConnectionsPerUser() + " connections per user");
          return;
        }
        join(a.principal(), a.role(), a.room(), a.docId(), a.info(), a.mayEdit());
      }));
    }

    private void join(Principal principal, Role role, Room room, String docId, DocumentInfo info,
        boolean mayEdit) {
      YDocSession s = new YDocSession(transport, core, principal, role, room, docId, this);
      session = s;
      s.join().onComplete(ar -> context.runOnContext(v -> {
        if (core.isClosing() || session != s) {
          s.leave();
          return;
        }
        if (ar.failed()) {
          session = null;
          deny(ar.cause() instanceof RoomException re
              ? re.error().getCode().name() + ": " + re.error().getMessage() : "the room cannot be joined now");
          return;
        }
        boolean readOnly = !mayEdit || (role == Role.STUDENT && info.getStudentsReadOnly());
        state = State.READY;
        core.authenticated();
        unqueue();
        writeNow(message(new Lib0Encoder().writeVarUint(MESSAGE_AUTH).writeVarUint(AUTH_AUTHENTICATED)
            .writeVarString(readOnly ? "readonly" : "read-write").toByteArray()));
        expiryTimer = core.at(principal.expiresAtMs(), () -> end(CloseCode.TOKEN_EXPIRED, "token expired"));
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
            closeNow(CloseCode.MALFORMED_MESSAGE, "malformed hocuspocus message");
            return;
          }
        }
      }));
    }

    /** What this document held before authentication no longer counts (sent on, or dropped). */
    void unqueue() {
      preauthBytes -= queuedBytes;
      queuedBytes = 0;
    }

    private void deny(String reason) {
      state = State.DENIED;
      unqueue();
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
        core.cancel(expiryTimer);
      }
      unqueue();
      queue.clear();
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
        if (!core.isClosing()) {
          writeNow(message(new Lib0Encoder().writeVarUint(MESSAGE_CLOSE)
              .writeVarString(code.name() + ": " + reason).toByteArray()));
        }
        forget();
      });
    }
  }

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
    core.closeLater(code, reason);
  }

  private void closeNow(CloseCode code, String reason) {
    core.close(code, reason);
  }

  @Override
  public void onClosed() {
    for (Doc doc : List.copyOf(docs.values())) {
      doc.forget();
    }
    transport.forgetHocuspocus(this);
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
