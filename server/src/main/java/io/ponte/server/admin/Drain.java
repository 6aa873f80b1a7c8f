package io.ponte.server.admin;

import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.transport.Transport;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a node out of service without losing a write, for rolling deploys ({@code POST
 * /admin/drain}, the preStop hook) and for the shutdown itself. In order:
 *
 * <ol>
 *   <li>the node is no longer ready ({@code /health/ready} 503, {@code ponte_ready} 0) and
 *       refuses new WebSocket upgrades on every endpoint (503), so balancers send clients
 *       elsewhere;
 *   <li>every open socket is closed with SERVER_SHUTDOWN (4102, resume elsewhere), the closes
 *       spread over {@code drain-close-spread-ms} so that the other nodes are not hit by every
 *       reconnect at once; a socket stops being read when its turn comes, and is closed only once
 *       each write it had read is answered (sequenced and stored, or refused), the answers ahead
 *       of the close frame. A write the node never read is resent by its client after resuming,
 *       applied once by its client message id;
 *   <li>every loaded room is unloaded with a final snapshot.
 * </ol>
 *
 * <p>Runs once: a second call gets the same result (waiting for it while the drain runs). Not
 * done within {@code timeoutMs}: the sockets still open are closed anyway at the deadline and the
 * result says {@code timed_out}.
 */
public final class Drain {
  private static final Logger log = LoggerFactory.getLogger(Drain.class);

  /** Where a node is: serving, draining, drained, or timed out (drained late, or incompletely). */
  public enum State { SERVING, DRAINING, DRAINED, TIMED_OUT }

  /** What a drain did. */
  public record Result(State state, int socketsClosed, int socketsUnanswered, int roomsUnloaded,
      long durationMs) {
    JsonObject toJson() {
      return new JsonObject()
          .put("state", state.name().toLowerCase(java.util.Locale.ROOT))
          .put("socketsClosed", socketsClosed)
          .put("socketsClosedUnanswered", socketsUnanswered)
          .put("roomsUnloaded", roomsUnloaded)
          .put("durationMs", durationMs);
    }
  }

  private final Vertx vertx;
  private final Transport transport;
  private final RoomRegistry rooms;
  private final PonteMetrics metrics;
  private final AtomicInteger socketsClosed = new AtomicInteger();
  private final AtomicInteger socketsUnanswered = new AtomicInteger();
  private final AtomicInteger roomsUnloaded = new AtomicInteger();
  private volatile Promise<Result> result;
  private volatile long startedNanos;
  private volatile long startedMs;
  private volatile int socketsToClose;

  public Drain(Vertx vertx, Transport transport, RoomRegistry rooms, PonteMetrics metrics) {
    this.vertx = vertx;
    this.transport = transport;
    this.rooms = rooms;
    this.metrics = metrics;
  }

  /** Whether a drain has started (the node is then never ready again). */
  public boolean started() {
    return result != null;
  }

  /**
   * Starts the drain (or joins the one running or done): closes spread over {@code spreadMs},
   * everything within {@code timeoutMs}. The future never fails.
   */
  public Future<Result> start(long spreadMs, long timeoutMs) {
    Promise<Result> promise;
    synchronized (this) {
      if (result != null) {
        return result.future();
      }
      promise = Promise.promise();
      startedNanos = System.nanoTime();
      startedMs = System.currentTimeMillis();
      result = promise;
    }
    transport.stopAccepting();
    metrics.notReady();
    List<Transport.OpenSocket> open = transport.openSockets();
    socketsToClose = open.size();
    // The last socket's turn comes at most halfway to the deadline: it still has time to finish.
    long spread = Math.max(0, Math.min(spreadMs, timeoutMs / 2));
    long deadlineNanos = startedNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    log.info("draining: {} sockets to close over {} ms, at most {} ms in all", open.size(), spread,
        timeoutMs);
    List<Future<Boolean>> closes = new ArrayList<>(open.size());
    for (int i = 0; i < open.size(); i++) {
      Transport.OpenSocket socket = open.get(i);
      long at = open.size() <= 1 ? 0 : spread * i / (open.size() - 1);
      Promise<Boolean> closed = Promise.promise();
      Runnable turn = () -> socket.closeForShutdown(Math.max(1, remainingMs(deadlineNanos)))
          .onComplete(ar -> {
            socketsClosed.incrementAndGet();
            boolean answered = ar.succeeded() && ar.result();
            if (!answered) {
              socketsUnanswered.incrementAndGet();
            }
            closed.complete(answered);
          });
      if (at == 0) {
        turn.run();
      } else {
        vertx.setTimer(at, t -> turn.run());
      }
      closes.add(closed.future());
    }
    Future.join(closes)
        .transform(x -> unloadRooms(Math.max(1000, remainingMs(deadlineNanos))))
        .onComplete(unloaded -> {
          long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
          boolean late = !unloaded.succeeded() || socketsUnanswered.get() > 0
              || System.nanoTime() - deadlineNanos > 0;
          Result r = new Result(late ? State.TIMED_OUT : State.DRAINED, socketsClosed.get(),
              socketsUnanswered.get(), roomsUnloaded.get(), took);
          log.info("drain {}: {} sockets closed ({} before every write was answered), {} rooms"
              + " unloaded, {} ms", late ? "timed out" : "done", r.socketsClosed(),
              r.socketsUnanswered(), r.roomsUnloaded(), took);
          promise.complete(r);
        });
    return promise.future();
  }

  /** Unloads every loaded room (a final snapshot each), within {@code timeoutMs}. */
  private Future<Void> unloadRooms(long timeoutMs) {
    List<Future<Void>> unloads = new ArrayList<>();
    for (Room room : rooms.loaded()) {
      unloads.add(room.unload().onSuccess(x -> roomsUnloaded.incrementAndGet()));
    }
    return Future.join(unloads).timeout(timeoutMs, TimeUnit.MILLISECONDS).mapEmpty();
  }

  private static long remainingMs(long deadlineNanos) {
    return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
  }

  /** The state now, for {@code GET /admin/drain}. */
  public JsonObject status() {
    Promise<Result> p = result;
    if (p == null) {
      return new JsonObject().put("state", "serving").put("socketsOpen", transport.openSocketCount());
    }
    if (p.future().isComplete()) {
      return p.future().result().toJson().put("startedMs", startedMs)
          .put("socketsOpen", transport.openSocketCount());
    }
    return new JsonObject()
        .put("state", "draining")
        .put("startedMs", startedMs)
        .put("socketsToClose", socketsToClose)
        .put("socketsClosed", socketsClosed.get())
        .put("roomsUnloaded", roomsUnloaded.get())
        .put("socketsOpen", transport.openSocketCount())
        .put("durationMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
  }
}
