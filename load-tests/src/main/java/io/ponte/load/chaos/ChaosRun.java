package io.ponte.load.chaos;

import io.ponte.load.LoadRun;
import io.ponte.load.Tokens;
import io.ponte.load.chaos.HistoryChecker.DocReplica;
import io.ponte.load.chaos.HistoryChecker.Probe;
import io.ponte.load.chaos.HistoryChecker.StoredOp;
import io.ponte.protocol.v1.Operation;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One chaos soak: three Ponte nodes (child JVMs) on one Redis and one PostgreSQL, all local
 * processes of the run's own; a classroom per room (a teacher who creates the document, students
 * who chat and type into it), every client behind a {@link FaultProxy}; faults from a seeded
 * schedule while they work; then a settle time, a probe post per room through every node, the
 * final document of every replica, the store read over JDBC, and the {@link HistoryChecker}.
 *
 * <p>The schedule is a function of the seed (which faults, which node, how long); the moments
 * they land in the run are not, since they race real processes. Nothing compares clocks: each
 * fault is applied, waited for and undone by this one thread.
 */
public final class ChaosRun {
  static final String SECRET = "chaos-secret-0123456789-0123456789-abcdef";
  static final String ADMIN_TOKEN = "chaos-admin-token-0123456789";

  /** What a run does. */
  public static final class Options {
    public long seed = 1;
    public Duration duration = Duration.ofMinutes(3);
    public int nodes = 3;
    public int rooms = 3;
    public int clientsPerRoom = 4;
    /** Requests per second per client (one in flight at a time). */
    public double rate = 4;
    /** Pause between one fault's end and the next fault (drawn up to twice this). */
    public Duration faultGap = Duration.ofSeconds(3);
    public Duration settle = Duration.ofSeconds(90);
    /** Server classpath (default: this JVM's, which holds the server when run from the tests). */
    public String serverClasspath = System.getProperty("java.class.path");
    /**
     * Plant a violation: delete an acknowledged row from the store once the run is over, just
     * before the check. Deleted mid-run, it would be stored again by the nodes (a node stores
     * what another node applied and the store lacks; a load fills holes from Redis's stream).
     */
    public boolean plantDeleteAcked;
    /** The faults to draw from (names of {@link Fault}); empty: all. */
    public List<Fault> faults = List.of(Fault.values());
    /** Redis through a Sentinel (master, replica, Sentinel; failovers) instead of one server. */
    public boolean sentinel;
    /** Keep the run's directory (logs, history) even without violations. */
    public boolean keep;
  }

  /** The kinds of fault the schedule draws from. */
  public enum Fault {
    NODE_KILL, NODE_STOP,
    /** Standalone Redis: SIGKILL, restart with its append-only file (keeps its data). */
    REDIS_KILL_KEEP,
    /** Standalone Redis: SIGKILL, restart without its data (the append-only file deleted). */
    REDIS_KILL_WIPE,
    /** Sentinel: the master is killed, the replica promoted, the old master rejoins as a replica. */
    SENTINEL_FAILOVER,
    POSTGRES_RESTART, PROXY_CUT, PROXY_STALL
  }

  /** The run's outcome. */
  public record Outcome(HistoryChecker.Result result, Map<String, Integer> faults, Path dir,
      History.Acked planted) { }

  /** The acknowledged operation whose row was deleted on purpose, if any. */
  private volatile History.Acked planted;

  private final Options o;
  private final PrintStream out;
  private final History history = new History();
  private final Random rnd;
  private final String prefix;

  public ChaosRun(Options o, PrintStream out) {
    this.o = o;
    this.out = out;
    this.rnd = new Random(o.seed);
    this.prefix = "chaos-" + Long.toHexString(o.seed) + "-" + Long.toString(System.nanoTime() & 0xFFFFFF, 36);
  }

