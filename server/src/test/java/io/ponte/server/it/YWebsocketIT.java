package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocSetReadOnly;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.server.doc.YTextUpdates;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conformance of the y-websocket-compatible endpoint /yjs/{room}/{doc} with real npm clients:
 * yjs + y-websocket's WebsocketProvider in Node (ws as WebSocket, BroadcastChannel disabled).
 */
@Timeout(120)
class YWebsocketIT {
  @TempDir
  Path dir;

  static void createDoc(TestServer s, String room, String doc) {
    try (TestClient t = s.user("tina", room, Role.TEACHER)) {
      t.join(room);
      TestClient.ack(t.request(ClientMessage.newBuilder().setDocCreate(
          DocCreate.newBuilder().setRoomId(room).setDocId(doc).setTitle("Report"))));
    }
  }

  static JsonObject params(TestServer s, String room, String doc) {
    return new JsonObject()
        .put("base", "ws://127.0.0.1:" + s.port() + "/yjs/" + room)
        .put("doc", doc)
        .put("tokens", new JsonObject()
            .put("a", s.token("ana", "Ana", room, Role.STUDENT))
            .put("b", s.token("bo", "Bo", room, Role.STUDENT))
            .put("reader", s.token("tina", "Tina", room, Role.TEACHER))
            .put("ro", s.token("olga", "Olga", room, Role.OBSERVER))
            .put("other", s.token("ana", "Ana", "elsewhere", Role.STUDENT))
            .put("bad", "not-a-token"));
  }

