package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.PresenceState;
import io.ponte.protocol.v1.PresenceUpdate;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Socket-level limits of the shared socket core, on /ws, /yjs and /hocuspocus alike, each test
 * doing what an attacker does while two bystanders keep being served: fragmented messages over
 * the limit, fragment floods, bytes before Hocuspocus Auth, no Auth at all, too many sockets per
 * user, presence and sync-request floods.
 */
@Timeout(120)
class SocketLimitsIT {
  @TempDir
  Path dir;

  static double closedWith(TestServer s, CloseCode code) {
    Counter c = s.server().metrics().registry().find("ponte.connections.closed")
        .tag("code", Integer.toString(code.code())).counter();
    return c == null ? 0 : c.count();
  }

  /** Heap in use on the node (the test JVM), after a collection. */
  static long heapUsed(TestServer s) {
    System.gc();
    double used = 0;
    for (Gauge g : s.server().metrics().registry().find("jvm.memory.used").tag("area", "heap").gauges()) {
      used += g.value();
    }
    return (long) used;
  }

  static void awaitClosedWith(TestServer s, CloseCode code, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (closedWith(s, code) < 1) {
      if (System.nanoTime() > deadline) {
        fail("the node closed no socket with " + code + " within " + within);
      }
      sleep(20);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static byte[] hello(TestServer s, String user, String room) {
    return FrameCodec.encodeBinary(ClientMessage.newBuilder().setRequestId(1)
        .setHello(Hello.newBuilder().setToken(s.token(user, "User " + user, room, Role.STUDENT))).build());
  }

  static List<ServerMessage> decode(List<RawWebSocket.Frame> frames) throws Exception {
    List<ServerMessage> out = new ArrayList<>();
    for (RawWebSocket.Frame f : frames) {
      ServerMessage m = FrameCodec.decodeServer(f.payload());
      if (m.hasBatch()) {
        out.addAll(m.getBatch().getMessagesList());
      } else {
        out.add(m);
      }
    }
    return out;
  }

  static boolean hasError(List<ServerMessage> messages, ErrorCode code) {
    return messages.stream().anyMatch(m -> m.hasError() && m.getError().getCode() == code);
  }

  /** A Hocuspocus message: document name, type, body. */
  static byte[] hocuspocus(String name, int type, byte[] body) {
    return new Lib0Encoder().writeVarString(name).writeVarUint(type).writeBytes(body).toByteArray();
  }

  static byte[] syncUpdate(byte[] update) {
    return new Lib0Encoder().writeVarUint(0).writeVarUint(2).writeVarUint8Array(update).toByteArray();
  }

  static byte[] syncStep1() {
    return new Lib0Encoder().writeVarUint(0).writeVarUint(0).writeVarUint8Array(new byte[] {0}).toByteArray();
  }

  /** Fragments of {@code size} bytes sent without ever the final one, until the server closes. */
  static int fragmentsUntilClosed(RawWebSocket ws, int size, int most, List<RawWebSocket.Frame> received)
      throws Exception {
    byte[] fragment = new byte[size];
    try {
      ws.sendFrame(0x2, false, false, fragment);
      for (int i = 1; i < most; i++) {
        ws.sendFrame(0x0, false, false, fragment);
      }
    } catch (java.io.IOException closedMeanwhile) {
      // the server closed while we were sending: read what it said
    }
    return ws.readRawUntilClose(received);
  }

  @Test
  void aFragmentedMessageOverTheLimitIsRefusedOnEveryEndpointBeforeItEnds() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.maxFrameBytes(65_536).docMaxUpdateBytes(4096));
        Bystanders others = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "notes");
      long heapBefore = heapUsed(s);
      // /ws: 16 KiB fragments, never a final one; the limit is 64 KiB
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "ponte.v1.proto")) {
        ws.sendBinary(hello(s, "frag", "r1"));
        List<RawWebSocket.Frame> frames = new ArrayList<>();
        assertEquals(CloseCode.FRAME_TOO_LARGE.code(), fragmentsUntilClosed(ws, 16_384, 5_000, frames));
        List<ServerMessage> messages = decode(frames);
        assertTrue(hasError(messages, ErrorCode.FRAME_TOO_LARGE), () -> "messages: " + messages);
      }
      others.assertServed();
      // /yjs: the limit is one document update (4 KiB) and its framing (16 KiB)
      String token = s.token("frag", "Frag", "r1", Role.STUDENT);
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "/yjs/r1/notes?token=" + token, "")) {
        List<RawWebSocket.Frame> frames = new ArrayList<>();
        assertEquals(CloseCode.FRAME_TOO_LARGE.code(), fragmentsUntilClosed(ws, 8_192, 5_000, frames));
        assertTrue(frames.stream().anyMatch(f -> new String(f.payload(), StandardCharsets.UTF_8)
            .contains("FRAME_TOO_LARGE")), "a permission-denied names the refusal");
      }
      // /hocuspocus: the same limit, before any Auth
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "/hocuspocus", "")) {
        assertEquals(CloseCode.FRAME_TOO_LARGE.code(), fragmentsUntilClosed(ws, 8_192, 5_000, new ArrayList<>()));
      }
      others.assertServed();
      assertTrue(heapUsed(s) - heapBefore < 200L << 20, "heap stayed bounded");
      assertEquals(3, closedWith(s, CloseCode.FRAME_TOO_LARGE));
    }
  }

  @Test
  void aFragmentFloodIsChargedToTheByteBucket() throws Exception {
    // Fragments well under the size limit, but faster than the byte rate.
    try (TestServer s = new TestServer(dir, b -> b
        .rateBytesPerSecond(4096).rateBytesBurst(65_536).rateMessagesPerSecond(5).rateMessagesBurst(10));
        Bystanders others = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "ponte.v1.proto")) {
        ws.sendBinary(hello(s, "flood", "r1"));
        List<RawWebSocket.Frame> frames = new ArrayList<>();
        assertEquals(CloseCode.FLOODING.code(), fragmentsUntilClosed(ws, 2_048, 200, frames));
        List<ServerMessage> messages = decode(frames);
        assertTrue(messages.get(0).hasWelcome());
        assertTrue(hasError(messages, ErrorCode.RATE_LIMITED), () -> "messages: " + messages);
      }
      others.assertServed();
    }
  }

  @Test
  void megabytesBeforeHocuspocusAuthCloseTheSocket() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.set("hocuspocus-preauth-bytes", "65536"));
        Bystanders others = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      long heapBefore = heapUsed(s);
      try (RawYSocket ws = RawYSocket.open(s.clientVertx(), s.port(), "/hocuspocus")) {
        // 16 KiB updates for two documents nobody authenticated: 4 of them make 64 KiB
        byte[] update = syncUpdate(new byte[16_000]);
        for (int i = 0; i < 64 && !ws.isClosed(); i++) {
          ws.send(hocuspocus(i % 2 == 0 ? "r1/a" : "r1/b", 0, update));
        }
        assertEquals(CloseCode.PROTOCOL_VIOLATION.code(), ws.awaitClose());
      }
      others.assertServed();
      assertTrue(heapUsed(s) - heapBefore < 200L << 20, "heap stayed bounded");
    }
  }

  @Test
  void noHocuspocusAuthWithinTheDeadlineClosesTheSocket() {
    try (TestServer s = new TestServer(dir, b -> b.authTimeoutMs(1000));
        Bystanders others = new Bystanders(s, "b1")) {
      long started = System.nanoTime();
      try (RawYSocket ws = RawYSocket.open(s.clientVertx(), s.port(), "/hocuspocus")) {
        // a message for a document, but never an Auth
        ws.send(hocuspocus("b1/x", 0, syncStep1()));
        assertEquals(CloseCode.AUTH_TIMEOUT.code(), ws.awaitClose());
      }
      assertTrue(System.nanoTime() - started >= Duration.ofMillis(900).toNanos(), "not before the deadline");
      others.assertServed();
    }
  }

  @Test
  void socketsPastTheUserLimitAreRefusedOnEveryEndpoint() throws Exception {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "notes");
      int limit = s.server().config().maxConnectionsPerUser();
      String token = s.token("many", "Many", "r1", Role.STUDENT);
      List<TestClient> accepted = new ArrayList<>();
      int refused = 0;
      try {
        for (int i = 0; i < limit + 30; i++) {
          TestClient c = s.client();
          ServerMessage m = c.request(ClientMessage.newBuilder().setHello(Hello.newBuilder().setToken(token)));
          if (m.hasWelcome()) {
            accepted.add(c);
            c.join("r1");
          } else {
            assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, m.getError().getCode(), () -> "error: " + m);
            assertTrue(m.getError().getRetryable());
            assertEquals(CloseCode.TOO_MANY_CONNECTIONS.code(), c.awaitClose());
            c.close();
            refused++;
          }
        }
        assertEquals(limit, accepted.size(), "the first ones are accepted");
        assertEquals(30, refused);
        // the same user on /yjs and /hocuspocus is over the limit too
        try (RawWebSocket y = RawWebSocket.open(s.port(), "/yjs/r1/notes?token=" + token, "")) {
          assertEquals(CloseCode.TOO_MANY_CONNECTIONS.code(), y.readRawUntilClose(new ArrayList<>()));
        }
        try (RawWebSocket h = RawWebSocket.open(s.port(), "/hocuspocus", "")) {
          h.sendBinary(hocuspocus("r1/notes", 2, new Lib0Encoder().writeVarUint(0).writeVarString(token).toByteArray()));
          assertEquals(CloseCode.TOO_MANY_CONNECTIONS.code(), h.readRawUntilClose(new ArrayList<>()));
        }
        others.assertServed();
        // a closed socket gives its place back
        accepted.remove(0).close();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
          try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(), "/yjs/r1/notes?token=" + token)) {
            if (!y.closesWithin(Duration.ofMillis(500))) {
              break; // still open after half a second: admitted
            }
          } catch (AssertionError closedAtOnce) {
            // refused before the client could watch it: not released yet
          }
          assertTrue(System.nanoTime() < deadline, "the released place was never given back");
        }
      } finally {
        accepted.forEach(TestClient::close);
      }
    }
  }

  @Test
  void documentUpdatesOnYjsCountInTheByteBucketAndSlowTheSenderWithoutLosingAny() {
    try (TestServer s = new TestServer(dir, b -> b.rateBytesPerSecond(16_384).rateBytesBurst(65_536));
        Bystanders others = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "notes");
      try (TestClient watcher = s.user("watcher", "r1", Role.TEACHER);
          RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(),
              "/yjs/r1/notes?token=" + s.token("typist", "Typist", "r1", Role.STUDENT))) {
        watcher.join("r1");
        YTextUpdates text = new YTextUpdates(4242, "t");
        long started = System.nanoTime();
        // 10 updates of 16 KB: 160 KB against a 64 KB burst refilled at 16 KB/s
        for (int i = 0; i < 10; i++) {
          y.send(syncUpdate(text.append(Integer.toString(i).repeat(16_000))));
        }
        for (int i = 0; i < 10; i++) {
          watcher.awaitEvent(e -> e.hasDocUpdated() && e.getDocUpdated().getDocId().equals("notes")
              && e.getActor().getUserId().equals("typist"), "update " + i);
        }
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs >= 3_000, "the byte bucket slowed the updates down: " + tookMs + " ms");
        assertTrue(!y.isClosed(), "throttled, not closed");
        others.assertServed();
      }
    }
  }

  @Test
  void awarenessBeyondItsRateIsDroppedAndCounted() {
    try (TestServer s = new TestServer(dir, b -> b.set("awareness-per-second", "5")
        .rateMessagesPerSecond(1000).rateMessagesBurst(2000));
        Bystanders others = new Bystanders(s, "b1");
        TestClient tina = s.user("tina", "b1", Role.TEACHER);
        TestClient ana = s.user("ana", "b1", Role.STUDENT)) {
      tina.join("b1");
      ana.join("b1");
      TestClient.ack(tina.request(ClientMessage.newBuilder().setDocCreate(io.ponte.protocol.v1.DocCreate
          .newBuilder().setRoomId("b1").setDocId("notes").setTitle("Notes").setClientMsgId("d-1"))));
      for (int i = 1; i <= 40; i++) {
        ana.send(ClientMessage.newBuilder().setRequestId(ana.nextRequestId()).setDocAwareness(
            io.ponte.protocol.v1.DocAwareness.newBuilder().setRoomId("b1").setDocId("notes")
                .setAwareness(ByteString.copyFrom(DocumentsIT.awareness(4242, i, "{\"n\":" + i + "}")))).build());
      }
      // the last one is dropped (a burst of 10 went through long before), the first one is not
      tina.awaitEvent(e -> e.hasDocAwareness(), "the first awareness");
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      Counter dropped;
      while ((dropped = s.server().metrics().registry().find("ponte.messages.dropped")
          .tag("reason", "awareness_rate").counter()) == null || dropped.count() < 40 - 10 - 5) {
        assertTrue(System.nanoTime() < deadline, "awareness over the rate was not dropped");
        sleep(50);
      }
      assertTrue(dropped.count() <= 40 - 10, "at most the excess over the burst: " + dropped.count());
      ana.assertOpen();
      others.assertServed();
    }
  }

  @Test
  void aPresenceFloodIsRateLimited() {
    try (TestServer s = new TestServer(dir, b -> b.set("presence-updates-per-second", "2"));
        Bystanders others = new Bystanders(s, "b1");
        TestClient c = s.user("flicker", "b1", Role.STUDENT)) {
      c.join("b1");
      // An accepted presence update has no reply; a refused one an error.
      for (int i = 0; i < 12; i++) {
        c.send(ClientMessage.newBuilder().setRequestId(100 + i).setPresenceUpdate(PresenceUpdate.newBuilder()
            .setRoomId("b1").setState(i % 2 == 0 ? PresenceState.AWAY : PresenceState.ACTIVE)).build());
      }
      int limited = 0;
      ServerMessage m;
      while ((m = c.poll(x -> x.hasError(), Duration.ofSeconds(2))) != null) {
        ServerMessage e = m;
        assertEquals(ErrorCode.RATE_LIMITED, e.getError().getCode(), () -> "error: " + e);
        assertTrue(e.getError().getRetryAfterMs() > 0);
        assertTrue(e.getRequestId() >= 100);
        limited++;
      }
      assertTrue(limited >= 12 - 4 - 2, "at most a burst (2x the rate) and a little refill got through: " + limited);
      c.assertOpen();
      others.assertServed();
    }
  }

  @Test
  void aProviderThatAsksForABigDocumentAndStopsReadingIsLimitedThenClosed() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.outboundQueueBytes(1 << 20)
        .set("sync-requests-per-second", "2").rateMessagesPerSecond(1000).rateMessagesBurst(2000));
        Bystanders others = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "big");
      try (TestClient t = s.user("tina", "r1", Role.TEACHER)) {
        t.join("r1");
        TestClient.ack(t.request(ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
            .setRoomId("r1").setDocId("big").setClientMsgId("big-1")
            .setUpdate(ByteString.copyFrom(new YTextUpdates(77, "t").append("y".repeat(300_000)))))));
      }
      long heapBefore = heapUsed(s);
      String token = s.token("greedy", "Greedy", "r1", Role.STUDENT);
      // A plain socket that reads nothing until asked: its receive buffer fills, the node's queue grows.
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "/yjs/r1/big?token=" + token, "")) {
        // Asks again and again (2 per second granted, the rest refused), never reading.
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until && closedWith(s, CloseCode.SLOW_CONSUMER) < 1) {
          try {
            ws.sendBinary(syncStep1());
          } catch (java.io.IOException closedMeanwhile) {
            break;
          }
          sleep(20);
        }
        awaitClosedWith(s, CloseCode.SLOW_CONSUMER, Duration.ofSeconds(30));
        List<RawWebSocket.Frame> frames = new ArrayList<>();
        assertEquals(CloseCode.SLOW_CONSUMER.code(), ws.readRawUntilClose(frames));
        boolean limited = false;
        for (RawWebSocket.Frame f : frames) {
          Lib0Decoder d = new Lib0Decoder(f.payload());
          if (d.readVarUint() == 2 && d.readVarUint() == 0 && d.readVarString().startsWith("RATE_LIMITED:")) {
            limited = true;
          }
        }
        assertTrue(limited, "sync requests over the rate were refused with RATE_LIMITED");
      }
      assertTrue(heapUsed(s) - heapBefore < 200L << 20, "heap stayed bounded");
      others.assertServed();
    }
  }
}
