package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.PresenceChanged;
import io.ponte.protocol.v1.RemoveParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Presence and teacher actions across two nodes sharing one Redis (each node with its own data
 * directory; the room is created on both through their admin APIs). A participant is listed once
 * whatever nodes their tabs are on; a node killed with SIGKILL loses its participants within the
 * presence lease; a removal on one node closes the student's connection on the other.
 */
@Timeout(90)
class MultiNodePresenceIT {
  static final int LEASE_MS = 1500;

  @TempDir
  Path dir;

  private final String prefix = RedisFixture.newPrefix();

  private UnaryOperator<PonteConfig.Builder> node(String nodeId) {
    return b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix).nodeId(nodeId)
        .presenceLeaseMs(LEASE_MS);
  }

  @Test
  void aUserWithTabsOnBothNodesIsListedOnceWithTwoConnections() {
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a"));
        TestServer b = new TestServer(dir.resolve("b"), node("node-b"))) {
      a.createRoom("p1");
      b.createRoom("p1");
      try (TestClient tea = a.user("tea", "p1", Role.TEACHER);
          TestClient samOnA = a.user("sam", "p1", Role.STUDENT);
          TestClient samOnB = b.user("sam", "p1", Role.STUDENT, WireFormat.JSON)) {
        tea.join("p1");
        samOnA.join("p1");
        assertEquals(1, PresenceIT.presence(tea, PresenceChanged.Kind.JOINED, "sam").getConnections());

        Joined onB = samOnB.join("p1");
        assertEquals(List.of("tea", "sam"), userIds(onB.getParticipantsList()),
            () -> "one participant per person over both nodes: " + onB);
        assertEquals(2, PresenceIT.participant(onB.getParticipantsList(), "sam").getConnections());
        assertEquals(Role.TEACHER,
            PresenceIT.participant(onB.getParticipantsList(), "tea").getRole());
        // The tab on the other node is an update of the same participant, not a second one.
        assertEquals(2, PresenceIT.presence(tea, PresenceChanged.Kind.UPDATED, "sam").getConnections());
        assertFalse(tea.receives(m -> m.hasEvent() && m.getEvent().hasPresence()
            && m.getEvent().getPresence().getKind() == PresenceChanged.Kind.JOINED
            && m.getEvent().getPresence().getParticipant().getUserId().equals("sam"),
            PresenceIT.QUIET));

        // A chat post on one node reaches the other node's clients in the same order.
        assertEquals(1, samOnB.post("p1", "hello from b").getSeq());
        assertEquals("hello from b", tea.nextEvent("p1").getChatPosted().getText());

        samOnB.close();
        assertEquals(1, PresenceIT.presence(tea, PresenceChanged.Kind.UPDATED, "sam").getConnections());
        samOnA.close();
        PresenceIT.presence(tea, PresenceChanged.Kind.LEFT, "sam");
        try (TestClient lee = b.user("lee", "p1", Role.OBSERVER)) {
          assertEquals(List.of("tea", "lee"), userIds(lee.join("p1").getParticipantsList()));
        }
      }
      assertTrue(a.http("GET", "/metrics", null, null).body()
          .contains("ponte_presence_lease_renewals_total"));
    }
  }

  @Test
  void aTeacherRemovingAStudentOnOneNodeClosesTheirConnectionOnTheOther() {
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a"));
        TestServer b = new TestServer(dir.resolve("b"), node("node-b"))) {
      a.createRoom("m1");
      b.createRoom("m1");
      try (TestClient tea = a.user("tea", "m1", Role.TEACHER);
          TestClient bo = b.user("bo", "m1", Role.STUDENT);
          TestClient cy = b.user("cy", "m1", Role.STUDENT)) {
        tea.join("m1");
        bo.join("m1");
        cy.join("m1");
        PresenceIT.presence(tea, PresenceChanged.Kind.JOINED, "bo");
        long seq = TestClient.ack(tea.request(ClientMessage.newBuilder().setTeacherAction(
            TeacherAction.newBuilder().setRoomId("m1")
                .setRemove(RemoveParticipant.newBuilder().setUserId("bo"))))).getSeq();
        assertEquals(CloseCode.REMOVED.code(), bo.awaitClose());
        Event removed = cy.nextEvent("m1");
        assertEquals(seq, removed.getSeq());
        assertEquals("bo", removed.getParticipantRemoved().getUserId());
        cy.assertOpen();
        PresenceIT.presence(tea, PresenceChanged.Kind.LEFT, "bo");
      }
    }
  }

  @Test
  void theParticipantsOfANodeKilledWithSigkillLeaveWithinTheLease() throws Exception {
    Path childData = dir.resolve("child");
    int childPort = freePort();
    Process child = startChildNode(childData, childPort);
    try (TestServer a = new TestServer(dir.resolve("a"), node("node-a"))) {
      awaitReady(childPort);
      a.createRoom("k1");
      HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + childPort + "/admin/rooms"))
          .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(
              new JsonObject().put("id", "k1").put("title", "k1").encode())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, created.statusCode(), created::body);
      try (TestClient tea = a.user("tea", "k1", Role.TEACHER);
          TestClient kid = TestClient.connect(a.clientVertx(), childPort, WireFormat.PROTO);
          TestClient twin = TestClient.connect(a.clientVertx(), childPort, WireFormat.PROTO);
          TestClient twinOnA = a.user("twin", "k1", Role.STUDENT)) {
        tea.join("k1");
        twinOnA.join("k1");
        kid.hello(a.token("kid", "Kid", "k1", Role.STUDENT));
        kid.join("k1");
        twin.hello(a.token("twin", "Twin", "k1", Role.STUDENT));
        Joined tj = twin.join("k1");
        assertEquals(List.of("tea", "twin", "kid"), userIds(tj.getParticipantsList()));
        PresenceIT.presence(tea, PresenceChanged.Kind.JOINED, "kid");
        assertEquals(2, PresenceIT.presence(tea, PresenceChanged.Kind.UPDATED, "twin").getConnections());

        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        // Nobody removed the dead node's entries; node a sees its lease run out.
        Participant left = awaitPresence(tea, PresenceChanged.Kind.LEFT, "kid");
        assertEquals("kid", left.getUserId());
        assertEquals(1, awaitPresence(tea, PresenceChanged.Kind.UPDATED, "twin").getConnections());
        try (TestClient lee = a.user("lee", "k1", Role.OBSERVER)) {
          assertEquals(List.of("tea", "twin", "lee"), userIds(lee.join("k1").getParticipantsList()));
        }
      }
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** Within a few leases (the lease, a renewal interval, and slack for a loaded machine). */
  private static Participant awaitPresence(TestClient c, PresenceChanged.Kind kind, String userId) {
    Event e = c.await(m -> m.hasEvent() && m.getEvent().hasPresence()
            && m.getEvent().getPresence().getKind() == kind
            && m.getEvent().getPresence().getParticipant().getUserId().equals(userId),
        kind + " of " + userId, Duration.ofMillis(LEASE_MS * 5L)).getEvent();
    return e.getPresence().getParticipant();
  }

  static List<String> userIds(List<Participant> participants) {
    return participants.stream().map(Participant::getUserId).toList();
  }

  private Process startChildNode(Path data, int port) throws Exception {
    Path logs = Path.of("target", "multi-node-it");
    Files.createDirectories(logs);
    File log = logs.resolve("child-" + System.currentTimeMillis() + ".log").toFile();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "io.ponte.server.Main", "serve",
        "--http-host", "127.0.0.1", "--http-port", Integer.toString(port),
        "--data-dir", data.toString(), "--jwt-secret", TestServer.SECRET,
        "--admin-token", TestServer.ADMIN_TOKEN, "--event-loops", "2",
        "--node-id", "node-child", "--redis-url", RedisFixture.get().url(),
        "--redis-key-prefix", prefix, "--presence-lease-ms", Integer.toString(LEASE_MS))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
        .start();
  }

  private static void awaitReady(int port) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the child node never became ready on port " + port);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
