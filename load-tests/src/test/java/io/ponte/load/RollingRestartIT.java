package io.ponte.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.v1.Operation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling deploy under load: three nodes (child JVMs) sharing their own redis-server and a
 * PostgreSQL schema, behind a real HAProxy configured like ops/haproxy/haproxy.cfg, carry the
 * classroom scenario with browser-like clients (they resume on 4102 and resend what went
 * unanswered, by client message id). Each node in turn is replaced as a Deployment with maxSurge
 * 1 and maxUnavailable 0 does it: its replacement starts, and meanwhile the node is drained
 * ({@code POST /admin/drain}, what the preStop hook calls) and stopped with SIGTERM. Then: no
 * acknowledged post lost (each stored at the seq its ack named), none stored twice, no seq gap
 * in the store or at any client, every client resumed without a reset, and no post that was
 * unanswered when its socket closed had been read (its resend is never a duplicate).
 *
 * <p>Small by default (CI). The figures in BENCHMARKS.md, "Rolling restart", come from a larger
 * run of this same test, sized with system properties: {@code roll.rooms}, {@code
 * roll.roomSize}, {@code roll.rate} (posts per second per student), {@code roll.spreadMs}
 * (drain-close-spread-ms), {@code roll.settleMs} (load between two nodes' restarts).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RollingRestartIT {
  static final String PG_URL = pgUrl();
  static final Pattern SOCKETS_CLOSED = Pattern.compile("\"socketsClosed\":(\\d+)");

  @TempDir Path dir;

  private Process redis;
  private Process haproxy;
  private final List<ChildServer> nodes = new ArrayList<>();
  /** Every node started, stopped or not: closed at the end whatever happened. */
  private final List<ChildServer> started = java.util.Collections.synchronizedList(new ArrayList<>());
  private String schema;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static String pgUrl() {
    String env = System.getenv("PONTE_TEST_PG_URL");
    return env == null || env.isBlank() ? "jdbc:postgresql://127.0.0.1:5432/test?user=postgres" : env.strip();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (haproxy != null) {
      haproxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    for (ChildServer n : List.copyOf(started)) {
      n.close();
    }
    if (redis != null) {
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (schema != null) {
      try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }

  @Test
  void eachNodeDrainedAndReplacedInTurnLosesAndDuplicatesNothing() throws Exception {
    int rooms = Integer.getInteger("roll.rooms", 3);
    int roomSize = Integer.getInteger("roll.roomSize", 6);
    double rate = Double.parseDouble(System.getProperty("roll.rate", "1"));
    int spreadMs = Integer.getInteger("roll.spreadMs", 1000);
    long settleMs = Long.getLong("roll.settleMs", 1000);

    int redisPort = startRedis();
    schema = "roll_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    try (Connection c = DriverManager.getConnection(PG_URL); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    }
    String storeUrl = PG_URL + "&currentSchema=" + schema;
    // Three nodes and a fourth port: like a Deployment with maxSurge 1 and maxUnavailable 0, each
    // node's replacement starts (on the free port) while the node is drained and stopped.
    int[] ports = new int[4];
    for (int i = 0; i < 4; i++) {
      ports[i] = ChildServer.freePort();
    }
    nodes.add(startNode(dir.resolve("node0"), ports[0], nodeArgs(0, redisPort, storeUrl, spreadMs)));
    java.util.concurrent.ExecutorService starter = java.util.concurrent.Executors.newCachedThreadPool();
    try {
      List<java.util.concurrent.Future<ChildServer>> more = new ArrayList<>();
      for (int i = 1; i < 3; i++) {
        int n = i;
        more.add(starter.submit(() -> startNode(dir.resolve("node" + n), ports[n],
            nodeArgs(n, redisPort, storeUrl, spreadMs))));
      }
      for (java.util.concurrent.Future<ChildServer> f : more) {
        nodes.add(f.get(120, TimeUnit.SECONDS));
      }
    } catch (Exception e) {
      starter.shutdownNow();
      throw e;
    }
    int front = startHaproxy(ports, 3);

    List<long[]> drains = new ArrayList<>(); // {drain ms, sockets closed, replacement ready after ms}
    LoadOptions o = new LoadOptions();
    o.urls = List.of(URI.create("ws://127.0.0.1:" + front + "/ws"));
    o.jwtSecret = ChildServer.SECRET;
    o.adminToken = ChildServer.ADMIN_TOKEN;
    o.roomPrefix = "roll" + Long.toHexString(System.nanoTime() & 0xffffff);
    o.rooms = rooms;
    o.roomSize = roomSize;
    o.rate = rate;
    o.warmup = Duration.ofSeconds(2);
    o.duration = Duration.ofSeconds(3); // at least; the window lasts as long as the roll
    o.progressSeconds = 5;
    o.drain = Duration.ofSeconds(2);
    o.scrapeSeconds = 2;
    o.eventLoops = 2;
    o.resend = true;
    o.recordAcks = true;
    o.reportDir = dir.resolve("reports");
    o.duringMeasurement = () -> {
      int spare = 3;
      for (int i = 0; i < 3; i++) {
        long t0 = System.nanoTime();
        int next = spare;
        int id = 3 + i;
        java.util.concurrent.Future<ChildServer> replacement = starter.submit(() -> startNode(
            dir.resolve("node" + id), ports[next], nodeArgs(id, redisPort, storeUrl, spreadMs)));
        ChildServer old = nodes.get(i);
        int oldPort = old.port;
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + oldPort + "/admin/drain"))
            .header("Authorization", "Bearer " + ChildServer.ADMIN_TOKEN)
            .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        long drainMs = (System.nanoTime() - t0) / 1_000_000;
        int node = i;
        assertEquals(200, r.statusCode(), () -> "drain of node" + node + ": " + r.body());
        Matcher closed = SOCKETS_CLOSED.matcher(r.body());
        assertTrue(closed.find(), r.body());
        old.close(); // SIGTERM, as Kubernetes sends after the preStop hook: flush the store, stop
        nodes.set(i, replacement.get(120, TimeUnit.SECONDS));
        drains.add(new long[] {drainMs, Long.parseLong(closed.group(1)), (System.nanoTime() - t0) / 1_000_000});
        for (int p = 0; p < ports.length; p++) {
          if (ports[p] == oldPort) {
            spare = p;
          }
        }
        // HAProxy checks every 500 ms: the replacement in rotation, then load on all three nodes.
        Thread.sleep(settleMs);
      }
      return null;
    };
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    LoadResult r;
    try (PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8)) {
      r = new LoadRun(LoadRun.Scenario.CLASSROOM, o, out).run();
    }
    starter.shutdownNow();
    String summary = Report.text(r);

    // Every client resumed, from where it was, with nothing missed or doubled.
    long shutdownCloses = r.closes.entrySet().stream().filter(e -> e.getKey().startsWith("4102"))
        .mapToLong(Map.Entry::getValue).sum();
    assertEquals(r.participants, r.readyParticipants, () -> "not everyone got in:\n" + summary);
    assertEquals(shutdownCloses, r.closes.values().stream().mapToLong(Long::longValue).sum(),
        () -> "closes other than 4102:\n" + summary);
    assertTrue(shutdownCloses >= r.participants, () -> "every node was drained with clients on it:\n" + summary);
    assertTrue(r.resume != null && r.resume.count() > 0, () -> "clients resumed:\n" + summary);
    assertEquals(0, r.resumeResets, () -> "resumes answered with a snapshot:\n" + summary);
    assertEquals(0, r.missed, () -> "missed seqs:\n" + summary);
    assertEquals(0, r.duplicates, () -> "duplicated seqs:\n" + summary);
    assertEquals(0, r.strayEvents, () -> "stray events:\n" + summary);
    assertEquals(0, r.laggards, () -> "participants behind their room:\n" + summary);
    assertEquals(0, r.gaveUp, () -> "clients that gave up connecting:\n" + summary);
    // UNAVAILABLE (retryable) is Redis answering a node later than its 2 s timeout, on a loaded
    // machine; the outbox retries posts refused so. Nothing else may be refused.
    assertTrue(r.errors.keySet().stream().allMatch("UNAVAILABLE"::equals),
        () -> "unexpected errors " + r.errors + ":\n" + summary);
    assertEquals(0, r.resentDuplicates,
        () -> "a post unanswered when its socket closed had been read and sequenced:\n" + summary);
    assertTrue(r.ackedPosts.size() > 0, summary);

    // The store: per room, seqs gap-free from 1; each acked post at the seq its ack named; no
    // post stored twice (except one retried after a retryable refusal, whose first send may have
    // been sequenced after all; the room then applies it once).
    Map<String, TreeMap<Long, Operation>> stored = new HashMap<>();
    try (Connection c = DriverManager.getConnection(storeUrl); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT room_id, seq, op FROM operations ORDER BY room_id, seq")) {
      while (rs.next()) {
        stored.computeIfAbsent(rs.getString(1), k -> new TreeMap<>())
            .put(rs.getLong(2), Operation.parseFrom(rs.getBytes(3)));
      }
    }
    Map<String, Integer> copies = new HashMap<>();
    for (Map.Entry<String, TreeMap<Long, Operation>> room : stored.entrySet()) {
      long expect = 0;
      for (Map.Entry<Long, Operation> op : room.getValue().entrySet()) {
        assertEquals(++expect, op.getKey(), "room " + room.getKey() + ": stored seqs gap-free");
        if (op.getValue().hasChatPost()) {
          copies.merge(room.getKey() + "/" + op.getValue().getClientMsgId(), 1, Integer::sum);
        }
      }
    }
    for (Map.Entry<String, Long> acked : r.ackedPosts.entrySet()) {
      String room = acked.getKey().substring(0, acked.getKey().indexOf('/'));
      Operation op = stored.getOrDefault(room, new TreeMap<>()).get(acked.getValue());
      assertTrue(op != null && op.hasChatPost()
              && acked.getKey().equals(room + "/" + op.getClientMsgId()),
          () -> "acked post " + acked + " is not stored at its seq: " + op);
    }
    copies.forEach((post, n) -> assertTrue(n == 1 || r.retriedPosts.contains(post),
        () -> post + " stored " + n + " times"));

    long[] resumeCount = {r.resume.count()};
    StringBuilder figures = new StringBuilder()
        .append(String.format("rolling restart: %d rooms x %d, %.1f posts/s per student, spread %d ms%n",
            rooms, roomSize, rate, spreadMs));
    for (int i = 0; i < drains.size(); i++) {
      figures.append(String.format("  node%d: drain %d ms (%d sockets), replacement ready after %d ms%n", i,
          drains.get(i)[0], drains.get(i)[1], drains.get(i)[2]));
    }
    figures.append(String.format("  4102 closes %d, resumes %d (resets %d): resume p50 %.1f p99 %.1f max %.1f ms;"
            + " connect attempts refused and retried %d, gave up %d%n",
            shutdownCloses, resumeCount[0], r.resumeResets, r.resume.p50(), r.resume.p99(), r.resume.max(),
            r.connectFailures, r.gaveUp))
        .append(String.format("  chat during the roll (%.0f s): sent %d, acked %d, p50 %.1f p99 %.1f max %.1f ms%n",
            r.measuredSeconds, r.sent, r.acked, r.latency.p50(), r.latency.p99(), r.latency.max()))
        .append(String.format("  resent after a close %d (duplicates %d), retried after a refusal %d,"
            + " acked posts checked in the store %d, missed %d, duplicated %d%n",
            r.resent, r.resentDuplicates, r.retried, r.ackedPosts.size(), r.missed, r.duplicates));
    System.out.print(figures);
    Files.writeString(Path.of("target", "rolling-restart.txt"), figures + "\n" + summary);
  }

  private ChildServer startNode(Path dataDir, int port, String... args) throws Exception {
    ChildServer n = ChildServer.start(dataDir, port, args);
    started.add(n);
    return n;
  }

  private static String[] nodeArgs(int i, int redisPort, String storeUrl, int spreadMs) {
    return new String[] {"--redis-url", "redis://127.0.0.1:" + redisPort, "--store-url", storeUrl,
        "--node-id", "node" + i, "--drain-close-spread-ms", Integer.toString(spreadMs),
        "--drain-timeout-ms", "60000"};
  }

  /** A redis-server of this test's own, on a free port, without persistence. */
  private int startRedis() throws Exception {
    int port = ChildServer.freePort();
    Path log = dir.resolve("redis.log");
    try {
      redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString())
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      fail("redis-server is required (apt-get install redis-server): " + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return port;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    fail("redis-server did not listen on " + port + ": " + Files.readString(log));
    return -1;
  }

  /**
   * HAProxy as in ops/haproxy/haproxy.cfg (round robin, ready checks, retries and redispatch of
   * refused upgrades), with fast checks. Fails (never skips) when haproxy is not installed.
   */
  private int startHaproxy(int[] ports, int live) throws Exception {
    int front = ChildServer.freePort();
    StringBuilder cfg = new StringBuilder()
        .append("global\n    maxconn 4000\n")
        .append("defaults\n    mode http\n    option http-server-close\n")
        .append("    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n")
        .append("    timeout tunnel 2m\n    timeout http-request 10s\n    timeout client-fin 5s\n")
        .append("    option redispatch 1\n    retries 3\n")
        .append("    retry-on conn-failure empty-response response-timeout 503\n")
        .append("frontend ponte\n    bind 127.0.0.1:").append(front).append('\n')
        .append("    default_backend ponte_nodes\n")
        .append("backend ponte_nodes\n    balance roundrobin\n")
        .append("    option httpchk GET /health/ready\n    http-check expect status 200\n")
        // Fast, but a check that times out once on a loaded machine does not take a node out.
        .append("    timeout check 2s\n")
        .append("    default-server inter 500ms fall 2 rise 1\n")
        .append("    http-request disable-l7-retry if ! METH_GET\n");
    for (int i = 0; i < ports.length; i++) {
      cfg.append("    server node").append(i).append(" 127.0.0.1:").append(ports[i]).append(" check\n");
    }
    Path file = dir.resolve("haproxy.cfg");
    Files.writeString(file, cfg.toString());
    Path log = dir.resolve("haproxy.log");
    try {
      haproxy = new ProcessBuilder("haproxy", "-f", file.toString(), "-db")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      fail("haproxy is required (apt-get install haproxy): " + e.getMessage(), e);
    }
    // Ready through the balancer, for each node in turn (round robin).
    int readyInARow = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (readyInARow < live && System.nanoTime() < deadline) {
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front
            + "/health/ready")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        readyInARow = r.statusCode() == 200 ? readyInARow + 1 : 0;
      } catch (IOException e) {
        readyInARow = 0;
      }
      Thread.sleep(100);
    }
    if (readyInARow < live) {
      fail("haproxy did not serve the nodes: " + Files.readString(log));
    }
    return front;
  }
}
