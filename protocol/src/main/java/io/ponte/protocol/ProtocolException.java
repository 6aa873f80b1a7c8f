package io.ponte.protocol;

import io.ponte.protocol.v1.ErrorCode;

/** A frame or message that breaks the protocol; carries the stable error code to answer with. */
public class ProtocolException extends Exception {
  private final ErrorCode code;

  public ProtocolException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ProtocolException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
