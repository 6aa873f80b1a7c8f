package io.ponte.load;

import io.ponte.protocol.WireFormat;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Command line of the load generator: {@code java -jar ponte-load.jar <scenario> [options]}. */
@Command(name = "ponte-load", mixinStandardHelpOptions = true, version = "ponte-load 0.1",
    description = "Load generator for Ponte: simulated participants over the public WebSocket protocol.",
    subcommands = {LoadMain.Idle.class, LoadMain.Chat.class, LoadMain.Storm.class, LoadMain.Classroom.class, LoadMain.Docs.class,
        LoadMain.Ink.class})
public final class LoadMain implements Runnable {
  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new LoadMain());
    cl.registerConverter(Duration.class, LoadMain::duration);
    System.exit(cl.execute(args));
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** "30s", "2m", "500ms", "1h", or plain seconds (the chaos soak's options too). */
  public static Duration duration(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      double n = Double.parseDouble(v.replaceAll("[smh]$", ""));
      double seconds = v.endsWith("m") ? n * 60 : v.endsWith("h") ? n * 3600 : n;
      return Duration.ofMillis(Math.round(seconds * 1000));
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("not a duration: '" + s + "' (e.g. 30s, 2m, 500ms)");
    }
  }

  /** Options every scenario has. */
  static final class Common {
    final LoadOptions o = new LoadOptions();

    @Option(names = "--url", split = ",", paramLabel = "URL",
        description = "WebSocket endpoint(s), ws://host:port/ws; several: round-robin (default ${DEFAULT-VALUE})",
        defaultValue = "ws://127.0.0.1:8080/ws")
    void urls(List<URI> urls) {
      o.urls = new java.util.ArrayList<>(urls);
    }

    @Option(names = "--rooms", description = "rooms (default ${DEFAULT-VALUE})", defaultValue = "10")
    void rooms(int v) {
      o.rooms = v;
    }

    @Option(names = "--room-size", description = "participants per room (default ${DEFAULT-VALUE})", defaultValue = "30")
    void roomSize(int v) {
      o.roomSize = v;
    }

    @Option(names = "--room-prefix", description = "room ids are PREFIX-n (default ${DEFAULT-VALUE})", defaultValue = "load")
    void roomPrefix(String v) {
      o.roomPrefix = v;
    }

    @Option(names = "--duration", description = "measured time (default ${DEFAULT-VALUE})", defaultValue = "30s")
    void duration(Duration v) {
      o.duration = v;
    }

    @Option(names = "--warmup", description = "time before measuring (default ${DEFAULT-VALUE})", defaultValue = "5s")
    void warmup(Duration v) {
      o.warmup = v;
    }

    @Option(names = "--ramp-up", description = "new connections per second (default ${DEFAULT-VALUE})", defaultValue = "500")
    void rampUp(double v) {
      o.rampUp = v;
    }

    @Option(names = "--format", description = "proto or json subprotocol (default ${DEFAULT-VALUE})", defaultValue = "proto")
    void format(String v) {
      o.format = switch (v.toLowerCase(Locale.ROOT)) {
        case "proto", "binary" -> WireFormat.PROTO;
        case "json" -> WireFormat.JSON;
        default -> throw new CommandLine.ParameterException(new CommandLine(this), "--format: proto or json");
      };
    }

    @Option(names = "--jwt-secret", description = "HS256 secret to mint tokens (the server's jwt-secret)")
    void secret(String v) {
      o.jwtSecret = v;
    }

    @Option(names = "--token-file", description = "file with one token per line (instead of --jwt-secret)")
    void tokenFile(Path v) {
      o.tokenFile = v;
    }

    @Option(names = "--admin-token", description = "admin API token: create the rooms first (existing ones are fine)")
    void admin(String v) {
      o.adminToken = v;
    }

    @Option(names = "--source-addresses", split = ",", paramLabel = "ADDR",
        description = "local addresses to connect from, e.g. 127.0.0.2,127.0.0.3 (for > 60k connections)")
    void sources(List<String> v) {
      o.sourceAddresses = new java.util.ArrayList<>(v);
    }

    @Option(names = "--resend", description = "like a browser's outbox: posts unanswered when the socket closed are"
        + " sent again (same client message id) after the resume, retryable refusals after their delay")
    void resend(boolean v) {
      o.resend = v;
    }

    @Option(names = "--report-dir", description = "where reports go (default ${DEFAULT-VALUE})", defaultValue = "load-reports")
    void reportDir(Path v) {
      o.reportDir = v;
    }

    @Option(names = "--progress", description = "seconds between progress lines, 0: none (default ${DEFAULT-VALUE})", defaultValue = "5")
    void progress(int v) {
      o.progressSeconds = v;
    }

    @Option(names = "--scrape", description = "seconds between /metrics scrapes, 0: none (default ${DEFAULT-VALUE})", defaultValue = "2")
    void scrape(int v) {
      o.scrapeSeconds = v;
    }

    @Option(names = "--event-loops", description = "generator event loops, 0: one per core (default ${DEFAULT-VALUE})", defaultValue = "0")
    void loops(int v) {
      o.eventLoops = v;
    }

    @Option(names = "--message-size", description = "chat text length in characters (default ${DEFAULT-VALUE})", defaultValue = "64")
    void size(int v) {
      o.messageSize = v;
    }

    @Option(names = "--connect-attempts", description = "attempts per connection (default ${DEFAULT-VALUE})", defaultValue = "5")
    void attempts(int v) {
      o.connectAttempts = v;
    }

    @Option(names = "--compression", description = "offer (permessage-deflate, as browsers do; the server"
        + " may decline) or off (default ${DEFAULT-VALUE})", defaultValue = "offer")
    void compression(String v) {
      o.compression = switch (v.toLowerCase(Locale.ROOT)) {
        case "offer", "on" -> true;
        case "off" -> false;
        default -> throw new CommandLine.ParameterException(new CommandLine(this), "--compression: offer or off");
      };
    }

    @Option(names = "--peer", description = "drive a peer server instead of Ponte, for ratios: none,"
        + " hocuspocus (docs --endpoint hocuspocus) or socketio (idle, chat) (default ${DEFAULT-VALUE})",
        defaultValue = "none")
    void peer(String v) {
      try {
        o.peer = LoadOptions.Peer.valueOf(v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--peer: none, hocuspocus or socketio");
      }
    }

    @Option(names = "--server-pid", description = "pid of the server on this machine: its CPU time"
        + " (/proc/PID/stat) over the measured window and its RSS growth (/proc/PID/status) are reported")
    void serverPid(long v) {
      o.serverPid = v;
    }

    @Option(names = "--drain", description = "longest wait for deliveries after the last send (default ${DEFAULT-VALUE})", defaultValue = "10s")
    void drain(Duration v) {
      o.drain = v;
    }
  }

  /** "4-8" (a random count in the range per chunk) or "6"; [min, max]. */
  static int[] pointRange(String s) {
    String[] parts = s.trim().split("-", -1);
    try {
      int min = Integer.parseInt(parts[0].trim());
      int max = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : min;
      if (parts.length > 2 || min < 1 || max < min) {
        throw new NumberFormatException();
      }
      return new int[] {min, max};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--points-per-chunk: N or MIN-MAX with 1 <= MIN <= MAX, got '" + s + "'");
    }
  }

  /** How strokes are drawn (ink; classroom). */
  static final class InkOptions {
    @Option(names = "--ink-interval", description = "time between a drawer's live ink chunks, as browsers"
        + " coalesce pointer events (default ${DEFAULT-VALUE})", defaultValue = "40ms")
    Duration interval;

    @Option(names = "--points-per-chunk", description = "new points per ink chunk: N or MIN-MAX, random"
        + " in the range (default ${DEFAULT-VALUE})", defaultValue = "4-8")
    String points;

    @Option(names = "--board-id", description = "the board's id in every room; each run draws on a page"
        + " of its own (default ${DEFAULT-VALUE})", defaultValue = "load-board")
    String boardId;

    void configure(LoadOptions o) {
      o.inkInterval = interval;
      int[] range = pointRange(points);
      o.inkMinPoints = range[0];
      o.inkMaxPoints = range[1];
      o.boardId = boardId;
    }
  }

  abstract static class ScenarioCommand implements Callable<Integer> {
    @Mixin
    Common common = new Common();

    abstract LoadRun.Scenario scenario();

    void configure(LoadOptions o) {}

    @Override
    public Integer call() throws Exception {
      LoadOptions o = common.o;
      try {
        configure(o);
        LoadResult r = new LoadRun(scenario(), o, System.out).run();
        return r.consistent() && r.readyParticipants == r.participants ? 0 : 1;
      } catch (IllegalArgumentException e) {
        System.err.println("ponte-load: " + e.getMessage());
        return 2;
      }
    }
  }

  @Command(name = "idle", mixinStandardHelpOptions = true,
      description = "N connections authenticate, join and stay (heartbeats only): capacity and memory per connection.")
  static final class Idle extends ScenarioCommand {
    @Override
    LoadRun.Scenario scenario() {
      return LoadRun.Scenario.IDLE;
    }

    @Override
    void configure(LoadOptions o) {
      o.rate = 0;
    }
  }

  @Command(name = "chat", mixinStandardHelpOptions = true,
      description = "Rooms x participants; every participant posts at --rate; every receiver records latency.")
  static final class Chat extends ScenarioCommand {
    @Option(names = "--rate", description = "posts per second per participant (default ${DEFAULT-VALUE})", defaultValue = "1")
    double rate;

    @Override
    LoadRun.Scenario scenario() {
      return LoadRun.Scenario.CHAT;
    }

    @Override
    void configure(LoadOptions o) {
      o.rate = rate;
    }
  }

  @Command(name = "storm", mixinStandardHelpOptions = true,
      description = "Everyone drops and reconnects at once, resuming with last seq and epoch, while one"
          + " writer per room keeps posting: time until all resumed; nothing missed or duplicated.")
  static final class Storm extends ScenarioCommand {
    @Option(names = "--rate", description = "posts per second per participant (default ${DEFAULT-VALUE})", defaultValue = "0.2")
    double rate;

    @Option(names = "--storms", description = "number of storms (default ${DEFAULT-VALUE})", defaultValue = "1")
    int storms;

    @Option(names = "--storm-interval", description = "steady chat before, between and after storms (default ${DEFAULT-VALUE})", defaultValue = "5s")
    Duration interval;

    @Option(names = "--writer-rate", description = "posts per second of each room's writer (default ${DEFAULT-VALUE})", defaultValue = "5")
    double writerRate;

    @Option(names = "--reconnect-jitter", description = "each participant waits a random 0..J before reconnecting (default ${DEFAULT-VALUE})", defaultValue = "0s")
    Duration jitter;

    @Override
    LoadRun.Scenario scenario() {
      return LoadRun.Scenario.STORM;
    }

    @Override
    void configure(LoadOptions o) {
      o.rate = rate;
      o.storms = storms;
      o.stormInterval = interval;
      o.writerRate = writerRate;
      o.reconnectJitter = jitter;
    }
  }

  @Command(name = "classroom", mixinStandardHelpOptions = true,
      description = "Per room one teacher and students: chat, typing, presence churn, teacher actions.")
  static final class Classroom extends ScenarioCommand {
    @Option(names = "--rate", description = "posts per second per student (default ${DEFAULT-VALUE})", defaultValue = "0.1")
    double rate;

    @Option(names = "--teacher-rate", description = "posts per second of the teacher (default ${DEFAULT-VALUE})", defaultValue = "0.2")
    double teacherRate;

    @Option(names = "--typing", description = "probability of a typing indicator before a post (default ${DEFAULT-VALUE})", defaultValue = "0.5")
    double typing;

    @Option(names = "--churn", description = "fraction of students leaving and rejoining per minute (default ${DEFAULT-VALUE})", defaultValue = "0.2")
    double churn;

    @Option(names = "--teacher-action-interval", description = "time between teacher actions per room (default ${DEFAULT-VALUE})", defaultValue = "10s")
    Duration actionInterval;

    @Option(names = "--typists", description = "students per room typing into the room's document (default ${DEFAULT-VALUE})", defaultValue = "2")
    int typists;

    @Option(names = "--teachers", description = "teachers per room, the first of them leading (default ${DEFAULT-VALUE})",
        defaultValue = "1")
    int teachers;

    @Option(names = "--lobby", description = "create the rooms with a lobby for everyone: students wait until a"
        + " teacher admits them (teachers admit each knock at once)")
    boolean lobby;

    @Option(names = "--breakouts", description = "breakouts per room: the leading teacher opens a round a quarter"
        + " into the measured window (students placed at random) and closes it at three quarters; the report"
        + " gives the time to move everyone in and back (0: none) (default ${DEFAULT-VALUE})", defaultValue = "0")
    int breakouts;

    @Option(names = "--poll-interval", description = "a poll per room every so often: created and opened by the"
        + " teacher, answered by every student, closed and shared halfway through (0: none) (default ${DEFAULT-VALUE})",
        defaultValue = "0s")
    Duration pollInterval;

    @Option(names = "--doc-rate", description = "keystrokes per second per typist (default ${DEFAULT-VALUE})", defaultValue = "3")
    double docRate;

    @Option(names = "--board-drawers", description = "students per room drawing on the room's whiteboard"
        + " (live ink and committed strokes; 0: none) (default ${DEFAULT-VALUE})", defaultValue = "1")
    int boardDrawers;

    @Mixin
    InkOptions ink = new InkOptions();

    @Override
    LoadRun.Scenario scenario() {
      return LoadRun.Scenario.CLASSROOM;
    }

    @Override
    void configure(LoadOptions o) {
      o.rate = rate;
      o.teacherRate = teacherRate;
      o.typingProbability = typing;
      o.churnPerMinute = churn;
      o.teacherActionInterval = actionInterval;
      if (teachers < 1 || teachers >= o.roomSize) {
        throw new IllegalArgumentException("--teachers: 1 to the room size - 1, got " + teachers);
      }
      o.teachers = teachers;
      o.lobby = lobby;
      o.pollInterval = pollInterval;
      if (breakouts < 0 || breakouts > 100) {
        throw new IllegalArgumentException("--breakouts: 0 to 100, got " + breakouts);
      }
      o.breakouts = breakouts;
      o.typists = Math.min(typists, Math.max(0, o.roomSize - teachers));
      o.docRate = docRate;
      o.drawers = Math.min(boardDrawers, Math.max(0, o.roomSize - 1));
      ink.configure(o);
    }
  }

  @Command(name = "docs", mixinStandardHelpOptions = true,
      description = "Per room one teacher creates a document; --typists participants type into it at"
          + " --rate keystrokes/s, each keystroke a Yjs update; every receiver records latency.")
  static final class Docs extends ScenarioCommand {
    @Option(names = "--typists", description = "participants per room typing at once (default ${DEFAULT-VALUE})", defaultValue = "5")
    int typists;

    @Option(names = "--rate", description = "keystrokes per second per typist (default ${DEFAULT-VALUE})", defaultValue = "5")
    double rate;

    @Option(names = "--doc-id", description = "the document's id in every room (default ${DEFAULT-VALUE})", defaultValue = "notes")
    String docId;

    @Option(names = "--endpoint", description = "ws (Ponte protocol), yjs (y-websocket framing on"
        + " /yjs/{room}/{doc}) or hocuspocus (Hocuspocus framing on /hocuspocus): one provider socket"
        + " per participant (default ${DEFAULT-VALUE})", defaultValue = "ws")
    String endpoint;

    @Override
    LoadRun.Scenario scenario() {
      return LoadRun.Scenario.DOCS;
    }

    @Override
    void configure(LoadOptions o) {
      o.rate = 0;
      o.typists = typists;
      o.docRate = rate;
      o.docId = docId;
      try {
        o.docEndpoint = LoadOptions.DocEndpoint.valueOf(endpoint.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--endpoint: ws, yjs or hocuspocus");
      }
    }
  }

  @Command(name = "ink", mixinStandardHelpOptions = true,
      description = "Per room the teacher creates a whiteboard; --drawers participants draw strokes at"
          + " once (live ink every --ink-interval, then each stroke committed as one element); every"
          + " receiver records ink and commit delivery latency.")
  static final class Ink extends ScenarioCommand {
    @Option(names = "--drawers", description = "participants per room drawing at once (default ${DEFAULT-VALUE})", defaultValue = "5")
    int drawers;

    @Mixin
    InkOptions ink = new InkOptions();

    @Override
    LoadRun.Scenario scenario() {
      return LoadRun.Scenario.INK;
    }

    @Override
    void configure(LoadOptions o) {
      o.rate = 0;
      o.drawers = drawers;
      ink.configure(o);
    }
  }
}
