/**
 * Exponential backoff with full jitter, as CLOSE_CODES.md asks: the n-th wait is drawn uniformly
 * from [0, min(capMs, baseMs * 2^n)), and is never shorter than the server's retry-after hint.
 * `reset()` once a connection has been welcomed.
 */
export class Backoff {
  /**
   * @param {{baseMs?: number, capMs?: number, random?: () => number}} [options]
   *   baseMs: first window (default 500); capMs: largest window (default 30000); random: a
   *   source of numbers in [0, 1) (default Math.random; tests pass their own).
   */
  constructor({ baseMs = 500, capMs = 30_000, random = Math.random } = {}) {
    if (!(baseMs > 0) || !(capMs >= baseMs)) {
      throw new RangeError(`backoff: need 0 < baseMs <= capMs, got ${baseMs}, ${capMs}`);
    }
    this.baseMs = baseMs;
    this.capMs = capMs;
    this.random = random;
    /** Failed attempts since the last reset. */
    this.attempt = 0;
  }

  /**
   * The wait before the next attempt.
   * @param {number} [minMs] the server's retry-after hint (0: none)
   * @returns {{delayMs: number, windowMs: number, attempt: number}}
   */
  next(minMs = 0) {
    // 2^attempt overflows to Infinity long after the cap is reached; min() keeps it finite.
    const windowMs = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    const jitter = Math.floor(this.random() * windowMs);
    this.attempt += 1;
    return { delayMs: Math.max(minMs || 0, jitter), windowMs, attempt: this.attempt };
  }

  reset() {
    this.attempt = 0;
  }
}
