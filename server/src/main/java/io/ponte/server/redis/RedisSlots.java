package io.ponte.server.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Redis Cluster hash slots: {@link #slot} computes a key's slot (CRC16 of its hash tag, the part
 * between the first "{" and the next "}" when not empty, else of the whole key, modulo 16384);
 * an instance is the slot table a cluster node answered ({@code CLUSTER SLOTS}), naming the
 * master of each slot range. Pub/sub of sharded channels needs it: a shard channel can only be
 * subscribed to on the node owning its slot.
 */
public final class RedisSlots {
  public static final int SLOTS = 16384;

  private record Range(int end, String master) {}

  private final TreeMap<Integer, Range> byStart;

  private RedisSlots(TreeMap<Integer, Range> byStart) {
    this.byStart = byStart;
  }

  /** The hash slot of a key, as Redis Cluster computes it. */
  public static int slot(String key) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    int from = 0;
    int to = bytes.length;
    int open = indexOf(bytes, (byte) '{', 0);
    if (open >= 0) {
      int close = indexOf(bytes, (byte) '}', open + 1);
      if (close > open + 1) {
        from = open + 1;
        to = close;
      }
    }
    return crc16(bytes, from, to) % SLOTS;
  }

  /** Asks a cluster node (any, through the client) for the slot table. */
  public static Future<RedisSlots> load(Redis client) {
    return client.send(Request.cmd(Command.CLUSTER).arg("SLOTS")).map(RedisSlots::parse);
  }

  static RedisSlots parse(Response reply) {
    TreeMap<Integer, Range> byStart = new TreeMap<>();
    if (reply != null) {
      for (Response range : reply) {
        if (range.size() < 3) {
          continue;
        }
        Response master = range.get(2);
        String host = master.get(0).toString();
        if (host == null || host.isEmpty() || "?".equals(host)) {
          continue; // the master's address is unknown right now
        }
        byStart.put(range.get(0).toInteger(),
            new Range(range.get(1).toInteger(), host + ":" + master.get(1).toInteger()));
      }
    }
    return new RedisSlots(byStart);
  }

  /** {@code host:port} of the master owning the slot; null when no master covers it. */
  public String masterOf(int slot) {
    Map.Entry<Integer, Range> e = byStart.floorEntry(slot);
    return e == null || e.getValue().end() < slot ? null : e.getValue().master();
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** CRC16-CCITT (XModem), the variant Redis Cluster uses. */
  private static int crc16(byte[] bytes, int from, int to) {
    int crc = 0;
    for (int i = from; i < to; i++) {
      crc ^= (bytes[i] & 0xff) << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        crc &= 0xffff;
      }
    }
    return crc;
  }
}
