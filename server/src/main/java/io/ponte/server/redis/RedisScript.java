package io.ponte.server.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), sent whole ({@code EVAL}) when Redis does not
 * know it (restarted, flushed, or a new node): what the broker and presence run atomically.
 */
public final class RedisScript {
  private final String source;
  private final String sha;

  public RedisScript(String source) {
    this.source = source;
    this.sha = sha1(source);
  }

  public String source() {
    return source;
  }

  public String sha() {
    return sha;
  }

  /** Runs the script with the keys and arguments. */
  public Future<Response> run(Redis client, List<String> keys, List<byte[]> args) {
    return client.send(fill(Request.cmd(Command.EVALSHA).arg(sha), keys, args))
        .recover(err -> {
          String message = err.getMessage();
          if (message != null && message.startsWith("NOSCRIPT")) {
            return client.send(fill(Request.cmd(Command.EVAL).arg(source), keys, args));
          }
          return Future.failedFuture(err);
        });
  }

  private static Request fill(Request req, List<String> keys, List<byte[]> args) {
    req.arg(keys.size());
    for (String k : keys) {
      req.arg(k);
    }
    for (byte[] a : args) {
      req.arg(a);
    }
    return req;
  }

  private static String sha1(String script) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(md.digest(script.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }
}
