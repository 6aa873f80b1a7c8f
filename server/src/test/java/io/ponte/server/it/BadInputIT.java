package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.Ping;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.transport.Transport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken frames and protocol misuse: each gets its documented error code (and close code when the
 * connection ends), and the node keeps serving other clients meanwhile.
 */
@Timeout(60)
class BadInputIT {
  private static final int MAX_FRAME = 65_536;

  @TempDir
  Path dir;

  /** Asserts the error, then the Goodbye and the WebSocket close, both with the close code. */
  static ErrorInfo assertRefused(TestClient c, ErrorCode code, CloseCode close) {
    ErrorInfo e = c.await(ServerMessage::hasError, "error " + code).getError();
    assertEquals(code, e.getCode(), () -> "error: " + e);
    ServerMessage bye = c.await(ServerMessage::hasGoodbye, "goodbye");
    assertEquals(close.code(), bye.getGoodbye().getCloseCode());
    assertEquals(close.code(), c.awaitClose());
    return e;
  }

  /** The connection still answers a request (a Ping) and was not closed. */
  static void assertStillOpen(TestClient c) {
    ServerMessage m = c.request(ClientMessage.newBuilder().setPing(Ping.newBuilder().setClientTimeMs(7)));
    assertTrue(m.hasPong(), () -> "expected pong: " + m);
    assertEquals(7, m.getPong().getClientTimeMs());
    c.assertOpen();
  }

  private TestClient welcomed(TestServer s, WireFormat format) {
    return s.user("u-" + System.nanoTime(), "granted-*", Role.STUDENT, format);
  }

  // ------------------------------------------------------------------------------------------
  // Broken frames
  // ------------------------------------------------------------------------------------------

