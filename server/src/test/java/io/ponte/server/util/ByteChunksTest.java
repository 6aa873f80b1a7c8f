package io.ponte.server.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatMessage;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteChunksTest {

  private static ChatMessage message(int textLength) {
    return ChatMessage.newBuilder().setSeq(1).setText("x".repeat(textLength)).build();
  }

  @Test
  void chunksStartSmallAndDoubleUpToTheirSize() throws Exception {
    ByteChunks chunks = new ByteChunks();
    Set<byte[]> seen = new LinkedHashSet<>();
    List<int[]> where = new ArrayList<>();
    List<byte[]> arrays = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      byte[] a = chunks.write(message(100));
      seen.add(a);
      arrays.add(a);
      where.add(new int[] {chunks.offset()});
    }
    List<Integer> sizes = seen.stream().map(a -> a.length).toList();
    assertEquals(List.of(512, 1024, 2048, 4096, 8192, 16384, 32768), sizes.subList(0, 7));
    assertTrue(sizes.subList(7, sizes.size()).stream().allMatch(n -> n == ByteChunks.MAX_CHUNK_BYTES));
    for (int i = 0; i < arrays.size(); i++) {
      int length = message(100).getSerializedSize();
      assertEquals(message(100), ChatMessage.parser().parseFrom(arrays.get(i), where.get(i)[0], length));
    }
  }

  @Test
  void aLargeMessageGetsItsOwnArrayAndTheNextSmallOneANewChunk() {
    ByteChunks chunks = new ByteChunks();
    byte[] first = chunks.write(message(10));
    byte[] large = chunks.write(message(ByteChunks.MAX_CHUNK_BYTES / 2));
    assertEquals(0, chunks.offset());
    assertEquals(message(ByteChunks.MAX_CHUNK_BYTES / 2).getSerializedSize(), large.length);
    byte[] after = chunks.write(message(10));
    assertNotSame(first, after, "the chunk before the large message was retired");
    assertEquals(0, chunks.offset());
  }

  @Test
  void onlyAFullSizeChunkThatIsNotBeingFilledIsReused() {
    ByteChunks chunks = new ByteChunks();
    byte[] full = null;
    while (full == null || full.length < ByteChunks.MAX_CHUNK_BYTES) {
      full = chunks.write(message(1000));
    }
    chunks.recycle(full);
    byte[] same = full;
    while (same == full) {
      same = chunks.write(message(1000));
    }
    assertEquals(ByteChunks.MAX_CHUNK_BYTES, same.length, "a new chunk: the current one was not given back");
    chunks.recycle(full);
    byte[] next = same;
    while (next == same) {
      next = chunks.write(message(1000));
    }
    assertSame(full, next, "the recycled chunk is written over");
  }
}
