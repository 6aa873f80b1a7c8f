package io.ponte.server.room;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.PresenceChanged;
import io.ponte.protocol.v1.PresenceState;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.TypingChanged;
import io.ponte.server.broker.Broker;
import io.ponte.server.broker.RoomListener;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.outbound.OutboundMessage;
import io.ponte.server.presence.Presence;
import io.ponte.server.store.AuditQuery;
import io.ponte.server.store.Store;
import io.ponte.server.store.StoredRoom;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One room held by this node: its state machine, its participants here, and the pipeline that
 * takes an operation from a participant through the broker and the store to every participant.
 *
 * <p>Wiring: a room lives on one Vert.x context (its shard) and every field is touched only
 * there; public methods hop onto it. The pipeline for a durable operation is
 * <pre>
 *   submit ─▶ early check ─▶ Broker.append (gets seq) ─▶ Store.append (durable) ─┐
 *   Broker listener: onOperation(seq) ─────────────────────────────────────────▶ apply in seq
 *   order ─▶ deliver the event to members ─▶ ack or error to the sender
 * </pre>
 * An operation this node originated is applied only once it is durable, so nothing that any
 * participant saw can be lost by a crash; operations from other nodes are applied on arrival
 * (their node stored them).
 *
 * <p>Yjs fast path: a document update this node originated is applied and delivered as soon as it
 * is sequenced (every Yjs provider resends what a server lacks when it reconnects), while its
 * sender's answer still waits for durability. Every later operation that waits for its own
 * durability also implies that of the earlier updates: the store commits one node's writes in
 * the order they were queued (JdbcStore: one writer queue, batches are prefixes, committed in
 * turn; a failed write fails the room). After a crash, Redis still holds the sequenced updates
 * (fillGaps / fetchMissing store them); the in-process broker does not, so before a room's first
 * early delivery the store is given the epoch the room must start with after a crash (the
 * "crash epoch"), and a clean unload puts the current one back: a room loaded after a crash
 * starts a new epoch and resuming clients get a reset, never a seq reused with other content.
 *
 * <p>Pitfall: seqs must be applied strictly in order; an operation waiting for durability holds
 * back every later one. That is the price of "seen implies stored".
 */
public final class Room implements RoomListener {
  private static final Logger log = LoggerFactory.getLogger(Room.class);

  private final String roomId;
  private final Context context;
  private final Vertx vertx;
  private final Broker broker;
  private final Store store;
  private final PonteMetrics metrics;
  private final RoomOptions options;
  private final Runnable onUnload;
  /** Other rooms on this node, by id (loading them when needed): see {@link #sibling}. */
  private final RoomRegistry siblings;
  /** Each feature's ephemeral side in this room, and which relays each ephemeral event kind. */
  private final Map<Class<?>, FeatureRelay> relays = new java.util.IdentityHashMap<>();
  private final Map<Event.BodyCase, FeatureRelay> relayByEvent = new java.util.EnumMap<>(Event.BodyCase.class);

  private RoomState state;
  private String epoch;
  private long lastSnapshotSeq;
  /** Serialized size of the last snapshot, and of the operations applied since (approximate). */
  private long lastSnapshotBytes;
  private long bytesSinceSnapshot;
  private boolean snapshotInFlight;
  /**
   * Redactions applied while a snapshot was being taken, with their seqs: that snapshot, taken
   * before them, is saved after the store rewrote the older ones, so it is rewritten once saved.
   */
  private final List<AppliedOperation> redactedDuringSnapshot = new ArrayList<>();
  /** Caught up after attaching: from then on a gap in {@link #received} is one the broker skipped. */
  private boolean live;
  private boolean gapFillInFlight;
  private long gapFillNotBeforeMs;
  private long gapLoggedFrom;
  /** When the current gap was first seen, and its last seq then (0: no gap being waited on). */
  private long gapSinceMs;
  private long gapSeenTo;
  /**
   * The highest seq the broker had issued when this node attached: seqs up to it exist even when
   * nothing after them arrives, so a missing one is a gap to fill like any other.
   */
  private long issuedUpTo;
  private static final long GAP_FILL_RETRY_MS = 1_000;
  private boolean unloaded;
  private boolean failed;
  /** {@link #start} completed successfully (the registry may serve the room). */
  private boolean startSucceeded;
  /** This load's broker attachment exists; {@link #detached}: it was let go (see detachOnce). */
  private boolean attached;
  private boolean detached;
  private long idleTimer = -1;
  private long nextRef;

  /** Operations from the broker not yet applied, by seq. */
  private final TreeMap<Long, SequencedOperation> received = new TreeMap<>();
  /** Seqs this node originated that are durable in the store. */
  private final Set<Long> durable = new HashSet<>();
  /** Seqs of other nodes' operations that this node stored (their node died first): it audits them. */
  private final Set<Long> storedHere = new HashSet<>();
  /** Seqs of this node's origin with no request waiting, being stored before they apply. */
  private final Set<Long> adopted = new HashSet<>();
  /**
   * Other nodes' operations applied here but not yet seen in the store, by seq, encoded. Their
   * node may die between sequencing and its store write while every other node has applied and
   * delivered them: after {@link #ADOPT_AFTER_MS} this node stores those the store still lacks.
   */
  private final TreeMap<Long, Unconfirmed> unconfirmed = new TreeMap<>();
  private boolean adoptCheckPending;
  /** Past this many, the oldest are left to a later load, which fills holes from the broker. */
  private static final int MAX_UNCONFIRMED = 20_000;
  static final long ADOPT_AFTER_MS = 5_000;
  /** Document updates of this node applied before they were durable, by seq: answered when durable. */
  private final Map<Long, AppliedOperation> appliedNotDurable = new HashMap<>();
  /** Whether this node's document updates may apply before they are durable (see class doc). */
  private boolean fastPath;
  /** The crash epoch is being written to the store. */
  private boolean fastPathMarking;
  /** The epoch the store holds while the fast path is in use (null: the current one). */
  private String crashEpoch;
  /** Requests this node originated, waiting for their operation to be applied. */
  private final Map<Long, Promise<AppliedOperation>> pending = new HashMap<>();
  /** The last applied events, for resume. */
  private final ResumeWindow recent;
  /** Members by session id. */
  private final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
  /** This node's participants (people, not connections) by user id. */
  private final LinkedHashMap<String, LocalParticipant> local = new LinkedHashMap<>();
  /** The room's participants on every node, as last learnt from the shared presence. */
  private final LinkedHashMap<String, Participant> everywhere = new LinkedHashMap<>();
  private final Presence presence;
  private boolean presenceSyncing;
  private boolean presenceDirty;
  private List<Handler<AsyncResult<Presence.Result>>> presenceWaiters = new ArrayList<>();
  private long renewTimer = -1;
  /** How long a Join waits for the shared presence before it is answered without it. */
  static final long JOIN_PRESENCE_WAIT_MS = 10_000;
  /** Joins waiting for the shared presence; the room is not idle while there are any. */
  private int joining;

  Room(String roomId, Context context, Broker broker, Store store, Presence presence,
      PonteMetrics metrics, RoomOptions options, Runnable onUnload,
      RoomRegistry siblings) {
    this.roomId = roomId;
    this.context = context;
    this.vertx = context.owner();
    this.broker = broker;
    this.store = store;
    this.presence = presence;
    this.metrics = metrics;
    this.options = options;
    this.recent = new ResumeWindow(options.resumeWindow());
    this.onUnload = onUnload;
    this.siblings = siblings;
    for (RoomFeature f : options.features().all()) {
      FeatureRelay relay = f.relay(this);
      if (relay != null) {
        relays.put(relay.getClass(), relay);
        for (Event.BodyCase kind : relay.events()) {
          relayByEvent.put(kind, relay);
        }
      }
    }
  }

