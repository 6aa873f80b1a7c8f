package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.testsupport.JwksServer;
import io.ponte.server.testsupport.JwksServer.SigningKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens signed by an identity provider whose keys the node fetches from a JWK Set URL
 * ({@code jwt-jwks-url}): a real node and a real HTTP server on ephemeral ports that serves,
 * rotates, withholds and fails to serve the keys, with Ponte, y-websocket and Hocuspocus clients.
 * Timeouts are generous: the machine may be loaded; no sleep stands in for synchronisation (the
 * few sleeps let a configured interval pass).
 */
@Timeout(300)
class JwksIT {
  private static final Duration LONG = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  private static TestServer node(Path dir, JwksServer jwks, int minIntervalMs, int refreshIntervalMs) {
    return new TestServer(dir, b -> b.jwtJwksUrl(jwks.url())
        .jwtJwksRefreshMinIntervalMs(minIntervalMs)
        .jwtJwksRefreshIntervalMs(refreshIntervalMs)
        .jwtJwksTimeoutMs(20_000));
  }

  /** A Hello with this token on a fresh /ws connection; the client and the answer. */
  private record Said(TestClient client, ServerMessage answer) { }

  private static Said hello(TestServer s, String token) {
    TestClient c = s.client();
    long id = c.sendRequest(ClientMessage.newBuilder().setHello(Hello.newBuilder().setToken(token)));
    return new Said(c, c.await(m -> m.getRequestId() == id, "the answer to Hello", LONG));
  }

  private static void welcomed(TestServer s, String token, String what) {
    Said said = hello(s, token);
    try (TestClient c = said.client()) {
      assertEquals(ServerMessage.BodyCase.WELCOME, said.answer().getBodyCase(), () -> what + ": " + said.answer());
    }
  }

  /** The error a Hello with this token gets, after checking that the socket is closed with {@code close}. */
  private static ErrorInfo refused(TestServer s, String token, CloseCode close) {
    Said said = hello(s, token);
    try (TestClient c = said.client()) {
      assertEquals(ServerMessage.BodyCase.ERROR, said.answer().getBodyCase(), () -> "refused: " + said.answer());
      assertEquals(close.code(), closeCode(c));
      return said.answer().getError();
    }
  }

  private static int closeCode(TestClient c) {
    long deadline = System.nanoTime() + LONG.toNanos();
    while (!c.isClosed() && System.nanoTime() < deadline) {
      c.receives(m -> false, Duration.ofMillis(50));
    }
    return c.awaitClose();
  }

  private static void letPass(long ms) throws InterruptedException {
    Thread.sleep(ms + 50); // the configured interval passes: time, not synchronisation
  }

  // ------------------------------------------------------------------------------------------

