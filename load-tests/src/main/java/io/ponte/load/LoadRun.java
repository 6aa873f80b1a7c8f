package io.ponte.load;

import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.PollClose;
import io.ponte.protocol.v1.PollCreate;
import io.ponte.protocol.v1.PollOpen;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.PollShare;
import io.ponte.protocol.v1.SetStudentChat;
import io.ponte.protocol.v1.TeacherAction;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * One run of one scenario: creates the rooms (when given an admin token), connects the
 * participants at the ramp-up rate, drives the scenario, drains, checks that every participant
 * ended at its room's highest seq, and writes the reports.
 */
public final class LoadRun implements Participant.Listener {
  public enum Scenario {
    IDLE, CHAT, STORM, CLASSROOM, DOCS, INK;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Scenario scenario;
  private final LoadOptions o;
  private final PrintStream out;
  private final Stats stats = new Stats();
  private final List<Participant> participants = new ArrayList<>();
  /** Storm: one writer per room that keeps posting while everyone else is away. */
  private final List<Participant> writers = new ArrayList<>();
  private final Set<String> expectedErrors;
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger resumedInStorm = new AtomicInteger();
  private final AtomicInteger failedInStorm = new AtomicInteger();
  private final ConcurrentLinkedQueue<Long> stormResumeNanos = new ConcurrentLinkedQueue<>();
  private volatile CountDownLatch closedLatch;
  private final List<LoadResult.Point> series = new CopyOnWriteArrayList<>();
  private final Histogram totalLatency = new Histogram(3);
  private final Histogram totalDocLatency = new Histogram(3);
  /** Typists (docs scenario, classroom) and the teachers that create the documents. */
  private final List<Participant> typists = new ArrayList<>();
  private final List<Participant> docCreators = new ArrayList<>();
  /** Drawers (ink scenario, classroom) and the teachers that create the boards. */
  private final List<Participant> drawers = new ArrayList<>();
  private final List<Participant> boardCreators = new ArrayList<>();
  private final boolean boardUsed;
  /** Each run draws on a page of its own (the board may be there from an earlier run). */
  private String pageId;
  private final Histogram totalInkLatency = new Histogram(3);
  private final Histogram totalCommitLatency = new Histogram(3);
  private long inkDeliveredAtMeasureStart;
  private long inkSentAtMeasureStart;
  private long commitsAtMeasureStart;
  private long inkDeliveredAtMeasureEnd;
  private long inkSentAtMeasureEnd;
  private long commitsAtMeasureEnd;
  /** Every client of the run: participants and writers, or Yjs providers, or Socket.IO clients. */
  private final List<LoadClient> clients = new ArrayList<>();
  /** Docs on /yjs or /hocuspocus: one provider per participant, and the typists among them. */
  private final List<YjsProvider> providers = new ArrayList<>();
  private final List<YjsProvider> providerTypists = new ArrayList<>();
  private final boolean providerDocs;
  private final boolean socketIo;
  /** The server's process when --server-pid is given, else null. */
  private final ServerProcess serverProcess;
  private double rssBefore = Double.NaN;
  private double rssAfter = Double.NaN;
  private double cpuAtMeasureStart = Double.NaN;
  private double cpuAtMeasureEnd = Double.NaN;
  private boolean docsUsed;
  private double heapBeforeDocs = Double.NaN;
  private double heapAfterDocs = Double.NaN;
  private long docDeliveredAtMeasureStart;
  private long docSentAtMeasureStart;
  private long docDeliveredAtMeasureEnd;
  private long docSentAtMeasureEnd;
  private volatile boolean measuring;
  private volatile double measureStart = -1;
  private volatile double measureEnd = -1;
  private long deliveredAtMeasureStart;
  private long sentAtMeasureStart;
  private long deliveredAtMeasureEnd;
  private long sentAtMeasureEnd;
  private long startNanos;
  private Vertx vertx;
  private MetricsScraper scraper;

  public LoadRun(Scenario scenario, LoadOptions options, PrintStream out) {
    this.scenario = scenario;
    this.o = options.copy();
    this.out = options.quiet ? new PrintStream(java.io.OutputStream.nullOutputStream()) : out;
    this.expectedErrors = scenario == Scenario.CLASSROOM
        // A poll answer can cross its close; a second knock of a churning learner can meet an admit.
        ? Set.of("CHAT_DISABLED", "ROOM_LOCKED", "POLL_CLOSED", "NOT_IN_LOBBY") : Set.of();
    this.docsUsed = scenario == Scenario.DOCS || (scenario == Scenario.CLASSROOM && o.typists > 0);
    this.providerDocs = scenario == Scenario.DOCS && o.docEndpoint != LoadOptions.DocEndpoint.WS;
    this.boardUsed = scenario == Scenario.INK || (scenario == Scenario.CLASSROOM && o.drawers > 0);
    this.socketIo = o.peer == LoadOptions.Peer.SOCKETIO;
    this.serverProcess = o.serverPid > 0 ? new ServerProcess(o.serverPid) : null;
    if (o.peer != LoadOptions.Peer.NONE) {
      // Peers take any token and have no /metrics and no admin API.
      if (o.jwtSecret == null && o.tokenFile == null) {
        o.jwtSecret = "peer-tokens-are-not-checked-0123456789";
      }
      o.scrapeSeconds = 0;
      o.adminToken = null;
    }
  }

  /** Runs the scenario and writes the reports; the result says where they are. */
  public LoadResult run() throws Exception {
    o.validate();
    if (socketIo && scenario != Scenario.IDLE && scenario != Scenario.CHAT) {
      throw new IllegalArgumentException("--peer socketio: idle and chat only");
    }
    if (o.peer != LoadOptions.Peer.NONE && scenario == Scenario.INK) {
      throw new IllegalArgumentException("ink: Ponte only (no --peer)");
    }
    if (o.peer == LoadOptions.Peer.HOCUSPOCUS && scenario != Scenario.DOCS) {
      throw new IllegalArgumentException("--peer hocuspocus: docs --endpoint hocuspocus only");
    }
    Tokens tokens = Tokens.forOptions(o);
    String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36)
        + Integer.toString(ThreadLocalRandom.current().nextInt(1296), 36);
    pageId = "p-" + runId;
    Instant startedAt = Instant.now();
    startNanos = System.nanoTime();
    List<String> roomIds = new ArrayList<>();
    for (int r = 0; r < o.rooms; r++) {
      roomIds.add(o.roomPrefix + "-" + r);
    }
    int extraPerRoom = scenario == Scenario.STORM ? 1 : 0;
    if (o.adminToken != null) {
      createRooms(roomIds, o.roomSize + extraPerRoom + 2);
    }