  public String roomId() {
    return roomId;
  }

  /** Loads the state from the store, attaches to the broker, catches up. Runs on the room context. */
  Future<Room> start() {
    Promise<Room> started = Promise.promise();
    context.runOnContext(v -> store.load(roomId)
        .compose(stored -> stillLoading().compose(x -> fillGaps(stored)))
        .compose(this::rebuild)
        .compose(stored -> stillLoading()
            .compose(x -> broker.attach(roomId, storedUpTo(stored), epoch, this)))
        .compose(attachment -> {
          attached = true;
          return stillLoading().compose(x -> catchUp(attachment));
        })
        .compose(x -> stillLoading())
        .onFailure(err -> {
          // A load that fails after attaching lets go of the broker before the registry forgets
          // it: left attached, every later load of the room on this node would be refused
          // ("already attached") and no Join answered with the room again.
          unloaded = true;
          detachOnce().onComplete(y -> started.fail(err));
        })
        .onSuccess(x -> {
          if (unloaded || failed) { // given up on right after its last step
            detachOnce().onComplete(y -> started.fail(new RoomUnloadedException()));
            return;
          }
          startSucceeded = true;
          metrics.roomsLoaded().incrementAndGet();
          context.runOnContext(y -> {
            live = true;
            fastPath = broker.historyOutlivesProcess();
            applyReady(); // anything that arrived past a gap while catching up
            for (FeatureRelay relay : relays.values()) {
              relay.applied(state);
            }
          });
          context.runOnContext(y -> startPresenceRenewal());
          started.complete(this);
        }));
    return started.future();
  }

  /** Fails when the load was given up on meanwhile ({@link #abandonLoad}, or {@link #fail}). */
  private Future<Void> stillLoading() {
    return unloaded || failed ? Future.failedFuture(new RoomUnloadedException())
        : Future.succeededFuture();
  }

  /**
   * The registry stopped waiting for {@link #start} (past its bound): a start still under way
   * fails at its next step and lets go of the broker; one that already succeeded is unloaded by
   * the registry when its completion arrives.
   */
  void abandonLoad() {
    context.runOnContext(v -> {
      if (!startSucceeded) {
        unloaded = true;
      }
    });
  }

  /**
   * Detaches this room's broker attachment, once: the broker knows rooms by id, so a second
   * detach could take away the attachment of the room's next load on this node.
   */
  private Future<Void> detachOnce() {
    if (!attached || detached) {
      return Future.succeededFuture();
    }
    detached = true;
    return broker.detach(roomId);
  }

  /**
   * Holes in the stored operations: a node sequenced them in the broker and died before its store
   * write, while other nodes went on storing theirs. Takes them from the broker's history and
   * stores them (idempotent), so the room rebuilds gap-free and keeps what its clients saw.
   */
  private Future<StoredRoom> fillGaps(StoredRoom stored) {
    List<SequencedOperation> ops = stored.operationsAfterSnapshot();
    long from = stored.snapshot() == null ? 0 : stored.snapshot().getSeq();
    if (ops.isEmpty() || ops.get(ops.size() - 1).getSeq() - from == ops.size()) {
      return Future.succeededFuture(stored);
    }
    long last = ops.get(ops.size() - 1).getSeq();
    return broker.history(roomId, from, (int) (last - from)).compose(fromBroker -> {
      TreeMap<Long, SequencedOperation> merged = new TreeMap<>();
      for (SequencedOperation sop : ops) {
        merged.put(sop.getSeq(), sop);
      }
      List<Future<SequencedOperation>> writes = new ArrayList<>();
      for (SequencedOperation sop : fromBroker) {
        if (sop.getSeq() <= last && !merged.containsKey(sop.getSeq())) {
          writes.add(adopt(sop));
        }
      }
      log.info("room {}: filled {} stored operation(s) missing before seq {} from the broker",
          roomId, writes.size(), last);
      if (writes.size() + ops.size() != last - from) {
        // Applied up to the first of them; the room waits gap-skip-after-ms for them, then
        // fills them with placeholders (fillGapFromStore).
        log.error("room {}: {} operation(s) between seqs {} and {} are neither stored nor in the"
            + " broker", roomId, last - from - writes.size() - ops.size(), from, last);
      }
      return Future.all(writes).map(x -> {
        for (Future<SequencedOperation> w : writes) {
          merged.put(w.result().getSeq(), w.result());
        }
        return new StoredRoom(stored.room(), stored.snapshot(), List.copyOf(merged.values()));
      });
    });
  }

  /**
   * Stores an operation another node sequenced (taken from the broker's history); completes with
   * the operation the store holds at its seq afterwards: the store decides a same-seq conflict
   * (see {@link Store#append}), and this node applies what every node will load.
   */
  private Future<SequencedOperation> adopt(SequencedOperation sop) {
    return store.append(roomId, sop).map(sop).recover(err -> {
      if (!(err instanceof io.ponte.server.store.StoreException se)
          || se.kind() != io.ponte.server.store.StoreException.Kind.CONFLICT) {
        return Future.failedFuture(err);
      }
      return store.operations(roomId, sop.getSeq() - 1, 1).compose(found ->
          found.isEmpty() || found.get(0).getSeq() != sop.getSeq()
              ? Future.failedFuture(err) : Future.succeededFuture(found.get(0)));
    });
  }

  /** The highest stored seq: past holes in the stored operations (see {@link #rebuildFrom}). */
  private long storedUpTo(StoredRoom stored) {
    List<SequencedOperation> ops = stored.operationsAfterSnapshot();
    return Math.max(state.seq(), ops.isEmpty() ? 0 : ops.get(ops.size() - 1).getSeq());
  }

  private Future<StoredRoom> rebuild(StoredRoom stored) {
    epoch = stored.room().epoch();
    RoomStateRecord snapshot = stored.snapshot();
    if (snapshot == null || snapshot.getSeq() == 0
        || stored.operationsAfterSnapshot().size() >= options.resumeWindow()
        || snapshot.getSeq() > options.resumeWindow()) {
      return Future.succeededFuture(rebuildFrom(stored, snapshot, List.of()));
    }
    // The operations after the snapshot do not fill the resume window (say the room was
    // snapshotted when it went idle or at shutdown), but the whole history is short: replay it
    // from the start, so clients that were behind the snapshot can still resume without a reset.
    // Costs at most twice the resume window.
    return store.operations(roomId, 0, (int) snapshot.getSeq())
        .map(before -> rebuildFrom(stored, snapshot, before))
        .otherwise(err -> {
          log.warn("room {}: cannot read operations before its snapshot: {}", roomId, err.toString());
          return rebuildFrom(stored, snapshot, List.of());
        });
  }

