package io.ponte.load;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a run measured; rendered by {@link Report}. */
public final class LoadResult {
  /** One second of the run, client side. Latencies in milliseconds, NaN when nothing arrived. */
  public record Point(double t, boolean measuring, int connections, double sentPerSecond,
      double deliveredPerSecond, double p50, double p90, double p99, double p999, double max) {}

  /** One storm: everyone dropped at once. */
  public record Storm(int participants, int resumed, int failed, double allResumedMs,
      double p50Ms, double p99Ms, long resets) {}

  /** Percentiles of a histogram, milliseconds. */
  public record Percentiles(long count, double p50, double p90, double p99, double p999, double max,
      double mean) {}

  /** Document traffic (docs scenario; classroom with typists); null when there was none. */
  public static final class Docs {
    public int documents;
    public long created;
    public long existed;
    public long createFailures;
    public int typists;
    public long sent;
    public long acked;
    public long delivered;
    public long replayed;
    public long deliveredMeasured;
    public double sentPerSecond;
    public double deliveredPerSecond;
    public Percentiles latency;
    /** Server heap in use (from /metrics, not after a GC) before the documents and after the run. */
    public double heapBeforeBytes = Double.NaN;
    public double heapAfterBytes = Double.NaN;
  }

  /** Whiteboard traffic (ink scenario; classroom with board drawers); null when there was none. */
  public static final class Ink {
    public int boards;
    /** Boards created, or this run's page added to a board an earlier run created. */
    public long boardsCreated;
    /** This run's page was there already. */
    public long boardsExisted;
    public long boardFailures;
    public int drawers;
    /** Live ink chunks (Event.board_ink), each relayed to everyone in the room but its drawer. */
    public long sent;
    public long delivered;
    public long deliveredMeasured;
    public double sentPerSecond;
    public double deliveredPerSecond;
    public Percentiles latency;
    /**
     * Ink scenario: deliveries that never came, sent x (room size - 1) - delivered, after the
     * drain (nobody leaves in it); -1 where it cannot be known (classroom: students come and go).
     */
    public long notDelivered = -1;
    /** Receivers that got a chunk past the next point they expected, or at/before one they had. */
    public long gaps;
    public long reordered;
    /** Committed strokes (ElementsAdd), each delivered to everyone in the room (its drawer too). */
    public long commitsSent;
    public long commitsAcked;
    public long commitsDelivered;
    public double commitsPerSecond;
    public Percentiles commitLatency;
    /** With --server-pid: server CPU over the measured window per delivered ink chunk. */
    public double serverCpuMicrosPerInkDelivery = Double.NaN;
    /** What the server counted as dropped during the run (ponte_messages_dropped_total), by reason. */
    public Map<String, Long> serverDropped = new LinkedHashMap<>();
  }

  /** Running a class (classroom with --lobby, --poll-interval or --breakouts); null when none of them. */
  public static final class ClassRun {
    public boolean lobby;
    public long lobbyStatuses;
    /** Learners' waits in the lobby, first LobbyStatus to Joined (teachers admit on each knock). */
    public Percentiles lobbyWaits;
    public long polls;
    public Percentiles pollAnswers;
    /** Teachers' lobby, poll and breakout requests, send to ack. */
    public Percentiles teacherOps;
    /** Breakout rounds opened (one per room), and the breakouts in each. */
    public long breakoutRounds;
    public int breakoutsPerRound;
    /** Learners entering their breakout: the round's create sent → their Joined (max: everyone in). */
    public Percentiles breakoutIn;
    /** Learners back: the round's close sent → their Left of the breakout (max: everyone back). */
    public Percentiles breakoutOut;
  }

  public String scenario;
  public ClassRun classRun;
  public Docs docs;
  public Ink ink;
  /** Sockets (each open) on which the server accepted the permessage-deflate the client offered, and not. */
  public long compressedSockets;
  public long uncompressedSockets;
  /** With --server-pid: server CPU over the measured window, and per delivery (chat or document update). */
  public double serverCpuSeconds = Double.NaN;
  public double serverCpuMicrosPerDelivery = Double.NaN;
  /** With --server-pid: VmRSS before the load's connections opened and at the end of the measured window. */
  public double serverRssBeforeBytes = Double.NaN;
  public double serverRssAfterBytes = Double.NaN;
  public double serverRssPerConnectionBytes = Double.NaN;
  public String startedAt;
  public Map<String, Object> settings = new LinkedHashMap<>();
  public int participants;
  public int readyParticipants;
  public double measuredSeconds;
  public long sent;
  public long acked;
  /** Clients that gave up connecting (after connect-attempts failed attempts in a row). */
  public int gaveUp;
  /** --resend: posts sent again after their socket closed unanswered / of those acked as duplicates. */
  public long resent;
  public long resentDuplicates;
  /** --resend: posts sent again after a retryable refusal. */
  public long retried;
  /** With recordAcks: every acked post, "room/clientMsgId" -> the seq its ack named. */
  public java.util.Map<String, Long> ackedPosts = java.util.Map.of();
  /** With recordAcks: "room/clientMsgId" of the posts sent again after a retryable refusal. */
  public java.util.Set<String> retriedPosts = java.util.Set.of();
  public long delivered;
  public long deliveredMeasured;
  public double sentPerSecond;
  public double deliveredPerSecond;
  public long replayed;
  public long skippedEvents;
  public long otherEvents;
  public long ephemeralEvents;
  public long typingSent;
  public long teacherActions;
  public long leaves;
  public long rejoins;
  public long missed;
  public long duplicates;
  public long strayEvents;
  /** Participants that ended behind their room's highest seq after the drain. */
  public long laggards;
  public long resumesOk;
  public long resumeResets;
  public long sendsSkipped;
  public long connectFailures;
  public long joinFailures;
  public Percentiles latency;
  public Percentiles connect;
  public Percentiles upgrade;
  public Percentiles hello;
  public Percentiles join;
  public Percentiles resume;
  public List<Storm> storms = new ArrayList<>();
  public Map<String, Long> errors = new LinkedHashMap<>();
  public Map<String, Long> expectedErrors = new LinkedHashMap<>();
  public Map<String, Long> closes = new LinkedHashMap<>();
  public Map<String, Long> connectErrors = new LinkedHashMap<>();
  public List<Point> series = new ArrayList<>();
  public Map<String, List<MetricsScraper.Sample>> server = new LinkedHashMap<>();
  public Map<String, String> scrapeFailures = new LinkedHashMap<>();
  public List<String> notes = new ArrayList<>();
  public Path jsonReport;
  public Path htmlReport;
  public Path textReport;

  /** Unexpected errors in total (error answers not expected by the scenario). */
  public long unexpectedErrors() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Whether the run kept every guarantee: no gaps, no duplicates, no failed resumes. */
  public boolean consistent() {
    return missed == 0 && duplicates == 0 && laggards == 0 && resumeResets == 0 && strayEvents == 0;
  }
}
