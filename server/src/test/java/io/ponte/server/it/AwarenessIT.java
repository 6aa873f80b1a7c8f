package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocAwareness;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Awareness is bounded and a Yjs client id cannot be taken over: nobody can make their cursor
 * read "Ms. Smith (teacher)" by announcing the teacher's client id, on any endpoint or node.
 */
@Timeout(120)
class AwarenessIT {
  @TempDir
  Path dir;

  private static ServerMessage announce(TestClient c, long clientId, long clock, String json) {
    return c.request(ClientMessage.newBuilder().setDocAwareness(DocAwareness.newBuilder()
        .setRoomId("r1").setDocId("report")
        .setAwareness(ByteString.copyFrom(DocumentsIT.awareness(clientId, clock, json)))));
  }

  /** Accepted awareness gets no answer: send it without waiting for one. */
  private static void send(TestClient c, long clientId, long clock, String json) {
    c.send(ClientMessage.newBuilder().setRequestId(c.nextRequestId()).setDocAwareness(DocAwareness.newBuilder()
        .setRoomId("r1").setDocId("report")
        .setAwareness(ByteString.copyFrom(DocumentsIT.awareness(clientId, clock, json)))).build());
  }

  private static boolean relayed(TestClient c, String text) {
    return c.receives(m -> m.hasEvent() && m.getEvent().hasDocAwareness()
        && new String(m.getEvent().getDocAwareness().getAwareness().toByteArray(), StandardCharsets.UTF_8)
            .contains(text), Duration.ofMillis(500));
  }

