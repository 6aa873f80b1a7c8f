package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conformance of the Hocuspocus-compatible endpoint /hocuspocus with real npm clients:
 * yjs + @hocuspocus/provider in Node (ws as WebSocket), beside y-websocket and Ponte clients.
 */
@Timeout(120)
class HocuspocusIT {
  @TempDir
  Path dir;

  static JsonObject params(TestServer s, String room, String doc) {
    return YWebsocketIT.params(s, room, doc)
        .put("url", "ws://127.0.0.1:" + s.port() + "/hocuspocus")
        .put("yws", "ws://127.0.0.1:" + s.port() + "/yjs/" + room)
        .put("room", room);
  }

  static JsonObject hp(String scenario, JsonObject params) {
    return NodeClients.scenario("hp-clients.mjs", scenario, params);
  }

  @Test
  void hocuspocusYWebsocketAndPonteClientsConverge() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        CompletableFuture<JsonObject> run = CompletableFuture.supplyAsync(() ->
            hp("converge", params(s, "r1", "report").put("expect", "PONTE")));
        // a Ponte client's edit while the npm clients type (a root Y.Text "t", as they use)
        tina.awaitEvent(Event::hasDocUpdated, "an npm client's edit over the Ponte protocol");
        TestClient.ack(tina.request(ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
            .setRoomId("r1").setDocId("report")
            .setUpdate(ByteString.copyFrom(new YTextUpdates(4_000_000_001L, "t").append("PONTE"))))));
        JsonObject r = run.get();
        assertEquals("read-write", r.getString("scope"));
        assertEquals(r.getString("h"), r.getString("w"));
        assertEquals(r.getString("h"), r.getString("late"), "a fresh client after everyone left has it all");
        for (int i = 0; i < 20; i++) {
          assertTrue(r.getString("late").contains("h" + i + " "), r.getString("late"));
          assertTrue(r.getString("late").contains("w😀" + i + " "), r.getString("late"));
        }
        assertTrue(r.getString("late").contains("PONTE"), r.getString("late"));
      }
    }
  }

  @Test
  void offlineEditsMergeOnReconnect() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      JsonObject r = hp("offline", params(s, "r1", "report"));
      assertEquals(r.getString("h"), r.getString("w"));
      assertEquals(r.getString("h"), r.getString("late"), "the server kept every edit");
      assertTrue(r.getString("late").contains("offline-h"), r.encode());
      assertTrue(r.getString("late").contains("online-w"), r.encode());
      assertTrue(r.getString("late").startsWith("hared"), "the offline deletion is kept: " + r.encode());
    }
  }

  @Test
  void awarenessAppearsAndDisappearsWhenItsSocketDies() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      JsonObject r = hp("awareness", params(s, "r1", "report"));
      assertTrue(r.getBoolean("appeared"));
      assertTrue(r.getBoolean("disappeared"));
    }
  }

  @Test
  void twoDocumentsOverOneSocket() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      YWebsocketIT.createDoc(s, "r1", "notes");
      JsonObject r = hp("twoDocs", params(s, "r1", "report").put("doc2", "notes"));
      assertEquals(1, r.getInteger("sockets"));
      assertEquals("in report", r.getString("first"));
      assertEquals("in notes", r.getString("second"));
      assertEquals("in notes", r.getString("secondYws"));
    }
  }

  @Test
  void readOnlyUsersAreToldSoAndCannotChangeTheDocument() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      hp("write", params(s, "r1", "report").put("text", "base "));
      JsonObject r = hp("readonly", params(s, "r1", "report"));
      assertEquals("readonly", r.getString("scope"));
      assertTrue(r.getJsonArray("errors").encode().contains("READ_ONLY"), r.encode());
      assertTrue(r.getBoolean("unsynced"), "a refused update is never acknowledged as applied");
      assertFalse(r.getString("after").contains("SHOULD-NOT"), r.encode());
      assertEquals(r.getString("before") + " marker", r.getString("after"));
    }
  }

  @Test
  void deniedTokensAndUnknownRoomsOrDocumentsGetPermissionDenied() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      JsonObject p = params(s, "r1", "report").put("cases", new JsonArray()
          .add(new JsonArray().add("bad").add("bad").add("r1/report"))
          .add(new JsonArray().add("none").add("missing").add("r1/report"))
          .add(new JsonArray().add("otherRoom").add("other").add("r1/report"))
          .add(new JsonArray().add("unknownDoc").add("ro").add("r1/nope"))
          .add(new JsonArray().add("noSlash").add("a").add("report"))
          .add(new JsonArray().add("unknownRoom").add("nopeTeacher").add("nope/report"))
          .add(new JsonArray().add("ok").add("a").add("r1/report")));
      p.getJsonObject("tokens").put("nopeTeacher", s.token("tina", "Tina", "nope", Role.TEACHER));
      JsonObject r = hp("denied", p);
      assertTrue(r.getString("bad").startsWith("TOKEN_"), r.encode());
      assertTrue(r.getString("none").startsWith("TOKEN_"), r.encode());
      assertTrue(r.getString("otherRoom").startsWith("ROOM_NOT_ALLOWED"), r.encode());
      assertTrue(r.getString("unknownDoc").startsWith("DOC_NOT_FOUND"), r.encode());
      assertTrue(r.getString("noSlash").startsWith("DOC_NOT_FOUND"), r.encode());
      assertTrue(r.getString("unknownRoom").startsWith("ROOM_NOT_FOUND"), r.encode());
      assertEquals("authenticated:read-write", r.getString("ok"));
      assertFalse(r.getBoolean("badSynced"));
      assertFalse(r.getBoolean("unknownDocSynced"));
    }
  }

  /** A Hocuspocus message: the document name, then the body. */
  static byte[] hpMessage(String name, byte[] body) {
    return new Lib0Encoder().writeVarString(name).writeBytes(body).toByteArray();
  }

  static boolean isAuthenticated(byte[] m, String name) {
    Lib0Decoder d = new Lib0Decoder(m);
    return m.length > 1 && d.readVarString().equals(name) && d.readVarUint() == 2 && d.readVarUint() == 2;
  }

  @Test
  void aPingIsAnsweredWithAPongAndAPongIsIgnored() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      try (RawYSocket ws = RawYSocket.open(s.clientVertx(), s.port(), "/hocuspocus")) {
        ws.send(new byte[] {9});
        assertArrayEquals(new byte[] {10}, ws.await(m -> true, "the Pong", Duration.ofSeconds(10)));
        // a Pong (as a Hocuspocus 4 provider answers a server's Ping) is no malformed message
        ws.send(new byte[] {10});
        byte[] token = new Lib0Encoder().writeVarUint(2).writeVarUint(0)
            .writeVarString(s.token("ana", "Ana", "r1", Role.STUDENT)).toByteArray();
        ws.send(hpMessage("r1/report", token));
        byte[] auth = ws.await(m -> m.length > 1, "the Authenticated message", Duration.ofSeconds(10));
        assertTrue(isAuthenticated(auth, "r1/report"), () -> "expected Authenticated: " + Arrays.toString(auth));
        // and a Ping among document messages still gets its Pong
        ws.send(new byte[] {9});
        ws.await(m -> Arrays.equals(m, new byte[] {10}), "the second Pong", Duration.ofSeconds(10));
        assertFalse(ws.isClosed());
      }
    }
  }

  @Test
  void aRestartKeepsTheDocument() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      String before = hp("write", params(s, "r1", "report").put("text", "kept over a restart")).getString("text");
      assertTrue(before.contains("kept over a restart"), before);
      s.stop();
      s.start();
      assertEquals(before, hp("read", params(s, "r1", "report")).getString("text"));
      assertEquals(before, NodeClients.scenario("read", YWebsocketIT.params(s, "r1", "report")).getString("text"));
    }
  }
}
