package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * permessage-deflate on the WebSocket endpoints, with a raw client that offers it the way a
 * browser does: declined when ws-compression is off; with it on, no context takeover either way,
 * small messages uncompressed, large ones compressed, and a compressed bomb refused with 4003.
 */
@Timeout(120)
class CompressionIT {
  private static final String BROWSER_OFFER =
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-webkit-deflate-frame\r\n";

  @TempDir
  Path dir;

  /** One message deflated as permessage-deflate wants it: raw deflate, sync flush, tail removed. */
  static byte[] deflate(byte[] message, int level) {
    Deflater deflater = new Deflater(level, true);
    try {
      deflater.setInput(message);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[65_536];
      int n;
      do {
        n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
        out.write(buf, 0, n);
      } while (n == buf.length || !deflater.needsInput());
      byte[] all = out.toByteArray();
      return java.util.Arrays.copyOf(all, all.length - 4); // 00 00 ff ff
    } finally {
      deflater.end();
    }
  }

  /** Inflates one message with a fresh Inflater: fails if the sender kept a window. */
  static byte[] inflate(byte[] payload) throws Exception {
    Inflater inflater = new Inflater(true);
    try {
      byte[] in = java.util.Arrays.copyOf(payload, payload.length + 4);
      in[payload.length + 2] = (byte) 0xff;
      in[payload.length + 3] = (byte) 0xff;
      inflater.setInput(in);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[65_536];
      while (!inflater.needsInput()) {
        int n = inflater.inflate(buf);
        out.write(buf, 0, n);
        if (n == 0 && inflater.needsDictionary()) {
          throw new AssertionError("needs a dictionary: the server kept a window");
        }
      }
      return out.toByteArray();
    } finally {
      inflater.end();
    }
  }

  /** A client on a raw socket speaking one Ponte format, compressing what it sends when asked. */
  private static final class Client {
    final RawWebSocket ws;
    final WireFormat format;
    final boolean compress;
    int compressedIn;
    int plainIn;

    Client(RawWebSocket ws, WireFormat format, boolean compress) {
      this.ws = ws;
      this.format = format;
      this.compress = compress;
    }

    void send(ClientMessage m) throws Exception {
      byte[] bytes = format == WireFormat.PROTO ? FrameCodec.encodeBinary(m)
          : FrameCodec.encodeJson(m).getBytes(StandardCharsets.UTF_8);
      int opcode = format == WireFormat.PROTO ? 0x2 : 0x1;
      if (compress) {
        ws.sendFrame(opcode, true, true, deflate(bytes, 6));
      } else {
        ws.sendFrame(opcode, true, false, bytes);
      }
    }

    /** The next message matching; checks every frame against the threshold on the way. */
    ServerMessage await(Predicate<ServerMessage> match, int threshold) throws Exception {
      while (true) {
        RawWebSocket.Frame f = ws.readFrame();
        if (f.opcode() == 0x8) {
          throw new AssertionError("closed while waiting");
        }
        if (f.opcode() != 0x1 && f.opcode() != 0x2) {
          continue;
        }
        byte[] payload = f.rsv1() ? inflate(f.payload()) : f.payload();
        if (f.rsv1()) {
          compressedIn++;
          assertTrue(payload.length >= threshold, "a message under the threshold was compressed: " + payload.length);
        } else {
          plainIn++;
          assertTrue(threshold < 0 || payload.length < threshold,
              "a message over the threshold was not compressed: " + payload.length);
        }
        ServerMessage m = format == WireFormat.PROTO ? FrameCodec.decodeServer(payload)
            : FrameCodec.decodeServer(new String(payload, StandardCharsets.UTF_8));
        List<ServerMessage> all = m.hasBatch() ? m.getBatch().getMessagesList() : List.of(m);
        for (ServerMessage each : all) {
          if (match.test(each)) {
            return each;
          }
        }
      }
    }
  }

  private static String headers(WireFormat format) {
    return "Sec-WebSocket-Protocol: " + format.subprotocol() + "\r\n" + BROWSER_OFFER;
  }