  @Test
  void anotherSessionsClientIdAndOversizedStatesAreRefusedOnEveryEndpoint() {
    try (TestServer s = new TestServer(dir, b -> b.set("awareness-max-state-bytes", "200"))) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient watcher = s.user("wes", "r1", Role.OBSERVER)) {
        tina.join("r1");
        bo.join("r1");
        watcher.join("r1");
        tina.send(ClientMessage.newBuilder().setRequestId(tina.nextRequestId()).setDocAwareness(
            DocAwareness.newBuilder().setRoomId("r1").setDocId("report").setAwareness(ByteString.copyFrom(
                DocumentsIT.awareness(77, 1, "{\"user\":{\"name\":\"Ms. Smith (teacher)\"}}")))).build());
        watcher.awaitEvent(e -> e.hasDocAwareness(), "the teacher's awareness");
        // Bo over /ws: refused with a stable code, nothing relayed
        assertEquals(ErrorCode.AWARENESS_CLIENT_TAKEN,
            TestClient.error(announce(bo, 77, 2, "{\"user\":{\"name\":\"Ms. Smith (teacher) BO\"}}")).getCode());
        assertEquals(ErrorCode.AWARENESS_CLIENT_TAKEN, TestClient.error(announce(bo, 77, 2, "null")).getCode(),
            "nor can Bo remove the teacher's cursor");
        // Bo over /yjs (y-protocols awareness message): dropped
        try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(),
            "/yjs/r1/report?token=" + s.token("bo", "Bo", "r1", Role.STUDENT))) {
          y.await(m -> m[0] == 0, "sync step 1", Duration.ofSeconds(10));
          y.send(new Lib0Encoder().writeVarUint(1).writeVarUint8Array(
              DocumentsIT.awareness(77, 3, "{\"user\":{\"name\":\"Ms. Smith (teacher) YJS\"}}")).toByteArray());
          assertFalse(relayed(watcher, "YJS"), "a spoofed y-websocket awareness is not relayed");
          // a one-byte query answers the current awareness: the teacher's, untouched
          y.send(new byte[] {3});
          byte[] answer = y.await(m -> m[0] == 1, "the awareness answer", Duration.ofSeconds(10));
          String text = new String(answer, StandardCharsets.UTF_8);
          assertTrue(text.contains("Ms. Smith (teacher)") && !text.contains("YJS") && !text.contains("BO"), text);
        }
        assertFalse(relayed(watcher, " BO"));
        // an oversized state refuses the whole update
        String big = "{\"user\":{\"name\":\"" + "x".repeat(300) + "\"}}";
        assertEquals(ErrorCode.AWARENESS_TOO_LARGE, TestClient.error(announce(bo, 88, 1, big)).getCode());
        assertFalse(relayed(watcher, "xxxxxxxx"));
        // Bo's own client id is fine
        send(bo, 88, 1, "{\"user\":{\"name\":\"Bo himself\"}}");
        assertTrue(relayed(watcher, "Bo himself"), "Bo's own awareness is relayed");
      }
    }
  }

  /** With two nodes on one Redis: the binding holds across nodes, and frees when its session ends. */
  @Test
  void theBindingHoldsAcrossNodes() {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> a = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix).nodeId("node-a");
    UnaryOperator<PonteConfig.Builder> bb = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix).nodeId("node-b");
    try (TestServer na = new TestServer(dir.resolve("a"), a);
        TestServer nb = new TestServer(dir.resolve("b"), bb)) {
      na.createRoom("r1");
      nb.createRoom("r1");
      YWebsocketIT.createDoc(na, "r1", "report");
      try (TestClient bo = nb.user("bo", "r1", Role.STUDENT)) {
        TestClient tina = na.user("tina", "r1", Role.TEACHER);
        tina.join("r1");
        bo.join("r1");
        tina.send(ClientMessage.newBuilder().setRequestId(tina.nextRequestId()).setDocAwareness(
            DocAwareness.newBuilder().setRoomId("r1").setDocId("report").setAwareness(ByteString.copyFrom(
                DocumentsIT.awareness(77, 1, "{\"user\":{\"name\":\"Ms. Smith (teacher)\"}}")))).build());
        bo.awaitEvent(e -> e.hasDocAwareness(), "the teacher's awareness on node B");
        assertEquals(ErrorCode.AWARENESS_CLIENT_TAKEN,
            TestClient.error(announce(bo, 77, 2, "{\"user\":{\"name\":\"spoof\"}}")).getCode());
        tina.close();
        Event gone = bo.awaitEvent(e -> e.hasDocAwareness()
            && new String(e.getDocAwareness().getAwareness().toByteArray(), StandardCharsets.UTF_8).contains("null"),
            "the removal on node B");
        Lib0Decoder d = new Lib0Decoder(gone.getDocAwareness().getAwareness().toByteArray());
        assertEquals(1, d.readVarUint());
        assertEquals(77, d.readVarUint());
        // free again once its session has ended
        try (TestClient wes = na.user("wes", "r1", Role.OBSERVER)) {
          wes.join("r1");
          send(bo, 77, 5, "{\"user\":{\"name\":\"Bo now\"}}");
          assertTrue(relayed(wes, "Bo now") || relayed(wes, "Bo now"), "free again once its session ended");
        }
      }
    }
  }

  /**
   * A one-byte query can never return megabytes: 17 sessions each announcing 16 clients with
   * nearly full-size states (1.9 MB if all were kept) get a bounded answer.
   */
  @Test
  void theAnswerToAQueryStaysBounded() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      java.util.List<TestClient> many = new java.util.ArrayList<>();
      try {
        String state = "{\"user\":{\"name\":\"" + "n".repeat(7000) + "\"}}";
        for (int u = 0; u < 17; u++) {
          TestClient c = s.user("u" + u, "r1", Role.STUDENT);
          many.add(c);
          c.join("r1");
          for (int k = 0; k < 16; k++) {
            send(c, 10_000L * (u + 1) + k, 1, state);
          }
        }
        // the last one's are relayed: every earlier update has been observed by then
        TestClient last = many.get(many.size() - 1);
        for (int k = 0; k < 16; k++) {
          long id = 10_000L * 17 + k;
          last.awaitEvent(e -> e.hasDocAwareness() && new Lib0Decoder(
              e.getDocAwareness().getAwareness().toByteArray()).readVarUint() == 1
              && firstClient(e) == id, "client " + id);
        }
        try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(),
            "/yjs/r1/report?token=" + s.token("q", "Q", "r1", Role.OBSERVER))) {
          y.send(new byte[] {3});
          byte[] answer = y.await(m -> m[0] == 1 && m.length > 100_000, "the awareness answer", Duration.ofSeconds(10));
          assertTrue(answer.length <= 256 * 1024 + 4096, "bounded: " + answer.length + " bytes");
          Lib0Decoder d = new Lib0Decoder(answer);
          d.readVarUint();
          Lib0Decoder update = new Lib0Decoder(d.readVarUint8Array());
          long clients = update.readVarUint();
          assertTrue(clients >= 30 && clients < 40, "about 256 KiB of 7 KiB states: " + clients);
        }
      } finally {
        many.forEach(TestClient::close);
      }
    }
  }

  private static long firstClient(Event e) {
    Lib0Decoder d = new Lib0Decoder(e.getDocAwareness().getAwareness().toByteArray());
    d.readVarUint();
    return d.readVarUint();
  }
}
