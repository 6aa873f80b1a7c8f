package io.ponte.load;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.CloseCode;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.ProtocolException;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.BoardChanged;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardInk;
import io.ponte.protocol.v1.BoardPath;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardStyle;
import io.ponte.protocol.v1.BreakoutClose;
import io.ponte.protocol.v1.BreakoutCreate;
import io.ponte.protocol.v1.BreakoutPlace;
import io.ponte.protocol.v1.BreakoutRequest;
import io.ponte.protocol.v1.BreakoutRound;
import io.ponte.protocol.v1.BreakoutsChanged;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsChanged;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.InkStroke;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Leave;
import io.ponte.protocol.v1.LobbyAdmitAll;
import io.ponte.protocol.v1.LobbyRequest;
import io.ponte.protocol.v1.LobbyStatus;
import io.ponte.protocol.v1.PageAdd;
import io.ponte.protocol.v1.Poll;
import io.ponte.protocol.v1.PollAnswer;
import io.ponte.protocol.v1.PollChanged;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.protocol.v1.Typing;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One simulated participant: one WebSocket connection, authenticated, in one or more rooms.
 * Everything runs on the participant's event-loop context; other threads call in through
 * {@link #run(Runnable)}. Tracks per room the last seq and epoch (as a real client does for
 * resuming) and counts gaps and duplicates.
 */
final class Participant implements LoadClient {
  /** What the run wants to hear from a client (any {@link LoadClient}). */
  interface Listener {
    /** Connected, authenticated, in every room (or document) for the first time. */
    void ready(LoadClient p);

    /** Gave up connecting. */
    void failed(LoadClient p);

    /** Back in every room after a drop (storm or server-initiated close). */
    void resumed(Participant p, long nanos);

    /** The WebSocket closed (for any reason). */
    void closed(LoadClient p);
  }

  private enum Kind { HELLO, JOIN, LEAVE, POST, ACTION, DOC_CREATE, DOC_UPDATE, BOARD_CREATE, PAGE_ADD, STROKE_COMMIT,
    LOBBY, POLL, POLL_ANSWER, BREAKOUT }

  private record Pending(Kind kind, String roomId, long startNanos, boolean resume) {}

  final int index;
  final String userId;
  final boolean teacher;
  final boolean writer;
  private final String token;
  private final Context context;
  private final WebSocketClient client;
  private final WebSocketConnectOptions connectOptions;
  private final WireFormat format;
  private final Stats stats;
  private final Listener listener;
  private final LoadOptions options;
  private final java.util.Set<String> expectedErrors;
  final Map<String, RoomView> rooms = new LinkedHashMap<>();
  /** Rooms this participant waits to enter (lobby): when the first LobbyStatus came. */
  private final Map<String, Long> waitingSince = new HashMap<>();
  /** Rooms where this teacher's next "Admit all" is already scheduled. */
  private final java.util.Set<String> admitScheduled = new java.util.HashSet<>();
  /** What a teacher does once a request is acknowledged (with its seq): the next poll step. */
  private final Map<Long, java.util.function.LongConsumer> afterAck = new HashMap<>();
  /** Breakout rooms this learner is in or entering (also in {@link #rooms} until it leaves them). */
  private final java.util.Set<String> breakoutRooms = new java.util.HashSet<>();
  /** Classroom: the room's first teacher (runs the polls and the breakouts). */
  boolean leads;
  /** The leading teacher with --lobby: admits everyone who knocks, as soon as the knock is seen. */
  boolean admitKnocks;
  private final Map<Long, Pending> pending = new HashMap<>();
  /**
   * With --resend, a browser's outbox: posts sent and not yet answered, by client message id, in
   * send order; and the request id each was last sent under.
   */
  private final LinkedHashMap<String, ChatPost> outbox = new LinkedHashMap<>();
  private final Map<Long, String> outboxRequests = new HashMap<>();
  /** Outbox posts whose socket closed before they were answered (resent after the resume). */
  private final java.util.Set<String> unansweredAtClose = new java.util.HashSet<>();
  /**
   * Outbox posts once refused as retryable: their first send may have been sequenced after all,
   * so a later copy acked as a duplicate says nothing about a drain.
   */
  private final java.util.Set<String> refusedBefore = new java.util.HashSet<>();

  private WebSocket ws;
  private long requestIds;
  private int attempts;
  private long connectStart;
  private boolean everReady;
  /** Set when this side closes the socket on purpose. */
  private boolean closingByUs;
  /** Reconnect (and resume) when the socket has closed. */
  private boolean reconnectAfterClose;
  /** Start of the current drop, for the resume time; 0 when not resuming. */
  private long dropNanos;
  private boolean stopped;
  private long postTimer = -1;
  private double postRate;
  private boolean typingBeforePost;
  private long postCounter;
  private final String filler;
  /** Typing into the room's document: timer, keystrokes per second, Yjs client id and clock. */
  private long typeTimer = -1;
  private double typeRate;
  private long docClient;
  private long docClock;
  private long keystrokes;
  /** Send times by clock of this typist's keystrokes (shared with receivers via Stats). */
  private java.util.concurrent.atomic.AtomicLongArray sendTimes;
  /** Drawing on the room's board: where, the stroke in progress, its next chunk, the timer. */
  private String boardId;
  private String pageId;
  private long inkIntervalMs;
  private long drawTimer = -1;
  private boolean drawing;
  private PenStroke stroke;
  private int nextChunk;
  private long strokes;
  /** Ids of this drawer's recent strokes, oldest first: their send times are dropped after a while. */
  private final java.util.ArrayDeque<String> recentStrokes = new java.util.ArrayDeque<>();
  /** As a receiver: the next point expected of each stroke being drawn by someone else. */
  private final Map<String, Integer> inkNext = new HashMap<>();

