package io.ponte.server.broker;

import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.redis.RedisSlots;
import io.ponte.server.redis.RedisTarget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's pub/sub subscriptions, each a pair of channels of one room (same hash tag, so
 * same cluster slot). Standalone and Sentinel: one connection ({@code SUBSCRIBE}, the Sentinel
 * client connects to the current master). Cluster: one connection per master that owns a
 * subscribed slot ({@code SSUBSCRIBE} must reach the slot's owner; the slot table comes from
 * {@code CLUSTER SLOTS}).
 *
 * <p>A subscription whose connection drops, whose {@code SSUBSCRIBE} was answered with an error
 * ({@code MOVED} after resharding or a failover) or that Redis dropped itself (a
 * {@code sunsubscribe} nobody asked for: its slot moved) is lost: it is placed again with
 * backoff (the cluster's slot table read again first), and {@link Handler#restored} then tells
 * the broker to fetch what it missed.
 *
 * <p>Everything runs on one Vert.x context; the public methods hop onto it.
 */
final class RedisSubscriptions {
  private static final Logger log = LoggerFactory.getLogger(RedisSubscriptions.class);
  private static final long MAX_RETRY_MS = 5_000;
  /** Attempts of a first subscribe in cluster mode (a stale slot table costs one). */
  private static final int CLUSTER_ATTEMPTS = 3;

  /** Two channels of one room, on one slot. */
  record Pair(String ops, String eph) {}

  /** Where messages and restored subscriptions go (called on the subscriptions' context). */
  interface Handler {
    void message(String channel, byte[] payload);

    /** The pair was lost and is subscribed again: messages published meanwhile were missed. */
    void restored(Pair pair);
  }

  private final Vertx vertx;
  private final Context context;
  private final RedisTarget target;
  private final boolean sharded;
  /** Commands (CLUSTER SLOTS) in cluster mode; standalone and sentinel: the pub/sub client. */
  private final Redis client;
  private final Handler handler;
  private final PonteMetrics metrics;
  private final Map<String, Redis> nodeClients = new HashMap<>();
  private final Map<String, Link> links = new HashMap<>();
  private final Map<String, Future<Link>> connecting = new HashMap<>();
  private final Set<Pair> wanted = new LinkedHashSet<>();
  private final Map<Pair, Link> placed = new HashMap<>();
  private final Map<String, Pair> byChannel = new HashMap<>();
  private final Set<Pair> lost = new LinkedHashSet<>();
  private RedisSlots slots;
  private long retryDelayMs = 100;
  private boolean retryScheduled;
  private boolean closed;

  RedisSubscriptions(Vertx vertx, Context context, RedisTarget target, Redis commandClient,
      Handler handler, PonteMetrics metrics) {
    this.vertx = vertx;
    this.context = context;
    this.target = target;
    this.sharded = target.mode() == RedisTarget.Mode.CLUSTER;
    this.client = sharded ? commandClient
        : Redis.createClient(vertx, target.clientOptions().setMaxPoolSize(1)
            .setMaxPoolWaiting(100_000).setMaxWaitingHandlers(100_000));
    this.handler = handler;
    this.metrics = metrics;
  }

  /** Connects (standalone, sentinel) or reads the slot table (cluster); fails when Redis does not answer. */
  Future<Void> start() {
    return onContext(() -> sharded ? refreshSlots().mapEmpty() : link("").mapEmpty());
  }

  /** Subscribes both channels; completes when Redis confirmed them. */
  Future<Void> subscribe(Pair pair) {
    return onContext(() -> {
      if (closed) {
        return Future.failedFuture(new IllegalStateException("broker closed"));
      }
      wanted.add(pair);
      byChannel.put(pair.ops(), pair);
      byChannel.put(pair.eph(), pair);
      return place(pair, sharded ? CLUSTER_ATTEMPTS : 1);
    });
  }

  /** Unsubscribes both channels (best effort). */
  Future<Void> unsubscribe(Pair pair) {
    return onContext(() -> {
      wanted.remove(pair);
      lost.remove(pair);
      byChannel.remove(pair.ops(), pair);
      byChannel.remove(pair.eph(), pair);
      Link link = placed.remove(pair);
      if (link == null || !link.alive) {
        return Future.succeededFuture();
      }
      // Bounded: a connection that just died (Redis killed) may not answer nor fail the request
      // before it is noticed, and erasing a room waits on this.
      return link.conn.send(Request.cmd(sharded ? Command.SUNSUBSCRIBE : Command.UNSUBSCRIBE)
              .arg(pair.ops()).arg(pair.eph()))
          .timeout(RedisBroker.COMMAND_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
          .<Void>mapEmpty().otherwiseEmpty();
    });
  }

  Future<Void> close() {
    return onContext(() -> {
      closed = true;
      List<Future<Void>> closing = new ArrayList<>();
      for (Link link : List.copyOf(links.values())) {
        link.alive = false;
        closing.add(link.conn.close().otherwiseEmpty());
      }
      links.clear();
      return Future.join(closing).transform(x -> {
        List<Future<Void>> clients = new ArrayList<>();
        for (Redis r : nodeClients.values()) {
          clients.add(r.close().otherwiseEmpty());
        }
        if (!sharded) {
          clients.add(client.close().otherwiseEmpty());
        }
        return Future.join(clients).mapEmpty();
      });
    });
  }

  // -------------------------------------------------------------------------------------------

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    if (Vertx.currentContext() == context) {
      return action.get();
    }
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(promise));
    return promise.future();
  }

  private Future<RedisSlots> refreshSlots() {
    return RedisSlots.load(client).map(s -> {
      slots = s;
      return s;
    });
  }

  /** Subscribes the pair on the connection to its owner; retries with a fresh slot table. */
  private Future<Void> place(Pair pair, int attempts) {
    Future<Link> located;
    if (!sharded) {
      located = link("");
    } else {
      Future<RedisSlots> table = slots != null ? Future.succeededFuture(slots) : refreshSlots();
      located = table.compose(s -> {
        String master = s.masterOf(RedisSlots.slot(pair.ops()));
        return master == null
            ? Future.failedFuture(new IllegalStateException("no Redis Cluster master serves the"
                + " slot of room channel " + pair.ops() + " right now"))
            : link(master);
      });
    }
    return located.compose(link -> link.subscribe(pair).map(link)).transform(ar -> {
      if (ar.succeeded()) {
        Link link = ar.result();
        if (!link.alive) {
          return retryOrFail(pair, attempts, new IllegalStateException("redis pub/sub connection lost"));
        }
        if (wanted.contains(pair)) {
          placed.put(pair, link);
        }
        return Future.succeededFuture();
      }
      return retryOrFail(pair, attempts, ar.cause());
    });
  }

  private Future<Void> retryOrFail(Pair pair, int attempts, Throwable cause) {
    if (sharded) {
      slots = null; // read the slot table again before the next try
    }
    if (attempts <= 1 || closed || !wanted.contains(pair)) {
      return Future.failedFuture(cause);
    }
    Promise<Void> again = Promise.promise();
    vertx.setTimer(50, id -> context.runOnContext(v -> place(pair, attempts - 1).onComplete(again)));
    return again.future();
  }

  /** The live connection for the node ("" = the one of standalone or sentinel mode). */
  private Future<Link> link(String node) {
    Link live = links.get(node);
    if (live != null && live.alive) {
      return Future.succeededFuture(live);
    }
    Future<Link> pending = connecting.get(node);
    if (pending != null) {
      return pending;
    }
    Redis nodeClient = node.isEmpty() ? client : nodeClients.computeIfAbsent(node,
        n -> Redis.createClient(vertx, new RedisOptions().setConnectionString(target.nodeUrl(n))
            .setMaxPoolSize(1).setMaxPoolWaiting(100_000).setMaxWaitingHandlers(100_000)));
    Future<Link> connected = nodeClient.connect().compose(conn -> {
      if (closed) {
        return conn.close().transform(x -> Future.failedFuture(new IllegalStateException("broker closed")));
      }
      Link link = new Link(node, conn);
      links.put(node, link);
      conn.handler(msg -> onHandlerContext(() -> onMessage(link, msg)));
      conn.exceptionHandler(err -> log.warn("redis pub/sub connection {} error: {}",
          node.isEmpty() ? "" : node, err.toString()));
      conn.endHandler(v -> onHandlerContext(() -> onLost(link)));
      return Future.succeededFuture(link);
    });
    connecting.put(node, connected);
    connected.onComplete(ar -> connecting.remove(node, connected));
    return connected;
  }

  private void onHandlerContext(Runnable r) {
    if (Vertx.currentContext() == context) {
      r.run();
    } else {
      context.runOnContext(v -> r.run());
    }
  }

  private void onMessage(Link link, Response message) {
    if (message == null) {
      return;
    }
    if (message.type() == ResponseType.ERROR) {
      // An error to a (S)SUBSCRIBE: MOVED (the slot has another owner now), CLUSTERDOWN, ...
      log.warn("redis pub/sub connection {}: {}", link.node, message.toString());
      link.failPending(new IllegalStateException("redis refused a subscription: " + message));
      return;
    }
    if (message.size() < 3) {
      return;
    }
    String kind = message.get(0).toString();
    String channel = message.get(1).toString();
    switch (kind) {
      case "message", "smessage" -> handler.message(channel, message.get(2).toBytes());
      case "subscribe", "ssubscribe" -> link.confirmed(channel);
      case "sunsubscribe" -> {
        // Redis drops shard channel subscriptions of a slot that moved to another node.
        Pair pair = byChannel.get(channel);
        if (pair != null && wanted.contains(pair) && placed.get(pair) == link) {
          log.info("redis dropped the subscription of {} (its slot moved); subscribing again",
              channel);
          placed.remove(pair);
          slots = null;
          lose(pair);
        }
      }
      default -> {
        // unsubscribe confirmations and anything else: nothing to do
      }
    }
  }

  private void onLost(Link link) {
    link.alive = false;
    links.remove(link.node, link);
    link.failPending(new IllegalStateException("redis pub/sub connection lost"));
    if (closed) {
      return;
    }
    List<Pair> affected = new ArrayList<>();
    placed.entrySet().removeIf(e -> {
      if (e.getValue() == link) {
        affected.add(e.getKey());
        return true;
      }
      return false;
    });
    log.warn("redis pub/sub connection {}lost; subscribing {} rooms again",
        link.node.isEmpty() ? "" : link.node + " ", affected.size());
    if (sharded) {
      slots = null; // a failover may have moved the slots to a replica
    }
    for (Pair pair : affected) {
      lose(pair);
    }
  }

  private void lose(Pair pair) {
    lost.add(pair);
    scheduleRetry();
  }

  private void scheduleRetry() {
    if (retryScheduled || closed) {
      return;
    }
    retryScheduled = true;
    long delay = retryDelayMs;
    retryDelayMs = Math.min(MAX_RETRY_MS, retryDelayMs * 2);
    vertx.setTimer(delay, id -> context.runOnContext(v -> {
      retryScheduled = false;
      retryLost();
    }));
  }

  private void retryLost() {
    if (closed || lost.isEmpty()) {
      return;
    }
    List<Future<Void>> attempts = new ArrayList<>();
    for (Pair pair : List.copyOf(lost)) {
      attempts.add(place(pair, 1).onSuccess(x -> {
        if (lost.remove(pair) && wanted.contains(pair)) {
          handler.restored(pair);
        }
      }));
    }
    Future.join(attempts).onComplete(ar -> {
      if (closed) {
        return;
      }
      if (lost.isEmpty()) {
        retryDelayMs = 100;
        metrics.redisReconnect();
        log.info("redis pub/sub subscriptions restored");
      } else {
        scheduleRetry();
      }
    });
  }

  /** One pub/sub connection (context only). */
  private final class Link {
    final String node;
    final RedisConnection conn;
    boolean alive = true;
    /** Subscriptions sent and not yet confirmed, by channel. */
    final Map<String, ArrayDeque<Promise<Void>>> pending = new LinkedHashMap<>();

    Link(String node, RedisConnection conn) {
      this.node = node;
      this.conn = conn;
    }

    Future<Void> subscribe(Pair pair) {
      if (!alive) {
        return Future.failedFuture(new IllegalStateException("redis pub/sub connection lost"));
      }
      Promise<Void> ops = Promise.promise();
      Promise<Void> eph = Promise.promise();
      pending.computeIfAbsent(pair.ops(), k -> new ArrayDeque<>()).add(ops);
      pending.computeIfAbsent(pair.eph(), k -> new ArrayDeque<>()).add(eph);
      conn.send(Request.cmd(sharded ? Command.SSUBSCRIBE : Command.SUBSCRIBE)
              .arg(pair.ops()).arg(pair.eph()))
          .onFailure(err -> {
            ops.tryFail(err);
            eph.tryFail(err);
          });
      return Future.all(ops.future(), eph.future()).mapEmpty();
    }

    void confirmed(String channel) {
      ArrayDeque<Promise<Void>> queue = pending.get(channel);
      if (queue != null) {
        Promise<Void> p = queue.poll();
        if (queue.isEmpty()) {
          pending.remove(channel);
        }
        if (p != null) {
          p.tryComplete();
        }
      }
    }

    void failPending(Throwable cause) {
      for (ArrayDeque<Promise<Void>> queue : pending.values()) {
        for (Promise<Void> p : queue) {
          p.tryFail(cause);
        }
      }
      pending.clear();
    }
  }
}
