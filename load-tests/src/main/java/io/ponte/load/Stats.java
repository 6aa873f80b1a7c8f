package io.ponte.load;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/** Counters and histograms shared by every participant (thread-safe). */
final class Stats {
  /** Send-to-receipt latency of live chat events, microseconds. */
  final Recorder latency = new Recorder(3);
  /** WebSocket connect + Hello to Welcome, microseconds. */
  final Recorder connect = new Recorder(3);
  /** WebSocket connect (TCP + upgrade), microseconds. */
  final Recorder upgrade = new Recorder(3);
  /** Hello to Welcome, microseconds. */
  final Recorder hello = new Recorder(3);
  /** Join to Joined, microseconds. */
  final Recorder join = new Recorder(3);
  /** Drop to every room of the participant resumed (storm, auto-resume), microseconds. */
  final Recorder resume = new Recorder(3);

  /** Send-to-receipt latency of live document updates, microseconds. */
  final Recorder docLatency = new Recorder(3);
  /** Send times of keystrokes by typist (Yjs client id), indexed by clock modulo the size. */
  static final int DOC_SEND_TIMES = 1 << 13;
  final Map<Long, java.util.concurrent.atomic.AtomicLongArray> docSendTimes = new ConcurrentHashMap<>();
  final LongAdder docSent = new LongAdder();
  final LongAdder docAcked = new LongAdder();
  final LongAdder docDelivered = new LongAdder();
  final LongAdder docReplayed = new LongAdder();
  final LongAdder docsCreated = new LongAdder();
  final LongAdder docsExisted = new LongAdder();
  final LongAdder docsFailed = new LongAdder();

  /** Send-to-receipt latency of live ink chunks (Event.board_ink), microseconds. */
  final Recorder inkLatency = new Recorder(3);
  /** Send-to-receipt latency of committed strokes (Event.board_changed, ADDED), microseconds. */
  final Recorder commitLatency = new Recorder(3);
  /** Running a class (classroom): a learner's wait in the lobby, from the first LobbyStatus to Joined. */
  final Recorder lobbyWaits = new Recorder(3);
  /** A learner's poll answer, send to ack. */
  final Recorder pollAnswers = new Recorder(3);
  /** A teacher's lobby, poll and breakout requests, send to ack. */
  final Recorder classOps = new Recorder(3);
  final LongAdder lobbyStatuses = new LongAdder();
  final LongAdder pollsRun = new LongAdder();
  /** Breakouts: when the leading teachers sent the round's create and its close (0: not yet). */
  volatile long breakoutCreateSentNanos;
  volatile long breakoutCloseSentNanos;
  /** Each learner's Joined of their breakout, from the create; their Left of it, from the close. */
  final Recorder breakoutIn = new Recorder(3);
  final Recorder breakoutOut = new Recorder(3);
  final LongAdder breakoutRounds = new LongAdder();
  /** Send times of the strokes being drawn, by stroke id (senders and receivers share this process). */
  final Map<String, StrokeTimes> strokeTimes = new ConcurrentHashMap<>();
  final LongAdder inkSent = new LongAdder();
  final LongAdder inkDelivered = new LongAdder();
  /** A receiver got a chunk past the next point it expected of a stroke (chunks in between lost). */
  final LongAdder inkGaps = new LongAdder();
  /** A receiver got a chunk at or before a point it already had (repeated or out of order). */
  final LongAdder inkReordered = new LongAdder();
  final LongAdder commitsSent = new LongAdder();
  final LongAdder commitsAcked = new LongAdder();
  final LongAdder commitsDelivered = new LongAdder();
  final LongAdder boardsCreated = new LongAdder();
  final LongAdder boardsExisted = new LongAdder();
  final LongAdder boardsFailed = new LongAdder();

  /** When one stroke's chunks (by first_index) and its commit were sent, nanoTime; 0: not (yet). */
  static final class StrokeTimes {
    final java.util.concurrent.atomic.AtomicLongArray chunks;
    volatile long committed;

