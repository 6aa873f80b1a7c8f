package io.ponte.load;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Ponte server in a child JVM, started from the test classpath (the server is a test-scope
 * dependency only), on a free port with a temporary data directory. The load generator talks to
 * it over the network like to any deployment.
 */
final class ChildServer implements AutoCloseable {
  static final String SECRET = "smoke-secret-0123456789-0123456789-abcdef";
  static final String ADMIN_TOKEN = "smoke-admin-token-0123456789";

  private final Process process;
  private final Path log;
  final int port;

  private ChildServer(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  static ChildServer start(Path dataDir, String... extraArgs) throws Exception {
    return start(dataDir, freePort(), extraArgs);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A server on the given port (a node restarted where its balancer expects it). */
  static ChildServer start(Path dataDir, int port, String... extraArgs) throws Exception {
    Path log = dataDir.resolve("server.log");
    Files.createDirectories(dataDir);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m",
        "-cp", System.getProperty("java.class.path"),
        "io.ponte.server.Main", "serve",
        "--http-host", "127.0.0.1", "--http-port", Integer.toString(port),
        "--data-dir", dataDir.resolve("data").toString(),
        "--jwt-secret", SECRET, "--admin-token", ADMIN_TOKEN,
        "--event-loops", "2"));
    cmd.addAll(List.of(extraArgs));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    ChildServer server = new ChildServer(p, log, port);
    try {
      server.awaitReady();
    } catch (Exception | AssertionError e) {
      server.close();
      throw e;
    }
    return server;
  }

  private void awaitReady() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("server exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(2))
            .GET().build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("server not ready within 60 s:\n" + log());
  }

  URI wsUrl() {
    return URI.create("ws://127.0.0.1:" + port + "/ws");
  }

  String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "(no log)";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
