package io.ponte.server.it;

import static io.ponte.server.it.BadInputIT.assertRefused;
import static io.ponte.server.it.BadInputIT.assertStillOpen;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.MACSigner;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.protocol.v1.Typing;
import io.ponte.protocol.v1.Welcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Tokens, grants, roles and the authentication deadline, on a real node. */
@Timeout(60)
class AuthIT {
  @TempDir
  Path dir;

  private static String sign(String secret, long expSeconds, Map<String, Object> rooms) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("sub", "u-17");
    claims.put("name", "Ana");
    claims.put("exp", expSeconds);
    claims.put("rooms", rooms);
    JWSObject jws = new JWSObject(new JWSHeader(JWSAlgorithm.HS256), new Payload(claims));
    try {
      jws.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (JOSEException e) {
      throw new AssertionError(e);
    }
    return jws.serialize();
  }

  private static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  private static ServerMessage helloRaw(TestClient c, String token) {
    return c.request(ClientMessage.newBuilder().setHello(Hello.newBuilder().setToken(token)));
  }

  @Test
  void expiredTokenIsRefused() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.client()) {
      // An hour ago: well beyond the allowed clock skew.
      ServerMessage m = helloRaw(c, sign(TestServer.SECRET, nowSeconds() - 3600, Map.of("r1", "student")));
      ErrorInfo e = TestClient.error(m);
      assertEquals(ErrorCode.TOKEN_EXPIRED, e.getCode());
      assertFalse(e.getRetryable());
      assertEquals(CloseCode.TOKEN_EXPIRED.code(), c.await(ServerMessage::hasGoodbye, "goodbye")
          .getGoodbye().getCloseCode());
      assertEquals(CloseCode.TOKEN_EXPIRED.code(), c.awaitClose());
      others.assertServed();
    }
  }

  @Test
  void tokenExpiringWhileConnectedClosesTheConnection() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.client()) {
      Welcome w = c.hello(sign(TestServer.SECRET, nowSeconds() + 2, Map.of("r1", "student")));
      assertTrue(w.getTokenExpiresMs() > 0);
      c.join("r1");
      ServerMessage m = c.await(ServerMessage::hasError, "expiry error");
      assertEquals(ErrorCode.TOKEN_EXPIRED, m.getError().getCode());
      assertEquals(CloseCode.TOKEN_EXPIRED.code(), c.await(ServerMessage::hasGoodbye, "goodbye")
          .getGoodbye().getCloseCode());
      assertEquals(CloseCode.TOKEN_EXPIRED.code(), c.awaitClose());
      assertTrue(System.currentTimeMillis() >= w.getTokenExpiresMs(), "closed before the expiry");
      others.assertServed();
    }
  }

  @Test
  void tokenSignedWithAnotherSecretHasABadSignature() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.client(WireFormat.JSON)) {
      String forged = sign("another-secret-0123456789-0123456789-xyz", nowSeconds() + 3600,
          Map.of("*", "teacher"));
      ErrorInfo e = TestClient.error(helloRaw(c, forged));
      assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, e.getCode());
      assertEquals(CloseCode.AUTH_FAILED.code(), c.await(ServerMessage::hasGoodbye, "goodbye")
          .getGoodbye().getCloseCode());
      assertEquals(CloseCode.AUTH_FAILED.code(), c.awaitClose());
      others.assertServed();
    }
  }

  @Test
  void garbageTokenIsInvalid() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      for (String garbage : new String[] {"not-a-jwt", "", "a.b.c", "x".repeat(9000)}) {
        try (TestClient c = s.client()) {
          c.send(ClientMessage.newBuilder().setRequestId(1)
              .setHello(Hello.newBuilder().setToken(garbage)).build());
          ErrorInfo e = assertRefused(c, ErrorCode.TOKEN_INVALID, CloseCode.AUTH_FAILED);
          assertFalse(e.getRetryable());
        }
        others.assertServed();
      }
    }
  }

  @Test
  void roomNotGrantedIsNotAllowedAndTheConnectionStaysOpen() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      s.createRoom("r2");
      try (TestClient c = s.user("ana", "r2", Role.STUDENT)) {
        ErrorInfo e = TestClient.error(c.joinRaw("r1", 0, ""));
        assertEquals(ErrorCode.ROOM_NOT_ALLOWED, e.getCode());
        assertEquals("r1", e.getRoomId());
        assertFalse(e.getRetryable());
        assertStillOpen(c);
        c.join("r2");
        c.post("r2", "in my own room");
        others.assertServed();
        // Nothing from r1 reaches the refused client.
        assertFalse(c.receives(m -> m.hasEvent() && m.getEvent().getRoomId().equals("r1"),
            Duration.ofMillis(300)));
      }
    }
  }

  @Test
  void observerIsReadOnly() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient obs = s.user("obs", "r1", Role.OBSERVER)) {
      obs.join("r1");
      ErrorInfo post = TestClient.error(obs.request(ClientMessage.newBuilder()
          .setChatPost(ChatPost.newBuilder().setRoomId("r1").setText("can I talk?"))));
      assertEquals(ErrorCode.READ_ONLY, post.getCode());
      assertFalse(post.getRetryable());
      ErrorInfo typing = TestClient.error(obs.request(ClientMessage.newBuilder()
          .setTyping(Typing.newBuilder().setRoomId("r1").setTyping(true))));
      assertEquals(ErrorCode.READ_ONLY, typing.getCode());
      // A teacher action from an observer is refused like a student's.
      ErrorInfo action = TestClient.error(obs.request(ClientMessage.newBuilder().setTeacherAction(
          TeacherAction.newBuilder().setRoomId("r1").setLock(LockRoom.newBuilder().setLocked(true)))));
      assertEquals(ErrorCode.PERMISSION_DENIED, action.getCode());
      assertStillOpen(obs);
      // The observer still reads everything, and nobody saw the refused post.
      others.assertServed();
      obs.awaitEvent(e -> e.hasChatPosted() && e.getChatPosted().getText().equals("still served 1"),
          "the bystander's post");
      assertFalse(others.reader.receives(m -> m.hasEvent() && m.getEvent().hasChatPosted()
          && m.getEvent().getChatPosted().getText().equals("can I talk?"), Duration.ofMillis(300)));
    }
  }

  @Test
  void silentConnectionIsClosedAtTheAuthDeadline() {
    try (TestServer s = new TestServer(dir, b -> b.authTimeoutMs(300));
        Bystanders others = new Bystanders(s, "r1");
        TestClient silent = s.client()) {
      ErrorInfo e = assertRefused(silent, ErrorCode.AUTH_TIMEOUT, CloseCode.AUTH_TIMEOUT);
      assertFalse(e.getRetryable());
      // The bystanders said hello in time: the deadline does not apply to them any more.
      others.assertServed();
      try (TestClient late = s.client()) {
        late.hello(s.token("late", "Late", "r1", Role.STUDENT));
        late.join("r1");
        assertFalse(late.receives(ServerMessage::hasGoodbye, Duration.ofMillis(500)));
        assertStillOpen(late);
      }
    }
  }
}
