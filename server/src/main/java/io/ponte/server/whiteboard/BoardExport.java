package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.Board;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.AdminAuth;
import io.ponte.server.auth.AuthException;
import io.ponte.server.auth.Principal;
import io.ponte.server.auth.TokenVerifier;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /api/rooms/{room}/boards/{board}/pages/{page}/svg}: one whiteboard page as an SVG
 * document ({@link BoardSvg}), for the admin token or a token naming its bearer a teacher of the
 * room. Errors are JSON {@code {code, message}}: 401 without a valid token, 403 for anyone else,
 * 404 ROOM_NOT_FOUND / BOARD_NOT_FOUND / PAGE_NOT_FOUND, 400 for a malformed id.
 *
 * <p>Image references render as {@code <image href="assets/{asset id}">} relative to the
 * document: the deployment serves its assets beside the export (or the placeholder shows).
 */
public final class BoardExport {
  private final AdminAuth adminAuth;
  private final TokenVerifier tokens;
  private final RoomRegistry rooms;

  public BoardExport(AdminAuth adminAuth, TokenVerifier tokens, RoomRegistry rooms) {
    this.adminAuth = adminAuth;
    this.tokens = tokens;
    this.rooms = rooms;
  }

  public void mount(Router router) {
    router.get("/api/rooms/:room/boards/:board/pages/:page/svg").handler(this::export);
  }

  private void export(RoutingContext ctx) {
    String roomId = ctx.pathParam("room");
    String boardId = ctx.pathParam("board");
    String pageId = ctx.pathParam("page");
    if (!ResourceId.valid(roomId) || !ResourceId.valid(boardId) || !ResourceId.valid(pageId)) {
      fail(ctx, 400, ErrorCode.INVALID_REQUEST, "room, board or page id is malformed");
      return;
    }
    String authorization = ctx.request().getHeader("Authorization");
    if (!adminAuth.isAdmin(authorization)) {
      String token = authorization != null && authorization.startsWith("Bearer ")
          ? authorization.substring("Bearer ".length()).trim() : "";
      Principal p;
      try {
        p = tokens.verify(token);
      } catch (AuthException e) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
        fail(ctx, 401, e.code(), "a teacher's token or the admin token is needed");
        return;
      }
      if (p.roleFor(roomId) != Role.TEACHER) {
        fail(ctx, 403, ErrorCode.PERMISSION_DENIED, "only the room's teachers may export its boards");
        return;
      }
    }
    rooms.room(roomId)
        .compose(room -> room.read(state -> state.feature(WhiteboardState.class).board(boardId)))
        .onComplete(ar -> {
          if (ar.failed()) {
            if (ar.cause() instanceof RoomException re && re.error().getCode() == ErrorCode.ROOM_NOT_FOUND) {
              fail(ctx, 404, ErrorCode.ROOM_NOT_FOUND, "no such room");
            } else {
              fail(ctx, 503, ErrorCode.UNAVAILABLE, "the room cannot be read now");
            }
            return;
          }
          Board board = ar.result();
          if (board == null) {
            fail(ctx, 404, ErrorCode.BOARD_NOT_FOUND, "no such board");
            return;
          }
          String svg = BoardSvg.render(board, pageId, asset -> "assets/" + asset);
          if (svg == null) {
            fail(ctx, 404, ErrorCode.PAGE_NOT_FOUND, "no such page");
            return;
          }
          ctx.response().setStatusCode(200)
              .putHeader("Content-Type", "image/svg+xml; charset=utf-8")
              // Nothing in it should run even if opened directly: no scripts, no fetches.
              .putHeader("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
              .putHeader("X-Content-Type-Options", "nosniff")
              .putHeader("Cache-Control", "no-store")
              .end(svg);
        });
  }

  private static void fail(RoutingContext ctx, int status, ErrorCode code, String message) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(new JsonObject().put("code", code.name()).put("message", message).encode());
  }
}
