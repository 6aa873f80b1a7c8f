package io.ponte.server.room;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.server.broker.Broker;
import io.ponte.server.metrics.PonteMetrics;
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
  private final PonteMetrics metrics;
  private final RoomOptions options;
  private final ConcurrentHashMap<String, Future<Room>> rooms = new ConcurrentHashMap<>();

  /**
   * Must be created on a non-Vert.x thread (or from a fresh context) so that each
   * {@code getOrCreateContext} call yields its own event-loop context.
   */
  public RoomRegistry(Vertx vertx, int shardCount, Broker broker, Store store, PonteMetrics metrics,
      RoomOptions options) {
    if (shardCount < 1) {
      throw new IllegalArgumentException("shardCount must be at least 1");
    }
    this.shards = new Context[shardCount];
    for (int i = 0; i < shardCount; i++) {
      // Each call from a non-Vert.x thread creates a new event-loop context, round-robin over loops.
      shards[i] = vertx.getOrCreateContext();
    }
    this.broker = broker;
    this.store = store;
    this.metrics = metrics;
    this.options = options;
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
    Room room = new Room(roomId, shard, broker, store, metrics, options, forget);
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