    StrokeTimes(int points) {
      chunks = new java.util.concurrent.atomic.AtomicLongArray(points);
    }

    long chunk(int firstIndex) {
      return firstIndex >= 0 && firstIndex < chunks.length() ? chunks.get(firstIndex) : 0;
    }
  }

  final LongAdder sent = new LongAdder();
  final LongAdder acked = new LongAdder();
  /** --resend: posts sent again after a reconnect (unanswered when their socket closed). */
  final LongAdder resent = new LongAdder();
  /** --resend: of those, acked as duplicates (the server had read and sequenced them). */
  final LongAdder resentDuplicates = new LongAdder();
  /** --resend: posts sent again after a retryable refusal (UNAVAILABLE). */
  final LongAdder retried = new LongAdder();
  /** With LoadOptions.recordAcks: every acked post, "room/clientMsgId" -> seq. */
  final java.util.concurrent.ConcurrentHashMap<String, Long> ackedPosts = new java.util.concurrent.ConcurrentHashMap<>();
  /** With LoadOptions.recordAcks: "room/clientMsgId" of the posts sent again after a retryable refusal. */
  final java.util.Set<String> retriedPosts = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** Live chat events received (every receiver, the sender included). */
  final LongAdder delivered = new LongAdder();
  /** Chat events received as Joined.missed on a resume. */
  final LongAdder replayed = new LongAdder();
  final LongAdder skippedEvents = new LongAdder();
  final LongAdder otherEvents = new LongAdder();
  final LongAdder ephemeral = new LongAdder();
  final LongAdder typingSent = new LongAdder();
  final LongAdder teacherActions = new LongAdder();
  final LongAdder leaves = new LongAdder();
  final LongAdder rejoins = new LongAdder();
  final LongAdder missed = new LongAdder();
  final LongAdder duplicates = new LongAdder();
  /** Events for a room the participant was not in. */
  final LongAdder strayEvents = new LongAdder();
  /** Resumes answered with reset=true (a failure to resume). */
  final LongAdder resumeResets = new LongAdder();
  final LongAdder resumesOk = new LongAdder();
  /** Posts not sent because the connection's write queue was full (generator-side backpressure). */
  final LongAdder sendsSkipped = new LongAdder();
  final LongAdder connectFailures = new LongAdder();
  final LongAdder joinFailures = new LongAdder();
  final AtomicInteger connected = new AtomicInteger();
  final AtomicInteger ready = new AtomicInteger();
  final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  final Map<String, LongAdder> expectedErrors = new ConcurrentHashMap<>();
  final Map<String, LongAdder> closes = new ConcurrentHashMap<>();
  final Map<String, LongAdder> connectErrors = new ConcurrentHashMap<>();

  /** Connections (each open, reconnects included) that negotiated permessage-deflate, and not. */
  final LongAdder compressed = new LongAdder();
  final LongAdder uncompressed = new LongAdder();
  /** Updates a Yjs provider got back from its own client id (the server echoed it). */
  final LongAdder docEchoes = new LongAdder();
  /** Clock of each typist's next keystroke (Yjs client id to clock): what every receiver must reach. */
  final Map<Long, Long> docFinalClocks = new ConcurrentHashMap<>();

  /** Counts whether the server accepted permessage-deflate on a freshly opened socket. */
  void countCompression(io.vertx.core.http.WebSocket socket) {
    // The handshake response headers are only there right after the upgrade.
    io.vertx.core.MultiMap h = socket.headers();
    String ext = h == null ? null : h.get("Sec-WebSocket-Extensions");
    (ext != null && ext.contains("permessage-deflate") ? compressed : uncompressed).increment();
  }

  static void count(Map<String, LongAdder> m, String key) {
    m.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  static long total(Map<String, LongAdder> m) {
    return m.values().stream().mapToLong(LongAdder::sum).sum();
  }
}
