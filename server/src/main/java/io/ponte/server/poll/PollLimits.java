package io.ponte.server.poll;

/**
 * Poll limits, the same on every node so that checks at apply time decide alike everywhere (the
 * settings {@code poll-max-*}; their defaults are {@link #DEFAULT}).
 *
 * @param maxPolls polls per room, in any state ({@code poll-max-per-room}, default 50)
 * @param maxOptions options per poll ({@code poll-max-options}, default 10)
 * @param maxQuestionChars code points of a question ({@code poll-max-question-chars}, default 500)
 * @param maxOptionChars code points of an option ({@code poll-max-option-chars}, default 200)
 */
public record PollLimits(int maxPolls, int maxOptions, int maxQuestionChars, int maxOptionChars) {
  public static final PollLimits DEFAULT = new PollLimits(50, 10, 500, 200);

  public PollLimits {
    if (maxPolls < 1 || maxOptions < 2 || maxQuestionChars < 1 || maxOptionChars < 1) {
      throw new IllegalArgumentException("poll limits out of range: " + maxPolls + ", " + maxOptions
          + ", " + maxQuestionChars + ", " + maxOptionChars);
    }
  }
}
