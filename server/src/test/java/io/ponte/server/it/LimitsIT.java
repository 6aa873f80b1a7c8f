package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.core.instrument.Counter;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Ping;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Rate limits, flooding, slow consumers and idle connections, on a real node. */
@Timeout(90)
class LimitsIT {
  @TempDir
  Path dir;

  /** How many connections the node closed with this code (its metrics). */
  private static double closedWith(TestServer s, CloseCode code) {
    Counter c = s.server().metrics().registry().find("ponte.connections.closed")
        .tag("code", Integer.toString(code.code())).counter();
    return c == null ? 0 : c.count();
  }

  /** Polls the node's metrics until it has closed a connection with the code. */
  private static void awaitServerClosed(TestServer s, CloseCode code, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (closedWith(s, code) < 1) {
      if (System.nanoTime() > deadline) {
        fail("the node closed no connection with " + code + " within " + within);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static ClientMessage post(long requestId, String roomId, String text) {
    return ClientMessage.newBuilder().setRequestId(requestId)
        .setChatPost(ChatPost.newBuilder().setRoomId(roomId).setText(text)).build();
  }

  @Test
  void floodIsRateLimitedThenClosed() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.rateMessagesPerSecond(5).rateMessagesBurst(10));
        Bystanders others = new Bystanders(s, "r1");
        TestClient flooder = s.user("flooder", "r1", Role.STUDENT)) {
      flooder.join("r1");
      AtomicInteger sent = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      Thread flood = new Thread(() -> {
        while (!stop.get() && !flooder.isClosed() && sent.get() < 20_000) {
          int id = sent.incrementAndGet();
          flooder.send(post(1000 + id, "r1", "flood " + id));
        }
      }, "flooder");
      flood.start();
      try {
        // Served while the flood goes on (the bystanders have their own budgets).
        others.assertServed();
        int acked = 0;
        int limited = 0;
        ServerMessage m;
        while (true) {
          m = flooder.await(x -> x.hasAck() || x.hasError() || x.hasGoodbye(), "flood answers");
          if (m.hasGoodbye()) {
            break;
          }
          if (m.hasAck()) {
            acked++;
          } else {
            ErrorInfo e = m.getError();
            assertEquals(ErrorCode.RATE_LIMITED, e.getCode(), () -> "error: " + e);
            assertTrue(e.getRetryable());
            assertTrue(e.getRetryAfterMs() > 0, "retry_after_ms");
            assertTrue(m.getRequestId() > 1000, "the error answers a flood request");
            limited++;
          }
        }
        assertTrue(limited >= 1, "rate limited before being closed");
        assertEquals(CloseCode.FLOODING.code(), m.getGoodbye().getCloseCode());
        assertTrue(m.getGoodbye().getRetryAfterMs() > 0, "goodbye retry_after_ms");
        assertEquals(CloseCode.FLOODING.code(), flooder.awaitClose());
        others.assertServed();
        // A burst's worth of posts was accepted and reached the room; the refused ones did not.
        // (Their acks may be lost with the close: a client resends with the same client_msg_id.)
        others.reader.awaitEvent(ev -> ev.hasChatPosted()
            && ev.getActor().getUserId().equals("flooder"), "an accepted flood post");
        int applied = 1;
        while (others.reader.receives(x -> x.hasEvent() && x.getEvent().hasChatPosted()
            && x.getEvent().getActor().getUserId().equals("flooder"), Duration.ofMillis(500))) {
          applied++;
        }
        assertTrue(applied <= 10, "more than a burst was accepted: " + applied);
        assertTrue(acked <= applied);
      } finally {
        stop.set(true);
        flood.join(10_000);
      }
    }
  }

