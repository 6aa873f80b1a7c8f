package io.ponte.server.session;

import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.auth.Principal;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.room.RoomMember;
import io.ponte.server.text.ChatText;
import java.util.function.Supplier;

/**
 * What a feature's request handler sees of an authenticated client connection on /ws: replies,
 * room membership, submitting operations, per-connection state. Handlers run on the connection's
 * context, one request at a time.
 */
public interface Session {
  Principal principal();

  /** This connection as a room member (for room calls about it). */
  RoomMember member();

  PonteConfig config();

  PonteMetrics metrics();

  /** The membership for a request about a room, or null after replying NOT_IN_ROOM. */
  Membership member(long requestId, String roomId);

  void reply(long requestId, ServerMessage.Builder message);

  void replyError(long requestId, ErrorInfo error);

  default void replyError(long requestId, ErrorCode code, String message, String roomId) {
    replyError(requestId, ErrorCodes.error(code, message, roomId));
  }

  /** Replies with the error a room request failed with (RoomException's, else INTERNAL). */
  void replyFailure(long requestId, Throwable cause, String roomId);

  /** The checked client message id, or null after replying with its error. */
  default String clientMsgId(long requestId, String clientMsgId, String roomId) {
    ChatText.Checked id = ChatText.clientMsgId(clientMsgId);
    if (!id.ok()) {
      replyError(requestId, id.error(), id.reason(), roomId);
      return null;
    }
    return id.value();
  }

  /**
   * Sequences the operation as this member's (actor and client message id stamped) and replies
   * with its Ack (duplicate for a retry) or the Error it was refused or rejected with.
   */
  void submit(long requestId, Membership membership, String clientMsgId, Operation.Builder op);

  /**
   * Takes one sync request (document state asked for) from the connection's budget,
   * sync-requests-per-second shared by every feature: 0, or how long to wait.
   */
  long trySyncRequest();

  /** Completes when the connection has closed (from any thread; on no particular one). */
  io.vertx.core.Future<Void> closed();

  /** A feature's own per-connection value (its rate buckets, preferences), made on first use. */
  <T> T attachment(Class<T> type, Supplier<T> create);
}