  Participant(int index, String userId, boolean teacher, boolean writer, String token,
      Collection<String> roomIds, Context context, WebSocketClient client,
      WebSocketConnectOptions connectOptions, LoadOptions options, Stats stats,
      java.util.Set<String> expectedErrors, Listener listener) {
    this.index = index;
    this.userId = userId;
    this.teacher = teacher;
    this.writer = writer;
    this.token = token;
    this.context = context;
    this.client = client;
    this.connectOptions = connectOptions;
    this.format = options.format;
    this.options = options;
    this.stats = stats;
    this.expectedErrors = expectedErrors;
    this.listener = listener;
    for (String r : roomIds) {
      rooms.put(r, new RoomView(r));
    }
    this.filler = "x".repeat(options.messageSize);
  }

  @Override
  public void run(Runnable action) {
    context.runOnContext(v -> action.run());
  }

  @Override
  public void stopSending() {
    stopPosting();
    stopTyping();
    stopDrawing();
  }

  @Override
  public void startSending(double rate) {
    startPosting(rate, false);
  }

  Context context() {
    return context;
  }

  // ------------------------------------------------------------------------------------------
  // Connecting
  // ------------------------------------------------------------------------------------------

  /** Opens the connection (on the context). */
  @Override
  public void start() {
    attempts = 0;
    connect();
  }

  private void connect() {
    if (stopped) {
      return;
    }
    attempts++;
    connectStart = System.nanoTime();
    client.connect(connectOptions).onComplete(ar -> {
      if (ar.failed()) {
        stats.connectFailures.increment();
        Stats.count(stats.connectErrors, describe(ar.cause()));
        if (!stopped && attempts < options.connectAttempts) {
          long backoff = Math.min(2000, 100L << Math.min(attempts, 5));
          context.owner().setTimer(backoff + ThreadLocalRandom.current().nextLong(backoff),
              t -> connect());
        } else if (!everReady || dropNanos != 0) {
          listener.failed(this);
        }
        return;
      }
      if (stopped) {
        ar.result().close();
        return;
      }
      opened(ar.result());
    });
  }

  private static String describe(Throwable t) {
    if (t instanceof io.vertx.core.http.UpgradeRejectedException rejected) {
      return "upgrade refused with HTTP " + rejected.getStatus();
    }
    String m = t.getMessage();
    String name = t.getClass().getSimpleName();
    if (m == null) {
      return name;
    }
    // Keep the kind, not the address or numbers that make every message unique.
    m = m.replaceAll("[0-9./:]+", "#");
    return name + ": " + (m.length() > 80 ? m.substring(0, 80) : m);
  }

  private void opened(WebSocket socket) {
    ws = socket;
    stats.upgrade.recordValue(micros(connectStart));
    stats.connected.incrementAndGet();
    stats.countCompression(socket);
    if (format.binaryFrames()) {
      socket.binaryMessageHandler(buf -> chatScan.read(buf.getBytes(), scanned));
    } else {
      socket.textMessageHandler(text -> {
        try {
          onMessage(FrameCodec.decodeServer(text));
        } catch (ProtocolException e) {
          Stats.count(stats.errors, "CLIENT_DECODE_FAILED");
        }
      });
    }
    socket.exceptionHandler(e -> Stats.count(stats.connectErrors, "socket " + describe(e)));
    socket.closeHandler(v -> onClose(socket));
    send(Kind.HELLO, null, false, ClientMessage.newBuilder()
        .setHello(Hello.newBuilder().setToken(token).setClient("ponte-load/1")));
  }