  @Test
  void twoProvidersConvergeAndALateJoinerGetsTheWholeDocument() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      JsonObject r = NodeClients.scenario("converge", params(s, "r1", "report"));
      assertEquals(r.getString("a"), r.getString("b"));
      assertEquals(r.getString("a"), r.getString("late"), "a late joiner after everyone left has it all");
      for (int i = 0; i < 20; i++) {
        assertTrue(r.getString("late").contains("a" + i + " "), r.getString("late"));
        assertTrue(r.getString("late").contains("b😀" + i + " "), r.getString("late"));
      }
    }
  }

  @Test
  void offlineEditsMergeOnReconnect() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      JsonObject r = NodeClients.scenario("offline", params(s, "r1", "report"));
      assertEquals(r.getString("a"), r.getString("b"));
      assertEquals(r.getString("a"), r.getString("late"));
      assertTrue(r.getString("late").contains("offline-a"));
      assertTrue(r.getString("late").contains("online-b"));
      assertTrue(r.getString("late").startsWith("hared"), "the offline deletion is kept: " + r.getString("late"));
    }
  }

  @Test
  void aRestartKeepsTheDocumentAndPonteAndYjsClientsSeeEachOthersEdits() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        NodeClients.scenario("write", params(s, "r1", "report").put("text", "from y-websocket "));
        Event seen = tina.awaitEvent(Event::hasDocUpdated, "the y-websocket edit over the Ponte protocol");
        assertEquals("report", seen.getDocUpdated().getDocId());
        // a Ponte client's edit reaches y-websocket clients (a root Y.Text "t", as they use)
        TestClient.ack(tina.request(ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
            .setRoomId("r1").setDocId("report")
            .setUpdate(ByteString.copyFrom(new YTextUpdates(4_000_000_001L, "t").append("PONTE"))))));
      }
      String before = NodeClients.scenario("read", params(s, "r1", "report")).getString("text");
      assertTrue(before.contains("from y-websocket") && before.contains("PONTE"), before);
      s.stop();
      s.start();
      String after = NodeClients.scenario("read", params(s, "r1", "report")).getString("text");
      assertEquals(before, after);
    }
  }

  @Test
  void awarenessAppearsAndDisappearsWhenItsConnectionCloses() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      JsonObject r = NodeClients.scenario("awareness", params(s, "r1", "report"));
      assertTrue(r.getBoolean("appeared"));
      assertTrue(r.getBoolean("disappeared"));
    }
  }

  @Test
  void readOnlyUsersCannotChangeTheDocument() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      NodeClients.scenario("write", params(s, "r1", "report").put("text", "base "));
      // an observer
      JsonObject r = NodeClients.scenario("readonly", params(s, "r1", "report"));
      assertFalse(r.getString("after").contains("SHOULD-NOT"), r.encode());
      assertEquals(r.getString("before") + " marker", r.getString("after"));
      assertTrue(r.getJsonArray("denied").encode().contains("READ_ONLY"), r.encode());
      // a student on a document a teacher made read-only for students
      try (TestClient t = s.user("tina", "r1", Role.TEACHER)) {
        t.join("r1");
        TestClient.ack(t.request(ClientMessage.newBuilder().setDocSetReadOnly(DocSetReadOnly.newBuilder()
            .setRoomId("r1").setDocId("report").setStudentsReadOnly(true))));
      }
      JsonObject p = params(s, "r1", "report");
      p.getJsonObject("tokens").put("ro", p.getJsonObject("tokens").getString("b"));
      JsonObject st = NodeClients.scenario("readonly", p);
      assertFalse(st.getString("after").contains("SHOULD-NOT"), st.encode());
      assertTrue(st.getJsonArray("denied").encode().contains("DOC_READ_ONLY"), st.encode());
    }
  }

  /**
   * Refusals come right after the upgrade, with a 44xx close code and the error code as reason: a
   * browser cannot see an HTTP status, and y-websocket gives up on 4400-4499 only.
   */
  @Test
  void deniedTokensAndUnknownRoomsOrDocumentsAreRefusedWithACloseCodeTheProviderGivesUpOn() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      JsonObject p = params(s, "r1", "report").put("cases", new JsonArray()
          .add(new JsonArray().add("bad").add("bad").add("report"))
          .add(new JsonArray().add("none").add("missing").add("report"))
          .add(new JsonArray().add("otherRoom").add("other").add("report"))
          .add(new JsonArray().add("unknownDoc").add("ro").add("nope"))
          .add(new JsonArray().add("badDocId").add("a").add("no%20spaces%20here"))
          .add(new JsonArray().add("ok").add("a").add("report")));
      JsonObject r = NodeClients.scenario("refused", p);
      assertClosed(r.getJsonObject("bad"), CloseCode.UNAUTHORIZED, "TOKEN_");
      assertClosed(r.getJsonObject("none"), CloseCode.UNAUTHORIZED, "TOKEN_");
      assertClosed(r.getJsonObject("otherRoom"), CloseCode.FORBIDDEN, "ROOM_NOT_ALLOWED");
      assertClosed(r.getJsonObject("unknownDoc"), CloseCode.NOT_FOUND, "DOC_NOT_FOUND");
      assertClosed(r.getJsonObject("badDocId"), CloseCode.NOT_FOUND, "DOC_NOT_FOUND");
      assertEquals(new JsonObject().put("status", 101).put("code", 0), r.getJsonObject("ok"), "served");
      JsonObject provider = r.getJsonObject("provider");
      assertEquals(CloseCode.UNAUTHORIZED.code(), provider.getInteger("code"), r.encode());
      assertEquals(1, provider.getInteger("attempts"), "one socket, no reconnects: " + r.encode());
      assertFalse(provider.getBoolean("synced"));

      JsonObject p2 = params(s, "nope", "report").put("cases", new JsonArray()
          .add(new JsonArray().add("unknownRoom").add("reader").add("report")));
      p2.getJsonObject("tokens").put("reader", s.token("tina", "Tina", "nope", Role.TEACHER));
      p2.getJsonObject("tokens").put("bad", "not-a-token");
      assertClosed(NodeClients.scenario("refused", p2).getJsonObject("unknownRoom"),
          CloseCode.NOT_FOUND, "ROOM_NOT_FOUND");
    }
  }

  private static void assertClosed(JsonObject outcome, CloseCode code, String reasonStart) {
    assertEquals(101, outcome.getInteger("status"), () -> "upgraded: " + outcome.encode());
    assertEquals(code.code(), outcome.getInteger("code"), () -> outcome.encode());
    assertTrue(outcome.getString("reason").startsWith(reasonStart), () -> outcome.encode());
  }

  @Test
  void anUpdateJustUnderTheDocumentLimitIsAcceptedAndOneOverItIsDenied() {
    int limit = 600_000; // well above 4x max-frame-bytes (the default 64 KiB)
    try (TestServer s = new TestServer(dir, b -> b.docMaxUpdateBytes(limit))) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      NodeClients.scenario("write", params(s, "r1", "report").put("text", "keep me"));
      JsonObject r = NodeClients.scenario("large", params(s, "r1", "report").put("limit", limit));
      int under = r.getInteger("underSize");
      assertTrue(under <= limit && under > limit - 1024, "the provider's update is just under the limit: " + under);
      assertTrue(r.getBoolean("underAtB"), "the large update reached the other provider");
      assertTrue(r.getInteger("overSize") > limit, r.encode());
      assertTrue(r.getJsonArray("denials").encode().contains("UPDATE_TOO_LARGE"), r.getJsonArray("denials").encode());
      assertTrue(r.getBoolean("openAfterDenial"), "a denied update does not cost the connection");
      assertTrue(r.getBoolean("afterIsBeforeAndUnder"), "the stored document has the accepted update only");
      assertFalse(r.getBoolean("afterHasOver"));
    }
  }

  @Test
  void aProviderRefusedForGoodAfterTheUpgradeStopsReconnecting() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      try (TestClient t = s.user("tina", "r1", Role.TEACHER)) {
        t.join("r1");
        TestClient.ack(ModerationIT.remove(t, "r1", "bo"));
      }
      JsonObject p = params(s, "r1", "report").put("try", new JsonArray().add("b").add("expiring"));
      p.getJsonObject("tokens").put("expiring", s.server().issuer().mint("eve", "Eve",
          Map.of("r1", Role.STUDENT), Duration.ofSeconds(3), false));
      JsonObject r = NodeClients.scenario("giveUp", p);
      // bo was removed by a teacher: the token is good, the room refuses him
      JsonObject banned = r.getJsonObject("b");
      assertEquals(CloseCode.FORBIDDEN.code(), banned.getInteger("code"), r.encode());
      assertTrue(banned.getString("reason").startsWith("BANNED"), r.encode());
      assertEquals(1, banned.getInteger("attempts"), "one socket, no reconnects: " + r.encode());
      // eve's token expires while she is connected
      JsonObject expired = r.getJsonObject("expiring");
      assertEquals(CloseCode.UNAUTHORIZED.code(), expired.getInteger("code"), r.encode());
      assertTrue(expired.getString("reason").startsWith("TOKEN_EXPIRED"), r.encode());
      assertEquals(1, expired.getInteger("attempts"), "one socket, no reconnects: " + r.encode());
    }
  }

  @Test
  void malformedAndOversizeUpdatesAreDeniedAndTheDocumentIsUnchanged() {
    try (TestServer s = new TestServer(dir, b -> b.docMaxUpdateBytes(4096))) {
      s.createRoom("r1");
      createDoc(s, "r1", "report");
      NodeClients.scenario("write", params(s, "r1", "report").put("text", "keep me"));
      JsonObject r = NodeClients.scenario("badinput", params(s, "r1", "report").put("oversize", 10_000));
      assertEquals("keep me", r.getString("before"));
      assertEquals(r.getString("before"), r.getString("after"));
      String denials = r.getJsonArray("denials").encode();
      assertTrue(denials.contains("UPDATE_MALFORMED"), denials);
      assertTrue(denials.contains("UPDATE_TOO_LARGE"), denials);
      assertClosed(r.getJsonObject("unknownDoc"), CloseCode.NOT_FOUND, "DOC_NOT_FOUND");
    }
  }
}
