package io.ponte.server.chat;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.server.util.ByteChunks;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Predicate;

/**
 * A room's chat messages by seq, each kept as its encoded bytes in seq order, the bytes written
 * into shared chunks.
 *
 * <p>A room holds its whole chat for history and snapshots. As objects that is a dozen per
 * message (the message, its author, strings, map entries), and every young collection copies all
 * messages posted since the last one while they survive: under load that copying was most of each
 * collection's pause, and so of the delivery latency's tail. Even one array per message is an
 * object to copy per message; here a chunk holds hundreds, and the index is a few primitive
 * arrays. Messages are decoded when read (edits, history pages, join snapshots), which is rare next
 * to posting; a room snapshot streams the encoded bytes without decoding them.
 *
 * <p>Chunks are append-only: bytes once written never change (an edit writes the new version
 * further on and the old bytes become dead), so a {@link Frozen} view can read them from another
 * thread while the room goes on. When dead bytes outweigh live ones the live ones are copied into
 * new chunks. Not thread-safe, like the {@link ChatState} that owns it.
 */
final class ChatLog {
  private static final long COMPACT_ABOVE_DEAD_BYTES = 1 << 20;

  private long[] seqs = new long[16];
  private byte[][] arrays = new byte[16][];
  private int[] offsets = new int[16];
  private int[] lengths = new int[16];
  private int size;

  private ByteChunks chunks = new ByteChunks();
  private long liveBytes;
  private long deadBytes;

  int size() {
    return size;
  }

  /** Adds a message, or replaces the one with its seq. */
  void put(ChatMessage m) {
    long seq = m.getSeq();
    if (size == 0 || seqs[size - 1] < seq) {
      if (size == seqs.length) {
        grow();
      }
      seqs[size] = seq;
      write(size, m);
      size++;
      return;
    }
    int i = Arrays.binarySearch(seqs, 0, size, seq);
    if (i >= 0) {
      deadBytes += lengths[i];
      liveBytes -= lengths[i];
      write(i, m);
      if (deadBytes > COMPACT_ABOVE_DEAD_BYTES && deadBytes > liveBytes) {
        compact();
      }
      return;
    }
    // Not in seq order: never happens when applying (seqs only grow), possible only for a
    // hand-made record. Insert to keep the order.
    int at = -i - 1;
    if (size == seqs.length) {
      grow();
    }
    System.arraycopy(seqs, at, seqs, at + 1, size - at);
    System.arraycopy(arrays, at, arrays, at + 1, size - at);
    System.arraycopy(offsets, at, offsets, at + 1, size - at);
    System.arraycopy(lengths, at, lengths, at + 1, size - at);
    seqs[at] = seq;
    size++;
    write(at, m);
  }

  /** Bytes of the current version of every message. */
  long liveBytes() {
    return liveBytes;
  }

  /** Bytes of replaced versions not yet compacted away. */
  long deadBytes() {
    return deadBytes;
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
   * The messages as they are now, for reading elsewhere (off the room's thread): later puts do
   * not change it. Costs a copy of the index (four primitive or reference arrays); the bytes are
   * shared, as chunks are never written over.
   */
  Frozen frozen() {
    return new Frozen(Arrays.copyOf(seqs, size), Arrays.copyOf(arrays, size),
        Arrays.copyOf(offsets, size), Arrays.copyOf(lengths, size));
  }

  /** An immutable view of the log at one moment; safe to use from any thread. */
  static final class Frozen {
    private final long[] seqs;
    private final byte[][] arrays;
    private final int[] offsets;
    private final int[] lengths;

    private Frozen(long[] seqs, byte[][] arrays, int[] offsets, int[] lengths) {
      this.seqs = seqs;
      this.arrays = arrays;
      this.offsets = offsets;
      this.lengths = lengths;
    }

    /** Every message, oldest first. */
    List<ChatMessage> decodeAll() {
      ArrayList<ChatMessage> out = new ArrayList<>(seqs.length);
      for (int i = 0; i < seqs.length; i++) {
        out.add(ChatLog.decode(seqs[i], arrays[i], offsets[i], lengths[i]));
      }
      return out;
    }

    /** The bytes {@link #writeTo} writes. */
    int serializedSize(int fieldNumber) {
      int total = 0;
      for (int length : lengths) {
        total += CodedOutputStream.computeTagSize(fieldNumber)
            + CodedOutputStream.computeUInt32SizeNoTag(length) + length;
      }
      return total;
    }

    /**
     * Writes every message, oldest first, as the repeated message field {@code fieldNumber} of
     * an enclosing message: what encoding them one by one would give, without decoding them.
     */
    void writeTo(CodedOutputStream out, int fieldNumber) throws IOException {
      for (int i = 0; i < seqs.length; i++) {
        out.writeTag(fieldNumber, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(lengths[i]);
        out.writeRawBytes(arrays[i], offsets[i], lengths[i]);
      }
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
    return decode(seqs[i], arrays[i], offsets[i], lengths[i]);
  }

  private static ChatMessage decode(long seq, byte[] array, int offset, int length) {
    try {
      return ChatMessage.parser().parseFrom(array, offset, length);
    } catch (InvalidProtocolBufferException e) {
      // Encoded by this class from a valid message: cannot happen.
      throw new IllegalStateException("chat message " + seq + " cannot be decoded", e);
    }
  }

  /** Encodes the message into a chunk (or an array of its own) as entry i. */
  private void write(int i, ChatMessage m) {
    arrays[i] = chunks.write(m);
    offsets[i] = chunks.offset();
    lengths[i] = m.getSerializedSize();
    liveBytes += lengths[i];
  }

  /** Copies the live messages into new chunks; frozen views keep the old ones. */
  private void compact() {
    chunks = new ByteChunks();
    for (int i = 0; i < size; i++) {
      arrays[i] = chunks.copy(arrays[i], offsets[i], lengths[i]);
      offsets[i] = chunks.offset();
    }
    deadBytes = 0;
  }

  private void grow() {
    int grown = size + (size >> 1) + 16;
    seqs = Arrays.copyOf(seqs, grown);
    arrays = Arrays.copyOf(arrays, grown);
    offsets = Arrays.copyOf(offsets, grown);
    lengths = Arrays.copyOf(lengths, grown);
  }
}
