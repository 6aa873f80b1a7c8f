package io.ponte.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The series the alerts and the dashboard in ops/ rest on. */
class PonteMetricsTest {
  /** The value of one sample line, by its exact name and labels; NaN when absent. */
  static double sample(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return Double.NaN;
  }

  @Test
  void readinessGaugesFollowTheLastCheck() {
    PonteMetrics m = new PonteMetrics();
    m.dependencies("redis", "postgresql");
    assertEquals(0, sample(m.scrape(), "ponte_ready"), "not ready before the first check");
    m.health(true, true, true);
    String up = m.scrape();
    assertEquals(1, sample(up, "ponte_ready"));
    assertEquals(1, sample(up, "ponte_broker_up{broker=\"redis\"}"));
    assertEquals(1, sample(up, "ponte_store_up{store=\"postgresql\"}"));
    m.health(false, true, false);
    String redisDown = m.scrape();
    assertEquals(0, sample(redisDown, "ponte_ready"));
    assertEquals(0, sample(redisDown, "ponte_broker_up{broker=\"redis\"}"));
    assertEquals(1, sample(redisDown, "ponte_store_up{store=\"postgresql\"}"));
    m.health(true, true, true);
    m.notReady();
    assertEquals(0, sample(m.scrape(), "ponte_ready"), "shutting down");
  }

  @Test
  void connectionsPerUserIsReadAtScrapeTime() {
    PonteMetrics m = new PonteMetrics();
    Map<String, Integer> sockets = new ConcurrentHashMap<>();
    m.connectionsPerUser(sockets, s -> s.values().stream().mapToInt(Integer::intValue).max().orElse(0), 20);
    assertEquals(0, sample(m.scrape(), "ponte_connections_user_max"));
    assertEquals(20, sample(m.scrape(), "ponte_limit_connections_per_user"));
    sockets.put("ana", 3);
    sockets.put("bo", 17);
    assertEquals(17, sample(m.scrape(), "ponte_connections_user_max"));
  }

  @Test
  void latenciesAreHistogramsWithFixedBuckets() {
    PonteMetrics m = new PonteMetrics();
    m.storeCommit(3_000_000); // 3 ms
    m.delivered(40);
    m.brokerPublish(500_000);
    String s = m.scrape();
    assertEquals(0, sample(s, "ponte_store_commit_seconds_bucket{le=\"0.002\"}"));
    assertEquals(1, sample(s, "ponte_store_commit_seconds_bucket{le=\"0.005\"}"));
    assertEquals(1, sample(s, "ponte_store_commit_seconds_bucket{le=\"+Inf\"}"));
    assertEquals(0, sample(s, "ponte_delivery_latency_seconds_bucket{le=\"0.025\"}"));
    assertEquals(1, sample(s, "ponte_delivery_latency_seconds_bucket{le=\"0.05\"}"));
    assertEquals(1, sample(s, "ponte_broker_publish_seconds_bucket{le=\"0.001\"}"));
    long buckets = s.lines().filter(l -> l.startsWith("ponte_delivery_latency_seconds_bucket{")).count();
    assertEquals(14, buckets, "13 bounds and +Inf");
    assertFalse(s.contains("quantile="), "no client-side percentiles");
  }

  @Test
  void fileDescriptorsAreExported() {
    String s = new PonteMetrics().scrape();
    assertTrue(sample(s, "process_files_max_files") > 0, "the connection limit of the process");
    assertTrue(sample(s, "process_files_open_files") > 0);
  }
}
