package io.ponte.server.transport;

import com.google.protobuf.ByteString;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.auth.Principal;
import io.ponte.server.doc.Documents;
import io.ponte.server.outbound.OutboundMessage;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomMember;
import io.ponte.server.util.TokenBucket;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import io.vertx.core.Future;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The y-protocols side of one document of one room, shared by the y-websocket endpoint (one
 * document per socket) and the Hocuspocus endpoint (several per socket): sync step 1/2, update,
 * awareness and query-awareness messages, without the framing around them. It is a
 * {@link RoomMember}, so it takes part in presence and admission and receives the room's events,
 * of which it forwards the document's updates and awareness.
 *
 * <p>Client updates become sequenced DocUpdate operations, checked when applied like any other;
 * the {@link Channel} hears whether each was applied or refused.
 */
final class YDocSession implements RoomMember {
  private static final Logger log = LoggerFactory.getLogger(YDocSession.class);

  static final int MESSAGE_SYNC = 0;
  static final int MESSAGE_AWARENESS = 1;
  static final int MESSAGE_AUTH = 2;
  static final int MESSAGE_QUERY_AWARENESS = 3;
  static final int SYNC_STEP1 = 0;
  static final int SYNC_STEP2 = 1;
  static final int SYNC_UPDATE = 2;

  /** Where a session's output goes; every method may be called from any thread. */
  interface Channel {
    /** A y-protocols message (type, then its body); ephemeral ones may be dropped under backpressure. */
    void write(byte[] message, boolean ephemeral);

    /** A document update event, as the frame every socket of this kind shares (see OutboundMessage). */
    default void writeUpdate(OutboundMessage update) {
      write(update.yjsSyncUpdate(), false);
    }

    /** A client update (or a request) was refused; the document is unchanged. */
    void refused(ErrorInfo error);

    /** A client update was applied (or was already part of the document). */
    void applied();

    /** The room no longer holds the session, or it must end: close it with this code. */
    void end(CloseCode code, String reason);
  }

  private final Transport transport;
  private final Principal principal;
  private final Role role;
  private final Room room;
  private final String docId;
  private final Channel channel;
  private final SocketCore core;
  private final TokenBucket awarenessBucket;
  private final String sessionId = UUID.randomUUID().toString();
  private volatile boolean joined;
  private volatile boolean left;

  YDocSession(Transport transport, SocketCore core, Principal principal, Role role, Room room,
      String docId, Channel channel) {
    this.transport = transport;
    this.principal = principal;
    this.role = role;
    this.room = room;
    this.docId = docId;
    this.core = core;
    int awareness = transport.config().awarenessPerSecond();
    this.awarenessBucket = new TokenBucket(awareness, 2.0 * awareness, System.nanoTime());
    this.channel = channel;
  }

  Role role() {
    return role;
  }

  String docId() {
    return docId;
  }

  /** Joins the room; fails with a {@link RoomException} when it refuses. */
  Future<Void> join() {
    return room.join(this, role, Join.newBuilder().setRoomId(room.roomId()).build(), 0);
  }

  /** Sends the server's sync step 1 and the current awareness. */
  void sendInitial() {
    Documents.sync(room, docId, new byte[0]).onSuccess(reply -> channel.write(frame(MESSAGE_SYNC, SYNC_STEP1,
        reply.getStateVector().toByteArray()), false));
    sendAwareness();
  }

  private void sendAwareness() {
    Documents.awareness(room, docId).onSuccess(current -> {
      if (current != null) {
        channel.write(frame(MESSAGE_AWARENESS, -1, current), true);
      }
    });
  }

  /** Leaves the room (idempotent). */
  void leave() {
    left = true;
    if (joined) {
      room.leave(this);
    }
  }

  static byte[] frame(int type, int subType, byte[] payload) {
    Lib0Encoder e = new Lib0Encoder(payload.length + 8);
    e.writeVarUint(type);
    if (subType >= 0) {
      e.writeVarUint(subType);
    }
    return e.writeVarUint8Array(payload).toByteArray();
  }

