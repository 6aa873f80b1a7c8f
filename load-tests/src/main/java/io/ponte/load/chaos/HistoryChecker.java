package io.ponte.load.chaos;

import io.ponte.load.chaos.History.Acked;
import io.ponte.load.chaos.History.Entry;
import io.ponte.load.chaos.History.Joined;
import io.ponte.load.chaos.History.Note;
import io.ponte.load.chaos.History.Received;
import io.ponte.load.chaos.History.Sent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads a whole chaos history afterwards and checks Ponte's guarantees against it and against
 * what the store holds. Pure: no I/O, no clock; {@link #check} gives the same answer for the same
 * input, so a violation can be planted in a unit test.
 *
 * <p>Checked:
 * <ul>
 *   <li>no acknowledged operation missing: the store holds the acked client message id, with the
 *       content that was sent, at the acked seq (a duplicate ack: at some seq);
 *   <li>no seq with two contents within one epoch, across the store, the acks and every client;
 *   <li>the store's seqs of each room are gap-free (a {@code skipped} placeholder, or any kind the
 *       checker does not know, occupies its seq);
 *   <li>each client's received seqs are gap-free and without repeats within an epoch, a resume
 *       ends exactly at the Joined's seq, and only a reset changes the epoch;
 *   <li>no client message id applied twice (clients received its content at two stored seqs, or
 *       it was acked with two different seqs; a retry sequenced again and rejected as a duplicate
 *       is stored too, and arrives everywhere as {@code skipped});
 *   <li>every replica of a Yjs document (each node, each client, the store) has the same state;
 *   <li>no room left stuck: a post after the faults stopped was acknowledged.
 * </ul>
 */
public final class HistoryChecker {
  /** One operation row of the store: {@code kind} and {@code hash} as in {@link History}. */
  public record StoredOp(String room, long seq, String cmid, String kind, String hash) { }

  /** The store after the run: each room's epoch and its operation rows. */
  public record StoreView(Map<String, String> epochs, List<StoredOp> ops) { }

  /** One replica of a document's final state ({@code state}: a normalised description). */
  public record DocReplica(String source, String room, String docId, String state) { }

  /** The post that checks a room is not stuck, through one node, after the faults stopped. */
  public record Probe(String room, String via, boolean acked, String detail) { }

  /** A broken guarantee and the smallest part of the history that shows it. */
  public record Violation(String rule, String message, List<String> excerpt) { }

  /** The verdict. */
  public record Result(long seed, List<Violation> violations, Map<String, Long> counts) {
    public boolean ok() {
      return violations.isEmpty();
    }

    /** A summary, and every violation with its excerpt and the seed to replay. */
    public String describe() {
      StringBuilder sb = new StringBuilder();
      sb.append("history check, seed ").append(seed).append(": ")
          .append(ok() ? "no violations" : violations.size() + " violation(s)").append('\n');
      counts.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
      int shown = 0;
      for (Violation v : violations) {
        if (++shown > 20) {
          sb.append("... and ").append(violations.size() - 20).append(" more\n");
          break;
        }
        sb.append("VIOLATION [").append(v.rule()).append("] ").append(v.message())
            .append(" (replay: --seed ").append(seed).append(")\n");
        for (String line : v.excerpt()) {
          sb.append("    ").append(line).append('\n');
        }
      }
      return sb.toString();
    }
  }

  private static final Set<String> COMPARED = Set.of("chat", "doc", "doc-create");

  private HistoryChecker() { }

