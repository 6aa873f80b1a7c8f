package io.ponte.server.whiteboard;

/**
 * Whiteboard limits, the same on every node so that checks at apply time decide alike everywhere
 * (the settings {@code board-max-*} and {@code board-history-*}; their defaults are
 * {@link #DEFAULT}). Each guards memory a client can make a room hold.
 *
 * @param maxBoards boards per room ({@code board-max-per-room}, default 20)
 * @param maxPages pages per board ({@code board-max-pages}, default 100)
 * @param maxElementsPerPage elements per page ({@code board-max-elements-per-page}, default 5,000)
 * @param maxPathPoints points per freehand path ({@code board-max-path-points}, default 10,000)
 * @param maxTextChars code points of a text or sticky note ({@code board-max-text-chars},
 *     default 2,000)
 * @param maxBoardBytes encoded size of a board's elements ({@code board-max-bytes}, default 8 MiB)
 * @param maxHistoryChanges element versions kept per board for revert
 *     ({@code board-history-max-changes}, default 5,000)
 * @param maxHistoryBytes encoded size of those versions ({@code board-history-max-bytes}, default
 *     4 MiB)
 */
public record BoardLimits(
    int maxBoards,
    int maxPages,
    int maxElementsPerPage,
    int maxPathPoints,
    int maxTextChars,
    long maxBoardBytes,
    int maxHistoryChanges,
    long maxHistoryBytes) {

  public static final BoardLimits DEFAULT =
      new BoardLimits(20, 100, 5_000, 10_000, 2_000, 8L << 20, 5_000, 4L << 20);

  public BoardLimits {
    positive("maxBoards", maxBoards);
    positive("maxPages", maxPages);
    positive("maxElementsPerPage", maxElementsPerPage);
    positive("maxPathPoints", maxPathPoints);
    positive("maxTextChars", maxTextChars);
    positive("maxBoardBytes", maxBoardBytes);
    positive("maxHistoryChanges", maxHistoryChanges);
    positive("maxHistoryBytes", maxHistoryBytes);
  }

  private static void positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, was " + value);
    }
  }
}
