package io.ponte.server.session;

import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.server.util.TokenBucket;
import java.util.HashMap;
import java.util.Map;

/**
 * A connection's budgets of sequenced feature requests (hand, poll, lobby, breakout ops): each
 * kind at most its per-second setting, burst twice that.
 */
public final class RequestBudgets {
  private final Map<String, TokenBucket> buckets = new HashMap<>(4);

  /**
   * Takes one request of {@code kind} ("hand", "poll", ...) from the connection's budget: true
   * when taken; false after answering RATE_LIMITED with the wait.
   */
  public static boolean take(Session s, String kind, int perSecond, long requestId, String roomId) {
    TokenBucket bucket = s.attachment(RequestBudgets.class, RequestBudgets::new).buckets
        .computeIfAbsent(kind, k -> new TokenBucket(perSecond, 2.0 * perSecond, System.nanoTime()));
    long waitMs = bucket.tryTake(1, System.nanoTime());
    if (waitMs > 0) {
      s.replyError(requestId, ErrorCodes.error(ErrorCode.RATE_LIMITED,
          "at most " + perSecond + " " + kind + " operations per second", roomId, waitMs));
      return false;
    }
    return true;
  }
}
