package io.ponte.server.redis;

import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which Redis a node uses and how it reaches it: one server ({@link Mode#STANDALONE}), a Redis
 * Cluster through seed nodes ({@link Mode#CLUSTER}), or the master that Sentinels name
 * ({@link Mode#SENTINEL}). The broker and presence build their clients from it.
 *
 * <p>Pitfall: URLs may hold a password; {@link #toString()} masks them, print nothing else.
 */
public record RedisTarget(Mode mode, List<String> urls, String sentinelMaster) {

  /** How the node reaches Redis ({@code redis-mode}). */
  public enum Mode {
    /** One Redis server ({@code redis-url} is its URL); plain PUBLISH/SUBSCRIBE. */
    STANDALONE,
    /** A Redis Cluster ({@code redis-url}: seed nodes); sharded pub/sub (Redis 7 or later). */
    CLUSTER,
    /** The master named {@code redis-sentinel-master}, found through the Sentinels in {@code redis-url}. */
    SENTINEL
  }

  public RedisTarget {
    Objects.requireNonNull(mode, "mode");
    urls = List.copyOf(urls);
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("at least one Redis URL is needed");
    }
    if (mode == Mode.STANDALONE && urls.size() != 1) {
      throw new IllegalArgumentException("standalone mode takes exactly one Redis URL");
    }
    if (mode == Mode.SENTINEL && (sentinelMaster == null || sentinelMaster.isEmpty())) {
      throw new IllegalArgumentException("sentinel mode needs the master name");
    }
  }

  /** One Redis server. */
  public static RedisTarget standalone(String url) {
    return new RedisTarget(Mode.STANDALONE, List.of(url), null);
  }

  /** A Redis Cluster reached through these seed nodes. */
  public static RedisTarget cluster(List<String> seeds) {
    return new RedisTarget(Mode.CLUSTER, seeds, null);
  }

  /** The master {@code master} as the Sentinels at these URLs name it. */
  public static RedisTarget sentinel(List<String> sentinels, String master) {
    return new RedisTarget(Mode.SENTINEL, sentinels, master);
  }

  /** Client options for this target (type, addresses, master name and role); pool sizes unset. */
  public RedisOptions clientOptions() {
    RedisOptions options = new RedisOptions();
    switch (mode) {
      case STANDALONE -> options.setType(RedisClientType.STANDALONE);
      case CLUSTER -> options.setType(RedisClientType.CLUSTER);
      case SENTINEL -> options.setType(RedisClientType.SENTINEL)
          .setMasterName(sentinelMaster)
          .setRole(RedisRole.MASTER);
    }
    for (String url : urls) {
      options.addConnectionString(url);
    }
    return options;
  }

  /**
   * The URL of one cluster node at {@code host:port}, with the scheme and credentials of the
   * first seed URL (cluster nodes share them) and no database (a cluster has only database 0).
   */
  public String nodeUrl(String hostAndPort) {
    try {
      URI seed = new URI(urls.get(0));
      String userInfo = seed.getRawUserInfo();
      return seed.getScheme().toLowerCase(Locale.ROOT) + "://"
          + (userInfo == null ? "" : userInfo + "@") + hostAndPort;
    } catch (URISyntaxException e) {
      throw new IllegalStateException("redis-url was validated at start-up", e);
    }
  }

  /** The text with the user info of every URL in it replaced by "***" (for error messages). */
  public static String maskAll(String text) {
    return text == null ? null : text.replaceAll("([A-Za-z][A-Za-z0-9+.-]*://)[^/\\s,]*@", "$1***@");
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(mode.name().toLowerCase(Locale.ROOT)).append(' ');
    for (int i = 0; i < urls.size(); i++) {
      sb.append(i == 0 ? "" : ",").append(maskAll(urls.get(i)));
    }
    if (sentinelMaster != null) {
      sb.append(" master ").append(sentinelMaster);
    }
    return sb.toString();
  }
}
