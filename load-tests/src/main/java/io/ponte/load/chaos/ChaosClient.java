package io.ponte.load.chaos;

import com.google.protobuf.ByteString;
import io.ponte.load.YjsText;
import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.ProtocolException;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocSync;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.Join;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.ServerMessage;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * One participant of a chaos soak: one WebSocket to one of the nodes (through its fault proxy),
 * one room, at most one sequenced request in flight, retried with the same client message id
 * until it is answered (after an error marked retryable, a silent connection, a reconnect to any
 * node). Records into the {@link History} what it sent, what was acknowledged and every durable
 * event it processed, and keeps the room's document as the list of Yjs updates it got.
 * Everything runs on its own event-loop context.
 */
final class ChaosClient {
  /** The request in flight: sent again, unchanged, until answered. */
  private record Op(String cmid, String kind, String hash, ClientMessage.Builder body) { }

  final String name;
  final String room;
  final String docId;
  private final String token;
  private final boolean teacher;
  private final boolean typist;
  private final List<Integer> ports;
  private final Context context;
  private final WebSocketClient client;
  private final History history;
  private final Random random;
  private final long answerTimeoutMs;

  private WebSocket ws;
  private int portIndex;
  private boolean stopped;
  private boolean joined;
  long lastSeq;
  String epoch = "";
  private long requestIds;
  private Op inFlight;
  private long inFlightRequest;
  private long answerTimer = -1;
  private long workTimer = -1;
  private long posts;
  private final long docClient;
  private long docClock;
  private boolean docCreated;
  /** Every Yjs update this client has for the room's document since its last reset. */
  final List<byte[]> docUpdates = new ArrayList<>();
  /** Counts for the summary. */
  long acks;
  long refusals;
  /** Completed when the in-flight request is answered (for probes). */
  private CompletableFuture<Long> answered;

  ChaosClient(String name, String room, String docId, String token, boolean teacher, boolean typist,
      List<Integer> ports, int home, Context context, WebSocketClient client, History history,
      long seed, long answerTimeoutMs) {
    this.name = name;
    this.room = room;
    this.docId = docId;
    this.token = token;
    this.teacher = teacher;
    this.typist = typist;
    this.ports = ports;
    this.portIndex = home;
    this.context = context;
    this.client = client;
    this.history = history;
    this.random = new Random(seed);
    this.answerTimeoutMs = answerTimeoutMs;
    this.docClient = 1 + (random.nextLong() & 0x3FFF_FFFFL);
  }

  void run(Runnable r) {
    context.runOnContext(v -> r.run());
  }

  // ------------------------------------------------------------------------------------------
  // Connection
  // ------------------------------------------------------------------------------------------

  void start() {
    run(this::connect);
  }

  private void connect() {
    if (stopped) {
      return;
    }
    int port = ports.get(Math.floorMod(portIndex, ports.size()));
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/ws").setTimeout(5000);
    o.addSubProtocol(WireFormat.PROTO.subprotocol());
    client.connect(o).onComplete(ar -> {
      if (ar.failed()) {
        reconnectLater();
        return;
      }
      if (stopped) {
        ar.result().close();
        return;
      }
      opened(ar.result());
    });
  }

  /** Another node next time: a client that lost its node goes where the balancer sends it. */
  private void reconnectLater() {
    if (stopped) {
      return;
    }
    portIndex++;
    context.owner().setTimer(100 + random.nextInt(400), t -> connect());
  }

  private void opened(WebSocket socket) {
    ws = socket;
    socket.binaryMessageHandler(buf -> {
      try {
        onMessage(FrameCodec.decodeServer(buf.getBytes()));
      } catch (ProtocolException e) {
        history.note(name, "undecodable frame: " + e.getMessage());
      }
    });
    socket.exceptionHandler(e -> { });
    socket.closeHandler(v -> onClose(socket));
    write(ClientMessage.newBuilder().setRequestId(++requestIds)
        .setHello(Hello.newBuilder().setToken(token).setClient("ponte-chaos/1")));
    armTimeout();
  }

  private void onClose(WebSocket socket) {
    if (socket != ws) {
      return;
    }
    ws = null;
    joined = false;
    cancelTimeout();
    reconnectLater();
  }

  /** Drops the connection (no answer in time: the node or the path to it is gone). */
  private void abandon() {
    WebSocket socket = ws;
    if (socket != null) {
      socket.close();
      // A stalled path may never deliver the close: forget the socket now.
      onClose(socket);
    }
  }

