package io.ponte.server.export;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.store.Store;
import io.ponte.server.text.ChatText;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /admin/users/{userId}/export} (admin API; the admin token is checked by the API's
 * /admin/* handler before this one): a zip of everything the store holds about one user, streamed
 * while it is produced (see {@link LearnerArchive} for its contents, cost and memory).
 *
 * <p>The work runs on a thread of its own ({@value #MAX_RUNNING} at most per node; more is
 * EXPORT_BUSY), reading the store through its reader threads: event loops only pass the chunks
 * on. The response starts with the first chunk, so an unknown user still gets a 404 (after the
 * whole scan); a failure after the start breaks the connection off, so a client never takes a
 * truncated archive for a complete one.
 *
 * <p>Cluster: the export reads the node's store. With PostgreSQL every node shares it, so any node
 * exports every room; with SQLite a node sees only the rooms in its own data directory.
 */
public final class LearnerExport {
  private static final Logger log = LoggerFactory.getLogger(LearnerExport.class);
  static final int MAX_RUNNING = 2;
  private static final int RETRY_AFTER_S = 5;

  private final Store store;
  private final Supplier<RoomFeatures> features;
  private final Counter pages;
  private final AtomicInteger running = new AtomicInteger();

  /**
   * @param features the features rooms run, fresh for each export (a room's state is rebuilt
   *     from its operations off the room's own thread)
   */
  public LearnerExport(Store store, Supplier<RoomFeatures> features, MeterRegistry registry) {
    this.store = store;
    this.features = features;
    this.pages = Counter.builder("ponte.export.pages")
        .description("Pages of stored operations read by exports of a learner")
        .register(registry);
  }

  public void mount(Router router) {
    router.get("/admin/users/:id/export").handler(this::export);
  }

  private void export(RoutingContext ctx) {
    String userId = ctx.pathParam("id");
    if (!ctx.queryParams().isEmpty()) {
      fail(ctx, 400, ErrorCode.EXPORT_USER_INVALID, "no query parameters are known");
      return;
    }
    if (!ChatText.validUserId(userId)) {
      fail(ctx, 400, ErrorCode.EXPORT_USER_INVALID,
          "user id: 1-128 characters without whitespace or control characters");
      return;
    }
    if (running.incrementAndGet() > MAX_RUNNING) {
      running.decrementAndGet();
      ctx.response().putHeader("Retry-After", String.valueOf(RETRY_AFTER_S));
      fail(ctx, 503, ErrorCode.EXPORT_BUSY, MAX_RUNNING + " exports are running; retry later");
      return;
    }
    Context context = ctx.vertx().getOrCreateContext();
    long now = System.currentTimeMillis();
    String file = "ponte-export-" + userId.replaceAll("[^A-Za-z0-9._-]", "_") + ".zip";
    ResponseSink sink = new ResponseSink(context, ctx.response(), r -> r.setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", "application/zip")
        .putHeader("Content-Disposition", "attachment; filename=\"" + file + "\"")
        .putHeader("Cache-Control", "no-store"));
    ctx.response().closeHandler(v -> sink.clientGone());
    Thread worker = new Thread(() -> {
      try {
        run(ctx, context, sink, userId, now);
      } finally {
        running.decrementAndGet();
      }
    }, "ponte-export");
    worker.setDaemon(true);
    worker.start();
  }

  private void run(RoutingContext ctx, Context context, ResponseSink sink, String userId, long now) {
    LearnerArchive archive = new LearnerArchive(store, features.get(), userId, pages, sink::gone, now);
    try {
      int rooms = archive.write(sink);
      if (rooms == 0) {
        context.runOnContext(v -> fail(ctx, 404, ErrorCode.EXPORT_USER_NOT_FOUND,
            "no stored room holds anything of this user"));
        return;
      }
      sink.finish();
      log.info("export of a learner: {} room(s) in {} ms", rooms, System.currentTimeMillis() - now);
    } catch (ResponseSink.ClientGoneException | LearnerArchive.Stopped e) {
      log.info("export of a learner stopped: the client went away");
      sink.abort();
    } catch (Exception e) {
      log.warn("export of a learner failed: {}", e.toString());
      if (sink.started()) {
        sink.abort();
      } else {
        context.runOnContext(v -> fail(ctx, 503, ErrorCode.UNAVAILABLE, "the export failed; retry"));
      }
    }
  }

  private static void fail(RoutingContext ctx, int status, ErrorCode code, String message) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(new JsonObject().put("code", code.name()).put("message", message).encode());
  }
}
