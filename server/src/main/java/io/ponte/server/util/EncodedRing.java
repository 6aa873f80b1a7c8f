package io.ponte.server.util;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.util.NoSuchElementException;

/**
 * The newest {@code capacity} messages, each with a long key (a seq), kept encoded in a few
 * chunks of bytes ({@link ByteChunks}) that are reused as old entries leave.
 *
 * <p>Why not one array per entry: a room's recent events live for seconds — long enough to
 * survive several young collections, which copy them each time, and then to be promoted and die in
 * the old generation, which fills it up and ends in a full collection. Under load that copying was
 * most of every young pause, and so of the delivery latency's tail. Here, after the first chunks
 * are filled, adding an entry allocates nothing that outlives the call: its bytes are written into
 * the current chunk, and a chunk whose entries have all left is written over again.
 *
 * <p>Each chunk's entries are contiguous, which is how a chunk is known to be free: the oldest
 * entry left is in another one. Not thread-safe; entries are parsed into new objects, never
 * aliased, so reusing a chunk cannot change a message already read.
 */
public final class EncodedRing {
  private final int capacity;
  private long[] keys;
  private byte[][] arrays;
  private int[] offsets;
  private int[] lengths;
  private int head;
  private int size;

  private final ByteChunks chunks = new ByteChunks();

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

  /** The index of the entry with this key (keys ascending), or -1. */
  public int indexOf(long key) {
    int lo = 0;
    int hi = size - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long k = key(mid);
      if (k < key) {
        lo = mid + 1;
      } else if (k > key) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  /**
   * Writes the message over the i-th entry's bytes, zeroing what it leaves of them: the old
   * content is gone from memory, not just unreachable (a redaction). When the message is longer
   * than the entry, the entry is zeroed and left empty, and false is returned: the caller keeps the
   * message elsewhere.
   */
  public boolean overwrite(int i, MessageLite message) {
    int s = slot(i);
    int length = message.getSerializedSize();
    byte[] array = arrays[s];
    int offset = offsets[s];
    boolean fits = length <= lengths[s];
    if (fits) {
      com.google.protobuf.CodedOutputStream out =
          com.google.protobuf.CodedOutputStream.newInstance(array, offset, length);
      try {
        message.writeTo(out);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    java.util.Arrays.fill(array, offset + (fits ? length : 0), offset + lengths[s], (byte) 0);
    lengths[s] = fits ? length : 0;
    return fits;
  }

  /** Encodes the message as the newest entry; the oldest leaves when the ring is full. */
  public void add(long key, MessageLite message) {
    int length = message.getSerializedSize();
    byte[] target = chunks.write(message);
    int offset = chunks.offset();
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
    // A chunk's entries are contiguous: once the oldest entry left is elsewhere, it is free.
    if (size == 0 || arrays[head] != left) {
      chunks.recycle(left);
    }
  }

  public void clear() {
    while (size > 0) {
      removeOldest();
    }
    chunks.retire();
    head = 0;
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