  public static Result check(long seed, List<Entry> history, StoreView store, List<DocReplica> docs,
      List<Probe> probes) {
    List<Violation> out = new ArrayList<>();
    Map<String, Long> counts = new LinkedHashMap<>();
    Map<String, StoredOp> storeBySeq = new HashMap<>();
    Map<String, List<StoredOp>> storeByCmid = new HashMap<>();
    Map<String, TreeMap<Long, StoredOp>> storeByRoom = new TreeMap<>();
    for (StoredOp op : store.ops()) {
      storeBySeq.put(op.room() + "#" + op.seq(), op);
      if (!op.cmid().isEmpty()) {
        storeByCmid.computeIfAbsent(op.room() + "/" + op.cmid(), k -> new ArrayList<>()).add(op);
      }
      storeByRoom.computeIfAbsent(op.room(), k -> new TreeMap<>()).put(op.seq(), op);
    }
    Map<String, List<Entry>> byCmid = new HashMap<>();
    Map<String, Sent> sentByCmid = new HashMap<>();
    for (Entry e : history) {
      if (e instanceof Sent s) {
        byCmid.computeIfAbsent(s.room() + "/" + s.cmid(), k -> new ArrayList<>()).add(e);
        sentByCmid.putIfAbsent(s.room() + "/" + s.cmid(), s);
      } else if (e instanceof Acked a) {
        byCmid.computeIfAbsent(a.room() + "/" + a.cmid(), k -> new ArrayList<>()).add(e);
      }
    }

    checkAcked(history, store, storeBySeq, storeByCmid, byCmid, sentByCmid, out);
    checkDuplicates(history, storeByCmid, byCmid, out);
    checkContents(history, store, storeBySeq, sentByCmid, out);
    checkStoreGaps(storeByRoom, out);
    checkClients(history, out);
    checkDocs(docs, out);
    for (Probe p : probes) {
      if (!p.acked()) {
        out.add(new Violation("room-stuck", "room " + p.room() + " did not acknowledge a post via "
            + p.via() + " after the faults stopped", List.of(p.detail())));
      }
    }

    long sent = 0;
    long acked = 0;
    long dupAcks = 0;
    long received = 0;
    long resets = 0;
    long resumes = 0;
    long faults = 0;
    Set<String> clients = new TreeSet<>();
    for (Entry e : history) {
      clients.add(e.client());
      if (e instanceof Sent) {
        sent++;
      } else if (e instanceof Acked a) {
        acked++;
        if (a.duplicate()) {
          dupAcks++;
        }
      } else if (e instanceof Received) {
        received++;
      } else if (e instanceof Joined j) {
        if (j.reset()) {
          resets++;
        } else {
          resumes++;
        }
      } else if (e instanceof Note n && n.text().startsWith("fault ")) {
        faults++;
      }
    }
    clients.remove("harness");
    counts.put("clients", (long) clients.size());
    counts.put("faults injected", faults);
    counts.put("requests sent (retries included)", sent);
    counts.put("acks", acked);
    counts.put("duplicate acks (retries)", dupAcks);
    counts.put("events received", received);
    counts.put("joins with reset", resets);
    counts.put("resumes", resumes);
    counts.put("rooms in store", (long) storeByRoom.size());
    counts.put("operations in store", (long) store.ops().size());
    counts.put("document replicas compared", (long) docs.size());
    counts.put("stuck-room probes", (long) probes.size());
    counts.put("violations", (long) out.size());
    return new Result(seed, List.copyOf(out), counts);
  }

  private static void checkAcked(List<Entry> history, StoreView store, Map<String, StoredOp> storeBySeq,
      Map<String, List<StoredOp>> storeByCmid, Map<String, List<Entry>> byCmid,
      Map<String, Sent> sentByCmid, List<Violation> out) {
    Map<String, Long> ackedSeq = new HashMap<>();
    for (Entry e : history) {
      if (!(e instanceof Acked a)) {
        continue;
      }
      String key = a.room() + "/" + a.cmid();
      Sent s = sentByCmid.get(key);
      List<StoredOp> rows = storeByCmid.getOrDefault(key, List.of());
      if (a.duplicate()) {
        if (rows.isEmpty() && !"doc".equals(s == null ? "" : s.kind())) {
          out.add(new Violation("acked-missing", "acknowledged (as a retry) " + key
              + " is nowhere in the store", excerpt(byCmid.get(key), rows)));
        }
        continue;
      }
      Long before = ackedSeq.putIfAbsent(key, a.seq());
      if (before != null && before != a.seq()) {
        out.add(new Violation("applied-twice", key + " acknowledged with seq " + before + " and "
            + a.seq(), excerpt(byCmid.get(key), rows)));
      }
      String storeEpoch = store.epochs().get(a.room());
      StoredOp at = storeBySeq.get(a.room() + "#" + a.seq());
      boolean sameEpoch = a.epoch().equals(storeEpoch);
      if (sameEpoch ? at == null || !a.cmid().equals(at.cmid()) : rows.isEmpty()) {
        List<StoredOp> shown = new ArrayList<>(rows);
        if (at != null && !shown.contains(at)) {
          shown.add(at);
        }
        out.add(new Violation("acked-missing", "acknowledged " + key + " (seq " + a.seq()
            + ", epoch " + a.epoch() + ") is not in the store" + (at == null ? "" : " at that seq")
            + (sameEpoch ? "" : " (store epoch " + storeEpoch + ")"),
            excerpt(byCmid.get(key), shown)));
      } else if (s != null && at != null && sameEpoch && !s.hash().equals(at.hash())) {
        out.add(new Violation("acked-content", "acknowledged " + key + " is stored with other content",
            excerpt(byCmid.get(key), List.of(at))));
      }
    }
  }

