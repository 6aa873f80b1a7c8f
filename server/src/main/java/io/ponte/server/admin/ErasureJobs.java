package io.ponte.server.admin;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.EraseParticipant;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.broker.Broker;
import io.ponte.server.erasure.BoardElementsOnErasure;
import io.ponte.server.erasure.Erasure;
import io.ponte.server.erasure.Pseudonyms;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.store.ErasureJob;
import io.ponte.server.store.RoomRecord;
import io.ponte.server.store.Store;
import io.ponte.server.store.StoreException;
import io.ponte.server.text.ChatText;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erasure of one learner (admin API): {@code POST /admin/users/{id}/erase} starts a job (202)
 * that erases the user in every room of the node's store that names them, one sequenced
 * {@link EraseParticipant} per room; {@code GET /admin/erasures/{job}} and {@code GET
 * /admin/users/{id}/erase} tell how far it is, and once done give its receipt. The admin token is
 * checked by the API's /admin/* handler before these.
 *
 * <p>Why through the rooms and not the store alone (as retention deletes): an erasure is a change
 * of a room's state that every node holding the room must apply at the same seq (live clients see
 * placeholders at once, a replay from any snapshot gives the same room), and the redaction that
 * comes with it rewrites every copy (store, snapshots, broker history, resume windows) the way a
 * chat deletion does. A room not loaded is loaded for it (and unloads again when idle).
 *
 * <p>Crash safety: the job and its progress (rooms to erase, rooms done with their counts) are
 * rows of the store (erasure_jobs). A room is marked done only after its erasure is applied and
 * its redaction is durable (the job repeats it itself, idempotent). On start a node resumes every
 * job not done; in a cluster sharing a store, a job is run by the node holding its claim, renewed
 * while it works; a claim left by a dead node runs out after {@value #LEASE_MS} ms and another
 * node takes it over. Erasing a room twice changes nothing the second time.
 *
 * <p>The receipt (counts per room, audit entries rewritten, times) is the job's; each room's part
 * is also an audit entry of that room ({@code erasure.receipt}, naming only the pseudonym). When
 * done the job row keeps the pseudonym, not the user id.
 */
public final class ErasureJobs {
  private static final Logger log = LoggerFactory.getLogger(ErasureJobs.class);
  static final long LEASE_MS = 60_000;
  private static final long RESUME_CHECK_MS = 30_000;
  private static final int SCAN_PAGE = 1_000;
  /**
   * TEST ONLY: when set to n, a job stops (as if the node died, keeping its claim) after its n-th
   * room; the node must be restarted to finish it. Never set in production.
   */
  public static final String TEST_STOP_AFTER_ROOMS = "ponte.test.erasure-stop-after-rooms";

  private final Vertx vertx;
  private final Store store;
  private final Broker broker;
  private final RoomRegistry rooms;
  private final Pseudonyms pseudonyms;
  private final boolean removeBoardElements;
  private final String node;
  private final Set<String> running = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private Context context;
  private long timer = -1;

  public ErasureJobs(Vertx vertx, Store store, Broker broker, RoomRegistry rooms,
      Pseudonyms pseudonyms, BoardElementsOnErasure boardElements, String node) {
    this.vertx = vertx;
    this.store = store;
    this.broker = broker;
    this.rooms = rooms;
    this.pseudonyms = pseudonyms;
    this.removeBoardElements = boardElements == BoardElementsOnErasure.REMOVE;
    this.node = node;
  }

  public void mount(Router router) {
    router.post("/admin/users/:id/erase").handler(this::start);
    router.get("/admin/users/:id/erase").handler(this::statusOfUser);
    router.get("/admin/erasures/:job").handler(this::statusOfJob);
  }

  /** Resumes every unfinished job now and checks again periodically (claims of dead nodes). */
  public void resume() {
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> resumeAll());
    timer = vertx.setPeriodic(RESUME_CHECK_MS, id -> context.runOnContext(v -> resumeAll()));
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void resumeAll() {
    store.unfinishedErasureJobs().onSuccess(jobs -> jobs.forEach(this::run))
        .onFailure(err -> log.warn("cannot read the erasure jobs: {}", err.toString()));
  }

  // ------------------------------------------------------------------------------------------
  // HTTP
  // ------------------------------------------------------------------------------------------

  private void start(RoutingContext ctx) {
    String userId = userId(ctx);
    if (userId == null) {
      return;
    }
    String pseudonym = pseudonyms.of(userId);
    store.latestErasureJob(pseudonym).compose(latest -> {
      if (latest.isPresent() && !latest.get().done()) {
        return Future.succeededFuture(latest.get()); // the same request again: that job goes on
      }
      long now = System.currentTimeMillis();
      JsonObject progress = new JsonObject().put("removeBoardElements", removeBoardElements)
          .put("startedMs", now).put("done", new JsonObject());
      ErasureJob job = new ErasureJob(UUID.randomUUID().toString(), userId, pseudonym,
          ErasureJob.RUNNING, now, 0, "", 0, progress.encode());
      return store.createErasureJob(job).map(job);
    }).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, 503, ErrorCode.UNAVAILABLE, "the store cannot take the job now; retry");
        return;
      }
      ErasureJob job = ar.result();
      log.info("erasure {} of a learner ({}) started", job.jobId(), job.pseudonym());
      onContext(() -> run(job));
      json(ctx, 202, describe(job).put("statusUrl", "/admin/erasures/" + job.jobId()));
    });
  }

  private void statusOfUser(RoutingContext ctx) {
    String userId = userId(ctx);
    if (userId != null) {
      answer(ctx, store.latestErasureJob(pseudonyms.of(userId)));
    }
  }

  private void statusOfJob(RoutingContext ctx) {
    answer(ctx, store.erasureJob(ctx.pathParam("job")));
  }

  private void answer(RoutingContext ctx, Future<java.util.Optional<ErasureJob>> job) {
    job.onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, 503, ErrorCode.UNAVAILABLE, "the store does not answer; retry");
      } else if (ar.result().isEmpty()) {
        fail(ctx, 404, ErrorCode.ERASURE_NOT_FOUND, "no erasure of this user or with this id");
      } else {
        json(ctx, 200, describe(ar.result().get()));
      }
    });
  }

  private static String userId(RoutingContext ctx) {
    String userId = ctx.pathParam("id");
    if (!ctx.queryParams().isEmpty() || !ChatText.validUserId(userId)) {
      fail(ctx, 400, ErrorCode.ERASURE_USER_INVALID,
          "user id: 1-128 characters without whitespace or control characters; no query parameters");
      return null;
    }
    return userId;
  }

  /** A job as the API shows it: never the user id. */
  static JsonObject describe(ErasureJob job) {
    return new JsonObject()
        .put("jobId", job.jobId())
        .put("pseudonym", job.pseudonym())
        .put("state", job.state())
        .put("createdMs", job.createdMs())
        .put("finishedMs", job.finishedMs())
        .put("receipt", new JsonObject(job.progress()));
  }

  // ------------------------------------------------------------------------------------------
  // Running a job
  // ------------------------------------------------------------------------------------------

  private void onContext(Runnable r) {
    if (context == null) {
      context = vertx.getOrCreateContext();
    }
    context.runOnContext(v -> r.run());
  }

  /** Runs the job here unless this node runs it already or another node holds its claim. */
  private void run(ErasureJob job) {
    if (job.done() || !running.add(job.jobId())) {
      return;
    }
    long now = System.currentTimeMillis();
    store.claimErasureJob(job.jobId(), node, now, now + LEASE_MS).compose(claimed -> {
      if (!claimed) {
        return Future.succeededFuture();
      }
      return store.erasureJob(job.jobId()).compose(fresh -> fresh.isEmpty() || fresh.get().done()
          ? Future.succeededFuture() : new Run(fresh.get()).go());
    }).onComplete(ar -> {
      running.remove(job.jobId());
      if (ar.failed()) {
        log.warn("erasure {}: stopped ({}); it resumes later", job.jobId(), ar.cause().toString());
      }
    });
  }

  /** One run of a job on this node, from wherever its progress says it got to. */
  private final class Run {
    private final ErasureJob job;
    private final JsonObject progress;
    private final Erasure erasure;
    private final EraseParticipant body;
    private int roomsThisRun;

    Run(ErasureJob job) {
      this.job = job;
      this.progress = new JsonObject(job.progress());
      this.body = EraseParticipant.newBuilder().setUserId(job.userId())
          .setPseudonym(job.pseudonym())
          .setRemoveBoardElements(progress.getBoolean("removeBoardElements", true)).build();
      this.erasure = new Erasure(body);
    }

    Future<Void> go() {
      Future<Void> scanned = progress.containsKey("rooms") ? Future.succeededFuture() : scan();
      return scanned.compose(x -> nextRoom());
    }

    /** The rooms whose stored operations name the user: the ones to erase. */
    private Future<Void> scan() {
      byte[] id = job.userId().getBytes(StandardCharsets.UTF_8);
      return store.rooms().compose(all -> {
        List<String> found = new ArrayList<>();
        Future<Void> chain = Future.succeededFuture();
        for (RoomRecord r : all) {
          chain = chain.compose(x -> names(r.roomId(), id, 0).map(yes -> {
            if (yes) {
              found.add(r.roomId());
            }
            return (Void) null;
          }));
        }
        return chain.compose(x -> {
          progress.put("rooms", new JsonArray(found));
          return save(job.userId(), ErasureJob.RUNNING, 0);
        });
      });
    }

    private Future<Boolean> names(String roomId, byte[] id, long after) {
      return store.operations(roomId, after, SCAN_PAGE).compose(ops -> {
        for (SequencedOperation sop : ops) {
          if (Erasure.contains(sop.getOperation().toByteArray(), id)) {
            return Future.succeededFuture(true);
          }
        }
        return ops.size() < SCAN_PAGE ? Future.succeededFuture(false)
            : names(roomId, id, ops.get(ops.size() - 1).getSeq());
      }, err -> err instanceof StoreException se && se.kind() == StoreException.Kind.ROOM_NOT_FOUND
          ? Future.succeededFuture(false) : Future.failedFuture(err));
    }

    private Future<Void> nextRoom() {
      JsonObject done = progress.getJsonObject("done");
      for (Object o : progress.getJsonArray("rooms")) {
        String roomId = (String) o;
        if (!done.containsKey(roomId)) {
          String stopAfter = System.getProperty(TEST_STOP_AFTER_ROOMS);
          if (stopAfter != null && roomsThisRun >= Integer.parseInt(stopAfter)) {
            log.warn("erasure {}: stopping after {} room(s) ({} is set)", job.jobId(),
                roomsThisRun, TEST_STOP_AFTER_ROOMS);
            return Future.failedFuture(new IllegalStateException("stopped for a test"));
          }
          return eraseRoom(roomId).compose(counts -> {
            done.put(roomId, counts);
            roomsThisRun++;
            return save(job.userId(), ErasureJob.RUNNING, 0);
          }).compose(x -> nextRoom());
        }
      }
      return finish();
    }

    /**
     * Erases the user in one room, retrying a few times while the room is being unloaded or
     * cannot be sequenced for a moment (UNAVAILABLE); later failures wait for the next resume.
     */
    private Future<JsonObject> eraseRoom(String roomId) {
      return eraseRoom(roomId, 5);
    }

    private Future<JsonObject> eraseRoom(String roomId, int attempts) {
      return eraseRoomOnce(roomId).recover(err -> {
        if (attempts <= 1 || !(err instanceof RoomException re)
            || re.error().getCode() != ErrorCode.UNAVAILABLE) {
          return Future.failedFuture(err);
        }
        return vertx.timer(500).compose(x -> eraseRoom(roomId, attempts - 1));
      });
    }

    /** Erases the user in one room: the operation, then its redaction made durable here. */
    private Future<JsonObject> eraseRoomOnce(String roomId) {
      Operation op = Operation.newBuilder()
          .setActor(Actor.newBuilder().setUserId("admin").setRole(Role.ROLE_UNSPECIFIED))
          .setEraseParticipant(body)
          .build();
      long now = System.currentTimeMillis();
      return rooms.room(roomId).compose(room -> room.submit(op)).compose(applied -> {
        if (applied.rejection() != null) {
          return Future.failedFuture(new RoomException(applied.rejection()));
        }
        long seq = applied.seq();
        List<Long> seqs = new ArrayList<>();
        for (long s = 1; s <= seq; s++) {
          seqs.add(s);
        }
        var e = applied.event().getParticipantErased();
        JsonObject counts = new JsonObject()
            .put("seq", seq)
            .put("timeMs", now)
            .put("chatMessagesRemoved", e.getMessagesRemoved())
            .put("reactionsRemoved", e.getReactionsRemoved())
            .put("boardElementsRemoved", e.getBoardElementsRemoved())
            .put("boardElementsAnonymised", e.getBoardElementsAnonymised())
            .put("reportsAnonymised", e.getReportsAnonymised())
            .put("documentsAnonymised", e.getDocumentsAnonymised())
            .put("otherMentionsAnonymised", e.getOtherMentions());
        // The room's own redaction when it has one: it knows which board content the state
        // keeps (Erasure#keepingBoardContentOf); a repeated erasure's has only the renames.
        UnaryOperator<Operation> rewrite = applied.redaction() != null
            ? applied.redaction().operation() : erasure::operation;
        UnaryOperator<RoomStateRecord> rewriteSnapshot = applied.redaction() != null
            ? applied.redaction().snapshot() : erasure::snapshot;
        return store.redact(roomId, seqs, rewrite, seq, rewriteSnapshot)
            .compose(rows -> broker.redact(roomId, seqs, rewrite).otherwise(err -> {
              log.warn("erasure {}: room {}: the broker's history is not rewritten: {}",
                  job.jobId(), roomId, err.toString());
              return null;
            }))
            .map(x -> counts);
      }, err -> err instanceof RoomException re && re.error().getCode() == ErrorCode.ROOM_NOT_FOUND
          // Erased by retention meanwhile: nothing of it is left.
          ? Future.succeededFuture(new JsonObject().put("roomGone", true))
          : Future.failedFuture(err));
    }

    private Future<Void> finish() {
      long now = System.currentTimeMillis();
      return store.rewriteAudit(erasure::rename).compose(n -> {
        progress.put("auditEntriesAnonymised", n);
        return receipts(now);
      }).compose(x -> {
        progress.put("finishedMs", now);
        return save("", ErasureJob.DONE, now);
      }).onSuccess(x -> {
        store.scrub(); // the job row's user id, now cleared, goes from the files too
        log.info("erasure {} of a learner ({}) done: {} room(s)", job.jobId(),
            job.pseudonym(), progress.getJsonArray("rooms").size());
      });
    }

    /** Each room's part of the receipt, as an audit entry of that room. */
    private Future<Void> receipts(long now) {
      if (progress.getBoolean("receiptsWritten", false)) {
        return Future.succeededFuture();
      }
      List<Future<Void>> writes = new ArrayList<>();
      JsonObject done = progress.getJsonObject("done");
      for (String roomId : done.fieldNames()) {
        JsonObject counts = done.getJsonObject(roomId);
        if (counts.getBoolean("roomGone", false)) {
          continue;
        }
        writes.add(store.appendAudit(AuditEntry.newBuilder()
            .setRoomId(roomId)
            .setTimeMs(now)
            .setActorUserId("admin")
            .setActorRole("admin")
            .setAction("erasure.receipt")
            .setTarget(job.pseudonym())
            .setDetail(counts.copy().put("jobId", job.jobId()).encode())
            .build()).otherwiseEmpty());
      }
      return Future.all(writes).compose(x -> {
        progress.put("receiptsWritten", true);
        return save(job.userId(), ErasureJob.RUNNING, 0);
      });
    }

    private Future<Void> save(String userId, String state, long finishedMs) {
      long until = state.equals(ErasureJob.DONE) ? 0 : System.currentTimeMillis() + LEASE_MS;
      ErasureJob next = new ErasureJob(job.jobId(), userId, job.pseudonym(), state,
          job.createdMs(), finishedMs, node, until, progress.encode());
      return store.updateErasureJob(next, node).compose(ok -> ok ? Future.<Void>succeededFuture()
          : Future.failedFuture(new IllegalStateException("another node took the job over")));
    }
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }

  private static void fail(RoutingContext ctx, int status, ErrorCode code, String message) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    json(ctx, status, new JsonObject().put("code", code.name()).put("message", message));
  }
}
