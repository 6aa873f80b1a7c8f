package io.ponte.yjs;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the lib0 binary encoding (the primitives of Yjs updates). Every read is bounded by the
 * remaining input: a truncated or otherwise malformed input throws {@link YUpdateException}; no
 * length read from the input is used to allocate more than the input still holds.
 */
public final class Lib0Decoder {
  /** The largest integer lib0 accepts (JavaScript's Number.MAX_SAFE_INTEGER). */
  public static final long MAX_SAFE_INTEGER = (1L << 53) - 1;
  /** Nesting limit for {@code any} arrays/objects (lib0 itself is limited by the JS stack). */
  public static final int MAX_ANY_DEPTH = 256;

  private final byte[] buf;
  private int pos;
  private final int end;

  public Lib0Decoder(byte[] buf) {
    this(buf, 0, buf.length);
  }

  public Lib0Decoder(byte[] buf, int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > buf.length) {
      throw new IllegalArgumentException("bad range");
    }
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
  }

  public int pos() {
    return pos;
  }

  public int remaining() {
    return end - pos;
  }

  public boolean hasContent() {
    return pos < end;
  }

  private void need(long n, String what) {
    if (n < 0 || n > end - pos) {
      throw new YUpdateException("unexpected end of input while reading " + what
          + " (need " + n + " bytes, " + (end - pos) + " left at offset " + pos + ")");
    }
  }

  public int readUint8() {
    need(1, "uint8");
    return buf[pos++] & 0xff;
  }

  /** Reads an unsigned variable-length integer (7 bits per byte, little endian, up to 2^53-1). */
  public long readVarUint() {
    long num = 0;
    int shift = 0;
    while (true) {
      if (pos >= end) {
        throw new YUpdateException("unexpected end of input while reading a var-uint at offset " + pos);
      }
      int r = buf[pos++] & 0xff;
      if (shift < 56) {
        num |= ((long) (r & 0x7f)) << shift;
      } else if ((r & 0x7f) != 0) {
        throw new YUpdateException("var-uint out of range at offset " + pos);
      }
      if (num > MAX_SAFE_INTEGER) {
        throw new YUpdateException("var-uint out of range at offset " + pos);
      }
      if (r < 0x80) {
        return num;
      }
      shift += 7;
      if (shift > 70) {
        throw new YUpdateException("var-uint too long at offset " + pos);
      }
    }
  }

  /** Reads a var-uint that must fit an int (a length or count). */
  public int readVarUintAsInt(String what) {
    long v = readVarUint();
    if (v > Integer.MAX_VALUE) {
      throw new YUpdateException(what + " too large: " + v);
    }
    return (int) v;
  }

  /**
   * Reads a signed variable-length integer (first byte: continuation bit, sign bit, 6 value bits).
   * Negative zero is returned as 0.
   */
  public long readVarInt() {
    int r = readUint8();
    long num = r & 0x3f;
    boolean negative = (r & 0x40) != 0;
    int shift = 6;
    while ((r & 0x80) != 0) {
      if (pos >= end) {
        throw new YUpdateException("unexpected end of input while reading a var-int at offset " + pos);
      }
      r = buf[pos++] & 0xff;
      if (shift < 56) {
        num |= ((long) (r & 0x7f)) << shift;
      } else if ((r & 0x7f) != 0) {
        throw new YUpdateException("var-int out of range at offset " + pos);
      }
      if (num > MAX_SAFE_INTEGER) {
        throw new YUpdateException("var-int out of range at offset " + pos);
      }
      shift += 7;
      if (shift > 76) {
        throw new YUpdateException("var-int too long at offset " + pos);
      }
    }
    return negative ? -num : num;
  }

  /** Reads {@code len} raw bytes (copied). */
  public byte[] readBytes(long len) {
    need(len, "bytes");
    byte[] out = Arrays.copyOfRange(buf, pos, pos + (int) len);
    pos += (int) len;
    return out;
  }

  public void skip(long len) {
    need(len, "bytes");
    pos += (int) len;
  }

  /** Reads a var-uint length followed by that many bytes. */
  public byte[] readVarUint8Array() {
    long len = readVarUint();
    return readBytes(len);
  }

  /** Reads a var-uint length followed by that many bytes of strict UTF-8. */
  public String readVarString() {
    long len = readVarUint();
    need(len, "string");
    String s = decodeUtf8(buf, pos, (int) len);
    pos += (int) len;
    return s;
  }

  /** Reads a var-string and returns its raw (validated UTF-8) bytes. */
  public byte[] readVarStringBytes() {
    long len = readVarUint();
    need(len, "string");
    decodeUtf8(buf, pos, (int) len);
    byte[] out = Arrays.copyOfRange(buf, pos, pos + (int) len);
    pos += (int) len;
    return out;
  }

  static String decodeUtf8(byte[] b, int off, int len) {
    CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return dec.decode(ByteBuffer.wrap(b, off, len)).toString();
    } catch (CharacterCodingException e) {
      throw new YUpdateException("invalid UTF-8 in string", e);
    }
  }

  /**
   * Reads one lib0 {@code any} value and returns its raw encoding (validated, not interpreted).
   */
  public byte[] readAnyRaw() {
    int start = pos;
    skipAny(0);
    return Arrays.copyOfRange(buf, start, pos);
  }

  private void skipAny(int depth) {
    if (depth > MAX_ANY_DEPTH) {
      throw new YUpdateException("any value nested deeper than " + MAX_ANY_DEPTH);
    }
    int tag = readUint8();
    switch (tag) {
      case 127, 126, 121, 120 -> { } // undefined, null, false, true
      case 125 -> readVarInt();
      case 124 -> skip(4); // float32
      case 123, 122 -> skip(8); // float64, bigint64
      case 119 -> readVarStringBytes();
      case 118 -> { // object
        long n = readVarUint();
        for (long i = 0; i < n; i++) {
          readVarStringBytes();
          skipAny(depth + 1);
        }
      }
      case 117 -> { // array
        long n = readVarUint();
        for (long i = 0; i < n; i++) {
          skipAny(depth + 1);
        }
      }
      case 116 -> skip(readVarUint()); // Uint8Array
      default -> throw new YUpdateException("unknown any type tag " + tag + " at offset " + (pos - 1));
    }
  }
}
