package io.ponte.yjs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Lib0CodingTest {

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  @Test
  void varUintHasTheLib0Layout() {
    assertArrayEquals(bytes(0), new Lib0Encoder().writeVarUint(0).toByteArray());
    assertArrayEquals(bytes(127), new Lib0Encoder().writeVarUint(127).toByteArray());
    assertArrayEquals(bytes(0x80, 1), new Lib0Encoder().writeVarUint(128).toByteArray());
    assertArrayEquals(bytes(0xff, 0xff, 0xff, 0xff, 0x0f), new Lib0Encoder().writeVarUint(0xffffffffL).toByteArray());
    long[] values = {0, 1, 127, 128, 300, 16383, 16384, (1L << 31) - 1, 1L << 31, 0xffffffffL, 1L << 32,
        (1L << 40) + 5, Lib0Decoder.MAX_SAFE_INTEGER};
    Lib0Encoder enc = new Lib0Encoder();
    for (long v : values) {
      enc.writeVarUint(v);
    }
    Lib0Decoder dec = new Lib0Decoder(enc.toByteArray());
    for (long v : values) {
      assertEquals(v, dec.readVarUint());
    }
    assertFalse(dec.hasContent());
  }

  @Test
  void varUintRejectsTruncatedAndOutOfRangeValues() {
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(0x80)).readVarUint());
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes()).readVarUint());
    // 2^53 does not fit a JavaScript number exactly; lib0 refuses it too
    byte[] twoPow53 = new Lib0Encoder().writeVarUint(1L << 53).toByteArray();
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(twoPow53).readVarUint());
    byte[] endless = new byte[100];
    java.util.Arrays.fill(endless, (byte) 0x80);
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(endless).readVarUint());
    // overlong but in range (lib0 accepts it)
    assertEquals(1, new Lib0Decoder(bytes(0x81, 0x80, 0x00)).readVarUint());
  }

  @Test
  void varIntHasTheLib0Layout() {
    assertArrayEquals(bytes(0x05), new Lib0Encoder().writeVarInt(5).toByteArray());
    assertArrayEquals(bytes(0x45), new Lib0Encoder().writeVarInt(-5).toByteArray());
    assertArrayEquals(bytes(0x80, 0x01), new Lib0Encoder().writeVarInt(64).toByteArray());
    assertArrayEquals(bytes(0xc0, 0x01), new Lib0Encoder().writeVarInt(-64).toByteArray());
    long[] values = {0, 1, -1, 63, -63, 64, -64, 8191, 8192, -100000, (1L << 31), -(1L << 31), Lib0Decoder.MAX_SAFE_INTEGER};
    Lib0Encoder enc = new Lib0Encoder();
    for (long v : values) {
      enc.writeVarInt(v);
    }
    Lib0Decoder dec = new Lib0Decoder(enc.toByteArray());
    for (long v : values) {
      assertEquals(v, dec.readVarInt());
    }
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(0x80)).readVarInt());
  }

  @Test
  void varStringIsUtf8WithALengthPrefix() {
    String s = "Grüße 😀 中文 👨‍👩‍👧";
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    byte[] encoded = new Lib0Encoder().writeVarString(s).toByteArray();
    assertEquals(utf8.length, encoded[0]);
    assertArrayEquals(utf8, java.util.Arrays.copyOfRange(encoded, 1, encoded.length));
    assertEquals(s, new Lib0Decoder(encoded).readVarString());
    assertEquals("", new Lib0Decoder(bytes(0)).readVarString());
  }

  @Test
  void loneSurrogatesAreWrittenAsReplacementCharacters() {
    // like TextEncoder, which lib0 uses: an unpaired surrogate becomes U+FFFD (EF BF BD)
    assertArrayEquals(bytes(4, 0x61, 0xef, 0xbf, 0xbd), new Lib0Encoder().writeVarString("a\uD83D").toByteArray());
    assertArrayEquals(bytes(4, 0xef, 0xbf, 0xbd, 0x62), new Lib0Encoder().writeVarString("\uDE00b").toByteArray());
  }

  @Test
  void invalidUtf8IsRejected() {
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(1, 0xff)).readVarString());
    // an encoded surrogate (CESU-8) is not UTF-8
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(3, 0xed, 0xa0, 0x80)).readVarString());
    // truncated multi-byte sequence
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(2, 0xf0, 0x9f)).readVarString());
    // length beyond the input, without allocating it
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(0xff, 0xff, 0xff, 0xff, 0x0f, 0x61)).readVarString());
  }

  @Test
  void anyValuesAreSkippedWhole() {
    Lib0Encoder enc = new Lib0Encoder();
    enc.writeUint8(127); // undefined
    enc.writeUint8(126); // null
    enc.writeUint8(125).writeVarInt(-12345); // integer
    enc.writeUint8(124).writeBytes(new byte[4]); // float32
    enc.writeUint8(123).writeBytes(new byte[8]); // float64
    enc.writeUint8(122).writeBytes(new byte[8]); // bigint
    enc.writeUint8(121).writeUint8(120); // false, true
    enc.writeUint8(119).writeVarString("ä😀"); // string
    enc.writeUint8(118).writeVarUint(2).writeVarString("a").writeUint8(120) // object {a: true, b: [1, bin]}
        .writeVarString("b").writeUint8(117).writeVarUint(2).writeUint8(125).writeVarInt(1)
        .writeUint8(116).writeVarUint8Array(bytes(1, 2, 3));
    byte[] all = enc.toByteArray();
    Lib0Decoder dec = new Lib0Decoder(all);
    int count = 0;
    int total = 0;
    while (dec.hasContent()) {
      total += dec.readAnyRaw().length;
      count++;
    }
    assertEquals(10, count);
    assertEquals(all.length, total);
  }

  @Test
  void malformedAnyValuesAreRejected() {
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(115)).readAnyRaw()); // unknown tag
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(123, 0, 0)).readAnyRaw()); // short float64
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(117, 5, 126)).readAnyRaw()); // short array
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(bytes(116, 9, 1)).readAnyRaw()); // short binary
    byte[] deep = new byte[20000];
    for (int i = 0; i < deep.length; i += 2) {
      deep[i] = (byte) 117;
      deep[i + 1] = 1;
    }
    assertThrows(YUpdateException.class, () -> new Lib0Decoder(deep).readAnyRaw()); // nested too deeply
  }

  @Test
  void stateVectorsRoundTripWithUnsignedClientsAndLargeClocks() {
    java.util.Map<Long, Long> sv = new java.util.LinkedHashMap<>();
    sv.put(0xffffffffL, (1L << 40) + 3);
    sv.put(1L, 5L);
    sv.put(1L << 31, 1L << 31);
    byte[] encoded = YUpdates.encodeStateVector(sv);
    assertEquals(sv, YUpdates.decodeStateVector(encoded));
    // clients are written in decreasing order, like Y.encodeStateVector
    Lib0Decoder d = new Lib0Decoder(encoded);
    assertEquals(3, d.readVarUint());
    assertEquals(0xffffffffL, d.readVarUint());
  }
}