  /**
   * Rebuilds the state from the snapshot (null: none) and the operations after it. With
   * {@code beforeSnapshot} (operations 1..snapshot seq), replays those from an empty state instead
   * of reading the snapshot, to refill the resume window; falls back to the snapshot when the
   * replay does not give exactly the snapshot's state.
   */
  private StoredRoom rebuildFrom(StoredRoom stored, RoomStateRecord snapshot,
      List<SequencedOperation> beforeSnapshot) {
    state = null;
    recent.clear();
    if (snapshot != null && !beforeSnapshot.isEmpty()
        && beforeSnapshot.size() == snapshot.getSeq()
        && beforeSnapshot.get(beforeSnapshot.size() - 1).getSeq() == snapshot.getSeq()) {
      RoomState replayed = RoomState.create(roomId, stored.room().settings(), options.features());
      ArrayDeque<AppliedOperation> applied = new ArrayDeque<>();
      try {
        for (SequencedOperation sop : beforeSnapshot) {
          applied.addLast(replayed.apply(sop));
          if (applied.size() > options.resumeWindow()) {
            applied.removeFirst();
          }
        }
        if (replayed.toRecord().equals(snapshot)) {
          state = replayed;
          applied.forEach(recent::add);
        } else {
          log.warn("room {}: replaying its operations does not give its snapshot at seq {};"
              + " using the snapshot", roomId, snapshot.getSeq());
        }
      } catch (IllegalStateException e) {
        log.warn("room {}: cannot replay its operations before seq {}: {}; using the snapshot",
            roomId, snapshot.getSeq(), e.getMessage());
      }
    }
    if (state == null) {
      state = snapshot == null
          ? RoomState.create(roomId, stored.room().settings(), options.features())
          : RoomState.fromRecord(snapshot, options.features());
    }
    lastSnapshotSeq = snapshot == null ? 0 : snapshot.getSeq();
    for (SequencedOperation sop : stored.operationsAfterSnapshot()) {
      if (sop.getSeq() != state.seq() + 1) {
        // A hole (fillGaps found the seq nowhere): what follows waits for it in received.
        received.put(sop.getSeq(), sop);
        continue;
      }
      AppliedOperation applied = state.apply(sop);
      remember(applied);
      // A crash may have come between an operation's store write and its audit entry's: record
      // it again (the store keeps one entry per seq).
      recordAudit(applied);
      // ... or its redaction: carry it out again (idempotent; nothing changes when it was done).
      redact(applied, true);
    }
    return stored;
  }

  private Future<Void> catchUp(Broker.Attachment attachment) {
    if (!attachment.epoch().equals(epoch)) {
      // The broker started a new epoch, or it holds the room under the epoch another node gave
      // it (this node's store never saw the room's operations, e.g. a data directory of its own):
      // every client's seq from before is meaningless now; take what the broker has beyond ours.
      epoch = attachment.epoch();
      recent.clear();
      return store.setEpoch(roomId, epoch).compose(x -> attachment.seq() <= state.seq()
          ? Future.succeededFuture() : fetchMissing(attachment));
    }
    if (attachment.seq() <= state.seq()) {
      return Future.succeededFuture();
    }
    return fetchMissing(attachment);
  }

  private Future<Void> fetchMissing(Broker.Attachment attachment) {
    // Operations the broker sequenced that the store does not have: their node may have died
    // between sequencing and its store write. Store them (idempotent when that node did write
    // them) before applying, so nothing any client saw can be lost with Redis later.
    return broker.history(roomId, state.seq(), (int) (attachment.seq() - state.seq()))
        .compose(ops -> {
          if (!ops.isEmpty() && ops.get(0).getSeq() != state.seq() + 1) {
            log.error("room {}: the broker's history starts at seq {}, the store ends at {}:"
                + " operations in between are lost", roomId, ops.get(0).getSeq(), state.seq());
          }
          List<Future<SequencedOperation>> writes = new ArrayList<>();
          for (SequencedOperation sop : ops) {
            writes.add(adopt(sop));
          }
          return Future.all(writes).map(x -> {
            issuedUpTo = Math.max(issuedUpTo, attachment.seq());
            for (Future<SequencedOperation> w : writes) {
              SequencedOperation sop = w.result();
              if (sop.getSeq() > state.seq()) {
                storedHere.add(sop.getSeq());
              }
              onOperation(sop);
            }
            return (Void) null;
          });
        });
  }

  // ------------------------------------------------------------------------------------------
  // Broker listener
  // ------------------------------------------------------------------------------------------

  @Override
  public void onOperation(SequencedOperation sop) {
    if (unloaded || sop.getSeq() <= state.seq()) {
      return;
    }
    received.put(sop.getSeq(), sop);
    applyReady();
  }

  @Override
  public void onEphemeral(byte[] payload) {
    if (unloaded) {
      return;
    }
    Event event;
    try {
      event = Event.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      log.warn("room {}: dropping an unreadable ephemeral message", roomId);
      return;
    }
    if (event.hasPresence()) {
      learn(event.getPresence());
    }
    FeatureRelay relay = relayByEvent.get(event.getBodyCase());
    if (relay != null) {
      relay.observe(event);
    }
    OutboundMessage message = OutboundMessage.event(event);
    String actor = event.getActor().getUserId();
    boolean typing = event.getBodyCase() == Event.BodyCase.TYPING;
    for (Member m : members.values()) {
      if (typing && m.member.userId().equals(actor)
          || relay != null && !relay.deliverTo(event, m.member, m.role)) {
        continue;
      }
      m.member.send(message);
    }
  }

  @Override
  public void onSeqRegressed() {
    // Redis went back (a failover lost its last writes) and re-issues seqs this room applied:
    // load it again under a new epoch; its clients resume and get a reset.
    fail("the broker re-issued seqs already applied",
        new IllegalStateException("broker seq regressed"));
  }

  private void applyReady() {
    while (!received.isEmpty() || state.seq() < issuedUpTo) {
      long next = state.seq() + 1;
      SequencedOperation sop = received.get(next);
      if (sop == null) {
        if (!received.isEmpty() && received.firstKey() < next) {
          received.pollFirstEntry();
          continue;
        }
        if (live) {
          fillGapFromStore(next, received.isEmpty() ? issuedUpTo : received.firstKey() - 1);
        }
        return;
      }
      boolean ours = options.nodeId().equals(sop.getOperation().getOriginNode());
      boolean early = false;
      if (ours && !durable.remove(next)) {
        if (fastPath && pending.containsKey(sop.getOperation().getOriginRef())
            && deliversBeforeDurable(sop.getOperation())) {
          early = true; // its store write is queued; its sender hears once it is durable
        } else {
          if (!pending.containsKey(sop.getOperation().getOriginRef()) && adopted.add(next)) {
            // Sequenced although its append looked failed here (Redis timed out or the connection
            // dropped after the script ran), or by an earlier run of this node: nobody is storing
            // it, so store it now; its sender got a retryable error and its retry is deduplicated.
            persist(sop);
          }
          return;
        }
      }
      adopted.remove(next);
      received.remove(next);
      AppliedOperation applied = state.apply(sop);
      remember(applied);
      redact(applied, ours);
      boolean stored = storedHere.remove(next);
      if (!ours && !stored) {
        watchUnconfirmed(sop);
      }
      if (stored || ours) {
        // The node that stored the operation records its audit entry: once, though every node
        // applies it.
        recordAudit(applied);
      }
      deliver(applied);
      if (early) {
        appliedNotDurable.put(next, applied);
      } else if (ours) {
        // Answer the sender before carrying out effects that may close its connection (ending
        // the session): its ack is then queued ahead of the goodbye.
        Promise<AppliedOperation> p = pending.remove(sop.getOperation().getOriginRef());
        if (p != null) {
          p.complete(applied);
        }
      }
      carryOut(applied);
      if (applied.accepted()) {
        for (FeatureRelay relay : relays.values()) {
          relay.applied(applied, state);
        }
      }
      if (live) {
        for (FeatureRelay relay : relays.values()) {
          relay.applied(state);
        }
      }
    }
    maybeSnapshot();
  }

