package io.ponte.server.lobby;

import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.LobbyEntry;
import io.ponte.protocol.v1.LobbyGone;
import io.ponte.protocol.v1.LobbyKnock;
import io.ponte.protocol.v1.LobbyLeft;
import io.ponte.protocol.v1.LobbyOperation;
import io.ponte.protocol.v1.LobbyStatus;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.outbound.OutboundMessage;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.FeatureRelay;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomMember;
import io.ponte.server.room.RoomState;
import io.ponte.server.room.RoomUnloadedException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Joins waiting in one room's lobby on this node. A waiting Join makes its user knock (a
 * sequenced {@code LobbyKnock}, once per user however many tabs), is told its place
 * ({@link LobbyStatus}) whenever the queue moves, and completes or fails when the state says the
 * user was admitted, denied, removed or the session ended: every node reaches the same verdict
 * from the same operations, so a teacher on one node lets in a learner waiting on another.
 *
 * <p>When the last waiting connection of a user on this node closes, the user leaves the queue
 * ({@code LobbyGone}) lobby-leave-grace-ms later, unless one came back here meanwhile. Pitfall:
 * the timer lives on this node; a node that dies leaves its users' entries in the queue until a
 * teacher admits or denies them, or the user comes back (a knock of someone already waiting keeps
 * their place). A user waiting on two nodes whose connection on one closes leaves the queue and
 * knocks again from the other (to the end of the queue).
 *
 * <p>Not thread-safe: runs on the room's context.
 */
final class LobbyDoor implements FeatureRelay {
  private static final Logger log = LoggerFactory.getLogger(LobbyDoor.class);

  /** One waiting Join. */
  private static final class Waiter {
    final RoomMember member;
    final Actor actor;
    final boolean guest;
    final Promise<Void> verdict = Promise.promise();
    int position = -1;
    int total = -1;

    Waiter(RoomMember member, Actor actor, boolean guest) {
      this.member = member;
      this.actor = actor;
      this.guest = guest;
    }
  }

  private final Room room;
  private final Lobby.Limits limits;
  /** Waiting Joins by user id. */
  private final Map<String, List<Waiter>> waiters = new LinkedHashMap<>();
  /** Users whose knock is being sequenced from here. */
  private final Set<String> knocking = new HashSet<>();
  /** Users whose last waiting connection here closed: the actor to leave with. */
  private final Map<String, Actor> leaving = new HashMap<>();
  /** The room unloaded here: a Join arriving now goes back to load it again. */
  private boolean unloaded;

  LobbyDoor(Room room, Lobby.Limits limits) {
    this.room = room;
    this.limits = limits;
  }

  @Override
  public Set<Event.BodyCase> events() {
    return Set.of();
  }

  @Override
  public boolean holdsRoom() {
    return !waiters.isEmpty() || !leaving.isEmpty();
  }

  /** Holds a Join until the user is admitted (or refused). Room context. */
  Future<Void> await(RoomState state, RoomMember member, Actor actor, boolean guest) {
    if (unloaded) {
      return Future.failedFuture(new RoomUnloadedException());
    }
    Waiter w = new Waiter(member, actor, guest);
    waiters.computeIfAbsent(actor.getUserId(), u -> new ArrayList<>()).add(w);
    leaving.remove(actor.getUserId());
    settle(actor.getUserId(), state, null);
    return w.verdict.future();
  }

  /** The waiting connection closed: it leaves; its user leaves the queue when it was the last. */
  void closed(RoomMember member, String userId) {
    List<Waiter> list = waiters.get(userId);
    if (list == null) {
      return;
    }
    for (Waiter w : List.copyOf(list)) {
      if (w.member == member) {
        list.remove(w);
        w.verdict.tryFail(new RoomException(ErrorCode.NOT_IN_ROOM, "the connection closed while waiting"));
        if (list.isEmpty()) {
          waiters.remove(userId);
          scheduleGone(w.actor);
        }
      }
    }
  }

  private void scheduleGone(Actor actor) {
    String userId = actor.getUserId();
    if (leaving.put(userId, actor) != null) {
      return;
    }
    Vertx.currentContext().owner().setTimer(Math.max(1, limits.leaveGraceMs()), t ->
        room.call(state -> {
          Actor leaver = leaving.remove(userId);
          if (leaver != null && !waiters.containsKey(userId)) {
            submitGone(state, leaver);
          }
          releaseIfIdle();
          return Future.succeededFuture();
        }));
  }

  private void submitGone(RoomState state, Actor actor) {
    LobbyEntry entry = state.feature(LobbyState.class).entry(actor.getUserId());
    if (entry == null || state.ended()) {
      return;
    }
    Operation gone = Operation.newBuilder().setActor(actor)
        .setLobby(LobbyOperation.newBuilder().setGone(LobbyGone.newBuilder()
            .setUserId(actor.getUserId()).setKnockSeq(entry.getKnockSeq())))
        .build();
    room.submit(gone).onFailure(err ->
        log.debug("room {}: cannot take a user who left out of the lobby: {}", room.roomId(), err.toString()));
  }

  private void releaseIfIdle() {
    if (!holdsRoom()) {
      room.released();
    }
  }

