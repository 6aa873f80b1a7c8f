package io.ponte.server.lobby;

import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.LobbyBar;
import io.ponte.protocol.v1.LobbyEntry;
import io.ponte.protocol.v1.LobbyGone;
import io.ponte.protocol.v1.LobbyKnock;
import io.ponte.protocol.v1.LobbyKnocked;
import io.ponte.protocol.v1.LobbyLeft;
import io.ponte.protocol.v1.LobbyMode;
import io.ponte.protocol.v1.LobbyModeChanged;
import io.ponte.protocol.v1.LobbyOperation;
import io.ponte.protocol.v1.LobbyRecord;
import io.ponte.protocol.v1.LobbyRequest;
import io.ponte.protocol.v1.LobbyView;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomCore;
import io.ponte.server.text.ChatText;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * The lobby of one room as part of its deterministic state: the runtime mode (when a teacher set
 * one; else the room's settings say), the queue of users waiting in knock order, the users
 * admitted (they never wait again in this room: a reconnect, a resume or a second tab walks in),
 * and the users a teacher denied, barred from knocking until a time carried by the deny.
 *
 * <p>Which connections wait where is node-local and lives in {@link LobbyDoor}; here is only what
 * every node agrees on. Not thread-safe: touched only on the room's context.
 */
public final class LobbyState implements FeatureState {
  /** Admitted users remembered; beyond, the earliest admitted is forgotten (and would wait again). */
  static final int ADMITTED_KEPT = 10_000;
  /** Barred users remembered; beyond, the bar ending first is dropped. */
  static final int BARRED_KEPT = 1_000;

  private boolean modeSet;
  private LobbyMode mode = LobbyMode.LOBBY_OFF;
  /** By user id, in knock order. */
  private final LinkedHashMap<String, LobbyEntry> waiting = new LinkedHashMap<>();
  /** Oldest first. */
  private final LinkedHashSet<String> admitted = new LinkedHashSet<>();
  /** User id to the time (epoch ms) until which they may not knock, oldest bar first. */
  private final LinkedHashMap<String, Long> barred = new LinkedHashMap<>();

  LobbyState(LobbyRecord record) {
    modeSet = record.getModeSet();
    mode = record.getMode();
    for (LobbyEntry e : record.getWaitingList()) {
      waiting.put(e.getUserId(), e);
    }
    admitted.addAll(record.getAdmittedList());
    for (LobbyBar b : record.getBarredList()) {
      barred.put(b.getUserId(), b.getUntilMs());
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reading
  // ------------------------------------------------------------------------------------------

  /** The mode in force: the teacher's runtime choice, else the room's setting. */
  public LobbyMode mode(RoomCore room) {
    return modeSet ? mode : room.settings().getLobby();
  }

  /**
   * Whether a Join of this kind needs a teacher's admission under the mode. Teachers never do;
   * a mode this server does not know counts as everyone (fails closed).
   */
  static boolean needsAdmission(LobbyMode mode, Role role, boolean guest) {
    if (role == Role.TEACHER || mode == LobbyMode.LOBBY_OFF) {
      return false;
    }
    return mode != LobbyMode.LOBBY_GUESTS || guest;
  }

  /** Whether this user's Join has to wait for a teacher now (needs admission, not admitted). */
  public boolean mustWait(RoomCore room, String userId, Role role, boolean guest) {
    return needsAdmission(mode(room), role, guest) && !admitted.contains(userId);
  }

  public boolean isWaiting(String userId) {
    return waiting.containsKey(userId);
  }

  public boolean isAdmitted(String userId) {
    return admitted.contains(userId);
  }

  /** The user's entry in the queue, or null. */
  public LobbyEntry entry(String userId) {
    return waiting.get(userId);
  }

  /** The queue, first come first. */
  public List<LobbyEntry> queue() {
    return List.copyOf(waiting.values());
  }

  public int waitingCount() {
    return waiting.size();
  }

  /** Until when (epoch ms) the user may not knock, or 0. */
  public long barredUntil(String userId) {
    Long until = barred.get(userId);
    return until == null ? 0 : until;
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    LobbyRecord.Builder r = LobbyRecord.newBuilder()
        .setModeSet(modeSet)
        .setMode(mode)
        .addAllWaiting(waiting.values())
        .addAllAdmitted(admitted);
    barred.forEach((user, until) -> r.addBarred(LobbyBar.newBuilder().setUserId(user).setUntilMs(until)));
    LobbyRecord built = r.build();
    // A room that never used its lobby keeps no lobby part in its snapshots.
    if (built.equals(LobbyRecord.getDefaultInstance())) {
      record.clearLobby();
    } else {
      record.setLobby(built);
    }
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    LobbyView.Builder view = LobbyView.newBuilder()
        .setMode(modeSet ? mode : snapshot.getSettings().getLobby());
    if (viewerRole == Role.TEACHER) {
      view.addAllWaiting(waiting.values());
    }
    snapshot.setLobby(view);
  }

  @Override
  public void userRemoved(String userId, RoomCore room) {
    // A removed (banned) user neither waits nor stays admitted: a lifted ban starts afresh.
    waiting.remove(userId);
    admitted.remove(userId);
  }

  // ------------------------------------------------------------------------------------------
  // Validating
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    LobbyOperation lobby = op.getLobby();
    return switch (lobby.getKindCase()) {
      case REQUEST -> validate(lobby.getRequest(), lobby, op.getActor(), room);
      case KNOCK -> validate(lobby.getKnock(), op, room);
      case GONE -> validate(lobby.getGone(), op.getActor(), room);
      default -> room.error(ErrorCode.INVALID_REQUEST, "lobby operation without a kind");
    };
  }

  private ErrorInfo validate(LobbyRequest request, LobbyOperation lobby, Actor actor, RoomCore room) {
    if (actor.getRole() != Role.TEACHER) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only teachers admit, deny or set the lobby");
    }
    if (room.isBanned(actor.getUserId())) {
      return room.error(ErrorCode.BANNED, "removed from this room");
    }
    if (room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    switch (request.getOpCase()) {
      case ADMIT, DENY -> {
        String user = request.getOpCase() == LobbyRequest.OpCase.ADMIT
            ? request.getAdmit().getUserId() : request.getDeny().getUserId();
        if (!ChatText.validUserId(user)) {
          return room.error(ErrorCode.INVALID_REQUEST, "user_id is invalid");
        }
        return waiting.containsKey(user) ? null
            : room.error(ErrorCode.NOT_IN_LOBBY, "that user is not waiting in the lobby");
      }
      case ADMIT_ALL, DENY_ALL -> {
        return null;
      }
      case SET_MODE -> {
        if (!known(request.getSetMode().getModeValue())) {
          return room.error(ErrorCode.LOBBY_MODE_INVALID, "mode must be LOBBY_OFF, LOBBY_GUESTS or LOBBY_EVERYONE");
        }
        if (lobby.getPresentUserIdsCount() > ADMITTED_KEPT) {
          return room.error(ErrorCode.INVALID_REQUEST, "too many present users");
        }
        return null;
      }
      default -> {
        return room.error(ErrorCode.INVALID_REQUEST, "lobby request without an op");
      }
    }
  }

  static boolean known(int modeValue) {
    return modeValue == LobbyMode.LOBBY_OFF_VALUE || modeValue == LobbyMode.LOBBY_GUESTS_VALUE
        || modeValue == LobbyMode.LOBBY_EVERYONE_VALUE;
  }

  /** The server putting the actor in the queue: only a user who must wait, once, within bounds. */
  private ErrorInfo validate(LobbyKnock knock, Operation op, RoomCore room) {
    Actor actor = op.getActor();
    String user = actor.getUserId();
    if (room.isBanned(user)) {
      return room.error(ErrorCode.BANNED, "removed from this room");
    }
    if (room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    if (room.locked()) {
      return room.error(ErrorCode.ROOM_LOCKED, "the room is locked");
    }
    if (!mustWait(room, user, actor.getRole(), knock.getGuest())) {
      return room.error(ErrorCode.INVALID_REQUEST, "no admission needed");
    }
    if (waiting.containsKey(user)) {
      return room.error(ErrorCode.INVALID_REQUEST, "already waiting");
    }
    long until = barredUntil(user);
    if (until > op.getServerTimeMs()) {
      return ErrorCodes.error(ErrorCode.LOBBY_DENIED, "a teacher denied your admission",
          room.roomId(), until - op.getServerTimeMs());
    }
    if (waiting.size() >= Math.max(1, knock.getMaxWaiting())) {
      return room.error(ErrorCode.LOBBY_FULL, "the lobby is full");
    }
    return null;
  }

  /** The server taking a user who went away out of the queue: only the knock it names. */
  private ErrorInfo validate(LobbyGone gone, Actor actor, RoomCore room) {
    if (!actor.getUserId().equals(gone.getUserId())) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only for the user who left");
    }
    LobbyEntry e = waiting.get(gone.getUserId());
    return e != null && e.getKnockSeq() == gone.getKnockSeq()
        ? null : room.error(ErrorCode.NOT_IN_LOBBY, "that user is not waiting in the lobby");
  }

  @Override
  public boolean changesNothing(Operation op) {
    LobbyOperation lobby = op.getLobby();
    if (lobby.getKindCase() != LobbyOperation.KindCase.REQUEST) {
      return false;
    }
    LobbyRequest.OpCase kind = lobby.getRequest().getOpCase();
    return (kind == LobbyRequest.OpCase.ADMIT_ALL || kind == LobbyRequest.OpCase.DENY_ALL)
        && waiting.isEmpty();
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  /** A teacher admitting, denying, or changing who waits; knocks and departures are the learners'. */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    if (op.getLobby().getKindCase() != LobbyOperation.KindCase.REQUEST) {
      return null;
    }
    LobbyRequest r = op.getLobby().getRequest();
    int taken = event.hasLobbyLeft() ? event.getLobbyLeft().getUserIdsCount() : 0;
    return switch (r.getOpCase()) {
      case ADMIT -> AuditNote.of("lobby.admit", r.getAdmit().getUserId());
      case DENY -> AuditNote.of("lobby.deny", r.getDeny().getUserId());
      case ADMIT_ALL -> AuditNote.about("lobby.admit_all", "", Integer.toString(taken));
      case DENY_ALL -> AuditNote.about("lobby.deny_all", "", Integer.toString(taken));
      case SET_MODE -> AuditNote.about("lobby.mode", "",
          r.getSetMode().getMode().name().replace("LOBBY_", "").toLowerCase(Locale.ROOT));
      default -> null;
    };
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    long now = op.getServerTimeMs();
    barred.values().removeIf(until -> until <= now);
    LobbyOperation lobby = op.getLobby();
    switch (lobby.getKindCase()) {
      case KNOCK -> {
        Actor actor = op.getActor();
        LobbyEntry e = LobbyEntry.newBuilder().setUserId(actor.getUserId())
            .setDisplayName(actor.getDisplayName()).setGuest(lobby.getKnock().getGuest())
            .setSinceMs(now).setKnockSeq(room.seq()).build();
        waiting.put(e.getUserId(), e);
        event.setLobbyKnocked(LobbyKnocked.newBuilder().setEntry(e));
        return Outcome.teachersOnly();
      }
      case GONE -> {
        String user = lobby.getGone().getUserId();
        waiting.remove(user);
        event.setLobbyLeft(left(LobbyLeft.Reason.GONE, List.of(user)));
        return Outcome.teachersOnly();
      }
      case REQUEST -> {
        return apply(lobby.getRequest(), lobby, event, room);
      }
      default -> throw new IllegalStateException("validated lobby operation has no kind");
    }
  }

  private Outcome apply(LobbyRequest request, LobbyOperation lobby, Event.Builder event, RoomCore room) {
    switch (request.getOpCase()) {
      case ADMIT -> {
        String user = request.getAdmit().getUserId();
        waiting.remove(user);
        admit(user);
        event.setLobbyLeft(left(LobbyLeft.Reason.ADMITTED, List.of(user)));
      }
      case DENY -> {
        String user = request.getDeny().getUserId();
        waiting.remove(user);
        bar(user, lobby.getBarredUntilMs());
        event.setLobbyLeft(left(LobbyLeft.Reason.DENIED, List.of(user)));
      }
      case ADMIT_ALL -> {
        List<String> users = new ArrayList<>(waiting.keySet());
        waiting.clear();
        users.forEach(this::admit);
        event.setLobbyLeft(left(LobbyLeft.Reason.ADMITTED, users));
      }
      case DENY_ALL -> {
        List<String> users = new ArrayList<>(waiting.keySet());
        waiting.clear();
        users.forEach(u -> bar(u, lobby.getBarredUntilMs()));
        event.setLobbyLeft(left(LobbyLeft.Reason.DENIED, users));
      }
      case SET_MODE -> {
        modeSet = true;
        mode = request.getSetMode().getMode();
        lobby.getPresentUserIdsList().forEach(this::admit);
        List<String> letIn = new ArrayList<>();
        for (Iterator<LobbyEntry> it = waiting.values().iterator(); it.hasNext(); ) {
          LobbyEntry e = it.next();
          if (!needsAdmission(mode, Role.STUDENT, e.getGuest())) {
            it.remove();
            admit(e.getUserId());
            letIn.add(e.getUserId());
          }
        }
        event.setLobbyModeChanged(LobbyModeChanged.newBuilder().setMode(mode)
            .addAllAdmittedUserIds(letIn));
        return Outcome.PUBLIC;
      }
      default -> throw new IllegalStateException("validated lobby request has no op");
    }
    return Outcome.teachersOnly();
  }

  private static LobbyLeft.Builder left(LobbyLeft.Reason reason, List<String> users) {
    return LobbyLeft.newBuilder().setReason(reason).addAllUserIds(users);
  }

  private void admit(String userId) {
    admitted.remove(userId);
    admitted.add(userId);
    if (admitted.size() > ADMITTED_KEPT) {
      Iterator<String> eldest = admitted.iterator();
      eldest.next();
      eldest.remove();
    }
  }

  private void bar(String userId, long untilMs) {
    admitted.remove(userId);
    barred.remove(userId);
    if (untilMs <= 0) {
      return;
    }
    barred.put(userId, untilMs);
    if (barred.size() > BARRED_KEPT) {
      String first = null;
      long soonest = Long.MAX_VALUE;
      for (var e : barred.entrySet()) {
        if (e.getValue() < soonest) {
          soonest = e.getValue();
          first = e.getKey();
        }
      }
      barred.remove(first);
    }
  }
}
