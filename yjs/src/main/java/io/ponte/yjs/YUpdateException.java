package io.ponte.yjs;

/**
 * Thrown when bytes that should hold a Yjs update, state vector or lib0 value are malformed
 * (truncated, out of range, invalid UTF-8, unknown type tag, nested too deeply).
 */
public final class YUpdateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public YUpdateException(String message) {
    super(message);
  }

  public YUpdateException(String message, Throwable cause) {
    super(message, cause);
  }
}
