package io.ponte.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scrapes each server's Prometheus {@code /metrics} during a run: process CPU, heap in use,
 * open connections, so a report shows the server side next to the client side.
 */
final class MetricsScraper {
  /**
   * One scrape of one server. Values are NaN when the metric was missing; {@code dropped} is
   * ponte_messages_dropped_total by reason (messages the server chose not to deliver).
   */
  record Sample(double t, double processCpu, double systemCpu, double heapUsedBytes,
      double heapMaxBytes, double connections, double framesOut, Map<String, Double> dropped) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Map<String, URI> targets = new LinkedHashMap<>();
  private final Map<String, List<Sample>> samples = new LinkedHashMap<>();
  private final Map<String, String> failures = new LinkedHashMap<>();

  MetricsScraper(List<URI> wsUrls) {
    for (URI u : wsUrls) {
      String scheme = "wss".equals(u.getScheme()) ? "https" : "http";
      URI m = URI.create(scheme + "://" + u.getHost() + ":" + port(u) + "/metrics");
      String key = u.getHost() + ":" + port(u);
      targets.putIfAbsent(key, m);
      samples.putIfAbsent(key, new ArrayList<>());
    }
  }

  static int port(URI u) {
    return u.getPort() > 0 ? u.getPort() : ("wss".equals(u.getScheme()) ? 443 : 80);
  }

  /** Scrapes every server once (blocking, a few seconds at most). */
  void scrape(double t) {
    for (Map.Entry<String, URI> e : targets.entrySet()) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(e.getValue())
            .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          note(e.getKey(), "HTTP " + r.statusCode());
          continue;
        }
        Sample s = parse(t, r.body());
        synchronized (this) {
          samples.get(e.getKey()).add(s);
        }
      } catch (Exception ex) {
        if (ex instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          return;
        }
        note(e.getKey(), ex.getClass().getSimpleName());
      }
    }
  }

  /** Heap in use summed over the servers' latest samples (NaN when none). */
  synchronized double latestHeapUsed() {
    double sum = Double.NaN;
    for (List<Sample> l : samples.values()) {
      if (!l.isEmpty() && !Double.isNaN(l.get(l.size() - 1).heapUsedBytes())) {
        sum = (Double.isNaN(sum) ? 0 : sum) + l.get(l.size() - 1).heapUsedBytes();
      }
    }
    return sum;
  }

  private synchronized void note(String server, String failure) {
    failures.merge(server, failure, (a, b) -> a.contains(b) ? a : a + ", " + b);
  }

  static Sample parse(double t, String text) {
    double cpu = Double.NaN;
    double sys = Double.NaN;
    double heap = Double.NaN;
    double heapMax = Double.NaN;
    double conns = Double.NaN;
    double frames = Double.NaN;
    Map<String, Double> dropped = new java.util.TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      int sp = line.lastIndexOf(' ');
      if (sp < 0) {
        continue;
      }
      String name = line.substring(0, sp);
      double value;
      try {
        value = Double.parseDouble(line.substring(sp + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      String metric = name.contains("{") ? name.substring(0, name.indexOf('{')) : name;
      switch (metric) {
        case "process_cpu_usage" -> cpu = value;
        case "system_cpu_usage" -> sys = value;
        case "jvm_memory_used_bytes" -> {
          if (name.contains("area=\"heap\"")) {
            heap = (Double.isNaN(heap) ? 0 : heap) + value;
          }
        }
        case "jvm_memory_max_bytes" -> {
          if (name.contains("area=\"heap\"") && value > 0) {
            heapMax = (Double.isNaN(heapMax) ? 0 : heapMax) + value;
          }
        }
        case "ponte_connections" -> conns = value;
        case "ponte_frames_out_total" -> frames = value;
        case "ponte_messages_dropped_total" -> {
          int at = name.indexOf("reason=\"");
          String reason = at < 0 ? "?" : name.substring(at + 8, name.indexOf('"', at + 8));
          dropped.merge(reason, value, Double::sum);
        }
        default -> { }
      }
    }
    return new Sample(t, cpu, sys, heap, heapMax, conns, frames, dropped);
  }

  /**
   * Messages the servers dropped, by reason, between their first and their latest scrape (summed
   * over the servers; reasons with none left out).
   */
  synchronized Map<String, Long> droppedDuringRun() {
    Map<String, Long> out = new java.util.TreeMap<>();
    for (List<Sample> l : samples.values()) {
      if (l.size() < 2) {
        continue;
      }
      Map<String, Double> first = l.get(0).dropped();
      l.get(l.size() - 1).dropped().forEach((reason, v) -> {
        long n = Math.round(v - first.getOrDefault(reason, 0.0));
        if (n > 0) {
          out.merge(reason, n, Long::sum);
        }
      });
    }
    return out;
  }

  synchronized Map<String, List<Sample>> samples() {
    Map<String, List<Sample>> copy = new LinkedHashMap<>();
    samples.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    return copy;
  }

  synchronized Map<String, String> failures() {
    return new LinkedHashMap<>(failures);
  }
}