  private void write(ClientMessage.Builder m) {
    WebSocket socket = ws;
    if (socket != null && !socket.isClosed()) {
      socket.writeBinaryMessage(Buffer.buffer(FrameCodec.encodeBinary(m.build())));
    }
  }

  private void armTimeout() {
    cancelTimeout();
    answerTimer = context.owner().setTimer(answerTimeoutMs, t -> {
      answerTimer = -1;
      abandon();
    });
  }

  private void cancelTimeout() {
    if (answerTimer >= 0) {
      context.owner().cancelTimer(answerTimer);
      answerTimer = -1;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Receiving
  // ------------------------------------------------------------------------------------------

  private void onMessage(ServerMessage m) {
    switch (m.getBodyCase()) {
      case BATCH -> m.getBatch().getMessagesList().forEach(this::onMessage);
      case WELCOME -> write(ClientMessage.newBuilder().setRequestId(++requestIds).setJoin(
          Join.newBuilder().setRoomId(room).setLastSeq(lastSeq).setEpoch(epoch)));
      case JOINED -> onJoined(m.getJoined());
      case EVENT -> {
        if (joined) {
          onEvent(m.getEvent());
        }
      }
      case ACK -> {
        if (inFlight != null && m.getRequestId() == inFlightRequest) {
          history.acked(name, room, inFlight.cmid(), m.getAck().getSeq(), epoch, m.getAck().getDuplicate());
          acks++;
          if ("doc-create".equals(inFlight.kind())) {
            docCreated = true;
          }
          done(m.getAck().getSeq());
        }
      }
      case ERROR -> onError(m);
      case DOC_SYNC_REPLY -> docUpdates.add(m.getDocSyncReply().getUpdate().toByteArray());
      default -> { }
    }
  }

  private void onJoined(Joined j) {
    if (!j.getRoomId().equals(room)) {
      return;
    }
    if (j.getReset()) {
      history.joined(name, room, j.getSeq(), j.getEpoch(), true);
      docUpdates.clear();
      if (j.getSnapshot().getDocumentsList().stream().anyMatch(d -> d.getDocId().equals(docId))) {
        docCreated = true;
        syncDoc();
      }
    } else {
      for (Event e : j.getMissedList()) {
        onEvent(e);
      }
      history.joined(name, room, j.getSeq(), j.getEpoch(), false);
    }
    lastSeq = j.getSeq();
    epoch = j.getEpoch();
    joined = true;
    cancelTimeout();
    if (inFlight != null) {
      send();
    }
  }

  private void syncDoc() {
    write(ClientMessage.newBuilder().setRequestId(++requestIds).setDocSync(DocSync.newBuilder()
        .setRoomId(room).setDocId(docId)));
  }

  private void onEvent(Event e) {
    if (e.getSeq() == 0) {
      return;
    }
    String kind;
    String hash = "";
    switch (e.getBodyCase()) {
      case CHAT_POSTED -> {
        kind = "chat";
        hash = History.hash(kind, e.getChatPosted().getText());
      }
      case DOC_UPDATED -> {
        kind = "doc";
        hash = History.hash(kind, e.getDocUpdated().getUpdate().toByteArray());
        if (e.getDocUpdated().getDocId().equals(docId)) {
          docUpdates.add(e.getDocUpdated().getUpdate().toByteArray());
        }
      }
      case DOC_CREATED -> {
        kind = "doc-create";
        hash = History.hash(kind, e.getDocCreated().getDocument().getDocId());
        if (e.getDocCreated().getDocument().getDocId().equals(docId) && !docCreated) {
          docCreated = true;
          syncDoc();
        }
      }
      case SKIPPED -> kind = "skipped";
      default -> kind = e.getBodyCase().name().toLowerCase(java.util.Locale.ROOT);
    }
    history.received(name, room, e.getSeq(), epoch, kind, hash);
    lastSeq = Math.max(lastSeq, e.getSeq());
  }

  private void onError(ServerMessage m) {
    if (inFlight == null || m.getRequestId() != inFlightRequest) {
      return;
    }
    ErrorCode code = m.getError().getCode();
    if (code == ErrorCode.DOC_EXISTS) {
      docCreated = true;
      done(0);
    } else if (m.getError().getRetryable() || code == ErrorCode.NOT_IN_ROOM) {
      cancelTimeout();
      long wait = Math.max(200, m.getError().getRetryAfterMs());
      long request = inFlightRequest;
      context.owner().setTimer(wait, t -> {
        if (inFlight != null && inFlightRequest == request && joined) {
          send();
        }
      });
    } else {
      // Refused for good: never acknowledged, so nothing the checker expects in the store.
      history.note(name, "refused " + inFlight.cmid() + ": " + code);
      refusals++;
      done(-1);
    }
  }

  private void done(long seq) {
    cancelTimeout();
    inFlight = null;
    CompletableFuture<Long> f = answered;
    answered = null;
    if (f != null) {
      f.complete(seq);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Sending
  // ------------------------------------------------------------------------------------------

  private void send() {
    inFlightRequest = ++requestIds;
    history.sent(name, room, inFlight.cmid(), inFlight.kind(), inFlight.hash());
    write(ClientMessage.newBuilder().mergeFrom(inFlight.body().build()).setRequestId(inFlightRequest));
    armTimeout();
  }

  private void submit(Op op) {
    inFlight = op;
    if (joined && ws != null) {
      send();
    }
  }

  /** Works at {@code rate} requests per second: chat posts, keystrokes for typists. */
  void startWorking(double rate) {
    run(() -> {
      long interval = Math.max(1, Math.round(1000 / rate));
      workTimer = context.owner().setPeriodic(interval, t -> work());
    });
  }

  void stopWorking() {
    run(() -> {
      if (workTimer >= 0) {
        context.owner().cancelTimer(workTimer);
        workTimer = -1;
      }
    });
  }

  private void work() {
    if (inFlight != null || !joined || stopped) {
      return;
    }
    if (teacher && !docCreated) {
      submit(new Op(name + ".doc", "doc-create", History.hash("doc-create", docId), ClientMessage.newBuilder()
          .setDocCreate(DocCreate.newBuilder().setRoomId(room).setDocId(docId).setTitle("Chaos notes")
              .setClientMsgId(name + ".doc"))));
    } else if (typist && docCreated && random.nextBoolean()) {
      String text = String.valueOf((char) ('a' + random.nextInt(26)));
      byte[] update = YjsText.insert(docClient, docClock, docClient, docClock - 1, "content", text);
      docClock += text.length();
      String cmid = name + ".d" + docClock;
      submit(new Op(cmid, "doc", History.hash("doc", update), ClientMessage.newBuilder().setDocUpdate(
          DocUpdate.newBuilder().setRoomId(room).setDocId(docId).setUpdate(ByteString.copyFrom(update))
              .setClientMsgId(cmid))));
    } else {
      post(name + "." + (++posts), name + " says " + posts);
    }
  }

  private void post(String cmid, String text) {
    submit(new Op(cmid, "chat", History.hash("chat", text), ClientMessage.newBuilder().setChatPost(
        ChatPost.newBuilder().setRoomId(room).setText(text).setClientMsgId(cmid))));
  }

  /** One post, retried until answered; completes with its seq (-1: refused). For probes. */
  CompletableFuture<Long> postOnce(String cmid, String text) {
    CompletableFuture<Long> f = new CompletableFuture<>();
    run(() -> {
      answered = f;
      post(cmid, text);
    });
    return f;
  }

  /** Asks again for the whole document (a probe's replica). */
  void resyncDoc() {
    run(() -> {
      docUpdates.clear();
      syncDoc();
    });
  }

  /** Where this client is: its seq, epoch and document state, read on its own context. */
  record View(String name, long lastSeq, String epoch, boolean joined, boolean idle, String docState) { }

  CompletableFuture<View> view() {
    CompletableFuture<View> f = new CompletableFuture<>();
    run(() -> {
      try {
        f.complete(new View(name, lastSeq, epoch, joined, inFlight == null, DocState.of(docUpdates)));
      } catch (RuntimeException e) {
        f.complete(new View(name, lastSeq, epoch, joined, inFlight == null, "unreadable: " + e));
      }
    });
    return f;
  }

  boolean idle() {
    return inFlight == null;
  }

  boolean isJoined() {
    return joined;
  }

  void stop() {
    run(() -> {
      stopped = true;
      if (workTimer >= 0) {
        context.owner().cancelTimer(workTimer);
      }
      cancelTimeout();
      if (ws != null) {
        ws.close();
      }
    });
  }
}
