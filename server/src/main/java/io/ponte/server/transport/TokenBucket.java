package io.ponte.server.transport;

/**
 * A token bucket: refills at {@code ratePerSecond} up to {@code burst}. Not thread-safe: each
 * connection owns its buckets and uses them on its event loop.
 */
final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long lastNanos;

  TokenBucket(double ratePerSecond, double burst, long nowNanos) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.lastNanos = nowNanos;
  }

  /** Takes {@code amount} tokens if available: returns 0, else the millis until they would be. */
  long tryTake(double amount, long nowNanos) {
    tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * ratePerNano);
    lastNanos = nowNanos;
    if (tokens >= amount) {
      tokens -= amount;
      return 0;
    }
    double missing = Math.min(amount, burst) - tokens;
    return Math.max(1, (long) Math.ceil(missing / ratePerNano / 1e6));
  }
}