  /**
   * Handles one y-protocols message of the given type, read from {@code d}. Returns false for a
   * type it does not know (the caller decides); throws a RuntimeException for malformed input.
   */
  boolean onMessage(int type, Lib0Decoder d) {
    switch (type) {
      case MESSAGE_SYNC -> {
        int sub = (int) d.readVarUint();
        byte[] payload = d.readVarUint8Array();
        if (sub == SYNC_STEP1 && syncRateLimited()) {
          return true;
        }
        switch (sub) {
          case SYNC_STEP1 -> Documents.sync(room, docId, payload).onComplete(ar -> {
            if (ar.succeeded()) {
              channel.write(frame(MESSAGE_SYNC, SYNC_STEP2, ar.result().getUpdate().toByteArray()), false);
            } else {
              refused(ar.cause());
            }
          });
          case SYNC_STEP2 -> clientUpdate(payload, true);
          case SYNC_UPDATE -> clientUpdate(payload, false);
          default -> throw new IllegalArgumentException("unknown sync message " + sub);
        }
        return true;
      }
      case MESSAGE_AWARENESS -> {
        byte[] update = d.readVarUint8Array();
        if (awarenessBucket.tryTake(1, System.nanoTime()) > 0) {
          transport.metrics().dropped("awareness_rate");
          return true;
        }
        Documents.publishAwareness(room, this, role, docId, update)
            .onFailure(err -> log.debug("y session {}: awareness refused: {}", sessionId, err.toString()));
        return true;
      }
      case MESSAGE_QUERY_AWARENESS -> {
        if (!syncRateLimited()) {
          sendAwareness();
        }
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /** Whether a sync request (step 1, query-awareness) is over sync-requests-per-second: refused. */
  private boolean syncRateLimited() {
    long waitMs = core.trySyncRequest();
    if (waitMs <= 0) {
      return false;
    }
    refused(io.ponte.protocol.ErrorCodes.error(ErrorCode.RATE_LIMITED, "at most "
        + transport.config().syncRequestsPerSecond() + " sync requests per second", room.roomId(), waitMs));
    return true;
  }

  /**
   * A client update (sync step 2 or update). A step 2 that adds nothing (every reconnect sends
   * one) is not sequenced; anything else becomes a DocUpdate operation, checked when applied.
   */
  private void clientUpdate(byte[] update, boolean step2) {
    // A write read: a drain closes the socket only once it is answered (applied or refused).
    core.writeRead();
    if (step2) {
      Documents.covers(room, docId, update).onComplete(ar -> {
        if (ar.succeeded() && ar.result()) {
          channel.applied();
          core.writeAnswered();
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
            .setUpdate(ByteString.copyFrom(update)))
        .build();
    room.submit(op).onComplete(ar -> {
      if (ar.failed()) {
        refused(ar.cause());
      } else if (ar.result().rejection() != null) {
        refused(ar.result().rejection());
      } else {
        channel.applied();
      }
      core.writeAnswered();
    });
  }

  private void refused(Throwable cause) {
    if (cause instanceof RoomException re) {
      refused(re.error());
    } else {
      log.warn("y session {}: request failed: {}", sessionId, cause.toString());
      refused(ErrorInfo.newBuilder().setCode(ErrorCode.INTERNAL).setMessage("internal error").build());
    }
  }

  private void refused(ErrorInfo error) {
    transport.metrics().error(error.getCode());
    channel.refused(error);
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
    if (left) {
      return;
    }
    ServerMessage m = message.message();
    if (m.getBodyCase() != ServerMessage.BodyCase.EVENT) {
      return;
    }
    Event e = m.getEvent();
    switch (e.getBodyCase()) {
      case DOC_UPDATED -> {
        if (e.getDocUpdated().getDocId().equals(docId)) {
          channel.writeUpdate(message);
        }
      }
      case DOC_AWARENESS -> {
        if (e.getDocAwareness().getDocId().equals(docId)) {
          channel.write(frame(MESSAGE_AWARENESS, -1, e.getDocAwareness().getAwareness().toByteArray()), true);
        }
      }
      default -> { }
    }
  }

  @Override
  public void leftRoom(String roomId, LeftReason reason) {
    channel.end(reason == LeftReason.LEFT_REMOVED ? CloseCode.REMOVED
        : reason == LeftReason.LEFT_SESSION_ENDED ? CloseCode.SESSION_ENDED : CloseCode.ROOM_CLOSED,
        "left the room");
  }

  @Override
  public void close(CloseCode code, String reason) {
    channel.end(code, reason);
  }
}
