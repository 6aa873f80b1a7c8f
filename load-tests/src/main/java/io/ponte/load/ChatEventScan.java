package io.ponte.load;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.ServerMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a live chat event — room, seq and the sender's timestamp in the text — out of a binary
 * frame without building its objects.
 *
 * <p>Why: the generator receives every delivery of a run (hundreds of thousands a second), and
 * decoding each into a dozen protobuf objects made it collect garbage several times a second;
 * each of its pauses was added to the latency it measured, as if the server had been slow. Chat
 * events are nearly all it receives; everything else (and anything this cannot read) is still
 * decoded in full by the caller. Not thread-safe: one per participant.
 */
final class ChatEventScan {
  private static final int BATCH_MESSAGES = 1;
  /** Not a timestamp: {@code System.nanoTime()} may be negative, but never this. */
  private static final long UNREADABLE = Long.MIN_VALUE;

  /** What one live chat event carries that the generator looks at. */
  interface Sink {
    void chatPosted(String roomId, long seq, long sentNanos);

    /** Anything that is not a chat event: the message's bytes, to decode in full. */
    void other(byte[] frame, int offset, int length);
  }

  private byte[] lastRoomBytes = new byte[0];
  private String lastRoom = "";

  /** Hands each message of the frame (a batch's messages one by one) to the sink, in order. */
  void read(byte[] frame, Sink sink) {
    if (!readBatch(frame, sink)) {
      readMessage(frame, 0, frame.length, sink);
    }
  }

  /** A frame that is exactly one batch: its messages in order; false when it is not one. */
  private boolean readBatch(byte[] frame, Sink sink) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(frame);
      int tag = in.readTag();
      if (WireFormat.getTagFieldNumber(tag) != ServerMessage.BATCH_FIELD_NUMBER
          || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        return false;
      }
      int length = in.readRawVarint32();
      int start = in.getTotalBytesRead();
      if (start + length != frame.length) {
        return false;
      }
      // Check the whole batch before handing out anything, so that a frame that is not one
      // clean batch is decoded in full, once.
      int[] bounds = new int[16];
      int count = 0;
      while (!in.isAtEnd()) {
        int item = in.readTag();
        if (WireFormat.getTagFieldNumber(item) != BATCH_MESSAGES
            || WireFormat.getTagWireType(item) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          return false;
        }
        int itemLength = in.readRawVarint32();
        int itemStart = in.getTotalBytesRead();
        in.skipRawBytes(itemLength);
        if (count * 2 + 2 > bounds.length) {
          bounds = Arrays.copyOf(bounds, bounds.length * 2);
        }
        bounds[count * 2] = itemStart;
        bounds[count * 2 + 1] = itemLength;
        count++;
      }
      for (int i = 0; i < count; i++) {
        readMessage(frame, bounds[i * 2], bounds[i * 2 + 1], sink);
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void readMessage(byte[] frame, int offset, int length, Sink sink) {
    if (!readChatEvent(frame, offset, length, sink)) {
      sink.other(frame, offset, length);
    }
  }

  /** A ServerMessage holding only a chat_posted event; false (nothing handed out) otherwise. */
  private boolean readChatEvent(byte[] frame, int offset, int length, Sink sink) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(frame, offset, length);
      int tag = in.readTag();
      if (WireFormat.getTagFieldNumber(tag) != ServerMessage.EVENT_FIELD_NUMBER
          || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        return false;
      }
      int eventLength = in.readRawVarint32();
      int eventStart = offset + in.getTotalBytesRead();
      if (eventStart + eventLength != offset + length) {
        return false;
      }
      CodedInputStream event = CodedInputStream.newInstance(frame, eventStart, eventLength);
      String room = null;
      long seq = 0;
      long sent = UNREADABLE;
      while (!event.isAtEnd()) {
        int field = event.readTag();
        switch (WireFormat.getTagFieldNumber(field)) {
          case Event.ROOM_ID_FIELD_NUMBER -> {
            int n = event.readRawVarint32();
            room = room(frame, eventStart + event.getTotalBytesRead(), n);
            event.skipRawBytes(n);
          }
          case Event.SEQ_FIELD_NUMBER -> seq = event.readUInt64();
          case Event.CHAT_POSTED_FIELD_NUMBER -> {
            int n = event.readRawVarint32();
            sent = sentNanos(frame, eventStart + event.getTotalBytesRead(), n);
            event.skipRawBytes(n);
          }
          case Event.SERVER_TIME_MS_FIELD_NUMBER, Event.ACTOR_FIELD_NUMBER -> {
            if (!event.skipField(field)) {
              return false;
            }
          }
          default -> {
            return false;
          }
        }
      }
      if (room == null || seq == 0 || sent == UNREADABLE) {
        return false;
      }
      sink.chatPosted(room, seq, sent);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private String room(byte[] frame, int offset, int length) {
    if (!Arrays.equals(lastRoomBytes, 0, lastRoomBytes.length, frame, offset, offset + length)) {
      lastRoomBytes = Arrays.copyOfRange(frame, offset, offset + length);
      lastRoom = new String(lastRoomBytes, StandardCharsets.UTF_8);
    }
    return lastRoom;
  }

  /**
   * The timestamp at the start of a ChatMessage's text ({@link Participant#sentNanos}), 0 when it
   * has none, or {@link #UNREADABLE} when the message cannot be read here.
   */
  private static long sentNanos(byte[] frame, int offset, int length) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(frame, offset, length);
    while (!in.isAtEnd()) {
      int field = in.readTag();
      if (WireFormat.getTagFieldNumber(field) == ChatMessage.TEXT_FIELD_NUMBER
          && WireFormat.getTagWireType(field) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        int n = in.readRawVarint32();
        return timestamp(frame, offset + in.getTotalBytesRead(), n);
      }
      if (!in.skipField(field)) {
        return UNREADABLE;
      }
    }
    return 0;
  }

  /** As {@link Participant#sentNanos(String)}, on the text's UTF-8 bytes. */
  private static long timestamp(byte[] text, int offset, int length) {
    int end = offset + length;
    if (length < 2 || text[offset] != 't') {
      return 0;
    }
    int i = offset + 1;
    boolean negative = text[i] == '-';
    if (negative) {
      i++;
    }
    int start = i;
    long v = 0;
    for (; i < end && text[i] >= '0' && text[i] <= '9'; i++) {
      v = v * 10 + (text[i] - '0');
    }
    if (i == start || (i < end && text[i] != ' ')) {
      return 0;
    }
    return negative ? -v : v;
  }
}
