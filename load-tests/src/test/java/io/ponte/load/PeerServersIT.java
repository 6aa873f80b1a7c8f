package io.ponte.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer servers of load-tests/peers (Hocuspocus, Socket.IO), started with node and driven
 * briefly by the generator, so that the comparison rows of bench-browser.sh keep working. Needs
 * node; runs {@code npm ci} in a peer's folder when its node_modules is missing, and fails (never
 * skips) when node is missing or the install fails.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PeerServersIT {
  @TempDir
  Path dir;

  /** Starts {@code node peers/<name>/server.mjs <port>} and waits for its "listening" line. */
  private static Process startPeer(String name, int port) throws Exception {
    Path folder = Path.of("peers", name).toAbsolutePath();
    boolean node = List.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
        .stream().anyMatch(d -> Files.isExecutable(Path.of(d, "node")));
    assertTrue(node, "PeerServersIT needs node on the PATH (Node.js 20+)");
    if (!Files.isDirectory(folder.resolve("node_modules"))) {
      // First run on a fresh clone, like the server's Yjs tests: install the peer's lockfile.
      Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
          .directory(folder.toFile()).inheritIO().start();
      assertTrue(npm.waitFor(180, TimeUnit.SECONDS) && npm.exitValue() == 0,
          "npm ci failed in " + folder);
    }
    Process p = new ProcessBuilder("node", folder.resolve("server.mjs").toString(), Integer.toString(port))
        .redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (Exception e) {
        return null;
      }
    }).get(20, TimeUnit.SECONDS);
    assertTrue(line != null && line.contains("listening"), "peer " + name + " started: " + line);
    // Keep draining its output so that it never blocks on a full pipe.
    Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "peer-output");
    drain.setDaemon(true);
    drain.start();
    return p;
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private LoadOptions options(int port, String prefix) {
    LoadOptions o = new LoadOptions();
    o.urls = List.of(URI.create("ws://127.0.0.1:" + port));
    o.roomPrefix = prefix;
    o.rooms = 2;
    o.roomSize = 4;
    o.warmup = Duration.ofMillis(300);
    o.duration = Duration.ofSeconds(2);
    o.rampUp = 200;
    o.progressSeconds = 0;
    o.eventLoops = 2;
    o.quiet = true;
    o.reportDir = dir.resolve("reports-" + prefix);
    return o;
  }

  @Test
  void hocuspocusPeerTakesEveryKeystroke() throws Exception {
    int port = freePort();
    Process peer = startPeer("hocuspocus", port);
    try {
      LoadOptions o = options(port, "hp");
      o.peer = LoadOptions.Peer.HOCUSPOCUS;
      o.docEndpoint = LoadOptions.DocEndpoint.HOCUSPOCUS;
      o.typists = 2;
      o.docRate = 10;
      o.rate = 0;
      LoadResult r = new LoadRun(LoadRun.Scenario.DOCS, o, System.out).run();
      String summary = Report.text(r);
      assertEquals(8, r.readyParticipants, summary);
      assertTrue(r.consistent(), summary);
      assertTrue(r.errors.isEmpty(), summary);
      assertTrue(r.docs.sent > 0, summary);
      assertEquals(r.docs.sent, r.docs.acked, "every update answered SyncStatus applied:\n" + summary);
      assertEquals(r.docs.sent * 3, r.docs.delivered, "each update reached the 3 other providers:\n" + summary);
    } finally {
      peer.destroy();
      peer.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void socketIoPeerDeliversEveryPost() throws Exception {
    int port = freePort();
    Process peer = startPeer("socketio", port);
    try {
      LoadOptions o = options(port, "sio");
      o.peer = LoadOptions.Peer.SOCKETIO;
      o.rate = 2;
      LoadResult r = new LoadRun(LoadRun.Scenario.CHAT, o, System.out).run();
      String summary = Report.text(r);
      assertEquals(8, r.readyParticipants, summary);
      assertTrue(r.consistent(), summary);
      assertTrue(r.errors.isEmpty(), summary);
      assertTrue(r.sent > 0, summary);
      assertEquals(r.sent, r.acked, summary);
      assertEquals(r.sent * 4, r.delivered, "every post reached its room, sender included:\n" + summary);
    } finally {
      peer.destroy();
      peer.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
