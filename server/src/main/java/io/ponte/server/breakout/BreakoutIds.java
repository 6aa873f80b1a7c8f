package io.ponte.server.breakout;

import io.ponte.server.room.ResourceId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The room ids of breakouts: {@code {parent}.b{round_seq}.{n}}, within the one room id rule
 * ({@link ResourceId}). The round's seq makes every round's rooms new ones (a closed breakout
 * has ended for good), and the parent can be read back from the id alone, so admission needs no
 * lookup table. A parent id is at most {@link #MAX_PARENT_CHARS} characters, which keeps every
 * breakout id within 128.
 */
public final class BreakoutIds {
  /** Longest parent id: ".b" + 20 digits + "." + 3 digits still fits in 128. */
  public static final int MAX_PARENT_CHARS = 100;
  private static final Pattern BREAKOUT = Pattern.compile("(.+)\\.b([1-9][0-9]{0,19})\\.([1-9][0-9]{0,2})");

  private BreakoutIds() {}

  /** The id of breakout {@code n} (1-based) of the round created at {@code roundSeq}. */
  public static String of(String parentId, long roundSeq, int n) {
    return parentId + ".b" + Long.toUnsignedString(roundSeq) + "." + n;
  }

  /** What a breakout id says, or null when {@code roomId} does not have a breakout's shape. */
  public static Parsed parse(String roomId) {
    if (!ResourceId.valid(roomId)) {
      return null;
    }
    Matcher m = BREAKOUT.matcher(roomId);
    if (!m.matches() || m.group(1).length() > MAX_PARENT_CHARS) {
      return null;
    }
    try {
      return new Parsed(m.group(1), Long.parseUnsignedLong(m.group(2)), Integer.parseInt(m.group(3)));
    } catch (NumberFormatException e) {
      return null; // a round seq beyond 2^64
    }
  }

  /** A breakout id's parts. */
  public record Parsed(String parentId, long roundSeq, int n) {}
}
