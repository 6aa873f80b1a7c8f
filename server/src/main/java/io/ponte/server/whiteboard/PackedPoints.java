package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardPath;
import io.ponte.protocol.v1.ErrorCode;
import java.util.List;

/**
 * The packed point encoding of a freehand path (whiteboard.proto, BoardPath): x0, y0, then the
 * difference of each point from the previous one, in the 1/10 px unit, as packed sint32.
 */
final class PackedPoints {
  static final int MAX_PRESSURE = 255;

  private PackedPoints() {}

  /** Null when the path's points and pressures are well-formed and within the limits. */
  static Refusal check(BoardPath path, int maxPoints) {
    int values = path.getPointsCount();
    if (values == 0 || values % 2 != 0) {
      return new Refusal(ErrorCode.POINTS_MALFORMED, "points must hold x, y pairs, at least one");
    }
    int points = values / 2;
    if (points > maxPoints) {
      return new Refusal(ErrorCode.PATH_TOO_LONG, points + " points, more than " + maxPoints);
    }
    if (path.getPressureCount() != 0 && path.getPressureCount() != points) {
      return new Refusal(ErrorCode.POINTS_MALFORMED,
          path.getPressureCount() + " pressures for " + points + " points");
    }
    for (int i = 0; i < path.getPressureCount(); i++) {
      // uint32 above 2^31 reads as a negative int: compare it unsigned.
      if (Integer.compareUnsigned(path.getPressure(i), MAX_PRESSURE) > 0) {
        return new Refusal(ErrorCode.POINTS_MALFORMED, "pressure above " + MAX_PRESSURE);
      }
    }
    // Sums of sint32 deltas overflow an int: accumulate in a long and check every point.
    long x = 0;
    long y = 0;
    List<Integer> packed = path.getPointsList();
    for (int i = 0; i < values; i += 2) {
      x += packed.get(i);
      y += packed.get(i + 1);
      if (!ElementRules.inBounds(x) || !ElementRules.inBounds(y)) {
        return new Refusal(ErrorCode.OUT_OF_BOUNDS, "point " + (i / 2) + " is outside the board");
      }
    }
    return null;
  }

  /** Absolute coordinates x0, y0, x1, y1, ... of a path {@link #check} accepted. */
  static int[] decode(BoardPath path) {
    int[] out = new int[path.getPointsCount()];
    int x = 0;
    int y = 0;
    for (int i = 0; i < out.length; i += 2) {
      x += path.getPoints(i);
      y += path.getPoints(i + 1);
      out[i] = x;
      out[i + 1] = y;
    }
    return out;
  }

  /** The packed form of absolute coordinates (for tests and tools). */
  static BoardPath encode(int[] absolute, int... pressure) {
    BoardPath.Builder b = BoardPath.newBuilder();
    int px = 0;
    int py = 0;
    for (int i = 0; i < absolute.length; i += 2) {
      b.addPoints(absolute[i] - px).addPoints(absolute[i + 1] - py);
      px = absolute[i];
      py = absolute[i + 1];
    }
    for (int p : pressure) {
      b.addPressure(p);
    }
    return b.build();
  }
}
