package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.HistoryRequest;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.ServerMessage;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantee 2 against a real crash: the node runs as a separate process and is killed with
 * SIGKILL while posts are in flight; every post acknowledged before the kill is in the room's
 * history after a restart on the same data directory, and seqs stay gap-free.
 */
@Timeout(180)
class KillIT {
  static final String ROOM = "class-1";
  static final String SECRET = TestServer.SECRET;
  static final String ADMIN = TestServer.ADMIN_TOKEN;
  static final int ACKS_BEFORE_KILL = 200;
  static final int IN_FLIGHT = 64;

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
  void everyAcknowledgedPostSurvivesKillNine() throws Exception {
    Path data = dir.resolve("data");
    int port = freePort();
    Process node = startNode(data, port, "first");
    TreeMap<Long, String> acked = new TreeMap<>();
    String epoch;
    try {
      JsonObject created = admin(port, "POST", "/admin/rooms",
          new JsonObject().put("id", ROOM).put("title", "Kill test"));
      assertEquals(ROOM, created.getString("id"));
      TestClient c = TestClient.connect(vertx, port, WireFormat.PROTO);
      c.hello(token(port, "tina", "teacher"));
      Joined j = c.join(ROOM);
      epoch = j.getEpoch();

      Map<Long, String> inFlight = new HashMap<>();
      int n = 0;
      while (acked.size() < ACKS_BEFORE_KILL) {
        while (inFlight.size() < IN_FLIGHT) {
          String text = "post " + (++n);
          long id = c.nextRequestId();
          c.send(ClientMessage.newBuilder().setRequestId(id).setChatPost(
              ChatPost.newBuilder().setRoomId(ROOM).setText(text)).build());
          inFlight.put(id, text);
        }
        ServerMessage m = c.await(x -> x.getRequestId() != 0 && inFlight.containsKey(x.getRequestId()),
            "an answer to a post");
        String text = inFlight.remove(m.getRequestId());
        long seq = TestClient.ack(m).getSeq();
        assertFalse(acked.containsKey(seq), "seq " + seq + " acknowledged twice");
        acked.put(seq, text);
      }
      // Keep the pipe full right up to the kill, so some posts are sequenced but not yet acked.
      for (int i = 0; i < IN_FLIGHT; i++) {
        c.send(ClientMessage.newBuilder().setRequestId(c.nextRequestId()).setChatPost(
            ChatPost.newBuilder().setRoomId(ROOM).setText("late " + i)).build());
      }
      // Any acks that already arrived are acknowledged posts too.
      while (true) {
        if (!c.receives(x -> {
          if (x.hasAck() && inFlight.containsKey(x.getRequestId())) {
            acked.put(x.getAck().getSeq(), inFlight.remove(x.getRequestId()));
            return true;
          }
          return false;
        }, Duration.ZERO)) {
          break;
        }
      }
      node.destroyForcibly();
      assertTrue(node.waitFor(30, TimeUnit.SECONDS), "the node did not die");
      c.awaitClose();
      c.close();
    } finally {
      node.destroyForcibly();
    }
    assertTrue(acked.size() >= ACKS_BEFORE_KILL);

    int port2 = freePort();
    Process again = startNode(data, port2, "restarted");
    try {
      try (TestClient c = TestClient.connect(vertx, port2, WireFormat.PROTO)) {
        c.hello(token(port2, "theo", "teacher"));
        Joined j = c.join(ROOM, 0, "");
        assertTrue(j.getReset());
        assertEquals(epoch, j.getEpoch(), "no history was lost, so the epoch stays");
        long maxAcked = acked.lastKey();
        assertTrue(j.getSeq() >= maxAcked, "room seq " + j.getSeq() + " is behind acked " + maxAcked);

        List<ChatMessage> history = history(c);
        Map<Long, String> stored = new HashMap<>();
        for (int i = 0; i < history.size(); i++) {
          assertEquals(i + 1, history.get(i).getSeq(), "seqs are gap-free");
          stored.put(history.get(i).getSeq(), history.get(i).getText());
        }
        assertEquals(j.getSeq(), history.size(), "every seq of the room is a stored post");
        for (Map.Entry<Long, String> e : acked.entrySet()) {
          assertEquals(e.getValue(), stored.get(e.getKey()), "acknowledged seq " + e.getKey());
        }
        // The room goes on after the crash without reusing a seq.
        assertEquals(j.getSeq() + 1, c.post(ROOM, "after the crash").getSeq());
      }
    } finally {
      again.destroyForcibly();
    }
  }

  static List<ChatMessage> history(TestClient c) {
    ArrayList<ChatMessage> all = new ArrayList<>();
    long before = 0;
    while (true) {
      ServerMessage page = c.request(ClientMessage.newBuilder().setHistory(
          HistoryRequest.newBuilder().setRoomId(ROOM).setBeforeSeq(before).setLimit(100)));
      assertEquals(ServerMessage.BodyCase.HISTORY, page.getBodyCase(), page::toString);
      List<ChatMessage> m = page.getHistory().getMessagesList();
      all.addAll(0, m);
      if (!page.getHistory().getMore()) {
        return all;
      }
      assertFalse(m.isEmpty(), "more=true with an empty page");
      before = m.get(0).getSeq();
    }
  }

  private Process startNode(Path data, int port, String name) throws IOException, InterruptedException {
    Path logs = Path.of("target", "kill-it");
    Files.createDirectories(logs);
    File log = logs.resolve(name + "-" + System.currentTimeMillis() + ".log").toFile();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "io.ponte.server.Main", "serve",
        "--http-host", "127.0.0.1", "--http-port", Integer.toString(port),
        "--data-dir", data.toString(), "--jwt-secret", SECRET, "--admin-token", ADMIN,
        "--event-loops", "2",
        "--rate-messages-per-second", "100000", "--rate-messages-burst", "100000",
        "--rate-bytes-per-second", "100000000", "--rate-bytes-burst", "100000000")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
    Process p = pb.start();
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

  private JsonObject admin(int port, String method, String path, JsonObject body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + ADMIN)
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body.encode()))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() / 100 == 2, () -> method + " " + path + ": " + r.statusCode() + " " + r.body());
    return new JsonObject(r.body());
  }

  private String token(int port, String userId, String role) throws Exception {
    return admin(port, "POST", "/admin/tokens", new JsonObject().put("userId", userId)
        .put("name", "User " + userId).put("rooms", new JsonObject().put(ROOM, role)))
        .getString("token");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
