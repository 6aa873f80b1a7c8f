package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.auth.Principal;
import io.ponte.server.doc.yjs.Lib0Decoder;
import io.ponte.server.doc.yjs.Lib0Encoder;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomMember;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One y-websocket client on {@code /yjs/{room}/{doc}}: y-protocols framing (sync step 1/2,
 * update, awareness, query-awareness, auth permission-denied) over binary frames, for one
 * document of one room. It is a {@link RoomMember} like a Ponte connection, so it takes part in
 * presence and admission, and receives the room's events, of which it forwards the document's
 * updates and awareness.
 *
 * <p>Client updates become sequenced DocUpdate operations, checked when applied like any other;
 * a refused update is dropped and answered with the auth message permission-denied, whose
 * reason starts with the error code name (e.g. {@code "DOC_READ_ONLY: ..."}).
 */
final class YjsConnection implements RoomMember {
  private static final Logger log = LoggerFactory.getLogger(YjsConnection.class);

  static final int MESSAGE_SYNC = 0;
  static final int MESSAGE_AWARENESS = 1;
  static final int MESSAGE_AUTH = 2;
  static final int MESSAGE_QUERY_AWARENESS = 3;
  static final int SYNC_STEP1 = 0;
  static final int SYNC_STEP2 = 1;
  static final int SYNC_UPDATE = 2;
  static final int AUTH_PERMISSION_DENIED = 0;

  private final ServerWebSocket ws;
  private final Context context;
  private final Vertx vertx;
  private final Transport transport;
  private final Principal principal;
  private final Role role;
  private final Room room;
  private final String docId;
  private final String sessionId = UUID.randomUUID().toString();
  private final TokenBucket awarenessBucket;
  private long pingTimer = -1;
  private long expiryTimer = -1;
  private volatile boolean closing;
  private volatile boolean joined;

  YjsConnection(ServerWebSocket ws, Context context, Transport transport, Principal principal,
      Role role, Room room, String docId) {
    this.ws = ws;
    this.context = context;
    this.vertx = context.owner();
    this.transport = transport;
    this.principal = principal;
    this.role = role;
    this.room = room;
    this.docId = docId;
    int perSecond = transport.config().rateMessagesPerSecond();
    this.awarenessBucket = new TokenBucket(perSecond, transport.config().rateMessagesBurst(), System.nanoTime());
  }

  /** Wires the socket, joins the room, sends sync step 1 and the current awareness. */
  void start() {
    ws.binaryMessageHandler(this::onMessage);
    ws.textMessageHandler(text -> close(CloseCode.UNSUPPORTED_FRAME_TYPE, "binary frames only"));
    ws.exceptionHandler(err -> log.debug("yjs session {}: socket error: {}", sessionId, err.toString()));
    ws.closeHandler(v -> onClosed());
    pingTimer = vertx.setPeriodic(transport.config().pingIntervalMs(), id -> {
      if (!ws.isClosed()) {
        ws.writePing(Buffer.buffer("p"));
      }
    });
    long untilExpiry = Math.max(1, principal.expiresAtMs() - System.currentTimeMillis());
    expiryTimer = vertx.setTimer(untilExpiry, id -> close(CloseCode.TOKEN_EXPIRED, "token expired"));
    room.join(this, role, Join.newBuilder().setRoomId(room.roomId()).build(), 0)
        .onComplete(ar -> context.runOnContext(v -> {
          if (ar.failed()) {
            String reason = ar.cause() instanceof RoomException re
                ? re.error().getCode().name() + ": " + re.error().getMessage() : "the room cannot be joined now";
            writeNow(permissionDenied(reason));
            closeNow(CloseCode.PROTOCOL_VIOLATION, reason);
            return;
          }
          if (closing) {
            room.leave(this);
            return;
          }
          room.docSync(docId, new byte[0]).onSuccess(reply -> write(frame(MESSAGE_SYNC, SYNC_STEP1,
              reply.getStateVector().toByteArray()), false));
          room.docAwareness(docId).onSuccess(current -> {
            if (current != null) {
              write(frame(MESSAGE_AWARENESS, -1, current), true);
            }
          });
        }));
  }

  // ------------------------------------------------------------------------------------------
  // Framing
  // ------------------------------------------------------------------------------------------

  static byte[] frame(int type, int subType, byte[] payload) {
    Lib0Encoder e = new Lib0Encoder(payload.length + 8);
    e.writeVarUint(type);
    if (subType >= 0) {
      e.writeVarUint(subType);
    }
    return e.writeVarUint8Array(payload).toByteArray();
  }

  static byte[] permissionDenied(String reason) {
    return new Lib0Encoder().writeVarUint(MESSAGE_AUTH).writeVarUint(AUTH_PERMISSION_DENIED)
        .writeVarString(reason).toByteArray();
  }

  // ------------------------------------------------------------------------------------------
  // Inbound
  // ------------------------------------------------------------------------------------------

