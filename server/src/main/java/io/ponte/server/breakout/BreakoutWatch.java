package io.ponte.server.breakout;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Breakout;
import io.ponte.protocol.v1.BreakoutEnded;
import io.ponte.protocol.v1.BreakoutOperation;
import io.ponte.protocol.v1.BreakoutRound;
import io.ponte.protocol.v1.BreakoutTimerEnded;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.server.room.FeatureRelay;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomCore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.ponte.protocol.v1.BreakoutPlace;
import io.ponte.protocol.v1.LeftReason;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node holding a parent room does about its breakouts beyond the state: it closes the open
 * round when its timer runs out (a {@code BreakoutTimerEnded} naming the round and the timer, so
 * a second node doing the same, or a late check after the timer changed, is refused), and when a
 * round closes while it watches, it ends each breakout room (a {@code BreakoutEnded} in that room;
 * ending an ended breakout changes nothing). When the class ends (or the room is closed) with a
 * round open, its breakout rooms end too.
 *
 * <p>Pitfall: every node holding the parent does both, so a round closing ends its rooms from
 * each (harmless, deduplicated by the breakout's state). A node that dies before ending them
 * leaves that to the next join of such a room ({@link BreakoutAccess} ends it first).
 */
final class BreakoutWatch implements FeatureRelay {
  private static final Logger log = LoggerFactory.getLogger(BreakoutWatch.class);

  private final Room room;
  private Vertx vertx;
  private long timerId = -1;
  private long timerRound;
  private long timerEndsAt;
  /** Rounds closed when this node started watching (-1: not yet): older ones were ended before. */
  private int closedSeen = -1;
  /** The open round's places as last seen (user id to breakout room id), and its seq (0: none). */
  private Map<String, String> places = new HashMap<>();
  private long placesRound;
  /** The open round whose rooms were ended because the class ended (0: none). */
  private long endedWithClass;

  BreakoutWatch(Room room) {
    this.room = room;
  }

  @Override
  public Set<Event.BodyCase> events() {
    return Set.of();
  }

  @Override
  public void applied(RoomCore state) {
    if (vertx == null) {
      vertx = Vertx.currentContext().owner();
    }
    BreakoutState b = state.feature(BreakoutState.class);
    int closed = b.closedCount();
    if (closedSeen < 0) {
      closedSeen = closed;
    }
    while (closedSeen < closed) {
      endRooms(b.closedRound(closedSeen++));
    }
    BreakoutRound open = b.open();
    dismissMoved(open);
    if (open != null && state.ended() && open.getRoundSeq() != endedWithClass) {
      // The class ended (or the room was closed) with breakouts open: they end with it.
      endedWithClass = open.getRoundSeq();
      Actor creator = Actor.newBuilder().setUserId(open.getCreatedByUserId())
          .setDisplayName(open.getCreatedByDisplayName()).setRole(Role.TEACHER).build();
      for (Breakout bo : open.getBreakoutsList()) {
        end(room, bo.getRoomId(), open.getRoundSeq(), creator);
      }
    }
    long endsAt = open == null ? 0 : open.getEndsAtMs();
    long round = open == null ? 0 : open.getRoundSeq();
    if (endsAt == timerEndsAt && round == timerRound) {
      return;
    }
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
    timerEndsAt = endsAt;
    timerRound = round;
    if (endsAt > 0) {
      schedule(endsAt - System.currentTimeMillis());
    }
  }

  /**
   * A user whose place changed leaves the breakout they were in (their connections on this node,
   * which is where their parent membership is): the move is the teacher's, not the client's to
   * follow or not.
   */
  private void dismissMoved(BreakoutRound open) {
    if (open == null && placesRound == 0) {
      return; // no round, before or now: most rooms, most of the time
    }
    Map<String, String> now = new HashMap<>();
    if (open != null) {
      for (BreakoutPlace p : open.getPlacesList()) {
        now.put(p.getUserId(), p.getRoomId());
      }
    }
    if (placesRound != 0 && open != null && open.getRoundSeq() == placesRound) {
      for (Map.Entry<String, String> was : places.entrySet()) {
        if (!was.getValue().equals(now.get(was.getKey()))) {
          String userId = was.getKey();
          Room loaded = room.loadedSibling(was.getValue());
          if (loaded != null) {
            loaded.dismiss(userId, LeftReason.LEFT_REMOVED);
          }
        }
      }
    }
    places = now;
    placesRound = open == null ? 0 : open.getRoundSeq();
  }

  private void schedule(long delayMs) {
    timerId = vertx.setTimer(Math.max(1, delayMs), id -> room.call(state -> {
      timerId = -1;
      fire(state);
      return Future.succeededFuture();
    }));
  }

  private void fire(RoomCore state) {
    BreakoutRound open = state.feature(BreakoutState.class).open();
    if (open == null || open.getRoundSeq() != timerRound || open.getEndsAtMs() != timerEndsAt
        || state.ended()) {
      return;
    }
    long early = timerEndsAt - System.currentTimeMillis();
    if (early > 0) {
      schedule(early); // a timer may fire a little early; the close waits for its time
      return;
    }
    Actor setter = Actor.newBuilder().setUserId(open.getTimerUserId())
        .setDisplayName(open.getTimerDisplayName()).setRole(Role.TEACHER).build();
    Operation close = Operation.newBuilder().setActor(setter)
        .setBreakout(BreakoutOperation.newBuilder().setTimerEnded(BreakoutTimerEnded.newBuilder()
            .setRoundSeq(open.getRoundSeq()).setEndsAtMs(open.getEndsAtMs())))
        .build();
    room.submit(close).onComplete(ar -> {
      if (ar.failed() || ar.result().rejection() != null) {
        log.debug("room {}: breakout timer close not applied: {}", room.roomId(),
            ar.failed() ? ar.cause().toString() : ar.result().rejection().getCode());
      }
    });
  }

  private void endRooms(BreakoutRound round) {
    Actor closer = Actor.newBuilder().setUserId(round.getClosedByUserId())
        .setDisplayName(round.getClosedByDisplayName()).setRole(Role.TEACHER).build();
    for (Breakout b : round.getBreakoutsList()) {
      end(room, b.getRoomId(), round.getRoundSeq(), closer);
    }
  }

  /** Ends one breakout room (if it exists: a breakout nobody entered has no room). */
  static Future<Void> end(Room parent, String breakoutId, long roundSeq, Actor closer) {
    Operation end = Operation.newBuilder().setActor(closer)
        .setBreakout(BreakoutOperation.newBuilder().setEnd(BreakoutEnded.newBuilder()
            .setParentRoomId(parent.roomId()).setRoundSeq(roundSeq)))
        .build();
    return parent.sibling(breakoutId)
        .compose(r -> r.submit(end))
        .<Void>mapEmpty()
        .onFailure(err -> log.debug("room {}: breakout {} not ended: {}", parent.roomId(), breakoutId,
            err.toString()));
  }
}
