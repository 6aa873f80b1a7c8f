package io.ponte.server.transport;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.AuthException;
import io.ponte.server.auth.Principal;
import io.ponte.server.doc.Documents;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.vertx.core.Future;

/**
 * The one admission path of the Yjs-compatible endpoints (/yjs at the upgrade, /hocuspocus per
 * Auth): the token, both ids ({@link ResourceId}), the role the token grants in the room (through
 * {@code RoomAccess}, as for /ws), then
 * the room and the document, opened the way a stock provider expects. Bans and room state are
 * checked when the session joins the room, as for /ws. Fails with a {@link Refused} that names
 * the error code; the endpoint words it its own way.
 */
final class DocumentAdmission {
  /**
   * Who is admitted to which document, with which role; {@code mayEdit}: whether they had
   * CAPABILITY_DOCUMENT_EDIT at admission (each update is still checked when applied).
   */
  record Admitted(Principal principal, Role role, Room room, String docId, DocumentInfo info,
      boolean mayEdit) { }

  /** Why not: an error code and message; {@code authentication} when the token itself failed. */
  static final class Refused extends RuntimeException {
    final ErrorCode code;
    final boolean authentication;
    final boolean retryable;

    Refused(ErrorCode code, String message, boolean authentication, boolean retryable) {
      super(message, null, false, false);
      this.code = code;
      this.authentication = authentication;
      this.retryable = retryable;
    }

    /** "CODE: message", the form permission-denied reasons take. */
    String reason() {
      return code.name() + ": " + getMessage();
    }
  }

  private DocumentAdmission() { }

  /**
   * Admits the token to the document. The token's keys may have to be fetched first ({@link
   * io.ponte.server.auth.TokenVerifier#verifyAsync}); a token whose keys cannot be fetched now is
   * refused as retryable (TOKEN_KEYS_UNAVAILABLE).
   */
  static Future<Admitted> admit(Transport transport, String token, String roomId, String docId) {
    return transport.tokens().verifyAsync(token == null ? "" : token)
        .recover(err -> {
          AuthException e = err instanceof AuthException a ? a
              : new AuthException(ErrorCode.TOKEN_INVALID, "cannot verify the token");
          return Future.failedFuture(new Refused(e.code(), e.getMessage(), true,
              io.ponte.protocol.ErrorCodes.retryable(e.code())));
        })
        .compose(principal -> admit(transport, principal, roomId, docId));
  }

  private static Future<Admitted> admit(Transport transport, Principal principal, String roomId,
      String docId) {
    if (!ResourceId.valid(roomId)) {
      return Future.failedFuture(new Refused(ErrorCode.ROOM_NOT_FOUND, "no such room", false, false));
    }
    if (!ResourceId.valid(docId)) {
      return Future.failedFuture(new Refused(ErrorCode.DOC_NOT_FOUND, "no such document", false, false));
    }
    return transport.access().roleFor(principal, roomId).compose(role -> {
      if (role == null) {
        return Future.failedFuture(new Refused(ErrorCode.ROOM_NOT_ALLOWED,
            "the token does not grant this room", false, false));
      }
      Actor actor = Actor.newBuilder().setUserId(principal.userId())
          .setDisplayName(principal.displayName()).setRole(role).build();
      // openDocument, not documentInfo: a stock provider opening a new document creates it (when
      // its user may), once the room supports that.
      return transport.rooms().room(roomId)
          // These endpoints cannot wait in the lobby: a user who would has to be admitted on /ws first.
          .compose(room -> transport.requests().gate().check(principal, role, room).map(room))
          .compose(room -> Documents.open(room, docId, actor).compose(info -> {
            if (info == null) {
              throw new Refused(ErrorCode.DOC_NOT_FOUND, "no such document", false, false);
            }
            return room.read(state -> new Admitted(principal, role, room, docId, info,
                state.allows(principal.userId(), role, Capability.CAPABILITY_DOCUMENT_EDIT)));
          }));
    })
        .recover(err -> Future.failedFuture(err instanceof Refused r ? r
            : err instanceof RoomException re
                ? new Refused(re.error().getCode(), re.error().getMessage(), false, re.error().getRetryable())
                : new Refused(ErrorCode.UNAVAILABLE, "the room cannot be loaded now, retry", false, true)));
  }
}