  public Outcome run() throws Exception {
    Path dir = Files.createTempDirectory("ponte-chaos-");
    Path pgDir = Files.createTempDirectory("ponte-chaos-pg-");
    List<AutoCloseable> closing = new ArrayList<>();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setBlockedThreadCheckInterval(10_000));
    Map<String, Integer> faultCounts = new LinkedHashMap<>();
    List<ChaosClient> clients = new CopyOnWriteArrayList<>();
    try {
      out.printf("chaos soak: seed %d, %s, %d nodes, %d rooms x %d clients, dir %s%n", o.seed, o.duration,
          o.nodes, o.rooms, o.clientsPerRoom, dir);
      LocalProcess.Redis redis = null;
      LocalProcess.Sentinel sentinel = null;
      List<String> redisArgs;
      if (o.sentinel) {
        sentinel = new LocalProcess.Sentinel(dir.resolve("redis"));
        closing.add(sentinel);
        sentinel.start();
        redisArgs = List.of("--redis-mode", "sentinel", "--redis-url", sentinel.url(),
            "--redis-sentinel-master", LocalProcess.Sentinel.MASTER);
      } else {
        redis = new LocalProcess.Redis("redis", dir.resolve("redis"));
        closing.add(redis);
        redis.start();
        redisArgs = List.of("--redis-url", redis.url());
      }
      LocalProcess.Postgres pg = LocalProcess.Postgres.create(pgDir);
      closing.add(pg);
      pg.start();
      List<LocalProcess.Node> nodes = new ArrayList<>();
      for (int i = 0; i < o.nodes; i++) {
        List<String> args = new ArrayList<>(redisArgs);
        args.addAll(List.of("--store-url", pg.jdbcUrl(),
                "--jwt-secret", SECRET, "--admin-token", ADMIN_TOKEN, "--event-loops", "2",
                "--rate-messages-per-second", "100000", "--rate-messages-burst", "100000",
                "--rate-bytes-per-second", "100000000", "--rate-bytes-burst", "100000000",
                "--presence-lease-ms", "3000", "--shutdown-grace-ms", "1000"));
        LocalProcess.Node n = new LocalProcess.Node("node" + i, dir.resolve("node" + i), o.serverClasspath, args);
        closing.add(n);
        nodes.add(n);
        if (i == 0) {
          n.start(); // the first migrates the store's schema; the others then start side by side
        }
      }
      startAll(nodes.subList(1, nodes.size()));
      out.printf("started %s :%d, postgres :%d, nodes %s%n", o.sentinel ? "sentinel" : "redis",
          o.sentinel ? sentinel.port : redis.port, pg.port,
          nodes.stream().map(n -> ":" + n.port).toList());
      List<String> rooms = new ArrayList<>();
      for (int r = 0; r < o.rooms; r++) {
        rooms.add(prefix + "-r" + r);
      }
      createRooms(nodes.get(0).port, rooms);
      List<FaultProxy> proxies = new ArrayList<>();
      for (LocalProcess.Node n : nodes) {
        FaultProxy p = new FaultProxy(vertx, n.port);
        closing.add(p);
        proxies.add(p);
      }
      List<Integer> proxyPorts = proxies.stream().map(FaultProxy::port).toList();
      List<Context> contexts = LoadRun.eventLoopContexts(vertx, 2);
      WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions()
          .setMaxConnections(Integer.MAX_VALUE).setMaxFrameSize(1 << 20).setMaxMessageSize(16 << 20)
          .setConnectTimeout(5000));
      Tokens tokens = Tokens.withSecret(SECRET, 24 * 3600);
      int n = 0;
      for (String room : rooms) {
        for (int c = 0; c < o.clientsPerRoom; c++, n++) {
          boolean teacher = c == 0;
          String user = room.substring(room.lastIndexOf('-') + 1) + (teacher ? "t" : "s") + c;
          ChaosClient client = new ChaosClient(user, room, "notes",
              tokens.token(user, user, prefix + "-*", teacher ? "teacher" : "student"), teacher,
              !teacher && c % 2 == 1, proxyPorts, n, contexts.get(n % contexts.size()), ws, history,
              rnd.nextLong(), 8000);
          clients.add(client);
          client.start();
        }
      }
      awaitAll("every client joined", 120_000, () -> clients.stream().allMatch(ChaosClient::isJoined));
      clients.forEach(c -> c.startWorking(o.rate));
      out.println("clients working; faults start");

