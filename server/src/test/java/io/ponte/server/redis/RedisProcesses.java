package io.ponte.server.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starting, asking and killing local {@code redis-server} processes for the cluster and Sentinel
 * fixtures; asks through {@code redis-cli} (package redis-tools, installed with redis-server).
 */
final class RedisProcesses {
  private RedisProcesses() {}

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts redis-server with the arguments, logging to dir/redis.log; killed when the JVM exits. */
  static Process start(Path dir, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("redis-server");
    cmd.addAll(args);
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
          .start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> kill(p)));
      return p;
    } catch (IOException e) {
      throw new IllegalStateException("redis-server cannot be started (install redis-server,"
          + " e.g. apt-get install redis-server): " + e.getMessage(), e);
    }
  }

  static void kill(Process p) {
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs redis-cli against 127.0.0.1:port and returns its output; fails on a non-zero exit. */
  static String cli(int port, String... args) {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p",
        Integer.toString(port)));
    cmd.addAll(List.of(args));
    return run(cmd, 60);
  }

  static String run(List<String> cmd, int timeoutSeconds) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + ": no answer within "
            + timeoutSeconds + " s");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue()
            + "): " + text);
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd.get(0) + " (install redis-tools, e.g."
          + " apt-get install redis-tools): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until redis-cli's answer to the command contains the text; fails with the last answer. */
  static void await(int port, String expected, long timeoutMs, Process proc, Path dir,
      String... command) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    String last = "";
    while (System.currentTimeMillis() < deadline) {
      if (proc != null && !proc.isAlive()) {
        throw new IllegalStateException("redis-server on port " + port + " exited: " + log(dir));
      }
      try {
        last = cli(port, command);
        if (last.contains(expected)) {
          return;
        }
      } catch (IllegalStateException notYet) {
        last = notYet.getMessage();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("port " + port + ": '" + String.join(" ", command)
        + "' did not answer '" + expected + "' within " + timeoutMs + " ms; last: " + last
        + "; log: " + log(dir));
  }

  static String log(Path dir) {
    try {
      return dir == null ? "" : Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
