package io.ponte.load;

import io.ponte.protocol.WireFormat;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a run is configured with. The command line fills it (see {@link LoadMain}); tests
 * build it directly. Defaults are small so that a bare command is harmless.
 */
public final class LoadOptions {
  /** WebSocket endpoints (ws://host:port/ws); participants are spread over them round-robin. */
  public List<URI> urls = new ArrayList<>(List.of(URI.create("ws://127.0.0.1:8080/ws")));
  public int rooms = 10;
  /** Participants per room (in the classroom scenario: one teacher plus students). */
  public int roomSize = 30;
  /** Room ids are {@code <roomPrefix>-<n>}; tokens grant {@code <roomPrefix>-*}. */
  public String roomPrefix = "load";
  /** Chat posts per second per participant. */
  public double rate = 1.0;
  public Duration duration = Duration.ofSeconds(30);
  public Duration warmup = Duration.ofSeconds(5);
  /** New connections per second while connecting. */
  public double rampUp = 500;
  public WireFormat format = WireFormat.PROTO;
  /** HS256 secret to mint tokens with; or {@link #tokenFile}. */
  public String jwtSecret;
  /** One token per line, used in order (they must grant the rooms). */
  public Path tokenFile;
  /** Local addresses to bind (127.0.0.x), round-robin, for more than ~60,000 connections. */
  public List<String> sourceAddresses = new ArrayList<>();
  /** Admin API token: when set, the rooms are created first (an existing room is fine). */
  public String adminToken;
  public Path reportDir = Path.of("load-reports");
  /** Seconds between progress lines (0: none). */
  public int progressSeconds = 5;
  /** Seconds between /metrics scrapes (0: no scraping). */
  public int scrapeSeconds = 2;
  /** Characters of chat text (the timestamp prefix included). */
  public int messageSize = 64;
  /** Vert.x event loops of the generator (0: number of cores). */
  public int eventLoops = 0;
  /** Connection attempts per participant before it counts as failed. */
  public int connectAttempts = 5;
  /** How long to wait for deliveries to settle after the last send. */
  public Duration drain = Duration.ofSeconds(5);
  /** Print progress and the summary to stdout. */
  public boolean quiet = false;
  /** Offer permessage-deflate on every connection, as browsers do (the server may decline). */
  public boolean compression = true;
  /** Who is driven: a Ponte node, or a peer server for comparison (fewer steps: see {@link Peer}). */
  public Peer peer = Peer.NONE;
  /** Process id of the server when on this machine: its CPU time and RSS are read from /proc (0: not read). */
  public long serverPid = 0;

  /** Which socket a docs participant opens (docs scenario). */
  public enum DocEndpoint {
    /** The Ponte protocol on /ws (DocUpdate, DocUpdated). */
    WS,
    /** y-websocket framing on /yjs/{room}/{doc}, one socket per document. */
    YJS,
    /** Hocuspocus framing on /hocuspocus, one socket per document. */
    HOCUSPOCUS
  }

  /** A server other than Ponte driven by the same scenarios, for ratios. */
  public enum Peer {
    NONE,
    /**
     * A plain Hocuspocus server (docs with endpoint hocuspocus): any token, no admin API,
     * documents created on open, the --url path used as given.
     */
    HOCUSPOCUS,
    /** A Socket.IO chat server (idle, chat) spoken to as Engine.IO v4 over WebSocket. */
    SOCKETIO
  }

  public DocEndpoint docEndpoint = DocEndpoint.WS;

  // storm
  public int storms = 1;
  /** Time of steady chat before (and between) storms. */
  public Duration stormInterval = Duration.ofSeconds(5);
  /** Chat posts per second per room of the writer that keeps posting while everyone is away. */
  public double writerRate = 5;
  /** Each participant waits a random 0..jitter before reconnecting (0: all at once). */
  public Duration reconnectJitter = Duration.ZERO;
  /**
   * Like a browser's outbox (the SDK's): a post unanswered when its socket closed is sent again,
   * same client message id, once the room is resumed; one refused as retryable, after its delay.
   */
  public boolean resend;
  /** Keep every acked post's client message id and seq (LoadResult.ackedPosts), for checks. */
  public boolean recordAcks;
  /**
   * Runs on the run's thread as soon as the measured window opens (a rolling restart); the window
   * then lasts until it returns and at least {@link #duration}. Not a command-line option.
   */
  public java.util.concurrent.Callable<?> duringMeasurement;

  // classroom
  /** Probability that a student announces typing before a post. */
  public double typingProbability = 0.5;
  /** Fraction of students that leave and rejoin per minute. */
  public double churnPerMinute = 0.2;
  /** Time between teacher actions per room (student chat off/on, lock/unlock). */
  public Duration teacherActionInterval = Duration.ofSeconds(10);
  /** Teachers per room (classroom); the rest of the room size are students. */
  public int teachers = 1;
  /** Rooms are created with lobby: everyone; teachers admit every knock (learners wait first). */
  public boolean lobby;
  /** Time between polls per room (teacher creates and opens, learners answer, closed and shared halfway); 0: none. */
  public Duration pollInterval = Duration.ZERO;
  /** Breakouts per round (classroom): one round per room, opened a quarter into the measured window
   * and closed at three quarters; 0: none. */
  public int breakouts;
  /** Chat posts per second of the teacher. */
  public double teacherRate = 0.2;