      long end = System.nanoTime() + o.duration.toNanos();
      List<Fault> kinds = (o.faults.isEmpty() ? List.of(Fault.values()) : o.faults).stream()
          .filter(f -> o.sentinel ? f != Fault.REDIS_KILL_KEEP && f != Fault.REDIS_KILL_WIPE : f != Fault.SENTINEL_FAILOVER)
          .toList();
      while (System.nanoTime() < end) {
        Thread.sleep(500 + (long) (rnd.nextDouble() * 2 * o.faultGap.toMillis()));
        Fault f = kinds.get(rnd.nextInt(kinds.size()));
        int target = rnd.nextInt(o.nodes);
        long hold = 1000 + rnd.nextInt(4000);
        faultCounts.merge(f.name(), 1, Integer::sum);
        inject(f, target, hold, nodes, redis, sentinel, pg, proxies);
      }
      history.note("harness", "faults stopped");
      out.printf("faults stopped: %s; settling%n", faultCounts);
      startAll(nodes.stream().filter(node -> !node.alive()).toList());
      clients.forEach(ChaosClient::stopWorking);
      boolean settled = awaitQuietly(o.settle.toMillis(), () -> clients.stream()
          .allMatch(c -> c.isJoined() && c.idle()));
      if (!settled) {
        history.note("harness", "clients did not settle within " + o.settle);
      }

