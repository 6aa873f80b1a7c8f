package io.ponte.load;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the Yjs V1 update format for typing into a Y.Text (the load generator depends on
 * the public protocol only, not on the server's Yjs engine).
 *
 * <p>An update made by {@link #insert} holds one client with one struct, an Item with
 * ContentString, and an empty delete set:
 * <pre>
 * varuint 1                      number of clients
 * varuint 1                      number of structs of that client
 * varuint client, varuint clock  id of the first struct
 * uint8 info                     content ref 4 (string) | 0x80 when a left origin follows
 * [varuint client, varuint clock]    left origin (the typist's previous character), or
 * [varuint 1, varstring root]        no origin: the parent is the root type named root
 * varstring text                 the content (UTF-8; its clock length is its UTF-16 length)
 * varuint 0                      empty delete set
 * </pre>
 * as written by yjs' {@code writeClientsStructs} and {@code Item.write} with an
 * {@code UpdateEncoderV1}.
 */
public final class YjsText {
  private static final int CONTENT_STRING = 4;
  private static final int HAS_ORIGIN = 0x80;

  private YjsText() {}

  /**
   * An update inserting {@code text} as item (client, clock) after the item id
   * (originClient, originClock), or at the start of the root type {@code root} when
   * {@code originClock < 0}.
   */
  public static byte[] insert(long client, long clock, long originClient, long originClock, String root,
      String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 + text.length() * 3);
    writeVarUint(out, 1);
    writeVarUint(out, 1);
    writeVarUint(out, client);
    writeVarUint(out, clock);
    if (originClock >= 0) {
      out.write(CONTENT_STRING | HAS_ORIGIN);
      writeVarUint(out, originClient);
      writeVarUint(out, originClock);
    } else {
      out.write(CONTENT_STRING);
      writeVarUint(out, 1); // parent info: the parent is a root type, by name
      writeVarString(out, root);
    }
    writeVarString(out, text);
    writeVarUint(out, 0); // delete set: no clients
    return out.toByteArray();
  }

  /**
   * The id {client, clock} of the first struct of a V1 update, or null when the update has no
   * structs or is cut short.
   */
  static long[] firstId(byte[] update) {
    int[] pos = {0};
    long clients = readVarUint(update, pos);
    if (clients <= 0) {
      return null;
    }
    long structs = readVarUint(update, pos);
    long client = readVarUint(update, pos);
    long clock = readVarUint(update, pos);
    if (structs <= 0 || clock < 0 || client < 0) {
      return null;
    }
    return new long[] {client, clock};
  }

  /**
   * The struct ranges of a V1 update, three longs per client: client id, first clock, clock
   * length (its structs are consecutive). Reads GC, Skip and Items with deleted, string, embed,
   * format, binary, JSON and type content; null for anything else or bytes cut short (a load
   * generator only needs to follow what its typists send, and what servers make of it).
   */
  static long[] ranges(byte[] update) {
    int[] pos = {0};
    long clients = readVarUint(update, pos);
    if (clients < 0 || clients > update.length) {
      return null;
    }
    long[] out = new long[(int) clients * 3];
    for (int c = 0; c < clients; c++) {
      long structs = readVarUint(update, pos);
      long client = readVarUint(update, pos);
      long clock = readVarUint(update, pos);
      if (structs < 0 || client < 0 || clock < 0) {
        return null;
      }
      long length = 0;
      for (long s = 0; s < structs; s++) {
        long l = structLength(update, pos);
        if (l < 0) {
          return null;
        }
        length += l;
      }
      if (pos[0] > update.length) {
        return null;
      }
      out[c * 3] = client;
      out[c * 3 + 1] = clock;
      out[c * 3 + 2] = length;
    }
    return out;
  }

  /** Reads one struct at pos[0]; its clock length, or -1. */
  private static long structLength(byte[] b, int[] pos) {
    if (pos[0] >= b.length) {
      return -1;
    }
    int info = b[pos[0]++] & 0xFF;
    int ref = info & 0x1F;
    if (ref == 0 || ref == 10) { // GC, Skip
      return readVarUint(b, pos);
    }
    if ((info & 0x80) != 0) { // left origin id
      readVarUint(b, pos);
      readVarUint(b, pos);
    }
    if ((info & 0x40) != 0) { // right origin id
      readVarUint(b, pos);
      readVarUint(b, pos);
    }
    if ((info & 0xC0) == 0) { // no origin: parent by root name (1) or by item id (0)
      long byName = readVarUint(b, pos);
      if (byName == 1) {
        skipVarString(b, pos);
      } else {
        readVarUint(b, pos);
        readVarUint(b, pos);
      }
      if ((info & 0x20) != 0) { // parent sub (map key)
        skipVarString(b, pos);
      }
    }
    switch (ref) {
      case 1 -> { // deleted
        return readVarUint(b, pos);
      }
      case 2 -> { // JSON: n strings
        long n = readVarUint(b, pos);
        for (long i = 0; i < n; i++) {
          skipVarString(b, pos);
        }
        return n;
      }
      case 3, 5 -> { // binary, embed
        skipVarString(b, pos);
        return 1;
      }
      case 4 -> { // string: its length in UTF-16 units
        long len = readVarUint(b, pos);
        if (len < 0 || pos[0] + len > b.length) {
          return -1;
        }
        String s = new String(b, pos[0], (int) len, StandardCharsets.UTF_8);
        pos[0] += (int) len;
        return s.length();
      }
      case 6 -> { // format: key, value
        skipVarString(b, pos);
        skipVarString(b, pos);
        return 1;
      }
      case 7 -> { // type: ref, and a name for XmlElement (3) and XmlHook (5)
        long typeRef = readVarUint(b, pos);
        if (typeRef == 3 || typeRef == 5) {
          skipVarString(b, pos);
        }
        return 1;
      }
      default -> {
        return -1;
      }
    }
  }

  private static void skipVarString(byte[] b, int[] pos) {
    long len = readVarUint(b, pos);
    pos[0] = len < 0 ? b.length + 1 : (int) Math.min(b.length + 1L, pos[0] + len);
  }

  static void writeVarUint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  static void writeVarString(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeVarUint(out, b.length);
    out.write(b, 0, b.length);
  }

  /** Reads a var-uint at pos[0] and advances it; -1 when the bytes end first. */
  static long readVarUint(byte[] b, int[] pos) {
    long v = 0;
    int shift = 0;
    while (pos[0] < b.length && shift < 64) {
      int x = b[pos[0]++] & 0xFF;
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
      shift += 7;
    }
    return -1;
  }
}
