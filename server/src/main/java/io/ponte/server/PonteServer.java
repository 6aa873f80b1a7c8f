package io.ponte.server;

import io.ponte.server.admin.AdminApi;
import io.ponte.server.auth.AdminAuth;
import io.ponte.server.auth.AuthKeys;
import io.ponte.server.auth.JwksKeys;
import io.ponte.server.auth.TokenIssuer;
import io.ponte.server.auth.TokenVerifier;
import io.ponte.server.broker.Broker;
import io.ponte.server.broker.MemoryBroker;
import io.ponte.server.broker.RedisBroker;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.presence.MemoryPresence;
import io.ponte.server.presence.Presence;
import io.ponte.server.presence.RedisPresence;
import io.ponte.server.redis.RedisTarget;
import io.ponte.server.room.RetentionSweeper;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomOptions;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.store.PostgresStore;
import io.ponte.server.store.SqliteStore;
import io.ponte.server.store.Store;
import io.ponte.server.transport.Transport;
import io.ponte.server.util.OwnerOnly;
import io.ponte.server.web.WebApp;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Ponte node: wires configuration, keys, store, broker, rooms, the WebSocket transport
 * and the HTTP endpoints (/ws, /admin, /metrics, /health) together, and takes them down again.
 *
 * <p>HTTP is served by one verticle instance per event loop, all on the same port, so
 * connections spread over every core.
 */
public final class PonteServer {
  private static final Logger log = LoggerFactory.getLogger(PonteServer.class);

  private final PonteConfig config;
  private final Vertx vertx;
  private final AuthKeys keys;
  /** Verifies every token (sockets and HTTP), with the published keys when configured. */
  private final TokenVerifier tokens;
  private final JwksKeys jwks;
  private final AdminAuth adminAuth;
  private final TokenIssuer issuer;
  private final Store store;
  private final Broker broker;
  private final Presence presence;
  private final PonteMetrics metrics;
  private final RoomRegistry rooms;
  private final Transport transport;
  private final RetentionSweeper retention;
  private final io.ponte.server.admin.Drain drain;
  private final io.ponte.server.admin.ErasureJobs erasures;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private long retentionTimer = -1;
  private volatile int port;

  private PonteServer(PonteConfig config, Vertx vertx, AuthKeys keys, TokenVerifier tokens,
      JwksKeys jwks, AdminAuth adminAuth, Store store, Broker broker, Presence presence,
      PonteMetrics metrics, List<Context> roomShards) {
    this.config = config;
    this.vertx = vertx;
    this.keys = keys;
    this.tokens = tokens;
    this.jwks = jwks;
    this.adminAuth = adminAuth;
    this.issuer = keys.hasSecret() ? new TokenIssuer(keys) : null;
    this.store = store;
    this.broker = broker;
    this.presence = presence;
    this.metrics = metrics;
    this.rooms = new RoomRegistry(roomShards, broker, store, presence, metrics,
        new RoomOptions(incarnation(config.nodeId()), config.resumeWindow(), config.snapshotInterval(),
            config.snapshotsKept(), config.roomIdleUnloadMs(), config.maxParticipants(),
            StandardFeatures.of(config), config.maxRetentionDays(),
            config.gapSkipAfterMs()));
    this.transport = new Transport(config, tokens, rooms, metrics,
        StandardFeatures.requests(config), StandardFeatures.access(rooms, store));
    this.retention = new RetentionSweeper(store, broker, presence, rooms,
        config.maxRetentionDays());
    this.drain = new io.ponte.server.admin.Drain(vertx, transport, rooms, metrics);
    this.erasures = new io.ponte.server.admin.ErasureJobs(vertx, store, broker, rooms,
        config.erasureSecret().map(io.ponte.server.erasure.Pseudonyms::ofSecret)
            .orElseGet(() -> new io.ponte.server.erasure.Pseudonyms(adminAuth.derivedKey())),
        config.erasureBoardElements(), config.nodeId());
    metrics.dependencies(broker instanceof RedisBroker ? "redis" : "memory",
        store instanceof PostgresStore ? "postgresql" : "sqlite");
    metrics.seqConflicts(store, Store::conflictsRecorded);
  }

  private static final long RETENTION_SWEEP_MS = 3_600_000;
  /** How long a Redis command may take before the node treats Redis as unavailable. */
  private static final long REDIS_TIMEOUT_MS = 2_000;

  /**
   * The origin stamped on the operations this process sequences: the node id plus a random part,
   * so that a restarted node (same node-id) never mistakes its previous life's operations, found
   * in the broker's history, for requests of its own still waiting for their store write.
   */
  private static String incarnation(String nodeId) {
    // Unique, not secret: no SecureRandom (it may read /dev/urandom on an event loop).
    return nodeId + "~" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
  }

