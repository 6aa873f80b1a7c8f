package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Documents open the way stock Yjs providers expect (created on open, exactly once however many
 * open at the same moment; refused to who may not create them), the per-room limits on documents
 * and reactions, and documents prepared through the admin API.
 */
@Timeout(180)
class DocumentsOpenIT {
  @TempDir
  Path dir;

  /** The room's stored operations. */
  static List<SequencedOperation> stored(TestServer s, String room) throws Exception {
    return s.server().store().operations(room, 0, 100_000)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static long storedCreates(TestServer s, String room, String doc) throws Exception {
    return stored(s, room).stream().filter(o -> o.getOperation().hasDocCreate()
        && o.getOperation().getDocCreate().getDocId().equals(doc)).count();
  }

  @Test
  void yWebsocketProvidersOpeningANewDocumentTogetherCreateItOnceAndConverge() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      JsonObject r = NodeClients.scenario("crowd", YWebsocketIT.params(s, "r1", "fresh").put("n", 8));
      assertEquals(r.getString("text"), r.getString("late"), "a late provider gets the whole document");
      for (int i = 0; i < 8; i++) {
        assertTrue(r.getString("late").contains("c" + i + " "), r.getString("late"));
      }
      assertEquals(1, storedCreates(s, "r1", "fresh"), "one DocCreate however many providers opened it");
    }
  }

  @Test
  void hocuspocusProvidersOpeningANewDocumentTogetherCreateItOnceAndConverge() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      JsonObject r = HocuspocusIT.hp("crowd", HocuspocusIT.params(s, "r1", "fresh").put("n", 4));
      assertEquals(r.getString("text"), r.getString("late"));
      for (int i = 0; i < 8; i++) {
        assertTrue(r.getString("late").contains("c" + i + " "), r.getString("late"));
      }
      assertEquals(1, storedCreates(s, "r1", "fresh"));
    }
  }

  /**
   * Who may not create a document reads a missing one as missing (4404 / DOC_NOT_FOUND, as for
   * any unknown document); at the cap a teacher's provider is refused with TOO_MANY_DOCUMENTS.
   */
  @Test
  void whoMayNotCreateAMissingDocumentIsToldItIsNotFoundAndTheCapHolds() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.set("doc-max-per-room", "2"))) {
      s.createRoom(new JsonObject().put("id", "r1").put("title", "Room")
          .put("studentPermissions", new JsonObject().put("chat", true).put("documents", false)));
      JsonObject p = YWebsocketIT.params(s, "r1", "x").put("cases", new JsonArray()
          .add(new JsonArray().add("observer").add("ro").add("missing1"))
          .add(new JsonArray().add("student").add("a").add("missing2"))
          .add(new JsonArray().add("teacher").add("reader").add("one"))
          .add(new JsonArray().add("teacher2").add("reader").add("two"))
          .add(new JsonArray().add("overCap").add("reader").add("three"))
          .add(new JsonArray().add("existingAtCap").add("a").add("one")));
      JsonObject r = NodeClients.scenario("refused", p);
      assertClosed(r.getJsonObject("observer"), CloseCode.NOT_FOUND, "DOC_NOT_FOUND");
      assertClosed(r.getJsonObject("student"), CloseCode.NOT_FOUND, "DOC_NOT_FOUND");
      assertEquals(0, r.getJsonObject("teacher").getInteger("code"), r.encode());
      assertEquals(0, r.getJsonObject("teacher2").getInteger("code"), r.encode());
      assertClosed(r.getJsonObject("overCap"), CloseCode.FORBIDDEN, "TOO_MANY_DOCUMENTS");
      assertEquals(0, r.getJsonObject("existingAtCap").getInteger("code"), "an existing document opens at the cap");

      JsonObject h = HocuspocusIT.hp("denied", HocuspocusIT.params(s, "r1", "x").put("cases", new JsonArray()
          .add(new JsonArray().add("observer").add("ro").add("r1/missing3"))
          .add(new JsonArray().add("student").add("a").add("r1/missing4"))
          .add(new JsonArray().add("overCap").add("reader").add("r1/four"))));
      assertTrue(h.getString("observer").startsWith("DOC_NOT_FOUND"), h.encode());
      assertTrue(h.getString("student").startsWith("DOC_NOT_FOUND"), h.encode());
      assertTrue(h.getString("overCap").startsWith("TOO_MANY_DOCUMENTS"), h.encode());
      assertEquals(2, stored(s, "r1").stream().filter(o -> o.getOperation().hasDocCreate()).count());
    }
  }

  private static void assertClosed(JsonObject outcome, CloseCode code, String reasonStart) {
    assertEquals(101, outcome.getInteger("status"), () -> "upgraded: " + outcome.encode());
    assertEquals(code.code(), outcome.getInteger("code"), () -> outcome.encode());
    assertTrue(outcome.getString("reason").startsWith(reasonStart), () -> outcome.encode());
  }

  @Test
  void aStudentCreatingDocumentsPastTheCapIsRefusedWhileBystandersKeepWorking() {
    try (TestServer s = new TestServer(dir, b -> b.set("doc-max-per-room", "5"));
        Bystanders by = new Bystanders(s, "calm")) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        ana.join("r1");
        for (int i = 0; i < 5; i++) {
          TestClient.ack(ana.request(create("d" + i)));
          by.assertServed();
        }
        for (int i = 5; i < 9; i++) {
          assertEquals(ErrorCode.TOO_MANY_DOCUMENTS, TestClient.error(ana.request(create("d" + i))).getCode());
        }
        ana.assertOpen();
        by.assertServed();
      }
    }
  }

  private static ClientMessage.Builder create(String doc) {
    return ClientMessage.newBuilder().setDocCreate(DocCreate.newBuilder().setRoomId("r1").setDocId(doc));
  }

  @Test
  void reactionsPastTheCapAreRefusedWhileBystandersKeepWorking() {
    try (TestServer s = new TestServer(dir, b -> b.set("chat-max-reactions-per-message", "3"));
        Bystanders by = new Bystanders(s, "calm")) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        long seq = tina.post("r1", "react to me").getSeq();
        for (String r : List.of("👍", "🎉", "❤️")) {
          TestClient.ack(ana.request(react(seq, r)));
        }
        assertEquals(ErrorCode.TOO_MANY_REACTIONS, TestClient.error(ana.request(react(seq, "😀"))).getCode());
        assertEquals(ErrorCode.TOO_MANY_REACTIONS, TestClient.error(tina.request(react(seq, "👍"))).getCode());
        TestClient.ack(ana.request(react(seq, "👍"))); // a pair it already has adds nothing
        by.assertServed();
        ana.assertOpen();
      }
    }
  }

  private static ClientMessage.Builder react(long seq, String reaction) {
    return ClientMessage.newBuilder().setChatReact(ChatReact.newBuilder().setRoomId("r1")
        .setMessageSeq(seq).setReaction(reaction).setAdd(true));
  }

  /**
   * An update the document already holds is acknowledged without a new seq (duplicate, with the
   * room's current seq) and not stored again, over /ws and over /yjs alike.
   */
  @Test
  void anUpdateThatAddsNothingIsAcknowledgedWithoutBeingSequencedOrStored() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        ana.join("r1");
        byte[] edit = new io.ponte.server.doc.YTextUpdates(42, "t").append("hello");
        var first = TestClient.ack(ana.request(update(edit)));
        assertFalse(first.getDuplicate());
        int storedBefore = stored(s, "r1").size();
        var again = TestClient.ack(ana.request(update(edit)));
        assertTrue(again.getDuplicate(), again.toString());
        assertEquals(first.getSeq(), again.getSeq(), "the room's current seq, at which the document holds it");
        // over /yjs: the same update as a y-protocols update message, then a marker that is new
        try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(),
            "/yjs/r1/report?token=" + s.token("bo", "Bo", "r1", Role.STUDENT))) {
          y.await(m -> m[0] == 0, "sync step 1", java.time.Duration.ofSeconds(10));
          y.send(new io.ponte.yjs.Lib0Encoder().writeVarUint(0).writeVarUint(2)
              .writeVarUint8Array(edit).toByteArray());
          byte[] marker = new io.ponte.server.doc.YTextUpdates(43, "t").append("marker");
          y.send(new io.ponte.yjs.Lib0Encoder().writeVarUint(0).writeVarUint(2)
              .writeVarUint8Array(marker).toByteArray());
          ana.awaitEvent(e -> e.hasDocUpdated() && e.getDocUpdated().getUpdate()
              .equals(com.google.protobuf.ByteString.copyFrom(marker)), "the marker");
        }
        // The marker was delivered maybe before it was stored (the Yjs fast path): a post acked
        // after it is durable, and so (one writer queue, in order) is the marker.
        TestClient.ack(ana.request(ClientMessage.newBuilder().setChatPost(
            io.ponte.protocol.v1.ChatPost.newBuilder().setRoomId("r1").setText("after the marker"))));
        List<SequencedOperation> after = stored(s, "r1");
        assertEquals(storedBefore + 2, after.size(), "only the marker and the post were stored: " + after.size());
        assertEquals(1, after.stream().filter(o -> o.getOperation().hasDocUpdate()
            && o.getOperation().getDocUpdate().getUpdate().equals(com.google.protobuf.ByteString.copyFrom(edit)))
            .count());
      }
    }
  }

  private static ClientMessage.Builder update(byte[] u) {
    return ClientMessage.newBuilder().setDocUpdate(io.ponte.protocol.v1.DocUpdate.newBuilder()
        .setRoomId("r1").setDocId("report").setUpdate(com.google.protobuf.ByteString.copyFrom(u)));
  }

  @Test
  void anAdministratorPreparesDocumentsAheadOfTheSession() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      HttpResponse<String> created = s.admin("POST", "/admin/rooms/r1/docs", new JsonObject()
          .put("docId", "worksheet").put("title", "Worksheet 1").put("studentsReadOnly", true).encode());
      assertEquals(201, created.statusCode(), created.body());
      JsonObject doc = new JsonObject(created.body());
      assertEquals("worksheet", doc.getString("docId"));
      assertEquals("Worksheet 1", doc.getString("title"));
      assertTrue(doc.getBoolean("studentsReadOnly"));
      assertEquals(409, s.admin("POST", "/admin/rooms/r1/docs",
          new JsonObject().put("docId", "worksheet").encode()).statusCode());
      assertCode(s.admin("POST", "/admin/rooms/r1/docs", new JsonObject().put("docId", "worksheet").encode()),
          409, "DOC_EXISTS");
      assertCode(s.admin("POST", "/admin/rooms/nope/docs", new JsonObject().put("docId", "w").encode()),
          404, "ROOM_NOT_FOUND");
      assertCode(s.admin("POST", "/admin/rooms/r1/docs", new JsonObject().put("docId", "bad id").encode()),
          400, "INVALID_REQUEST");
      assertCode(s.admin("POST", "/admin/rooms/r1/docs", new JsonObject().put("docId", "w")
          .put("studentsReadOnly", "yes").encode()), 400, "INVALID_REQUEST");
      assertCode(s.admin("POST", "/admin/rooms/r1/docs", "not json"), 400, "INVALID_REQUEST");
      assertEquals(401, s.http("POST", "/admin/rooms/r1/docs", "{\"docId\":\"w\"}", null).statusCode());
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        var joined = ana.join("r1");
        assertTrue(joined.getSnapshot().getDocumentsList().stream()
            .anyMatch(d -> d.getDocId().equals("worksheet") && d.getStudentsReadOnly()), joined.toString());
      }
      assertEquals(1, storedCreates(s, "r1", "worksheet"));
      assertFalse(stored(s, "r1").isEmpty());
    }
  }

  private static void assertCode(HttpResponse<String> r, int status, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, new JsonObject(r.body()).getString("code"), r.body());
  }
}