  /**
   * The broker delivered past seqs it could not fetch (its stream no longer reaches back: this node
   * fell behind by more than the stream's length, say its pub/sub connection was down while the
   * room was busy), or the room loaded with seqs neither stored nor in the broker. Every operation
   * is stored by the node that sequenced it before that node acknowledges it, so a cluster's
   * shared store has them: take them from there, trying again every second while some are not
   * stored yet (or the store is unreachable).
   *
   * <p>A seq still missing after {@code gap-skip-after-ms} is lost: its node sequenced it and died
   * before storing it, and the stream was trimmed before any node adopted it. It was never
   * acknowledged, so the room fills it with a skipped placeholder ({@link #fillSkipped}) rather
   * than stop at it for ever.
   */
  private void fillGapFromStore(long from, long to) {
    if (gapFillInFlight || unloaded || failed || System.currentTimeMillis() < gapFillNotBeforeMs) {
      return;
    }
    long now = System.currentTimeMillis();
    if (gapSinceMs == 0 || from > gapSeenTo) {
      // A new gap: its seqs have been missing since now. (From within the one seen before: the
      // store filled its start, the rest has been missing since then.)
      gapSinceMs = now;
      gapSeenTo = to;
    }
    gapFillInFlight = true;
    store.operations(roomId, from - 1, (int) Math.min(Integer.MAX_VALUE, to - from + 1))
        .onComplete(ar -> onRoomContext(() -> {
          gapFillInFlight = false;
          if (unloaded || failed) {
            return;
          }
          int found = 0;
          Set<Long> stored = new HashSet<>();
          if (ar.succeeded()) {
            for (SequencedOperation sop : ar.result()) {
              stored.add(sop.getSeq());
              if (sop.getSeq() > state.seq() && received.putIfAbsent(sop.getSeq(), sop) == null) {
                found++;
              }
            }
          }
          if (found > 0 || gapLoggedFrom != from) {
            gapLoggedFrom = from;
            log.warn("room {}: seqs {}..{} were skipped by the broker; {} found in the store{}",
                roomId, from, to, found, ar.failed() ? " (store: " + ar.cause() + ")" : "");
          }
          gapFillNotBeforeMs = System.currentTimeMillis() + GAP_FILL_RETRY_MS;
          if (ar.succeeded() && !stored.contains(from)
              && System.currentTimeMillis() - gapSinceMs >= options.gapSkipAfterMs()) {
            List<Long> lost = new ArrayList<>();
            for (long seq = from; seq <= Math.min(to, gapSeenTo); seq++) {
              if (!stored.contains(seq)) {
                lost.add(seq);
              }
            }
            fillSkipped(lost);
            return;
          }
          applyReady();
          if (!received.isEmpty() && received.firstKey() > state.seq() + 1
              || received.isEmpty() && state.seq() < issuedUpTo) {
            vertx.setTimer(GAP_FILL_RETRY_MS, t -> onRoomContext(this::applyReady));
          }
        }));
  }

  /**
   * Fills lost seqs with skipped placeholders through the store's conditional write: of several
   * nodes filling a seq, one wins, and every node applies the operation the store then holds (the
   * placeholder, or the real one if its node stored it at last), so seqs stay gap-free and the
   * same everywhere. The winner logs and counts it; no content is logged (there is none).
   */
  private void fillSkipped(List<Long> seqs) {
    gapFillInFlight = true;
    long now = System.currentTimeMillis();
    List<SequencedOperation> mine = new ArrayList<>();
    List<Future<SequencedOperation>> writes = new ArrayList<>();
    for (long seq : seqs) {
      SequencedOperation placeholder = SequencedOperation.newBuilder()
          .setSeq(seq)
          .setEpoch(epoch)
          .setOperation(Operation.newBuilder()
              .setServerTimeMs(now)
              .setSeqSkipped(io.ponte.protocol.v1.SeqSkipped.newBuilder().setNode(options.nodeId())))
          .build();
      mine.add(placeholder);
      writes.add(store.fillSkipped(roomId, placeholder));
    }
    Future.join(writes).onComplete(ar -> onRoomContext(() -> {
      gapFillInFlight = false;
      if (unloaded || failed) {
        return;
      }
      int won = 0;
      for (int i = 0; i < writes.size(); i++) {
        Future<SequencedOperation> w = writes.get(i);
        if (w.failed()) {
          continue; // tried again with the next gap fill
        }
        if (w.result().equals(mine.get(i))) {
          won++;
        }
        if (w.result().getSeq() > state.seq()) {
          received.putIfAbsent(w.result().getSeq(), w.result());
        }
      }
      if (won > 0) {
        metrics.seqsSkipped(won);
        log.error("room {}: {} seq(s) from {} to {} were neither in the broker nor stored after"
            + " {} ms (their node died before storing them; never acknowledged): filled with"
            + " skipped placeholders", roomId, won, seqs.get(0), seqs.get(seqs.size() - 1),
            options.gapSkipAfterMs());
      }
      if (ar.failed()) {
        log.warn("room {}: cannot store placeholders for lost seqs, retrying: {}", roomId,
            ar.cause().toString());
        vertx.setTimer(GAP_FILL_RETRY_MS, t -> onRoomContext(this::applyReady));
      } else {
        gapSinceMs = 0;
      }
      applyReady();
    }));
  }

  /** Writes the audit entry of a teacher's or admin's action just applied (none for others). */
  private void recordAudit(AppliedOperation applied) {
    AuditNote note = state.audit(applied);
    if (note == null) {
      return;
    }
    store.appendAudit(auditEntry(roomId, applied.operation(), note)).onFailure(err ->
        log.warn("room {}: cannot record the audit entry of seq {}: {}", roomId, applied.seq(),
            err.toString()));
  }

  /** The audit entry of an applied operation, as the feature noted it. */
  static AuditEntry auditEntry(String roomId, SequencedOperation sop, AuditNote note) {
    Actor actor = sop.getOperation().getActor();
    return AuditEntry.newBuilder()
        .setRoomId(roomId)
        .setSeq(sop.getSeq())
        .setTimeMs(sop.getOperation().getServerTimeMs())
        .setActorUserId(actor.getUserId())
        .setActorName(actor.getDisplayName())
        .setActorRole(roleName(actor.getRole()))
        .setAction(note.action())
        .setTargetUserId(note.targetUserId())
        .setTarget(note.target())
        .setDetail(note.detail())
        .build();
  }

  /** How the audit log names a role; an operation without one comes from the admin API. */
  public static String roleName(Role role) {
    return switch (role) {
      case TEACHER -> "teacher";
      case STUDENT -> "student";
      case OBSERVER -> "observer";
      default -> "admin";
    };
  }

  /** A page of this room's audit log, newest first (see {@link Store#audit}). */
  public Future<List<AuditEntry>> auditLog(String actorUserId, long beforeId, int limit) {
    return store.audit(new AuditQuery(roomId, actorUserId, 0, 0, beforeId, limit));
  }

  /**
   * Carries out an applied operation's redaction (see {@link Redaction}) in what this node holds:
   * its resume window and its store (a shared store is rewritten by every node alike; rows another
   * node has not stored yet are redacted by that node, which applies the same operation after
   * storing them) and the snapshots taken before it. The broker's history is rewritten
   * by the node that originated the operation ({@code toBroker}), and by every node loading the
   * room, in case that one crashed first.
   */
  private void redact(AppliedOperation applied, boolean toBroker) {
    Redaction r = applied.redaction();
    if (r == null) {
      return;
    }
    for (long seq : r.seqs()) {
      recent.rewrite(seq, r.event());
      Unconfirmed u = unconfirmed.get(seq);
      if (u != null) {
        SequencedOperation before = u.operation();
        unconfirmed.put(seq, new Unconfirmed(before.toBuilder()
            .setOperation(r.operation().apply(before.getOperation())).setRedacted(true).build(),
            u.appliedMs()));
      }
    }
    long seq = applied.seq();
    if (snapshotInFlight) {
      redactedDuringSnapshot.add(applied);
    }
    store.redact(roomId, r.seqs(), r.operation(), seq, r.snapshot()).onFailure(err ->
        log.warn("room {}: cannot redact the operations before seq {} in the store: {}", roomId,
            seq, err.toString()));
    if (toBroker) {
      broker.redact(roomId, r.seqs(), r.operation()).onFailure(err ->
          log.warn("room {}: cannot redact the operations before seq {} in the broker: {}",
              roomId, seq, err.toString()));
    }
  }

  /** Kept as the (immutable) message itself: it shares its parts with the applied state. */
  private record Unconfirmed(SequencedOperation operation, long appliedMs) {}

