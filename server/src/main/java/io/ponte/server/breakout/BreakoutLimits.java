package io.ponte.server.breakout;

/**
 * The bounds of breakouts in one room.
 *
 * @param maxPerRoom breakouts in one round ({@code breakout-max-per-room}, default 20)
 */
public record BreakoutLimits(int maxPerRoom) {
  /** Code points of a breakout's name. */
  public static final int MAX_NAME_CHARS = 64;
  /** Rounds a room keeps (each closed one stays readable): a class runs a handful. */
  public static final int MAX_ROUNDS = 50;
  /** Placements one create may carry (a room holds at most that many people anyway). */
  public static final int MAX_PLACEMENTS = 2_000;
  /** Timer range: 1 s to 24 h. */
  public static final long MIN_TIMER_MS = 1_000;
  public static final long MAX_TIMER_MS = 86_400_000;
  /** A claim key: 1-32 of [a-z0-9_-]; a claim value: 1-64 code points. */
  public static final int MAX_CLAIM_KEY_CHARS = 32;
  public static final int MAX_CLAIM_VALUE_CHARS = 64;

  public BreakoutLimits {
    if (maxPerRoom < 1) {
      throw new IllegalArgumentException("maxPerRoom " + maxPerRoom);
    }
  }
}
