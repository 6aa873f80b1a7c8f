package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.doc.YCoverage;
import io.ponte.yjs.YUpdates;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.File;
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
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Yjs fast path against a real crash: document updates are delivered before they are
 * stored, so a node killed (-9) between the two loses them from its store, but never from the
 * providers: they reconnect to the restarted node, resync (sync steps 1 and 2) and the stored
 * document holds every edit they hold. A Ponte client resuming across the crash gets a reset
 * under a new epoch, never a seq reused with other content. The window is made deterministic
 * with the store's test-only write hold (a system property of the node process).
 */
@Timeout(240)
class YjsCrashIT {
  static final String ROOM = "crash-1";

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aCrashBetweenDeliveryAndStoreLosesNothingAProviderHolds() throws Exception {
    Path data = dir.resolve("data");
    Path signals = Files.createDirectories(dir.resolve("signals"));
    Path hold = dir.resolve("hold-store-writes");
    int port = freePort();
    Process node = startNode(data, port, "first", hold);
    admin(port, "/admin/rooms", new JsonObject().put("id", ROOM).put("title", "Crash"));
    JsonObject params = new JsonObject()
        .put("base", "ws://127.0.0.1:" + port + "/yjs/" + ROOM)
        .put("doc", "notes")
        .put("dir", signals.toString())
        .put("scriptTimeoutMs", 150_000)
        .put("tokens", new JsonObject()
            .put("a", token(port, "ana", "student"))
            .put("b", token(port, "bo", "student"))
            .put("reader", token(port, "tina", "teacher")));
    TestClient watcher = TestClient.connect(vertx, port, WireFormat.PROTO);
    watcher.hello(token(port, "wes", "observer"));
    Joined before = watcher.join(ROOM);
    CompletableFuture<JsonObject> run = CompletableFuture.supplyAsync(() -> NodeClients.scenario("crash", params));

    awaitSignal(signals.resolve("before"), run);
    Files.createFile(hold);
    Files.createFile(signals.resolve("held"));
    awaitSignal(signals.resolve("delivered"), run);
    // What the Ponte client saw of the edits: delivered at seqs the store never got.
    long lastSeen = 0;
    while (true) {
      var m = watcher.poll(x -> x.hasEvent() && x.getEvent().getSeq() > 0, Duration.ofMillis(300));
      if (m == null) {
        break;
      }
      lastSeen = Math.max(lastSeen, m.getEvent().getSeq());
    }
    assertTrue(lastSeen > 0, "the Ponte client saw the edits");
    node.destroyForcibly(); // SIGKILL with the edits delivered, their store writes held
    assertTrue(node.waitFor(30, TimeUnit.SECONDS), "the node did not die");
    watcher.close();
    Files.delete(hold);

    Process again = startNode(data, port, "restarted", null);
    Files.createFile(signals.resolve("restarted"));
    JsonObject r = run.get(200, TimeUnit.SECONDS);
    assertEquals(r.getString("a"), r.getString("b"), "the providers converged");
    assertEquals(r.getString("a"), r.getString("server"), "the restarted node has what they hold");

    try (TestClient resumer = TestClient.connect(vertx, port, WireFormat.PROTO)) {
      resumer.hello(token(port, "wes", "observer"));
      Joined j = resumer.join(ROOM, lastSeen, before.getEpoch());
      assertTrue(j.getReset(), "a resume across the crash is a reset: " + j.getSeq() + " vs " + lastSeen);
      assertNotEquals(before.getEpoch(), j.getEpoch(), "a new epoch after losing delivered operations");
    }
    again.destroy(); // graceful: the store is flushed and closed
    assertTrue(again.waitFor(60, TimeUnit.SECONDS), "the node did not stop");

    // The store, read by a node of our own on the same data directory: the stored document
    // covers everything the providers held.
    try (TestServer s = new TestServer(data)) {
      List<SequencedOperation> ops = s.server().store().operations(ROOM, 0, 100_000)
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      List<byte[]> updates = new ArrayList<>();
      updates.add(YUpdates.emptyUpdate());
      for (SequencedOperation o : ops) {
        if (o.getOperation().hasDocUpdate()) {
          updates.add(o.getOperation().getDocUpdate().getUpdate().toByteArray());
        }
      }
      byte[] stored = YUpdates.mergeUpdates(updates);
      byte[] held = Base64.getDecoder().decode(r.getString("state"));
      assertTrue(YCoverage.covers(stored, held), "the stored document holds every edit of the providers");
      for (int i = 0; i < ops.size(); i++) {
        assertEquals(i + 1, ops.get(i).getSeq(), "stored seqs are gap-free");
      }
    }
  }

