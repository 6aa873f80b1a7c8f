package io.ponte.server.breakout;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Breakout;
import io.ponte.protocol.v1.BreakoutBroadcasted;
import io.ponte.protocol.v1.BreakoutClose;
import io.ponte.protocol.v1.BreakoutCreate;
import io.ponte.protocol.v1.BreakoutEnded;
import io.ponte.protocol.v1.BreakoutMove;
import io.ponte.protocol.v1.BreakoutMoved;
import io.ponte.protocol.v1.BreakoutOperation;
import io.ponte.protocol.v1.BreakoutPlace;
import io.ponte.protocol.v1.BreakoutPlacement;
import io.ponte.protocol.v1.BreakoutRequest;
import io.ponte.protocol.v1.BreakoutRound;
import io.ponte.protocol.v1.BreakoutTimerEnded;
import io.ponte.protocol.v1.BreakoutsChanged;
import io.ponte.protocol.v1.BreakoutsView;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.auth.Principal;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomCore;
import io.ponte.server.room.RoomState;
import io.ponte.server.text.ChatText;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The breakouts of one room, as part of its deterministic state. In a parent room: the open round
 * (at most one) with who is placed where, and the closed rounds, whose rooms stay readable to
 * the parent's teachers. In a breakout room: whether it has ended (its round closed), after which
 * it admits only read-only visitors ({@link #admitsAfterEnd}).
 *
 * <p>Not thread-safe: touched only on the room's context.
 */
public final class BreakoutState implements FeatureState {
  private final BreakoutLimits limits;
  /** The round in progress, or null. */
  private BreakoutRound open;
  /** Closed rounds, oldest first. */
  private final List<BreakoutRound> closed = new ArrayList<>();
  /** This room is a breakout whose round closed. */
  private boolean ended;
  private String parentRoomId = "";

  BreakoutState(BreakoutsView record, BreakoutLimits limits) {
    this.limits = limits;
    this.open = record.hasOpen() ? record.getOpen() : null;
    this.closed.addAll(record.getClosedList());
    this.ended = record.getEnded();
    this.parentRoomId = record.getParentRoomId();
  }

  /** The round in progress, or null. */
  public BreakoutRound open() {
    return open;
  }

  /** The closed rounds, oldest first. */
  public List<BreakoutRound> closedRounds() {
    return List.copyOf(closed);
  }

  /** How many rounds have closed. */
  public int closedCount() {
    return closed.size();
  }

  /** The i-th closed round, oldest first. */
  public BreakoutRound closedRound(int i) {
    return closed.get(i);
  }

  /** Whether this room is a breakout that ended. */
  public boolean ended() {
    return ended;
  }

  /** What the parent says about one of its breakout rooms, for a user. */
  public enum Standing {
    /** Not a breakout of this room (never created, or a round this room no longer keeps). */
    UNKNOWN,
    /** Its round is open and the user is placed in it. */
    PLACED,
    /** Its round is open and the user is not placed in it. */
    NOT_PLACED,
    /** Its round has closed. */
    CLOSED
  }

  /** Where {@code userId} stands with the breakout {@code roomId} of this room. */
  public Standing standing(String roomId, String userId) {
    if (open != null && has(open, roomId)) {
      return roomId.equals(placeOf(open, userId)) ? Standing.PLACED : Standing.NOT_PLACED;
    }
    for (BreakoutRound r : closed) {
      if (has(r, roomId)) {
        return Standing.CLOSED;
      }
    }
    return Standing.UNKNOWN;
  }

  /** The round (open or closed) holding the breakout, or null. */
  public BreakoutRound roundOf(String roomId) {
    if (open != null && has(open, roomId)) {
      return open;
    }
    for (BreakoutRound r : closed) {
      if (has(r, roomId)) {
        return r;
      }
    }
    return null;
  }

  private static boolean has(BreakoutRound round, String roomId) {
    for (Breakout b : round.getBreakoutsList()) {
      if (b.getRoomId().equals(roomId)) {
        return true;
      }
    }
    return false;
  }

  /** The user's breakout room id in the round, or "" (main room). */
  static String placeOf(BreakoutRound round, String userId) {
    for (BreakoutPlace p : round.getPlacesList()) {
      if (p.getUserId().equals(userId)) {
        return p.getRoomId();
      }
    }
    return "";
  }

  private BreakoutsView view() {
    BreakoutsView.Builder v = BreakoutsView.newBuilder().addAllClosed(closed).setEnded(ended)
        .setParentRoomId(parentRoomId);
    if (open != null) {
      v.setOpen(open);
    }
    return v.build();
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    BreakoutsView v = view();
    if (v.equals(BreakoutsView.getDefaultInstance())) {
      record.clearBreakouts(); // rooms without breakouts keep their records as they were
    } else {
      record.setBreakouts(v);
    }
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    BreakoutsView v = view();
    if (!v.equals(BreakoutsView.getDefaultInstance())) {
      snapshot.setBreakouts(v);
    }
  }

  @Override
  public boolean admitsAfterEnd(Role role) {
    // Read-only visitors of an ended breakout: the access hook admits only the parent's
    // teachers there, and as observers.
    return ended && role == Role.OBSERVER;
  }

  @Override
  public void userRemoved(String userId, RoomCore room) {
    // A user removed from the parent leaves their breakout place: the access hook would still
    // admit them there otherwise (the ban is the parent's, not the breakout's).
    if (open != null && !placeOf(open, userId).isEmpty()) {
      open = withPlace(open, userId, "", "");
    }
  }

  // ------------------------------------------------------------------------------------------
  // Validating
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    Actor actor = op.getActor();
    BreakoutOperation b = op.getBreakout();
    return switch (b.getKindCase()) {
      case REQUEST -> validate(b.getRequest(), op, room);
      case TIMER_ENDED -> validate(b.getTimerEnded(), actor, room);
      case END -> validate(b.getEnd(), actor, room);
      default -> room.error(ErrorCode.INVALID_REQUEST, "breakout operation without a kind");
    };
  }

  private ErrorInfo validate(BreakoutRequest request, Operation op, RoomCore room) {
    Actor actor = op.getActor();
    if (room.isBanned(actor.getUserId())) {
      return room.error(ErrorCode.BANNED, "removed from this room");
    }
    if (room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    if (request.getOpCase() == BreakoutRequest.OpCase.TAKE_PLACE) {
      return validateTakePlace(request.getTakePlace().getClaimValue(), room);
    }
    if (request.getOpCase() == BreakoutRequest.OpCase.OP_NOT_SET) {
      return room.error(ErrorCode.INVALID_REQUEST, "breakout request without an op");
    }
    if (actor.getRole() != Role.TEACHER) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only teachers manage breakouts");
    }
    return switch (request.getOpCase()) {
      case CREATE -> validateCreate(request.getCreate(), room);
      case MOVE -> validateMove(request.getMove(), room);
      case BROADCAST -> {
        if (open == null) {
          yield room.error(ErrorCode.BREAKOUT_NOT_FOUND, "no breakouts are open");
        }
        ChatText.Checked text = ChatText.message(request.getBroadcast().getText());
        yield text.ok() ? null : room.error(text.error(), text.reason());
      }
      case SET_TIMER -> {
        if (open == null) {
          yield room.error(ErrorCode.BREAKOUT_NOT_FOUND, "no breakouts are open");
        }
        long d = request.getSetTimer().getDurationMs();
        yield d == 0 || validDuration(d) ? null : timerOutOfRange(room);
      }
      case CLOSE -> validateClose(request.getClose(), room);
      default -> room.error(ErrorCode.INVALID_REQUEST, "breakout request without an op");
    };
  }

  private ErrorInfo validateCreate(BreakoutCreate c, RoomCore room) {
    if (BreakoutIds.parse(room.roomId()) != null || ended) {
      return room.error(ErrorCode.BREAKOUT_NESTED, "a breakout room has no breakouts of its own");
    }
    if (room.roomId().length() > BreakoutIds.MAX_PARENT_CHARS) {
      return room.error(ErrorCode.BREAKOUT_INVALID,
          "breakouts need a room id of at most " + BreakoutIds.MAX_PARENT_CHARS + " characters");
    }
    if (open != null) {
      return room.error(ErrorCode.BREAKOUTS_ALREADY_OPEN, "breakouts are open already; close them first");
    }
    if (closed.size() >= BreakoutLimits.MAX_ROUNDS) {
      return room.error(ErrorCode.TOO_MANY_BREAKOUT_ROUNDS,
          "at most " + BreakoutLimits.MAX_ROUNDS + " rounds of breakouts per room");
    }
    int n = c.getNamesCount();
    if (n == 0) {
      return room.error(ErrorCode.BREAKOUT_INVALID, "at least one breakout");
    }
    if (n > limits.maxPerRoom()) {
      return room.error(ErrorCode.TOO_MANY_BREAKOUTS, "at most " + limits.maxPerRoom() + " breakouts");
    }
    Set<String> names = new HashSet<>();
    for (String name : c.getNamesList()) {
      ErrorInfo e = checkText(name, BreakoutLimits.MAX_NAME_CHARS, ErrorCode.BREAKOUT_NAME_TOO_LONG, "name", room);
      if (e != null) {
        return e;
      }
      if (!names.add(name.strip())) {
        return room.error(ErrorCode.BREAKOUT_INVALID, "two breakouts have the same name");
      }
    }
    long d = c.getDurationMs();
    if (d != 0 && !validDuration(d)) {
      return timerOutOfRange(room);
    }
    switch (c.getAssignment()) {
      case ASSIGNMENT_UNSPECIFIED, MANUAL, RANDOM -> {
        if (c.getPlacementsCount() > BreakoutLimits.MAX_PLACEMENTS) {
          return room.error(ErrorCode.BREAKOUT_INVALID, "at most " + BreakoutLimits.MAX_PLACEMENTS + " placements");
        }
        Set<String> users = new HashSet<>();
        for (BreakoutPlacement p : c.getPlacementsList()) {
          if (!ChatText.validUserId(p.getUserId())) {
            return room.error(ErrorCode.INVALID_REQUEST, "a placement's user_id is invalid");
          }
          // uint32 above 2^31 reads as a negative int: out of range either way.
          if (p.getBreakout() < 0 || p.getBreakout() >= n) {
            return room.error(ErrorCode.BREAKOUT_NOT_FOUND, "a placement names no breakout");
          }
          if (!users.add(p.getUserId())) {
            return room.error(ErrorCode.BREAKOUT_INVALID, "a user is placed twice");
          }
          if (room.isBanned(p.getUserId())) {
            return room.error(ErrorCode.BREAKOUT_UNKNOWN_USER, "a placed user was removed from the room");
          }
        }
      }
      case BY_CLAIM -> {
        if (!Principal.validGroupKey(c.getClaim())) {
          return room.error(ErrorCode.BREAKOUT_INVALID, "claim: 1-32 of a-z, 0-9, '_' or '-'");
        }
        if (c.getClaimValuesCount() != n) {
          return room.error(ErrorCode.BREAKOUT_INVALID, "one claim value per breakout");
        }
        Set<String> values = new HashSet<>();
        for (String v : c.getClaimValuesList()) {
          if (!Principal.validGroupValue(v)) {
            return room.error(ErrorCode.BREAKOUT_INVALID, "a claim value: 1-64 characters, no control characters");
          }
          if (!values.add(v)) {
            return room.error(ErrorCode.BREAKOUT_INVALID, "two breakouts have the same claim value");
          }
        }
        if (c.getPlacementsCount() > 0) {
          return room.error(ErrorCode.BREAKOUT_INVALID, "a round by claim takes no placements");
        }
      }
      default -> {
        return room.error(ErrorCode.BREAKOUT_INVALID, "unknown assignment");
      }
    }
    return null;
  }

  private ErrorInfo validateMove(BreakoutMove m, RoomCore room) {
    if (open == null) {
      return room.error(ErrorCode.BREAKOUT_NOT_FOUND, "no breakouts are open");
    }
    if (!ChatText.validUserId(m.getUserId())) {
      return room.error(ErrorCode.INVALID_REQUEST, "user_id is invalid");
    }
    if (room.isBanned(m.getUserId())) {
      return room.error(ErrorCode.BREAKOUT_UNKNOWN_USER, "that user was removed from the room");
    }
    String to = m.getToRoomId();
    if (!to.isEmpty() && !has(open, to)) {
      return room.error(ErrorCode.BREAKOUT_NOT_FOUND, "no such breakout in the open round");
    }
    return null;
  }

  private ErrorInfo validateClose(BreakoutClose c, RoomCore room) {
    long wanted = c.getRoundSeq();
    if (open != null && (wanted == 0 || wanted == open.getRoundSeq())) {
      return null;
    }
    for (BreakoutRound r : closed) {
      if (r.getRoundSeq() == wanted) {
        return room.error(ErrorCode.BREAKOUT_CLOSED, "those breakouts are closed already");
      }
    }
    return room.error(ErrorCode.BREAKOUT_NOT_FOUND, wanted == 0 ? "no breakouts are open" : "no such round");
  }

  private ErrorInfo validateTakePlace(String claimValue, RoomCore room) {
    if (open == null) {
      return room.error(ErrorCode.BREAKOUT_NOT_FOUND, "no breakouts are open");
    }
    if (open.getAssignment() != BreakoutRound.Assignment.BY_CLAIM) {
      return room.error(ErrorCode.BREAKOUT_INVALID, "these breakouts are not assigned by claim");
    }
    if (claimValue.isEmpty()) {
      return room.error(ErrorCode.BREAKOUT_NO_CLAIM, "the token has no '" + open.getClaim() + "' claim");
    }
    return byClaim(claimValue) == null
        ? room.error(ErrorCode.BREAKOUT_NO_CLAIM, "no breakout for this claim value") : null;
  }

  /** The server closing the round whose timer ran out: only in the name of who set it. */
  private ErrorInfo validate(BreakoutTimerEnded t, Actor actor, RoomCore room) {
    if (room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    if (open == null || open.getRoundSeq() != t.getRoundSeq()) {
      return room.error(ErrorCode.BREAKOUT_CLOSED, "that round is closed already");
    }
    if (open.getEndsAtMs() == 0 || open.getEndsAtMs() != t.getEndsAtMs()) {
      return room.error(ErrorCode.BREAKOUT_TIMER_INVALID, "the timer changed meanwhile");
    }
    if (!actor.getUserId().equals(open.getTimerUserId()) || actor.getRole() != Role.TEACHER) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only in the name of who set the timer");
    }
    return null;
  }

  /** A breakout room ending: only its own round's close, by a teacher (of the parent). */
  private ErrorInfo validate(BreakoutEnded e, Actor actor, RoomCore room) {
    if (actor.getRole() != Role.TEACHER) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only teachers end a breakout");
    }
    BreakoutIds.Parsed id = BreakoutIds.parse(room.roomId());
    if (id == null || !id.parentId().equals(e.getParentRoomId()) || id.roundSeq() != e.getRoundSeq()) {
      return room.error(ErrorCode.BREAKOUT_INVALID, "this room is not a breakout of that round");
    }
    if (!ended && room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    return null;
  }

  @Override
  public boolean changesNothing(Operation op) {
    // Ending a breakout twice (two nodes, a retry): the second is a no-op, not an error.
    return op.getBreakout().getKindCase() == BreakoutOperation.KindCase.END && ended;
  }

  private static boolean validDuration(long ms) {
    return ms >= BreakoutLimits.MIN_TIMER_MS && ms <= BreakoutLimits.MAX_TIMER_MS;
  }

  private static ErrorInfo timerOutOfRange(RoomCore room) {
    return room.error(ErrorCode.BREAKOUT_TIMER_INVALID, "a timer runs 1 s to 24 h");
  }

  private static ErrorInfo checkText(String text, int maxChars, ErrorCode tooLong, String what, RoomCore room) {
    if (text.isBlank()) {
      return room.error(ErrorCode.BREAKOUT_INVALID, "the " + what + " is empty");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c)
          && !(Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)))
          && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(text.charAt(i - 1)))) {
        return room.error(ErrorCode.BREAKOUT_INVALID, "the " + what + " has control characters or an unpaired surrogate");
      }
    }
    if (text.codePointCount(0, text.length()) > maxChars) {
      return room.error(tooLong, "the " + what + " is longer than " + maxChars + " characters");
    }
    return null;
  }

  private Breakout byClaim(String value) {
    for (Breakout b : open.getBreakoutsList()) {
      if (b.getClaimValue().equals(value)) {
        return b;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  /**
   * The teachers' breakout actions (and the timer's end and a breakout's end, issued in a teacher's
   * name); a learner taking a place is their own. A broadcast's text is not recorded.
   */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    BreakoutOperation b = op.getBreakout();
    if (b.getKindCase() == BreakoutOperation.KindCase.TIMER_ENDED) {
      return AuditNote.about("breakout.timer_ended", "round:" + b.getTimerEnded().getRoundSeq(), "");
    }
    if (b.getKindCase() == BreakoutOperation.KindCase.END) {
      return AuditNote.about("breakout.end", "room:" + b.getEnd().getParentRoomId(), "");
    }
    BreakoutRequest r = b.getRequest();
    return switch (r.getOpCase()) {
      case CREATE -> AuditNote.about("breakout.create", "round:" + room.seq(),
          r.getCreate().getNamesCount() + " "
              + r.getCreate().getAssignment().name().toLowerCase(Locale.ROOT));
      case MOVE -> new AuditNote("breakout.move", r.getMove().getUserId(),
          r.getMove().getToRoomId().isEmpty() ? "main" : "room:" + r.getMove().getToRoomId(), "");
      case BROADCAST -> AuditNote.about("breakout.broadcast", "", "");
      case SET_TIMER -> AuditNote.about("breakout.timer", "", Long.toString(r.getSetTimer().getDurationMs()));
      case CLOSE -> AuditNote.about("breakout.close", "", "");
      default -> null;
    };
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    Actor actor = op.getActor();
    BreakoutOperation b = op.getBreakout();
    switch (b.getKindCase()) {
      case TIMER_ENDED -> {
        close(room, op, event, true);
        return Outcome.PUBLIC;
      }
      case END -> {
        ended = true;
        parentRoomId = b.getEnd().getParentRoomId();
        room.end();
        event.setBreakoutEnded(b.getEnd());
        // As a session end: the store starts the retention period, members are let go.
        return new Outcome("", RoomState.Effect.SESSION_ENDED, "");
      }
      default -> { }
    }
    BreakoutRequest request = b.getRequest();
    switch (request.getOpCase()) {
      case CREATE -> {
        BreakoutCreate c = request.getCreate();
        long seq = room.seq();
        BreakoutRound.Builder r = BreakoutRound.newBuilder()
            .setRoundSeq(seq)
            .setAssignment(c.getAssignment() == BreakoutRound.Assignment.ASSIGNMENT_UNSPECIFIED
                ? BreakoutRound.Assignment.MANUAL : c.getAssignment())
            .setCreatedMs(op.getServerTimeMs())
            .setCreatedByUserId(actor.getUserId())
            .setCreatedByDisplayName(actor.getDisplayName());
        for (int i = 0; i < c.getNamesCount(); i++) {
          Breakout.Builder bo = Breakout.newBuilder()
              .setRoomId(BreakoutIds.of(room.roomId(), seq, i + 1)).setName(c.getNames(i).strip());
          if (c.getAssignment() == BreakoutRound.Assignment.BY_CLAIM) {
            bo.setClaimValue(c.getClaimValues(i));
          }
          r.addBreakouts(bo);
        }
        if (c.getAssignment() == BreakoutRound.Assignment.BY_CLAIM) {
          r.setClaim(c.getClaim());
        }
        for (BreakoutPlacement p : c.getPlacementsList()) {
          r.addPlaces(BreakoutPlace.newBuilder().setUserId(p.getUserId())
              .setDisplayName(p.getDisplayName()).setRoomId(r.getBreakouts(p.getBreakout()).getRoomId()));
        }
        if (c.getDurationMs() > 0) {
          r.setEndsAtMs(op.getServerTimeMs() + c.getDurationMs())
              .setTimerUserId(actor.getUserId()).setTimerDisplayName(actor.getDisplayName());
        }
        open = r.build();
        event.setBreakoutsChanged(BreakoutsChanged.newBuilder()
            .setKind(BreakoutsChanged.Kind.CREATED).setRound(open));
      }
      case MOVE -> {
        BreakoutMove m = request.getMove();
        open = withPlace(open, m.getUserId(), m.getDisplayName(), m.getToRoomId());
        event.setBreakoutMoved(BreakoutMoved.newBuilder().setRoundSeq(open.getRoundSeq())
            .setPlace(BreakoutPlace.newBuilder().setUserId(m.getUserId())
                .setDisplayName(m.getDisplayName()).setRoomId(m.getToRoomId())));
      }
      case TAKE_PLACE -> {
        String to = byClaim(request.getTakePlace().getClaimValue()).getRoomId();
        open = withPlace(open, actor.getUserId(), actor.getDisplayName(), to);
        event.setBreakoutMoved(BreakoutMoved.newBuilder().setRoundSeq(open.getRoundSeq())
            .setPlace(BreakoutPlace.newBuilder().setUserId(actor.getUserId())
                .setDisplayName(actor.getDisplayName()).setRoomId(to)));
      }
      case BROADCAST -> event.setBreakoutBroadcast(BreakoutBroadcasted.newBuilder()
          .setRoundSeq(open.getRoundSeq())
          .setText(ChatText.message(request.getBroadcast().getText()).value()));
      case SET_TIMER -> {
        long d = request.getSetTimer().getDurationMs();
        BreakoutRound.Builder r = open.toBuilder();
        if (d == 0) {
          r.setEndsAtMs(0).clearTimerUserId().clearTimerDisplayName();
        } else {
          r.setEndsAtMs(op.getServerTimeMs() + d)
              .setTimerUserId(actor.getUserId()).setTimerDisplayName(actor.getDisplayName());
        }
        open = r.build();
        event.setBreakoutsChanged(BreakoutsChanged.newBuilder()
            .setKind(BreakoutsChanged.Kind.TIMER_SET).setRound(open));
      }
      case CLOSE -> close(room, op, event, false);
      default -> throw new IllegalStateException("validated breakout request has no op");
    }
    return Outcome.PUBLIC;
  }

  private void close(RoomCore room, Operation op, Event.Builder event, boolean byTimer) {
    BreakoutRound done = open.toBuilder().setClosed(true).setClosedSeq(room.seq())
        .setClosedMs(op.getServerTimeMs()).setClosedByUserId(op.getActor().getUserId())
        .setClosedByDisplayName(op.getActor().getDisplayName()).build();
    open = null;
    closed.add(done);
    event.setBreakoutsChanged(BreakoutsChanged.newBuilder()
        .setKind(BreakoutsChanged.Kind.CLOSED).setRound(done).setByTimer(byTimer));
  }

  /** The round with the user placed in {@code roomId} ("" : back in the main room). */
  private static BreakoutRound withPlace(BreakoutRound round, String userId, String displayName, String roomId) {
    BreakoutRound.Builder r = round.toBuilder().clearPlaces();
    for (BreakoutPlace p : round.getPlacesList()) {
      if (!p.getUserId().equals(userId)) {
        r.addPlaces(p);
      }
    }
    if (!roomId.isEmpty()) {
      r.addPlaces(BreakoutPlace.newBuilder().setUserId(userId).setDisplayName(displayName).setRoomId(roomId));
    }
    return r.build();
  }
}