  @Override
  public void applied(AppliedOperation applied, RoomState state) {
    if (waiters.isEmpty()) {
      return;
    }
    Event event = applied.event();
    if (event.hasLobbyLeft() && event.getLobbyLeft().getReason() == LobbyLeft.Reason.DENIED) {
      // Checked before settling: with lobby-deny-block-ms 0 a denied user could knock again at once.
      for (String user : event.getLobbyLeft().getUserIdsList()) {
        if (waiters.containsKey(user)) {
          fail(user, denied(state, user, event.getServerTimeMs()));
        }
      }
    }
    for (String user : List.copyOf(waiters.keySet())) {
      settle(user, state, null);
    }
  }

  private static ErrorInfo denied(RoomState state, String user, long nowMs) {
    long until = state.feature(LobbyState.class).barredUntil(user);
    return ErrorCodes.error(ErrorCode.LOBBY_DENIED, "a teacher denied your admission",
        state.roomId(), Math.max(0, until - nowMs));
  }

  /**
   * Brings the user's waiting Joins in line with the state: admitted, refused, told their place,
   * or (not in the queue yet) knocking. {@code knockRefused}: the error the user's knock just got.
   */
  private void settle(String user, RoomState state, ErrorInfo knockRefused) {
    List<Waiter> list = waiters.get(user);
    if (list == null || list.isEmpty()) {
      return;
    }
    Waiter first = list.get(0);
    LobbyState lobby = state.feature(LobbyState.class);
    if (state.ended()) {
      fail(user, state.error(ErrorCode.ROOM_ENDED, "the session has ended"));
    } else if (state.isBanned(user)) {
      fail(user, state.error(ErrorCode.BANNED, "removed from this room by a teacher"));
    } else if (!lobby.mustWait(state, user, first.actor.getRole(), first.guest)) {
      admit(user, state);
    } else if (lobby.isWaiting(user)) {
      tellPlace(list, state, lobby);
    } else if (knockRefused != null) {
      fail(user, knockRefused);
    } else if (knocking.add(user)) {
      knock(first);
    }
  }

  private void knock(Waiter w) {
    String user = w.actor.getUserId();
    Operation op = Operation.newBuilder().setActor(w.actor)
        .setLobby(LobbyOperation.newBuilder().setKnock(LobbyKnock.newBuilder()
            .setGuest(w.guest).setMaxWaiting(limits.maxWaiting())))
        .build();
    room.submit(op).onComplete(ar -> room.call(state -> {
      knocking.remove(user);
      ErrorInfo refused = null;
      if (ar.failed()) {
        refused = ar.cause() instanceof RoomException re ? re.error()
            : state.error(ErrorCode.UNAVAILABLE, "cannot queue now, retry");
      } else if (ar.result().rejection() != null) {
        refused = ar.result().rejection();
      }
      if (!waiters.containsKey(user) && refused == null) {
        scheduleGone(w.actor); // every connection of the user closed while it knocked
      }
      settle(user, state, refused);
      return Future.succeededFuture();
    }));
  }

  private void tellPlace(List<Waiter> list, RoomState state, LobbyState lobby) {
    int position = 1;
    String user = list.get(0).actor.getUserId();
    for (LobbyEntry e : lobby.queue()) {
      if (e.getUserId().equals(user)) {
        break;
      }
      position++;
    }
    int total = lobby.waitingCount();
    for (Waiter w : list) {
      if (w.position != position || w.total != total) {
        w.position = position;
        w.total = total;
        send(w, state, LobbyStatus.State.WAITING, position, total);
      }
    }
  }

  private void admit(String user, RoomState state) {
    List<Waiter> list = waiters.remove(user);
    int total = state.feature(LobbyState.class).waitingCount();
    for (Waiter w : list) {
      send(w, state, LobbyStatus.State.ADMITTED, 0, total);
      w.verdict.tryComplete();
    }
    releaseIfIdle();
  }

  private void fail(String user, ErrorInfo error) {
    List<Waiter> list = waiters.remove(user);
    if (list == null) {
      return;
    }
    for (Waiter w : list) {
      if (error.getCode() == ErrorCode.LOBBY_DENIED) {
        w.member.send(OutboundMessage.of(ServerMessage.newBuilder().setLobbyStatus(LobbyStatus.newBuilder()
            .setRoomId(room.roomId()).setState(LobbyStatus.State.DENIED)).build()));
      }
      w.verdict.tryFail(new RoomException(error));
    }
    releaseIfIdle();
  }

  private void send(Waiter w, RoomState state, LobbyStatus.State s, int position, int total) {
    w.member.send(OutboundMessage.of(ServerMessage.newBuilder().setLobbyStatus(LobbyStatus.newBuilder()
        .setRoomId(state.roomId()).setState(s).setPosition(position).setWaiting(total)).build()));
  }

  @Override
  public void unloaded() {
    unloaded = true;
    // The Joins go back to their connections, which join the room again once loaded (and wait
    // there again: the queue is in the state).
    for (List<Waiter> list : waiters.values()) {
      for (Waiter w : list) {
        w.verdict.tryFail(new RoomUnloadedException());
      }
    }
    waiters.clear();
    leaving.clear();
  }
}