  /**
   * A client message id stored at several seqs is applied twice only if clients saw its content
   * at more than one of them: a retry sequenced a second time is stored too, and every node
   * rejects it when applying it (everyone receives that seq as {@code skipped}).
   */
  private static void checkDuplicates(List<Entry> history, Map<String, List<StoredOp>> storeByCmid,
      Map<String, List<Entry>> byCmid, List<Violation> out) {
    Set<String> applied = new java.util.HashSet<>();
    for (Entry e : history) {
      if (e instanceof Received r && !r.kind().equals("skipped")) {
        applied.add(r.room() + "#" + r.seq());
      }
    }
    for (Map.Entry<String, List<StoredOp>> e : storeByCmid.entrySet()) {
      List<StoredOp> seen = e.getValue().stream().filter(op -> applied.contains(op.room() + "#" + op.seq())).toList();
      if (seen.size() > 1) {
        out.add(new Violation("applied-twice", "client message id " + e.getKey() + " was applied at "
            + seen.size() + " seqs", excerpt(byCmid.get(e.getKey()), e.getValue())));
      }
    }
  }

  private static void checkContents(List<Entry> history, StoreView store, Map<String, StoredOp> storeBySeq,
      Map<String, Sent> sentByCmid, List<Violation> out) {
    // (room, epoch, seq) -> content hash -> the first witness of it
    Map<String, Map<String, String>> seen = new TreeMap<>();
    for (StoredOp op : store.ops()) {
      if (COMPARED.contains(op.kind())) {
        String epoch = store.epochs().getOrDefault(op.room(), "?");
        seen.computeIfAbsent(op.room() + " epoch " + epoch + " seq " + op.seq(), k -> new TreeMap<>())
            .putIfAbsent(op.hash(), "store: " + op);
      }
    }
    for (Entry e : history) {
      if (e instanceof Received r && COMPARED.contains(r.kind())) {
        seen.computeIfAbsent(r.room() + " epoch " + r.epoch() + " seq " + r.seq(), k -> new TreeMap<>())
            .putIfAbsent(r.hash(), r.toString());
      } else if (e instanceof Acked a && !a.duplicate()) {
        Sent s = sentByCmid.get(a.room() + "/" + a.cmid());
        if (s != null) {
          seen.computeIfAbsent(a.room() + " epoch " + a.epoch() + " seq " + a.seq(), k -> new TreeMap<>())
              .putIfAbsent(s.hash(), s + " then " + a);
        }
      }
    }
    for (Map.Entry<String, Map<String, String>> e : seen.entrySet()) {
      if (e.getValue().size() > 1) {
        out.add(new Violation("two-contents", e.getKey() + " has " + e.getValue().size()
            + " different contents", List.copyOf(e.getValue().values())));
      }
    }
  }

