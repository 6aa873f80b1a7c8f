package io.ponte.server.room;

import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;

/** A request a room refused, with the error to send back. */
public class RoomException extends RuntimeException {
  private final ErrorInfo error;

  public RoomException(ErrorInfo error) {
    super(error.getCode() + ": " + error.getMessage(), null, false, false);
    this.error = error;
  }

  public RoomException(ErrorCode code, String message) {
    this(ErrorCodes.error(code, message, null));
  }

  public ErrorInfo error() {
    return error;
  }
}
