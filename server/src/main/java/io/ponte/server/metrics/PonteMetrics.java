package io.ponte.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ErrorCode;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Every metric Ponte exports, named {@code ponte.*} (Prometheus: {@code ponte_*}), plus the JVM's.
 * Meters with a tag are cached per tag value so the hot path does not look them up by name.
 */
public final class PonteMetrics {
  private final PrometheusMeterRegistry registry;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger roomsLoaded = new AtomicInteger();
  private final AtomicInteger ready = new AtomicInteger();
  private final AtomicInteger brokerUp = new AtomicInteger();
  private final AtomicInteger storeUp = new AtomicInteger();
  private final ConcurrentHashMap<String, Counter> messagesIn = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> messagesOut = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ErrorCode, Counter> errors = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> dropped = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Integer, Counter> closes = new ConcurrentHashMap<>();
  private final Timer storeCommit;
  private final Timer deliveryLatency;
  private final Counter framesOut;
  private final Counter batchFramesShared;
  private final Counter batchFramesComposed;
  private final Timer brokerPublish;
  private final Counter gapsFetched;
  private final Counter seqsSkipped;
  private final Counter operationsAdopted;
  private final Counter presenceLeaseRenewals;
  private final Counter redisReconnects;

  public PonteMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    // Every socket is a file descriptor: the node's hard connection limit.
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("ponte.connections", connections, AtomicInteger::get)
        .description("Open WebSocket connections").register(registry);
    Gauge.builder("ponte.rooms.loaded", roomsLoaded, AtomicInteger::get)
        .description("Rooms held in memory by this node").register(registry);
    Gauge.builder("ponte.ready", ready, AtomicInteger::get)
        .description("1 when the broker and the store answered the last check (each /metrics"
            + " scrape and /health/ready), else 0").register(registry);
    // Histogram buckets, not client-side percentiles: p99 aggregates across nodes in PromQL, and
    // a few fixed buckets keep both the series count and the cost of a record small.
    storeCommit = Timer.builder("ponte.store.commit")
        .description("Time from handing an operation to the store until it is durable")
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry);
    deliveryLatency = Timer.builder("ponte.delivery.latency")
        .description("Time from an event's sequencing to its write to a connection")
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry);
    framesOut = Counter.builder("ponte.frames.out")
        .description("WebSocket frames written (one frame may batch several messages)")
        .register(registry);
    batchFramesShared = Counter.builder("ponte.frames.batch")
        .description("Batch frames written: composed for this connection, or shared with one"
            + " that had the same messages")
        .tag("shared", "true")
        .register(registry);
    batchFramesComposed = Counter.builder("ponte.frames.batch")
        .description("Batch frames written: composed for this connection, or shared with one"
            + " that had the same messages")
        .tag("shared", "false")
        .register(registry);
    brokerPublish = Timer.builder("ponte.broker.publish")
        .description("Time to sequence, record and publish one operation through the broker")
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry);
    gapsFetched = Counter.builder("ponte.broker.gaps.fetched")
        .description("Operations a node fetched from the broker's history to fill a seq gap")
        .register(registry);
    seqsSkipped = Counter.builder("ponte.seq.skipped")
        .description("Seqs no node could recover (their node died before storing them and the"
            + " broker's history no longer held them) that this node filled with a skipped"
            + " placeholder; counted by the one node whose write won")
        .register(registry);
    operationsAdopted = Counter.builder("ponte.operations.adopted")
        .description("Other nodes' operations this node stored because the store still lacked"
            + " them after a few seconds (their node died between sequencing and storing)")
        .register(registry);
    presenceLeaseRenewals = Counter.builder("ponte.presence.lease.renewals")
        .description("Renewals of this node's presence lease on a room it holds")
        .register(registry);
    redisReconnects = Counter.builder("ponte.redis.reconnects")
        .description("Times this node got its Redis pub/sub connection back after losing it")
        .register(registry);
    // The series the alerts in ops/prometheus watch exist from the start at 0, so the first
    // occurrence is an increase (a series born at 1 is not one for increase() and rate()).
    for (ErrorCode code : new ErrorCode[] {ErrorCode.INTERNAL, ErrorCode.UNAVAILABLE}) {
      counter(errors, code, PonteMetrics::errorCounter);
    }
    for (CloseCode code : new CloseCode[] {CloseCode.SLOW_CONSUMER, CloseCode.INTERNAL_ERROR,
        CloseCode.TOO_MANY_CONNECTIONS}) {
      counter(closes, code.code(), PonteMetrics::closeCounter);
    }
    for (String reason : new String[] {"ephemeral_backpressure", "slow_consumer"}) {
      counter(dropped, reason, PonteMetrics::droppedCounter);
    }
  }

  /** Latency histogram bounds, 1 ms to 10 s (store fsync, delivery, Redis round trips). */
  private static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

  /**
   * Registers the gauges of the node's dependencies: {@code ponte.broker.up{broker}} and {@code
   * ponte.store.up{store}}, 1 when that one answered the last readiness check, and their kind as
   * a tag (a Redis outage is {@code ponte_broker_up{broker="redis"} == 0}).
   */
  public void dependencies(String brokerKind, String storeKind) {
    Gauge.builder("ponte.broker.up", brokerUp, AtomicInteger::get).tag("broker", brokerKind)
        .description("1 when the broker answered the last readiness check, else 0")
        .register(registry);
    Gauge.builder("ponte.store.up", storeUp, AtomicInteger::get).tag("store", storeKind)
        .description("1 when the store answered the last readiness check, else 0")
        .register(registry);
  }

  /** Records the outcome of a readiness check. */
  public void health(boolean brokerAnswered, boolean storeAnswered, boolean isReady) {
    brokerUp.set(brokerAnswered ? 1 : 0);
    storeUp.set(storeAnswered ? 1 : 0);
    ready.set(isReady ? 1 : 0);
  }

  /** The node is shutting down: not ready, whatever its dependencies say. */
  public void notReady() {
    ready.set(0);
  }

  /**
   * Registers the per-user connection limit and the most sockets one user holds on this node
   * (computed at scrape time from {@code perUser}, off the hot path), so "near the limit" is a
   * ratio.
   */
  public <T> void connectionsPerUser(T perUser, ToDoubleFunction<T> mostOfOneUser, int limit) {
    Gauge.builder("ponte.connections.user.max", perUser, mostOfOneUser)
        .description("Most sockets one user holds on this node, all endpoints together")
        .register(registry);
    Gauge.builder("ponte.limit.connections.per.user", () -> limit)
        .description("The max-connections-per-user setting").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of every metric. */
  public String scrape() {
    return registry.scrape();
  }

  public AtomicInteger connections() {
    return connections;
  }

  public AtomicInteger roomsLoaded() {
    return roomsLoaded;
  }

  public void messageIn(String type) {
    counter(messagesIn, type, t -> Counter.builder("ponte.messages.in").tag("type", t)
        .description("Client messages received, by type")).increment();
  }

  public void messageOut(String type) {
    counter(messagesOut, type, t -> Counter.builder("ponte.messages.out").tag("type", t)
        .description("Server messages sent, by type")).increment();
  }

  public void error(ErrorCode code) {
    counter(errors, code, PonteMetrics::errorCounter).increment();
  }

  public void dropped(String reason) {
    counter(dropped, reason, PonteMetrics::droppedCounter).increment();
  }

  public void closed(int closeCode) {
    counter(closes, closeCode, PonteMetrics::closeCounter).increment();
  }

  private static Counter.Builder errorCounter(ErrorCode code) {
    return Counter.builder("ponte.errors").tag("code", code.name())
        .description("Errors sent to clients, by code");
  }

  private static Counter.Builder droppedCounter(String reason) {
    return Counter.builder("ponte.messages.dropped").tag("reason", reason)
        .description("Messages not delivered, by reason");
  }

  private static Counter.Builder closeCounter(int closeCode) {
    return Counter.builder("ponte.connections.closed").tag("code", Integer.toString(closeCode))
        .description("Connections closed by the server, by close code");
  }

  public void frameOut() {
    framesOut.increment();
  }

  public void batchFrame(boolean shared) {
    (shared ? batchFramesShared : batchFramesComposed).increment();
  }

  public void storeCommit(long nanos) {
    storeCommit.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void brokerPublish(long nanos) {
    brokerPublish.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void gapsFetched(int operations) {
    gapsFetched.increment(operations);
  }

  /** Other nodes' operations this node stored for them. */
  public void operationsAdopted(int operations) {
    operationsAdopted.increment(operations);
  }

  /** Placeholders this node wrote for lost seqs. */
  public void seqsSkipped(int seqs) {
    seqsSkipped.increment(seqs);
  }

  /**
   * Registers {@code ponte.seq.conflicts}: same-seq conflicts the store recorded (two epochs
   * issued one seq; the loser is kept in operation_conflicts), read from the store at scrape time.
   */
  public <T> void seqConflicts(T store, ToDoubleFunction<T> recorded) {
    io.micrometer.core.instrument.FunctionCounter.builder("ponte.seq.conflicts", store, recorded)
        .description("Operations that lost a same-seq conflict in the store (kept in"
            + " operation_conflicts) since this node started")
        .register(registry);
  }

  public void presenceLeaseRenewal() {
    presenceLeaseRenewals.increment();
  }

  public void redisReconnect() {
    redisReconnects.increment();
  }

  public void delivered(long latencyMs) {
    deliveryLatency.record(Math.max(0, latencyMs), TimeUnit.MILLISECONDS);
  }

  private <K> Counter counter(ConcurrentHashMap<K, Counter> cache, K key,
      Function<K, Counter.Builder> builder) {
    Counter c = cache.get(key);
    if (c == null) {
      c = cache.computeIfAbsent(key, k -> builder.apply(k).register(registry));
    }
    return c;
  }
}
