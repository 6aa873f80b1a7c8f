package io.ponte.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One simulated freehand stroke: the pointer's positions (a smooth random curve, as a hand moves)
 * in the whiteboard's 1/10 px unit, cut into the chunks a browser sends as live ink, and packed as
 * the protocol wants (first point absolute, then deltas; every chunk starts absolute again).
 * Immutable; pure apart from the random source it is built with.
 */
final class PenStroke {
  /** Where strokes start: a 1600 x 900 px page, in 1/10 px. */
  private static final int PAGE_WIDTH = 16_000;
  private static final int PAGE_HEIGHT = 9_000;

  final String id;
  private final int[] xs;
  private final int[] ys;
  /** Index of each chunk's first point; chunk i is [starts[i], starts[i + 1]). */
  private final int[] starts;

  PenStroke(String id, int[] xs, int[] ys, int[] chunkSizes) {
    if (xs.length != ys.length) {
      throw new IllegalArgumentException("as many x as y");
    }
    this.id = id;
    this.xs = xs.clone();
    this.ys = ys.clone();
    this.starts = new int[chunkSizes.length + 1];
    for (int i = 0; i < chunkSizes.length; i++) {
      if (chunkSizes[i] < 1) {
        throw new IllegalArgumentException("a chunk holds at least one point");
      }
      starts[i + 1] = starts[i] + chunkSizes[i];
    }
    if (starts[chunkSizes.length] != xs.length) {
      throw new IllegalArgumentException("the chunks must cover the stroke's " + xs.length + " points");
    }
  }

  /**
   * A stroke of {@code chunks} chunks of {@code minPoints..maxPoints} new points each: the pen
   * moves at 150-600 px/s along a slowly turning heading, so deltas are a few px (1-2 varint bytes).
   */
  static PenStroke random(String id, int chunks, int minPoints, int maxPoints, long chunkMillis, Random rnd) {
    int[] sizes = new int[chunks];
    int total = 0;
    for (int i = 0; i < chunks; i++) {
      sizes[i] = minPoints + rnd.nextInt(maxPoints - minPoints + 1);
      total += sizes[i];
    }
    int[] xs = new int[total];
    int[] ys = new int[total];
    double x = rnd.nextInt(PAGE_WIDTH);
    double y = rnd.nextInt(PAGE_HEIGHT);
    double heading = rnd.nextDouble() * 2 * Math.PI;
    double speed = 1500 + rnd.nextInt(4500); // 1/10 px per second
    int p = 0;
    for (int size : sizes) {
      double step = speed * chunkMillis / 1000.0 / size;
      for (int k = 0; k < size; k++, p++) {
        heading += (rnd.nextDouble() - 0.5) * 0.6;
        x += Math.cos(heading) * step;
        y += Math.sin(heading) * step;
        xs[p] = (int) Math.round(x);
        ys[p] = (int) Math.round(y);
      }
    }
    return new PenStroke(id, xs, ys, sizes);
  }

  int points() {
    return xs.length;
  }

  int chunks() {
    return starts.length - 1;
  }

  /** Index of chunk {@code i}'s first point in the whole stroke (InkStroke.first_index). */
  int chunkStart(int i) {
    return starts[i];
  }

  /** Chunk {@code i}'s points, packed on their own (InkStroke.points). */
  List<Integer> chunk(int i) {
    return pack(starts[i], starts[i + 1]);
  }

  /** The whole stroke, packed (BoardPath.points of the committed element). */
  List<Integer> whole() {
    return pack(0, xs.length);
  }

  /** Points [from, to) as x0, y0, dx1, dy1, ...: the first absolute, each next the difference. */
  List<Integer> pack(int from, int to) {
    List<Integer> out = new ArrayList<>(2 * (to - from));
    for (int i = from; i < to; i++) {
      out.add(i == from ? xs[i] : xs[i] - xs[i - 1]);
      out.add(i == from ? ys[i] : ys[i] - ys[i - 1]);
    }
    return out;
  }

  /** Absolute points x0, y0, x1, y1, ... of a packed list (the inverse of {@link #pack}). */
  static int[] unpack(List<Integer> packed) {
    if (packed.size() % 2 != 0) {
      throw new IllegalArgumentException("packed points come in pairs");
    }
    int[] out = new int[packed.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = i < 2 ? packed.get(i) : out[i - 2] + packed.get(i);
    }
    return out;
  }
}
