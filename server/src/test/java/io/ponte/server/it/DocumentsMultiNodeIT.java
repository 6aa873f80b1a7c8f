package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.doc.YCoverage;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.ponte.yjs.YUpdates;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One document edited through all three doors on two nodes of a cluster (one Redis, one
 * PostgreSQL store, as the README's cluster runs): a y-websocket client (npm) on node A, a
 * Hocuspocus provider (npm) on node B and Ponte-protocol clients on both. Concurrent edits
 * converge everywhere, and late joiners on either node, through either endpoint, get the whole
 * document.
 */
@Timeout(180)
class DocumentsMultiNodeIT {
  @TempDir
  Path dir;

  private final String prefix = RedisFixture.newPrefix();
  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  private UnaryOperator<PonteConfig.Builder> node(String nodeId, boolean sharedStore) {
    return b -> {
      b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix).nodeId(nodeId);
      return sharedStore ? b.storeUrl(pg.schema().url()) : b;
    };
  }

  /**
   * With one PostgreSQL store (a cluster as documented) and with a SQLite store per node (then
   * the second node learns the room's operations from Redis, as when it loads a room whose
   * operations another node made).
   */
  @ParameterizedTest(name = "shared store: {0}")
  @ValueSource(booleans = {true, false})
  void yWebsocketOnOneNodeHocuspocusOnTheOtherAndPonteClientsConverge(boolean sharedStore)
      throws Exception {
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a", sharedStore));
        TestServer b = new TestServer(dir.resolve("b"), node("node-b", sharedStore))) {
      a.createRoom("d1");
      if (!sharedStore) {
        b.createRoom("d1");
      }
      YWebsocketIT.createDoc(a, "d1", "report");
      try (TestClient tina = a.user("tina", "d1", Role.TEACHER);
          TestClient wes = b.user("wes", "d1", Role.OBSERVER, WireFormat.JSON)) {
        tina.join("d1");
        wes.join("d1");
        // y-websocket on node A, Hocuspocus on node B (tokens are valid on both: one secret)
        JsonObject p = HocuspocusIT.params(b, "d1", "report")
            .put("yws", "ws://127.0.0.1:" + a.port() + "/yjs/d1")
            .put("expect", "PONTE");
        CompletableFuture<JsonObject> run = CompletableFuture.supplyAsync(() -> HocuspocusIT.hp("converge", p));
        // the Ponte client on node A writes while the npm clients type
        while (tina.poll(m -> m.hasEvent() && m.getEvent().hasDocUpdated(), Duration.ofMillis(500)) == null) {
          if (run.isDone()) {
            run.get(); // the npm clients failed: their output
            throw new AssertionError("the npm clients finished before any edit reached node A");
          }
        }
        TestClient.ack(tina.request(ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
            .setRoomId("d1").setDocId("report")
            .setUpdate(ByteString.copyFrom(new YTextUpdates(4_000_000_001L, "t").append("PONTE"))))));
        JsonObject r = run.get();
        assertEquals(r.getString("h"), r.getString("w"), "Hocuspocus on B and y-websocket on A");
        String whole = r.getString("late");
        assertEquals(r.getString("h"), whole, "a fresh Hocuspocus client on node B has it all");
        for (int i = 0; i < 20; i++) {
          assertTrue(whole.contains("h" + i + " "), whole);
          assertTrue(whole.contains("w😀" + i + " "), whole);
        }
        assertTrue(whole.contains("PONTE"), whole);

        // late joiners on the other node of each endpoint
        JsonObject ywsOnB = YWebsocketIT.params(b, "d1", "report");
        assertEquals(whole, NodeClients.scenario("read", ywsOnB).getString("text"), "y-websocket on node B");
        JsonObject hpOnA = HocuspocusIT.params(a, "d1", "report");
        assertEquals(whole, HocuspocusIT.hp("read", hpOnA).getString("text"), "Hocuspocus on node A");

        // both nodes hold the same document, and the Ponte client on node B saw every edit of it
        byte[] onA = DocumentsIT.sync(tina, "d1", "report", new byte[0]).getUpdate().toByteArray();
        byte[] onB = DocumentsIT.sync(wes, "d1", "report", new byte[0]).getUpdate().toByteArray();
        assertEquals(YUpdates.stateVectorFromUpdate(onA), YUpdates.stateVectorFromUpdate(onB));
        assertTrue(YCoverage.covers(onA, onB) && YCoverage.covers(onB, onA), "the same document on both nodes");
        List<byte[]> seen = new ArrayList<>();
        while (seen.isEmpty() || !YCoverage.covers(YUpdates.mergeUpdates(seen), onB)) {
          ServerMessage m = wes.await(x -> x.hasEvent() && x.getEvent().hasDocUpdated(),
              "the document's updates at the Ponte client on node B", Duration.ofSeconds(20));
          seen.add(m.getEvent().getDocUpdated().getUpdate().toByteArray());
        }
        byte[] merged = YUpdates.mergeUpdates(seen);
        assertEquals(YUpdates.stateVectorFromUpdate(onB), YUpdates.stateVectorFromUpdate(merged));
        assertTrue(YCoverage.covers(merged, onB), "nothing the Ponte client saw is missing on the nodes");
      }
    }
  }

  /**
   * Stock providers on both nodes open a document nobody created, at the same moment: it is
   * created exactly once (one DocCreate takes effect; at most one per node is sequenced, as
   * concurrent opens on a node share one, and the other node's loses with DOC_EXISTS at apply
   * time, which opens the document all the same) and everyone converges.
   */
  @org.junit.jupiter.api.Test
  void providersOnTwoNodesOpeningANewDocumentTogetherCreateItOnce() throws Exception {
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a", true));
        TestServer b = new TestServer(dir.resolve("b"), node("node-b", true))) {
      a.createRoom("d2");
      TestClient tina = a.user("tina", "d2", Role.TEACHER);
      tina.join("d2");
      JsonObject p = HocuspocusIT.params(b, "d2", "fresh")
          .put("yws", "ws://127.0.0.1:" + a.port() + "/yjs/d2")
          .put("n", 4);
      JsonObject r = HocuspocusIT.hp("crowd", p);
      for (int i = 0; i < 8; i++) {
        assertTrue(r.getString("late").contains("c" + i + " "), r.getString("late"));
      }
      assertEquals(r.getString("text"), r.getString("late"));
      assertEquals(r.getString("text"), NodeClients.scenario("read", YWebsocketIT.params(a, "d2", "fresh"))
          .getString("text"), "y-websocket on node A");
      long sequenced = DocumentsOpenIT.storedCreates(a, "d2", "fresh");
      assertTrue(sequenced >= 1 && sequenced <= 2, "at most one DocCreate per node: " + sequenced);
      tina.post("d2", "after the crowd"); // every event before it has reached tina
      tina.awaitEvent(e -> e.hasChatPosted(), "the post");
      assertEquals(1, tina.discard(m -> m.hasEvent() && m.getEvent().hasDocCreated()
          && m.getEvent().getDocCreated().getDocument().getDocId().equals("fresh")), "created once");
      tina.close();
    }
  }
}
