package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.WireFormat;
import io.ponte.server.auth.TokenVerifier;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.session.Requests;
import io.ponte.server.session.RoomAccess;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket endpoint at /ws: checks the upgrade request (subprotocol, origin, draining),
 * upgrades it, and keeps the open {@link Connection}s.
 *
 * <p>Refusals before the upgrade are plain HTTP answers with a one-line reason: 426 when the
 * request is not a WebSocket upgrade, 400 without a Ponte subprotocol, 403 for an origin not
 * allowed, 503 while shutting down.
 */
public final class Transport {
  private static final Logger log = LoggerFactory.getLogger(Transport.class);

  private final PonteConfig config;
  private final TokenVerifier tokens;
  private final RoomRegistry rooms;
  private final RoomAccess access;
  private final PonteMetrics metrics;
  private final Requests requests;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Set<YjsConnection> yjsConnections = ConcurrentHashMap.newKeySet();
  private final Set<HocuspocusConnection> hocuspocusConnections = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  public Transport(PonteConfig config, TokenVerifier tokens, RoomRegistry rooms, PonteMetrics metrics,
      Requests requests, RoomAccess access) {
    this.config = config;
    this.access = access;
    this.requests = requests;
    this.tokens = tokens;
    this.rooms = rooms;
    this.metrics = metrics;
    metrics.connectionsPerUser(userSockets, Transport::mostOfOneUser, config.maxConnectionsPerUser());
  }

  /** Scrape time only: walks every user with a socket on this node. */
  private static double mostOfOneUser(ConcurrentHashMap<String, Integer> sockets) {
    int most = 0;
    for (int n : sockets.values()) {
      most = Math.max(most, n);
    }
    return most;
  }

  PonteConfig config() {
    return config;
  }

  TokenVerifier tokens() {
    return tokens;
  }

  RoomRegistry rooms() {
    return rooms;
  }

  /** Who may enter which room in which role (every endpoint's admission). */
  RoomAccess access() {
    return access;
  }

  PonteMetrics metrics() {
    return metrics;
  }

  /** The features' request handlers on /ws. */
  Requests requests() {
    return requests;
  }

  /** Sockets per user on this node, all endpoints together (max-connections-per-user). */
  private final ConcurrentHashMap<String, Integer> userSockets = new ConcurrentHashMap<>();

  /** Counts one more socket for the user; false (nothing counted) at max-connections-per-user. */
  boolean claimUser(String userId) {
    boolean[] ok = new boolean[1];
    userSockets.compute(userId, (u, n) -> {
      int count = n == null ? 0 : n;
      ok[0] = count < config.maxConnectionsPerUser();
      return ok[0] ? count + 1 : (n == null ? null : n);
    });
    return ok[0];
  }

  void releaseUser(String userId) {
    userSockets.computeIfPresent(userId, (u, n) -> n <= 1 ? null : n - 1);
  }

  /** With ws-compression on: our permessage-deflate on a new HTTP connection (see WebSocketDeflate). */
  public void installCompression(io.vertx.core.http.HttpConnection connection) {
    WebSocketDeflate.install(connection, config, webSocketWireLimit(config));
  }

  /** The largest message on the Yjs-compatible endpoints: a whole document update and its framing. */
  int yMessageLimit() {
    return (int) Math.min(Integer.MAX_VALUE / 2, (long) config.docMaxUpdateBytes() + Y_FRAMING_BYTES);
  }

  void forget(Connection c) {
    connections.remove(c);
  }

  void forgetYjs(YjsConnection c) {
    yjsConnections.remove(c);
  }

  void forgetHocuspocus(HocuspocusConnection c) {
    hocuspocusConnections.remove(c);
  }

  /**
   * Framing around a document update on the Yjs-compatible endpoints: message types, the
   * update's length and (Hocuspocus) the document name, at most two 128-character ids.
   */
  static final int Y_FRAMING_BYTES = 16 * 1024;

  /**
   * The largest WebSocket frame (and message) the WebSocket layer buffers, on every endpoint: 4x
   * {@code max-frame-bytes}, so that /ws can answer a frame above that limit with FRAME_TOO_LARGE
   * and a Ponte close code, and at least a whole document update ({@code doc-max-update-bytes})
   * with its framing, so that the Yjs-compatible endpoints, where one update is one message, can
   * take every update the document limit allows and answer a larger one with their own refusal
   * (/ws too takes a document update above max-frame-bytes, in either wire format). Beyond it the WebSocket layer closes with 1009 before buffering.
   */
  public static int webSocketWireLimit(PonteConfig config) {
    // A document update travels base64-encoded in a JSON frame on /ws: a third larger.
    long update = ((long) config.docMaxUpdateBytes() + 2) / 3 * 4;
    long limit = Math.max(4L * config.maxFrameBytes(), update + Y_FRAMING_BYTES);
    return (int) Math.min(Integer.MAX_VALUE / 2, limit);
  }

