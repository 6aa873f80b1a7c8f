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
    load(roomId, loading.future()).onComplete(loading);
    return loading.future();
  }

  private Future<Room> load(String roomId, Future<Room> entry) {
    Context shard = shards[Math.floorMod(roomId.hashCode(), shards.length)];
    Room[] self = new Room[1];
    Runnable forget = () -> rooms.computeIfPresent(roomId,
        (id, f) -> f.succeeded() && f.result() == self[0] ? null : f);
    Room room = new Room(roomId, shard, broker, store, presence, metrics, options, forget, this);
    self[0] = room;
    return room.start().recover(err -> {
      rooms.remove(roomId, entry);
      if (err instanceof StoreException se && se.kind() == StoreException.Kind.ROOM_NOT_FOUND) {
        return Future.failedFuture(new RoomException(ErrorCode.ROOM_NOT_FOUND, "no such room"));
      }
      return Future.failedFuture(
          new RoomException(ErrorCode.UNAVAILABLE, "the room cannot be loaded now, retry"));
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
