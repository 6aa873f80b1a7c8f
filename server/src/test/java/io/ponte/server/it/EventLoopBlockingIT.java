package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.HistoryRequest;
import io.ponte.protocol.v1.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;

/**
 * Proves that event-loop code never blocks: BlockHound reports every blocking JDK call made on a
 * Vert.x event-loop thread while a realistic session runs (connect, hello, join, chat, history,
 * hands, an anonymous poll, a report and its resolution, the audit log, leave, restart with
 * snapshots).
 */
@Timeout(120)
class EventLoopBlockingIT {
  private static final List<String> BLOCKING = new CopyOnWriteArrayList<>();

  @TempDir
  Path dir;

  @BeforeAll
  static void installBlockHound() {
    BlockHound.builder()
        .nonBlockingThreadPredicate(p -> p.or(t -> t.getName().startsWith("vert.x-eventloop-thread")))
        // Reading /dev/urandom for random ids does not block in practice on Linux.
        .allowBlockingCallsInside("java.util.UUID", "randomUUID")
        // The same for an anonymous poll's salt (without this line the session below fails here).
        .allowBlockingCallsInside("io.ponte.server.poll.VoterKeys", "newSalt")
        // The test's own clients run on event loops too; they hand frames to the test thread.
        .allowBlockingCallsInside("io.ponte.server.it.TestClient", "accept")
        // Recording instead of throwing: a throw inside Vert.x would only be logged. Only calls
        // with Ponte code on the stack count: event loops of other Vert.x instances in this JVM
        // (earlier tests' servers and clients shutting down) park inside Vert.x itself.
        .blockingMethodCallback(m -> {
          String stack = stackOf(new Throwable());
          if (!stack.isEmpty()) {
            BLOCKING.add(m + " on " + Thread.currentThread().getName() + " at " + stack);
          }
        })
        .install();
  }

  private static String stackOf(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (StackTraceElement e : t.getStackTrace()) {
      // The callback itself is always on the stack; it says nothing about who blocked.
      if (e.getClassName().startsWith("io.ponte") && !e.getMethodName().contains("installBlockHound")) {
        sb.append(e).append(" <- ");
      }
    }
    return sb.toString();
  }

  @Test
  void blockHoundSeesASleepOnAnEventLoop() throws Exception {
    BLOCKING.clear();
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
      vertx.runOnContext(v -> {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        done.countDown();
      });
      assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(BLOCKING.stream().anyMatch(b -> b.contains("sleep")), "BlockHound is not active");
    } finally {
      vertx.close();
      BLOCKING.clear();
    }
  }

  @Test
  void aClassroomSessionNeverBlocksAnEventLoop() {
    BLOCKING.clear();
    try (TestServer s = new TestServer(dir, b -> b.snapshotInterval(10))) {
      s.createRoom("blockhound");
      try (TestClient teacher = s.user("t", "blockhound", Role.TEACHER);
          TestClient student = s.user("s", "blockhound", Role.STUDENT, WireFormat.JSON)) {
        teacher.join("blockhound");
        student.join("blockhound");
        for (int i = 0; i < 30; i++) {
          (i % 2 == 0 ? teacher : student).post("blockhound", "line " + i);
        }
        student.request(ClientMessage.newBuilder().setChatPost(ChatPost.newBuilder()
            .setRoomId("blockhound").setText("private question").setToTeachers(true)));
        var page = student.request(ClientMessage.newBuilder()
            .setHistory(HistoryRequest.newBuilder().setRoomId("blockhound").setLimit(20)));
        assertEquals(20, page.getHistory().getMessagesCount());
        TestClient.ack(student.request(HandIT.raise("blockhound")));
        TestClient.ack(teacher.request(HandIT.lowerAll("blockhound")));
        TestClient.ack(teacher.request(PollIT.create("blockhound", "p", PollIT.question("Ok?", "yes", "no")
            .setAnonymous(true))));
        TestClient.ack(teacher.request(PollIT.open("blockhound", "p")));
        TestClient.ack(student.request(PollIT.answer("blockhound", "p", "a1", 0)));
        TestClient.ack(teacher.request(PollIT.close("blockhound", "p")));
        TestClient.ack(teacher.request(PollIT.share("blockhound", "p")));
        long report = TestClient.ack(student.request(ReportIT.reportMessage("blockhound", 1))).getSeq();
        TestClient.ack(teacher.request(ReportIT.resolve("blockhound", report,
            io.ponte.protocol.v1.ReportStatus.REPORT_HANDLED)));
        assertTrue(teacher.request(AuditIT.auditRead("blockhound", 0, 10)).hasAuditPage());
        assertEquals(200, s.admin("GET", "/admin/audit?room=blockhound", null).statusCode());
        assertEquals(200, s.admin("GET", "/admin/rooms/blockhound/reports", null).statusCode());
      }
      s.stop();
      s.start();
      try (TestClient again = s.user("s", "blockhound", Role.STUDENT)) {
        assertEquals(40, again.join("blockhound").getSeq());
      }
    }
    assertTrue(BLOCKING.isEmpty(), () -> "blocking calls on event loops:\n" + String.join("\n", BLOCKING));
  }

  @Test
  void tokensFromAJwksUrlNeverBlockAnEventLoop() {
    BLOCKING.clear();
    var k1 = io.ponte.server.testsupport.JwksServer.SigningKey.rsa("k1");
    var k2 = io.ponte.server.testsupport.JwksServer.SigningKey.ec("k2");
    try (var jwks = io.ponte.server.testsupport.JwksServer.start()) {
      jwks.publish(k1);
      try (TestServer s = new TestServer(dir, b -> b.jwtJwksUrl(jwks.url())
          .jwtJwksRefreshMinIntervalMs(100).jwtJwksRefreshIntervalMs(1000))) {
        s.createRoom("blockhound");
        // A cached key; then a rotated-in one (fetched, parsed and verified on event loops).
        try (TestClient a = s.client()) {
          a.hello(k1.token("a", "blockhound", "teacher"));
          a.join("blockhound");
        }
        jwks.publish(k1, k2);
        jwks.awaitRequests(3, 60_000); // the periodic refresh fetched the new set at least once
        try (TestClient b = s.client()) {
          b.hello(k2.token("b", "blockhound", "student"));
          b.join("blockhound");
        }
        try (TestClient c = s.client()) {
          long id = c.sendRequest(ClientMessage.newBuilder().setHello(io.ponte.protocol.v1.Hello.newBuilder()
              .setToken(io.ponte.server.testsupport.JwksServer.SigningKey.rsa("made-up").token("c", "blockhound", "student"))));
          assertTrue(c.await(m -> m.getRequestId() == id, "the refusal", java.time.Duration.ofSeconds(60)).hasError());
        }
      }
    }
    assertTrue(BLOCKING.isEmpty(), () -> "blocking calls on event loops:\n" + String.join("\n", BLOCKING));
  }
}