  /** The request's Netty channel, or null (not an HTTP/1 connection). */
  private static io.netty.channel.Channel channelOf(HttpServerRequest request) {
    return request.connection() instanceof io.vertx.core.http.impl.HttpServerConnection c
        ? c.channelHandlerContext().channel() : null;
  }

  /** Number of open connections. */
  public int connectionCount() {
    return connections.size();
  }

  /**
   * The checks every WebSocket endpoint makes before upgrading: 503 while shutting down, 426
   * when the request is not a WebSocket upgrade, 403 for an origin not allowed. True when the
   * request was answered (refused).
   */
  private boolean refusedBeforeUpgrade(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    if (draining) {
      response.setStatusCode(503).end("server shutting down\n");
      return true;
    }
    String upgrade = request.getHeader("Upgrade");
    if (upgrade == null || !"websocket".equalsIgnoreCase(upgrade)) {
      response.setStatusCode(426).putHeader("Upgrade", "websocket")
          .end("this endpoint speaks WebSocket only\n");
      return true;
    }
    if (!config.isOriginAllowed(request.getHeader("Origin"))) {
      response.setStatusCode(403).end("origin not allowed\n");
      return true;
    }
    return false;
  }

  /** Handles an HTTP request for /ws. */
  public void handle(HttpServerRequest request) {
    if (refusedBeforeUpgrade(request)) {
      return;
    }
    HttpServerResponse response = request.response();
    WireFormat format = WireFormat.negotiate(request.getHeader("Sec-WebSocket-Protocol"));
    if (format == null) {
      response.setStatusCode(400).end("missing or unknown subprotocol: offer "
          + WireFormat.PROTO.subprotocol() + " or " + WireFormat.JSON.subprotocol() + "\n");
      return;
    }
    request.toWebSocket().onComplete(ar -> {
      if (ar.failed()) {
        log.debug("websocket upgrade failed: {}", ar.cause().toString());
        return;
      }
      Connection c = new Connection(ar.result(), channelOf(request), format, Vertx.currentContext(), this);
      connections.add(c);
      c.start();
    });
  }

  /**
   * Handles an HTTP request for the y-websocket-compatible endpoint {@code /yjs/{room}/{doc}},
   * token in the query parameter {@code token}. Refused before the upgrade only for what concerns
   * the transport: 426 not a WebSocket upgrade, 403 origin not allowed, 503 shutting down. The
   * rest is refused right after the upgrade with a close code, because a browser's WebSocket
   * cannot see an HTTP status and a y-websocket provider refused with one retries for ever, while
   * it stops on 4400-4499: 4401 a missing or bad token, 4403 a token without the room, 4404 an
   * unknown room or document; 4105 (retry) when the room cannot be loaded now.
   */
  public void handleYjs(HttpServerRequest request, String roomId, String docId) {
    if (refusedBeforeUpgrade(request)) {
      return;
    }
    request.pause();
    io.netty.channel.Channel channel = channelOf(request);
    Context requestContext = Vertx.currentContext();
    // The admission may wait for the token's keys or the room: bounded by the auth deadline,
    // so that the paused request is always either upgraded or refused.
    Future<DocumentAdmission.Admitted> admission = within(requestContext, config.authTimeoutMs(),
        DocumentAdmission.admit(this, request.getParam("token"), roomId, docId));
    onRequestContext(requestContext, admission, ar -> {
      if (ar.failed()) {
        DocumentAdmission.Refused r = ar.cause() instanceof DocumentAdmission.Refused x ? x
            : new DocumentAdmission.Refused(io.ponte.protocol.v1.ErrorCode.UNAVAILABLE, "retry", false, true);
        refuseAfterUpgrade(request, yjsCloseCode(r), yjsCloseReason(r));
        return;
      }
      DocumentAdmission.Admitted a = ar.result();
      request.toWebSocket().onComplete(up -> {
        if (up.failed()) {
          log.debug("yjs websocket upgrade failed: {}", up.cause().toString());
          return;
        }
        YjsConnection c = new YjsConnection(up.result(), channel, Vertx.currentContext(), this,
            a.principal(), a.role(), a.room(), a.docId());
        yjsConnections.add(c);
        c.start();
      });
    });
  }

  /**
   * Hands the outcome of an asynchronous admission to {@code then} on the request's own context,
   * where the upgrade must start (null: wherever the admission completes).
   *
   * <p>Pitfall: the admission completes on the room's event loop. A {@code toWebSocket()} called
   * there hands the handshake to the request's event loop, which may finish it, and read the
   * client's first frames, before the caller has attached its completion handler; Vert.x drops
   * the frames a WebSocket receives before it has a frame handler, so a provider's sync step 1
   * was lost at random and the provider never synced. Called on the request's event loop, the
   * handler is attached before the handshake runs there.
   */
  static <T> void onRequestContext(Context requestContext, Future<T> admission,
      Handler<AsyncResult<T>> then) {
    if (requestContext == null) {
      admission.onComplete(then);
      return;
    }
    admission.onComplete(ar -> requestContext.runOnContext(v -> then.handle(ar)));
  }

