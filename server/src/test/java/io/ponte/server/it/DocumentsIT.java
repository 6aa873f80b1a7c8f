package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocAwareness;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocSetReadOnly;
import io.ponte.protocol.v1.DocSync;
import io.ponte.protocol.v1.DocSyncReply;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import io.ponte.yjs.YUpdates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Documents over the Ponte protocol: create, update, sync, read-only, limits, awareness. */
@Timeout(60)
class DocumentsIT {
  @TempDir
  Path dir;

  static ServerMessage create(TestClient c, String room, String doc, boolean readOnly) {
    return c.request(ClientMessage.newBuilder().setDocCreate(DocCreate.newBuilder()
        .setRoomId(room).setDocId(doc).setTitle("Our report").setStudentsReadOnly(readOnly)));
  }

  static ServerMessage update(TestClient c, String room, String doc, byte[] update) {
    return c.request(ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
        .setRoomId(room).setDocId(doc).setUpdate(ByteString.copyFrom(update))));
  }

  static DocSyncReply sync(TestClient c, String room, String doc, byte[] sv) {
    ServerMessage m = c.request(ClientMessage.newBuilder().setDocSync(DocSync.newBuilder()
        .setRoomId(room).setDocId(doc).setStateVector(ByteString.copyFrom(sv))));
    assertEquals(ServerMessage.BodyCase.DOC_SYNC_REPLY, m.getBodyCase(), () -> "expected a sync reply: " + m);
    return m.getDocSyncReply();
  }

  static void assertError(ErrorCode code, ServerMessage m) {
    assertEquals(code, TestClient.error(m).getCode(), () -> "expected " + code + ": " + m);
  }

  @Test
  void teacherCreatesAStudentWritesAndALateJoinerSyncsTheWholeDocument() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT, WireFormat.JSON)) {
        tina.join("r1");
        ana.join("r1");
        Ack created = TestClient.ack(create(tina, "r1", "report", false));
        Event e = ana.nextEvent("r1");
        assertEquals(created.getSeq(), e.getSeq());
        assertEquals("report", e.getDocCreated().getDocument().getDocId());
        assertEquals("Our report", e.getDocCreated().getDocument().getTitle());

        YTextUpdates typing = new YTextUpdates(7, "t");
        byte[] u1 = typing.append("Hello");
        Ack a1 = TestClient.ack(update(ana, "r1", "report", u1));
        assertEquals(created.getSeq() + 1, a1.getSeq());
        Event seen = tina.awaitEvent(x -> x.hasDocUpdated(), "doc_updated");
        assertEquals(a1.getSeq(), seen.getSeq());
        assertArrayEquals(u1, seen.getDocUpdated().getUpdate().toByteArray());
        byte[] u2 = typing.append(" world");
        TestClient.ack(update(ana, "r1", "report", u2));

        try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
          Joined j = bo.join("r1");
          assertEquals("report", j.getSnapshot().getDocuments(0).getDocId());
          DocSyncReply whole = sync(bo, "r1", "report", new byte[0]);
          assertEquals(Map.of(7L, 11L), YUpdates.stateVectorFromUpdate(whole.getUpdate().toByteArray()));
          assertEquals(Map.of(7L, 11L), YUpdates.decodeStateVector(whole.getStateVector().toByteArray()));
          assertEquals(j.getSeq(), whole.getSeq());
          // With a state vector: only what is missing
          DocSyncReply diff = sync(bo, "r1", "report", YUpdates.encodeStateVector(Map.of(7L, 5L)));
          assertEquals(Map.of(7L, 11L), YUpdates.stateVectorFromUpdate(
              YUpdates.mergeUpdates(java.util.List.of(u1, diff.getUpdate().toByteArray()))));
          assertTrue(diff.getUpdate().size() < whole.getUpdate().size());
          DocSyncReply nothing = sync(bo, "r1", "report", whole.getStateVector().toByteArray());
          assertEquals(Map.of(), YUpdates.stateVectorFromUpdate(nothing.getUpdate().toByteArray()));
        }
      }
    }
  }

  @Test
  void badInputGetsItsErrorAndTheDocumentIsUnchanged() {
    try (TestServer s = new TestServer(dir, b -> b.docMaxUpdateBytes(2048).docMaxBytes(8192))) {
      s.createRoom(new io.vertx.core.json.JsonObject().put("id", "r1").put("title", "Room")
          .put("studentPermissions", new io.vertx.core.json.JsonObject().put("chat", true)));
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        tina.join("r1");
        ana.join("r1");
        olga.join("r1");
        TestClient.ack(create(tina, "r1", "report", false));
        TestClient.ack(update(ana, "r1", "report", new YTextUpdates(7, "t").append("Hello")));
        DocSyncReply before = sync(tina, "r1", "report", new byte[0]);

        assertError(ErrorCode.UPDATE_MALFORMED, update(ana, "r1", "report", new byte[] {1, 1, 9, 0, 4, 1}));
        assertError(ErrorCode.UPDATE_TOO_LARGE,
            update(ana, "r1", "report", new YTextUpdates(8, "t").append("x".repeat(3000))));
        assertError(ErrorCode.DOC_NOT_FOUND, update(ana, "r1", "nope", new YTextUpdates(8, "t").append("x")));
        assertError(ErrorCode.READ_ONLY, update(olga, "r1", "report", new YTextUpdates(9, "t").append("x")));
        assertError(ErrorCode.DOC_EXISTS, create(tina, "r1", "report", false));
        assertError(ErrorCode.CAPABILITY_DENIED, create(ana, "r1", "mine", false));
        assertError(ErrorCode.DOC_NOT_FOUND, tina.request(ClientMessage.newBuilder().setDocSync(
            DocSync.newBuilder().setRoomId("r1").setDocId("nope"))));
        // read-only for students
        TestClient.ack(tina.request(ClientMessage.newBuilder().setDocSetReadOnly(DocSetReadOnly.newBuilder()
            .setRoomId("r1").setDocId("report").setStudentsReadOnly(true))));
        assertTrue(ana.awaitEvent(e -> e.hasDocReadOnlyChanged(), "read-only").getDocReadOnlyChanged()
            .getStudentsReadOnly());
        assertError(ErrorCode.DOC_READ_ONLY, update(ana, "r1", "report", new YTextUpdates(8, "t").append("x")));
        // document size: 8 KiB hold a few 1500-byte insertions, then DOC_TOO_LARGE
        YTextUpdates big = new YTextUpdates(10, "t");
        ServerMessage last;
        int n = 0;
        do {
          last = update(tina, "r1", "report", big.append("y".repeat(1500)));
          n++;
        } while (last.hasAck() && n < 20);
        assertError(ErrorCode.DOC_TOO_LARGE, last);
        assertEquals(6, n, "five insertions fit");
        DocSyncReply after = sync(tina, "r1", "report", new byte[0]);
        assertEquals(Map.of(7L, 5L, 10L, 7500L), YUpdates.decodeStateVector(after.getStateVector().toByteArray()),
            "only the accepted updates are in the document");
        assertEquals(Map.of(7L, 5L), YUpdates.decodeStateVector(before.getStateVector().toByteArray()));
        assertTrue(tina.isClosed() == false && ana.isClosed() == false);
      }
    }
  }

  /**
   * A document update may be larger than an ordinary frame (a pasted chapter), up to the update
   * limit, in either wire format; nothing else may, and nothing past the limit is parsed.
   */
  @Test
  void aDocumentUpdateLargerThanAFrameIsTakenUpToTheUpdateLimit() {
    try (TestServer s = new TestServer(dir, b -> b.maxFrameBytes(16_384).rateBytesBurst(65_536)
        .docMaxUpdateBytes(200_000).docMaxBytes(1_000_000))) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT, WireFormat.JSON)) {
        tina.join("r1");
        ana.join("r1");
        TestClient.ack(create(tina, "r1", "report", false));
        // 100,000 bytes in a binary frame, then (base64, 133,000 bytes) in a JSON one
        byte[] chapter = new YTextUpdates(7, "t").append("a".repeat(100_000));
        Ack a1 = TestClient.ack(update(tina, "r1", "report", chapter));
        Event seen = ana.awaitEvent(e -> e.hasDocUpdated(), "the big update");
        assertEquals(a1.getSeq(), seen.getSeq());
        assertArrayEquals(chapter, seen.getDocUpdated().getUpdate().toByteArray());
        byte[] another = new YTextUpdates(8, "t").append("b".repeat(100_000));
        Ack a2 = TestClient.ack(patiently(() -> update(ana, "r1", "report", another)));
        assertEquals(a2.getSeq(), tina.awaitEvent(e -> e.hasDocUpdated() && e.getSeq() == a2.getSeq(), "the JSON one").getSeq());
        // The sender borrowed beyond its byte burst: its next request waits until that is paid
        // back (RATE_LIMITED with retry_after_ms), then goes through.
        ServerMessage early = tina.request(ClientMessage.newBuilder().setDocSync(DocSync.newBuilder()
            .setRoomId("r1").setDocId("report")));
        assertError(ErrorCode.RATE_LIMITED, early);
        assertTrue(early.getError().getRetryAfterMs() > 0);
        ServerMessage synced = patiently(() -> tina.request(ClientMessage.newBuilder()
            .setDocSync(DocSync.newBuilder().setRoomId("r1").setDocId("report"))));
        assertEquals(Map.of(7L, 100_000L, 8L, 100_000L), YUpdates.decodeStateVector(
            synced.getDocSyncReply().getStateVector().toByteArray()));

        // Within the frame allowance but above the update limit: the documented error, and the
        // connection stays
        byte[] tooBig = new YTextUpdates(9, "t").append("c".repeat(205_000));
        assertError(ErrorCode.UPDATE_TOO_LARGE, patiently(() -> update(tina, "r1", "report", tooBig)));
        tina.assertOpen();
      }
      // Anything else above max-frame-bytes is still too large
      try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        bo.join("r1");
        bo.send(ClientMessage.newBuilder().setChatPost(io.ponte.protocol.v1.ChatPost.newBuilder()
            .setRoomId("r1").setText("x".repeat(20_000))).setRequestId(1).build());
        BadInputIT.assertRefused(bo, ErrorCode.FRAME_TOO_LARGE, io.ponte.protocol.CloseCode.FRAME_TOO_LARGE);
      }
      // And a document update beyond the update limit plus its envelope is not even parsed
      try (TestClient cy = s.user("cy", "r1", Role.STUDENT)) {
        cy.join("r1");
        cy.send(ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder().setRoomId("r1")
            .setDocId("report").setUpdate(ByteString.copyFrom(new byte[240_000]))).setRequestId(1).build());
        BadInputIT.assertRefused(cy, ErrorCode.FRAME_TOO_LARGE, io.ponte.protocol.CloseCode.FRAME_TOO_LARGE);
      }
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        assertEquals(Map.of(7L, 100_000L, 8L, 100_000L), YUpdates.decodeStateVector(
            patiently(() -> tina.request(ClientMessage.newBuilder().setDocSync(DocSync.newBuilder()
                .setRoomId("r1").setDocId("report")))).getDocSyncReply().getStateVector().toByteArray()),
            "the refused updates changed nothing");
      }
    }
  }

  /** Sends again after the advised wait while the answer is RATE_LIMITED. */
  private static ServerMessage patiently(java.util.function.Supplier<ServerMessage> request) {
    for (int i = 0; i < 50; i++) {
      ServerMessage m = request.get();
      if (!m.hasError() || m.getError().getCode() != ErrorCode.RATE_LIMITED) {
        return m;
      }
      try {
        Thread.sleep(Math.max(1, m.getError().getRetryAfterMs()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
    throw new AssertionError("still rate limited after 50 tries");
  }

  @Test
  void aRestartKeepsTheDocument() {
    try (TestServer s = new TestServer(dir, b -> b.rateMessagesPerSecond(1000).rateMessagesBurst(1000))) {
      s.createRoom("r1");
      YTextUpdates typing = new YTextUpdates(7, "t");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        TestClient.ack(create(tina, "r1", "report", false));
        for (int i = 0; i < 100; i++) {
          TestClient.ack(update(tina, "r1", "report", typing.append("w" + i)));
        }
      }
      s.stop();
      s.start();
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        DocSyncReply whole = sync(tina, "r1", "report", new byte[0]);
        assertEquals(Map.of(7L, typing.clock()), YUpdates.stateVectorFromUpdate(whole.getUpdate().toByteArray()));
      }
    }
  }

  static byte[] awareness(long clientId, long clock, String json) {
    return new Lib0Encoder().writeVarUint(1).writeVarUint(clientId).writeVarUint(clock)
        .writeVarString(json).toByteArray();
  }

  @Test
  void awarenessIsRelayedAndRemovedWhenItsConnectionCloses() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        TestClient.ack(create(tina, "r1", "report", false));
        TestClient ana = s.user("ana", "r1", Role.STUDENT);
        ana.join("r1");
        ana.send(ClientMessage.newBuilder().setRequestId(ana.nextRequestId()).setDocAwareness(DocAwareness
            .newBuilder().setRoomId("r1").setDocId("report")
            .setAwareness(ByteString.copyFrom(awareness(4242, 3, "{\"user\":{\"name\":\"Ana\"}}")))).build());
        Event e = tina.awaitEvent(x -> x.hasDocAwareness(), "awareness");
        assertEquals(0, e.getSeq(), "awareness is ephemeral");
        assertEquals("report", e.getDocAwareness().getDocId());
        assertArrayEquals(awareness(4242, 3, "{\"user\":{\"name\":\"Ana\"}}"),
            e.getDocAwareness().getAwareness().toByteArray());
        // malformed awareness and unknown documents are refused
        assertError(ErrorCode.UPDATE_MALFORMED, ana.request(ClientMessage.newBuilder().setDocAwareness(
            DocAwareness.newBuilder().setRoomId("r1").setDocId("report")
                .setAwareness(ByteString.copyFrom(new byte[] {5, 1})))));
        assertError(ErrorCode.DOC_NOT_FOUND, ana.request(ClientMessage.newBuilder().setDocAwareness(
            DocAwareness.newBuilder().setRoomId("r1").setDocId("nope")
                .setAwareness(ByteString.copyFrom(awareness(1, 1, "{}"))))));
        ana.close();
        Event gone = tina.awaitEvent(x -> x.hasDocAwareness(), "awareness removal");
        Lib0Decoder d = new Lib0Decoder(gone.getDocAwareness().getAwareness().toByteArray());
        assertEquals(1, d.readVarUint());
        assertEquals(4242, d.readVarUint());
        assertEquals(4, d.readVarUint(), "the next clock");
        assertEquals("null", d.readVarString());
        assertFalse(d.hasContent());
        assertFalse(tina.receives(m -> m.hasEvent() && m.getEvent().hasDocAwareness(), Duration.ofMillis(300)));
      }
    }
  }
}