  private void watchUnconfirmed(SequencedOperation sop) {
    if (sop.getOperation().getBodyCase() == Operation.BodyCase.SEQ_SKIPPED) {
      return; // only ever exists because the store holds it
    }
    SequencedOperation withEpoch = sop.getEpoch().isEmpty() ? sop.toBuilder().setEpoch(epoch).build() : sop;
    unconfirmed.put(sop.getSeq(), new Unconfirmed(withEpoch, System.currentTimeMillis()));
    if (unconfirmed.size() > MAX_UNCONFIRMED) {
      unconfirmed.pollFirstEntry();
    }
    armAdoptCheck();
  }

  private void armAdoptCheck() {
    if (adoptCheckPending || unconfirmed.isEmpty() || unloaded || failed) {
      return;
    }
    adoptCheckPending = true;
    vertx.setTimer(ADOPT_AFTER_MS, t -> onRoomContext(() -> {
      if (unloaded || failed) {
        adoptCheckPending = false;
        return;
      }
      adoptUnconfirmed(System.currentTimeMillis() - ADOPT_AFTER_MS)
          .onComplete(ar -> onRoomContext(() -> {
            adoptCheckPending = false;
            armAdoptCheck();
          }));
    }));
  }

  /**
   * Stores the unconfirmed operations applied before {@code appliedBeforeMs} that the store still
   * lacks (their node died before storing them), and forgets those it holds. Idempotent: a row
   * stored meanwhile by its own node is identical.
   */
  private Future<Void> adoptUnconfirmed(long appliedBeforeMs) {
    List<Long> due = new ArrayList<>();
    for (Map.Entry<Long, Unconfirmed> e : unconfirmed.entrySet()) {
      if (e.getValue().appliedMs() <= appliedBeforeMs) {
        due.add(e.getKey());
      }
    }
    if (due.isEmpty()) {
      return Future.succeededFuture();
    }
    long from = due.get(0);
    long to = due.get(due.size() - 1);
    return store.storedSeqs(roomId, from, to).compose(held -> {
      Promise<Void> done = Promise.promise();
      onRoomContext(() -> {
        Set<Long> have = new HashSet<>(held);
        List<Future<Void>> writes = new ArrayList<>();
        for (long seq : due) {
          Unconfirmed u = unconfirmed.get(seq);
          if (u == null) {
            continue;
          }
          if (have.contains(seq)) {
            unconfirmed.remove(seq);
          } else {
            writes.add(store.append(roomId, u.operation()).onSuccess(x -> onRoomContext(() -> {
              if (unconfirmed.get(seq) == u) {
                unconfirmed.remove(seq);
              }
            })));
          }
        }
        if (!writes.isEmpty()) {
          log.warn("room {}: storing {} operation(s) between seqs {} and {} that their node did"
              + " not store", roomId, writes.size(), from, to);
          metrics.operationsAdopted(writes.size());
        }
        Future.join(writes).<Void>mapEmpty().onComplete(done);
      });
      return done.future();
    }).onFailure(err -> log.warn("room {}: cannot check the store for other nodes' operations: {}",
        roomId, err.toString()));
  }

  /**
   * A retry of an operation this room already applied is answered as a duplicate only once that
   * operation is durable: applied here from another node (or early) is not enough.
   */
  private Future<Void> durableForDuplicate(long seq) {
    Unconfirmed u = unconfirmed.get(seq);
    AppliedOperation early = appliedNotDurable.get(seq);
    if (u == null && early == null) {
      return Future.succeededFuture();
    }
    SequencedOperation sop = u != null ? u.operation()
        : early.operation().toBuilder().setEpoch(epoch).build();
    return store.append(roomId, sop).onSuccess(x -> onRoomContext(() -> {
      if (u != null && unconfirmed.get(seq) == u) {
        unconfirmed.remove(seq);
      }
    }));
  }

  private void remember(AppliedOperation applied) {
    bytesSinceSnapshot += applied.operation().getSerializedSize();
    recent.add(applied);
  }

  private void deliver(AppliedOperation applied) {
    OutboundMessage full = OutboundMessage.event(applied.event());
    OutboundMessage skipped = applied.privateTo().isEmpty()
        ? full : OutboundMessage.event(applied.skippedEvent());
    for (Member m : members.values()) {
      m.member.send(applied.visibleTo(m.member.userId(), m.role) ? full : skipped);
    }
  }

