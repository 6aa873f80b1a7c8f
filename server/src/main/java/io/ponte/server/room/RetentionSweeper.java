package io.ponte.server.room;

import io.ponte.server.broker.Broker;
import io.ponte.server.presence.Presence;
import io.ponte.server.store.Store;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erases rooms whose retention period is over: a room's data is kept for its
 * {@code retention_days} after its session ended or it was closed, then deleted whole
 * (operations, snapshots, audit entries, record; what the broker keeps: seq, epoch, recent
 * history; and presence entries). Rooms still in memory are unloaded first. The broker's and
 * presence's parts go first: when one fails (Redis unreachable) the store keeps the room, and the
 * next sweep tries again.
 */
public final class RetentionSweeper {
  private static final Logger log = LoggerFactory.getLogger(RetentionSweeper.class);

  private final Store store;
  private final Broker broker;
  private final Presence presence;
  private final RoomRegistry rooms;

  private final int maxRetentionDays;

  public RetentionSweeper(Store store, Broker broker, Presence presence, RoomRegistry rooms,
      int maxRetentionDays) {
    this.maxRetentionDays = maxRetentionDays;
    this.store = store;
    this.broker = broker;
    this.presence = presence;
    this.rooms = rooms;
  }

  /** Erases every room expired at {@code nowMs}; completes with the ids erased. */
  public Future<List<String>> sweep(long nowMs) {
    return store.expiredRooms(nowMs, maxRetentionDays).compose(ids -> {
      List<Future<String>> erased = new ArrayList<>();
      for (String id : ids) {
        Room loaded = rooms.loadedRoom(id);
        Future<Void> unloaded = loaded == null ? Future.succeededFuture() : loaded.unload();
        erased.add(unloaded.compose(x -> broker.erase(id)).compose(x -> presence.erase(id))
            .compose(x -> store.deleteRoom(id)).map(x -> {
          log.info("room {} erased: its retention period is over", id);
          return id;
        }));
      }
      // join fails when one room failed; the others' outcome is still wanted.
      return Future.join(erased).transform(x -> {
        List<String> done = new ArrayList<>();
        for (Future<String> f : erased) {
          if (f.succeeded()) {
            done.add(f.result());
          } else {
            log.warn("erasing an expired room failed: {}", f.cause().toString());
          }
        }
        return Future.succeededFuture(done);
      });
    });
  }
}
