package io.ponte.server.it;

import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.ProtocolException;
import io.ponte.protocol.v1.ServerMessage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * A minimal WebSocket client on a plain socket, for what a library client does not let a test do:
 * never answering pings (it reads only when asked to). Binary frames, one frame per message.
 */
final class RawWebSocket implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Random random = new Random(42);
  /** The server's 101 response head. */
  private String responseHead = "";

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout((int) TestClient.TIMEOUT.toMillis());
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Upgrades with the subprotocol; fails unless the server answers 101. */
  static RawWebSocket open(int port, String subprotocol) throws IOException {
    return open(port, "/ws", "Sec-WebSocket-Protocol: " + subprotocol + "\r\n");
  }

  /** Upgrades {@code path} with extra header lines (each ending in CRLF); fails unless 101. */
  static RawWebSocket open(int port, String path, String headers) throws IOException {
    RawWebSocket ws = new RawWebSocket(new Socket("127.0.0.1", port));
    String key = Base64.getEncoder().encodeToString(new byte[16]);
    ws.out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
        + headers + "\r\n").getBytes(StandardCharsets.US_ASCII));
    ws.out.flush();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      head.write(ws.in.readUnsignedByte());
    }
    ws.responseHead = head.toString(StandardCharsets.US_ASCII);
    String status = ws.responseHead.split("\r\n", 2)[0];
    if (!status.startsWith("HTTP/1.1 101")) {
      ws.close();
      throw new AssertionError("upgrade refused: " + status);
    }
    return ws;
  }

  /** The value of a header of the 101 response (case-insensitive name), or null. */
  String responseHeader(String name) {
    for (String line : responseHead.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  void sendBinary(byte[] payload) throws IOException {
    sendFrame(0x2, true, false, payload);
  }

  /** One frame: opcode (0 continuation, 1 text, 2 binary), FIN, RSV1 (compressed), payload. */
  void sendFrame(int opcode, boolean fin, boolean rsv1, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
    f.write((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      f.write(0x80 | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length & 0xff);
    } else {
      f.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        f.write((int) (((long) payload.length >>> shift) & 0xff));
      }
    }
    byte[] mask = new byte[4];
    random.nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i & 3]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /** A frame as received: opcode, RSV1 (compressed), FIN, payload. */
  record Frame(int opcode, boolean rsv1, boolean fin, byte[] payload) { }

  /** Reads the next frame (pings included). */
  Frame readFrame() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = in.readLong();
    }
    byte[] payload = new byte[(int) len];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, (b0 & 0x40) != 0, (b0 & 0x80) != 0, payload);
  }

  /** Reads frames until the server's close frame, keeping the data frames; returns the close code. */
  int readRawUntilClose(List<Frame> frames) throws IOException {
    while (true) {
      Frame f = readFrame();
      if (f.opcode() == 0x8) {
        return f.payload().length >= 2 ? ((f.payload()[0] & 0xff) << 8) | (f.payload()[1] & 0xff) : -1;
      }
      if (f.opcode() <= 0x2) {
        frames.add(f);
      }
    }
  }

  /**
   * Reads frames until the server's close frame, collecting the binary messages (batches
   * flattened); returns the close code (-1 when the close frame has none).
   */
  int readUntilClose(List<ServerMessage> messages) throws IOException {
    while (true) {
      int b0 = in.readUnsignedByte();
      int b1 = in.readUnsignedByte();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = in.readUnsignedShort();
      } else if (len == 127) {
        len = in.readLong();
      }
      byte[] payload = new byte[(int) len];
      in.readFully(payload);
      int opcode = b0 & 0x0f;
      if (opcode == 0x8) {
        return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
      }
      if (opcode == 0x2) {
        try {
          ServerMessage m = FrameCodec.decodeServer(payload);
          if (m.hasBatch()) {
            messages.addAll(m.getBatch().getMessagesList());
          } else {
            messages.add(m);
          }
        } catch (ProtocolException e) {
          throw new AssertionError("undecodable server frame", e);
        }
      }
      // Pings (0x9) are read and deliberately not answered.
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