      List<Probe> probes = new ArrayList<>();
      List<DocReplica> docs = new ArrayList<>();
      Map<String, Long> roomSeq = new HashMap<>();
      probe(rooms, nodes, contexts, ws, tokens, probes, docs, roomSeq);
      awaitQuietly(60_000, () -> clients.stream().allMatch(c ->
          c.view().join().lastSeq() >= roomSeq.getOrDefault(c.room, 0L)));
      for (ChaosClient c : clients) {
        ChaosClient.View v = c.view().get(30, TimeUnit.SECONDS);
        docs.add(new DocReplica("client " + c.name + " at seq " + v.lastSeq(), c.room, c.docId, v.docState()));
      }
      if (o.plantDeleteAcked && plantDeleteAcked(pg)) {
        faultCounts.merge("PLANTED_DELETE_ACKED", 1, Integer::sum);
      }
      HistoryChecker.StoreView store = readStore(pg.jdbcUrl(), docs);
      HistoryChecker.Result result = HistoryChecker.check(o.seed, history.entries(), store, docs, probes);
      Path file = dir.resolve("history.txt");
      Files.write(file, history.entries().stream().map(Object::toString).toList());
      out.print(result.describe());
      out.println("faults injected: " + faultCounts);
      if (result.ok() && !o.keep) {
        deleteTree(dir);
      } else {
        out.println("history and logs: " + dir);
      }
      return new Outcome(result, faultCounts, dir, planted);
    } finally {
      clients.forEach(ChaosClient::stop);
      Thread.sleep(300);
      for (int i = closing.size() - 1; i >= 0; i--) {
        try {
          closing.get(i).close();
        } catch (Exception e) {
          out.println("closing: " + e);
        }
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      deleteTree(pgDir);
    }
  }

  private void inject(Fault f, int target, long hold, List<LocalProcess.Node> nodes, LocalProcess.Redis redis,
      LocalProcess.Sentinel sentinel, LocalProcess.Postgres pg, List<FaultProxy> proxies) throws Exception {
    String what = switch (f) {
      case NODE_KILL, NODE_STOP -> f + " node" + target + " for " + hold + " ms";
      case PROXY_CUT -> f + " half the connections to node" + target;
      case PROXY_STALL -> f + " half the connections to node" + target + " for " + hold + " ms";
      default -> f + " for " + hold + " ms";
    };
    history.note("harness", "fault " + what);
    out.println("fault " + what);
    switch (f) {
      case NODE_KILL -> {
        LocalProcess.Node n = nodes.get(target);
        n.kill();
        Thread.sleep(hold);
        n.start();
      }
      case NODE_STOP -> {
        LocalProcess.Node n = nodes.get(target);
        n.signal("STOP");
        Thread.sleep(hold);
        n.signal("CONT");
      }
      case REDIS_KILL_KEEP, REDIS_KILL_WIPE -> {
        redis.kill();
        if (f == Fault.REDIS_KILL_WIPE) {
          redis.wipe();
        }
        Thread.sleep(hold);
        redis.start();
      }
      case SENTINEL_FAILOVER -> sentinel.failover(hold);
      case POSTGRES_RESTART -> {
        pg.kill();
        Thread.sleep(hold);
        pg.start();
      }
      case PROXY_CUT -> proxies.get(target).cut(0.5, rnd);
      case PROXY_STALL -> {
        proxies.get(target).stall(0.5, hold, rnd);
        Thread.sleep(hold);
      }
    }
    history.note("harness", "recovered from " + f);
  }

  /** Well past the nodes' 5 s check of other nodes' operations (Room.ADOPT_AFTER_MS). */
  private static final long PLANT_AFTER_MS = 15_000;

  /** Deletes the row of one acknowledged post from the store: a violation the checker must catch. */
  private boolean plantDeleteAcked(LocalProcess.Postgres pg) throws Exception {
    History.Acked victim = null;
    for (History.Entry e : history.entries()) {
      if (e instanceof History.Acked a && !a.duplicate() && a.cmid().matches(".*\\.[0-9]+")) {
        victim = a;
      }
    }
    if (victim == null) {
      return false;
    }
    // Every node that applied another node's operation stores it when the store lacks it five
    // seconds later: deleted before those checks ran, the row would be stored again (as it should).
    Thread.sleep(PLANT_AFTER_MS);
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl());
         PreparedStatement st = c.prepareStatement("DELETE FROM operations WHERE room_id = ? AND seq = ?")) {
      st.setString(1, victim.room());
      st.setLong(2, victim.seq());
      int n = st.executeUpdate();
      planted = victim;
      history.note("harness", "fault PLANTED: deleted the stored row of acknowledged " + victim.cmid()
          + " (seq " + victim.seq() + "), " + n + " row(s)");
      out.println("planted: deleted acknowledged " + victim.cmid() + " seq " + victim.seq());
      return n > 0;
    }
  }

  /** Per room and node: a fresh client posts (is the room stuck?) and fetches the document. */
  private void probe(List<String> rooms, List<LocalProcess.Node> nodes, List<Context> contexts,
      WebSocketClient ws, Tokens tokens, List<Probe> probes, List<DocReplica> docs, Map<String, Long> roomSeq)
      throws Exception {
    int i = 0;
    for (String room : rooms) {
      for (LocalProcess.Node node : nodes) {
        String user = "probe" + (i++);
        ChaosClient p = new ChaosClient(user, room, "notes", tokens.token(user, user, prefix + "-*", "teacher"), true,
            false, List.of(node.port), 0, contexts.get(i % contexts.size()), ws, history, rnd.nextLong(), 8000);
        p.start();
        long seq;
        String detail;
        try {
          seq = p.postOnce(user + ".probe", "is " + room + " alive via " + node.name).get(60, TimeUnit.SECONDS);
          detail = "acked seq " + seq;
        } catch (java.util.concurrent.TimeoutException e) {
          seq = -1;
          ChaosClient.View v = p.view().get(10, TimeUnit.SECONDS);
          detail = "no answer within 60 s; probe joined=" + v.joined() + " at seq " + v.lastSeq();
        }
        if (seq <= 0) {
          detail += "; " + node.name + (node.alive() ? " alive, threads in " + node.threadDump() : " not running");
        }
        probes.add(new Probe(room, node.name, seq > 0, detail));
        if (seq > 0) {
          roomSeq.merge(room, seq, Math::max);
          p.resyncDoc();
          Thread.sleep(1500);
          ChaosClient.View v = p.view().get(30, TimeUnit.SECONDS);
          docs.add(new DocReplica(node.name, room, "notes", v.docState()));
        }
        p.stop();
      }
    }
  }

  private HistoryChecker.StoreView readStore(String url, List<DocReplica> docs) throws Exception {
    Map<String, String> epochs = new HashMap<>();
    List<StoredOp> ops = new ArrayList<>();
    Map<String, List<byte[]>> docUpdates = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection(url)) {
      try (PreparedStatement st = c.prepareStatement("SELECT room_id, epoch FROM rooms WHERE room_id LIKE ?")) {
        st.setString(1, prefix + "-%");
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            epochs.put(rs.getString(1), rs.getString(2));
            docUpdates.put(rs.getString(1), new ArrayList<>());
          }
        }
      }
      try (PreparedStatement st = c.prepareStatement(
          "SELECT room_id, seq, op FROM operations WHERE room_id LIKE ? ORDER BY room_id, seq")) {
        st.setString(1, prefix + "-%");
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            StoredOp op = storedOp(rs.getString(1), rs.getLong(2), rs.getBytes(3));
            ops.add(op);
            if ("doc".equals(op.kind())) {
              docUpdates.get(op.room()).add(Operation.parseFrom(rs.getBytes(3)).getDocUpdate().getUpdate()
                  .toByteArray());
            }
          }
        }
      }
    }
    docUpdates.forEach((room, updates) -> {
      if (!updates.isEmpty()) {
        docs.add(new DocReplica("store operations", room, "notes", DocState.of(updates)));
      }
    });
    return new HistoryChecker.StoreView(epochs, ops);
  }

  /** A stored row as the checker sees it; a body it does not know (a placeholder) still holds its seq. */
  static StoredOp storedOp(String room, long seq, byte[] bytes) {
    try {
      Operation op = Operation.parseFrom(bytes);
      return switch (op.getBodyCase()) {
        case CHAT_POST -> new StoredOp(room, seq, op.getClientMsgId(), "chat",
            History.hash("chat", op.getChatPost().getText()));
        case DOC_UPDATE -> new StoredOp(room, seq, op.getClientMsgId(), "doc",
            History.hash("doc", op.getDocUpdate().getUpdate().toByteArray()));
        case DOC_CREATE -> new StoredOp(room, seq, op.getClientMsgId(), "doc-create",
            History.hash("doc-create", op.getDocCreate().getDocId()));
        default -> new StoredOp(room, seq, op.getClientMsgId(),
            op.getBodyCase().name().toLowerCase(java.util.Locale.ROOT), "");
      };
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return new StoredOp(room, seq, "", "unparsable", "");
    }
  }

  private static void createRooms(int port, List<String> rooms) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    for (String id : rooms) {
      String body = "{\"id\":\"" + id + "\",\"title\":\"Chaos " + id + "\",\"maxParticipants\":100,"
          + "\"studentPermissions\":{\"chat\":true,\"whiteboard\":true,\"documents\":true}}";
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
              + "/admin/rooms")).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + ADMIN_TOKEN)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 201) {
        throw new IllegalStateException("creating room " + id + ": HTTP " + r.statusCode() + " " + r.body());
      }
    }
  }

  private static void startAll(List<LocalProcess.Node> nodes) throws Exception {
    List<java.util.concurrent.CompletableFuture<Void>> starts = new ArrayList<>();
    for (LocalProcess.Node n : nodes) {
      starts.add(java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          n.start();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (var f : starts) {
      f.get(180, TimeUnit.SECONDS);
    }
  }

  private static void awaitAll(String what, long ms, java.util.function.BooleanSupplier ok) throws InterruptedException {
    if (!awaitQuietly(ms, ok)) {
      throw new IllegalStateException(what + ": not within " + ms + " ms");
    }
  }

  private static boolean awaitQuietly(long ms, java.util.function.BooleanSupplier ok) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() < deadline) {
      if (ok.getAsBoolean()) {
        return true;
      }
      Thread.sleep(200);
    }
    return ok.getAsBoolean();
  }

  private static void deleteTree(Path p) {
    try (var files = Files.walk(p)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (Exception e) {
      // best effort
    }
  }
}
