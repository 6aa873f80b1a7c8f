package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Ping;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.Typing;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Health, metrics and graceful shutdown on a real node. */
@Timeout(60)
class OperabilityIT {
  @TempDir
  Path dir;

  /**
   * The sum of the samples of a metric in Prometheus text, over the series whose labels contain
   * {@code labels} (null: every series); -1 when there is no such series.
   */
  static double metric(String scrape, String name, String labels) {
    double sum = 0;
    boolean found = false;
    for (String line : scrape.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      String rest = line.substring(name.length());
      if (!rest.startsWith("{") && !rest.startsWith(" ")) {
        continue; // another metric with this name as a prefix
      }
      if (labels != null && !(rest.startsWith("{") && rest.substring(0, rest.indexOf('}') + 1).contains(labels))) {
        continue;
      }
      String[] parts = rest.substring(rest.startsWith("{") ? rest.indexOf('}') + 1 : 0).trim().split(" ");
      sum += Double.parseDouble(parts[0]);
      found = true;
    }
    return found ? sum : -1;
  }

  static String scrape(TestServer s) {
    HttpResponse<String> r = s.http("GET", "/metrics", null, null);
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
        () -> "content type " + r.headers());
    return r.body();
  }

  /** A request the connection answers after everything it was sent before. */
  static void roundTrip(TestClient c) {
    ServerMessage m = c.request(ClientMessage.newBuilder().setPing(Ping.newBuilder().setClientTimeMs(1)));
    assertTrue(m.hasPong(), m::toString);
  }

  @Test
  void healthEndpointsAnswerWhileRunning() {
    try (TestServer s = new TestServer(dir)) {
      HttpResponse<String> live = s.http("GET", "/health/live", null, null);
      assertEquals(200, live.statusCode());
      assertTrue(live.body().contains("UP"), live.body());
      HttpResponse<String> ready = s.http("GET", "/health/ready", null, null);
      assertEquals(200, ready.statusCode(), ready.body());
      assertTrue(ready.body().contains("UP"), ready.body());
      // Health and metrics need no credentials; the admin API still does.
      assertEquals(401, s.http("GET", "/admin/rooms", null, null).statusCode());
    }
  }

  @Test
  void metricsMoveWithTraffic() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      String before = scrape(s);
      assertEquals(0, metric(before, "ponte_connections", null));
      assertTrue(metric(before, "jvm_memory_used_bytes", "area=\"heap\"") > 0, "jvm memory metrics");
      assertEquals(-1, metric(before, "ponte_errors_total", "code=\"NOT_IN_ROOM\""));
      double postsBefore = Math.max(0, metric(before, "ponte_messages_in_total", "type=\"chat_post\""));

      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        ana.join("r1");
        bo.join("r1");
        for (int i = 0; i < 3; i++) {
          ana.post("r1", "message " + i);
        }
        for (int i = 0; i < 3; i++) {
          bo.nextEvent("r1");
        }
        // Provoke an error with a known code.
        ServerMessage refused = bo.request(ClientMessage.newBuilder()
            .setChatPost(ChatPost.newBuilder().setRoomId("r2").setText("wrong room")));
        assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(refused).getCode());
        // Typing indicators beyond typing-per-second are dropped (and counted).
        for (int i = 0; i < 8; i++) {
          bo.send(ClientMessage.newBuilder().setRequestId(bo.nextRequestId())
              .setTyping(Typing.newBuilder().setRoomId("r1").setTyping(i % 2 == 0)).build());
        }
        roundTrip(bo);
        roundTrip(ana);

        String after = scrape(s);
        assertEquals(2, metric(after, "ponte_connections", null), "two open connections");
        assertEquals(postsBefore + 4, metric(after, "ponte_messages_in_total", "type=\"chat_post\""));
        assertTrue(metric(after, "ponte_messages_in_total", "type=\"hello\"") >= 2);
        assertTrue(metric(after, "ponte_messages_in_total", "type=\"join\"") >= 2);
        assertTrue(metric(after, "ponte_messages_out_total", null) >= 8, "messages out");
        assertTrue(metric(after, "ponte_messages_out_total", "type=") > 0);
        assertEquals(1, metric(after, "ponte_errors_total", "code=\"NOT_IN_ROOM\""));
        assertTrue(metric(after, "ponte_store_commit_seconds_count", null) >= 3, "store commits");
        assertTrue(metric(after, "ponte_delivery_latency_seconds_count", null) >= 6, "deliveries");
        assertTrue(metric(after, "ponte_messages_dropped_total", "reason=\"typing_rate\"") > 0,
            "dropped typing indicators");
        assertTrue(metric(after, "jvm_memory_used_bytes", null) > 0);
        assertTrue(after.contains("# TYPE ponte_connections gauge"), "Prometheus type lines");
      }
    }
  }

  @Test
  void gracefulShutdownTellsEveryClientToResume() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      TestClient ana = s.user("ana", "r1", Role.TEACHER);
      TestClient bo = s.user("bo", "r1", Role.STUDENT);
      TestClient idle = s.user("cy", "r1", Role.STUDENT);
      try {
        ana.join("r1");
        bo.join("r1");
        ana.post("r1", "last words");
        s.stop();
        for (TestClient c : List.of(ana, bo, idle)) {
          ServerMessage bye = c.await(m -> m.hasGoodbye(), "goodbye");
          assertEquals(CloseCode.SERVER_SHUTDOWN.code(), bye.getGoodbye().getCloseCode());
          assertFalse(bye.getGoodbye().getReason().isBlank());
          assertEquals(CloseCode.SERVER_SHUTDOWN.code(), c.awaitClose());
        }
      } finally {
        ana.close();
        bo.close();
        idle.close();
      }
    }
  }
}