  private void onClose(WebSocket socket) {
    if (socket != ws) {
      return;
    }
    ws = null;
    stats.connected.decrementAndGet();
    pending.clear();
    // Sent and unanswered when the socket closed: the server answers every write it read before
    // its close, so these were never read (a post waiting for its retry is not one of them).
    for (String id : outboxRequests.values()) {
      if (!refusedBefore.contains(id)) {
        unansweredAtClose.add(id);
      }
    }
    outboxRequests.clear();
    for (RoomView v : rooms.values()) {
      v.joined = false;
    }
    boolean ours = closingByUs;
    closingByUs = false;
    if (!ours) {
      Short code = socket.closeStatusCode();
      CloseCode cc = code == null ? null : CloseCode.of(code);
      Stats.count(stats.closes, code == null ? "none" : code + (cc == null ? "" : " " + cc.name()));
      boolean resume = cc != null && (cc.action() == CloseCode.ClientAction.RESUME
          || cc.action() == CloseCode.ClientAction.RECONNECT);
      if (code == null || resume) {
        // The server went away or asked us to come back: resume like a real client.
        reconnectAfterClose = true;
        if (dropNanos == 0) {
          dropNanos = System.nanoTime();
        }
      }
    }
    listener.closed(this);
    if (reconnectAfterClose && !stopped) {
      reconnectAfterClose = false;
      long jitter = options.reconnectJitter.toMillis();
      long delay = ours ? (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter) : 0)
          : 100 + ThreadLocalRandom.current().nextLong(400);
      attempts = 0;
      if (delay == 0) {
        connect();
      } else {
        context.owner().setTimer(delay, t -> connect());
      }
    }
  }

  /** Drops the connection and resumes every room with its last seq and epoch (storm). */
  void drop() {
    if (stopped || ws == null || closingByUs) {
      return;
    }
    dropNanos = System.nanoTime();
    closingByUs = true;
    reconnectAfterClose = true;
    ws.close();
  }

  /** Stops everything and closes the connection. */
  @Override
  public void stop() {
    stopped = true;
    stopPosting();
    stopTyping();
    stopDrawing();
    if (ws != null) {
      closingByUs = true;
      ws.close();
    } else {
      listener.closed(this);
    }
  }

  @Override
  public boolean isOpen() {
    return ws != null;
  }

  // ------------------------------------------------------------------------------------------
  // Receiving
  // ------------------------------------------------------------------------------------------

  private void onMessage(ServerMessage m) {
    if (m.getBodyCase() == ServerMessage.BodyCase.BATCH) {
      for (ServerMessage inner : m.getBatch().getMessagesList()) {
        onMessage(inner);
      }
      return;
    }
    Pending p = m.getRequestId() == 0 ? null : pending.remove(m.getRequestId());
    switch (m.getBodyCase()) {
      case WELCOME -> {
        stats.connect.recordValue(micros(connectStart));
        if (p != null) {
          stats.hello.recordValue(micros(p.startNanos()));
        }
        for (RoomView v : rooms.values()) {
          sendJoin(v);
        }
      }
      case JOINED -> onJoined(m.getJoined(), p);
      case LOBBY_STATUS -> onLobbyStatus(m.getLobbyStatus());
      case EVENT -> onEvent(m.getEvent(), false);
      case ACK -> {
        if (p != null && p.kind() == Kind.DOC_UPDATE) {
          stats.docAcked.increment();
        } else if (p != null && p.kind() == Kind.DOC_CREATE) {
          stats.docsCreated.increment();
        } else if (p != null && (p.kind() == Kind.BOARD_CREATE || p.kind() == Kind.PAGE_ADD)) {
          stats.boardsCreated.increment();
        } else if (p != null && p.kind() == Kind.STROKE_COMMIT) {
          stats.commitsAcked.increment();
        } else if (p != null && p.kind() == Kind.POLL_ANSWER) {
          stats.pollAnswers.recordValue(micros(p.startNanos()));
        } else if (p != null && (p.kind() == Kind.LOBBY || p.kind() == Kind.POLL
            || p.kind() == Kind.BREAKOUT)) {
          stats.classOps.recordValue(micros(p.startNanos()));
          java.util.function.LongConsumer next = afterAck.remove(m.getRequestId());
          if (next != null) {
            next.accept(m.getAck().getSeq());
          }
        } else {
          stats.acked.increment();
          if (p != null && p.kind() == Kind.POST) {
            outboxAnswered(m.getRequestId(), p.roomId(), m.getAck());
          }
        }
      }
      case ERROR -> {
        afterAck.remove(m.getRequestId()); // a refused step ends its poll's chain
        if (p == null || p.kind() != Kind.POST || !outboxRefused(m.getRequestId(), p.roomId(), m.getError())) {
          onError(m.getError(), p);
        }
      }
      case LEFT -> {
        String left = m.getLeft().getRoomId();
        if (breakoutRooms.remove(left)) {
          // Back from a breakout (asked, or its room ended with the round): the main room remains.
          rooms.remove(left);
          if (stats.breakoutCloseSentNanos != 0) {
            stats.breakoutOut.recordValue(micros(stats.breakoutCloseSentNanos));
          }
          return;
        }
        RoomView v = rooms.get(left);
        if (v != null) {
          v.joined = false;
          v.leaving = false;
        }
        if (m.getRequestId() == 0) {
          Stats.count(stats.errors, "LEFT_UNASKED_" + m.getLeft().getReason().name());
        }
      }
      case GOODBYE -> { }
      default -> { }
    }
  }

  private void onJoined(Joined j, Pending p) {
    RoomView v = rooms.get(j.getRoomId());
    if (v == null) {
      return;
    }
    boolean resume = p != null && p.resume();
    if (p != null) {
      stats.join.recordValue(micros(p.startNanos()));
    }
    if (breakoutRooms.contains(j.getRoomId()) && stats.breakoutCreateSentNanos != 0) {
      stats.breakoutIn.recordValue(micros(stats.breakoutCreateSentNanos));
    }
    Long waited = waitingSince.remove(j.getRoomId());
    if (waited != null) {
      stats.lobbyWaits.recordValue(micros(waited));
    }
    if (admitKnocks && j.hasSnapshot() && j.getSnapshot().getLobby().getWaitingCount() > 0) {
      admitSoon(j.getRoomId());
    }
    if (j.getReset()) {
      if (resume) {
        stats.resumeResets.increment();
      }
      v.reset(j.getSeq(), j.getEpoch());
    } else {
      for (Event e : j.getMissedList()) {
        onEvent(e, true);
      }
      v.resumedAt(j.getSeq(), j.getEpoch());
      if (resume) {
        stats.resumesOk.increment();
      }
    }
    v.joined = true;
    resendOutbox(v.roomId);
    for (RoomView other : rooms.values()) {
      if (!other.joined) {
        return;
      }
    }
    if (!everReady) {
      everReady = true;
      listener.ready(this);
    } else if (dropNanos != 0) {
      long took = System.nanoTime() - dropNanos;
      dropNanos = 0;
      stats.resume.recordValue(took / 1000);
      listener.resumed(this, took);
    }
  }

  private void onEvent(Event e, boolean replayed) {
    if (e.getSeq() == 0) {
      if (e.getBodyCase() == Event.BodyCase.BOARD_INK && e.getBoardInk().hasStroke()) {
        inkDelivered(e.getBoardInk().getStroke());
      } else {
        stats.ephemeral.increment();
      }
      return;
    }
    if (!fresh(e.getRoomId(), e.getSeq(), replayed)) {
      return;
    }
    switch (e.getBodyCase()) {
      case CHAT_POSTED -> {
        if (replayed) {
          stats.replayed.increment();
        } else {
          chatDelivered(sentNanos(e.getChatPosted().getText()));
        }
      }
      case DOC_UPDATED -> {
        if (replayed) {
          stats.docReplayed.increment();
        } else {
          stats.docDelivered.increment();
          long sent = docSentNanos(e.getDocUpdated().getUpdate().toByteArray());
          if (sent != 0) {
            long lat = System.nanoTime() - sent;
            if (lat >= 0) {
              stats.docLatency.recordValue(lat / 1000);
            }
          }
        }
      }
      case BOARD_CHANGED -> {
        BoardChanged c = e.getBoardChanged();
        if (c.getChangeCase() == BoardChanged.ChangeCase.ELEMENTS
            && c.getElements().getCause() == ElementsChanged.Cause.ADDED) {
          if (replayed) {
            stats.replayed.increment();
          } else {
            commitDelivered(c.getClientMsgId());
          }
        } else {
          stats.otherEvents.increment();
        }
      }
      case LOBBY_KNOCKED -> {
        stats.otherEvents.increment();
        if (admitKnocks && !replayed) {
          admitSoon(e.getRoomId());
        }
      }
      case BREAKOUTS_CHANGED -> {
        stats.otherEvents.increment();
        if (!teacher && !replayed) {
          onBreakouts(e.getBreakoutsChanged());
        }
      }
      case POLL_CHANGED -> {
        stats.otherEvents.increment();
        PollChanged c = e.getPollChanged();
        if (!teacher && !replayed && c.getChangeCase() == PollChanged.ChangeCase.OPENED) {
          answerLater(e.getRoomId(), c.getOpened());
        }
      }
      case SKIPPED -> stats.skippedEvents.increment();
      default -> stats.otherEvents.increment();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Running a class: lobby and polls
  // ------------------------------------------------------------------------------------------

  private void onLobbyStatus(LobbyStatus status) {
    stats.lobbyStatuses.increment();
    if (status.getState() == LobbyStatus.State.WAITING) {
      waitingSince.putIfAbsent(status.getRoomId(), System.nanoTime());
    } else if (status.getState() == LobbyStatus.State.DENIED) {
      waitingSince.remove(status.getRoomId());
      Stats.count(stats.errors, "LOBBY_DENIED_STATUS");
    }
  }

  /**
   * A teacher lets the waiting learners in the way a teacher at the start of a class does: "Admit
   * all" a moment after knocks arrive (one request for a burst of arrivals, not one per learner,
   * which the lobby's per-teacher rate would refuse).
   */
  private void admitSoon(String roomId) {
    if (!admitScheduled.add(roomId)) {
      return;
    }
    context.owner().setTimer(200, t -> {
      admitScheduled.remove(roomId);
      if (!stopped && ws != null) {
        send(Kind.LOBBY, roomId, false, ClientMessage.newBuilder().setLobby(LobbyRequest.newBuilder()
            .setRoomId(roomId).setClientMsgId(userId + ".admit." + (++postCounter))
            .setAdmitAll(LobbyAdmitAll.getDefaultInstance())));
      }
    });
  }

  /**
   * A teacher's poll step (create, open, close, share), then {@code next} once it is acknowledged:
   * a step is checked against the state its predecessor left, so a teacher waits for each ack.
   */
  void poll(String roomId, String pollId, PollRequest.Builder request, Runnable next) {
    long id = requestIds + 1;
    if (send(Kind.POLL, roomId, false, ClientMessage.newBuilder().setPoll(request.setRoomId(roomId)
        .setPollId(pollId).setClientMsgId(userId + ".poll." + (++postCounter)))) && next != null) {
      afterAck.put(id, seq -> next.run());
    }
  }

  /** A teacher opens a round of {@code count} breakouts, students placed at random; then {@code round(seq)}. */
  void createBreakouts(String roomId, int count, java.util.function.LongConsumer round) {
    BreakoutCreate.Builder c = BreakoutCreate.newBuilder().setAssignment(BreakoutRound.Assignment.RANDOM);
    for (int i = 1; i <= count; i++) {
      c.addNames("Group " + i);
    }
    long id = requestIds + 1;
    if (send(Kind.BREAKOUT, roomId, false, ClientMessage.newBuilder().setBreakout(BreakoutRequest.newBuilder()
        .setRoomId(roomId).setClientMsgId(userId + ".bo." + (++postCounter)).setCreate(c)))) {
      afterAck.put(id, round);
    }
  }

  /** A teacher closes the round: everyone returns to the main room. */
  void closeBreakouts(String roomId, long roundSeq) {
    send(Kind.BREAKOUT, roomId, false, ClientMessage.newBuilder().setBreakout(BreakoutRequest.newBuilder()
        .setRoomId(roomId).setClientMsgId(userId + ".bo." + (++postCounter))
        .setClose(BreakoutClose.newBuilder().setRoundSeq(roundSeq))));
  }

  /** A learner's place in a new round: enter that breakout (the main room stays joined). */
  private void onBreakouts(BreakoutsChanged c) {
    if (c.getKind() == BreakoutsChanged.Kind.CREATED) {
      for (BreakoutPlace place : c.getRound().getPlacesList()) {
        if (place.getUserId().equals(userId) && !place.getRoomId().isEmpty()
            && !rooms.containsKey(place.getRoomId())) {
          RoomView v = new RoomView(place.getRoomId());
          rooms.put(v.roomId, v);
          breakoutRooms.add(v.roomId);
          if (ws != null && !stopped) {
            sendJoin(v);
          }
        }
      }
    }
    // CLOSED: nothing to send. The close ends every breakout room of the round, and the server
    // lets its members go (Left, handled above): that is the way back measured.
  }

  /** A learner answers an open poll after reading it (0.2-2 s), with a random option. */
  private void answerLater(String roomId, Poll poll) {
    long delay = 200 + ThreadLocalRandom.current().nextLong(1800);
    context.owner().setTimer(delay, t -> {
      RoomView v = rooms.get(roomId);
      if (stopped || ws == null || v == null || !v.joined || v.leaving || poll.getOptionsCount() == 0) {
        return;
      }
      int choice = ThreadLocalRandom.current().nextInt(poll.getOptionsCount());
      send(Kind.POLL_ANSWER, roomId, false, ClientMessage.newBuilder().setPoll(PollRequest.newBuilder()
          .setRoomId(roomId).setPollId(poll.getPollId()).setClientMsgId(userId + ".ans." + (++postCounter))
          .setAnswer(PollAnswer.newBuilder().addChoices(choice))));
    });
  }

  /** A live chunk of someone else's stroke: latency from the drawer's send time, gaps per stroke. */
  private void inkDelivered(InkStroke chunk) {
    stats.inkDelivered.increment();
    Stats.StrokeTimes times = stats.strokeTimes.get(chunk.getStrokeId());
    long sent = times == null ? 0 : times.chunk(chunk.getFirstIndex());
    if (sent != 0) {
      long lat = System.nanoTime() - sent;
      if (lat >= 0) {
        stats.inkLatency.recordValue(lat / 1000);
      }
    }
    int first = chunk.getFirstIndex();
    Integer expected = inkNext.get(chunk.getStrokeId());
    // Only against an earlier chunk of the same stroke: one joined mid-stroke starts anywhere.
    if (expected != null && first > expected) {
      stats.inkGaps.increment();
    } else if (expected != null && first < expected) {
      stats.inkReordered.increment();
    }
    if (chunk.getDone()) {
      inkNext.remove(chunk.getStrokeId());
    } else {
      inkNext.put(chunk.getStrokeId(), Math.max(expected == null ? 0 : expected,
          first + chunk.getPointsCount() / 2));
    }
  }

  /** A committed stroke (its element id and client_msg_id are the stroke id). */
  private void commitDelivered(String strokeId) {
    stats.commitsDelivered.increment();
    Stats.StrokeTimes times = stats.strokeTimes.get(strokeId);
    long sent = times == null ? 0 : times.committed;
    if (sent != 0) {
      long lat = System.nanoTime() - sent;
      if (lat >= 0) {
        stats.commitLatency.recordValue(lat / 1000);
      }
    }
  }

  /** Counts the seq in its room; whether it is new there (not missed, duplicated or stray). */
  private boolean fresh(String roomId, long seq, boolean replayed) {
    RoomView v = rooms.get(roomId);
    if (v == null || (!v.joined && !replayed)) {
      stats.strayEvents.increment();
      return false;
    }
    long missedBefore = v.missed;
    long dupBefore = v.duplicates;
    boolean fresh = v.onSeq(seq);
    if (v.missed != missedBefore) {
      stats.missed.add(v.missed - missedBefore);
    }
    if (v.duplicates != dupBefore) {
      stats.duplicates.add(v.duplicates - dupBefore);
    }
    return fresh;
  }

  private void chatDelivered(long sent) {
    stats.delivered.increment();
    if (sent != 0) {
      long lat = System.nanoTime() - sent;
      if (lat >= 0) {
        stats.latency.recordValue(lat / 1000);
      }
    }
  }

  /** Live chat events read without decoding (see {@link ChatEventScan}); the rest decoded. */
  private final ChatEventScan chatScan = new ChatEventScan();
  private final ChatEventScan.Sink scanned = new ChatEventScan.Sink() {
    @Override
    public void chatPosted(String roomId, long seq, long sentNanos) {
      if (fresh(roomId, seq, false)) {
        chatDelivered(sentNanos);
      }
    }

    @Override
    public void other(byte[] frame, int offset, int length) {
      ServerMessage m;
      try {
        m = ServerMessage.parser().parseFrom(frame, offset, length);
      } catch (InvalidProtocolBufferException e) {
        Stats.count(stats.errors, "CLIENT_DECODE_FAILED");
        return;
      }
      onMessage(m);
    }
  };

  private void onError(ErrorInfo error, Pending p) {
    String code = error.getCode().name();
    if (p != null && p.kind() == Kind.JOIN && "ROOM_LOCKED".equals(code)
        && expectedErrors.contains(code)) {
      // Classroom: a teacher locked the room while this student was out; try again shortly.
      Stats.count(stats.expectedErrors, code);
      RoomView v = rooms.get(p.roomId());
      context.owner().setTimer(500 + ThreadLocalRandom.current().nextLong(1000), t -> {
        if (!stopped && ws != null && v != null && !v.joined) {
          sendJoin(v);
        }
      });
      return;
    }
    if (p != null && p.kind() == Kind.DOC_CREATE && "DOC_EXISTS".equals(code)) {
      // A rerun with the same room prefix: the document is there already.
      Stats.count(stats.expectedErrors, code);
      stats.docsExisted.increment();
      return;
    }
    if (p != null && p.kind() == Kind.DOC_CREATE) {
      stats.docsFailed.increment();
    }
    if (p != null && p.kind() == Kind.BOARD_CREATE && "BOARD_EXISTS".equals(code)) {
      // A rerun on the same rooms: the board is there; this run draws on a page of its own.
      Stats.count(stats.expectedErrors, code);
      addPage(p.roomId());
      return;
    }
    if (p != null && p.kind() == Kind.PAGE_ADD && "PAGE_EXISTS".equals(code)) {
      Stats.count(stats.expectedErrors, code);
      stats.boardsExisted.increment();
      return;
    }
    if (p != null && (p.kind() == Kind.BOARD_CREATE || p.kind() == Kind.PAGE_ADD)) {
      stats.boardsFailed.increment();
    }
    if (expectedErrors.contains(code)) {
      Stats.count(stats.expectedErrors, code);
    } else {
      Stats.count(stats.errors, code);
    }
    if (p != null && p.kind() == Kind.JOIN) {
      stats.joinFailures.increment();
    }
  }

  /**
   * The send time of a received document update: its first struct's (client id, clock) looked up
   * in the typists' send times (senders and receivers share this process); 0 when unknown.
   */
  private long docSentNanos(byte[] update) {
    long[] id = YjsText.firstId(update);
    if (id == null) {
      return 0;
    }
    java.util.concurrent.atomic.AtomicLongArray times = stats.docSendTimes.get(id[0]);
    return times == null ? 0 : times.get((int) (id[1] & (Stats.DOC_SEND_TIMES - 1)));
  }

  /** The send time a post carries: "t<nanoTime> ...", or 0 when the text is not one of ours. */
  static long sentNanos(String text) {
    if (text.length() < 2 || text.charAt(0) != 't') {
      return 0;
    }
    long v = 0;
    boolean negative = false;
    int i = 1;
    if (text.charAt(1) == '-') {
      negative = true;
      i = 2;
    }
    int start = i;
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        break;
      }
      v = v * 10 + (c - '0');
    }
    if (i == start || (i < text.length() && text.charAt(i) != ' ')) {
      return 0;
    }
    return negative ? -v : v;
  }

  private static long micros(long startNanos) {
    return Math.max(0, (System.nanoTime() - startNanos) / 1000);
  }

  // ------------------------------------------------------------------------------------------
  // Sending
  // ------------------------------------------------------------------------------------------

  /** The socket when it can be written to (not closing), else null. */
  private WebSocket live() {
    WebSocket socket = ws;
    return socket == null || closingByUs || socket.isClosed() ? null : socket;
  }

  private boolean send(Kind kind, String roomId, boolean resume, ClientMessage.Builder message) {
    WebSocket socket = live();
    if (socket == null) {
      return false;
    }
    long id = ++requestIds;
    message.setRequestId(id);
    pending.put(id, new Pending(kind, roomId, System.nanoTime(), resume));
    ClientMessage built = message.build();
    if (format.binaryFrames()) {
      socket.writeBinaryMessage(Buffer.buffer(FrameCodec.encodeBinary(built)));
    } else {
      socket.writeTextMessage(FrameCodec.encodeJson(built));
    }
    return true;
  }

  private void sendJoin(RoomView v) {
    boolean resume = v.lastSeq > 0 || !v.epoch.isEmpty();
    if (resume && everReady && dropNanos == 0) {
      stats.rejoins.increment();
    }
    send(Kind.JOIN, v.roomId, resume, ClientMessage.newBuilder().setJoin(Join.newBuilder()
        .setRoomId(v.roomId).setLastSeq(v.lastSeq).setEpoch(v.epoch)));
  }

  /** Posts at {@code rate} per second to the first room, with an optional typing indicator first. */
  void startPosting(double rate, boolean typing) {
    stopPosting();
    if (rate <= 0 || stopped) {
      return;
    }
    postRate = rate;
    typingBeforePost = typing;
    long interval = Math.max(1, Math.round(1000 / rate));
    long first = 1 + ThreadLocalRandom.current().nextLong(interval);
    postTimer = context.owner().setTimer(first, t -> {
      postTimer = context.owner().setPeriodic(interval, t2 -> tick());
      tick();
    });
  }

  void stopPosting() {
    if (postTimer >= 0) {
      context.owner().cancelTimer(postTimer);
      postTimer = -1;
    }
    postRate = 0;
  }

  private void tick() {
    if (postRate <= 0) {
      return;
    }
    RoomView v = rooms.values().iterator().next();
    if (ws == null || !v.joined || v.leaving) {
      return;
    }
    if (typingBeforePost && ThreadLocalRandom.current().nextDouble() < options.typingProbability) {
      typing(v.roomId, true);
      context.owner().setTimer(200 + ThreadLocalRandom.current().nextLong(300), t -> post(v));
    } else {
      post(v);
    }
  }

  private void post(RoomView v) {
    WebSocket socket = live();
    if (postRate <= 0 || socket == null || !v.joined || v.leaving) {
      return;
    }
    if (socket.writeQueueFull()) {
      stats.sendsSkipped.increment();
      return;
    }
    long n = ++postCounter;
    String head = "t" + System.nanoTime() + " " + index + "." + n + " ";
    String text = head.length() >= options.messageSize ? head
        : head + filler.substring(0, options.messageSize - head.length());
    ChatPost post = ChatPost.newBuilder().setRoomId(v.roomId).setText(text).setClientMsgId(userId + "." + n)
        .build();
    if (send(Kind.POST, v.roomId, false, ClientMessage.newBuilder().setChatPost(post))) {
      stats.sent.increment();
      if (options.resend) {
        outbox.put(post.getClientMsgId(), post);
        outboxRequests.put(requestIds, post.getClientMsgId());
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // The outbox (--resend): what a browser client does with posts it has no answer to
  // ------------------------------------------------------------------------------------------

  /** A post was acked: out of the outbox; a resend acked as a duplicate had been read before. */
  private void outboxAnswered(long requestId, String roomId, io.ponte.protocol.v1.Ack ack) {
    String id = outboxRequests.remove(requestId);
    if (id == null) {
      return;
    }
    outbox.remove(id);
    refusedBefore.remove(id);
    if (unansweredAtClose.remove(id) && ack.getDuplicate()) {
      stats.resentDuplicates.increment();
    }
    if (options.recordAcks) {
      stats.ackedPosts.put(roomId + "/" + id, ack.getSeq());
    }
  }

  /**
   * A post was refused: a retryable refusal is sent again after its delay (true: handled), any
   * other one leaves the outbox.
   */
  private boolean outboxRefused(long requestId, String roomId, ErrorInfo error) {
    String id = outboxRequests.remove(requestId);
    if (id == null) {
      return false;
    }
    ChatPost post = outbox.get(id);
    if (!error.getRetryable()) {
      outbox.remove(id);
      unansweredAtClose.remove(id);
      refusedBefore.remove(id);
      return false;
    }
    refusedBefore.add(id);
    Stats.count(stats.expectedErrors, error.getCode().name() + "_RETRIED");
    stats.retried.increment();
    if (options.recordAcks) {
      stats.retriedPosts.add(roomId + "/" + id);
    }
    long delay = Math.max(100, error.getRetryAfterMs());
    context.owner().setTimer(delay, t -> {
      RoomView v = rooms.get(roomId);
      if (!stopped && outbox.containsKey(post.getClientMsgId()) && v != null && v.joined
          && !outboxRequests.containsValue(post.getClientMsgId())) {
        sendFromOutbox(post);
      }
    });
    return true;
  }

  /** The room is joined again: every post of it still unanswered goes out again, in order. */
  private void resendOutbox(String roomId) {
    if (outbox.isEmpty()) {
      return;
    }
    for (ChatPost post : java.util.List.copyOf(outbox.values())) {
      if (post.getRoomId().equals(roomId) && !outboxRequests.containsValue(post.getClientMsgId())) {
        if (unansweredAtClose.contains(post.getClientMsgId())) {
          stats.resent.increment();
        }
        sendFromOutbox(post);
      }
    }
  }

  private void sendFromOutbox(ChatPost post) {
    if (send(Kind.POST, post.getRoomId(), false, ClientMessage.newBuilder().setChatPost(post))) {
      outboxRequests.put(requestIds, post.getClientMsgId());
    }
  }

  void typing(String roomId, boolean on) {
    WebSocket socket = live();
    if (socket == null) {
      return;
    }
    write(socket, ClientMessage.newBuilder().setRequestId(++requestIds)
        .setTyping(Typing.newBuilder().setRoomId(roomId).setTyping(on)).build());
    stats.typingSent.increment();
  }

  /** Writes a message nobody waits an answer for (an error still comes back with its request id). */
  private void write(WebSocket socket, ClientMessage m) {
    if (format.binaryFrames()) {
      socket.writeBinaryMessage(Buffer.buffer(FrameCodec.encodeBinary(m)));
    } else {
      socket.writeTextMessage(FrameCodec.encodeJson(m));
    }
  }

  /** Leaves the first room and rejoins it (resuming with last seq and epoch) after a while. */
  void leaveAndRejoin(long rejoinAfterMs) {
    RoomView v = rooms.values().iterator().next();
    if (ws == null || !v.joined || v.leaving || stopped) {
      return;
    }
    // Sends nothing more to the room from now on (a post sent before the Left arrives would be
    // NOT_IN_ROOM), but keeps counting its events until the Left, so resume starts at the right seq.
    v.leaving = true;
    if (send(Kind.LEAVE, v.roomId, false, ClientMessage.newBuilder()
        .setLeave(Leave.newBuilder().setRoomId(v.roomId)))) {
      stats.leaves.increment();
      context.owner().setTimer(rejoinAfterMs, t -> {
        if (!stopped && ws != null && !v.joined) {
          sendJoin(v);
        }
      });
    }
  }

  /** Rejoins every room this participant is out of (end of a classroom run). */
  void rejoinAll() {
    if (ws == null || stopped) {
      return;
    }
    for (RoomView v : rooms.values()) {
      if (!v.joined && !pending.values().stream().anyMatch(p -> p.kind() == Kind.JOIN
          && v.roomId.equals(p.roomId()))) {
        sendJoin(v);
      }
    }
  }

  boolean allJoined() {
    return ws != null && rooms.values().stream().allMatch(v -> v.joined);
  }

  @Override
  public int pendingPosts() {
    return (int) pending.values().stream().filter(p -> p.kind() != Kind.HELLO && p.kind() != Kind.JOIN
        && p.kind() != Kind.LEAVE).count();
  }

  void teacherAction(String roomId, TeacherAction.Builder action) {
    RoomView v = rooms.get(roomId);
    if (v != null && !v.joined && !stopped) {
      // Reconnecting (the node went away): like a browser's outbox, the action waits for the room.
      context.owner().setTimer(250, t -> teacherAction(roomId, action));
      return;
    }
    action.setRoomId(roomId).setClientMsgId(userId + ".a" + (++postCounter));
    if (send(Kind.ACTION, roomId, false, ClientMessage.newBuilder().setTeacherAction(action))) {
      stats.teacherActions.increment();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Documents
  // ------------------------------------------------------------------------------------------

  /** Creates the document {@code docId} in the first room (teacher); DOC_EXISTS counts as done. */
  void createDoc(String docId) {
    RoomView v = rooms.values().iterator().next();
    if (!send(Kind.DOC_CREATE, v.roomId, false, ClientMessage.newBuilder().setDocCreate(
        DocCreate.newBuilder().setRoomId(v.roomId).setDocId(docId).setTitle("Load test notes")
            .setClientMsgId(userId + ".doc." + docId)))) {
      stats.docsFailed.increment();
    }
  }

  /**
   * Types into the first room's document at {@code rate} keystrokes per second: each keystroke is
   * a Yjs update inserting one character after this typist's previous one, with a fresh random
   * client id per typing session.
   */
  void startTyping(double rate) {
    stopTyping();
    if (rate <= 0 || stopped) {
      return;
    }
    typeRate = rate;
    if (sendTimes == null) {
      docClient = 1 + ThreadLocalRandom.current().nextLong(0xFFFF_FFFEL);
      docClock = 0;
      sendTimes = new java.util.concurrent.atomic.AtomicLongArray(Stats.DOC_SEND_TIMES);
      stats.docSendTimes.put(docClient, sendTimes);
    }
    long interval = Math.max(1, Math.round(1000 / rate));
    long first = 1 + ThreadLocalRandom.current().nextLong(interval);
    typeTimer = context.owner().setTimer(first, t -> {
      typeTimer = context.owner().setPeriodic(interval, t2 -> keystroke());
      keystroke();
    });
  }

  void stopTyping() {
    if (typeTimer >= 0) {
      context.owner().cancelTimer(typeTimer);
      typeTimer = -1;
    }
    typeRate = 0;
  }

  /** Mostly ASCII, now and then a two-byte character and an emoji (two UTF-16 units). */
  private static final String[] KEYS = {"a", "e", "i", "o", "u", " ", "t", "n", "s", "r"};

  private void keystroke() {
    WebSocket socket = live();
    RoomView v = rooms.values().iterator().next();
    if (typeRate <= 0 || socket == null || !v.joined || v.leaving) {
      return;
    }
    if (socket.writeQueueFull()) {
      stats.sendsSkipped.increment();
      return;
    }
    long k = ++keystrokes;
    String text = k % 97 == 0 ? "\uD83D\uDE00" : k % 31 == 0 ? "\u00E9" : KEYS[(int) (k % KEYS.length)];
    byte[] update = YjsText.insert(docClient, docClock, docClient, docClock - 1,
        options.docRoot, text);
    sendTimes.set((int) (docClock & (Stats.DOC_SEND_TIMES - 1)), System.nanoTime());
    if (send(Kind.DOC_UPDATE, v.roomId, false, ClientMessage.newBuilder().setDocUpdate(
        DocUpdate.newBuilder().setRoomId(v.roomId).setDocId(options.docId)
            .setUpdate(com.google.protobuf.ByteString.copyFrom(update))
            .setClientMsgId(userId + ".d" + docClient + "." + docClock)))) {
      docClock += text.length();
      stats.docSent.increment();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Whiteboard
  // ------------------------------------------------------------------------------------------

  private static final BoardStyle PEN = BoardStyle.newBuilder().setStroke("#1f77b4").setWidth(2).build();

  /**
   * Creates board {@code boardId} whose first page is {@code pageId} in the first room (teacher);
   * when the board is there from an earlier run, adds the page to it instead.
   */
  void createBoard(String boardId, String pageId) {
    this.boardId = boardId;
    this.pageId = pageId;
    RoomView v = rooms.values().iterator().next();
    if (!send(Kind.BOARD_CREATE, v.roomId, false, ClientMessage.newBuilder().setBoard(BoardRequest.newBuilder()
        .setRoomId(v.roomId).setBoardId(boardId).setClientMsgId(userId + ".board." + boardId)
        .setCreateBoard(BoardCreate.newBuilder().setTitle("Load test board").setFirstPageId(pageId))))) {
      stats.boardsFailed.increment();
    }
  }

  private void addPage(String roomId) {
    if (!send(Kind.PAGE_ADD, roomId, false, ClientMessage.newBuilder().setBoard(BoardRequest.newBuilder()
        .setRoomId(roomId).setBoardId(boardId).setClientMsgId(userId + ".page." + pageId)
        .setAddPage(PageAdd.newBuilder().setPageId(pageId).setTitle("Load run " + pageId))))) {
      stats.boardsFailed.increment();
    }
  }

  /**
   * Draws on the first room's board until stopped: strokes of 1-2 s of pointer movement, sent as
   * live ink every --ink-interval (a browser's coalesced pointer events) with --points-per-chunk
   * new points each, the last chunk marked done; then the whole stroke committed as one element
   * (ElementsAdd, element id = stroke id); a pause of 0.3-0.8 s; the next stroke.
   */
  void startDrawing(String boardId, String pageId) {
    stopDrawing();
    if (stopped) {
      return;
    }
    this.boardId = boardId;
    this.pageId = pageId;
    inkIntervalMs = Math.max(1, options.inkInterval.toMillis());
    drawing = true;
    drawTimer = context.owner().setTimer(1 + ThreadLocalRandom.current().nextLong(500), t -> beginStroke());
  }

  void stopDrawing() {
    drawing = false;
    stroke = null;
    if (drawTimer >= 0) {
      context.owner().cancelTimer(drawTimer);
      drawTimer = -1;
    }
  }

  private void beginStroke() {
    drawTimer = -1;
    RoomView v = rooms.values().iterator().next();
    if (!drawing) {
      return;
    }
    if (live() == null || !v.joined || v.leaving) {
      pauseDrawing();
      return;
    }
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    long durationMs = 1000 + rnd.nextLong(1001);
    int chunks = (int) Math.max(1, Math.round((double) durationMs / inkIntervalMs));
    String id = userId + ".s" + (++strokes);
    stroke = PenStroke.random(id, chunks, options.inkMinPoints, options.inkMaxPoints, inkIntervalMs, rnd);
    stats.strokeTimes.put(id, new Stats.StrokeTimes(stroke.points()));
    recentStrokes.add(id);
    // Late deliveries of older strokes still count, only without a latency.
    while (recentStrokes.size() > 8) {
      stats.strokeTimes.remove(recentStrokes.poll());
    }
    nextChunk = 0;
    drawTimer = context.owner().setPeriodic(inkIntervalMs, t -> inkChunk());
    inkChunk();
  }

  private void inkChunk() {
    PenStroke s = stroke;
    if (!drawing || s == null) {
      return;
    }
    RoomView v = rooms.values().iterator().next();
    WebSocket socket = live();
    if (socket == null || !v.joined || v.leaving) {
      // Out of the room mid-stroke: the stroke is abandoned.
      endStroke();
      return;
    }
    int i = nextChunk++;
    boolean last = i == s.chunks() - 1;
    if (socket.writeQueueFull()) {
      stats.sendsSkipped.increment();
    } else {
      InkStroke.Builder chunk = InkStroke.newBuilder().setStrokeId(s.id).setFirstIndex(s.chunkStart(i))
          .addAllPoints(s.chunk(i)).setStyle(PEN).setDone(last);
      ClientMessage.Builder m = ClientMessage.newBuilder().setRequestId(++requestIds)
          .setBoardInk(BoardInk.newBuilder().setRoomId(v.roomId).setBoardId(boardId).setPageId(pageId)
              .setStroke(chunk));
      stats.strokeTimes.get(s.id).chunks.set(s.chunkStart(i), System.nanoTime());
      write(socket, m.build());
      stats.inkSent.increment();
    }
    if (last) {
      commit(v, s);
      endStroke();
    }
  }

  /** The finished stroke as one path element; its id and client_msg_id are the stroke id. */
  private void commit(RoomView v, PenStroke s) {
    stats.strokeTimes.get(s.id).committed = System.nanoTime();
    if (send(Kind.STROKE_COMMIT, v.roomId, false, ClientMessage.newBuilder().setBoard(BoardRequest.newBuilder()
        .setRoomId(v.roomId).setBoardId(boardId).setClientMsgId(s.id)
        .setAddElements(ElementsAdd.newBuilder().setPageId(pageId).addElements(BoardElement.newBuilder()
            .setElementId(s.id).setZ("a" + Long.toString(strokes, 36)).setStyle(PEN)
            .setPath(BoardPath.newBuilder().addAllPoints(s.whole()))))))) {
      stats.commitsSent.increment();
    }
  }

  private void endStroke() {
    stroke = null;
    if (drawTimer >= 0) {
      context.owner().cancelTimer(drawTimer);
      drawTimer = -1;
    }
    pauseDrawing();
  }

  private void pauseDrawing() {
    if (drawing) {
      drawTimer = context.owner().setTimer(300 + ThreadLocalRandom.current().nextLong(501), t -> beginStroke());
    }
  }
}
