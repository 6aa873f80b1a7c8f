package io.ponte.protocol;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;

/** Retry advice for each {@link ErrorCode}, so every error the server sends says it the same way. */
public final class ErrorCodes {
  private ErrorCodes() {}

  /** Whether sending the same request again can succeed (after waiting). */
  public static boolean retryable(ErrorCode code) {
    switch (code) {
      case RATE_LIMITED:
      case INTERNAL:
      case UNAVAILABLE:
      case SHUTTING_DOWN:
      case ROOM_FULL:
      case ROOM_LOCKED:
      case TOO_MANY_CONNECTIONS:
      case LOBBY_FULL:
      case EXPORT_BUSY:
      case TOKEN_KEYS_UNAVAILABLE:
        return true;
      default:
        return false;
    }
  }

  public static ErrorInfo error(ErrorCode code, String message, String roomId) {
    return error(code, message, roomId, 0);
  }

  public static ErrorInfo error(ErrorCode code, String message, String roomId, long retryAfterMs) {
    return ErrorInfo.newBuilder()
        .setCode(code)
        .setMessage(message)
        .setRetryable(retryable(code))
        .setRetryAfterMs((int) Math.min(Integer.MAX_VALUE, Math.max(0, retryAfterMs)))
        .setRoomId(roomId == null ? "" : roomId)
        .build();
  }
}