  private static void checkStoreGaps(Map<String, TreeMap<Long, StoredOp>> storeByRoom, List<Violation> out) {
    for (Map.Entry<String, TreeMap<Long, StoredOp>> e : storeByRoom.entrySet()) {
      long expect = e.getValue().firstKey();
      for (long seq : e.getValue().keySet()) {
        if (seq != expect) {
          out.add(new Violation("store-gap", "room " + e.getKey() + ": the store has no seq "
              + (seq - 1 == expect ? expect : expect + ".." + (seq - 1)),
              List.of("store: " + e.getValue().lowerEntry(expect).getValue(), "store: " + e.getValue().get(seq))));
        }
        expect = seq + 1;
      }
    }
  }

  /** Per client and room: gap-free, no repeats, resumes exact, epoch changes only by reset. */
  private static void checkClients(List<Entry> history, List<Violation> out) {
    final class State {
      long last = -1;
      String epoch;
      final Deque<Entry> recent = new ArrayDeque<>();

      void remember(Entry e) {
        recent.addLast(e);
        if (recent.size() > 4) {
          recent.removeFirst();
        }
      }

      List<String> excerpt(Entry e) {
        List<String> lines = new ArrayList<>();
        recent.forEach(r -> lines.add(r.toString()));
        lines.add(e + "   <-- here");
        return lines;
      }
    }
    Map<String, State> states = new HashMap<>();
    Set<String> reported = new java.util.HashSet<>();
    for (Entry e : history) {
      String key;
      if (e instanceof Received r) {
        key = r.client() + " in " + r.room();
      } else if (e instanceof Joined j) {
        key = j.client() + " in " + j.room();
      } else {
        continue;
      }
      State s = states.computeIfAbsent(key, k -> new State());
      String problem = null;
      if (e instanceof Joined j) {
        if (j.reset()) {
          s.last = j.seq();
          s.epoch = j.epoch();
        } else {
          if (s.epoch != null && !s.epoch.equals(j.epoch())) {
            problem = "resumed into epoch " + j.epoch() + " from " + s.epoch + " without a reset";
          } else if (s.last != j.seq()) {
            problem = "resume ended at seq " + s.last + " but the room is at " + j.seq();
          }
          s.last = j.seq();
          s.epoch = j.epoch();
        }
      } else if (e instanceof Received r) {
        if (s.last < 0) {
          problem = "event before any Joined";
        } else if (r.seq() <= s.last) {
          problem = "seq " + r.seq() + " received again (last was " + s.last + ")";
        } else if (r.seq() != s.last + 1) {
          problem = "gap: seqs " + (s.last + 1) + ".." + (r.seq() - 1) + " never received";
        }
        if (r.seq() > s.last) {
          s.last = r.seq();
        }
      }
      // One report per client and room and rule is enough to replay it.
      if (problem != null && reported.add(key + problem.split(" ")[0])) {
        out.add(new Violation("client-order", key + ": " + problem, s.excerpt(e)));
      }
      s.remember(e);
    }
  }

  private static void checkDocs(List<DocReplica> docs, List<Violation> out) {
    Map<String, Map<String, List<String>>> byDoc = new TreeMap<>();
    for (DocReplica d : docs) {
      byDoc.computeIfAbsent(d.room() + "/" + d.docId(), k -> new LinkedHashMap<>())
          .computeIfAbsent(d.state(), k -> new ArrayList<>()).add(d.source());
    }
    for (Map.Entry<String, Map<String, List<String>>> e : byDoc.entrySet()) {
      if (e.getValue().size() > 1) {
        List<String> lines = new ArrayList<>();
        e.getValue().forEach((state, sources) -> lines.add(sources + " have " + state));
        out.add(new Violation("doc-diverged", "document " + e.getKey() + " has "
            + e.getValue().size() + " different states", lines));
      }
    }
  }

  private static List<String> excerpt(List<Entry> entries, List<StoredOp> rows) {
    List<String> lines = new ArrayList<>();
    if (entries != null) {
      entries.forEach(e -> lines.add(e.toString()));
    }
    rows.forEach(r -> lines.add("store: " + r));
    if (rows.isEmpty()) {
      lines.add("store: (no row with this client message id)");
    }
    return lines;
  }
}
