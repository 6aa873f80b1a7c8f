package io.ponte.yjs;

import java.util.Arrays;

/** Writes the lib0 binary encoding (the primitives of Yjs updates). */
public final class Lib0Encoder {
  private byte[] buf;
  private int len;

  public Lib0Encoder() {
    this(64);
  }

  public Lib0Encoder(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      int cap = Math.max(buf.length * 2, len + extra);
      buf = Arrays.copyOf(buf, cap);
    }
  }

  public int length() {
    return len;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  public Lib0Encoder writeUint8(int b) {
    ensure(1);
    buf[len++] = (byte) b;
    return this;
  }

  /** Writes an unsigned var-int; {@code v} must be in [0, 2^53). */
  public Lib0Encoder writeVarUint(long v) {
    if (v < 0) {
      throw new IllegalArgumentException("negative var-uint " + v);
    }
    ensure(10);
    while (v > 0x7f) {
      buf[len++] = (byte) (0x80 | (v & 0x7f));
      v >>>= 7;
    }
    buf[len++] = (byte) v;
    return this;
  }

  /** Writes a signed var-int (lib0 layout: continuation bit, sign bit, 6 bits, then 7 bits per byte). */
  public Lib0Encoder writeVarInt(long v) {
    boolean negative = v < 0;
    long num = Math.abs(v);
    ensure(11);
    buf[len++] = (byte) ((num > 0x3f ? 0x80 : 0) | (negative ? 0x40 : 0) | (num & 0x3f));
    num >>>= 6;
    while (num > 0) {
      buf[len++] = (byte) ((num > 0x7f ? 0x80 : 0) | (num & 0x7f));
      num >>>= 7;
    }
    return this;
  }

  public Lib0Encoder writeBytes(byte[] b) {
    return writeBytes(b, 0, b.length);
  }

  public Lib0Encoder writeBytes(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
    return this;
  }

  public Lib0Encoder writeVarUint8Array(byte[] b) {
    writeVarUint(b.length);
    return writeBytes(b);
  }

  /** Writes a var-string as UTF-8; lone surrogates become U+FFFD (like TextEncoder). */
  public Lib0Encoder writeVarString(String s) {
    return writeVarUint8Array(encodeUtf8(s));
  }

  /** UTF-8 encoding with WHATWG semantics: unpaired surrogates are encoded as U+FFFD. */
  public static byte[] encodeUtf8(String s) {
    byte[] out = new byte[s.length() * 3];
    int o = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      int c = s.charAt(i);
      if (c < 0x80) {
        out[o++] = (byte) c;
      } else if (c < 0x800) {
        out[o++] = (byte) (0xc0 | (c >> 6));
        out[o++] = (byte) (0x80 | (c & 0x3f));
      } else if (Character.isHighSurrogate((char) c) && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint((char) c, s.charAt(++i));
        out[o++] = (byte) (0xf0 | (cp >> 18));
        out[o++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
        out[o++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
        out[o++] = (byte) (0x80 | (cp & 0x3f));
      } else {
        if (Character.isSurrogate((char) c)) {
          c = 0xfffd;
        }
        out[o++] = (byte) (0xe0 | (c >> 12));
        out[o++] = (byte) (0x80 | ((c >> 6) & 0x3f));
        out[o++] = (byte) (0x80 | (c & 0x3f));
      }
    }
    return Arrays.copyOf(out, o);
  }
}