    int loops = o.eventLoops > 0 ? o.eventLoops : Runtime.getRuntime().availableProcessors();
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops)
        .setBlockedThreadCheckInterval(10_000));
    List<Context> contexts = eventLoopContexts(vertx, loops);
    List<WebSocketClient> wsClients = new ArrayList<>();
    List<String> sources = o.sourceAddresses.isEmpty() ? java.util.Collections.singletonList(null)
        : o.sourceAddresses;
    for (String source : sources) {
      WebSocketClientOptions co = new WebSocketClientOptions()
          .setMaxConnections(Integer.MAX_VALUE)
          .setMaxFrameSize(1 << 20).setMaxMessageSize(16 << 20)
          .setConnectTimeout(20_000)
          // As browsers do: offer permessage-deflate (client_max_window_bits), the server decides.
          .setTryUsePerMessageCompression(o.compression)
          // Browsers accept a server's client_no_context_takeover they did not offer (RFC 7692
          // 7.1.1.1 allows it, and Ponte always answers with it); Netty's client refuses it unless told.
          .setCompressionAllowClientNoContext(true);
      if (source != null) {
        co.setLocalAddress(source);
      }
      wsClients.add(vertx.createWebSocketClient(co));
    }

    String pattern = o.roomPrefix + "-*";
    int n = 0;
    if (socketIo) {
      for (int r = 0; r < o.rooms; r++) {
        for (int s = 0; s < o.roomSize; s++, n++) {
          clients.add(new SocketIoClient(n, roomIds.get(r), contexts.get(n % contexts.size()),
              wsClients.get(n % wsClients.size()), socketIoOptions(o.urls.get(n % o.urls.size())), o, stats, this));
        }
      }
    } else if (providerDocs) {
      boolean hocuspocus = o.docEndpoint == LoadOptions.DocEndpoint.HOCUSPOCUS;
      for (int r = 0; r < o.rooms; r++) {
        if (o.peer == LoadOptions.Peer.NONE) {
          // The document must exist before a provider opens it: the room's teacher creates it on /ws.
          String user = "lt" + runId + "-c" + r;
          URI url = o.urls.get(r % o.urls.size());
          docCreators.add(new Participant(n, user, true, false, tokens.token(user, "Teacher " + r,
              pattern, "teacher"), List.of(roomIds.get(r)), contexts.get(n % contexts.size()),
              wsClients.get(n % wsClients.size()), connectOptions(URI.create(url.getScheme() + "://"
                  + url.getRawAuthority() + "/ws")), o, stats, expectedErrors, this));
        }
        for (int s = 0; s < o.roomSize; s++, n++) {
          String user = "lt" + runId + "-" + n;
          String token = tokens.token(user, "Load " + n, pattern, "student");
          String docName = roomIds.get(r) + "/" + o.docId;
          YjsProvider p = new YjsProvider(n, hocuspocus, docName, s >= o.roomSize - o.typists, token,
              contexts.get(n % contexts.size()), wsClients.get(n % wsClients.size()),
              providerOptions(o.urls.get(n % o.urls.size()), roomIds.get(r), token), o, stats, this);
          providers.add(p);
          if (p.typist) {
            providerTypists.add(p);
          }
        }
      }
      clients.addAll(docCreators);
      clients.addAll(providers);
    }
    for (int r = 0; r < o.rooms && !socketIo && !providerDocs; r++) {
      for (int s = 0; s < o.roomSize; s++, n++) {
        boolean teacher = scenario == Scenario.CLASSROOM ? s < o.teachers
            : (scenario == Scenario.DOCS || scenario == Scenario.INK) && s == 0;
        String user = "lt" + runId + "-" + n;
        String token = tokens.token(user, (teacher ? "Teacher " : "Load ") + n, pattern,
            teacher ? "teacher" : "student");
        participants.add(new Participant(n, user, teacher, false, token, List.of(roomIds.get(r)),
            contexts.get(n % contexts.size()), wsClients.get(n % wsClients.size()),
            connectOptions(o.urls.get(n % o.urls.size())), o, stats, expectedErrors, this));
        Participant p = participants.get(participants.size() - 1);
        // The room's first teacher leads: admits everyone who knocks, runs the polls.
        p.leads = scenario == Scenario.CLASSROOM && s == 0;
        p.admitKnocks = p.leads && o.lobby;
        if (docsUsed && s == 0) {
          docCreators.add(p);
        }
        if (docsUsed && s >= o.roomSize - o.typists) {
          typists.add(p);
        }
        if (boardUsed && s == 0) {
          boardCreators.add(p);
        }
        // Ink: the last --drawers of the room; classroom: the first students (typists are the last).
        if (scenario == Scenario.INK ? s >= o.roomSize - o.drawers
            : boardUsed && s >= o.teachers && s < o.teachers + o.drawers) {
          drawers.add(p);
        }
      }
    }
    if (scenario == Scenario.STORM) {
      for (int r = 0; r < o.rooms; r++, n++) {
        String user = "lt" + runId + "-w" + r;
        writers.add(new Participant(n, user, false, true, tokens.token(user, "Writer " + r, pattern,
            "student"), List.of(roomIds.get(r)), contexts.get(n % contexts.size()),
            wsClients.get(n % wsClients.size()), connectOptions(o.urls.get(n % o.urls.size())), o, stats,
            expectedErrors, this));
      }
    }
    if (!socketIo && !providerDocs) {
      clients.addAll(participants);
      clients.addAll(writers);
    }

    scraper = new MetricsScraper(o.urls);
    ScheduledExecutorService sampler = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "load-sampler");
      t.setDaemon(true);
      return t;
    });
    AtomicLong lastSent = new AtomicLong();
    AtomicLong lastDelivered = new AtomicLong();
    AtomicInteger ticks = new AtomicInteger();
    sampler.scheduleAtFixedRate(() -> sample(lastSent, lastDelivered, ticks), 1, 1, TimeUnit.SECONDS);
    if (o.scrapeSeconds > 0) {
      sampler.scheduleWithFixedDelay(() -> scraper.scrape(now()), 0, o.scrapeSeconds, TimeUnit.SECONDS);
    }

    LoadResult result = new LoadResult();
    try {
      out.printf("ponte-load %s: %d rooms x %d participants = %d connections to %s (%s%s, compression %s)%n",
          scenario.id(), o.rooms, o.roomSize, clients.size() - docCreators.size(), o.urls,
          socketIo ? "socket.io" : providerDocs ? o.docEndpoint.name().toLowerCase(Locale.ROOT)
              : o.format.subprotocol(),
          o.peer == LoadOptions.Peer.NONE ? "" : ", peer " + o.peer.name().toLowerCase(Locale.ROOT),
          o.compression ? "offered" : "off");
      if (providerDocs && !docCreators.isEmpty()) {
        connectAll(new ArrayList<>(docCreators));
        createDocs();
        // The teachers only created the documents; providers are the load.
        docCreators.forEach(p -> p.run(p::stop));
      }
      rssBefore = serverProcess == null ? Double.NaN : serverProcess.rssBytes();
      List<LoadClient> all = new ArrayList<>(clients);
      all.removeAll(docCreators);
      if (!providerDocs) {
        all = new ArrayList<>(clients);
      }
      connectAll(all);
      switch (scenario) {
        case IDLE -> measureFor(o.warmup, o.duration);
        case CHAT -> {
          all.forEach(p -> p.run(() -> p.startSending(o.rate)));
          measureFor(o.warmup, o.duration);
        }
        case STORM -> storm(result);
        case CLASSROOM -> classroom();
        case INK -> {
          createBoards();
          drawers.forEach(p -> p.run(() -> p.startDrawing(o.boardId, pageId)));
          measureFor(o.warmup, o.duration);
        }
        case DOCS -> {
          if (providerDocs) {
            out.printf("documents: %d, %d typists at %.1f keystrokes/s on %s%n", o.rooms,
                providerTypists.size(), o.docRate, o.docEndpoint.name().toLowerCase(Locale.ROOT));
            providerTypists.forEach(p -> p.run(() -> p.startSending(o.docRate)));
          } else {
            createDocs();
            typists.forEach(p -> p.run(() -> p.startTyping(o.docRate)));
          }
          measureFor(o.warmup, o.duration);
        }
      }
      drain();
      result.laggards = providerDocs ? providersBehind() : socketIo ? 0 : countLaggards();
      if (socketIo) {
        // No seqs: every post must reach every member of its room once (the sender included).
        long expected = stats.sent.sum() * o.roomSize;
        stats.missed.add(Math.max(0, expected - stats.delivered.sum()));
        stats.duplicates.add(Math.max(0, stats.delivered.sum() - expected));
      }
      if (docsUsed && o.scrapeSeconds > 0) {
        // Documents loaded, participants still connected: compare with the heap before them.
        scraper.scrape(now());
        heapAfterDocs = scraper.latestHeapUsed();
      }
    } finally {
      stopAll();
      sampler.shutdownNow();
      sampler.awaitTermination(5, TimeUnit.SECONDS);
      if (o.scrapeSeconds > 0) {
        scraper.scrape(now());
      }
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    fill(result, startedAt);
    Report.write(result, o.reportDir);
    out.print(Report.text(result));
    return result;
  }

  // ------------------------------------------------------------------------------------------
  // Setup
  // ------------------------------------------------------------------------------------------

  /** Engine.IO v4 straight over WebSocket, as the browser client is after its upgrade. */
  private static WebSocketConnectOptions socketIoOptions(URI url) {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() || "/".equals(url.getRawPath())
        ? "/socket.io/" : url.getRawPath();
    return new WebSocketConnectOptions().setHost(url.getHost()).setPort(MetricsScraper.port(url))
        .setURI(path + "?EIO=4&transport=websocket").setSsl("wss".equals(url.getScheme()));
  }

  /**
   * A provider's socket: on Ponte /yjs/{room}/{doc}?token= or /hocuspocus (whatever the --url
   * path); on a peer the --url path as given (the document name travels in every message).
   */
  private WebSocketConnectOptions providerOptions(URI url, String roomId, String token) {
    String path;
    if (o.peer != LoadOptions.Peer.NONE) {
      path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    } else if (o.docEndpoint == LoadOptions.DocEndpoint.YJS) {
      path = "/yjs/" + roomId + "/" + o.docId + "?token="
          + java.net.URLEncoder.encode(token, java.nio.charset.StandardCharsets.UTF_8);
    } else {
      path = "/hocuspocus";
    }
    return new WebSocketConnectOptions().setHost(url.getHost()).setPort(MetricsScraper.port(url))
        .setURI(path).setSsl("wss".equals(url.getScheme()));
  }

  private WebSocketConnectOptions connectOptions(URI url) {
    WebSocketConnectOptions c = new WebSocketConnectOptions()
        .setHost(url.getHost()).setPort(MetricsScraper.port(url))
        .setURI(url.getRawPath() == null || url.getRawPath().isEmpty() ? "/ws" : url.getRawPath())
        .setSsl("wss".equals(url.getScheme()));
    c.addSubProtocol(o.format.subprotocol());
    return c;
  }

  /** One context per event loop (a verticle instance each), to spread clients over the loops. */
  public static List<Context> eventLoopContexts(Vertx vertx, int loops) throws Exception {
    List<Context> contexts = new CopyOnWriteArrayList<>();
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    return contexts;
  }

  private void createRooms(List<String> roomIds, int maxParticipants) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Set<URI> servers = new java.util.LinkedHashSet<>();
    for (URI u : o.urls) {
      String scheme = "wss".equals(u.getScheme()) ? "https" : "http";
      servers.add(URI.create(scheme + "://" + u.getHost() + ":" + MetricsScraper.port(u)));
    }
    // Rooms are cluster-wide; creating them through the first server is enough.
    URI base = servers.iterator().next();
    Map<Integer, Integer> statuses = new HashMap<>();
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (String id : roomIds) {
      // Students may chat, draw on whiteboards and edit documents (the scenarios do all three);
      // said explicitly rather than left to the node's default.
      String body = "{\"id\":" + Json.quote(id) + ",\"title\":" + Json.quote("Load test " + id)
          + ",\"maxParticipants\":" + maxParticipants
          + ",\"studentPermissions\":{\"chat\":true,\"whiteboard\":true,\"documents\":true}"
          + (scenario == Scenario.CLASSROOM && o.lobby ? ",\"lobby\":\"everyone\"" : "") + "}";
      inFlight.add(http.sendAsync(HttpRequest.newBuilder(base.resolve("/admin/rooms"))
          .timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + o.adminToken)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
      if (inFlight.size() >= 16) {
        collect(inFlight, statuses);
      }
    }
    collect(inFlight, statuses);
    for (Map.Entry<Integer, Integer> e : statuses.entrySet()) {
      if (e.getKey() != 201 && e.getKey() != 409) {
        throw new IllegalStateException("creating rooms: " + e.getValue() + " answered HTTP " + e.getKey());
      }
    }
    out.printf("rooms: %d created, %d existed%n", statuses.getOrDefault(201, 0),
        statuses.getOrDefault(409, 0));
  }

  private static void collect(List<CompletableFuture<HttpResponse<String>>> inFlight,
      Map<Integer, Integer> statuses) throws Exception {
    for (CompletableFuture<HttpResponse<String>> f : inFlight) {
      statuses.merge(f.get(60, TimeUnit.SECONDS).statusCode(), 1, Integer::sum);
    }
    inFlight.clear();
  }

  /** Opens every connection at the ramp-up rate and waits until each is in its rooms or failed. */
  private void connectAll(List<? extends LoadClient> all) throws InterruptedException {
    int readyBefore = stats.ready.get();
    int failedBefore = failed.get();
    long t0 = System.nanoTime();
    double perConnNanos = 1e9 / o.rampUp;
    for (int i = 0; i < all.size(); i++) {
      long due = t0 + (long) (i * perConnNanos);
      long wait = due - System.nanoTime();
      if (wait > 1_000_000) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      LoadClient p = all.get(i);
      p.run(p::start);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (stats.ready.get() - readyBefore + failed.get() - failedBefore < all.size()
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    out.printf("connected: %d of %d ready in %.1f s (%d failed; permessage-deflate on %d of %d sockets)%n",
        stats.ready.get() - readyBefore, all.size(), (System.nanoTime() - t0) / 1e9,
        failed.get() - failedBefore, stats.compressed.sum(), stats.compressed.sum() + stats.uncompressed.sum());
  }

  // ------------------------------------------------------------------------------------------
  // Scenarios
  // ------------------------------------------------------------------------------------------

  private void measureFor(Duration warmup, Duration duration) throws InterruptedException {
    Thread.sleep(warmup.toMillis());
    startMeasuring();
    long end = System.nanoTime() + duration.toNanos();
    if (o.duringMeasurement != null) {
      try {
        o.duringMeasurement.call();
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException("the action during the measured window failed: " + e, e);
      }
    }
    long left = end - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
    stopMeasuring();
  }

  /**
   * Every room's teacher creates the document (an existing one from an earlier run is fine);
   * waits for the answers. Scrapes the server's heap first, for the memory per document.
   */
  private void createDocs() throws InterruptedException {
    if (o.scrapeSeconds > 0) {
      scraper.scrape(now());
      heapBeforeDocs = scraper.latestHeapUsed();
    }
    docCreators.forEach(p -> p.run(() -> p.createDoc(o.docId)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (stats.docsCreated.sum() + stats.docsExisted.sum() + stats.docsFailed.sum() < docCreators.size()
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    out.printf("documents: %d created, %d existed, %d failed; %d typists at %.1f keystrokes/s%n",
        stats.docsCreated.sum(), stats.docsExisted.sum(), stats.docsFailed.sum(), typists.size(),
        o.docRate);
  }

  /** Every room's teacher creates the board with this run's page (or adds the page); waits for the answers. */
  private void createBoards() throws InterruptedException {
    boardCreators.forEach(p -> p.run(() -> p.createBoard(o.boardId, pageId)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (stats.boardsCreated.sum() + stats.boardsExisted.sum() + stats.boardsFailed.sum() < boardCreators.size()
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    out.printf(Locale.ROOT, "boards: %d ready (%d failed), page %s; %d drawers, ink every %d ms, %d-%d points per chunk%n",
        stats.boardsCreated.sum() + stats.boardsExisted.sum(), stats.boardsFailed.sum(), pageId, drawers.size(),
        o.inkInterval.toMillis(), o.inkMinPoints, o.inkMaxPoints);
  }

  private synchronized void startMeasuring() {
    docDeliveredAtMeasureStart = stats.docDelivered.sum();
    docSentAtMeasureStart = stats.docSent.sum();
    deliveredAtMeasureStart = stats.delivered.sum();
    sentAtMeasureStart = stats.sent.sum();
    inkDeliveredAtMeasureStart = stats.inkDelivered.sum();
    inkSentAtMeasureStart = stats.inkSent.sum();
    commitsAtMeasureStart = stats.commitsSent.sum();
    cpuAtMeasureStart = serverProcess == null ? Double.NaN : serverProcess.cpuSeconds();
    measureStart = now();
    measuring = true;
  }

  private synchronized void stopMeasuring() {
    measuring = false;
    measureEnd = now();
    cpuAtMeasureEnd = serverProcess == null ? Double.NaN : serverProcess.cpuSeconds();
    // Memory with every connection still open (idle: the run's whole point).
    rssAfter = serverProcess == null ? Double.NaN : serverProcess.rssBytes();
    deliveredAtMeasureEnd = stats.delivered.sum();
    sentAtMeasureEnd = stats.sent.sum();
    docDeliveredAtMeasureEnd = stats.docDelivered.sum();
    docSentAtMeasureEnd = stats.docSent.sum();
    inkDeliveredAtMeasureEnd = stats.inkDelivered.sum();
    inkSentAtMeasureEnd = stats.inkSent.sum();
    commitsAtMeasureEnd = stats.commitsSent.sum();
    clients.forEach(p -> p.run(p::stopSending));
  }

  private void storm(LoadResult result) throws InterruptedException {
    participants.forEach(p -> p.run(() -> p.startPosting(o.rate, false)));
    writers.forEach(p -> p.run(() -> p.startPosting(o.writerRate, false)));
    Thread.sleep(o.warmup.toMillis());
    startMeasuring();
    for (int s = 0; s < o.storms; s++) {
      Thread.sleep(o.stormInterval.toMillis());
      List<Participant> inStorm = participants.stream().filter(Participant::isOpen).toList();
      resumedInStorm.set(0);
      failedInStorm.set(0);
      stormResumeNanos.clear();
      long resetsBefore = stats.resumeResets.sum();
      long t0 = System.nanoTime();
      out.printf("storm %d: dropping %d connections%n", s + 1, inStorm.size());
      inStorm.forEach(p -> p.run(p::drop));
      long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
      while (resumedInStorm.get() + failedInStorm.get() < inStorm.size() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      long last = stormResumeNanos.stream().mapToLong(Long::longValue).max().orElse(0);
      Histogram h = new Histogram(3);
      stormResumeNanos.forEach(v -> h.recordValue(Math.max(0, v / 1000)));
      LoadResult.Storm storm = new LoadResult.Storm(inStorm.size(), resumedInStorm.get(),
          inStorm.size() - resumedInStorm.get(), last / 1e6,
          h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(50) / 1000.0,
          h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(99) / 1000.0,
          stats.resumeResets.sum() - resetsBefore);
      result.storms.add(storm);
      out.printf("storm %d: %d of %d resumed, all within %.0f ms (p50 %.0f ms, p99 %.0f ms), %d resets%n",
          s + 1, storm.resumed(), storm.participants(), storm.allResumedMs(), storm.p50Ms(),
          storm.p99Ms(), storm.resets());
    }
    Thread.sleep(o.stormInterval.toMillis());
    stopMeasuring();
  }

  private void classroom() throws InterruptedException {
    if (docsUsed) {
      createDocs();
      typists.forEach(p -> p.run(() -> p.startTyping(o.docRate)));
    }
    if (boardUsed) {
      createBoards();
      drawers.forEach(p -> p.run(() -> p.startDrawing(o.boardId, pageId)));
    }
    for (Participant p : participants) {
      p.run(() -> p.startPosting(p.teacher ? o.teacherRate : o.rate, !p.teacher));
    }
    ScheduledExecutorService driver = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "load-classroom");
      t.setDaemon(true);
      return t;
    });
    List<Participant> teachers = participants.stream().filter(p -> p.teacher).toList();
    List<Participant> students = participants.stream().filter(p -> !p.teacher).toList();
    AtomicInteger actionNo = new AtomicInteger();
    long interval = Math.max(200, o.teacherActionInterval.toMillis());
    driver.scheduleAtFixedRate(() -> {
      // Alternate: student chat off (back on 1 s later), then lock (unlocked 1 s later).
      boolean chatToggle = actionNo.getAndIncrement() % 2 == 0;
      for (Participant t : teachers) {
        String room = t.rooms.keySet().iterator().next();
        t.run(() -> t.teacherAction(room, chatToggle
            ? TeacherAction.newBuilder().setStudentChat(SetStudentChat.newBuilder().setEnabled(false))
            : TeacherAction.newBuilder().setLock(LockRoom.newBuilder().setLocked(true))));
        t.context().owner().setTimer(1000, x -> t.run(() -> t.teacherAction(room, chatToggle
            ? TeacherAction.newBuilder().setStudentChat(SetStudentChat.newBuilder().setEnabled(true))
            : TeacherAction.newBuilder().setLock(LockRoom.newBuilder().setLocked(false)))));
      }
    }, interval / 2, interval, TimeUnit.MILLISECONDS);
    if (!o.pollInterval.isZero()) {
      // Each room's leading teacher: a poll, open for half the interval, then closed and shared.
      List<Participant> leads = participants.stream().filter(p -> p.leads).toList();
      long every = Math.max(1000, o.pollInterval.toMillis());
      AtomicInteger pollNo = new AtomicInteger();
      driver.scheduleAtFixedRate(() -> {
        String pollId = "l" + pageId + "-" + pollNo.incrementAndGet();
        for (Participant t : leads) {
          String room = t.rooms.keySet().iterator().next();
          t.run(() -> t.poll(room, pollId, PollRequest.newBuilder().setCreate(PollCreate.newBuilder()
              .setQuestion("Which option? (" + pollId + ")").addOptions("A").addOptions("B")
              .addOptions("C").addOptions("D")),
              () -> t.poll(room, pollId, PollRequest.newBuilder().setOpen(PollOpen.getDefaultInstance()),
                  () -> t.context().owner().setTimer(every / 2, x -> t.run(() -> t.poll(room, pollId,
                      PollRequest.newBuilder().setClose(PollClose.getDefaultInstance()),
                      () -> t.poll(room, pollId, PollRequest.newBuilder().setShare(PollShare.getDefaultInstance()),
                          null)))))));
        }
        stats.pollsRun.add(leads.size());
      }, every / 4, every, TimeUnit.MILLISECONDS);
    }
    if (o.breakouts > 0) {
      // One round per room: opened a quarter into the measured window, closed at three quarters.
      List<Participant> leads = participants.stream().filter(p -> p.leads).toList();
      Map<Participant, Long> rounds = new java.util.concurrent.ConcurrentHashMap<>();
      long open = o.warmup.toMillis() + o.duration.toMillis() / 4;
      long close = o.warmup.toMillis() + o.duration.toMillis() * 3 / 4;
      driver.schedule(() -> {
        stats.breakoutCreateSentNanos = System.nanoTime();
        for (Participant t : leads) {
          String room = t.rooms.keySet().iterator().next();
          t.run(() -> t.createBreakouts(room, o.breakouts, seq -> {
            rounds.put(t, seq);
            stats.breakoutRounds.increment();
          }));
        }
      }, open, TimeUnit.MILLISECONDS);
      driver.schedule(() -> {
        stats.breakoutCloseSentNanos = System.nanoTime();
        rounds.forEach((t, seq) -> t.run(() -> t.closeBreakouts(t.rooms.keySet().iterator().next(), seq)));
      }, close, TimeUnit.MILLISECONDS);
    }
    if (o.churnPerMinute > 0 && !students.isEmpty()) {
      double perSecond = o.churnPerMinute / 60.0;
      driver.scheduleAtFixedRate(() -> {
        for (Participant s : students) {
          if (ThreadLocalRandom.current().nextDouble() < perSecond) {
            s.run(() -> s.leaveAndRejoin(500 + ThreadLocalRandom.current().nextLong(1500)));
          }
        }
      }, 1, 1, TimeUnit.SECONDS);
    }
    try {
      measureFor(o.warmup, o.duration);
    } finally {
      driver.shutdownNow();
      driver.awaitTermination(5, TimeUnit.SECONDS);
    }
    // Leave no room locked or muted for the next run, and bring every student back in.
    Thread.sleep(1200);
    for (Participant t : teachers) {
      String room = t.rooms.keySet().iterator().next();
      t.run(() -> {
        t.teacherAction(room, TeacherAction.newBuilder().setLock(LockRoom.newBuilder().setLocked(false)));
        t.teacherAction(room, TeacherAction.newBuilder().setStudentChat(SetStudentChat.newBuilder().setEnabled(true)));
      });
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      students.forEach(s -> s.run(s::rejoinAll));
      Thread.sleep(2500);
      if (countOnContexts(participants, p -> p.isOpen() && !p.allJoined()) == 0) {
        break;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Ending
  // ------------------------------------------------------------------------------------------

  /** Waits until every request is answered and deliveries have stopped for a second. */
  private void drain() throws InterruptedException {
    long deadline = System.nanoTime() + o.drain.toNanos();
    long lastDelivered = -1;
    long stableSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      Thread.sleep(100);
      long d = stats.delivered.sum() + stats.skippedEvents.sum() + stats.otherEvents.sum()
          + stats.docDelivered.sum() + stats.inkDelivered.sum() + stats.commitsDelivered.sum();
      if (d != lastDelivered) {
        lastDelivered = d;
        stableSince = System.nanoTime();
        continue;
      }
      if (System.nanoTime() - stableSince > 1_000_000_000L
          && countOnContexts(clients, p -> p.pendingPosts() > 0) == 0) {
        return;
      }
    }
    stats.errors.computeIfAbsent("DRAIN_TIMEOUT", k -> new java.util.concurrent.atomic.LongAdder())
        .increment();
  }

  /** Participants whose last seq is below the highest seq any participant saw in the room. */
  private long countLaggards() throws InterruptedException {
    Map<String, Long> max = new HashMap<>();
    Map<Participant, Map<String, Long>> seen = new HashMap<>();
    List<Participant> all = new ArrayList<>(participants);
    all.addAll(writers);
    for (Participant p : all) {
      CompletableFuture<Map<String, Long>> f = new CompletableFuture<>();
      p.run(() -> {
        Map<String, Long> m = new HashMap<>();
        if (p.allJoined()) {
          p.rooms.values().forEach(v -> m.put(v.roomId, v.lastSeq));
        }
        f.complete(m);
      });
      try {
        Map<String, Long> m = f.get(5, TimeUnit.SECONDS);
        seen.put(p, m);
        m.forEach((room, seq) -> max.merge(room, seq, Math::max));
      } catch (Exception e) {
        seen.put(p, Map.of());
      }
    }
    long laggards = 0;
    for (Map<String, Long> m : seen.values()) {
      for (Map.Entry<String, Long> e : m.entrySet()) {
        if (e.getValue() < max.get(e.getKey())) {
          laggards++;
        }
      }
    }
    return laggards;
  }

  /** Providers that did not get every keystroke of their document's other typists. */
  private long providersBehind() throws InterruptedException {
    AtomicInteger behind = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(providers.size());
    for (YjsProvider p : providers) {
      p.run(() -> {
        behind.addAndGet(p.behind(providerTypists));
        done.countDown();
      });
    }
    done.await(5, TimeUnit.SECONDS);
    return behind.get();
  }

  private <C extends LoadClient> int countOnContexts(List<C> list,
      java.util.function.Predicate<C> predicate) throws InterruptedException {
    AtomicInteger count = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(list.size());
    for (C p : list) {
      p.run(() -> {
        if (predicate.test(p)) {
          count.incrementAndGet();
        }
        done.countDown();
      });
    }
    done.await(5, TimeUnit.SECONDS);
    return count.get();
  }

  private void stopAll() throws InterruptedException {
    List<LoadClient> all = clients;
    closedLatch = new CountDownLatch(all.size());
    all.forEach(p -> p.run(p::stop));
    closedLatch.await(15, TimeUnit.SECONDS);
  }

  // ------------------------------------------------------------------------------------------
  // Participant.Listener (called on event loops)
  // ------------------------------------------------------------------------------------------

  @Override
  public void ready(LoadClient p) {
    stats.ready.incrementAndGet();
  }

  @Override
  public void failed(LoadClient p) {
    failed.incrementAndGet();
    failedInStorm.incrementAndGet();
  }

  @Override
  public void resumed(Participant p, long nanos) {
    if (!p.writer) {
      stormResumeNanos.add(nanos);
      resumedInStorm.incrementAndGet();
    }
  }

  @Override
  public void closed(LoadClient p) {
    CountDownLatch l = closedLatch;
    if (l != null) {
      l.countDown();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Sampling and results
  // ------------------------------------------------------------------------------------------

  private double now() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private Histogram interval;
  private Histogram docInterval;
  private Histogram inkInterval;
  private Histogram commitInterval;

  private void sample(AtomicLong lastSent, AtomicLong lastDelivered, AtomicInteger ticks) {
    try {
      interval = stats.latency.getIntervalHistogram(interval);
      docInterval = stats.docLatency.getIntervalHistogram(docInterval);
      inkInterval = stats.inkLatency.getIntervalHistogram(inkInterval);
      commitInterval = stats.commitLatency.getIntervalHistogram(commitInterval);
      boolean m = measuring;
      if (m) {
        synchronized (totalLatency) {
          totalLatency.add(interval);
          totalDocLatency.add(docInterval);
          totalInkLatency.add(inkInterval);
          totalCommitLatency.add(commitInterval);
        }
      }
      boolean docs = scenario == Scenario.DOCS;
      boolean ink = scenario == Scenario.INK;
      // The docs and ink scenarios' series and progress are about updates and ink (there is no chat).
      Histogram interval = docs ? docInterval : ink ? inkInterval : this.interval;
      Histogram total = docs ? totalDocLatency : ink ? totalInkLatency : totalLatency;
      long sent = docs ? stats.docSent.sum() : ink ? stats.inkSent.sum() : stats.sent.sum();
      long delivered = docs ? stats.docDelivered.sum() : ink ? stats.inkDelivered.sum() : stats.delivered.sum();
      double sentRate = sent - lastSent.getAndSet(sent);
      double deliveredRate = delivered - lastDelivered.getAndSet(delivered);
      boolean any = interval.getTotalCount() > 0;
      series.add(new LoadResult.Point(now(), m, stats.connected.get(),
          sentRate, deliveredRate,
          any ? interval.getValueAtPercentile(50) / 1000.0 : Double.NaN,
          any ? interval.getValueAtPercentile(90) / 1000.0 : Double.NaN,
          any ? interval.getValueAtPercentile(99) / 1000.0 : Double.NaN,
          any ? interval.getValueAtPercentile(99.9) / 1000.0 : Double.NaN,
          any ? interval.getMaxValue() / 1000.0 : Double.NaN));
      int t = ticks.incrementAndGet();
      if (o.progressSeconds > 0 && t % o.progressSeconds == 0) {
        double p99;
        synchronized (totalLatency) {
          p99 = total.getTotalCount() > 0 ? total.getValueAtPercentile(99) / 1000.0
              : (any ? interval.getValueAtPercentile(99) / 1000.0 : Double.NaN);
        }
        out.printf(Locale.ROOT, "[%4ds] conns %d  sent %.0f/s  delivered %.0f/s  p99 %.2f ms  "
                + "missed %d  dup %d  errors %d%s%n",
            t, stats.connected.get(), sentRate, deliveredRate, p99, stats.missed.sum(),
            stats.duplicates.sum(), Stats.total(stats.errors), m ? "" : "  (not measuring)");
      }
    } catch (RuntimeException e) {
      out.println("sampler: " + e);
    }
  }

  private static LoadResult.Percentiles percentiles(Histogram h) {
    if (h.getTotalCount() == 0) {
      return new LoadResult.Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
          Double.NaN, Double.NaN);
    }
    return new LoadResult.Percentiles(h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(90) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, h.getMean() / 1000.0);
  }

  private void fill(LoadResult r, Instant startedAt) {
    r.scenario = scenario.id();
    r.startedAt = startedAt.toString();
    Map<String, Object> s = r.settings;
    s.put("urls", o.urls.stream().map(URI::toString).toList());
    // What the sockets spoke: the Ponte subprotocol, a Yjs provider framing, or Socket.IO.
    s.put("format", socketIo ? "socket.io" : providerDocs
        ? o.docEndpoint.name().toLowerCase(Locale.ROOT) + " provider" : o.format.subprotocol());
    s.put("rooms", o.rooms);
    s.put("roomSize", o.roomSize);
    s.put("rate", o.rate);
    s.put("warmupSeconds", o.warmup.toMillis() / 1000.0);
    s.put("durationSeconds", o.duration.toMillis() / 1000.0);
    s.put("rampUp", o.rampUp);
    s.put("messageSize", o.messageSize);
    s.put("sourceAddresses", o.sourceAddresses);
    s.put("generatorEventLoops", o.eventLoops > 0 ? o.eventLoops : Runtime.getRuntime().availableProcessors());
    if (scenario == Scenario.STORM) {
      s.put("storms", o.storms);
      s.put("stormIntervalSeconds", o.stormInterval.toMillis() / 1000.0);
      s.put("writerRate", o.writerRate);
      s.put("reconnectJitterMs", o.reconnectJitter.toMillis());
    }
    if (scenario == Scenario.CLASSROOM) {
      s.put("typingProbability", o.typingProbability);
      s.put("churnPerMinute", o.churnPerMinute);
      s.put("teacherActionIntervalSeconds", o.teacherActionInterval.toMillis() / 1000.0);
      s.put("teacherRate", o.teacherRate);
    }
    r.participants = clients.size();
    s.put("compression", o.compression ? "offer" : "off");
    s.put("peer", o.peer.name().toLowerCase(Locale.ROOT));
    if (scenario == Scenario.DOCS) {
      s.put("endpoint", o.docEndpoint.name().toLowerCase(Locale.ROOT));
    }
    r.compressedSockets = stats.compressed.sum();
    r.uncompressedSockets = stats.uncompressed.sum();
    r.readyParticipants = stats.ready.get();
    r.measuredSeconds = measureStart >= 0 && measureEnd >= measureStart ? measureEnd - measureStart : 0;
    r.sent = stats.sent.sum();
    r.acked = stats.acked.sum();
    r.gaveUp = failed.get();
    r.resent = stats.resent.sum();
    r.resentDuplicates = stats.resentDuplicates.sum();
    r.retried = stats.retried.sum();
    if (o.recordAcks) {
      r.ackedPosts = java.util.Map.copyOf(stats.ackedPosts);
      r.retriedPosts = java.util.Set.copyOf(stats.retriedPosts);
    }
    r.delivered = stats.delivered.sum();
    r.deliveredMeasured = deliveredAtMeasureEnd - deliveredAtMeasureStart;
    if (r.measuredSeconds > 0) {
      r.deliveredPerSecond = r.deliveredMeasured / r.measuredSeconds;
      r.sentPerSecond = (sentAtMeasureEnd - sentAtMeasureStart) / r.measuredSeconds;
    }
    if (scenario == Scenario.CLASSROOM && (o.lobby || !o.pollInterval.isZero() || o.breakouts > 0)) {
      LoadResult.ClassRun c = new LoadResult.ClassRun();
      c.lobby = o.lobby;
      c.lobbyStatuses = stats.lobbyStatuses.sum();
      c.lobbyWaits = percentiles(stats.lobbyWaits.getIntervalHistogram());
      c.polls = stats.pollsRun.sum();
      c.pollAnswers = percentiles(stats.pollAnswers.getIntervalHistogram());
      c.teacherOps = percentiles(stats.classOps.getIntervalHistogram());
      c.breakoutRounds = stats.breakoutRounds.sum();
      c.breakoutsPerRound = o.breakouts;
      c.breakoutIn = percentiles(stats.breakoutIn.getIntervalHistogram());
      c.breakoutOut = percentiles(stats.breakoutOut.getIntervalHistogram());
      r.classRun = c;
      s.put("teachers", o.teachers);
      s.put("lobby", o.lobby);
      s.put("pollIntervalMs", o.pollInterval.toMillis());
      s.put("breakouts", o.breakouts);
    }
    r.replayed = stats.replayed.sum();
    r.skippedEvents = stats.skippedEvents.sum();
    r.otherEvents = stats.otherEvents.sum();
    r.ephemeralEvents = stats.ephemeral.sum();
    r.typingSent = stats.typingSent.sum();
    r.teacherActions = stats.teacherActions.sum();
    r.leaves = stats.leaves.sum();
    r.rejoins = stats.rejoins.sum();
    r.missed = stats.missed.sum();
    r.duplicates = stats.duplicates.sum();
    r.strayEvents = stats.strayEvents.sum();
    r.resumesOk = stats.resumesOk.sum();
    r.resumeResets = stats.resumeResets.sum();
    r.sendsSkipped = stats.sendsSkipped.sum();
    r.connectFailures = stats.connectFailures.sum();
    r.joinFailures = stats.joinFailures.sum();
    synchronized (totalLatency) {
      r.latency = percentiles(totalLatency);
    }
    r.connect = percentiles(stats.connect.getIntervalHistogram());
    r.join = percentiles(stats.join.getIntervalHistogram());
    r.upgrade = percentiles(stats.upgrade.getIntervalHistogram());
    r.hello = percentiles(stats.hello.getIntervalHistogram());
    r.resume = percentiles(stats.resume.getIntervalHistogram());
    r.errors = Stats.snapshot(stats.errors);
    r.expectedErrors = Stats.snapshot(stats.expectedErrors);
    r.closes = Stats.snapshot(stats.closes);
    r.connectErrors = Stats.snapshot(stats.connectErrors);
    r.series = new ArrayList<>(series);
    r.server = scraper.samples();
    r.scrapeFailures = scraper.failures();
    if (docsUsed) {
      LoadResult.Docs d = new LoadResult.Docs();
      d.documents = providerDocs ? o.rooms : docCreators.size();
      d.created = stats.docsCreated.sum();
      d.existed = stats.docsExisted.sum();
      d.createFailures = stats.docsFailed.sum();
      d.typists = typists.size() + providerTypists.size();
      d.sent = stats.docSent.sum();
      d.acked = stats.docAcked.sum();
      d.delivered = stats.docDelivered.sum();
      d.replayed = stats.docReplayed.sum();
      d.deliveredMeasured = docDeliveredAtMeasureEnd - docDeliveredAtMeasureStart;
      if (r.measuredSeconds > 0) {
        d.deliveredPerSecond = d.deliveredMeasured / r.measuredSeconds;
        d.sentPerSecond = (docSentAtMeasureEnd - docSentAtMeasureStart) / r.measuredSeconds;
      }
      synchronized (totalLatency) {
        d.latency = percentiles(totalDocLatency);
      }
      d.heapBeforeBytes = heapBeforeDocs;
      d.heapAfterBytes = heapAfterDocs;
      r.docs = d;
      s.put("typists", o.typists);
      s.put("docRate", o.docRate);
      s.put("docId", o.docId);
    }
    if (boardUsed) {
      LoadResult.Ink k = new LoadResult.Ink();
      k.boards = boardCreators.size();
      k.boardsCreated = stats.boardsCreated.sum();
      k.boardsExisted = stats.boardsExisted.sum();
      k.boardFailures = stats.boardsFailed.sum();
      k.drawers = drawers.size();
      k.sent = stats.inkSent.sum();
      k.delivered = stats.inkDelivered.sum();
      k.deliveredMeasured = inkDeliveredAtMeasureEnd - inkDeliveredAtMeasureStart;
      if (r.measuredSeconds > 0) {
        k.deliveredPerSecond = k.deliveredMeasured / r.measuredSeconds;
        k.sentPerSecond = (inkSentAtMeasureEnd - inkSentAtMeasureStart) / r.measuredSeconds;
        k.commitsPerSecond = (commitsAtMeasureEnd - commitsAtMeasureStart) / r.measuredSeconds;
      }
      if (scenario == Scenario.INK) {
        // Everyone stays in the room: each chunk is owed to the other roomSize - 1.
        k.notDelivered = k.sent * (o.roomSize - 1) - k.delivered;
      }
      k.gaps = stats.inkGaps.sum();
      k.reordered = stats.inkReordered.sum();
      k.commitsSent = stats.commitsSent.sum();
      k.commitsAcked = stats.commitsAcked.sum();
      k.commitsDelivered = stats.commitsDelivered.sum();
      synchronized (totalLatency) {
        k.latency = percentiles(totalInkLatency);
        k.commitLatency = percentiles(totalCommitLatency);
      }
      k.serverDropped = scraper.droppedDuringRun();
      if (serverProcess != null && k.deliveredMeasured > 0) {
        k.serverCpuMicrosPerInkDelivery = (cpuAtMeasureEnd - cpuAtMeasureStart) * 1e6 / k.deliveredMeasured;
      }
      r.ink = k;
      s.put("drawers", o.drawers);
      s.put("inkIntervalMs", o.inkInterval.toMillis());
      s.put("pointsPerChunk", o.inkMinPoints + "-" + o.inkMaxPoints);
      s.put("boardId", o.boardId);
      s.put("pageId", pageId);
    }
    if (serverProcess != null) {
      s.put("serverPid", o.serverPid);
      r.serverCpuSeconds = cpuAtMeasureEnd - cpuAtMeasureStart;
      long measured = scenario == Scenario.INK ? r.ink.deliveredMeasured
          : r.docs != null ? r.docs.deliveredMeasured : r.deliveredMeasured;
      r.serverCpuMicrosPerDelivery = measured > 0 ? r.serverCpuSeconds * 1e6 / measured : Double.NaN;
      r.serverRssBeforeBytes = rssBefore;
      r.serverRssAfterBytes = rssAfter;
      int conns = r.participants - docCreators.size();
      r.serverRssPerConnectionBytes = conns > 0 ? (rssAfter - rssBefore) / conns : Double.NaN;
    }
    if (r.sendsSkipped > 0) {
      r.notes.add("the generator skipped " + r.sendsSkipped + " posts because a connection's write"
          + " queue was full: the generator (or the network) was a bottleneck");
    }
    if (r.readyParticipants < r.participants) {
      r.notes.add((r.participants - r.readyParticipants) + " participants never got into their rooms");
    }
  }
}