  private void carryOut(AppliedOperation applied) {
    switch (applied.effect()) {
      case USER_REMOVED -> {
        for (Member m : List.copyOf(members.values())) {
          if (m.member.userId().equals(applied.affectedUser())) {
            dropMember(m);
            m.member.leftRoom(roomId, LeftReason.LEFT_REMOVED);
            m.member.close(CloseCode.REMOVED, "removed from room " + roomId);
          }
        }
      }
      case SESSION_ENDED, ROOM_CLOSED -> {
        // Starts the retention period; idempotent, so every node may record it.
        long endedMs = Math.max(1, applied.event().getServerTimeMs());
        store.markEnded(roomId, endedMs)
            .onFailure(err -> log.warn("room {}: cannot record its end: {}", roomId, err.toString()));
        // The broker's copy must not outlive the retention period, even if no sweep comes.
        long days = Math.min(options.maxRetentionDays(),
            Integer.toUnsignedLong(state.settings().getRetentionDays()));
        broker.expireAt(roomId, endedMs + days * 86_400_000L)
            .onFailure(err -> log.warn("room {}: cannot set its broker expiry: {}", roomId, err.toString()));
        LeftReason reason = applied.effect() == RoomState.Effect.SESSION_ENDED
            ? LeftReason.LEFT_SESSION_ENDED : LeftReason.LEFT_ROOM_CLOSED;
        for (Member m : List.copyOf(members.values())) {
          dropMember(m);
          m.member.leftRoom(roomId, reason);
        }
      }
      default -> { }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Requests from connections (any thread)
  // ------------------------------------------------------------------------------------------

  /**
   * Sequences an operation for a member; completes once it is applied (or fails with a
   * {@link RoomException} when it is refused before sequencing or cannot be sequenced).
   * Stamps time, origin and sender.
   */
  public Future<AppliedOperation> submit(Operation operation) {
    Promise<AppliedOperation> result = Promise.promise();
    context.runOnContext(v -> {
      if (unloaded || failed) {
        result.fail(new RoomException(ErrorCode.UNAVAILABLE, "room is being unloaded, retry"));
        return;
      }
      Actor actor = operation.getActor();
      long earlier = state.appliedSeq(actor.getUserId(), operation.getClientMsgId());
      if (earlier != 0) {
        AppliedOperation duplicate = new AppliedOperation(
            SequencedOperation.newBuilder().setSeq(earlier).setOperation(operation).build(),
            Event.getDefaultInstance(), "", null, earlier, RoomState.Effect.NONE, "");
        durableForDuplicate(earlier).onComplete(ar -> {
          if (ar.succeeded()) {
            result.complete(duplicate);
          } else {
            result.fail(new RoomException(ErrorCode.UNAVAILABLE, "cannot store now, retry"));
          }
        });
        return;
      }
      ErrorInfo early = state.check(operation);
      if (early != null) {
        result.fail(new RoomException(early));
        return;
      }
      if (state.changesNothing(operation)) {
        // Adds nothing (a Yjs provider's resend on reconnect, a retry): not sequenced nor stored.
        // Answered like a duplicate of the room's current seq, at which the state holds it.
        result.complete(new AppliedOperation(
            SequencedOperation.newBuilder().setSeq(state.seq()).setOperation(operation).build(),
            Event.getDefaultInstance(), "", null, state.seq(), RoomState.Effect.NONE, ""));
        return;
      }
      if (deliversBeforeDurable(operation)) {
        startFastPath();
      }
      long ref = ++nextRef;
      Operation stamped = operation.toBuilder()
          .setServerTimeMs(System.currentTimeMillis())
          .setOriginNode(options.nodeId())
          .setOriginRef(ref)
          .build();
      pending.put(ref, result);
      broker.append(roomId, stamped)
          .onFailure(err -> {
            pending.remove(ref);
            log.warn("room {}: broker refused an operation: {}", roomId, err.toString());
            result.tryFail(new RoomException(ErrorCode.UNAVAILABLE, "cannot sequence now, retry"));
            if (String.valueOf(err.getMessage()).startsWith("PONTE_EPOCH")) {
              // Redis lost the room (flushed or replaced while this node held it): load it again
              // under a new epoch; its clients resume and get a reset.
              fail("the broker lost the room's epoch", err);
            }
          })
          .onSuccess(seq -> persist(SequencedOperation.newBuilder()
              .setSeq(seq).setOperation(stamped).setEpoch(epoch).build()));
    });
    return result.future();
  }

  private boolean deliversBeforeDurable(Operation op) {
    RoomFeature owner = options.features().owner(op.getBodyCase());
    return owner != null && owner.deliversBeforeDurable(op.getBodyCase());
  }

  /**
   * With a broker that forgets on a crash, gives the store the room's crash epoch before the
   * first early delivery (updates until then take the durable path). Once per load.
   */
  private void startFastPath() {
    if (fastPath || fastPathMarking || crashEpoch != null || broker.historyOutlivesProcess()) {
      return;
    }
    fastPathMarking = true;
    String next = java.util.UUID.randomUUID().toString();
    store.setEpoch(roomId, next).onComplete(ar -> onRoomContext(() -> {
      fastPathMarking = false;
      if (ar.succeeded() && !unloaded) {
        crashEpoch = next;
        fastPath = true;
      } else if (ar.failed()) {
        log.warn("room {}: cannot record its crash epoch, documents stay on the durable path: {}",
            roomId, ar.cause().toString());
      }
    }));
  }

  private void persist(SequencedOperation sop) {
    long started = System.nanoTime();
    store.append(roomId, sop).onComplete(ar -> onRoomContext(() -> {
      if (ar.failed()) {
        fail("store write failed for seq " + sop.getSeq(), ar.cause());
        return;
      }
      metrics.storeCommit(System.nanoTime() - started);
      AppliedOperation early = appliedNotDurable.remove(sop.getSeq());
      if (early != null) {
        Promise<AppliedOperation> p = pending.remove(sop.getOperation().getOriginRef());
        if (p != null) {
          p.complete(early);
        }
        return;
      }
      durable.add(sop.getSeq());
      applyReady();
    }));
  }

  /**
   * Runs the task on the room's context: at once when already there (the store completes on the
   * context that called it), else queued. Every extra hop queues behind the event loop's pending
   * flushes, which is where delivery latency goes under load.
   */
  private void onRoomContext(Runnable task) {
    if (Vertx.currentContext() == context) {
      task.run();
    } else {
      context.runOnContext(v -> task.run());
    }
  }

  /** Joins (or resumes) a member; completes with the Joined to send, or fails with RoomException. */
  public Future<Void> join(RoomMember member, Role role, Join request, long requestId) {
    Promise<Void> result = Promise.promise();
    context.runOnContext(v -> {
      if (unloaded || failed) {
        result.fail(new RoomUnloadedException());
        return;
      }
      ErrorInfo refused = admission(member, role, request);
      if (refused != null) {
        result.fail(new RoomException(refused));
        return;
      }
      cancelIdleTimer();
      LocalParticipant p = local.get(member.userId());
      if (p == null) {
        p = new LocalParticipant(Participant.newBuilder()
            .setUserId(member.userId())
            .setDisplayName(member.displayName())
            .setRole(role)
            .setState(PresenceState.ACTIVE), System.currentTimeMillis());
        local.put(member.userId(), p);
      } else if (role == Role.TEACHER || p.participant.getRole() != Role.TEACHER) {
        p.participant.setRole(role);
      }
      p.sessions.add(member.sessionId());
      joining++;
      // The participant list comes from the shared presence (every node), so the Joined waits
      // for this node's entry to be recorded there; at most JOIN_PRESENCE_WAIT_MS, then it goes
      // with the participants known here (as when the presence fails): a Join is always answered.
      boolean[] answered = new boolean[1];
      Handler<AsyncResult<Presence.Result>> proceed = ar -> {
        if (answered[0]) {
          return;
        }
        answered[0] = true;
        joining--;
        if (unloaded || failed) {
          forgetSession(member);
          result.fail(new RoomUnloadedException());
          return;
        }
        Member m = new Member(member, role);
        members.put(member.sessionId(), m);
        Joined.Builder joined = Joined.newBuilder()
            .setRoomId(roomId)
            .setEpoch(epoch)
            .setSeq(state.seq())
            .setRole(role);
        List<Event> missed = missedSince(request, member.userId(), role);
        if (missed == null) {
          joined.setReset(true)
              .setSnapshot(state.snapshotFor(member.userId(), role));
        } else {
          joined.addAllMissed(missed);
        }
        joined.addAllParticipants(ar.succeeded() ? ar.result().participants() : knownParticipants());
        member.joined(this, role);
        member.send(OutboundMessage.of(
            ServerMessage.newBuilder().setRequestId(requestId).setJoined(joined).build()));
        result.complete();
      };
      long waited = vertx.setTimer(JOIN_PRESENCE_WAIT_MS, id -> onContext(() -> proceed.handle(
          Future.failedFuture("the shared presence did not answer within "
              + JOIN_PRESENCE_WAIT_MS + " ms"))));
      syncPresence(ar -> {
        vertx.cancelTimer(waited);
        proceed.handle(ar);
      });
    });
    return result.future();
  }

  private ErrorInfo admission(RoomMember member, Role role, Join request) {
    if (members.containsKey(member.sessionId())) {
      return ErrorCodes.error(ErrorCode.ALREADY_IN_ROOM, "already in this room", roomId);
    }
    if ((state.closed() || state.ended()) && !state.admitsAfterEnd(role)) {
      return ErrorCodes.error(ErrorCode.ROOM_ENDED, "the session has ended", roomId);
    }
    if (state.isBanned(member.userId())) {
      return ErrorCodes.error(ErrorCode.BANNED, "removed from this room by a teacher", roomId);
    }
    // A resume (this room's epoch and a seq it has reached) comes from someone who was in the
    // room before a reconnect or a node restart: not a newcomer.
    boolean resuming = request.getLastSeq() > 0 && request.getEpoch().equals(epoch)
        && request.getLastSeq() <= state.seq();
    boolean present = local.containsKey(member.userId())
        || everywhere.containsKey(member.userId()) || resuming;
    // A lock keeps newcomers out; teachers, people already in (another tab) and people resuming
    // still get in.
    if (state.locked() && role != Role.TEACHER && !present) {
      return ErrorCodes.error(ErrorCode.ROOM_LOCKED, "the room is locked", roomId);
    }
    int max = Math.min(options.maxParticipantsCap(),
        Math.max(1, state.settings().getMaxParticipants()));
    if (!present && role != Role.TEACHER && participantCount() >= max) {
      return ErrorCodes.error(ErrorCode.ROOM_FULL, "the room is full", roomId);
    }
    return null;
  }

  /** The events a resuming member missed, or null when a reset snapshot is needed. */
  private List<Event> missedSince(Join request, String userId, Role role) {
    long last = request.getLastSeq();
    if (last == 0 || !request.getEpoch().equals(epoch) || last > state.seq()) {
      return null;
    }
    if (last + 1 < recent.oldestSeq(state.seq() + 1)) {
      return null;
    }
    return recent.after(last, roomId, userId, role);
  }

  /** Removes a member at its request or because its connection closed. */
  public Future<Void> leave(RoomMember member) {
    Promise<Void> result = Promise.promise();
    context.runOnContext(v -> {
      Member m = members.get(member.sessionId());
      if (m == null) {
        result.fail(new RoomException(ErrorCode.NOT_IN_ROOM, "not in this room"));
        return;
      }
      dropMember(m);
      result.complete();
    });
    return result.future();
  }

  private void dropMember(Member m) {
    members.remove(m.member.sessionId());
    for (FeatureRelay relay : relays.values()) {
      relay.left(m.member, m.role);
    }
    forgetSession(m.member);
    if (members.isEmpty()) {
      scheduleIdleUnload();
    }
  }

  /** Removes a connection from this node's presence and shares the change. */
  private void forgetSession(RoomMember member) {
    LocalParticipant p = local.get(member.userId());
    if (p != null && p.sessions.remove(member.sessionId())) {
      if (p.sessions.isEmpty()) {
        local.remove(member.userId());
      }
      syncPresence(null);
    }
  }

  /**
   * Takes a user's connections on this node out of the room (they get {@code Left} with the
   * reason; their connections stay open): for a feature that moves people between rooms. Their
   * admission is the feature's business; this changes no state.
   */
  public void dismiss(String userId, LeftReason reason) {
    context.runOnContext(v -> {
      for (Member m : List.copyOf(members.values())) {
        if (m.member.userId().equals(userId)) {
          dropMember(m);
          m.member.leftRoom(roomId, reason);
        }
      }
    });
  }

  /** Away/active state of a member's user. */
  public void updatePresence(RoomMember member, PresenceState newState) {
    context.runOnContext(v -> {
      LocalParticipant p = local.get(member.userId());
      if (p == null || !members.containsKey(member.sessionId())
          || p.participant.getState() == newState) {
        return;
      }
      p.participant.setState(newState);
      syncPresence(null);
    });
  }

  /** A typing indicator (the connection already rate-limited it). */
  public void typing(RoomMember member, Role role, boolean typing) {
    Event event = Event.newBuilder()
        .setRoomId(roomId)
        .setServerTimeMs(System.currentTimeMillis())
        .setActor(actor(member, role))
        .setTyping(TypingChanged.newBuilder().setUserId(member.userId()).setTyping(typing))
        .build();
    broker.publishEphemeral(roomId, event.toByteArray());
  }

  // ------------------------------------------------------------------------------------------
  // Shared presence (room context)
  // ------------------------------------------------------------------------------------------

  /**
   * Writes this node's participants to the shared presence, then hands the result to
   * {@code then} (may be null) and announces what changed. One sync at a time per room: writes
   * asked for meanwhile share the next one, which carries the state of that moment.
   */
  private void syncPresence(Handler<AsyncResult<Presence.Result>> then) {
    if (then != null) {
      presenceWaiters.add(then);
    }
    presenceDirty = true;
    if (!presenceSyncing) {
      runPresenceSync();
    }
  }

  private void runPresenceSync() {
    presenceSyncing = true;
    presenceDirty = false;
    List<Handler<AsyncResult<Presence.Result>>> waiters = presenceWaiters;
    presenceWaiters = new ArrayList<>();
    LinkedHashMap<String, Presence.Entry> entries = new LinkedHashMap<>();
    for (Map.Entry<String, LocalParticipant> e : local.entrySet()) {
      LocalParticipant p = e.getValue();
      entries.put(e.getKey(), new Presence.Entry(
          p.participant.setConnections(p.sessions.size()).build(), p.sinceMs));
    }
    presence.sync(roomId, entries).onComplete(ar -> onContext(() -> {
      if (ar.succeeded()) {
        everywhere.clear();
        for (Participant p : ar.result().participants()) {
          everywhere.put(p.getUserId(), p);
        }
      } else {
        log.warn("room {}: cannot share presence: {}", roomId, ar.cause().toString());
      }
      for (Handler<AsyncResult<Presence.Result>> w : waiters) {
        w.handle(ar);
      }
      if (ar.succeeded()) {
        for (Presence.Change change : ar.result().changes()) {
          publishPresence(change);
        }
      }
      if (presenceDirty) {
        runPresenceSync();
      } else {
        presenceSyncing = false;
      }
    }));
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  private void startPresenceRenewal() {
    long every = presence.renewIntervalMs();
    if (every <= 0 || unloaded) {
      return;
    }
    syncPresence(null);
    renewTimer = vertx.setPeriodic(every, id -> context.runOnContext(v -> {
      if (!unloaded) {
        syncPresence(ar -> {
          if (ar.succeeded()) {
            metrics.presenceLeaseRenewal();
          }
        });
      }
    }));
  }

  /** Stops renewing and takes this node's people out of the shared presence. */
  private Future<Void> stopPresence() {
    if (renewTimer >= 0) {
      vertx.cancelTimer(renewTimer);
      renewTimer = -1;
    }
    local.clear();
    Promise<Void> done = Promise.promise();
    syncPresence(ar -> done.complete());
    return done.future();
  }

  /** A presence diff from any node (ours too): keeps the room's participant list current. */
  private void learn(PresenceChanged diff) {
    Participant p = diff.getParticipant();
    if (diff.getKind() == PresenceChanged.Kind.LEFT) {
      everywhere.remove(p.getUserId());
    } else {
      everywhere.put(p.getUserId(), p);
    }
  }

  /** The participants as known here: the shared list, with this node's own people in it. */
  private List<Participant> knownParticipants() {
    LinkedHashMap<String, Participant> out = new LinkedHashMap<>(everywhere);
    for (Map.Entry<String, LocalParticipant> e : local.entrySet()) {
      if (!out.containsKey(e.getKey())) {
        LocalParticipant p = e.getValue();
        out.put(e.getKey(), p.participant.setConnections(p.sessions.size()).build());
      }
    }
    return List.copyOf(out.values());
  }

  private int participantCount() {
    int n = everywhere.size();
    for (String userId : local.keySet()) {
      if (!everywhere.containsKey(userId)) {
        n++;
      }
    }
    return n;
  }

  private void publishPresence(Presence.Change change) {
    Participant p = change.after() != null ? change.after() : change.before();
    Event event = Event.newBuilder()
        .setRoomId(roomId)
        .setServerTimeMs(System.currentTimeMillis())
        .setActor(Actor.newBuilder().setUserId(p.getUserId()).setDisplayName(p.getDisplayName())
            .setRole(p.getRole()))
        .setPresence(PresenceChanged.newBuilder().setKind(change.kind()).setParticipant(p))
        .build();
    broker.publishEphemeral(roomId, event.toByteArray());
  }

  // ------------------------------------------------------------------------------------------
  // For features (any thread unless said otherwise)
  // ------------------------------------------------------------------------------------------

  /** Runs a feature's room-side request on the room's context, with the room's state. */
  public <T> Future<T> call(java.util.function.Function<RoomState, Future<T>> task) {
    Promise<T> result = Promise.promise();
    onRoomContext(() -> {
      Future<T> f;
      try {
        f = task.apply(state);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(result);
    });
    return result.future();
  }

  /** A participant of the room on any node as this node knows them now, or null. */
  public Future<Participant> participant(String userId) {
    Promise<Participant> result = Promise.promise();
    onRoomContext(() -> {
      Participant found = null;
      for (Participant p : knownParticipants()) {
        if (p.getUserId().equals(userId)) {
          found = p;
        }
      }
      result.complete(found);
    });
    return result.future();
  }

  /** Reads the room's state on its context. */
  public <T> Future<T> read(java.util.function.Function<RoomState, T> read) {
    return call(state -> Future.succeededFuture(read.apply(state)));
  }

  /**
   * Another room, from this node's registry (loaded when needed): for a feature whose operations
   * lead to operations in a room of its own (a breakout ending when its parent closes it).
   * Fails with RoomException ROOM_NOT_FOUND for an id the store does not know.
   */
  public Future<Room> sibling(String otherRoomId) {
    return siblings.room(otherRoomId);
  }

  /** Another room if this node holds it now (loading nothing), else null. */
  public Room loadedSibling(String otherRoomId) {
    return siblings.loadedRoom(otherRoomId);
  }

  /** A feature's relay in this room, by its class. Room context only. */
  public <T extends FeatureRelay> T relay(Class<T> type) {
    FeatureRelay r = relays.get(type);
    if (r == null) {
      throw new IllegalStateException("room " + roomId + " has no relay " + type.getSimpleName());
    }
    return type.cast(r);
  }

  /**
   * A relay let go of what held the room ({@link FeatureRelay#holdsRoom}): with nobody in it on
   * this node, the room may unload after the idle time. Room context only.
   */
  public void released() {
    if (members.isEmpty() && !unloaded && idleTimer < 0) {
      scheduleIdleUnload();
    }
  }

  /** Whether the member is in the room on this node. Room context only. */
  public boolean hasMember(RoomMember member) {
    return members.containsKey(member.sessionId());
  }

  /** Sends an ephemeral event to everyone in the room, on every node (this one included). */
  public void publishEphemeral(Event event) {
    broker.publishEphemeral(roomId, event.toByteArray());
  }

  /** What the admin API shows about the room. */
  public Future<RoomDetails> details() {
    Promise<RoomDetails> result = Promise.promise();
    context.runOnContext(v -> {
      List<Participant> people = knownParticipants();
      result.complete(new RoomDetails(roomId, epoch, state.seq(), state.settings(),
          state.locked(), state.ended(), state.closed(), people, members.size()));
    });
    return result.future();
  }

  /** The room as the admin API lists it. */
  public record RoomDetails(String roomId, String epoch, long seq,
      io.ponte.protocol.v1.RoomSettings settings, boolean locked, boolean ended, boolean closed,
      List<Participant> participants, int connections) {}

  // ------------------------------------------------------------------------------------------
  // Snapshots, unloading, failure
  // ------------------------------------------------------------------------------------------

  /**
   * Snapshots after at least snapshot-interval operations AND once the operations since the last
   * snapshot weigh at least half of it: a snapshot costs its whole size (a room's chat history
   * grows), so spacing them by the log's growth keeps the cost per operation constant instead of
   * growing with the room.
   */
  private void maybeSnapshot() {
    if (!snapshotInFlight && state.seq() - lastSnapshotSeq >= options.snapshotInterval()
        && bytesSinceSnapshot >= lastSnapshotBytes / 2) {
      snapshot();
    }
  }

  /** Saves a snapshot now if anything changed since the last one. */
  public Future<Void> snapshot() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (state == null || state.seq() == lastSnapshotSeq || snapshotInFlight) {
        done.complete();
        return;
      }
      snapshotInFlight = true;
      long seq = state.seq();
      RoomState.SnapshotSource source = state.snapshotSource();
      bytesSinceSnapshot = 0;
      // Encoding the record grows with the room: not on its event loop. The chat is copied as
      // the bytes it is kept as, not decoded (which would also make a young collection during the
      // build copy a whole room of message objects).
      vertx.executeBlocking(source::encode, false)
          .compose(encoded -> {
            lastSnapshotBytes = encoded.length;
            return store.saveSnapshot(roomId, seq, encoded, options.snapshotsKept());
          })
          .onComplete(ar -> context.runOnContext(x -> {
            snapshotInFlight = false;
            if (ar.succeeded()) {
              lastSnapshotSeq = Math.max(lastSnapshotSeq, seq);
            } else {
              log.warn("room {}: snapshot at seq {} failed: {}", roomId, seq, ar.cause().toString());
            }
            for (AppliedOperation redacted : redactedDuringSnapshot) {
              Redaction r = redacted.redaction();
              store.redact(roomId, List.of(), r.operation(), redacted.seq(), r.snapshot());
            }
            redactedDuringSnapshot.clear();
            done.complete();
          }));
    });
    return done.future();
  }

  /**
   * A clean unload: every write of the room is queued before this one (and so durable with it),
   * so the store may hold the current epoch again; the next load continues it.
   */
  private Future<Void> restoreEpoch() {
    if (crashEpoch == null) {
      return Future.succeededFuture();
    }
    fastPath = false;
    return store.setEpoch(roomId, epoch).onComplete(ar -> onRoomContext(() -> {
      if (ar.succeeded()) {
        crashEpoch = null;
      } else {
        log.warn("room {}: cannot restore its epoch; it starts a new one when loaded again: {}",
            roomId, ar.cause().toString());
      }
    })).otherwiseEmpty();
  }

  private void scheduleIdleUnload() {
    cancelIdleTimer();
    idleTimer = vertx.setTimer(options.idleUnloadMs(), id -> {
      idleTimer = -1;
      if (members.isEmpty() && joining == 0 && pending.isEmpty() && received.isEmpty()
          && relays.values().stream().noneMatch(FeatureRelay::holdsRoom)) {
        unload();
      }
    });
    // Idle is also the time to snapshot: loading the room again is then cheap.
    snapshot();
  }

  private void cancelIdleTimer() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
  }