  @Test
  void slowConsumerIsClosedWhileOthersGetEveryMessage() {
    try (TestServer s = new TestServer(dir, b -> b
        .outboundQueueMessages(64).outboundQueueBytes(65_536)
        .rateMessagesPerSecond(100_000).rateMessagesBurst(100_000)
        .rateBytesPerSecond(1_073_741_824).rateBytesBurst(1_073_741_824));
        Bystanders others = new Bystanders(s, "r1");
        TestClient slow = s.user("slow", "r1", Role.STUDENT)) {
      slow.join("r1");
      slow.pause();
      String filler = "x".repeat(1500);
      List<Long> acked = new ArrayList<>();
      long requestId = 10_000;
      // Post in windows of 32 until the node gives up on the paused client (bounded).
      while (closedWith(s, CloseCode.SLOW_CONSUMER) < 1) {
        if (acked.size() >= 20_000) {
          fail("the paused client was never closed as a slow consumer");
        }
        long first = requestId + 1;
        for (int i = 0; i < 32; i++) {
          others.poster.send(post(++requestId, "r1", acked.size() + i + " " + filler));
        }
        for (long id = first; id <= requestId; id++) {
          long wanted = id;
          acked.add(TestClient.ack(others.poster.await(x -> x.getRequestId() == wanted, "ack " + id)).getSeq());
        }
      }
      slow.resume();
      assertEquals(CloseCode.SLOW_CONSUMER.code(), slow.awaitClose());
      // The healthy reader (and the poster itself) got every message, in order.
      long firstSeq = acked.get(0);
      for (TestClient c : List.of(others.reader, others.poster)) {
        for (int i = 0; i < acked.size(); i++) {
          Event e = c.awaitEvent(ev -> ev.hasChatPosted() && ev.getChatPosted().getText().endsWith(filler),
              "post " + i);
          assertEquals(firstSeq + i, e.getSeq());
          assertEquals(i + " " + filler, e.getChatPosted().getText());
        }
      }
      others.assertServed();
    }
  }

  @Test
  void idleConnectionIsClosedButActiveOnesAreNot() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.pingIntervalMs(1000).idleTimeoutMs(2500));
        Bystanders others = new Bystanders(s, "r1");
        TestClient active = s.user("active", "r1", Role.STUDENT);
        RawWebSocket idle = RawWebSocket.open(s.port(), "ponte.v1.proto")) {
      active.join("r1");
      // The idle client says hello and joins, then reads nothing and answers no WebSocket ping.
      // (A paused Vert.x client is no good here: it still answers pings until its buffer fills.)
      idle.sendBinary(FrameCodec.encodeBinary(ClientMessage.newBuilder().setRequestId(1)
          .setHello(Hello.newBuilder().setToken(s.token("idle", "Idle", "r1", Role.STUDENT))).build()));
      idle.sendBinary(FrameCodec.encodeBinary(ClientMessage.newBuilder().setRequestId(2)
          .setJoin(Join.newBuilder().setRoomId("r1")).build()));
      active.awaitEvent(e -> e.hasPresence() && e.getPresence().getParticipant().getUserId().equals("idle"),
          "the idle client's arrival");
      long started = System.nanoTime();
      int pings = 0;
      while (closedWith(s, CloseCode.IDLE_TIMEOUT) < 1) {
        if (System.nanoTime() - started > Duration.ofSeconds(20).toNanos()) {
          fail("the idle client was not closed");
        }
        // The active client keeps working at a relaxed pace.
        ServerMessage pong = active.request(ClientMessage.newBuilder()
            .setPing(Ping.newBuilder().setClientTimeMs(++pings)));
        assertTrue(pong.hasPong());
        assertFalse(active.receives(ServerMessage::hasGoodbye, Duration.ofMillis(250)));
      }
      assertTrue(System.nanoTime() - started >= Duration.ofMillis(2500).toNanos(),
          "closed before the idle timeout");
      List<ServerMessage> received = new ArrayList<>();
      assertEquals(CloseCode.IDLE_TIMEOUT.code(), idle.readUntilClose(received));
      assertTrue(received.get(0).hasWelcome(), () -> "first: " + received.get(0));
      assertTrue(received.stream().anyMatch(ServerMessage::hasJoined));
      assertEquals(CloseCode.IDLE_TIMEOUT.code(), received.stream().filter(ServerMessage::hasGoodbye)
          .findFirst().orElseThrow().getGoodbye().getCloseCode());
      assertEquals(1, closedWith(s, CloseCode.IDLE_TIMEOUT), "only the idle client was closed");
      active.assertOpen();
      active.post("r1", "still here");
      // The bystanders sent nothing since joining, but their WebSocket stack answered the
      // pings: silent is not idle.
      others.assertServed();
      others.reader.awaitEvent(e -> e.hasChatPosted() && e.getChatPosted().getText().equals("still here"),
          "the active client's post");
    }
  }
}