  @Test
  void randomBytesAreMalformedOrAnEmptyMessage() {
    // Seeded, and classified here with the same parser: bytes that do not parse must be refused
    // with MALFORMED_MESSAGE + 4001; bytes that happen to parse as a message without a body
    // (only unknown fields / a request id) get UNKNOWN_MESSAGE and the connection stays open.
    List<byte[]> malformed = new ArrayList<>();
    List<byte[]> empty = new ArrayList<>();
    for (long seed = 1; seed < 100_000 && (malformed.size() < 6 || empty.size() < 2); seed++) {
      Random random = new Random(seed);
      byte[] bytes = new byte[1 + random.nextInt(seed % 2 == 0 ? 8 : 300)];
      random.nextBytes(bytes);
      try {
        ClientMessage m = ClientMessage.parseFrom(bytes);
        if (m.getBodyCase() == ClientMessage.BodyCase.BODY_NOT_SET && empty.size() < 2) {
          empty.add(bytes);
        }
      } catch (InvalidProtocolBufferException e) {
        if (malformed.size() < 6) {
          malformed.add(bytes);
        }
      }
    }
    assertEquals(6, malformed.size());
    assertEquals(2, empty.size(), "seeds should include bytes that parse as an empty message");
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      for (int i = 0; i < malformed.size(); i++) {
        // Half before hello, half after: the frame is checked before the protocol state.
        TestClient c = i % 2 == 0 ? s.client() : welcomed(s, WireFormat.PROTO);
        try (c) {
          c.sendBinary(malformed.get(i));
          ErrorInfo e = assertRefused(c, ErrorCode.MALFORMED_MESSAGE, CloseCode.MALFORMED_MESSAGE);
          assertFalse(e.getRetryable());
        }
        others.assertServed();
      }
      for (byte[] bytes : empty) {
        try (TestClient c = welcomed(s, WireFormat.PROTO)) {
          long requestId = FrameCodec.decodeClient(bytes).getRequestId();
          c.sendBinary(bytes);
          ServerMessage m = c.await(ServerMessage::hasError, "error");
          assertEquals(ErrorCode.UNKNOWN_MESSAGE, m.getError().getCode());
          assertEquals(requestId, m.getRequestId());
          assertStillOpen(c);
        } catch (io.ponte.protocol.ProtocolException e) {
          throw new AssertionError(e);
        }
        others.assertServed();
      }
    }
  }

  @Test
  void truncatedProtobufIsMalformed() {
    byte[] valid = FrameCodec.encodeBinary(ClientMessage.newBuilder().setRequestId(5)
        .setChatPost(ChatPost.newBuilder().setRoomId("r1").setText("a complete sentence, cut short"))
        .build());
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.user("ana", "r1", Role.STUDENT)) {
      c.join("r1");
      c.sendBinary(java.util.Arrays.copyOf(valid, valid.length - 7));
      assertRefused(c, ErrorCode.MALFORMED_MESSAGE, CloseCode.MALFORMED_MESSAGE);
      others.assertServed();
      // The refused post was not applied: the readers only ever see the bystanders' posts.
      assertFalse(others.reader.receives(m -> m.hasEvent() && m.getEvent().hasChatPosted()
          && m.getEvent().getActor().getUserId().equals("ana"), Duration.ofMillis(300)));
    }
  }

  @Test
  void malformedJsonIsMalformed() {
    List<String> frames = List.of(
        "{\"hello\": ",                      // cut short
        "not json at all",
        "[1, 2, 3]",                         // JSON, but not an object
        "{\"requestId\": \"abc\"}",          // wrong type for a field
        "{\"hello\": {\"token\": 42, }}");  // trailing comma
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      for (int i = 0; i < frames.size(); i++) {
        TestClient c = i % 2 == 0 ? s.client(WireFormat.JSON) : welcomed(s, WireFormat.JSON);
        try (c) {
          c.sendText(frames.get(i));
          assertRefused(c, ErrorCode.MALFORMED_MESSAGE, CloseCode.MALFORMED_MESSAGE);
        }
        others.assertServed();
      }
    }
  }

  @Test
  void frameOfTheWrongTypeIsUnsupported() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      try (TestClient c = welcomed(s, WireFormat.PROTO)) {
        c.sendText(FrameCodec.encodeJson(ClientMessage.newBuilder().setRequestId(1)
            .setPing(Ping.getDefaultInstance()).build()));
        ErrorInfo e = assertRefused(c, ErrorCode.UNSUPPORTED_FRAME_TYPE, CloseCode.UNSUPPORTED_FRAME_TYPE);
        assertFalse(e.getRetryable());
      }
      others.assertServed();
      try (TestClient c = s.client(WireFormat.JSON)) {
        c.sendBinary(FrameCodec.encodeBinary(ClientMessage.newBuilder().setRequestId(1)
            .setPing(Ping.getDefaultInstance()).build()));
        assertRefused(c, ErrorCode.UNSUPPORTED_FRAME_TYPE, CloseCode.UNSUPPORTED_FRAME_TYPE);
      }
      others.assertServed();
    }
  }

  @Test
  void frameJustAboveTheLimitIsTooLarge() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      // Only a document update may be larger (up to doc-max-update-bytes): a chat post may not.
      try (TestClient c = welcomed(s, WireFormat.PROTO)) {
        c.send(bigPost("x".repeat(MAX_FRAME)));
        ErrorInfo e = assertRefused(c, ErrorCode.FRAME_TOO_LARGE, CloseCode.FRAME_TOO_LARGE);
        assertFalse(e.getRetryable());
      }
      others.assertServed();
      try (TestClient c = welcomed(s, WireFormat.JSON)) {
        c.send(bigPost("x".repeat(MAX_FRAME)));
        assertRefused(c, ErrorCode.FRAME_TOO_LARGE, CloseCode.FRAME_TOO_LARGE);
      }
      others.assertServed();
      // The limit is in bytes: 22,000 three-byte characters are 66,000 bytes of UTF-8.
      try (TestClient c = welcomed(s, WireFormat.JSON)) {
        c.send(bigPost("\u20ac".repeat(22_000)));
        assertRefused(c, ErrorCode.FRAME_TOO_LARGE, CloseCode.FRAME_TOO_LARGE);
      }
      others.assertServed();
      // Above the limit but within a document update's allowance, a frame is parsed (it may be a
      // document update): garbage is then malformed, and closes the connection all the same.
      try (TestClient c = welcomed(s, WireFormat.PROTO)) {
        c.sendBinary(new byte[MAX_FRAME + 1]);
        assertRefused(c, ErrorCode.MALFORMED_MESSAGE, CloseCode.MALFORMED_MESSAGE);
      }
      others.assertServed();
      // Exactly at the limit is still accepted (and then judged by its content).
      try (TestClient c = welcomed(s, WireFormat.PROTO)) {
        byte[] atLimit = new byte[MAX_FRAME];
        c.sendBinary(atLimit); // all zeros: field number 0 does not parse
        assertRefused(c, ErrorCode.MALFORMED_MESSAGE, CloseCode.MALFORMED_MESSAGE);
      }
    }
  }

  private static ClientMessage bigPost(String text) {
    return ClientMessage.newBuilder().setRequestId(1).setChatPost(
        io.ponte.protocol.v1.ChatPost.newBuilder().setRoomId("r1").setText(text)).build();
  }

  @Test
  void hugeFrameClosesTheConnection() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      int wireLimit = Transport.webSocketWireLimit(s.server().config());
      try (TestClient c = welcomed(s, WireFormat.PROTO)) {
        c.sendBinary(new byte[wireLimit + 4096]);
        assertClosedByTheWebSocketLayer(c);
      }
      others.assertServed();
      try (TestClient c = welcomed(s, WireFormat.JSON)) {
        c.sendText("y".repeat(wireLimit + MAX_FRAME));
        assertClosedByTheWebSocketLayer(c);
      }
      others.assertServed();
    }
  }

  /**
   * Beyond the wire limit (4x the limit, or a whole document update with its framing if larger:
   * {@link Transport#webSocketWireLimit}) the WebSocket layer (Netty) refuses the frame before
   * buffering it: it
   * sends close 1009 and drops the connection, without a Goodbye. The client, still writing
   * the frame, may see the connection reset before it reads the close frame (1006).
   */
  private static void assertClosedByTheWebSocketLayer(TestClient c) {
    int code = c.awaitClose();
    assertTrue(code == 1009 || code == 1006, "close code " + code);
    assertFalse(c.receives(ServerMessage::hasGoodbye, Duration.ZERO));
  }

  // ------------------------------------------------------------------------------------------
  // Protocol misuse
  // ------------------------------------------------------------------------------------------

  @Test
  void unknownRoomIsNotFoundAndTheConnectionStaysOpen() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.user("ana", "*", Role.STUDENT)) {
      ServerMessage m = c.joinRaw("no-such-room", 0, "");
      ErrorInfo e = TestClient.error(m);
      assertEquals(ErrorCode.ROOM_NOT_FOUND, e.getCode());
      assertEquals("no-such-room", e.getRoomId());
      assertFalse(e.getRetryable());
      assertStillOpen(c);
      others.assertServed();
      // Still usable for a room that exists.
      c.join("r1");
      c.post("r1", "hello after a wrong room");
      others.reader.awaitEvent(ev -> ev.hasChatPosted()
          && ev.getChatPosted().getText().equals("hello after a wrong room"), "post after the error");
    }
  }

  @Test
  void studentTeacherActionIsDenied() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.user("stu", "r1", Role.STUDENT)) {
      c.join("r1");
      ServerMessage m = c.request(ClientMessage.newBuilder().setTeacherAction(TeacherAction.newBuilder()
          .setRoomId("r1").setClientMsgId("lock-1").setLock(LockRoom.newBuilder().setLocked(true))));
      ErrorInfo e = TestClient.error(m);
      assertEquals(ErrorCode.PERMISSION_DENIED, e.getCode());
      assertEquals("r1", e.getRoomId());
      assertStillOpen(c);
      others.assertServed();
      // The room was not locked: a newcomer can still join.
      try (TestClient late = s.user("late", "r1", Role.STUDENT)) {
        late.join("r1");
      }
      assertFalse(others.reader.receives(x -> x.hasEvent() && x.getEvent().hasRoomLocked(),
          Duration.ofMillis(300)));
    }
  }

  @Test
  void postToARoomNotJoinedIsNotInRoom() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.user("stu", "r1", Role.STUDENT)) {
      ServerMessage m = c.request(ClientMessage.newBuilder()
          .setChatPost(ChatPost.newBuilder().setRoomId("r1").setText("not joined yet")));
      ErrorInfo e = TestClient.error(m);
      assertEquals(ErrorCode.NOT_IN_ROOM, e.getCode());
      assertEquals("r1", e.getRoomId());
      assertStillOpen(c);
      others.assertServed();
      assertFalse(others.reader.receives(x -> x.hasEvent() && x.getEvent().hasChatPosted()
          && x.getEvent().getChatPosted().getText().equals("not joined yet"), Duration.ofMillis(300)));
    }
  }

  @Test
  void postRightAfterJoinedIsAccepted() {
    // Regression: the connection registered the membership only after the Joined had gone out,
    // so a post sent as soon as the Joined arrived could get NOT_IN_ROOM.
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      for (int i = 0; i < 100; i++) {
        try (TestClient c = s.user("quick-" + (i % 2), "r1", i % 2 == 0 ? Role.STUDENT : Role.TEACHER,
            i % 3 == 0 ? WireFormat.JSON : WireFormat.PROTO)) {
          c.join("r1");
          c.post("r1", "first words " + i);
        }
      }
      others.assertServed();
    }
  }

  @Test
  void requestBeforeHelloIsNotAuthenticated() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      try (TestClient c = s.client()) {
        // Ping is the one request answered before hello.
        assertStillOpen(c);
        c.send(ClientMessage.newBuilder().setRequestId(3)
            .setJoin(Join.newBuilder().setRoomId("r1")).build());
        ErrorInfo e = assertRefused(c, ErrorCode.NOT_AUTHENTICATED, CloseCode.PROTOCOL_VIOLATION);
        assertFalse(e.getRetryable());
      }
      others.assertServed();
      // An empty message before hello is "a request other than Hello" too.
      try (TestClient c = s.client(WireFormat.JSON)) {
        c.sendText("{}");
        assertRefused(c, ErrorCode.NOT_AUTHENTICATED, CloseCode.PROTOCOL_VIOLATION);
      }
      others.assertServed();
    }
  }

  @Test
  void emptyMessageIsUnknownAndTheConnectionStaysOpen() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      for (WireFormat format : WireFormat.values()) {
        try (TestClient c = welcomed(s, format)) {
          ServerMessage m = c.request(ClientMessage.newBuilder());
          ErrorInfo e = TestClient.error(m);
          assertEquals(ErrorCode.UNKNOWN_MESSAGE, e.getCode());
          assertFalse(e.getRetryable());
          assertStillOpen(c);
        }
        others.assertServed();
      }
    }
  }

  @Test
  void secondHelloIsAlreadyAuthenticated() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1");
        TestClient c = s.user("ana", "r1", Role.STUDENT)) {
      c.join("r1");
      ServerMessage m = c.request(ClientMessage.newBuilder().setHello(
          Hello.newBuilder().setToken(s.token("bob", "Bob", "r1", Role.TEACHER))));
      ErrorInfo e = TestClient.error(m);
      assertEquals(ErrorCode.ALREADY_AUTHENTICATED, e.getCode());
      assertStillOpen(c);
      // Still the first user, still in the room.
      c.post("r1", "still ana");
      assertEquals("ana", others.reader.awaitEvent(ev -> ev.hasChatPosted()
          && ev.getChatPosted().getText().equals("still ana"), "ana's post").getActor().getUserId());
      others.assertServed();
    }
  }
}
