package io.ponte.server.presence;

import io.ponte.protocol.v1.Participant;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import io.ponte.server.redis.RedisScript;
import io.ponte.server.redis.RedisTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The multi-node {@link Presence} on Redis, with a lease per node and room.
 *
 * <p>Per room (hash tag {@code {room}}, beside the broker's keys) it uses the hash
 * {@code <prefix>{room}:presence} (field {@code node|user}, value: 8 bytes of the time the user
 * appeared on that node, then the serialized {@link Participant} with that node's connection
 * count) and the sorted set {@code <prefix>{room}:presence:leases} (member: node id, score: the
 * node's lease deadline in Redis's own clock, so node clocks do not matter). A sync is one Lua
 * script: replace this node's fields, drop the fields of every node whose lease is over or
 * missing, renew this node's lease, and return the changed fields and the whole hash. Both keys
 * expire after four leases without any sync, so a room every node forgot leaves nothing behind.
 * Both keys carry the room's hash tag, so in a Redis Cluster the script's keys share one slot;
 * presence publishes nothing (changes reach the room through its holder), so it needs no pub/sub
 * in any {@link RedisTarget.Mode}.
 *
 * <p>Pitfall: the room holder must sync at least every {@link #renewIntervalMs()}; a node that
 * stops (dies, or cannot reach Redis for longer than the lease) loses its entries on the next
 * sync of another node, and gets them back on its own next sync (announced again as JOINED).
 */
public final class RedisPresence implements Presence {

  /** Connection settings. */
  public record Options(RedisTarget target, String keyPrefix, String nodeId, long leaseMs,
      long timeoutMs) {
    public Options {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      Objects.requireNonNull(nodeId, "nodeId");
      if (leaseMs < 100) {
        throw new IllegalArgumentException("leaseMs must be at least 100");
      }
      if (timeoutMs < 1) {
        throw new IllegalArgumentException("timeoutMs must be positive");
      }
    }
  }

  // KEYS: entries hash, leases zset. ARGV: node, leaseMs, then user, value pairs (this node's
  // entries). Returns {changed (field, before, after; '' = absent), all fields and values}.
  static final String SYNC_SCRIPT = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local node = ARGV[1]
      local lease = tonumber(ARGV[2])
      local mine = {}
      for i = 3, #ARGV, 2 do mine[ARGV[i]] = ARGV[i + 1] end
      local changed = {}
      local function record(f, before, after)
        changed[#changed + 1] = f
        changed[#changed + 1] = before
        changed[#changed + 1] = after
      end
      local alive = {}
      local all = redis.call('HGETALL', KEYS[1])
      for i = 1, #all, 2 do
        local f = all[i]
        local v = all[i + 1]
        local sep = string.find(f, '|', 1, true)
        local n = string.sub(f, 1, sep - 1)
        local u = string.sub(f, sep + 1)
        if n == node then
          local want = mine[u]
          if want == nil then
            redis.call('HDEL', KEYS[1], f)
            record(f, v, '')
          else
            if want ~= v then
              redis.call('HSET', KEYS[1], f, want)
              record(f, v, want)
            end
            mine[u] = nil
          end
        else
          local live = alive[n]
          if live == nil then
            local score = redis.call('ZSCORE', KEYS[2], n)
            live = (score and tonumber(score) > now) or false
            alive[n] = live
          end
          if not live then
            redis.call('HDEL', KEYS[1], f)
            record(f, v, '')
          end
        end
      end
      for i = 3, #ARGV, 2 do
        local u = ARGV[i]
        if mine[u] ~= nil then
          local f = node .. '|' .. u
          redis.call('HSET', KEYS[1], f, mine[u])
          record(f, '', mine[u])
        end
      end
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
      if #ARGV > 2 then
        redis.call('ZADD', KEYS[2], now + lease, node)
      else
        redis.call('ZREM', KEYS[2], node)
      end
      if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], lease * 4) end
      if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], lease * 4) end
      return {changed, redis.call('HGETALL', KEYS[1])}
      """;

  private static final RedisScript SYNC = new RedisScript(SYNC_SCRIPT);

  private final Options options;
  private final Redis client;

  private RedisPresence(Vertx vertx, Options options) {
    this.options = options;
    this.client = Redis.createClient(vertx, options.target().clientOptions()
        .setMaxPoolSize(4)
        .setMaxPoolWaiting(100_000)
        .setMaxWaitingHandlers(100_000));
  }

  /** Creates the client; fails when Redis does not answer. */
  public static Future<RedisPresence> connect(Vertx vertx, Options options) {
    RedisPresence presence = new RedisPresence(vertx, options);
    return presence.client.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(SYNC_SCRIPT))
        .map(x -> presence)
        .recover(err -> presence.close().transform(x -> Future.failedFuture(err)));
  }

  private String hashKey(String roomId) {
    return options.keyPrefix() + "{" + roomId + "}:presence";
  }

  private String leasesKey(String roomId) {
    return options.keyPrefix() + "{" + roomId + "}:presence:leases";
  }

  @Override
  public Future<Result> sync(String roomId, Map<String, Entry> local) {
    Context caller = Vertx.currentContext();
    List<byte[]> args = new ArrayList<>();
    args.add(options.nodeId().getBytes(StandardCharsets.UTF_8));
    args.add(Long.toString(options.leaseMs()).getBytes(StandardCharsets.UTF_8));
    for (Map.Entry<String, Entry> e : new TreeMap<>(local).entrySet()) {
      args.add(e.getKey().getBytes(StandardCharsets.UTF_8));
      args.add(PresenceMerge.encode(e.getValue()));
    }
    Future<Result> result = eval(List.of(hashKey(roomId), leasesKey(roomId)), args)
        .map(r -> {
          Response changedFlat = r.get(0);
          List<PresenceMerge.Changed> changed = new ArrayList<>();
          for (int i = 0; i + 2 < changedFlat.size(); i += 3) {
            changed.add(new PresenceMerge.Changed(changedFlat.get(i).toString(),
                PresenceMerge.decode(bytesOrNull(changedFlat.get(i + 1))),
                PresenceMerge.decode(bytesOrNull(changedFlat.get(i + 2)))));
          }
          return PresenceMerge.result(entries(r.get(1)), changed);
        })
        .timeout(options.timeoutMs(), TimeUnit.MILLISECONDS);
    return onContext(caller, result);
  }

  @Override
  public Future<Void> erase(String roomId) {
    Context caller = Vertx.currentContext();
    // Both keys carry the room's hash tag: one DEL serves a cluster too.
    Future<Void> result = client.send(Request.cmd(Command.DEL).arg(hashKey(roomId))
            .arg(leasesKey(roomId)))
        .timeout(options.timeoutMs(), TimeUnit.MILLISECONDS)
        .mapEmpty();
    return onContext(caller, result);
  }

  @Override
  public Future<List<Participant>> participants(String roomId) {
    Context caller = Vertx.currentContext();
    // A read-only view: entries of nodes with a live lease (or this node).
    Future<List<Participant>> result = client.send(Request.cmd(Command.HGETALL).arg(hashKey(roomId)))
        .compose(all -> client.send(Request.cmd(Command.ZRANGE).arg(leasesKey(roomId))
                .arg("0").arg("-1").arg("WITHSCORES"))
            .compose(leases -> client.send(Request.cmd(Command.TIME)).map(time -> {
              long now = Long.parseLong(time.get(0).toString()) * 1000
                  + Long.parseLong(time.get(1).toString()) / 1000;
              java.util.Set<String> live = new java.util.HashSet<>();
              live.add(options.nodeId());
              if (leases != null) {
                for (int i = 0; i < leases.size(); i++) {
                  Response item = leases.get(i);
                  if (item.size() == 2) { // RESP3: [member, score] pairs
                    if (item.get(1).toDouble() > now) {
                      live.add(item.get(0).toString());
                    }
                  } else if (i + 1 < leases.size()) { // RESP2: flat member, score
                    if (Double.parseDouble(leases.get(i + 1).toString()) > now) {
                      live.add(item.toString());
                    }
                    i++;
                  }
                }
              }
              Map<String, Entry> entries = entries(all);
              entries.keySet().removeIf(f -> !live.contains(PresenceMerge.nodeOf(f)));
              return PresenceMerge.participants(entries);
            })))
        .timeout(options.timeoutMs(), TimeUnit.MILLISECONDS);
    return onContext(caller, result);
  }

  @Override
  public long renewIntervalMs() {
    return Math.max(1, options.leaseMs() / 3);
  }

  @Override
  public Future<Void> close() {
    return client.close().otherwiseEmpty();
  }

  /** Field and value pairs (a flat array, or a map under RESP3) as entries. */
  private static Map<String, Entry> entries(Response all) {
    Map<String, Entry> out = new TreeMap<>();
    if (all == null) {
      return out;
    }
    if (all.isMap()) {
      for (String field : all.getKeys()) {
        put(out, field, all.get(field).toBytes());
      }
      return out;
    }
    for (int i = 0; i + 1 < all.size(); i += 2) {
      put(out, all.get(i).toString(), all.get(i + 1).toBytes());
    }
    return out;
  }

  private static void put(Map<String, Entry> out, String field, byte[] value) {
    Entry e = PresenceMerge.decode(value);
    if (e != null && field.indexOf('|') > 0) {
      out.put(field, e);
    }
  }

  private static byte[] bytesOrNull(Response r) {
    if (r == null) {
      return null;
    }
    byte[] b = r.toBytes();
    return b == null || b.length == 0 ? null : b;
  }

  private Future<Response> eval(List<String> keys, List<byte[]> args) {
    return SYNC.run(client, keys, args);
  }

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
}
