package io.ponte.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ServerMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes and decodes Ponte messages in both wire formats.
 *
 * <p>Decoding only turns bytes into messages; framing limits (frame size, frame type) are checked
 * by the transport before a frame gets here. Batches are composed from already-encoded messages,
 * so a message shared by many connections is encoded once per format.
 *
 * <p>Pitfall: proto3 JSON writes 64-bit integers (seq, request ids) as strings; JSON clients must
 * read them as such, and may send them either way.
 */
public final class FrameCodec {
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  /** ServerMessage.batch (field 19, length-delimited). */
  private static final int BATCH_TAG = (ServerMessage.BATCH_FIELD_NUMBER << 3) | 2;
  /** Batch.messages (field 1, length-delimited). */
  private static final int BATCH_ITEM_TAG = (1 << 3) | 2;

  private FrameCodec() {}

  public static ClientMessage decodeClient(byte[] frame) throws ProtocolException {
    try {
      return ClientMessage.parseFrom(frame);
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE, "malformed protobuf message", e);
    }
  }

  public static ClientMessage decodeClient(String frame) throws ProtocolException {
    ClientMessage.Builder b = ClientMessage.newBuilder();
    parseJson(frame, b);
    return b.build();
  }

  public static ServerMessage decodeServer(byte[] frame) throws ProtocolException {
    try {
      return ServerMessage.parseFrom(frame);
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE, "malformed protobuf message", e);
    }
  }

  public static ServerMessage decodeServer(String frame) throws ProtocolException {
    ServerMessage.Builder b = ServerMessage.newBuilder();
    parseJson(frame, b);
    return b.build();
  }

  public static byte[] encodeBinary(Message message) {
    return message.toByteArray();
  }

  public static String encodeJson(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      // Only happens for Any fields with unknown types, which the schema does not use.
      throw new IllegalStateException("cannot print message as JSON", e);
    }
  }

  /**
   * A binary ServerMessage holding a Batch of the given encoded ServerMessages, built by copying
   * bytes: the result decodes exactly as a ServerMessage whose batch lists those messages.
   */
  public static byte[] batchBinary(List<byte[]> encodedMessages) {
    int inner = 0;
    for (byte[] m : encodedMessages) {
      inner += CodedOutputStream.computeUInt32SizeNoTag(BATCH_ITEM_TAG)
          + CodedOutputStream.computeUInt32SizeNoTag(m.length) + m.length;
    }
    int total = CodedOutputStream.computeUInt32SizeNoTag(BATCH_TAG)
        + CodedOutputStream.computeUInt32SizeNoTag(inner) + inner;
    byte[] out = new byte[total];
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    try {
      cos.writeUInt32NoTag(BATCH_TAG);
      cos.writeUInt32NoTag(inner);
      for (byte[] m : encodedMessages) {
        cos.writeUInt32NoTag(BATCH_ITEM_TAG);
        cos.writeUInt32NoTag(m.length);
        cos.writeRawBytes(m);
      }
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("batch size miscomputed", e);
    }
    return out;
  }

  /** The JSON counterpart of {@link #batchBinary}: {"batch":{"messages":[m1,m2,…]}}. */
  public static String batchJson(List<String> encodedMessages) {
    int size = 32;
    for (String m : encodedMessages) {
      size += m.length() + 1;
    }
    StringBuilder sb = new StringBuilder(size);
    sb.append("{\"batch\":{\"messages\":[");
    for (int i = 0; i < encodedMessages.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(encodedMessages.get(i));
    }
    return sb.append("]}}").toString();
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void parseJson(String frame, Message.Builder into) throws ProtocolException {
    try {
      PARSER.merge(frame, into);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // JsonFormat throws runtime exceptions (e.g. from Gson) for some malformed inputs.
      throw new ProtocolException(ErrorCode.MALFORMED_MESSAGE, "malformed JSON message", e);
    }
  }
}
