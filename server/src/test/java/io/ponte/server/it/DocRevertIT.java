package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocRevertUser;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.LongConsumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A teacher reverts one learner in a document that two other learners also edit, with real npm
 * Yjs clients ({@code src/test/js/revert-clients.mjs}: Ana and Carl on y-websocket, Bo on the
 * Hocuspocus provider): every provider converges on the text without exactly Carl's edits since
 * the time (Bo's word he deleted is back, Ana's word written right after his text stays, a
 * paragraph of a Tiptap-like XML fragment he deleted is back). On one
 * node, across a restart (the authorship history is in the document's state), and across two
 * nodes through Redis; refused requests leave the document and bystanders alone.
 */
@Timeout(240)
class DocRevertIT {
  private static final String BEFORE = "AnCarl2 Ana2 a1 Carl1 Bo2 ";
  private static final String AFTER = "AnAna2 a1 Bo1 Carl1 Bo2 ";

  @TempDir
  Path dir;

  private static JsonObject params(TestServer s, String room, String doc, Path signals) {
    JsonObject p = HocuspocusIT.params(s, room, doc).put("dir", signals.toString());
    p.getJsonObject("tokens")
        .put("a", s.token("ana", "Ana", room, Role.STUDENT))
        .put("b", s.token("bo", "Bo", room, Role.STUDENT))
        .put("c", s.token("carl", "Carl", room, Role.STUDENT))
        .put("reader", s.token("tina", "Tina", room, Role.TEACHER));
    return p;
  }

  private static ClientMessage.Builder revert(String room, String doc, String userId, long sinceMs) {
    return ClientMessage.newBuilder().setDocRevertUser(DocRevertUser.newBuilder()
        .setRoomId(room).setDocId(doc).setUserId(userId).setSinceMs(sinceMs));
  }

  /**
   * Runs the clients; when Carl's edits are everywhere, hands the time to {@code teacher} (which
   * reverts) and lets the clients check the outcome. Returns the clients' result.
   */
  private static JsonObject run(JsonObject p, Path signals, LongConsumer teacher) throws Exception {
    Files.createDirectories(signals);
    CompletableFuture<JsonObject> run = CompletableFuture.supplyAsync(
        () -> NodeClients.scenario("revert-clients.mjs", "revert", p));
    Path edited = signals.resolve("edited");
    String since = "";
    while (since.isEmpty()) {
      if (run.isDone()) {
        run.get(); // the clients failed: their output
        fail("the clients finished before editing");
      }
      Thread.sleep(50);
      since = Files.exists(edited) ? Files.readString(edited).trim() : "";
    }
    teacher.accept(Long.parseLong(since));
    Files.writeString(signals.resolve("reverted"), "");
    try {
      JsonObject r = run.get();
      assertEquals(BEFORE, r.getString("before"));
      String end = "after " + AFTER + "Carl3 ";
      assertEquals(end, r.getString("a"), "Ana (y-websocket)");
      assertEquals(end, r.getString("b"), "Bo (Hocuspocus)");
      assertEquals(end, r.getString("c"), "Carl (y-websocket)");
      assertEquals(end, r.getString("late"), "a late reader");
      assertEquals("<paragraph align=\"left\">First words</paragraph>"
          + "<paragraph align=\"left\">Bo: Second words</paragraph>", r.getString("xml"),
          "the paragraph Carl deleted is back, with Bo's words in the other one");
      return r;
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }

  /** The teacher reverts Carl and sees the revert as a document update naming Carl. */
  private static void revertCarl(TestClient tina, String room, long since) {
    long seq = TestClient.ack(tina.request(revert(room, "essay", "carl", since))).getSeq();
    Event e = tina.awaitEvent(ev -> ev.getSeq() == seq && ev.hasDocUpdated(), "the revert");
    assertEquals("carl", e.getDocUpdated().getRevertedUserId());
    assertEquals(since, e.getDocUpdated().getRevertedSinceMs());
    assertEquals("tina", e.getActor().getUserId());
  }

  @Test
  void aTeacherRevertsOneLearnerAndEveryProviderConverges() throws Exception {
    try (TestServer s = new TestServer(dir);
        Bystanders bystanders = new Bystanders(s, "elsewhere")) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "essay");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        run(params(s, "r1", "essay", dir.resolve("signals")), dir.resolve("signals"), since -> {
          // what an attacker or a confused client tries first: refused, nothing changes
          assertEquals(ErrorCode.PERMISSION_DENIED,
              TestClient.error(ana.request(revert("r1", "essay", "carl", since))).getCode());
          assertEquals(ErrorCode.DOC_NOT_FOUND,
              TestClient.error(tina.request(revert("r1", "nope", "carl", since))).getCode());
          assertEquals(ErrorCode.INVALID_REQUEST,
              TestClient.error(tina.request(revert("r1", "essay", "", since))).getCode());
          assertEquals(ErrorCode.REVERT_SINCE_INVALID,
              TestClient.error(tina.request(revert("r1", "essay", "carl", -5))).getCode());
          assertEquals(ErrorCode.REVERT_SINCE_INVALID, TestClient.error(tina.request(
              revert("r1", "essay", "carl", System.currentTimeMillis() + 3_600_000))).getCode());
          assertEquals(ErrorCode.REVERT_NOTHING,
              TestClient.error(tina.request(revert("r1", "essay", "nobody", since))).getCode());
          assertEquals(ErrorCode.REVERT_NOTHING, TestClient.error(tina.request(
              revert("r1", "essay", "carl", System.currentTimeMillis() - 1))).getCode());
          bystanders.assertServed();
          revertCarl(tina, "r1", since);
          // nothing of Carl's is left since then: a second revert finds nothing
          assertEquals(ErrorCode.REVERT_NOTHING,
              TestClient.error(tina.request(revert("r1", "essay", "carl", since))).getCode());
        });
        bystanders.assertServed();
      }
    }
  }

  @Test
  void theHistorySurvivesARestart() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // the providers reconnect to the same address after the restart
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    try (TestServer s = new TestServer(dir, b -> b.httpPort(port))) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "essay");
      run(params(s, "r1", "essay", dir.resolve("signals")), dir.resolve("signals"), since -> {
        s.stop();
        s.start();
        try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
          tina.join("r1");
          revertCarl(tina, "r1", since);
        }
      });
    }
  }

  @Test
  void twoNodesThroughRedis() throws Exception {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      a.createRoom("r1");
      b.createRoom("r1");
      YWebsocketIT.createDoc(a, "r1", "essay");
      // Ana and Carl on node A; Bo, the teacher and the late reader on node B
      JsonObject p = params(a, "r1", "essay", dir.resolve("signals"))
          .put("url2", "ws://127.0.0.1:" + b.port() + "/hocuspocus")
          .put("yws2", "ws://127.0.0.1:" + b.port() + "/yjs/r1");
      try (TestClient tina = b.user("tina", "r1", Role.TEACHER);
          TestClient watcher = a.user("wes", "r1", Role.OBSERVER)) {
        tina.join("r1");
        watcher.join("r1");
        run(p, dir.resolve("signals"), since -> {
          assertEquals(ErrorCode.READ_ONLY, // an observer changes nothing in a room
              TestClient.error(watcher.request(revert("r1", "essay", "carl", since))).getCode());
          revertCarl(tina, "r1", since);
          Event onA = watcher.awaitEvent(e -> e.hasDocUpdated() && e.getDocUpdated().getRevertedUserId()
              .equals("carl"), "the revert on node A");
          assertTrue(onA.getDocUpdated().getUpdate().size() > 0);
        });
      }
    }
  }
}