  private void onMessage(Buffer buf) {
    if (closing) {
      return;
    }
    byte[] bytes = buf.getBytes();
    try {
      Lib0Decoder d = new Lib0Decoder(bytes);
      int type = (int) d.readVarUint();
      switch (type) {
        case MESSAGE_SYNC -> {
          int sub = (int) d.readVarUint();
          byte[] payload = d.readVarUint8Array();
          switch (sub) {
            case SYNC_STEP1 -> room.docSync(docId, payload).onComplete(ar -> {
              if (ar.succeeded()) {
                write(frame(MESSAGE_SYNC, SYNC_STEP2, ar.result().getUpdate().toByteArray()), false);
              } else {
                denied(ar.cause());
              }
            });
            case SYNC_STEP2 -> clientUpdate(payload, true);
            case SYNC_UPDATE -> clientUpdate(payload, false);
            default -> close(CloseCode.MALFORMED_MESSAGE, "unknown sync message " + sub);
          }
        }
        case MESSAGE_AWARENESS -> {
          byte[] update = d.readVarUint8Array();
          if (awarenessBucket.tryTake(1, System.nanoTime()) > 0) {
            transport.metrics().dropped("awareness_rate");
            return;
          }
          room.docAwareness(this, role, docId, update)
              .onFailure(err -> log.debug("yjs session {}: awareness refused: {}", sessionId, err.toString()));
        }
        case MESSAGE_QUERY_AWARENESS -> room.docAwareness(docId).onSuccess(current -> {
          if (current != null) {
            write(frame(MESSAGE_AWARENESS, -1, current), true);
          }
        });
        case MESSAGE_AUTH -> { }
        default -> close(CloseCode.MALFORMED_MESSAGE, "unknown message type " + type);
      }
    } catch (RuntimeException e) {
      close(CloseCode.MALFORMED_MESSAGE, "malformed y-protocols message");
    }
  }

  /**
   * A client update (sync step 2 or update). A step 2 that adds nothing (every reconnect sends
   * one) is not sequenced; anything else becomes a DocUpdate operation, checked when applied.
   */
  private void clientUpdate(byte[] update, boolean step2) {
    if (step2) {
      room.docCovers(docId, update).onComplete(ar -> {
        if (ar.succeeded() && ar.result()) {
          return;
        }
        submit(update);
      });
    } else {
      submit(update);
    }
  }

  private void submit(byte[] update) {
    Operation op = Operation.newBuilder()
        .setActor(Actor.newBuilder().setUserId(principal.userId())
            .setDisplayName(principal.displayName()).setRole(role))
        .setDocUpdate(DocUpdate.newBuilder().setRoomId(room.roomId()).setDocId(docId)
            .setUpdate(com.google.protobuf.ByteString.copyFrom(update)))
        .build();
    room.submit(op).onComplete(ar -> {
      if (ar.failed()) {
        denied(ar.cause());
      } else if (ar.result().rejection() != null) {
        denied(ar.result().rejection());
      }
    });
  }

  private void denied(Throwable cause) {
    if (cause instanceof RoomException re) {
      denied(re.error());
    } else {
      log.warn("yjs session {}: request failed: {}", sessionId, cause.toString());
      write(permissionDenied("INTERNAL: internal error"), false);
    }
  }

  private void denied(ErrorInfo error) {
    transport.metrics().error(error.getCode());
    write(permissionDenied(error.getCode().name() + ": " + error.getMessage()), false);
  }

  // ------------------------------------------------------------------------------------------
  // Outbound
  // ------------------------------------------------------------------------------------------

  /** Writes from any thread; ephemeral frames are dropped when the socket cannot keep up. */
  private void write(byte[] frame, boolean ephemeral) {
    if (closing) {
      return;
    }
    context.runOnContext(v -> {
      if (closing || ws.isClosed()) {
        return;
      }
      if (ws.writeQueueFull()) {
        if (ephemeral) {
          transport.metrics().dropped("ephemeral_backpressure");
          return;
        }
      }
      writeNow(frame);
    });
  }

  private void writeNow(byte[] frame) {
    if (!ws.isClosed()) {
      ws.writeFinalBinaryFrame(Buffer.buffer(frame));
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
  public void joined(Room joinedRoom, Role joinedRole) {
    joined = true;
  }

  @Override
  public void send(OutboundMessage message) {
    ServerMessage m = message.message();
    if (m.getBodyCase() != ServerMessage.BodyCase.EVENT) {
      return;
    }
    Event e = m.getEvent();
    switch (e.getBodyCase()) {
      case DOC_UPDATED -> {
        if (e.getDocUpdated().getDocId().equals(docId)) {
          write(frame(MESSAGE_SYNC, SYNC_UPDATE, e.getDocUpdated().getUpdate().toByteArray()), false);
        }
      }
      case DOC_AWARENESS -> {
        if (e.getDocAwareness().getDocId().equals(docId)) {
          write(frame(MESSAGE_AWARENESS, -1, e.getDocAwareness().getAwareness().toByteArray()), true);
        }
      }
      default -> { }
    }
  }

  @Override
  public void leftRoom(String roomId, LeftReason reason) {
    close(reason == LeftReason.LEFT_REMOVED ? CloseCode.REMOVED
        : reason == LeftReason.LEFT_SESSION_ENDED ? CloseCode.SESSION_ENDED : CloseCode.ROOM_CLOSED,
        "left the room");
  }

  @Override
  public void close(CloseCode code, String reason) {
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
    if (joined) {
      room.leave(this);
    }
    transport.forgetYjs(this);
  }

  Future<Void> closeForShutdown() {
    close(CloseCode.SERVER_SHUTDOWN, "server shutting down");
    return Future.succeededFuture();
  }
}
