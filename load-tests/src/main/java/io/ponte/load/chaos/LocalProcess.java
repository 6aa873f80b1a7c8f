package io.ponte.load.chaos;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The soak's local processes: Ponte nodes (child JVMs), redis-server and a PostgreSQL of its own
 * (initdb and pg_ctl into a temporary directory). Each can be killed with SIGKILL, stopped with
 * SIGSTOP and continued, and started again on the same port and data.
 */
abstract class LocalProcess implements AutoCloseable {
  final String name;
  final int port;
  final Path dir;
  protected Process process;

  LocalProcess(String name, int port, Path dir) {
    this.name = name;
    this.port = port;
    this.dir = dir;
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts the process and waits until it serves. */
  abstract void start() throws Exception;

  boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, and wait until it is gone. */
  void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  void signal(String sig) {
    if (process != null && process.isAlive()) {
      run(List.of("kill", "-" + sig, Long.toString(process.pid())), 10);
    }
  }

  @Override
  public void close() throws Exception {
    signal("CONT");
    kill();
  }

  static String run(List<String> cmd, int timeoutSeconds) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + ": no end within " + timeoutSeconds + " s");
      }
      String text = new String(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + text);
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void await(String what, long timeoutMs, BooleanSupplier ready, Process p, Path log)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      if (p != null && !p.isAlive()) {
        throw new IllegalStateException(what + " exited with " + p.exitValue() + "; log " + log);
      }
      if (ready.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(what + " not ready within " + timeoutMs + " ms; log " + log);
  }

  static boolean listening(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A Ponte node in a child JVM; its port and data directory stay the same across restarts. */
  static final class Node extends LocalProcess {
    private final List<String> command;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    Node(String name, Path dir, String classpath, List<String> args) {
      super(name, freePort(), dir);
      List<String> cmd = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx384m", "-XX:+UseSerialGC", "-cp", classpath, "io.ponte.server.Main", "serve",
          "--http-host", "127.0.0.1", "--http-port", Integer.toString(port),
          "--data-dir", dir.resolve("data").toString(), "--node-id", name));
      cmd.addAll(args);
      this.command = cmd;
    }

    @Override
    void start() throws Exception {
      Files.createDirectories(dir);
      Path log = dir.resolve("node.log");
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      await(name, 90_000, this::ready, process, log);
    }

    /** Writes the node's threads (jcmd Thread.print) next to its log; returns the file. */
    Path threadDump() {
      Path file = dir.resolve("threads-" + System.nanoTime() + ".txt");
      try {
        Files.writeString(file, run(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
            Long.toString(process.pid()), "Thread.print"), 60));
      } catch (IOException | RuntimeException e) {
        return Path.of("(no thread dump: " + e.getMessage() + ")");
      }
      return file;
    }

    boolean ready() {
      try {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding())
            .statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /** A redis-server with an append-only file (so a restart may keep its data, or lose it on purpose). */
  static final class Redis extends LocalProcess {
    /** The master to replicate (Sentinel setups), 0: none. */
    int replicaOf;

    Redis(String name, Path dir) {
      super(name, freePort(), dir);
    }

    @Override
    void start() throws Exception {
      Files.createDirectories(dir);
      Path log = dir.resolve("redis.log");
      List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always",
          "--dir", dir.toString()));
      if (replicaOf > 0) {
        cmd.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(replicaOf)));
      }
      process = new ProcessBuilder(cmd)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      await(name, 20_000, () -> cli(port, "PING").contains("PONG"), process, log);
    }

    static String cli(int port, String... args) {
      List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
      cmd.addAll(List.of(args));
      try {
        return run(cmd, 10);
      } catch (IllegalStateException e) {
        return "";
      }
    }

    /** Forgets everything it held: the append-only files are deleted (call while it is down). */
    void wipe() throws IOException {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          if (!p.equals(dir) && !p.getFileName().toString().equals("redis.log")) {
            Files.deleteIfExists(p);
          }
        }
      }
    }

    String url() {
      return "redis://127.0.0.1:" + port;
    }
  }

  /**
   * A Sentinel setup: two redis-servers (master and replica) and one Sentinel naming the master
   * {@link #MASTER}. A failover kills the current master; the Sentinel promotes the replica; the
   * killed one comes back as a replica of the new master.
   */
  static final class Sentinel extends LocalProcess {
    static final String MASTER = "ponte-master";
    final Redis[] servers;

    Sentinel(Path dir) {
      super("sentinel", freePort(), dir);
      servers = new Redis[] {new Redis("redis-a", dir.resolve("a")), new Redis("redis-b", dir.resolve("b"))};
      servers[1].replicaOf = servers[0].port;
    }

    @Override
    void start() throws Exception {
      if (!servers[0].alive()) {
        servers[0].start();
        servers[1].start();
        await("replica", 30_000, () -> Redis.cli(servers[1].port, "INFO", "replication")
            .contains("master_link_status:up"), null, servers[1].dir);
      }
      Files.createDirectories(dir);
      Path conf = dir.resolve("sentinel.conf");
      Files.writeString(conf, String.join("\n", "port " + port, "bind 127.0.0.1", "dir " + dir,
          "sentinel monitor " + MASTER + " 127.0.0.1 " + servers[0].port + " 1",
          "sentinel down-after-milliseconds " + MASTER + " 2000",
          "sentinel failover-timeout " + MASTER + " 10000", ""));
      Path log = dir.resolve("sentinel.log");
      process = new ProcessBuilder("redis-server", conf.toString(), "--sentinel").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      await(name, 30_000, () -> masterPort() == servers[0].port, process, log);
      await(name + " sees the replica", 30_000, () -> Redis.cli(port, "SENTINEL", "REPLICAS", MASTER)
          .contains(Integer.toString(servers[1].port)), process, log);
    }

    int masterPort() {
      String[] a = Redis.cli(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER).strip().split("\\s+");
      try {
        return Integer.parseInt(a[a.length - 1]);
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    /** Kills the master, waits for the promotion, holds, then brings the old master back as a replica. */
    void failover(long holdMs) throws Exception {
      int master = masterPort();
      Redis old = servers[0].port == master ? servers[0] : servers[1];
      Redis other = old == servers[0] ? servers[1] : servers[0];
      old.kill();
      await("failover to " + other.name, 60_000, () -> masterPort() == other.port, process, dir.resolve("sentinel.log"));
      Thread.sleep(holdMs);
      old.replicaOf = other.port;
      old.start();
    }

    String url() {
      return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() throws Exception {
      super.close();
      servers[0].close();
      servers[1].close();
    }
  }

  /**
   * A PostgreSQL server of the soak's own, so that it can be restarted: initdb and pg_ctl from
   * /usr/lib/postgresql/N/bin, run as user postgres when the soak runs as root (initdb refuses root).
   */
  static final class Postgres extends LocalProcess {
    private final Path bin;
    private final boolean asPostgres;

    private Postgres(Path dir, Path bin) {
      super("postgres", freePort(), dir);
      this.bin = bin;
      this.asPostgres = "root".equals(System.getProperty("user.name"));
    }

    /** The binaries' directory, or null when PostgreSQL's server binaries are not installed. */
    static Path findBin() {
      try (var dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
        return dirs.map(d -> d.resolve("bin")).filter(d -> Files.isExecutable(d.resolve("pg_ctl")))
            .sorted(java.util.Comparator.reverseOrder()).findFirst().orElse(null);
      } catch (IOException e) {
        return null;
      }
    }

    static Postgres create(Path dir) throws Exception {
      Path bin = findBin();
      if (bin == null) {
        throw new IllegalStateException("no /usr/lib/postgresql/*/bin/pg_ctl (install postgresql)");
      }
      Postgres pg = new Postgres(dir, bin);
      Files.createDirectories(dir);
      if (pg.asPostgres) {
        run(List.of("chown", "-R", "postgres", dir.toString()), 30);
      }
      pg.pg(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("db").toString(), "-U", "postgres",
          "--auth=trust", "-E", "UTF8", "--no-sync"), 120);
      return pg;
    }

    private String pg(List<String> cmd, int timeout) {
      List<String> full = new ArrayList<>();
      if (asPostgres) {
        full.addAll(List.of("runuser", "-u", "postgres", "--"));
      }
      full.addAll(cmd);
      return run(full, timeout);
    }

    @Override
    void start() throws Exception {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("db").toString(), "-l",
          dir.resolve("postgres.log").toString(), "-w", "-t", "60", "-o",
          "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
              + " -c max_connections=200", "start"), 90);
      await(name, 30_000, () -> listening(port), null, dir.resolve("postgres.log"));
    }

    /** An immediate shutdown: what a crash leaves (WAL recovery on the next start). */
    @Override
    void kill() {
      pg(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("db").toString(), "-m", "immediate",
          "-w", "stop"), 60);
    }

    @Override
    boolean alive() {
      return listening(port);
    }

    @Override
    public void close() {
      try {
        kill();
      } catch (RuntimeException e) {
        // already stopped
      }
    }

    String jdbcUrl() {
      return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }
  }
}
