package io.ponte.server.util;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Space for many small encoded messages in a few arrays ("chunks"), filled one after the other,
 * so that holding a message costs no object of its own (see {@link EncodedRing} for why that
 * matters). The caller keeps where each message went: the array returned and {@link #offset()}.
 *
 * <p>The first chunk is small and each next one twice the last, up to {@link #MAX_CHUNK_BYTES}:
 * most rooms hold a few messages and should not each hold a whole chunk. A message above a
 * quarter of that gets an array of its own, and the chunk being filled is then retired, so that
 * the messages of one chunk are always written one after the other (a ring relies on that to
 * know when a chunk is free). Bytes once written are never changed by this class. Not
 * thread-safe.
 */
public final class ByteChunks {
  public static final int MAX_CHUNK_BYTES = 32 * 1024;
  static final int FIRST_CHUNK_BYTES = 512;
  private static final int OWN_ARRAY_ABOVE = MAX_CHUNK_BYTES / 4;

  private byte[] chunk;
  private int used;
  private int lastSize;
  private int offset;
  private byte[] spare;

  /** Encodes the message into the current chunk (or an array of its own); returns the array. */
  public byte[] write(MessageLite message) {
    int length = message.getSerializedSize();
    byte[] target = reserve(length);
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(target, offset, length);
      message.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      // Writing into exactly the serialized size cannot fail.
      throw new UncheckedIOException(e);
    }
    return target;
  }

  /** Copies the bytes into the current chunk (or an array of their own); returns the array. */
  public byte[] copy(byte[] source, int from, int length) {
    byte[] target = reserve(length);
    System.arraycopy(source, from, target, offset, length);
    return target;
  }

  /** Where in its array the last message written or copied starts. */
  public int offset() {
    return offset;
  }

  /** The next message goes into a new chunk. */
  public void retire() {
    chunk = null;
    used = 0;
  }

  /**
   * Hands back an array that holds nothing live any more, to be written over: kept when it is a
   * full-size chunk (one at most), dropped otherwise.
   */
  public void recycle(byte[] array) {
    if (array != chunk && array.length == MAX_CHUNK_BYTES) {
      spare = array;
    }
  }

  private byte[] reserve(int length) {
    if (length > OWN_ARRAY_ABOVE) {
      retire();
      offset = 0;
      return new byte[length];
    }
    if (chunk == null || used + length > chunk.length) {
      chunk = spare != null ? spare : new byte[nextSize(length)];
      spare = null;
      used = 0;
    }
    offset = used;
    used += length;
    return chunk;
  }

  private int nextSize(int atLeast) {
    int size = lastSize == 0 ? FIRST_CHUNK_BYTES : Math.min(MAX_CHUNK_BYTES, lastSize * 2);
    while (size < atLeast) {
      size *= 2;
    }
    lastSize = size;
    return size;
  }
}
