package io.ponte.server.transport;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.WireFormat;
import io.ponte.server.auth.TokenVerifier;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.metrics.PonteMetrics;
import io.ponte.server.room.RoomRegistry;
import io.vertx.core.Future;
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
  private final PonteMetrics metrics;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Set<YjsConnection> yjsConnections = ConcurrentHashMap.newKeySet();
  private final Set<HocuspocusConnection> hocuspocusConnections = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  public Transport(PonteConfig config, TokenVerifier tokens, RoomRegistry rooms, PonteMetrics metrics) {
    this.config = config;
    this.tokens = tokens;
    this.rooms = rooms;
    this.metrics = metrics;
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

  PonteMetrics metrics() {
    return metrics;
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
      Connection c = new Connection(ar.result(), format, Vertx.currentContext(), this);
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
    String token = request.getParam("token");
    io.ponte.server.auth.Principal principal;
    try {
      principal = tokens.verify(token == null ? "" : token);
    } catch (io.ponte.server.auth.AuthException e) {
      refuseAfterUpgrade(request, CloseCode.UNAUTHORIZED, e.code().name());
      return;
    }
    if (!io.ponte.server.room.ResourceId.valid(roomId)) {
      refuseAfterUpgrade(request, CloseCode.NOT_FOUND, "ROOM_NOT_FOUND");
      return;
    }
    if (!io.ponte.server.room.ResourceId.valid(docId)) {
      refuseAfterUpgrade(request, CloseCode.NOT_FOUND, "DOC_NOT_FOUND");
      return;
    }
    io.ponte.protocol.v1.Role role = principal.roleFor(roomId);
    if (role == null) {
      refuseAfterUpgrade(request, CloseCode.FORBIDDEN, "ROOM_NOT_ALLOWED");
      return;
    }
    request.pause();
    rooms.room(roomId)
        .compose(room -> room.openDocument(docId, io.ponte.protocol.v1.Actor.newBuilder()
            .setUserId(principal.userId()).setDisplayName(principal.displayName()).setRole(role)
            .build()).map(info -> room))
        .onComplete(ar -> {
          if (ar.failed()) {
            io.ponte.protocol.v1.ErrorCode code = ar.cause() instanceof io.ponte.server.room.RoomException re
                ? re.error().getCode() : io.ponte.protocol.v1.ErrorCode.UNAVAILABLE;
            switch (code) {
              case ROOM_NOT_FOUND, DOC_NOT_FOUND -> refuseAfterUpgrade(request, CloseCode.NOT_FOUND, code.name());
              case UNAVAILABLE, INTERNAL -> refuseAfterUpgrade(request, CloseCode.ROOM_UNAVAILABLE, "UNAVAILABLE: retry");
              default -> refuseAfterUpgrade(request, CloseCode.FORBIDDEN, code.name());
            }
            return;
          }
          request.toWebSocket().onComplete(up -> {
            if (up.failed()) {
              log.debug("yjs websocket upgrade failed: {}", up.cause().toString());
              return;
            }
            YjsConnection c = new YjsConnection(up.result(), Vertx.currentContext(), this, principal,
                role, ar.result(), docId);
            yjsConnections.add(c);
            c.start();
          });
        });
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
      HocuspocusConnection c = new HocuspocusConnection(up.result(), Vertx.currentContext(), this);
      hocuspocusConnections.add(c);
      c.start();
    });
  }

  /** Stops accepting sockets and closes every open one with SERVER_SHUTDOWN (resume later). */
  public Future<Void> drain() {
    draining = true;
    List<Future<Void>> closing = new ArrayList<>();
    for (Connection c : List.copyOf(connections)) {
      closing.add(c.closeForShutdown());
    }
    for (YjsConnection c : List.copyOf(yjsConnections)) {
      closing.add(c.closeForShutdown());
    }
    for (HocuspocusConnection c : List.copyOf(hocuspocusConnections)) {
      closing.add(c.closeForShutdown());
    }
    return Future.all(closing).mapEmpty();
  }
}
