package io.ponte.yjs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Malformed input gives {@link YUpdateException} (never another exception, a hang or a huge allocation). */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class YUpdateMalformedTest {
  private static final byte[] EMPTY_SV = {0};

  private static List<byte[]> realUpdates() {
    List<byte[]> out = new ArrayList<>();
    for (String u : YjsConformanceTest.strings(YjsNode.script(null, "generate", "11", "1").get("cases").get(0).get("updates"))) {
      out.add(YjsConformanceTest.dec(u));
    }
    return out;
  }

  /** Runs every operation on {@code update}; each must succeed or throw YUpdateException. */
  private static int tryAll(byte[] update, byte[] other) {
    int rejected = 0;
    List<Consumer<byte[]>> ops = List.of(
        YUpdate::decode,
        YUpdates::encodeStateVectorFromUpdate,
        u -> YUpdates.diffUpdate(u, EMPTY_SV),
        u -> YUpdates.diffUpdate(other, u), // as a state vector
        u -> YUpdates.mergeUpdates(List.of(u)),
        u -> YUpdates.mergeUpdates(List.of(other, u)));
    for (Consumer<byte[]> op : ops) {
      try {
        op.accept(update);
      } catch (YUpdateException e) {
        rejected++;
      } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
        fail("unexpected " + e + " for input " + Arrays.toString(Arrays.copyOf(update, Math.min(64, update.length))), e);
      }
    }
    return rejected;
  }

  @Test
  void everyTruncationOfARealUpdateIsRejected() {
    List<byte[]> updates = realUpdates();
    byte[] other = updates.get(0);
    int checked = 0;
    for (byte[] u : updates) {
      for (int len = 0; len < u.length; len++) {
        byte[] cut = Arrays.copyOf(u, len);
        assertThrows(YUpdateException.class, () -> YUpdate.decode(cut), "prefix of " + len + " bytes");
        assertThrows(YUpdateException.class, () -> YUpdates.mergeUpdates(List.of(other, cut)));
        assertThrows(YUpdateException.class, () -> YUpdates.mergeUpdates(List.of(cut)));
        assertThrows(YUpdateException.class, () -> YUpdates.encodeStateVectorFromUpdate(cut));
        assertThrows(YUpdateException.class, () -> YUpdates.diffUpdate(cut, EMPTY_SV));
        checked++;
      }
    }
    assertTrue(checked > 100, "checked " + checked);
  }

  @Test
  void randomBytesAndCorruptedUpdatesAreRejectedOrHandled() {
    Random rnd = new Random(42);
    List<byte[]> updates = realUpdates();
    int rejected = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] junk = new byte[rnd.nextInt(64)];
      rnd.nextBytes(junk);
      rejected += tryAll(junk, updates.get(i % updates.size()));
    }
    for (int i = 0; i < 3000; i++) {
      byte[] u = updates.get(rnd.nextInt(updates.size())).clone();
      int flips = 1 + rnd.nextInt(3);
      for (int f = 0; f < flips && u.length > 0; f++) {
        u[rnd.nextInt(u.length)] = (byte) rnd.nextInt(256);
      }
      rejected += tryAll(u, updates.get(rnd.nextInt(updates.size())));
    }
    assertTrue(rejected > 1000, "rejected " + rejected);
  }

  @Test
  void hugeCountsAndLengthsFailFastWithoutAllocating() {
    long huge = Lib0Decoder.MAX_SAFE_INTEGER;
    // 2^53-1 clients, then nothing
    byte[] manyClients = new Lib0Encoder().writeVarUint(huge).toByteArray();
    assertThrows(YUpdateException.class, () -> YUpdate.decode(manyClients));
    // one client with 2^53-1 structs
    byte[] manyStructs = new Lib0Encoder().writeVarUint(1).writeVarUint(huge).writeVarUint(1).writeVarUint(0).toByteArray();
    assertThrows(YUpdateException.class, () -> YUpdate.decode(manyStructs));
    // a string item claiming 2^32 bytes
    byte[] longString = new Lib0Encoder().writeVarUint(1).writeVarUint(1).writeVarUint(1).writeVarUint(0)
        .writeUint8(4).writeVarUint(1).writeVarString("t").writeVarUint(1L << 32).writeUint8('a').toByteArray();
    assertThrows(YUpdateException.class, () -> YUpdate.decode(longString));
    // GC lengths that push the clock past 2^53
    Lib0Encoder e = new Lib0Encoder().writeVarUint(1).writeVarUint(3).writeVarUint(1).writeVarUint(0);
    for (int i = 0; i < 3; i++) {
      e.writeUint8(0).writeVarUint(huge / 2);
    }
    byte[] clockOverflow = e.writeVarUint(0).toByteArray();
    assertThrows(YUpdateException.class, () -> YUpdate.decode(clockOverflow));
    // unknown content and type references
    byte[] badContent = new Lib0Encoder().writeVarUint(1).writeVarUint(1).writeVarUint(1).writeVarUint(0)
        .writeUint8(0x4b).writeVarUint(1).writeVarUint(0).writeVarUint(0).toByteArray();
    assertThrows(YUpdateException.class, () -> YUpdate.decode(badContent));
    byte[] badType = new Lib0Encoder().writeVarUint(1).writeVarUint(1).writeVarUint(1).writeVarUint(0)
        .writeUint8(7).writeVarUint(1).writeVarString("t").writeVarUint(9).writeVarUint(0).toByteArray();
    assertThrows(YUpdateException.class, () -> YUpdate.decode(badType));
    // a malformed state vector
    assertThrows(YUpdateException.class, () -> YUpdates.diffUpdate(YUpdates.emptyUpdate(), new byte[] {2, 1}));
  }

  /** An update of one client: one string item at clock {@code clock} in root "text". */
  private static byte[] stringUpdate(long client, long clock, String s) {
    return new Lib0Encoder().writeVarUint(1).writeVarUint(1).writeVarUint(client).writeVarUint(clock)
        .writeUint8(4).writeVarUint(1).writeVarString("text").writeVarString(s)
        .writeVarUint(0).toByteArray();
  }

  @Test
  void splittingASurrogatePairWritesReplacementCharactersLikeYjs() {
    long client = 0xfffffffeL;
    byte[] u = stringUpdate(client, 0, "a😀b"); // UTF-16 length 4: a, high, low, b
    assertEquals(Map.of(client, 4L), YUpdates.stateVectorFromUpdate(u));
    byte[] diff = YUpdates.diffUpdate(u, YUpdates.encodeStateVector(Map.of(client, 2L)));
    YStruct.Item item = (YStruct.Item) YUpdate.decode(diff).structs().get(0);
    assertEquals(2, item.clock());
    assertEquals(new YId(client, 1), item.origin());
    assertEquals("\uFFFDb", ((YContent.Str) item.content()).str());
    // merging with an update that ends inside the pair slices the longer one: right half becomes U+FFFD
    byte[] left = stringUpdate(client, 0, "ax"); // clocks 0..1, ends inside the pair of u
    byte[] merged = YUpdates.mergeUpdates(List.of(left, u));
    List<YStruct> structs = YUpdate.decode(merged).structs();
    assertEquals(2, structs.size());
    assertEquals("\uFFFDb", ((YContent.Str) ((YStruct.Item) structs.get(1)).content()).str());
    assertEquals(Map.of(client, 4L), YUpdates.stateVectorFromUpdate(merged));
  }

  @Test
  void mergingNothingGivesAnEmptyUpdateAndOneUpdateIsReturnedAsItIs() {
    assertArrayEquals(YUpdates.emptyUpdate(), YUpdates.mergeUpdates(List.of()));
    byte[] u = stringUpdate(5, 0, "hi");
    assertArrayEquals(u, YUpdates.mergeUpdates(List.of(u)));
    assertEquals(Map.of(), YUpdates.stateVectorFromUpdate(YUpdates.emptyUpdate()));
  }
}