  /**
   * Starts a node. Call from a plain thread (main, a test), not from a Vert.x thread: keys and
   * the data directory are prepared synchronously first.
   */
  public static Future<PonteServer> start(PonteConfig config) {
    AuthKeys keys;
    try {
      OwnerOnly.directory(config.dataDir());
      keys = AuthKeys.load(config.dataDir(), config.jwtSecret().orElse(null),
          config.jwtPublicKeys(), config.jwtIssuer().orElse(null), config.jwtAudience().orElse(null),
          config.jwtJwksUrl().isPresent())
          .withMaxLifetime(config.tokenMaxLifetimeHours() * 3600L)
          .withDisplayNames(config.displayNames());
      WebApp.create(config); // a web-dir without an app fails the start, not the first request
    } catch (IOException e) {
      return Future.failedFuture(new UncheckedIOException("data-dir: " + e.getMessage(), e));
    } catch (IllegalArgumentException | io.ponte.server.config.ConfigException e) {
      return Future.failedFuture(e);
    }
    // Native epoll on Linux (server/pom.xml bundles it for x86_64 and aarch64): Netty's own event
    // loop and socket writes instead of the JDK selector and channels. Vert.x falls back to NIO
    // by itself when the native library cannot load.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(config.effectiveEventLoops())
        .setPreferNativeTransport(true));
    log.info("transport: {}", describeTransport(vertx));
    JwksKeys jwks = config.jwtJwksUrl().map(url -> JwksKeys.create(vertx, new JwksKeys.Options(url,
        config.jwtJwksRefreshIntervalMs(), config.jwtJwksRefreshMinIntervalMs(),
        config.jwtJwksTimeoutMs()))).orElse(null);
    TokenVerifier tokens = new TokenVerifier(keys, jwks);
    AdminAuth adminAuth;
    try {
      adminAuth = AdminAuth.load(config.dataDir(), config.adminToken().orElse(null), tokens);
    } catch (IOException | IllegalArgumentException e) {
      Throwable failure = e instanceof IOException io
          ? new UncheckedIOException("data-dir: " + e.getMessage(), io) : e;
      return vertx.close().transform(x -> Future.failedFuture(failure));
    }
    // The node starts even when the provider does not answer now: its tokens wait for it.
    Future<Void> keysFetched = jwks == null ? Future.succeededFuture()
        : jwks.start().onComplete(x -> log.info("jwt-jwks-url: {} published token keys",
            jwks.keyCount()));
    PonteMetrics metrics = new PonteMetrics();
    Optional<RedisTarget> redis = config.redisTarget();
    Future<Broker> brokerStarted = redis.isPresent()
        ? RedisBroker.connect(vertx, new RedisBroker.Options(redis.get(),
            config.redisKeyPrefix(), config.redisStreamMaxLength()), metrics)
            .<Broker>map(b -> b)
            .recover(err -> Future.failedFuture(new IllegalStateException(
                "redis-url: cannot connect to Redis (" + redis.get() + "): "
                    + RedisTarget.maskAll(err.getMessage()), err)))
        : Future.succeededFuture(new MemoryBroker(config.resumeWindow()));
    Future<Presence> presenceStarted = redis.isPresent()
        ? brokerStarted.compose(b -> RedisPresence.connect(vertx, new RedisPresence.Options(
                redis.get(), config.redisKeyPrefix(), config.nodeId(),
                config.presenceLeaseMs(), REDIS_TIMEOUT_MS))
            .<Presence>map(p -> p)
            .recover(err -> b.close().transform(x -> Future.failedFuture(new IllegalStateException(
                "redis-url: cannot connect to Redis (" + redis.get() + "): "
                    + RedisTarget.maskAll(err.getMessage()), err)))))
        : Future.succeededFuture(new MemoryPresence(config.nodeId()));
    AuthKeys k = keys;
    AdminAuth a = adminAuth;
    return keysFetched.compose(f -> presenceStarted).compose(presence -> brokerStarted.compose(broker ->
        openStore(config)
        .compose(store -> RoomRegistry.deployShards(vertx, config.effectiveEventLoops())
            .map(shards -> new PonteServer(config, vertx, k, tokens, jwks, a, store, broker,
                presence, metrics, shards))
            .compose(PonteServer::listen)
            // A store left open would keep its database locked (SqliteFileLock) in this JVM.
            .recover(err -> store.close().otherwiseEmpty().transform(x -> Future.failedFuture(err))))
        .onFailure(err -> {
          presence.close();
          broker.close();
        })))
        .recover(err -> vertx.close().transform(x -> Future.failedFuture(err)));
  }

  private static String transportName(Vertx vertx) {
    // With prefer-native, Vert.x runs on Transport.nativeTransport() when it is available, else
    // on NIO; it does not say which native one, so ask the same question again.
    return vertx.isNativeTransportEnabled()
        ? io.vertx.core.transport.Transport.nativeTransport().name() : "nio";
  }

  private static String describeTransport(Vertx vertx) {
    if (vertx.isNativeTransportEnabled()) {
      return transportName(vertx);
    }
    Throwable cause = vertx.unavailableNativeTransportCause();
    return "nio (native unavailable: "
        + (cause == null ? "none for this OS" : String.valueOf(cause)) + ")";
  }

  /**
   * The store selected by {@code store-url}: not set = SQLite in data-dir, {@code
   * jdbc:postgresql:} = PostgreSQL, {@code jdbc:sqlite:<file>} = SQLite in that file (the config
   * validated the URL).
   */
  static Future<Store> openStore(PonteConfig config) {
    SqliteStore.Options sqlite = SqliteStore.Options.defaults()
        .withSynchronous(config.storeSync().name())
        .withMaxBatch(config.storeMaxBatch());
    String url = config.storeUrl().orElse(null);
    if (url == null) {
      return SqliteStore.open(config.dataDir(), sqlite).map(s -> (Store) s);
    }
    if (url.startsWith("jdbc:postgresql:")) {
      return PostgresStore.open(url,
              PostgresStore.Options.defaults().withMaxBatch(config.storeMaxBatch()))
          .map(s -> (Store) s);
    }
    return SqliteStore.openFile(Path.of(url.substring("jdbc:sqlite:".length())), sqlite)
        .map(s -> (Store) s);
  }

  private Future<PonteServer> listen() {
    int instances = config.effectiveEventLoops();
    // All instances share one listening socket (Vert.x server sharing), port 0 included.
    return vertx.deployVerticle(() -> new HttpVerticle(config.httpPort()),
            new DeploymentOptions().setInstances(instances))
        .map(x -> {
          retention.sweep(System.currentTimeMillis());
          erasures.resume();
          retentionTimer = vertx.setPeriodic(RETENTION_SWEEP_MS,
              id -> retention.sweep(System.currentTimeMillis()));
          log.info("Ponte node {} listening on {}:{} (data in {}, {} event loops)", config.nodeId(),
              config.httpHost(), port, config.dataDir().toAbsolutePath(), instances);
          return this;
        });
  }

  private final class HttpVerticle extends VerticleBase {
    private final int bindPort;

    HttpVerticle(int bindPort) {
      this.bindPort = bindPort;
    }

    @Override
    public Future<?> start() {
      // Frames up to 4x the limit (and whole document updates on the Yjs endpoints) reach the
      // connection, which answers with its own refusal; beyond that Netty closes with 1009
      // before buffering them.
      int wireLimit = Transport.webSocketWireLimit(config);
      HttpServerOptions options = new HttpServerOptions()
          .setHost(config.httpHost())
          .setPort(bindPort)
          .setMaxWebSocketFrameSize(wireLimit)
          .setMaxWebSocketMessageSize(wireLimit)
          .setWebSocketSubProtocols(List.of("ponte.v1.proto", "ponte.v1.json"))
          // Vert.x's own deflate accepts every offer with context takeover and unbounded
          // inflation: never. With ws-compression on, the per-message flag only makes Vert.x
          // accept RSV1 frames; WebSocketDeflate replaces its handler on each connection.
          .setPerFrameWebSocketCompressionSupported(false)
          .setPerMessageWebSocketCompressionSupported(config.wsCompression() == io.ponte.server.config.WsCompression.ON)
          // No HTTP compression here: its handler would stay in every WebSocket's pipeline
          // (+0.6 KiB per idle connection, BENCHMARKS.md); WebApp gzips its own files.
          .setTcpNoDelay(true);
      Router router = Router.router(vertx);
      router.route("/ws").handler(ctx -> transport.handle(ctx.request()));
      router.route("/yjs/:room/:doc").handler(ctx ->
          transport.handleYjs(ctx.request(), ctx.pathParam("room"), ctx.pathParam("doc")));
      router.route("/hocuspocus").handler(ctx -> transport.handleHocuspocus(ctx.request()));
      router.get("/health/live").handler(ctx -> ctx.response()
          .putHeader("Content-Type", "application/json").end("{\"status\":\"UP\"}"));
      router.get("/health/ready").handler(ctx -> ready().onComplete(ar -> {
        boolean up = ar.succeeded();
        ctx.response().setStatusCode(up ? 200 : 503)
            .putHeader("Content-Type", "application/json")
            .end(up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
      }));
      // Each scrape checks readiness first, so ponte_ready, ponte_broker_up and ponte_store_up
      // are as fresh as the scrape (at most a second later when a dependency hangs).
      router.get("/metrics").handler(ctx -> ready().onComplete(ar -> ctx.response()
          .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .end(metrics.scrape())));
      new AdminApi(config, adminAuth, issuer, store, rooms, drain).mount(router);
      new io.ponte.server.export.LearnerExport(store, () -> StandardFeatures.of(config),
          metrics.registry()).mount(router); // under /admin/*: after AdminApi's token check
      erasures.mount(router); // likewise
      new io.ponte.server.whiteboard.BoardExport(adminAuth, tokens, rooms).mount(router);
      WebApp.create(config).mount(router);
      HttpServer server = vertx.createHttpServer(options).requestHandler(router);
      if (config.wsCompression() == io.ponte.server.config.WsCompression.ON) {
        server.connectionHandler(conn -> transport.installCompression(conn));
      }
      return server.listen().onSuccess(s -> port = s.actualPort());
    }
  }

  /** Ready when the broker and the store answer, within a second, and not draining or shutting down. */
  public Future<Void> ready() {
    if (stopping.get() || drain.started()) {
      metrics.notReady();
      return Future.failedFuture(stopping.get() ? "stopping" : "draining");
    }
    Future<Void> brokerPing = broker.ping().timeout(1, TimeUnit.SECONDS);
    Future<Void> storePing = store.ping().timeout(1, TimeUnit.SECONDS);
    return Future.join(brokerPing, storePing).transform(ar -> {
      boolean up = ar.succeeded() && !stopping.get() && !drain.started();
      metrics.health(brokerPing.succeeded(), storePing.succeeded(), up);
      return up ? Future.<Void>succeededFuture()
          : Future.<Void>failedFuture(ar.failed() ? ar.cause() : new IllegalStateException("stopping"));
    });
  }

  /** Erases the rooms whose retention period is over at {@code nowMs} (runs hourly anyway). */
  public Future<List<String>> sweepRetention(long nowMs) {
    return retention.sweep(nowMs);
  }

  public int port() {
    return port;
  }

  public PonteConfig config() {
    return config;
  }

  public AuthKeys keys() {
    return keys;
  }

  public AdminAuth adminAuth() {
    return adminAuth;
  }

  /** Mints tokens with the HS256 secret; null when the node has none. */
  public TokenIssuer issuer() {
    return issuer;
  }

  public PonteMetrics metrics() {
    return metrics;
  }

  /** The node's store (for tooling and tests). */
  public Store store() {
    return store;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The network I/O transport the node runs on: "epoll" on Linux, else "nio" (or kqueue...). */
  public String ioTransport() {
    return transportName(vertx);
  }

  /** The node's drain (POST /admin/drain, and the first step of {@link #stop}). */
  public io.ponte.server.admin.Drain drain() {
    return drain;
  }

  /**
   * Graceful shutdown: the drain (stop accepting, answer the writes read, tell every client to
   * resume elsewhere with SERVER_SHUTDOWN, snapshot every room) unless one already ran (the
   * preStop hook's), then flush the store and release everything.
   */
  public Future<Void> stop() {
    if (!stopping.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    log.info("shutting down: closing connections, saving rooms, flushing the store");
    vertx.cancelTimer(retentionTimer);
    erasures.stop();
    Promise<Void> grace = Promise.promise();
    drain.start(0, Math.max(1000, config.shutdownGraceMs())).onComplete(x -> {
      // Give clients a moment to receive their goodbye before the sockets go away.
      long wait = Math.min(config.shutdownGraceMs(), 500);
      if (wait <= 0) {
        grace.complete();
      } else {
        vertx.setTimer(wait, id -> grace.complete());
      }
    });
    return grace.future()
        .compose(x -> {
          List<Future<Void>> unloads = new ArrayList<>();
          for (Room room : rooms.loaded()) {
            unloads.add(room.unload());
          }
          return Future.join(unloads).timeout(Math.max(1000, config.shutdownGraceMs()), TimeUnit.MILLISECONDS)
              .otherwiseEmpty();
        })
        .compose(x -> {
          if (jwks != null) {
            jwks.close();
          }
          return store.close().otherwiseEmpty();
        })
        .compose(x -> presence.close().otherwiseEmpty())
        .compose(x -> broker.close().otherwiseEmpty())
        .compose(x -> vertx.close())
        .onComplete(x -> log.info("stopped"));
  }
}
