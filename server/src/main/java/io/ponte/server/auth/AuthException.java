package io.ponte.server.auth;

import io.ponte.protocol.v1.ErrorCode;
import java.util.Objects;

/**
 * A token or grant that was refused. {@link #code()} is the protocol error code to send to the
 * client; the message is for logs and never contains the token or any secret.
 */
public class AuthException extends Exception {
  private final ErrorCode code;

  public AuthException(ErrorCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public AuthException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * The protocol error code: TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_BAD_SIGNATURE,
   * TOKEN_KEYS_UNAVAILABLE (retryable) or ROOM_NOT_ALLOWED.
   */
  public ErrorCode code() {
    return code;
  }
}
