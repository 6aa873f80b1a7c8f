package io.ponte.server.whiteboard;

import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.BoardInk;
import io.ponte.protocol.v1.BoardInkEvent;
import io.ponte.protocol.v1.BoardLiveInk;
import io.ponte.protocol.v1.BoardPath;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.InkStroke;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.RoomState;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.ponte.server.util.TokenBucket;
import io.vertx.core.Future;

/**
 * The whiteboard's requests on /ws: board operations (sequenced, board-ops-per-second), live ink,
 * laser and follow-me (ephemeral, board-ink-per-second, the excess dropped), and low-bandwidth
 * mode. Runs on the connection's context; state checks hop to the room's.
 */
final class WhiteboardRequests implements RequestFeature {
  private final BoardLimits limits;

  WhiteboardRequests(BoardLimits limits) {
    this.limits = limits;
  }

  /** A connection's board budgets. */
  private static final class Budgets {
    final TokenBucket ops;
    final TokenBucket ink;

    Budgets(int opsPerSecond, int inkPerSecond) {
      long now = System.nanoTime();
      ops = new TokenBucket(opsPerSecond, 2.0 * opsPerSecond, now);
      ink = new TokenBucket(inkPerSecond, 2.0 * inkPerSecond, now);
    }
  }

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.BOARD, (s, id, m) -> operation(s, id, m.getBoard()));
    requests.on(ClientMessage.BodyCase.BOARD_INK, (s, id, m) -> ink(s, id, m.getBoardInk()));
    requests.on(ClientMessage.BodyCase.BOARD_LIVE_INK, (s, id, m) -> liveInk(s, id, m.getBoardLiveInk()));
  }

  private static Budgets budgets(Session s) {
    return s.attachment(Budgets.class,
        () -> new Budgets(s.config().boardOpsPerSecond(), s.config().boardInkPerSecond()));
  }

  private static void operation(Session s, long requestId, BoardRequest request) {
    Membership m = s.member(requestId, request.getRoomId());
    if (m == null) {
      return;
    }
    long waitMs = budgets(s).ops.tryTake(1, System.nanoTime());
    if (waitMs > 0) {
      s.replyError(requestId, ErrorCodes.error(ErrorCode.RATE_LIMITED, "at most "
          + s.config().boardOpsPerSecond() + " board operations per second", request.getRoomId(), waitMs));
      return;
    }
    String clientMsgId = s.clientMsgId(requestId, request.getClientMsgId(), request.getRoomId());
    if (clientMsgId != null) {
      s.submit(requestId, m, clientMsgId, Operation.newBuilder().setBoard(request));
    }
  }

  private void ink(Session s, long requestId, BoardInk ink) {
    Membership m = s.member(requestId, ink.getRoomId());
    if (m == null) {
      return;
    }
    if (budgets(s).ink.tryTake(1, System.nanoTime()) > 0) {
      s.metrics().dropped("ink_rate");
      return;
    }
    Refusal shape = checkShape(ink, m.role());
    if (shape != null) {
      s.replyError(requestId, ErrorCodes.error(shape.code(), shape.reason(), ink.getRoomId()));
      return;
    }
    Actor actor = Actor.newBuilder().setUserId(s.principal().userId())
        .setDisplayName(s.principal().displayName()).setRole(m.role()).build();
    m.room().call(state -> {
      ErrorInfo refused = mayInk(state, actor, ink);
      if (refused != null) {
        return Future.failedFuture(new io.ponte.server.room.RoomException(refused));
      }
      BoardInkEvent.Builder body = BoardInkEvent.newBuilder().setBoardId(ink.getBoardId())
          .setPageId(ink.getPageId()).setUserId(actor.getUserId());
      switch (ink.getKindCase()) {
        case STROKE -> body.setStroke(ink.getStroke());
        case LASER -> body.setLaser(ink.getLaser());
        default -> body.setFollow(ink.getFollow());
      }
      m.room().publishEphemeral(Event.newBuilder().setRoomId(ink.getRoomId())
          .setServerTimeMs(System.currentTimeMillis()).setActor(actor).setBoardInk(body).build());
      return Future.succeededFuture();
    }).onFailure(err -> s.replyFailure(requestId, err, ink.getRoomId()));
  }

  /** What can be checked without the room: ids, kind, points, style, bounds, who may follow. */
  private Refusal checkShape(BoardInk ink, Role role) {
    if (!ResourceId.valid(ink.getBoardId()) || !ResourceId.valid(ink.getPageId())) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "board_id or page_id is missing or invalid");
    }
    switch (ink.getKindCase()) {
      case STROKE -> {
        InkStroke stroke = ink.getStroke();
        if (!ResourceId.valid(stroke.getStrokeId())) {
          return new Refusal(ErrorCode.INVALID_REQUEST, "stroke_id is missing or invalid");
        }
        if (stroke.getPointsCount() > 0 || !stroke.getDone()) {
          Refusal points = PackedPoints.check(BoardPath.newBuilder()
              .addAllPoints(stroke.getPointsList()).addAllPressure(stroke.getPressureList()).build(),
              limits.maxPathPoints());
          if (points != null) {
            return points;
          }
          if ((long) stroke.getFirstIndex() + stroke.getPointsCount() / 2 > limits.maxPathPoints()) {
            return new Refusal(ErrorCode.PATH_TOO_LONG,
                "the stroke is longer than " + limits.maxPathPoints() + " points");
          }
        }
        return StyleRules.check(stroke.getStyle());
      }
      case LASER -> {
        return ElementRules.inBounds(ink.getLaser().getX()) && ElementRules.inBounds(ink.getLaser().getY())
            ? null : new Refusal(ErrorCode.OUT_OF_BOUNDS, "the laser is off the board's coordinates");
      }
      case FOLLOW -> {
        if (role != Role.TEACHER) {
          return new Refusal(ErrorCode.PERMISSION_DENIED, "only teachers can ask to be followed");
        }
        var f = ink.getFollow();
        return ElementRules.inBounds(f.getX()) && ElementRules.inBounds(f.getY())
            && f.getWidth() >= 0 && f.getHeight() >= 0
            && ElementRules.inBounds(f.getWidth()) && ElementRules.inBounds(f.getHeight())
            ? null : new Refusal(ErrorCode.OUT_OF_BOUNDS, "the viewport is off the board's coordinates");
      }
      default -> {
        return new Refusal(ErrorCode.INVALID_REQUEST, "board ink without a kind");
      }
    }
  }

  /** The room-side checks: who may draw on that board and page now (as for an element change). */
  private static ErrorInfo mayInk(RoomState state, Actor actor, BoardInk ink) {
    ErrorInfo refused = state.mayUse(actor.getUserId(), actor.getRole(), Capability.CAPABILITY_WHITEBOARD);
    if (refused != null) {
      return refused;
    }
    Refusal r = state.feature(WhiteboardState.class).mayDrawLive(ink.getBoardId(), ink.getPageId(),
        actor.getRole() == Role.TEACHER);
    return r == null ? null : state.error(r.code(), r.reason());
  }

  private static void liveInk(Session s, long requestId, BoardLiveInk request) {
    Membership m = s.member(requestId, request.getRoomId());
    if (m == null) {
      return;
    }
    m.room().call(state -> {
      if (!m.room().hasMember(s.member())) {
        return Future.failedFuture(new io.ponte.server.room.RoomException(
            ErrorCode.NOT_IN_ROOM, "not in this room"));
      }
      m.room().relay(WhiteboardRelay.class).liveInk(s.member(), !request.getOff());
      return Future.succeededFuture();
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        s.reply(requestId, ServerMessage.newBuilder().setAck(Ack.getDefaultInstance()));
      } else {
        s.replyFailure(requestId, ar.cause(), request.getRoomId());
      }
    });
  }
}
