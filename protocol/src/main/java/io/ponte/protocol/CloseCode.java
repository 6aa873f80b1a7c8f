package io.ponte.protocol;

/**
 * WebSocket close codes the server uses, and what a client should do after each.
 *
 * <p>Ranges: 1000-1999 are the standard codes; 4000-4099 mean the client did something wrong
 * (fix it, do not retry as is); 4100-4199 are transient (reconnect with backoff and resume
 * with the last seen seq); 4200-4299 end the client's business with a room (do not rejoin
 * automatically); 4400-4499 refuse a socket of a Yjs-compatible endpoint for good, as HTTP 4xx
 * would (y-websocket providers stop reconnecting on exactly this range, and Hocuspocus uses
 * 4401 and 4403 alike). CLOSE_CODES.md beside the schema is the same table in prose.
 */
public enum CloseCode {
  NORMAL(1000, ClientAction.NONE, "normal closure"),
  PROTOCOL_VIOLATION(4000, ClientAction.GIVE_UP, "protocol violation"),
  MALFORMED_MESSAGE(4001, ClientAction.GIVE_UP, "malformed message"),
  UNSUPPORTED_FRAME_TYPE(4002, ClientAction.GIVE_UP, "frame type does not match the subprotocol"),
  FRAME_TOO_LARGE(4003, ClientAction.GIVE_UP, "frame too large"),
  AUTH_FAILED(4004, ClientAction.GIVE_UP, "authentication failed"),
  AUTH_TIMEOUT(4005, ClientAction.RECONNECT, "no authentication within the deadline"),
  TOKEN_EXPIRED(4006, ClientAction.RECONNECT, "token expired: reconnect with a fresh token"),

  IDLE_TIMEOUT(4100, ClientAction.RESUME, "idle timeout"),
  SLOW_CONSUMER(4101, ClientAction.RESUME, "client could not keep up"),
  SERVER_SHUTDOWN(4102, ClientAction.RESUME, "server shutting down"),
  FLOODING(4103, ClientAction.RESUME, "too many requests"),
  INTERNAL_ERROR(4104, ClientAction.RESUME, "internal error"),
  ROOM_UNAVAILABLE(4105, ClientAction.RESUME, "the room cannot take the connection now: retry later"),
  TOO_MANY_CONNECTIONS(4106, ClientAction.RESUME, "the user has too many connections to this node: retry later"),

  REMOVED(4200, ClientAction.GIVE_UP, "removed from a room by a teacher"),
  SESSION_ENDED(4201, ClientAction.GIVE_UP, "the session has ended"),
  ROOM_CLOSED(4202, ClientAction.GIVE_UP, "the room was closed"),

  UNAUTHORIZED(4401, ClientAction.GIVE_UP, "authentication failed on a Yjs-compatible endpoint"),
  FORBIDDEN(4403, ClientAction.GIVE_UP, "the room refused the socket of a Yjs-compatible endpoint"),
  NOT_FOUND(4404, ClientAction.GIVE_UP, "no such room or document on a Yjs-compatible endpoint");

  /** What a client should do after a close. */
  public enum ClientAction {
    /** Nothing: the close was asked for. */
    NONE,
    /** Reconnect (with backoff) and authenticate again; room state may be resumed. */
    RECONNECT,
    /** Reconnect with backoff and rejoin each room with its last seq and epoch. */
    RESUME,
    /** Do not reconnect automatically: a person or a code change is needed. */
    GIVE_UP
  }

  private final int code;
  private final ClientAction action;
  private final String reason;

  CloseCode(int code, ClientAction action, String reason) {
    this.code = code;
    this.action = action;
    this.reason = reason;
  }

  public int code() {
    return code;
  }

  public ClientAction action() {
    return action;
  }

  public String reason() {
    return reason;
  }

  public static CloseCode of(int code) {
    for (CloseCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    return null;
  }
}
