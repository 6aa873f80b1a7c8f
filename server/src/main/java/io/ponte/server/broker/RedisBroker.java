package io.ponte.server.broker;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.redis.RedisScript;
import io.ponte.server.redis.RedisTarget;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multi-node {@link Broker} on Redis: every node holding a room sees the same operations in
 * the same order.
 *
 * <p>Per room (hash tag {@code {room}}, so a room lives on one Redis Cluster shard) it uses the
 * keys {@code <prefix>{room}:seq} (the last seq), {@code …:epoch} (the room's epoch),
 * {@code …:stream} (recent operations, bounded by {@code MAXLEN ~}, entry id {@code <seq>-0},
 * fields {@code seq} and {@code op} = the serialized {@link SequencedOperation}) and the pub/sub
 * channels {@code …:ops} (each sequenced operation, as its serialized SequencedOperation) and
 * {@code …:eph} (ephemeral payloads, never stored).
 *
 * <p>{@link #append} is one atomic Lua script: check the epoch, {@code INCR} the seq,
 * {@code XADD} to the stream, {@code PUBLISH} to the ops channel. The script refuses to append
 * ({@code PONTE_EPOCH}) when the room's seq or epoch is gone from Redis or the epoch is not the one
 * this node attached with (Redis was flushed or another node renewed the epoch): it never restarts
 * a room's seqs from 1 under an epoch clients already know. It also refuses
 * ({@code PONTE_EPOCH_REGRESSED}) when Redis's seq is below the highest seq this node has had from
 * Redis for the room (attach, appends, published and fetched operations): a failover lost the last
 * writes (asynchronous replication), and continuing would re-issue seqs clients already saw with
 * other content. The broker then renews the epoch ({@link #RENEW_SCRIPT}: only while Redis still
 * holds the old epoch below that seq, so concurrent nodes renew once) and the room, failing on the
 * refusal, loads again into the new epoch (or a newer one, when its store is ahead of Redis).
 * Receiving works the same way: a published operation at a seq already delivered is a duplicate
 * when it is the operation delivered there (the last {@link #DELIVERED_WINDOW} seqs keep its hash
 * code), and otherwise proof that Redis went back: the room's channel stops delivering, renews the
 * epoch and calls {@link RoomListener#onSeqRegressed}.
 *
 * <p>Epoch rule, applied atomically by the attach script:
 * <ul>
 *   <li>Redis holds the room's seq and epoch and {@code storedSeq <= seq}: the room continues with
 *       Redis's epoch and seq.
 *   <li>Redis does not hold the room (a new room, or Redis was flushed or replaced), or Redis is
 *       behind the store ({@code storedSeq > seq}: Redis lost operations): seq becomes
 *       {@code storedSeq}, the epoch a new random one, and the stream is emptied. Operations
 *       acknowledged after the store's last one may have been lost, so clients are reset through
 *       resume rather than risk reusing a seq they already saw. (A new room gets a fresh epoch too;
 *       nobody has seen seqs of it yet.)
 * </ul>
 *
 * <p>Redis is reached as its {@link RedisTarget} says: one server, the master the Sentinels name,
 * or a Redis Cluster. In a cluster a room's keys and channels share its slot; the append script
 * and ephemeral messages use sharded pub/sub ({@code SPUBLISH}) and the node subscribes with
 * {@code SSUBSCRIBE} on a connection to the master owning the room's slot
 * ({@link RedisSubscriptions}); elsewhere plain {@code PUBLISH}/{@code SUBSCRIBE} (any Redis
 * version). Commands ({@code EVALSHA}, {@code XRANGE}) are routed by the client by key slot,
 * following {@code MOVED} redirections.
 *
 * <p>The node subscribes once per attached room (both channels; one pub/sub connection, or one per
 * cluster shard) and unsubscribes on detach. Operations reach the room's listener on the Vert.x context that
 * attached it, in seq order without gaps or duplicates: a published seq ahead of the next expected
 * one makes the node fetch the missing range from the stream ({@code XRANGE}) first; seqs already
 * delivered are dropped. When a pub/sub connection drops (or a cluster slot moves to another
 * master, after resharding or a failover), the node subscribes again with backoff, on the slot's
 * current owner, and fetches whatever each room missed from its stream. That covers a whole
 * Redis outage too: while Redis is down, appends fail within {@link #COMMAND_TIMEOUT_MS} (never
 * acknowledged; an append whose outcome is unknown may still have been sequenced, and then
 * reaches every node like any other), ephemeral messages are dropped, {@link #ping} fails, and
 * the command pool opens fresh connections on demand once Redis is back.
 *
 * <p>The stream is bounded: a node that falls behind by more than the stream length cannot fill
 * its gap from Redis. It then logs an error and delivers from what the stream still has; the room
 * takes the skipped seqs from the store (every operation is stored by its node before it is
 * acknowledged), and delivers nothing past the gap until it has them.
 *
 * <p>Pitfall: going back is only seen against what this node knows. A node that attaches after
 * the loss, with a store no further than Redis's lower seq, continues the old epoch; the nodes
 * that delivered the lost seqs notice when its operations reach them (within the last
 * {@link #DELIVERED_WINDOW} seqs, or at their next append) and reset their rooms.
 */
public final class RedisBroker implements Broker {
  private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);

  /** Connection settings. */
  public record Options(RedisTarget target, String keyPrefix, int streamMaxLength) {
    public Options {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (streamMaxLength < 1) {
        throw new IllegalArgumentException("streamMaxLength must be at least 1");
      }
    }

    /** One Redis server at the URL, default prefix and stream length. */
    public static Options of(String url) {
      return of(RedisTarget.standalone(url));
    }

    public static Options of(RedisTarget target) {
      return new Options(target, "ponte:", 10_000);
    }

    public Options withKeyPrefix(String prefix) {
      return new Options(target, prefix, streamMaxLength);
    }

    public Options withStreamMaxLength(int max) {
      return new Options(target, keyPrefix, max);
    }
  }

  // KEYS: seq, epoch, stream. ARGV: storedSeq, newEpoch. Returns {epoch, seq}.
  static final String ATTACH_SCRIPT = """
      local seq = redis.call('GET', KEYS[1])
      local epoch = redis.call('GET', KEYS[2])
      local stored = tonumber(ARGV[1])
      if seq and epoch then
        if stored <= tonumber(seq) then
          return {epoch, seq}
        end
      end
      redis.call('SET', KEYS[1], ARGV[1])
      redis.call('SET', KEYS[2], ARGV[2])
      redis.call('DEL', KEYS[3])
      return {ARGV[2], ARGV[1]}
      """;

  // KEYS: seq, epoch, stream. ARGV: epoch, stream max length, SequencedOperation without its seq
  // (fields 2 and 6, the operation and the epoch), ops channel, the highest seq this node knows of the room (absent: 0). The seq
  // is prepended as protobuf field 1 (varint), which gives the canonical encoding of the whole
  // SequencedOperation. Returns the seq.
  static final String APPEND_SCRIPT = """
      local epoch = redis.call('GET', KEYS[2])
      local last = redis.call('GET', KEYS[1])
      if epoch ~= ARGV[1] or not last then
        return redis.error_reply('PONTE_EPOCH the room epoch changed or was lost; attach again')
      end
      if tonumber(last) < (tonumber(ARGV[5]) or 0) then
        return redis.error_reply('PONTE_EPOCH_REGRESSED the room seq went back to ' .. last
          .. ' below ' .. ARGV[5] .. ' (Redis lost writes); attach again')
      end
      local seq = redis.call('INCR', KEYS[1])
      local n = seq
      local varint = ''
      while n >= 128 do
        varint = varint .. string.char(n % 128 + 128)
        n = math.floor(n / 128)
      end
      varint = varint .. string.char(n)
      local payload = '\\8' .. varint .. ARGV[3]
      local s = string.format('%d', seq)
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], s .. '-0', 'seq', s, 'op', payload)
      redis.call('PUBLISH', ARGV[4], payload)
      return seq
      """;

  // KEYS: seq, epoch. ARGV: the epoch this node attached with, the highest seq it knows, a new
  // epoch. Renews the epoch when Redis's seq went back below what the node knows under the same
  // epoch (keeps the seq and the stream: what Redis still has is real history). Returns 1 when it
  // renewed, 0 when there was nothing to do (already renewed by another node, or lost entirely).
  static final String RENEW_SCRIPT = """
      local last = redis.call('GET', KEYS[1])
      if last and redis.call('GET', KEYS[2]) == ARGV[1] and tonumber(last) < tonumber(ARGV[2]) then
        redis.call('SET', KEYS[2], ARGV[3])
        return 1
      end
      return 0
      """;

  // KEYS: stream. ARGV: pairs of (seq, rewritten SequencedOperation). Replaces those entries'
  // payloads by rebuilding the stream with the same ids: XDEL would only mark an entry deleted and
  // leave its bytes in Redis's memory (and so in later RDB files) until its whole node goes.
  // Returns how many entries it replaced (0: none held, the stream is left as it was).
  static final String REDACT_SCRIPT = """
      local repl = {}
      for i = 1, #ARGV, 2 do
        repl[ARGV[i]] = ARGV[i + 1]
      end
      local entries = redis.call('XRANGE', KEYS[1], '-', '+')
      local hits = 0
      for _, e in ipairs(entries) do
        if repl[string.match(e[1], '^(%d+)-')] then
          hits = hits + 1
        end
      end
      if hits == 0 then
        return 0
      end
      -- An ended room's stream expires with its retention (expireAt): keep that deadline.
      local ttl = redis.call('PTTL', KEYS[1])
      redis.call('DEL', KEYS[1])
      for _, e in ipairs(entries) do
        local s = string.match(e[1], '^(%d+)-')
        local payload = repl[s]
        if not payload then
          local f = e[2]
          for j = 1, #f, 2 do
            if f[j] == 'op' then
              payload = f[j + 1]
            end
          end
        end
        redis.call('XADD', KEYS[1], e[1], 'seq', s, 'op', payload)
      end
      if ttl > 0 then
        redis.call('PEXPIRE', KEYS[1], ttl)
      end
      return hits
      """;

  /** The append script of cluster mode: the same, publishing to the room's shard channel. */
  static final String APPEND_SHARDED_SCRIPT = APPEND_SCRIPT.replace("'PUBLISH'", "'SPUBLISH'");

  private static final RedisScript ATTACH = new RedisScript(ATTACH_SCRIPT);
  private static final RedisScript APPEND = new RedisScript(APPEND_SCRIPT);
  private static final RedisScript APPEND_SHARDED = new RedisScript(APPEND_SHARDED_SCRIPT);
  private static final RedisScript RENEW = new RedisScript(RENEW_SCRIPT);
  // KEYS: seq, epoch, stream. ARGV: deadline (epoch ms, Redis's clock). Sets it on each key that
  // exists and expires later or never: the earliest deadline wins (a session ended, then closed).
  static final String EXPIRE_AT_SCRIPT = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local deadline = tonumber(ARGV[1])
      for i = 1, #KEYS do
        local ttl = redis.call('PTTL', KEYS[i])
        if ttl == -1 or (ttl >= 0 and now + ttl > deadline) then
          redis.call('PEXPIREAT', KEYS[i], ARGV[1])
        end
      end
      return 0
      """;
  private static final RedisScript EXPIRE_AT = new RedisScript(EXPIRE_AT_SCRIPT);
  private static final RedisScript REDACT = new RedisScript(REDACT_SCRIPT);
  /** How many delivered seqs each room remembers, to tell a duplicate from a re-issued seq. */
  static final int DELIVERED_WINDOW = 256;
  private static final long RETRY_MS = 200;
  private static final long MAX_RECONNECT_MS = 5_000;
  /**
   * Longest wait for Redis to answer an append or a history read: while Redis is unreachable,
   * durable sends fail fast (the caller answers UNAVAILABLE, retryable) instead of queueing.
   */
  static final long COMMAND_TIMEOUT_MS = 2_000;
  /** An attach: the subscription (retried in a cluster) and the attach script. */
  static final long ATTACH_TIMEOUT_MS = 3 * COMMAND_TIMEOUT_MS;

  private final Vertx vertx;
  private final Options options;
  private final PonteMetrics metrics;
  private final Redis client;
  /** Cluster mode: sharded pub/sub (SPUBLISH, SSUBSCRIBE); else PUBLISH, SUBSCRIBE. */
  private final boolean sharded;
  private final RedisScript append;
  private final RedisSubscriptions subscriptions;
  private volatile boolean closed;

  private final ConcurrentHashMap<String, RoomChannel> rooms = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, RoomChannel> byOpsChannel = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, RoomChannel> byEphChannel = new ConcurrentHashMap<>();

  private RedisBroker(Vertx vertx, Options options, PonteMetrics metrics) {
    this.vertx = vertx;
    this.options = options;
    this.metrics = metrics;
    RedisOptions redisOptions = options.target().clientOptions()
        .setMaxPoolSize(16)
        .setMaxPoolWaiting(100_000)
        .setMaxWaitingHandlers(100_000);
    this.client = Redis.createClient(vertx, redisOptions);
    this.sharded = options.target().mode() == RedisTarget.Mode.CLUSTER;
    this.append = sharded ? APPEND_SHARDED : APPEND;
    Context current = Vertx.currentContext();
    Context pubsubContext = current != null && current.owner() == vertx
        ? current : vertx.getOrCreateContext();
    this.subscriptions = new RedisSubscriptions(vertx, pubsubContext, options.target(), client,
        new RedisSubscriptions.Handler() {
          @Override
          public void message(String channel, byte[] payload) {
            onMessage(channel, payload);
          }

          @Override
          public void restored(RedisSubscriptions.Pair pair) {
            RoomChannel room = byOpsChannel.get(pair.ops());
            if (room != null) {
              room.resync();
            }
          }
        }, metrics);
  }

  /**
   * Connects to Redis: opens the pub/sub connection and loads the scripts. Fails when Redis does
   * not answer.
   */
  public static Future<RedisBroker> connect(Vertx vertx, Options options, PonteMetrics metrics) {
    RedisBroker broker = new RedisBroker(vertx, options, metrics);
    Promise<RedisBroker> result = Promise.promise();
    // In a cluster SCRIPT LOAD reaches one node; the others get the script on first use (NOSCRIPT).
    broker.subscriptions.start()
        .compose(x -> broker.client.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(ATTACH_SCRIPT)))
        .compose(x -> broker.client.send(
            Request.cmd(Command.SCRIPT).arg("LOAD").arg(broker.append.source())))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            result.complete(broker);
          } else {
            broker.close().onComplete(x -> result.fail(ar.cause()));
          }
        });
    return result.future();
  }

  // -------------------------------------------------------------------------------------------
  // Keys

  private String key(String roomId, String suffix) {
    return options.keyPrefix() + "{" + roomId + "}:" + suffix;
  }

  // -------------------------------------------------------------------------------------------
  // Broker

  @Override
  public Future<Attachment> attach(String roomId, long storedSeq, String storedEpoch,
      RoomListener listener) {
    Context context = Vertx.currentContext();
    if (context == null || context.owner() != vertx) {
      context = vertx.getOrCreateContext();
    }
    if (closed) {
      return Future.failedFuture(new IllegalStateException("broker closed"));
    }
    RoomChannel channel = new RoomChannel(roomId, listener, context);
    if (rooms.putIfAbsent(roomId, channel) != null) {
      return Future.failedFuture(new IllegalStateException("room " + roomId + " is already attached"));
    }
    byOpsChannel.put(channel.opsChannel, channel);
    byEphChannel.put(channel.ephChannel, channel);
    Promise<Attachment> result = Promise.promise();
    Context ctx = context;
    subscriptions.subscribe(channel.pair)
        .compose(x -> ATTACH.run(client,
            List.of(channel.seqKey, channel.epochKey, channel.streamKey),
            List.of(Long.toString(Math.max(0, storedSeq)).getBytes(StandardCharsets.UTF_8),
                UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8))))
        // Bounded: a connection that just died (Redis killed) may neither answer nor fail the
        // subscription or the script, and a room load (every Join of the room here) waits on it.
        .timeout(ATTACH_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(ar -> ctx.runOnContext(v -> {
          if (ar.failed()) {
            forget(channel);
            result.fail(ar.cause());
            return;
          }
          String epoch = ar.result().get(0).toString();
          long seq = Long.parseLong(ar.result().get(1).toString());
          channel.epoch = epoch;
          channel.ready(seq);
          result.complete(new Attachment(epoch, seq));
        }));
    return result.future();
  }

  @Override
  public Future<Void> detach(String roomId) {
    RoomChannel channel = rooms.get(roomId);
    if (channel == null) {
      return Future.succeededFuture();
    }
    return forget(channel);
  }

  @Override
  public Future<Void> erase(String roomId) {
    // One hash tag: the three keys share a slot, so one DEL serves a cluster too.
    return detach(roomId)
        .compose(x -> client.send(Request.cmd(Command.DEL).arg(key(roomId, "seq"))
            .arg(key(roomId, "epoch")).arg(key(roomId, "stream")))
            .timeout(COMMAND_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS))
        .mapEmpty();
  }

  @Override
  public Future<Void> expireAt(String roomId, long atMs) {
    if (atMs <= System.currentTimeMillis()) {
      return Future.succeededFuture();
    }
    // One hash tag: the keys share a slot, so one script serves a cluster too. An append keeps
    // the expiry (INCR, XADD); only a new attach's SET (a lost or older record) clears it.
    return EXPIRE_AT.run(client,
            List.of(key(roomId, "seq"), key(roomId, "epoch"), key(roomId, "stream")),
            List.of(Long.toString(atMs).getBytes(StandardCharsets.UTF_8)))
        .timeout(COMMAND_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .mapEmpty();
  }

  /** Stops delivering to the channel and unsubscribes it. */
  private Future<Void> forget(RoomChannel channel) {
    channel.detached = true;
    if (!rooms.remove(channel.roomId, channel)) {
      return Future.succeededFuture();
    }
    byOpsChannel.remove(channel.opsChannel, channel);
    byEphChannel.remove(channel.ephChannel, channel);
    return subscriptions.unsubscribe(channel.pair);
  }

  @Override
  public Future<Long> append(String roomId, Operation operation) {
    Context caller = Vertx.currentContext();
    RoomChannel channel = rooms.get(roomId);
    if (channel == null || channel.epoch == null) {
      return Future.failedFuture(new IllegalStateException("room " + roomId + " is not attached"));
    }
    String epoch = channel.epoch;
    byte[] body = SequencedOperation.newBuilder().setOperation(operation).setEpoch(epoch).build()
        .toByteArray();
    long started = System.nanoTime();
    long known = channel.highest.get();
    Future<Long> seq = append.run(client,
        List.of(channel.seqKey, channel.epochKey, channel.streamKey),
        List.of(epoch.getBytes(StandardCharsets.UTF_8),
            Integer.toString(options.streamMaxLength()).getBytes(StandardCharsets.UTF_8),
            body,
            channel.opsChannel.getBytes(StandardCharsets.UTF_8),
            Long.toString(known).getBytes(StandardCharsets.UTF_8)))
        .map(r -> {
          metrics.brokerPublish(System.nanoTime() - started);
          long s = r.toLong();
          channel.saw(s);
          return s;
        })
        .recover(err -> {
          if (!String.valueOf(err.getMessage()).startsWith("PONTE_EPOCH_REGRESSED")) {
            return Future.failedFuture(err);
          }
          // Redis re-issues seqs clients already saw (a failover lost the last writes): renew the
          // epoch before refusing, so no node continues the old one from the lower seq.
          log.error("room {}: Redis's seq went back below {}, seqs would be re-issued (it lost"
              + " writes); refusing the append and starting a new epoch", roomId, known);
          return renew(channel, epoch, known).transform(x -> Future.failedFuture(err));
        })
        .timeout(COMMAND_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    return onContext(caller, seq);
  }

  /** Starts a new epoch when Redis's seq is still below {@code known} under {@code epoch}. */
  private Future<Void> renew(RoomChannel channel, String epoch, long known) {
    return RENEW.run(client, List.of(channel.seqKey, channel.epochKey),
            List.of(epoch.getBytes(StandardCharsets.UTF_8),
                Long.toString(known).getBytes(StandardCharsets.UTF_8),
                UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)))
        .onComplete(ar -> {
          if (ar.failed()) {
            log.warn("room {}: cannot renew its epoch: {}", channel.roomId, ar.cause().toString());
          } else if (ar.result().toLong() == 1) {
            log.warn("room {}: started a new epoch after Redis's seq went back", channel.roomId);
          }
        })
        .mapEmpty();
  }

  @Override
  public Future<List<SequencedOperation>> history(String roomId, long afterSeq, int limit) {
    if (limit <= 0) {
      return Future.succeededFuture(List.of());
    }
    Context caller = Vertx.currentContext();
    return onContext(caller,
        xrange(key(roomId, "stream"), Math.max(0, afterSeq) + 1, Long.MAX_VALUE, limit)
            .timeout(COMMAND_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS));
  }

  @Override
  public Future<Void> redact(String roomId, List<Long> seqs,
      java.util.function.UnaryOperator<Operation> rewrite) {
    if (seqs.isEmpty()) {
      return Future.succeededFuture();
    }
    Context caller = Vertx.currentContext();
    String streamKey = key(roomId, "stream");
    List<Future<List<SequencedOperation>>> reads = new ArrayList<>();
    for (long seq : seqs) {
      reads.add(xrange(streamKey, seq, seq, 1));
    }
    Future<Void> done = Future.all(reads).<Void>compose(all -> {
      List<byte[]> args = new ArrayList<>();
      for (int i = 0; i < reads.size(); i++) {
        for (SequencedOperation before : reads.get(i).result()) {
          SequencedOperation after = before.toBuilder()
              .setOperation(rewrite.apply(before.getOperation())).setRedacted(true).build();
          if (!after.equals(before)) {
            args.add(Long.toString(before.getSeq()).getBytes(StandardCharsets.UTF_8));
            args.add(after.toByteArray());
          }
        }
      }
      if (args.isEmpty()) {
        return Future.succeededFuture();
      }
      return REDACT.run(client, List.of(streamKey), args).mapEmpty();
    }).timeout(COMMAND_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    return onContext(caller, done);
  }

  @Override
  public void publishEphemeral(String roomId, byte[] payload) {
    client.send(Request.cmd(sharded ? Command.SPUBLISH : Command.PUBLISH)
            .arg(key(roomId, "eph")).arg(payload))
        .onFailure(err -> log.debug("room {}: ephemeral publish failed: {}", roomId, err.toString()));
  }

  @Override
  public Future<Void> ping() {
    return client.send(Request.cmd(Command.PING)).mapEmpty();
  }

  @Override
  public Future<Void> close() {
    closed = true;
    for (RoomChannel channel : List.copyOf(rooms.values())) {
      channel.detached = true;
    }
    rooms.clear();
    byOpsChannel.clear();
    byEphChannel.clear();
    return subscriptions.close().otherwiseEmpty()
        .compose(x -> client.close().otherwiseEmpty());
  }

  // -------------------------------------------------------------------------------------------
  // Redis commands

  /** Stream entries with fromSeq <= seq <= toSeq, at most count. */
  private Future<List<SequencedOperation>> xrange(String streamKey, long fromSeq, long toSeq,
      int count) {
    Request req = Request.cmd(Command.XRANGE).arg(streamKey).arg(Long.toString(fromSeq))
        .arg(toSeq == Long.MAX_VALUE ? "+" : Long.toString(toSeq))
        .arg("COUNT").arg(count);
    return client.send(req).map(response -> {
      List<SequencedOperation> out = new ArrayList<>();
      if (response == null) {
        return out;
      }
      for (Response entry : response) {
        Response fields = entry.get(1);
        byte[] op = null;
        if (fields.type() == ResponseType.MULTI && !fields.isMap()) {
          for (int i = 0; i + 1 < fields.size(); i += 2) {
            if ("op".equals(fields.get(i).toString())) {
              op = fields.get(i + 1).toBytes();
            }
          }
        } else if (fields.containsKey("op")) {
          op = fields.get("op").toBytes();
        }
        if (op == null) {
          continue;
        }
        try {
          out.add(SequencedOperation.parseFrom(op));
        } catch (InvalidProtocolBufferException e) {
          log.warn("stream {}: skipping an unreadable entry {}", streamKey, entry.get(0));
        }
      }
      return out;
    });
  }

  /** The future, completed on {@code context} when there is one (callers' state is confined). */
  private static <T> Future<T> onContext(Context context, Future<T> future) {
    if (context == null) {
      return future;
    }
    Promise<T> promise = Promise.promise();
    future.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        promise.handle(ar);
      } else {
        context.runOnContext(v -> promise.handle(ar));
      }
    });
    return promise.future();
  }

  // -------------------------------------------------------------------------------------------
  // Pub/sub (on the subscriptions' context)

  private void onMessage(String channelName, byte[] payload) {
    RoomChannel ops = byOpsChannel.get(channelName);
    if (ops != null) {
      ops.published(payload);
      return;
    }
    RoomChannel eph = byEphChannel.get(channelName);
    if (eph != null) {
      eph.ephemeral(payload);
    }
  }

  // -------------------------------------------------------------------------------------------
  // One attached room

  private final class RoomChannel {
    final String roomId;
    final RoomListener listener;
    final Context context;
    final String seqKey;
    final String epochKey;
    final String streamKey;
    final String opsChannel;
    final String ephChannel;
    final RedisSubscriptions.Pair pair;
    volatile String epoch;
    volatile boolean detached;
    /**
     * The highest seq Redis gave this node for the room (attach, appends, published and fetched
     * operations): Redis's seq below it means Redis went back.
     */
    final AtomicLong highest = new AtomicLong();
    // Room context only:
    /** The next seq to deliver; 0 until the attach script answered. */
    private long next;
    /** The last delivered seqs and their operations' hash codes, by seq modulo the window. */
    private final long[] deliveredSeqs = new long[DELIVERED_WINDOW];
    private final int[] deliveredHashes = new int[DELIVERED_WINDOW];
    /** Redis re-issued a delivered seq: nothing more is delivered; the room reloads. */
    private boolean regressed;
    private final TreeMap<Long, SequencedOperation> buffered = new TreeMap<>();
    private boolean fetching;

    RoomChannel(String roomId, RoomListener listener, Context context) {
      this.roomId = roomId;
      this.listener = listener;
      this.context = context;
      this.seqKey = key(roomId, "seq");
      this.epochKey = key(roomId, "epoch");
      this.streamKey = key(roomId, "stream");
      this.opsChannel = key(roomId, "ops");
      this.ephChannel = key(roomId, "eph");
      this.pair = new RedisSubscriptions.Pair(opsChannel, ephChannel);
    }

    /** From the pub/sub connection. */
    void published(byte[] payload) {
      context.runOnContext(v -> {
        if (detached) {
          return;
        }
        SequencedOperation sop;
        try {
          sop = SequencedOperation.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
          log.warn("room {}: dropping an unreadable published operation", roomId);
          return;
        }
        if (regressed) {
          return;
        }
        if (next != 0 && sop.getSeq() < next) {
          int slot = (int) (sop.getSeq() % DELIVERED_WINDOW);
          if (deliveredSeqs[slot] == sop.getSeq()
              && deliveredHashes[slot] != sop.getOperation().hashCode()) {
            regressed(sop.getSeq());
          }
          // Otherwise a duplicate (gap-fill overlap, catching up after resubscribing), or too
          // old to tell; the append script still refuses this node's next append.
          return;
        }
        saw(sop.getSeq());
        buffered.put(sop.getSeq(), sop);
        drain();
      });
    }

    void saw(long seq) {
      highest.accumulateAndGet(seq, Math::max);
    }

    /**
     * A live operation at an already delivered seq, and not the one delivered: Redis lost writes
     * (a failover) and sequences again from a lower seq. Renews the epoch and tells the room.
     */
    private void regressed(long seq) {
      regressed = true;
      buffered.clear();
      long known = highest.get();
      log.error("room {}: Redis re-issued seq {} with another operation (it lost writes, known"
          + " up to {}); starting a new epoch and reloading the room", roomId, seq, known);
      renew(this, epoch, known).onComplete(ar -> context.runOnContext(v -> {
        if (!detached) {
          listener.onSeqRegressed();
        }
      }));
    }

    /** From the pub/sub connection. */
    void ephemeral(byte[] payload) {
      context.runOnContext(v -> {
        if (!detached && next != 0) {
          listener.onEphemeral(payload);
        }
      });
    }

    /** On the room context: the attach script answered with the room's seq. */
    void ready(long seq) {
      saw(seq);
      next = seq + 1;
      drain();
    }

    /** After the pub/sub connection came back: fetch whatever was published meanwhile. */
    void resync() {
      context.runOnContext(v -> {
        if (detached || next == 0) {
          return;
        }
        if (fetching) {
          vertx.setTimer(RETRY_MS, id -> resync());
          return;
        }
        fetch(next, Long.MAX_VALUE);
      });
    }

    private void drain() {
      if (next == 0 || detached || regressed) {
        return;
      }
      while (!buffered.isEmpty() && !detached && !regressed) {
        long first = buffered.firstKey();
        if (first < next) {
          buffered.pollFirstEntry();
        } else if (first == next) {
          SequencedOperation sop = buffered.pollFirstEntry().getValue();
          int slot = (int) (next % DELIVERED_WINDOW);
          deliveredSeqs[slot] = next;
          deliveredHashes[slot] = sop.getOperation().hashCode();
          next++;
          listener.onOperation(sop);
        } else {
          if (!fetching) {
            fetch(next, first - 1);
          }
          return;
        }
      }
    }

    /** Fetches seqs from..to (to = MAX_VALUE: up to the end) from the stream, then drains. */
    private void fetch(long from, long to) {
      fetching = true;
      int count = to == Long.MAX_VALUE ? 1000 : (int) Math.min(100_000, to - from + 1);
      xrange(streamKey, from, to, count).onComplete(ar -> context.runOnContext(v -> {
        fetching = false;
        if (detached || regressed) {
          return;
        }
        if (ar.failed()) {
          log.warn("room {}: cannot fetch seqs {}..{} from the stream: {}; retrying", roomId, from,
              to == Long.MAX_VALUE ? "end" : to, ar.cause().toString());
          vertx.setTimer(RETRY_MS, id -> context.runOnContext(x -> {
            if (!detached && !fetching) {
              if (to == Long.MAX_VALUE) {
                fetch(next, Long.MAX_VALUE);
              } else {
                drain();
              }
            }
          }));
          return;
        }
        List<SequencedOperation> ops = ar.result();
        int added = 0;
        for (SequencedOperation sop : ops) {
          saw(sop.getSeq());
          if (sop.getSeq() >= next && buffered.putIfAbsent(sop.getSeq(), sop) == null) {
            added++;
          }
        }
        if (added > 0) {
          metrics.gapsFetched(added);
        }
        if (to != Long.MAX_VALUE && !buffered.isEmpty() && buffered.firstKey() > next) {
          long skipTo = buffered.firstKey();
          log.error("room {}: seqs {}..{} are no longer in the Redis stream (trimmed or lost);"
              + " skipping them", roomId, next, skipTo - 1);
          next = skipTo;
        }
        drain();
        if (to == Long.MAX_VALUE && ops.size() == count) {
          fetch(next, Long.MAX_VALUE); // more than one page was missed
        }
      }));
    }
  }
}
