package io.ponte.server.util;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.NoSuchElementException;

/**
 * The newest {@code capacity} messages, each with a long key (a seq), kept encoded in a few
 * chunks of bytes that are reused as old entries leave.
 *
 * <p>Why not one array per entry: a room's recent events live for seconds — long enough to
 * survive several young collections, which copy them each time, and then to be promoted and die in
 * the old generation, which fills it up and ends in a full collection. Under load that copying was
 * most of every young pause, and so of the delivery latency's tail. Here, after the first chunks
 * are filled, adding an entry allocates nothing that outlives the call: its bytes are written into
 * the current chunk, and a chunk whose entries have all left is written over again.
 *
 * <p>A message larger than a quarter of a chunk gets an array of its own (and the chunk being
 * filled is retired, so that each chunk's entries stay contiguous, which is how a chunk is known
 * to be free: the oldest entry left is in another one). Not thread-safe; entries are parsed into
 * new objects, never aliased, so reusing a chunk cannot change a message already read.
 */
public final class EncodedRing {
  static final int CHUNK_BYTES = 32 * 1024;
  /**
   * The first chunk's size; each next one is twice the last up to {@link #CHUNK_BYTES}, so that
   * the many rooms that only ever hold a few events do not each hold a whole chunk.
   */
  static final int FIRST_CHUNK_BYTES = 512;
  private static final int OWN_ARRAY_ABOVE = CHUNK_BYTES / 4;

  private final int capacity;
  private long[] keys;
  private byte[][] arrays;
  private int[] offsets;
  private int[] lengths;
  private int head;
  private int size;

  private byte[] chunk;
  private int chunkUsed;
  private int lastChunkSize;
  private byte[] spare;

  public EncodedRing(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity " + capacity);
    }
    this.capacity = capacity;
    int initial = Math.min(capacity, 16);
    keys = new long[initial];
    arrays = new byte[initial][];
    offsets = new int[initial];
    lengths = new int[initial];
  }

  public int size() {
    return size;
  }

  /** The most entries it keeps. */
  public int capacity() {
    return capacity;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** The key of the i-th entry, 0 being the oldest. */
  public long key(int i) {
    return keys[slot(i)];
  }

  /** The oldest key; the ring must not be empty. */
  public long firstKey() {
    return key(0);
  }

  /** The newest key; the ring must not be empty. */
  public long lastKey() {
    return key(size - 1);
  }

  /** Decodes the i-th entry, 0 being the oldest. */
  public <T> T parse(int i, Parser<T> parser) throws InvalidProtocolBufferException {
    int s = slot(i);
    return parser.parseFrom(arrays[s], offsets[s], lengths[s]);
  }

  /** Encodes the message as the newest entry; the oldest leaves when the ring is full. */
  public void add(long key, MessageLite message) {
    int length = message.getSerializedSize();
    byte[] target;
    int offset;
    if (length > OWN_ARRAY_ABOVE) {
      target = new byte[length];
      offset = 0;
      retireChunk();
    } else {
      if (chunk == null || chunkUsed + length > chunk.length) {
        retireChunk();
        chunk = spare != null ? spare : new byte[nextChunkSize(length)];
        spare = null;
      }
      target = chunk;
      offset = chunkUsed;
      chunkUsed += length;
    }
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(target, offset, length);
      message.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      // Writing into an array of exactly the serialized size cannot fail.
      throw new UncheckedIOException(e);
    }
    if (size == capacity) {
      removeOldest();
    }
    if (size == keys.length) {
      grow();
    }
    int s = (head + size) % keys.length;
    keys[s] = key;
    arrays[s] = target;
    offsets[s] = offset;
    lengths[s] = length;
    size++;
  }

  /** Removes the oldest entry. */
  public void removeOldest() {
    if (size == 0) {
      throw new NoSuchElementException("empty");
    }
    byte[] left = arrays[head];
    arrays[head] = null;
    head = (head + 1) % keys.length;
    size--;
    boolean stillUsed = left == chunk || (size > 0 && arrays[head] == left);
    // Only full-size chunks come back: the smaller first ones are for rooms that stay small.
    if (!stillUsed && left.length == CHUNK_BYTES) {
      spare = left;
    }
  }

  public void clear() {
    while (size > 0) {
      removeOldest();
    }
    chunk = null;
    chunkUsed = 0;
    head = 0;
  }

  private int nextChunkSize(int atLeast) {
    int size = lastChunkSize == 0 ? FIRST_CHUNK_BYTES : Math.min(CHUNK_BYTES, lastChunkSize * 2);
    while (size < atLeast) {
      size *= 2;
    }
    lastChunkSize = size;
    return size;
  }

  private void retireChunk() {
    chunk = null;
    chunkUsed = 0;
  }

  private int slot(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("entry " + i + " of " + size);
    }
    return (head + i) % keys.length;
  }

  private void grow() {
    int grown = Math.min(capacity, keys.length * 2);
    long[] k = new long[grown];
    byte[][] a = new byte[grown][];
    int[] o = new int[grown];
    int[] l = new int[grown];
    for (int i = 0; i < size; i++) {
      int s = (head + i) % keys.length;
      k[i] = keys[s];
      a[i] = arrays[s];
      o[i] = offsets[s];
      l[i] = lengths[s];
    }
    keys = k;
    arrays = a;
    offsets = o;
    lengths = l;
    head = 0;
  }
}
