package io.ponte.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ponte.protocol.v1.ErrorCode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Every metric Ponte exports, named {@code ponte.*} (Prometheus: {@code ponte_*}), plus the JVM's.
 * Meters with a tag are cached per tag value so the hot path does not look them up by name.
 */
public final class PonteMetrics {
  private final PrometheusMeterRegistry registry;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger roomsLoaded = new AtomicInteger();
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
    Gauge.builder("ponte.connections", connections, AtomicInteger::get)
        .description("Open WebSocket connections").register(registry);
    Gauge.builder("ponte.rooms.loaded", roomsLoaded, AtomicInteger::get)
        .description("Rooms held in memory by this node").register(registry);
    storeCommit = Timer.builder("ponte.store.commit")
        .description("Time from handing an operation to the store until it is durable")
        .publishPercentiles(0.5, 0.99).register(registry);
    deliveryLatency = Timer.builder("ponte.delivery.latency")
        .description("Time from an event's sequencing to its write to a connection")
        .publishPercentiles(0.5, 0.99, 0.999).register(registry);
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
        .publishPercentiles(0.5, 0.99).register(registry);
    gapsFetched = Counter.builder("ponte.broker.gaps.fetched")
        .description("Operations a node fetched from the broker's history to fill a seq gap")
        .register(registry);
    presenceLeaseRenewals = Counter.builder("ponte.presence.lease.renewals")
        .description("Renewals of this node's presence lease on a room it holds")
        .register(registry);
    redisReconnects = Counter.builder("ponte.redis.reconnects")
        .description("Times this node got its Redis pub/sub connection back after losing it")
        .register(registry);
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
    counter(errors, code, c -> Counter.builder("ponte.errors").tag("code", c.name())
        .description("Errors sent to clients, by code")).increment();
  }

  public void dropped(String reason) {
    counter(dropped, reason, r -> Counter.builder("ponte.messages.dropped").tag("reason", r)
        .description("Messages not delivered, by reason")).increment();
  }

  public void closed(int closeCode) {
    counter(closes, closeCode, c -> Counter.builder("ponte.connections.closed")
        .tag("code", Integer.toString(c))
        .description("Connections closed by the server, by close code")).increment();
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