  /**
   * With Redis the crash loses nothing from the room at all: the stream still holds the updates
   * the node delivered but never stored, and the restarted node stores them as it loads the room
   * (fetchMissing); the epoch stays and a resume gets exactly what it missed.
   */
  @Test
  void withRedisTheDeliveredButUnstoredUpdatesAreStoredFromTheStreamAfterACrash() throws Exception {
    Path data = dir.resolve("data");
    Path hold = dir.resolve("hold-store-writes");
    int port = freePort();
    String[] redis = {"--redis-url", io.ponte.server.redis.RedisFixture.get().url(),
        "--redis-key-prefix", io.ponte.server.redis.RedisFixture.newPrefix(), "--node-id", "crash-node"};
    Process node = startNode(data, port, "redis-first", hold, redis);
    admin(port, "/admin/rooms", new JsonObject().put("id", ROOM).put("title", "Crash"));
    byte[] held;
    long lastSeen;
    String epoch;
    try (TestClient ana = TestClient.connect(vertx, port, WireFormat.PROTO);
        TestClient wes = TestClient.connect(vertx, port, WireFormat.PROTO)) {
      ana.hello(token(port, "ana", "teacher"));
      wes.hello(token(port, "wes", "observer"));
      ana.join(ROOM);
      epoch = wes.join(ROOM).getEpoch();
      io.ponte.server.doc.YTextUpdates typing = new io.ponte.server.doc.YTextUpdates(42, "t");
      io.ponte.server.it.TestClient.ack(ana.request(io.ponte.protocol.v1.ClientMessage.newBuilder()
          .setDocCreate(io.ponte.protocol.v1.DocCreate.newBuilder().setRoomId(ROOM).setDocId("notes"))));
      Files.createFile(hold);
      List<byte[]> sent = new ArrayList<>();
      for (String word : List.of("one ", "two ", "three ")) {
        byte[] u = typing.append(word);
        sent.add(u);
        ana.send(io.ponte.protocol.v1.ClientMessage.newBuilder().setRequestId(ana.nextRequestId())
            .setDocUpdate(io.ponte.protocol.v1.DocUpdate.newBuilder().setRoomId(ROOM).setDocId("notes")
                .setUpdate(com.google.protobuf.ByteString.copyFrom(u))).build());
      }
      held = YUpdates.mergeUpdates(sent);
      Event last = null;
      for (int i = 0; i < sent.size(); i++) {
        last = wes.awaitEvent(Event::hasDocUpdated, "a delivered update");
      }
      lastSeen = last.getSeq();
      assertTrue(ana.poll(m -> m.hasAck(), Duration.ofMillis(300)) == null, "no Ack while the store is held");
    }
    node.destroyForcibly();
    assertTrue(node.waitFor(30, TimeUnit.SECONDS), "the node did not die");
    Files.delete(hold);

    Process again = startNode(data, port, "redis-restarted", null, redis);
    try (TestClient wes = TestClient.connect(vertx, port, WireFormat.PROTO)) {
      wes.hello(token(port, "wes", "observer"));
      Joined j = wes.join(ROOM, lastSeen, epoch);
      assertEquals(epoch, j.getEpoch(), "nothing was lost: the epoch stays");
      assertTrue(!j.getReset() && j.getSeq() == lastSeen, "resumed without a reset at " + lastSeen + ": " + j.getSeq());
      byte[] doc = DocumentsIT.sync(wes, ROOM, "notes", new byte[0]).getUpdate().toByteArray();
      assertTrue(YCoverage.covers(doc, held), "the document holds every delivered update");
    }
    again.destroy();
    assertTrue(again.waitFor(60, TimeUnit.SECONDS), "the node did not stop");
    try (TestServer s = new TestServer(data)) {
      List<SequencedOperation> ops = s.server().store().operations(ROOM, 0, 100_000)
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(lastSeen, ops.size(), "every delivered update is stored");
      List<byte[]> updates = new ArrayList<>();
      updates.add(YUpdates.emptyUpdate());
      for (SequencedOperation o : ops) {
        if (o.getOperation().hasDocUpdate()) {
          updates.add(o.getOperation().getDocUpdate().getUpdate().toByteArray());
        }
      }
      assertTrue(YCoverage.covers(YUpdates.mergeUpdates(updates), held));
    }
  }

  private static void awaitSignal(Path file, CompletableFuture<JsonObject> run) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(file)) {
      if (run.isDone()) {
        run.get(); // the script failed: its output
        fail("the script ended before signalling " + file.getFileName());
      }
      if (System.nanoTime() > deadline) {
        fail("no signal " + file.getFileName());
      }
      // Polling a file another process writes: there is nothing to await but the file.
      Thread.sleep(20);
    }
  }

  private Process startNode(Path data, int port, String name, Path hold, String... extra) throws Exception {
    Path logs = Files.createDirectories(Path.of("target", "yjs-crash-it"));
    File log = logs.resolve(name + "-" + System.currentTimeMillis() + ".log").toFile();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
    if (hold != null) {
      cmd.add("-Dponte.test.hold-store-writes-while-exists=" + hold);
    }
    cmd.addAll(List.of("io.ponte.server.Main", "serve",
        "--http-host", "127.0.0.1", "--http-port", Integer.toString(port),
        "--data-dir", data.toString(), "--jwt-secret", TestServer.SECRET,
        "--admin-token", TestServer.ADMIN_TOKEN, "--event-loops", "2"));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
    processes.add(p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        fail("the node exited with " + p.exitValue() + "; see " + log.getAbsolutePath());
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/health/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return p;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      // Polling readiness of another process: there is nothing to await but the endpoint.
      Thread.sleep(100);
    }
    fail("the node did not become ready; see " + log.getAbsolutePath());
    return p;
  }

  private JsonObject admin(int port, String path, JsonObject body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() / 100 == 2, () -> path + ": " + r.statusCode() + " " + r.body());
    return new JsonObject(r.body());
  }

  private String token(int port, String userId, String role) throws Exception {
    return admin(port, "/admin/tokens", new JsonObject().put("userId", userId)
        .put("name", "User " + userId).put("rooms", new JsonObject().put(ROOM, role)))
        .getString("token");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
