package io.ponte.server.room;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.ChatMessage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Predicate;

/**
 * A room's chat messages by seq, each kept as its encoded bytes in seq order.
 *
 * <p>A room holds its whole chat for history and snapshots. As objects that is a dozen per
 * message (the message, its author, strings, map entries), and every young collection copies all
 * messages posted since the last one while they survive: under load that copying was most of each
 * collection's pause, and so of the delivery latency's tail. One array per message is copied fast
 * and scanned not at all. Messages are decoded when read (edits, history pages, snapshots), which
 * is rare next to posting.
 *
 * <p>Not thread-safe, like the {@link RoomState} that owns it.
 */
final class ChatLog {
  private long[] seqs = new long[16];
  private byte[][] encoded = new byte[16][];
  private int size;

  int size() {
    return size;
  }

  /** Adds a message, or replaces the one with its seq. */
  void put(ChatMessage m) {
    long seq = m.getSeq();
    byte[] bytes = m.toByteArray();
    if (size == 0 || seqs[size - 1] < seq) {
      if (size == seqs.length) {
        int grown = size + (size >> 1) + 16;
        seqs = Arrays.copyOf(seqs, grown);
        encoded = Arrays.copyOf(encoded, grown);
      }
      seqs[size] = seq;
      encoded[size] = bytes;
      size++;
      return;
    }
    int i = Arrays.binarySearch(seqs, 0, size, seq);
    if (i >= 0) {
      encoded[i] = bytes;
      return;
    }
    // Not in seq order: never happens when applying (seqs only grow), possible only for a
    // hand-made record. Insert to keep the order.
    int at = -i - 1;
    if (size == seqs.length) {
      seqs = Arrays.copyOf(seqs, size + (size >> 1) + 16);
      encoded = Arrays.copyOf(encoded, seqs.length);
    }
    System.arraycopy(seqs, at, seqs, at + 1, size - at);
    System.arraycopy(encoded, at, encoded, at + 1, size - at);
    seqs[at] = seq;
    encoded[at] = bytes;
    size++;
  }

  /** The message with this seq, or null. */
  ChatMessage get(long seq) {
    int i = Arrays.binarySearch(seqs, 0, size, seq);
    return i < 0 ? null : decode(i);
  }

  /** Every message, oldest first. */
  List<ChatMessage> all() {
    return frozen().decodeAll();
  }

  /**
   * The messages as they are now, for decoding elsewhere (off the room's thread): later puts do
   * not change it. Costs a copy of two arrays of references; the encoded messages are never
   * modified in place (a put replaces the array), so they are shared.
   */
  Frozen frozen() {
    return new Frozen(Arrays.copyOf(seqs, size), Arrays.copyOf(encoded, size));
  }

  /** An immutable view of the log at one moment; safe to use from any thread. */
  static final class Frozen {
    private final long[] seqs;
    private final byte[][] encoded;

    private Frozen(long[] seqs, byte[][] encoded) {
      this.seqs = seqs;
      this.encoded = encoded;
    }

    /** Every message, oldest first. */
    List<ChatMessage> decodeAll() {
      ArrayList<ChatMessage> out = new ArrayList<>(encoded.length);
      for (int i = 0; i < encoded.length; i++) {
        out.add(ChatLog.decode(seqs[i], encoded[i]));
      }
      return out;
    }
  }

  /**
   * Up to {@code limit} messages that pass the filter, with seq below {@code beforeSeq} (0: from
   * the newest), newest first; {@code more} tells whether another one passing it is older.
   */
  Page newestFirst(long beforeSeq, int limit, Predicate<ChatMessage> filter) {
    int end = size;
    if (beforeSeq != 0) {
      int i = Arrays.binarySearch(seqs, 0, size, beforeSeq);
      end = i >= 0 ? i : -i - 1;
    }
    ArrayList<ChatMessage> page = new ArrayList<>(Math.min(limit, 64));
    for (int i = end - 1; i >= 0; i--) {
      ChatMessage m = decode(i);
      if (!filter.test(m)) {
        continue;
      }
      if (page.size() == limit) {
        return new Page(page, true);
      }
      page.add(m);
    }
    return new Page(page, false);
  }

  record Page(List<ChatMessage> newestFirst, boolean more) { }

  private ChatMessage decode(int i) {
    if (i < 0 || i >= size) {
      throw new NoSuchElementException("index " + i);
    }
    return decode(seqs[i], encoded[i]);
  }

  private static ChatMessage decode(long seq, byte[] bytes) {
    try {
      return ChatMessage.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      // Encoded by this class from a valid message: cannot happen.
      throw new IllegalStateException("chat message " + seq + " cannot be decoded", e);
    }
  }
}
