package io.ponte.server.room;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.server.broker.Broker;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.presence.Presence;
import io.ponte.server.store.Store;
import io.ponte.server.store.StoreException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rooms this node holds, loaded on first use and spread over a fixed set of room contexts
 * (shards) by room id, so one busy room never stalls the connection event loops it shares less
 * than it must.
 */
public final class RoomRegistry {
  private final Context[] shards;
  private final Broker broker;
  private final Store store;
  private final Presence presence;
  private final PonteMetrics metrics;
  private final RoomOptions options;
  private final ConcurrentHashMap<String, Future<Room>> rooms = new ConcurrentHashMap<>();
  /**
   * The longest a room load may take (store, broker attach, catch-up) before the Joins waiting on
   * it are answered UNAVAILABLE. Each step has a bound of its own (the store's socket timeout,
   * the broker's command timeout), this one holds whatever hangs between them.
   */
  public static final long LOAD_TIMEOUT_MS = 20_000;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RoomRegistry.class);

  /** @param shards the event-loop contexts rooms run on (see {@link #deployShards}) */
  public RoomRegistry(List<Context> shards, Broker broker, Store store, Presence presence,
      PonteMetrics metrics, RoomOptions options) {
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("at least one shard is needed");
    }
    this.shards = shards.toArray(new Context[0]);
    this.broker = broker;
    this.store = store;
    this.presence = presence;
    this.metrics = metrics;
    this.options = options;
  }

  /**
   * Creates {@code count} event-loop contexts for rooms, one per deployed verticle instance, so
   * they spread over the event loops (Vert.x assigns instances round-robin).
   */
  public static Future<List<Context>> deployShards(Vertx vertx, int count) {
    List<Context> contexts = java.util.Collections.synchronizedList(new ArrayList<>());
    return vertx.deployVerticle(() -> new io.vertx.core.VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new io.vertx.core.DeploymentOptions().setInstances(count)).map(id -> List.copyOf(contexts));
  }

  /** The room, loading it when needed; fails with RoomException ROOM_NOT_FOUND for unknown ids. */
  public Future<Room> room(String roomId) {
    Future<Room> existing = rooms.get(roomId);
    if (existing != null) {
      return existing;
    }
    // Not computeIfAbsent: a load can fail before it returns, and its cleanup must not run
    // inside the map's compute (that throws "Recursive update").
    Promise<Room> loading = Promise.promise();
    existing = rooms.putIfAbsent(roomId, loading.future());
    if (existing != null) {
      return existing;
    }
    load(roomId, loading);
    return loading.future();
  }

  /**
   * Starts the room and completes its registry entry: within {@link #LOAD_TIMEOUT_MS}, else the
   * entry fails with the retryable UNAVAILABLE and is removed (every Join waiting on it is
   * answered, the next one loads afresh), and a start that completes later is let go.
   */
  private void load(String roomId, Promise<Room> loading) {
    Future<Room> entry = loading.future();
    Context shard = shards[Math.floorMod(roomId.hashCode(), shards.length)];
    // The entry is this load's own: a room that fails or unloads, even before its start
    // completed, takes its entry away and never the one of a later load.
    Runnable forget = () -> rooms.remove(roomId, entry);
    Room room = new Room(roomId, shard, broker, store, presence, metrics, options, forget, this);
    Vertx vertx = shard.owner();
    long timer = vertx.setTimer(LOAD_TIMEOUT_MS, id -> {
      if (loading.tryFail(new RoomException(ErrorCode.UNAVAILABLE,
          "the room cannot be loaded now, retry"))) {
        LOG.warn("room {}: not loaded within {} ms; giving up on this load", roomId,
            LOAD_TIMEOUT_MS);
        rooms.remove(roomId, entry);
        room.abandonLoad();
      }
    });
    room.start().onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        if (!loading.tryComplete(room)) {
          room.unload(); // completed after the registry gave up on it
        }
        return;
      }
      rooms.remove(roomId, entry);
      Throwable err = ar.cause();
      if (err instanceof StoreException se && se.kind() == StoreException.Kind.ROOM_NOT_FOUND) {
        loading.tryFail(new RoomException(ErrorCode.ROOM_NOT_FOUND, "no such room"));
      } else {
        loading.tryFail(
            new RoomException(ErrorCode.UNAVAILABLE, "the room cannot be loaded now, retry"));
      }
    });
  }

  /** The rooms currently loaded (completed loads only). */
  public List<Room> loaded() {
    ArrayList<Room> out = new ArrayList<>();
    for (Future<Room> f : rooms.values()) {
      if (f.succeeded()) {
        out.add(f.result());
      }
    }
    return out;
  }

  /** Whether the room is loaded on this node right now. */
  public Room loadedRoom(String roomId) {
    Future<Room> f = rooms.get(roomId);
    return f != null && f.succeeded() ? f.result() : null;
  }
}