  // documents (docs scenario; classroom)
  /** Participants per room typing into the room's document at the same time. */
  public int typists = 0;
  /** Keystrokes per second per typist (each one a Yjs update of one character). */
  public double docRate = 5;
  /** The document's id in every room. */
  public String docId = "notes";
  /** Name of the root Y.Text the typists insert into. */
  public String docRoot = "content";

  // whiteboard (ink scenario; classroom)
  /** Participants per room drawing on the room's board at the same time (classroom: students). */
  public int drawers = 0;
  /** Time between a drawer's live ink chunks (browsers coalesce pointer events to 30-50 ms). */
  public Duration inkInterval = Duration.ofMillis(40);
  /** New points per chunk: a random number in [min, max]. */
  public int inkMinPoints = 4;
  public int inkMaxPoints = 8;
  /** The board's id in every room (each run draws on a page of its own). */
  public String boardId = "load-board";

  public LoadOptions copy() {
    LoadOptions o = new LoadOptions();
    o.urls = new ArrayList<>(urls);
    o.rooms = rooms;
    o.roomSize = roomSize;
    o.roomPrefix = roomPrefix;
    o.rate = rate;
    o.duration = duration;
    o.warmup = warmup;
    o.rampUp = rampUp;
    o.format = format;
    o.jwtSecret = jwtSecret;
    o.tokenFile = tokenFile;
    o.sourceAddresses = new ArrayList<>(sourceAddresses);
    o.adminToken = adminToken;
    o.reportDir = reportDir;
    o.progressSeconds = progressSeconds;
    o.scrapeSeconds = scrapeSeconds;
    o.messageSize = messageSize;
    o.eventLoops = eventLoops;
    o.connectAttempts = connectAttempts;
    o.drain = drain;
    o.quiet = quiet;
    o.compression = compression;
    o.peer = peer;
    o.serverPid = serverPid;
    o.docEndpoint = docEndpoint;
    o.storms = storms;
    o.stormInterval = stormInterval;
    o.writerRate = writerRate;
    o.reconnectJitter = reconnectJitter;
    o.resend = resend;
    o.recordAcks = recordAcks;
    o.duringMeasurement = duringMeasurement;
    o.typingProbability = typingProbability;
    o.churnPerMinute = churnPerMinute;
    o.teacherActionInterval = teacherActionInterval;
    o.teacherRate = teacherRate;
    o.teachers = teachers;
    o.lobby = lobby;
    o.pollInterval = pollInterval;
    o.breakouts = breakouts;
    o.typists = typists;
    o.docRate = docRate;
    o.docId = docId;
    o.docRoot = docRoot;
    o.drawers = drawers;
    o.inkInterval = inkInterval;
    o.inkMinPoints = inkMinPoints;
    o.inkMaxPoints = inkMaxPoints;
    o.boardId = boardId;
    return o;
  }

  void validate() {
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("--url: at least one");
    }
    for (URI u : urls) {
      if (!"ws".equals(u.getScheme()) && !"wss".equals(u.getScheme())) {
        throw new IllegalArgumentException("--url: ws:// or wss:// expected, got " + u);
      }
    }
    if (rooms < 1 || roomSize < 1) {
      throw new IllegalArgumentException("--rooms and --room-size: at least 1");
    }
    if (rate < 0 || writerRate < 0 || teacherRate < 0) {
      throw new IllegalArgumentException("rates must not be negative");
    }
    if (typists < 0 || typists > roomSize || docRate < 0) {
      throw new IllegalArgumentException("--typists: 0 to --room-size; document rates must not be negative");
    }
    if (!docId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("--doc-id: 1-64 characters of [A-Za-z0-9._-]");
    }
    if (drawers < 0 || drawers > roomSize) {
      throw new IllegalArgumentException("--drawers: 0 to --room-size");
    }
    if (inkInterval.toMillis() < 1) {
      throw new IllegalArgumentException("--ink-interval: at least 1 ms");
    }
    if (inkMinPoints < 1 || inkMaxPoints < inkMinPoints) {
      throw new IllegalArgumentException("--points-per-chunk: MIN-MAX with 1 <= MIN <= MAX");
    }
    if (!boardId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("--board-id: 1-64 characters of [A-Za-z0-9._-]");
    }
    if (rampUp <= 0) {
      throw new IllegalArgumentException("--ramp-up: connections per second, above 0");
    }
    if (peer == Peer.HOCUSPOCUS && docEndpoint != DocEndpoint.HOCUSPOCUS) {
      throw new IllegalArgumentException("--peer hocuspocus: with --endpoint hocuspocus");
    }
    if (peer == Peer.NONE && (jwtSecret == null) == (tokenFile == null)) {
      throw new IllegalArgumentException("give exactly one of --jwt-secret and --token-file");
    }
    if (jwtSecret != null && jwtSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
      throw new IllegalArgumentException("--jwt-secret: at least 32 bytes");
    }
    if (messageSize < 24) {
      throw new IllegalArgumentException("--message-size: at least 24 characters");
    }
  }
}