  /** Snapshots and detaches the room; later calls see it unloaded and go back to the registry. */
  public Future<Void> unload() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (unloaded) {
        detachOnce().onComplete(x -> done.complete()); // a load given up on may still hold it
        return;
      }
      // Other nodes' operations not seen stored yet go to the store first: once unloaded here,
      // nobody might store them.
      adoptUnconfirmed(Long.MAX_VALUE).otherwiseEmpty()
          .compose(x -> snapshot()).compose(x -> restoreEpoch()).onComplete(x -> {
        unloaded = true;
        relays.values().forEach(FeatureRelay::unloaded);
        cancelIdleTimer();
        onUnload.run();
        metrics.roomsLoaded().decrementAndGet();
        stopPresence().onComplete(y -> detachOnce().onComplete(z -> done.complete()));
      });
    });
    return done.future();
  }

  /** Closes every member's connection with the given code (server shutdown). */
  public void closeMembers(CloseCode code, String reason) {
    context.runOnContext(v -> {
      for (Member m : List.copyOf(members.values())) {
        m.member.close(code, reason);
      }
    });
  }

  private void fail(String what, Throwable cause) {
    if (failed) {
      return;
    }
    failed = true;
    log.error("room {}: {}; closing the room's connections and unloading it", roomId, what, cause);
    for (Promise<AppliedOperation> p : pending.values()) {
      p.tryFail(new RoomException(ErrorCode.UNAVAILABLE, "the room failed, retry"));
    }
    pending.clear();
    appliedNotDurable.clear();
    for (Member m : List.copyOf(members.values())) {
      members.remove(m.member.sessionId());
      m.member.close(CloseCode.INTERNAL_ERROR, "room failed");
    }
    unloaded = true;
    relays.values().forEach(FeatureRelay::unloaded);
    cancelIdleTimer();
    stopPresence();
    onUnload.run();
    if (startSucceeded) {
      metrics.roomsLoaded().decrementAndGet();
    }
    detachOnce();
  }

  private static Actor actor(RoomMember member, Role role) {
    return Actor.newBuilder()
        .setUserId(member.userId()).setDisplayName(member.displayName()).setRole(role).build();
  }

  private record Member(RoomMember member, Role role) {}

  /** A user's connections to this room on this node. */
  private static final class LocalParticipant {
    final Participant.Builder participant;
    final long sinceMs;
    final Set<String> sessions = new java.util.LinkedHashSet<>();

    LocalParticipant(Participant.Builder participant, long sinceMs) {
      this.participant = participant;
      this.sinceMs = sinceMs;
    }
  }
}