  @Test
  void aRotatedKeyIsAcceptedAndARemovedOneRefusedWithoutARestart() throws Exception {
    SigningKey k1 = SigningKey.rsa("k1");
    SigningKey e1 = SigningKey.ec("e1");
    SigningKey k2 = SigningKey.rsa("k2");
    int minInterval = 2000;
    try (JwksServer jwks = JwksServer.start(); TestServer s = node(dir, jwks, minInterval, 3_600_000)) {
      jwks.publish(k1, e1);
      // The node fetched at start, before this publish: the first token with k1 fetches again.
      letPass(minInterval);
      welcomed(s, k1.token("ana", "r1", "student"), "RS256 with a published key");
      welcomed(s, e1.token("bo", "r1", "teacher"), "ES256 with a published key");
      int fetched = jwks.requests();
      welcomed(s, k1.token("cy", "r1", "student"), "a cached key");
      assertEquals(fetched, jwks.requests(), "a cached key costs no fetch");

      // The provider rotates: k1 out, k2 in.
      jwks.publish(k2, e1);
      letPass(minInterval);
      welcomed(s, k2.token("di", "r1", "student"), "the rotated-in key, fetched on its unknown kid");
      ErrorInfo old = refused(s, k1.token("ana", "r1", "student"), CloseCode.AUTH_FAILED);
      assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, old.getCode(), "the removed key: " + old);
      assertFalse(old.getRetryable());
      welcomed(s, e1.token("bo", "r1", "teacher"), "a key that stayed");

      // Tokens naming made-up kids: at most one fetch per minimum interval, however many.
      int before = jwks.requests();
      long start = System.nanoTime();
      for (int i = 0; i < 12; i++) {
        ErrorInfo e = refused(s, SigningKey.ec("made-up-" + i).token("eve", "r1", "student"), CloseCode.AUTH_FAILED);
        assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, e.getCode());
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      int fetches = jwks.requests() - before;
      assertTrue(fetches <= 1 + elapsedMs / minInterval,
          fetches + " fetches in " + elapsedMs + " ms, at most one per " + minInterval + " ms");
    }
  }

  @Test
  void thePeriodicRefreshDropsARemovedKey() throws Exception {
    SigningKey k1 = SigningKey.rsa("k1");
    SigningKey k2 = SigningKey.rsa("k2");
    try (JwksServer jwks = JwksServer.publishing(k1);
        TestServer s = node(dir, jwks, 1000, 1000)) {
      welcomed(s, k1.token("ana", "r1", "student"), "the published key");
      jwks.publish(k2);
      int now = jwks.requests();
      // Nobody asks for k2: the node fetches on its own schedule.
      jwks.awaitRequests(now + 2, LONG.toMillis());
      ErrorInfo e = refused(s, k1.token("ana", "r1", "student"), CloseCode.AUTH_FAILED);
      assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, e.getCode());
      welcomed(s, k2.token("bo", "r1", "student"), "the new key");
    }
  }

  @Test
  void cachedKeysWorkWhileTheProviderIsDownAndUnknownOnesAreRetryable() throws Exception {
    SigningKey k1 = SigningKey.rsa("k1");
    SigningKey k2 = SigningKey.ec("k2");
    int minInterval = 200;
    try (JwksServer jwks = JwksServer.publishing(k1);
        TestServer s = node(dir, jwks, minInterval, 3_600_000)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      jwks.answer(503);
      welcomed(s, k1.token("ana", "r1", "student"), "a cached key while the provider is down");
      letPass(minInterval);
      String unknown = k2.token("bo", "r1", "student");
      ErrorInfo e = refused(s, unknown, CloseCode.INTERNAL_ERROR);
      assertEquals(ErrorCode.TOKEN_KEYS_UNAVAILABLE, e.getCode(), e.toString());
      assertTrue(e.getRetryable());
      assertTrue(e.getRetryAfterMs() > 0);
      // /yjs: closed with a code y-websocket providers retry.
      try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(), "/yjs/r1/report?token=" + unknown)) {
        assertTrue(y.closesWithin(LONG));
        assertEquals(CloseCode.ROOM_UNAVAILABLE.code(), y.awaitClose());
      }
      // /hocuspocus: the document's Auth is denied with the code, the socket stays.
      JsonObject denied = HocuspocusIT.hp("denied", HocuspocusIT.params(s, "r1", "report")
          .put("tokens", new JsonObject().put("unknown", unknown))
          .put("cases", new JsonArray().add(new JsonArray().add("unknown").add("unknown").add("r1/report"))));
      assertTrue(denied.getString("unknown").startsWith("TOKEN_KEYS_UNAVAILABLE"), denied.encode());
      // The provider is back, with the new key.
      jwks.publish(k1, k2);
      letPass(minInterval);
      welcomed(s, unknown, "the key once the provider answers again");
    }
  }

  @Test
  void aProviderDownAtStartDoesNotStopTheNode() {
    SigningKey k1 = SigningKey.rsa("k1");
    try (JwksServer jwks = JwksServer.start()) {
      jwks.answer(503);
      try (TestServer s = node(dir, jwks, 100, 3_600_000)) {
        ErrorInfo e = refused(s, k1.token("ana", "r1", "student"), CloseCode.INTERNAL_ERROR);
        assertEquals(ErrorCode.TOKEN_KEYS_UNAVAILABLE, e.getCode());
        // HS256 tokens of the node's own secret are unaffected.
        welcomed(s, s.token("bo", "Bo", "r1", io.ponte.protocol.v1.Role.STUDENT), "HS256");
      }
    }
  }

  @Test
  void aHelloWaitingForKeysHoldsTheClientsNextMessagesAndBlocksNobody() throws Exception {
    SigningKey k1 = SigningKey.rsa("k1");
    SigningKey k2 = SigningKey.rsa("k2");
    int minInterval = 200;
    try (JwksServer jwks = JwksServer.publishing(k1);
        TestServer s = node(dir, jwks, minInterval, 3_600_000);
        Bystanders bystanders = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      letPass(minInterval);
      jwks.publish(k1, k2);
      jwks.hold();
      int before = jwks.requests();
      try (TestClient c = s.client()) {
        // A client that sends its Join right after its Hello, as clients may.
        long helloId = c.sendRequest(ClientMessage.newBuilder()
            .setHello(Hello.newBuilder().setToken(k2.token("ana", "r1", "student"))));
        long joinId = c.sendRequest(ClientMessage.newBuilder().setJoin(Join.newBuilder().setRoomId("r1")));
        jwks.awaitRequests(before + 1, LONG.toMillis());
        // The fetch is held: the node serves everybody else meanwhile.
        bystanders.assertServed();
        bystanders.assertServed();
        welcomed(s, k1.token("bo", "r1", "student"), "a cached key while another token waits");
        assertFalse(c.isClosed());
        jwks.release();
        ServerMessage welcome = c.await(m -> m.getRequestId() == helloId, "the Welcome", LONG);
        assertEquals(ServerMessage.BodyCase.WELCOME, welcome.getBodyCase(), welcome::toString);
        ServerMessage joined = c.await(m -> m.getRequestId() == joinId, "the Joined", LONG);
        assertEquals(ServerMessage.BodyCase.JOINED, joined.getBodyCase(), joined::toString);
        assertEquals(before + 1, jwks.requests(), "one fetch");
      }
      bystanders.assertServed();
    }
  }

  @Test
  void aHelloWaitingForKeysStillMeetsTheAuthDeadline() throws Exception {
    SigningKey k1 = SigningKey.rsa("k1");
    SigningKey k2 = SigningKey.rsa("k2");
    try (JwksServer jwks = JwksServer.publishing(k1);
        TestServer s = new TestServer(dir, b -> b.jwtJwksUrl(jwks.url())
            .jwtJwksRefreshMinIntervalMs(100).jwtJwksTimeoutMs(60_000).authTimeoutMs(3000))) {
      letPass(100);
      jwks.hold();
      try (TestClient c = s.client()) {
        c.sendRequest(ClientMessage.newBuilder()
            .setHello(Hello.newBuilder().setToken(k2.token("ana", "r1", "student"))));
        assertEquals(CloseCode.AUTH_TIMEOUT.code(), closeCode(c));
      }
      jwks.release();
      welcomed(s, k1.token("bo", "r1", "student"), "the node after the held fetch");
    }
  }

  @Test
  void documentEndpointsWaitForARotatedKeyToo() throws Exception {
    SigningKey k1 = SigningKey.rsa("k1");
    SigningKey k2 = SigningKey.ec("k2");
    int minInterval = 200;
    try (JwksServer jwks = JwksServer.publishing(k1);
        TestServer s = node(dir, jwks, minInterval, 3_600_000)) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      String old = k1.token("olaf", "r1", "student");
      jwks.publish(k2);
      letPass(minInterval);
      JsonObject tokens = new JsonObject()
          .put("a", k2.token("ana", "r1", "student"))
          .put("b", k2.token("bo", "r1", "student"))
          .put("reader", k2.token("tina", "r1", "teacher"))
          .put("old", old)
          .put("bad", old)
          .put("stranger", SigningKey.rsa("stranger").token("x", "r1", "student"));
      // y-websocket: the first socket with k2 waits for the fetch, then edits.
      JsonObject wrote = NodeClients.scenario("write", YWebsocketIT.params(s, "r1", "report")
          .put("tokens", tokens).put("text", "signed by the provider "));
      assertTrue(wrote.getString("text").contains("signed by the provider"), wrote.encode());
      // Right after that refresh, an unknown kid on /yjs is refused at once, for good.
      String stranger = tokens.getString("stranger");
      try (RawYSocket y = RawYSocket.open(s.clientVertx(), s.port(), "/yjs/r1/report?token=" + stranger)) {
        assertTrue(y.closesWithin(LONG), "refused within " + LONG);
        assertEquals(CloseCode.UNAUTHORIZED.code(), y.awaitClose());
      }
      // The removed key: closed with 4401, and a stock provider gives up after one socket.
      JsonObject refused = NodeClients.scenario("refused", YWebsocketIT.params(s, "r1", "report")
          .put("tokens", tokens)
          .put("cases", new JsonArray().add(new JsonArray().add("old").add("old").add("report"))));
      assertEquals(CloseCode.UNAUTHORIZED.code(), refused.getJsonObject("old").getInteger("code"), refused.encode());
      assertTrue(refused.getJsonObject("old").getString("reason").startsWith("TOKEN_BAD_SIGNATURE"), refused.encode());
      assertEquals(1, refused.getJsonObject("provider").getInteger("attempts"), refused.encode());
      // Hocuspocus: the new key writes, the removed one is denied.
      JsonObject hpParams = HocuspocusIT.params(s, "r1", "report").put("tokens", tokens);
      JsonObject hpWrote = HocuspocusIT.hp("write", hpParams.copy().put("text", "over hocuspocus "));
      assertTrue(hpWrote.getString("text").contains("over hocuspocus"), hpWrote.encode());
      JsonObject denied = HocuspocusIT.hp("denied", hpParams.copy()
          .put("cases", new JsonArray().add(new JsonArray().add("old").add("old").add("r1/report"))));
      assertTrue(denied.getString("old").startsWith("TOKEN_BAD_SIGNATURE"), denied.encode());
      assertFalse(denied.getBoolean("oldSynced"));
    }
  }
}