  @Test
  void withCompressionOffTheOfferIsDeclinedAndChatWorks() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      for (WireFormat format : WireFormat.values()) {
        try (RawWebSocket ws = RawWebSocket.open(s.port(), "/ws", headers(format))) {
          assertNull(ws.responseHeader("Sec-WebSocket-Extensions"), "no extension in the 101");
          Client c = new Client(ws, format, false);
          chat(s, c, "off-" + format, -1);
        }
      }
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "/hocuspocus", BROWSER_OFFER)) {
        assertNull(ws.responseHeader("Sec-WebSocket-Extensions"), "none on /hocuspocus either");
      }
    }
  }

  /** Hello, join and two identical long posts (a kept window would make the second refer to the first). */
  private static void chat(TestServer s, Client c, String user, int threshold) throws Exception {
    c.send(ClientMessage.newBuilder().setRequestId(1)
        .setHello(Hello.newBuilder().setToken(s.token(user, "User " + user, "r1", Role.STUDENT))).build());
    assertTrue(c.await(m -> m.getRequestId() == 1, threshold).hasWelcome());
    c.send(ClientMessage.newBuilder().setRequestId(2).setJoin(Join.newBuilder().setRoomId("r1")).build());
    assertTrue(c.await(m -> m.getRequestId() == 2, threshold).hasJoined());
    String base = ("Hallo! Cześć! " + user + " ").repeat(120);
    for (int i = 3; i <= 4; i++) {
      String text = base + i;
      c.send(ClientMessage.newBuilder().setRequestId(i).setChatPost(ChatPost.newBuilder()
          .setRoomId("r1").setText(text).setClientMsgId(user + "-" + i)).build());
      ServerMessage posted = c.await(m -> m.hasEvent() && m.getEvent().hasChatPosted()
          && m.getEvent().getChatPosted().getText().equals(text), threshold);
      assertEquals(text, posted.getEvent().getChatPosted().getText());
    }
  }

  @Test
  void withCompressionOnBothSidesKeepNoContextAndOnlyLargeMessagesAreCompressed() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.set("ws-compression", "on"));
        Bystanders others = new Bystanders(s, "b1")) {
      s.createRoom("r1");
      int threshold = s.server().config().wsCompressionThresholdBytes();
      for (WireFormat format : WireFormat.values()) {
        try (RawWebSocket ws = RawWebSocket.open(s.port(), "/ws", headers(format))) {
          String ext = ws.responseHeader("Sec-WebSocket-Extensions");
          assertTrue(ext != null && ext.startsWith("permessage-deflate"), "negotiated: " + ext);
          assertTrue(ext.contains("server_no_context_takeover"), ext);
          assertTrue(ext.contains("client_no_context_takeover"), ext);
          assertFalse(ext.contains("x-webkit-deflate-frame"), ext);
          Client c = new Client(ws, format, true);
          chat(s, c, "on-" + format, threshold);
          assertTrue(c.compressedIn >= 2, "large messages came compressed (" + format + ")");
          // (Welcome always travels alone; later small replies may share a batch with events.)
          assertTrue(c.plainIn >= 1, "small messages came plain (" + format + ")");
        }
      }
      others.assertServed();
    }
  }

  @Test
  void stockYjsProvidersWorkWithCompressionOn() {
    // Node's ws (under y-websocket and @hocuspocus/provider) offers permessage-deflate.
    try (TestServer s = new TestServer(dir, b -> b.set("ws-compression", "on").set("ws-compression-threshold-bytes", "64"))) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      JsonObject r = NodeClients.scenario("converge", YWebsocketIT.params(s, "r1", "report"));
      assertEquals(r.getString("a"), r.getString("b"));
      assertEquals(r.getString("a"), r.getString("late"));
      assertTrue(r.getString("late").contains("b😀19 "), r.getString("late"));
      JsonObject h = HocuspocusIT.hp("offline", HocuspocusIT.params(s, "r1", "report"));
      assertEquals(h.getString("h"), h.getString("w"));
      assertEquals(h.getString("h"), h.getString("late"));
    }
  }

  @Test
  void aCompressedBombIsRefusedBeforeHelloWithoutInflatingIt() throws Exception {
    try (TestServer s = new TestServer(dir, b -> b.set("ws-compression", "on"));
        Bystanders others = new Bystanders(s, "b1")) {
      long heapBefore = SocketLimitsIT.heapUsed(s);
      byte[] bomb = deflate(new byte[64 << 20], 9); // 64 MiB of zeros in one small frame
      assertTrue(bomb.length < 128 * 1024, "the bomb is small on the wire: " + bomb.length);
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "/ws", headers(WireFormat.PROTO))) {
        ws.sendFrame(0x2, true, true, bomb);
        List<RawWebSocket.Frame> frames = new ArrayList<>();
        assertEquals(CloseCode.FRAME_TOO_LARGE.code(), ws.readRawUntilClose(frames));
        List<ServerMessage> messages = SocketLimitsIT.decode(frames);
        assertTrue(SocketLimitsIT.hasError(messages, ErrorCode.FRAME_TOO_LARGE), () -> "messages: " + messages);
      }
      try (RawWebSocket ws = RawWebSocket.open(s.port(), "/hocuspocus", BROWSER_OFFER)) {
        ws.sendFrame(0x2, true, true, bomb);
        assertEquals(CloseCode.FRAME_TOO_LARGE.code(), ws.readRawUntilClose(new ArrayList<>()));
      }
      others.assertServed();
      assertTrue(SocketLimitsIT.heapUsed(s) - heapBefore < 200L << 20, "heap stayed bounded");
    }
  }
}
