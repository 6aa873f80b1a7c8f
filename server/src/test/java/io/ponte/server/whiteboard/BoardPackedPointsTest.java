package io.ponte.server.whiteboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.BoardPath;
import io.ponte.protocol.v1.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The packed point encoding and the z index keys, as WHITEBOARD.md describes them. */
@Timeout(10)
class BoardPackedPointsTest {
  @Test
  void theDocumentedExampleDecodes() {
    // (10, 20), (10.5, 20), (11, 19.5) px.
    BoardPath p = BoardPath.newBuilder().addAllPoints(List.of(100, 200, 5, 0, 5, -5)).build();
    assertNull(PackedPoints.check(p, 10));
    assertArrayEquals(new int[] {100, 200, 105, 200, 110, 195}, PackedPoints.decode(p));
    assertEquals(p, PackedPoints.encode(new int[] {100, 200, 105, 200, 110, 195}));
  }

  @Test
  void smallDeltasTakeOneByteEach() {
    int[] stroke = new int[2_000];
    for (int i = 0; i < stroke.length; i += 2) {
      stroke[i] = 5_000 + i;
      stroke[i + 1] = -3_000 - i / 2;
    }
    BoardPath p = PackedPoints.encode(stroke);
    assertArrayEquals(stroke, PackedPoints.decode(p));
    // 2 tag + length bytes, first point 3 bytes a coordinate, then zigzag deltas of 2 and -1.
    assertTrue(p.getSerializedSize() < 2_000 + 16, "bytes: " + p.getSerializedSize());
  }

  @Test
  void checksCountPressureAndBounds() {
    assertEquals(ErrorCode.POINTS_MALFORMED, PackedPoints.check(BoardPath.getDefaultInstance(), 10).code());
    assertEquals(ErrorCode.PATH_TOO_LONG, PackedPoints.check(PackedPoints.encode(new int[22]), 10).code());
    assertNull(PackedPoints.check(PackedPoints.encode(new int[20]), 10));
    assertNull(PackedPoints.check(PackedPoints.encode(new int[4], 0, 255), 10));
    assertEquals(ErrorCode.POINTS_MALFORMED, PackedPoints.check(PackedPoints.encode(new int[4], 0), 10).code());
    assertEquals(ErrorCode.OUT_OF_BOUNDS,
        PackedPoints.check(PackedPoints.encode(new int[] {0, 0, 0, -1_000_001}), 10).code());
  }

  @Test
  void zIndexKeys() {
    for (String ok : List.of("a0", "Zz", "a0V", "0", "z".repeat(64))) {
      assertTrue(FractionalIndex.valid(ok), ok);
    }
    for (String bad : List.of("", "a 0", "a-0", "é", "z".repeat(65), "a0\n")) {
      assertFalse(FractionalIndex.valid(bad), bad);
    }
    assertTrue("Zz".compareTo("a0") < 0 && "a0".compareTo("a0V") < 0 && "a0V".compareTo("a1") < 0,
        "byte order is the order of fractional-indexing keys");
  }
}
