package io.ponte.server.doc;

import io.ponte.protocol.v1.DocClientAuthor;
import io.ponte.protocol.v1.DocDeletion;
import io.ponte.protocol.v1.DocumentRecord;
import io.ponte.yjs.YDeleteSet;
import io.ponte.yjs.YRevert;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who wrote what in one document, for reverting a participant (part of the document's state:
 * recorded at apply time from the operation's actor and server time, so it is the same on every
 * node, and kept in the document's record).
 *
 * <p>Per Yjs client id: its user (whoever's update first carried structs of that client id: a
 * provider relaying another peer's structs on a sync does not take them over) and checkpoints
 * "clock reached at time". Checkpoints within the same second are coalesced (the later one
 * stays), so a revert's {@code since} is exact to the second. Per user: the ranges their updates
 * newly deleted, with the time (adjacent ranges of the same second joined).
 *
 * <p>Bounds: {@link #MAX_CHECKPOINTS} per client id (beyond, every other checkpoint of the older
 * half is dropped: a revert since an old time may then also undo the user's own edits of up to
 * the gap before that time); {@link #MAX_CLIENTS} client ids per document (beyond, the least
 * recently active is dropped) and {@link #MAX_DELETIONS} deletion ranges (beyond, the oldest is
 * dropped): what is dropped moves {@link #completeSinceMs} to its time, and a revert since an
 * earlier time is refused (REVERT_HISTORY_INCOMPLETE) rather than done in part.
 */
final class DocAuthorship {
  static final int MAX_CHECKPOINTS = 32;
  static final int MAX_CLIENTS = 256;
  static final int MAX_DELETIONS = 2048;
  private static final long SECOND_MS = 1000;

  private static final class ClientAuthor {
    final String userId;
    final ArrayList<long[]> checkpoints = new ArrayList<>(); // {time, clock}

    ClientAuthor(String userId) {
      this.userId = userId;
    }

    long lastTime() {
      return checkpoints.isEmpty() ? 0 : checkpoints.get(checkpoints.size() - 1)[0];
    }

    long lastClock() {
      return checkpoints.isEmpty() ? 0 : checkpoints.get(checkpoints.size() - 1)[1];
    }

    /** The clock reached before {@code sinceMs} (items from it on were inserted since then). */
    long clockBefore(long sinceMs) {
      long clock = 0;
      for (long[] c : checkpoints) {
        if (c[0] >= sinceMs) {
          break;
        }
        clock = c[1];
      }
      return clock;
    }
  }

  private record Deletion(String userId, long timeMs, long client, long clock, long len) { }

  /** Client id → author, least recently active first (access order is kept by re-inserting). */
  private final LinkedHashMap<Long, ClientAuthor> clients = new LinkedHashMap<>();
  private final ArrayDeque<Deletion> deletions = new ArrayDeque<>();
  private long completeSinceMs;

  long completeSinceMs() {
    return completeSinceMs;
  }

  /** A user's update carried structs of {@code client} up to {@code end} at {@code timeMs}. */
  void inserted(String userId, long client, long end, long timeMs) {
    if (client == YRevert.SERVER_CLIENT) {
      return; // the server's own restored items belong to no participant
    }
    ClientAuthor a = clients.remove(client);
    if (a == null) {
      a = new ClientAuthor(userId);
    }
    clients.put(client, a); // most recently active last
    if (end <= a.lastClock()) {
      return;
    }
    long[] last = a.checkpoints.isEmpty() ? null : a.checkpoints.get(a.checkpoints.size() - 1);
    if (last != null && last[0] / SECOND_MS == timeMs / SECOND_MS) {
      last[0] = Math.max(last[0], timeMs);
      last[1] = end;
    } else {
      a.checkpoints.add(new long[] {timeMs, end});
    }
    if (a.checkpoints.size() > MAX_CHECKPOINTS) {
      int half = a.checkpoints.size() / 2;
      ArrayList<long[]> kept = new ArrayList<>(MAX_CHECKPOINTS);
      for (int i = 0; i < a.checkpoints.size(); i++) {
        if (i >= half || i % 2 == 0) {
          kept.add(a.checkpoints.get(i));
        }
      }
      a.checkpoints.clear();
      a.checkpoints.addAll(kept);
    }
    while (clients.size() > MAX_CLIENTS) {
      Iterator<Map.Entry<Long, ClientAuthor>> it = clients.entrySet().iterator();
      ClientAuthor dropped = it.next().getValue();
      it.remove();
      completeSinceMs = Math.max(completeSinceMs, dropped.lastTime() + 1);
    }
  }

  /** A user's update newly deleted [clock, clock + len) of {@code client} at {@code timeMs}. */
  void deleted(String userId, long client, long clock, long len, long timeMs) {
    Deletion last = deletions.peekLast();
    if (last != null && last.userId().equals(userId) && last.client() == client
        && last.timeMs() / SECOND_MS == timeMs / SECOND_MS
        && clock <= last.clock() + last.len() && clock + len >= last.clock()) {
      // backspacing or deleting forwards: one range
      long from = Math.min(clock, last.clock());
      long to = Math.max(clock + len, last.clock() + last.len());
      deletions.pollLast();
      deletions.addLast(new Deletion(userId, Math.max(timeMs, last.timeMs()), client, from, to - from));
    } else {
      deletions.addLast(new Deletion(userId, timeMs, client, clock, len));
    }
    while (deletions.size() > MAX_DELETIONS) {
      Deletion dropped = deletions.pollFirst();
      completeSinceMs = Math.max(completeSinceMs, dropped.timeMs() + 1);
    }
  }

  /** The first clock since {@code sinceMs} of each client id of the user that wrote since then. */
  Map<Long, Long> insertedSince(String userId, long sinceMs) {
    Map<Long, Long> out = new TreeMap<>();
    for (Map.Entry<Long, ClientAuthor> e : clients.entrySet()) {
      ClientAuthor a = e.getValue();
      if (a.userId.equals(userId)) {
        long from = a.clockBefore(sinceMs);
        if (from < a.lastClock()) {
          out.put(e.getKey(), from);
        }
      }
    }
    return out;
  }

  /** What the user's updates newly deleted since {@code sinceMs}. */
  YDeleteSet deletedSince(String userId, long sinceMs) {
    YDeleteSet out = new YDeleteSet();
    for (Deletion d : deletions) {
      if (d.userId().equals(userId) && d.timeMs() >= sinceMs) {
        out.add(d.client(), d.clock(), d.len());
      }
    }
    return out;
  }

  /** Drops the user's deletions since {@code sinceMs} (a revert wrote them again). */
  void forgetDeletions(String userId, long sinceMs) {
    deletions.removeIf(d -> d.userId().equals(userId) && d.timeMs() >= sinceMs);
  }

  // ------------------------------------------------------------------------------------------
  // Records
  // ------------------------------------------------------------------------------------------

  void writeTo(DocumentRecord.Builder b) {
    for (Map.Entry<Long, ClientAuthor> e : clients.entrySet()) {
      DocClientAuthor.Builder c = DocClientAuthor.newBuilder()
          .setClient(e.getKey()).setUserId(e.getValue().userId);
      for (long[] cp : e.getValue().checkpoints) {
        c.addTimesMs(cp[0]).addClocks(cp[1]);
      }
      b.addClientAuthors(c);
    }
    for (Deletion d : deletions) {
      b.addDeletions(DocDeletion.newBuilder().setUserId(d.userId()).setTimeMs(d.timeMs())
          .setClient(d.client()).setClock(d.clock()).setLen(d.len()));
    }
    b.setHistoryCompleteSinceMs(completeSinceMs);
  }

  static DocAuthorship of(DocumentRecord r) {
    DocAuthorship a = new DocAuthorship();
    for (DocClientAuthor c : r.getClientAuthorsList()) {
      ClientAuthor ca = new ClientAuthor(c.getUserId());
      int n = Math.min(c.getTimesMsCount(), c.getClocksCount());
      for (int i = 0; i < n; i++) {
        ca.checkpoints.add(new long[] {c.getTimesMs(i), c.getClocks(i)});
      }
      a.clients.put(c.getClient(), ca);
    }
    for (DocDeletion d : r.getDeletionsList()) {
      a.deletions.addLast(new Deletion(d.getUserId(), d.getTimeMs(), d.getClient(), d.getClock(), d.getLen()));
    }
    a.completeSinceMs = r.getHistoryCompleteSinceMs();
    return a;
  }

  /** For tests: the client ids known, least recently active first. */
  List<Long> clientIds() {
    return new ArrayList<>(clients.keySet());
  }
}
