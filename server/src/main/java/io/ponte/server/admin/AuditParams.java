package io.ponte.server.admin;

import io.ponte.server.audit.AuditRequests;
import io.ponte.server.room.ResourceId;
import io.ponte.server.store.AuditQuery;
import io.ponte.server.text.ChatText;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Set;

/**
 * The query of GET /admin/audit: {@code room}, {@code actor}, {@code from} and {@code to} (epoch
 * milliseconds, from inclusive, to exclusive), {@code cursor} (the previous page's nextCursor),
 * {@code limit} (1-200, default 50). Each at most once; anything else is refused with the name of
 * the bad parameter. The query it gives reads one entry more than the limit.
 */
final class AuditParams {
  private static final Set<String> KNOWN = Set.of("room", "actor", "from", "to", "cursor", "limit");

  private AuditParams() {}

  static AuditQuery parse(MultiMap params) {
    for (String name : params.names()) {
      if (!KNOWN.contains(name)) {
        throw new IllegalArgumentException("unknown parameter '" + name + "'; known: room, actor, from, to, cursor, limit");
      }
    }
    String room = single(params, "room");
    if (room != null && !ResourceId.valid(room)) {
      throw new IllegalArgumentException("room: 1-128 characters of letters, digits, '.', '_' or '-'");
    }
    String actor = single(params, "actor");
    if (actor != null && !ChatText.validUserId(actor)) {
      throw new IllegalArgumentException("actor: a user id of 1-128 characters without spaces");
    }
    long from = number(params, "from", 0);
    long to = number(params, "to", 0);
    if (from > 0 && to > 0 && from >= to) {
      throw new IllegalArgumentException("from must be before to");
    }
    long cursor = number(params, "cursor", 0);
    long limit = number(params, "limit", AuditRequests.DEFAULT_PAGE);
    if (limit < 1 || limit > AuditRequests.MAX_PAGE) {
      throw new IllegalArgumentException("limit: 1 to " + AuditRequests.MAX_PAGE);
    }
    return new AuditQuery(room, actor, from, to, cursor, (int) limit + 1);
  }

  private static String single(MultiMap params, String name) {
    List<String> all = params.getAll(name);
    if (all.size() > 1) {
      throw new IllegalArgumentException(name + ": given more than once");
    }
    return all.isEmpty() ? null : all.get(0);
  }

  private static long number(MultiMap params, String name, long otherwise) {
    String v = single(params, name);
    if (v == null) {
      return otherwise;
    }
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new IllegalArgumentException(name + ": a number of 0 or more, was '" + v + "'");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": a number of 0 or more, was '" + truncated(v) + "'");
    }
  }

  private static String truncated(String v) {
    return v.length() > 40 ? v.substring(0, 40) + "..." : v;
  }
}
