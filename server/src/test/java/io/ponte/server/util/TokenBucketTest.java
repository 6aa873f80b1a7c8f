package io.ponte.server.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void takesWithinTheBurstAndRefillsAtTheRate() {
    TokenBucket b = new TokenBucket(100, 200, 0);
    assertEquals(0, b.tryTake(150, 0));
    assertEquals(500, b.tryTake(100, 0), "50 missing at 100/s");
    assertEquals(0, b.tryTake(100, SECOND / 2));
  }

  @Test
  void anAmountAboveTheBurstNeedsAFullBucketAndLeavesItInDebt() {
    TokenBucket b = new TokenBucket(100, 200, 0);
    assertEquals(0, b.tryTake(10, 0));
    assertEquals(100, b.tryTake(1000, 0), "waits for the bucket to be full again");
    assertEquals(0, b.tryTake(1000, SECOND / 10));
    // 800 in debt: the next single token comes after 8.01 s
    long wait = b.tryTake(1, SECOND / 10);
    assertTrue(wait >= 8000 && wait <= 8011, "wait " + wait);
    assertEquals(0, b.tryTake(1, SECOND / 10 + 9 * SECOND));
  }

  @Test
  void takeSpendsWhatWasReceivedAndSaysHowLongTheSenderWaits() {
    TokenBucket b = new TokenBucket(100, 200, 0);
    assertEquals(0, b.take(200, 0));
    assertEquals(500, b.take(50, 0), "50 in debt at 100/s");
    assertEquals(1000, b.take(50, 0), "each message is charged, held or not");
    assertEquals(0, b.take(1, SECOND + SECOND / 100));
  }
}
