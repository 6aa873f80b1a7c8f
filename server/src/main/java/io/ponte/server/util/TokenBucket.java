package io.ponte.server.util;

/**
 * A token bucket: refills at {@code ratePerSecond} up to {@code burst}. Not thread-safe: each
 * connection owns its buckets and uses them on its event loop.
 */
public final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long lastNanos;

  public TokenBucket(double ratePerSecond, double burst, long nowNanos) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.lastNanos = nowNanos;
  }

  /**
   * Takes {@code amount} tokens if available: returns 0, else the millis until they would be. An
   * amount larger than the burst (a document update bigger than an ordinary frame) is taken from
   * a full bucket and leaves it in debt, so that the sustained rate still holds: whatever comes
   * next waits until the debt is paid back.
   */
  public long tryTake(double amount, long nowNanos) {
    tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * ratePerNano);
    lastNanos = nowNanos;
    double needed = Math.min(amount, burst);
    if (tokens >= needed) {
      tokens -= amount;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((needed - tokens) / ratePerNano / 1e6));
  }

  /**
   * Takes {@code amount} tokens whatever the balance (what was received is spent): returns 0, or
   * the millis until the bucket is out of debt again, during which the sender should be held.
   */
  public long take(double amount, long nowNanos) {
    tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * ratePerNano);
    lastNanos = nowNanos;
    tokens -= amount;
    return tokens >= 0 ? 0 : Math.max(1, (long) Math.ceil(-tokens / ratePerNano / 1e6));
  }
}
