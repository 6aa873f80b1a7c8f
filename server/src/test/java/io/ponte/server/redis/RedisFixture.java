package io.ponte.server.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The Redis the tests use, one per test JVM: {@code REDIS_URL} when set; otherwise a local
 * {@code redis-server} started on an ephemeral port (no persistence) and killed when the JVM
 * exits. When neither works the tests fail with the reason; they are never skipped.
 *
 * <p>Each test takes its own key prefix ({@link #newPrefix()}), so tests never see each other's
 * keys. {@link #owned()} says whether this JVM started the server, so destructive commands
 * (FLUSHALL) are only used on a server nobody else shares.
 */
public final class RedisFixture {
  private static RedisFixture instance;

  private final String url;
  private final Process process;

  private RedisFixture(String url, Process process) {
    this.url = url;
    this.process = process;
  }

  /** The shared fixture, started on first use. */
  public static synchronized RedisFixture get() {
    if (instance == null) {
      instance = start();
    }
    return instance;
  }

  public String url() {
    return url;
  }

  /** Whether this JVM started the Redis (and may flush it, kill it, restart it). */
  public boolean owned() {
    return process != null;
  }

  /** A key prefix no other test uses. */
  public static String newPrefix() {
    return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16) + ":";
  }

  private static RedisFixture start() {
    String env = System.getenv("REDIS_URL");
    if (env != null && !env.isBlank()) {
      return new RedisFixture(env.strip(), null);
    }
    List<String> errors = new ArrayList<>();
    for (int attempt = 0; attempt < 3; attempt++) {
      int p = RedisProcesses.freePort();
      Path dir;
      try {
        dir = Files.createTempDirectory("ponte-redis-");
      } catch (IOException e) {
        throw new IllegalStateException("cannot create a directory for redis-server", e);
      }
      Process proc = RedisProcesses.start(dir, List.of("--port", Integer.toString(p),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
      if (awaitPing("127.0.0.1", p, proc, 10_000)) {
        return new RedisFixture("redis://127.0.0.1:" + p, proc);
      }
      RedisProcesses.kill(proc);
      errors.add("port " + p + ": " + RedisProcesses.log(dir).strip());
    }
    throw new IllegalStateException("REDIS_URL is not set and a local redis-server did not answer"
        + " PING: " + errors);
  }

  /**
   * A {@code redis-server} of one test's own, on an ephemeral port, which the test may kill and
   * start again on the same port and directory. With {@code appendOnly}, every write is synced to
   * the append-only file first, so a restart keeps everything acknowledged. Close it to kill it.
   */
  public static Dedicated dedicated(boolean appendOnly) {
    try {
      Dedicated d = new Dedicated(RedisProcesses.freePort(), Files.createTempDirectory("ponte-redis-own-"),
          appendOnly);
      d.start();
      return d;
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a directory for redis-server", e);
    }
  }

  /** See {@link #dedicated}. */
  public static final class Dedicated implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final boolean appendOnly;
    private Process process;

    private Dedicated(int port, Path dir, boolean appendOnly) {
      this.port = port;
      this.dir = dir;
      this.appendOnly = appendOnly;
    }

    public String url() {
      return "redis://127.0.0.1:" + port;
    }

    public int port() {
      return port;
    }

    /** Starts the server (again) on the same port and directory; fails when it does not answer. */
    public synchronized void start() {
      if (process != null && process.isAlive()) {
        return;
      }
      List<String> args = new ArrayList<>(List.of("--port", Integer.toString(port),
          "--bind", "127.0.0.1", "--save", "", "--dir", dir.toString()));
      if (appendOnly) {
        args.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
      } else {
        args.addAll(List.of("--appendonly", "no"));
      }
      process = RedisProcesses.start(dir, args);
      if (!awaitPing("127.0.0.1", port, process, 10_000)) {
        RedisProcesses.kill(process);
        throw new IllegalStateException("redis-server on port " + port + " did not answer: "
            + RedisProcesses.log(dir));
      }
    }

    /** Runs redis-cli against this server; its output. */
    public String cli(String... args) {
      return RedisProcesses.cli(port, args);
    }

    /** Kills the server (SIGKILL) and waits until it is gone. */
    public synchronized void kill() {
      RedisProcesses.kill(process);
      process = null;
    }

    @Override
    public void close() {
      kill();
    }
  }

  private static boolean awaitPing(String host, int port, Process proc, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      if (!proc.isAlive()) {
        return false;
      }
      try {
        if (command(host, port, "PING").startsWith("+PONG")) {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  /** Runs one command on a fresh connection and returns the first line of the raw reply. */
  private static String command(String host, int port, String... args) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 1000);
      socket.setSoTimeout(5000);
      StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
      }
      OutputStream out = socket.getOutputStream();
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }
  }
}
