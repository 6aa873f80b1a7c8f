package io.ponte.server.room;

import java.util.regex.Pattern;

/**
 * The one rule for room and document ids, wherever they come from (admin API, {@code /ws},
 * {@code /yjs} paths, Hocuspocus document names, operations): 1-128 characters of
 * {@code [A-Za-z0-9._-]}. Nothing else may name a room or a document ({@code a/b} would be
 * ambiguous in a Hocuspocus name, {@code :} in a Redis key).
 */
public final class ResourceId {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private ResourceId() {}

  /** Whether {@code id} is a valid room or document id. */
  public static boolean valid(String id) {
    return id != null && ID.matcher(id).matches();
  }
}