  /**
   * {@code admission}, or a retryable UNAVAILABLE refusal when it has not ended after {@code ms}
   * (a room that does not load, keys that do not come). Completes on no particular thread.
   */
  static <T> Future<T> within(Context context, long ms, Future<T> admission) {
    if (context == null || admission.isComplete()) {
      return admission;
    }
    io.vertx.core.Promise<T> bounded = io.vertx.core.Promise.promise();
    long timer = context.owner().setTimer(ms, id -> bounded.tryFail(new DocumentAdmission.Refused(
        io.ponte.protocol.v1.ErrorCode.UNAVAILABLE, "admission took too long, retry", false, true)));
    admission.onComplete(ar -> {
      context.owner().cancelTimer(timer);
      if (ar.succeeded()) {
        bounded.tryComplete(ar.result());
      } else {
        bounded.tryFail(ar.cause());
      }
    });
    return bounded.future();
  }

  /**
   * The close code for a /yjs socket refused at admission: 4401 the token, 4404 no such room or
   * document, 4403 refused for good, 4105 (retried by providers) refused for now, the token's
   * keys included.
   */
  private static CloseCode yjsCloseCode(DocumentAdmission.Refused r) {
    if (r.authentication && !r.retryable) {
      return CloseCode.UNAUTHORIZED;
    }
    return switch (r.code) {
      case ROOM_NOT_FOUND, DOC_NOT_FOUND -> CloseCode.NOT_FOUND;
      default -> r.retryable ? CloseCode.ROOM_UNAVAILABLE : CloseCode.FORBIDDEN;
    };
  }

  /** The reason of that close: the error code's name (with "retry" for a refusal for now). */
  private static String yjsCloseReason(DocumentAdmission.Refused r) {
    if (!r.retryable) {
      return r.code.name();
    }
    return r.authentication ? r.code.name() + ": retry" : "UNAVAILABLE: retry";
  }

  /** Upgrades only to close at once with the code and reason (an error code name first). */
  private void refuseAfterUpgrade(HttpServerRequest request, CloseCode code, String reason) {
    request.toWebSocket().onComplete(up -> {
      if (up.failed()) {
        log.debug("yjs websocket upgrade failed: {}", up.cause().toString());
        return;
      }
      up.result().close((short) code.code(), reason);
    });
  }

  /**
   * Handles an HTTP request for the Hocuspocus-compatible endpoint {@code /hocuspocus}: several
   * documents ({@code {room}/{doc}}) over one socket, each authenticated by its own Auth message.
   * Refusals before the upgrade: 426 not a WebSocket upgrade, 403 origin not allowed, 503
   * shutting down.
   */
  public void handleHocuspocus(HttpServerRequest request) {
    if (refusedBeforeUpgrade(request)) {
      return;
    }
    HttpServerResponse response = request.response();
    request.toWebSocket().onComplete(up -> {
      if (up.failed()) {
        log.debug("hocuspocus websocket upgrade failed: {}", up.cause().toString());
        return;
      }
      HocuspocusConnection c = new HocuspocusConnection(up.result(), channelOf(request),
          Vertx.currentContext(), this);
      hocuspocusConnections.add(c);
      c.start();
    });
  }

  /** One open socket of any endpoint, as a drain sees it. */
  public interface OpenSocket {
    /**
     * Stops reading from the socket and, once every write read from it is answered (or after
     * {@code timeoutMs}), sends what is queued and closes with SERVER_SHUTDOWN (4102: resume
     * elsewhere). Completes when the close is sent: true if every write read was answered.
     */
    Future<Boolean> closeForShutdown(long timeoutMs);
  }

  /** Refuses every new WebSocket upgrade from now on (503, on every endpoint). */
  public void stopAccepting() {
    draining = true;
  }

  public boolean accepting() {
    return !draining;
  }

  /** The sockets open now, on every endpoint. */
  public List<OpenSocket> openSockets() {
    List<OpenSocket> open = new ArrayList<>();
    for (Connection c : List.copyOf(connections)) {
      open.add(c::closeForShutdown);
    }
    for (YjsConnection c : List.copyOf(yjsConnections)) {
      open.add(c::closeForShutdown);
    }
    for (HocuspocusConnection c : List.copyOf(hocuspocusConnections)) {
      open.add(c::closeForShutdown);
    }
    return open;
  }

  /** Sockets open on every endpoint. */
  public int openSocketCount() {
    return connections.size() + yjsConnections.size() + hocuspocusConnections.size();
  }
}
