package io.ponte.server.breakout;

import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.OBS;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.TEACHER2;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.actor;
import static io.ponte.server.room.RoomStateTest.apply;
import static io.ponte.server.room.RoomStateTest.endSession;
import static io.ponte.server.room.RoomStateTest.rejected;
import static io.ponte.server.room.RoomStateTest.remove;
import static io.ponte.server.room.RoomStateTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Breakout;
import io.ponte.protocol.v1.BreakoutBroadcast;
import io.ponte.protocol.v1.BreakoutClose;
import io.ponte.protocol.v1.BreakoutCreate;
import io.ponte.protocol.v1.BreakoutEnded;
import io.ponte.protocol.v1.BreakoutMove;
import io.ponte.protocol.v1.BreakoutOperation;
import io.ponte.protocol.v1.BreakoutPlace;
import io.ponte.protocol.v1.BreakoutPlacement;
import io.ponte.protocol.v1.BreakoutRequest;
import io.ponte.protocol.v1.BreakoutRound;
import io.ponte.protocol.v1.BreakoutSetTimer;
import io.ponte.protocol.v1.BreakoutTakePlace;
import io.ponte.protocol.v1.BreakoutTimerEnded;
import io.ponte.protocol.v1.BreakoutsChanged;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The breakouts of a room: creating a round (manual, random as resolved, by claim), placing and
 * moving, the timer and its close (twice is harmless), closing, who may do what, limits, the
 * breakout room's own end and read-only admission, snapshot/record/replay agreement.
 */
@Timeout(30)
class BreakoutStateTest {
  private static final BreakoutLimits LIMITS = new BreakoutLimits(4);
  private static final RoomFeatures FEATURES =
      new RoomFeatures(List.of(new Moderation(), new Breakouts(LIMITS)));

  private final List<Operation> log = new ArrayList<>();

  private static RoomState fresh(String roomId) {
    return RoomState.create(roomId, settings(true), FEATURES);
  }

  private static Operation request(Actor a, BreakoutRequest.Builder r) {
    return Operation.newBuilder().setActor(a).setOriginNode("n1")
        .setBreakout(BreakoutOperation.newBuilder().setRequest(r.setRoomId(ROOM))).build();
  }

  private static BreakoutCreate.Builder create(String... names) {
    return BreakoutCreate.newBuilder().addAllNames(List.of(names))
        .setAssignment(BreakoutRound.Assignment.MANUAL);
  }

  private static Operation create(Actor a, BreakoutCreate.Builder c) {
    return request(a, BreakoutRequest.newBuilder().setCreate(c));
  }

  private static BreakoutPlacement place(String user, int breakout) {
    return BreakoutPlacement.newBuilder().setUserId(user).setBreakout(breakout)
        .setDisplayName("User " + user).build();
  }

  private static Operation move(Actor a, String user, String to) {
    return request(a, BreakoutRequest.newBuilder().setMove(BreakoutMove.newBuilder()
        .setUserId(user).setToRoomId(to).setDisplayName("User " + user)));
  }

  private static Operation close(Actor a, long roundSeq) {
    return request(a, BreakoutRequest.newBuilder().setClose(BreakoutClose.newBuilder().setRoundSeq(roundSeq)));
  }

  private static Operation broadcast(Actor a, String text) {
    return request(a, BreakoutRequest.newBuilder().setBroadcast(BreakoutBroadcast.newBuilder().setText(text)));
  }

  private static Operation timer(Actor a, long ms) {
    return request(a, BreakoutRequest.newBuilder().setSetTimer(BreakoutSetTimer.newBuilder().setDurationMs(ms)));
  }

  private static Operation timerEnded(Actor a, long roundSeq, long endsAt) {
    return Operation.newBuilder().setActor(a).setBreakout(BreakoutOperation.newBuilder()
        .setTimerEnded(BreakoutTimerEnded.newBuilder().setRoundSeq(roundSeq).setEndsAtMs(endsAt))).build();
  }

  private static Operation takePlace(Actor a, String claimValue) {
    return request(a, BreakoutRequest.newBuilder()
        .setTakePlace(BreakoutTakePlace.newBuilder().setClaimValue(claimValue)));
  }

  private static Operation end(Actor a, String parent, long roundSeq) {
    return Operation.newBuilder().setActor(a).setBreakout(BreakoutOperation.newBuilder()
        .setEnd(BreakoutEnded.newBuilder().setParentRoomId(parent).setRoundSeq(roundSeq))).build();
  }

  private AppliedOperation ok(RoomState s, Operation op) {
    log.add(op);
    return accepted(s, op);
  }

  /** Rejected, and logged for the replay (it still takes its seq). */
  private void no(RoomState s, Operation op, ErrorCode code) {
    log.add(op);
    rejected(s, op, code);
  }

  /** As RoomStateTest.rejected, for a room other than r1. */
  private static void refused(RoomState s, Operation o, ErrorCode code) {
    assertEquals(code, s.check(o).getCode(), "check");
    RoomStateRecord before = s.toRecord().toBuilder().clearSeq().build();
    AppliedOperation a = apply(s, o);
    assertEquals(code, a.rejection().getCode(), a.rejection().getMessage());
    assertEquals(before, s.toRecord().toBuilder().clearSeq().build(), "a rejected operation changes nothing");
  }

  private static BreakoutState breakouts(RoomState s) {
    return s.feature(BreakoutState.class);
  }

  private static List<String> rooms(BreakoutRound r) {
    return r.getBreakoutsList().stream().map(Breakout::getRoomId).toList();
  }

  @Test
  void breakoutIdsNameTheirParentAndRound() {
    assertEquals("class-7.b12.3", BreakoutIds.of("class-7", 12, 3));
    BreakoutIds.Parsed p = BreakoutIds.parse("class.b1.x.b12.3");
    assertEquals(new BreakoutIds.Parsed("class.b1.x", 12, 3), p, "the last .b{seq}.{n} is the breakout's");
    assertNull(BreakoutIds.parse("class-7"));
    assertNull(BreakoutIds.parse("class-7.b0.1"), "seqs start at 1");
    assertNull(BreakoutIds.parse("class-7.b3.0"));
    assertNull(BreakoutIds.parse("class-7.b3.1000"), "at most 3 digits of breakout");
    assertNull(BreakoutIds.parse(".b3.1"), "a parent id is not empty");
    assertNull(BreakoutIds.parse("a/b.b3.1"), "only valid room ids");
    assertNull(BreakoutIds.parse("x".repeat(101) + ".b3.1"), "parents of at most 100 characters");
    assertNull(BreakoutIds.parse("x.b99999999999999999999.1"), "a seq beyond 2^64");
    String longest = BreakoutIds.of("x".repeat(BreakoutIds.MAX_PARENT_CHARS), -1L, 999);
    assertTrue(longest.length() <= 128 && io.ponte.server.room.ResourceId.valid(longest), longest);
    assertEquals("x".repeat(100), BreakoutIds.parse(longest).parentId());
  }

  @Test
  void aRoundIsCreatedPlacedMovedAndClosedAndTheRecordSnapshotAndReplayAgree() {
    RoomState s = fresh(ROOM);
    AppliedOperation created = ok(s, create(TEACHER, create("Blue", "Green")
        .addPlacements(place("ana", 0)).addPlacements(place("bo", 1))));
    long round = created.seq();
    BreakoutRound open = breakouts(s).open();
    assertEquals(List.of("r1.b" + round + ".1", "r1.b" + round + ".2"), rooms(open));
    assertEquals(List.of("Blue", "Green"), open.getBreakoutsList().stream().map(Breakout::getName).toList());
    assertEquals(BreakoutsChanged.Kind.CREATED, created.event().getBreakoutsChanged().getKind());
    assertEquals(open, created.event().getBreakoutsChanged().getRound());
    String blue = open.getBreakouts(0).getRoomId();
    String green = open.getBreakouts(1).getRoomId();
    assertEquals(BreakoutState.Standing.PLACED, breakouts(s).standing(blue, "ana"));
    assertEquals(BreakoutState.Standing.NOT_PLACED, breakouts(s).standing(green, "ana"));
    assertEquals(BreakoutState.Standing.UNKNOWN, breakouts(s).standing("r1.b999.1", "ana"));

    AppliedOperation moved = ok(s, move(TEACHER2, "ana", green));
    assertEquals(BreakoutPlace.newBuilder().setUserId("ana").setDisplayName("User ana").setRoomId(green).build(),
        moved.event().getBreakoutMoved().getPlace());
    assertEquals(BreakoutState.Standing.PLACED, breakouts(s).standing(green, "ana"));
    ok(s, move(TEACHER, "bo", ""));
    assertEquals(BreakoutState.Standing.NOT_PLACED, breakouts(s).standing(green, "bo"), "bo is back in the main room");

    AppliedOperation b = ok(s, broadcast(TEACHER, "Five minutes left"));
    assertEquals("Five minutes left", b.event().getBreakoutBroadcast().getText());
    assertEquals(round, b.event().getBreakoutBroadcast().getRoundSeq());

    RoomStateRecord mid = s.toRecord();
    assertEquals(breakouts(s).open(), RoomState.fromRecord(mid, FEATURES).feature(BreakoutState.class).open());
    for (Role viewer : List.of(Role.TEACHER, Role.STUDENT, Role.OBSERVER)) {
      assertEquals(breakouts(s).open(), s.snapshotFor("x", viewer).getBreakouts().getOpen());
    }

    AppliedOperation closed = ok(s, close(TEACHER, 0));
    BreakoutsChanged c = closed.event().getBreakoutsChanged();
    assertEquals(BreakoutsChanged.Kind.CLOSED, c.getKind());
    assertFalse(c.getByTimer());
    assertTrue(c.getRound().getClosed());
    assertEquals(closed.seq(), c.getRound().getClosedSeq());
    assertEquals("tina", c.getRound().getClosedByUserId());
    assertNull(breakouts(s).open());
    assertEquals(BreakoutState.Standing.CLOSED, breakouts(s).standing(green, "ana"));
    assertEquals(BreakoutState.Standing.CLOSED, breakouts(s).standing(blue, "tina"));
    no(s, close(TEACHER, round), ErrorCode.BREAKOUT_CLOSED);
    no(s, close(TEACHER, 0), ErrorCode.BREAKOUT_NOT_FOUND);
    no(s, move(TEACHER, "ana", green), ErrorCode.BREAKOUT_NOT_FOUND);
    no(s, broadcast(TEACHER, "hello?"), ErrorCode.BREAKOUT_NOT_FOUND);

    // A second round has rooms of its own; the first stays known (readable).
    AppliedOperation second = ok(s, create(TEACHER, create("Red")));
    assertEquals(List.of("r1.b" + second.seq() + ".1"), rooms(breakouts(s).open()));
    assertEquals(BreakoutState.Standing.CLOSED, breakouts(s).standing(blue, "tina"));

    RoomStateRecord record = s.toRecord();
    RoomState replay = fresh(ROOM);
    for (Operation op : log) {
      apply(replay, op);
    }
    assertEquals(record.getBreakouts(), replay.toRecord().getBreakouts());
    assertEquals(record.getBreakouts(), RoomState.fromRecord(record, FEATURES).toRecord().getBreakouts());
    assertEquals(1, s.snapshotFor("ana", Role.STUDENT).getBreakouts().getClosedCount());
  }

  @Test
  void onlyTeachersManageBreakoutsAndBadInputGetsItsCode() {
    RoomState s = fresh(ROOM);
    rejected(s, create(ANA, create("A")), ErrorCode.PERMISSION_DENIED);
    rejected(s, create(OBS, create("A")), ErrorCode.PERMISSION_DENIED);
    rejected(s, create(TEACHER, create()), ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, create("A", "B", "C", "D", "E")), ErrorCode.TOO_MANY_BREAKOUTS);
    rejected(s, create(TEACHER, create("x".repeat(65))), ErrorCode.BREAKOUT_NAME_TOO_LONG);
    rejected(s, create(TEACHER, create("A", " A ")), ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, create(" ")), ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, create("bad\u0007name")), ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, create("A").addPlacements(place("ana", 1))), ErrorCode.BREAKOUT_NOT_FOUND);
    rejected(s, create(TEACHER, create("A").addPlacements(place("ana", -1))), ErrorCode.BREAKOUT_NOT_FOUND);
    rejected(s, create(TEACHER, create("A", "B").addPlacements(place("ana", 0)).addPlacements(place("ana", 1))),
        ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, create("A").addPlacements(place("bad id", 0))), ErrorCode.INVALID_REQUEST);
    rejected(s, create(TEACHER, create("A").setDurationMs(999)), ErrorCode.BREAKOUT_TIMER_INVALID);
    rejected(s, create(TEACHER, create("A").setDurationMs(86_400_001)), ErrorCode.BREAKOUT_TIMER_INVALID);
    rejected(s, move(TEACHER, "ana", ""), ErrorCode.BREAKOUT_NOT_FOUND);
    rejected(s, request(TEACHER, BreakoutRequest.newBuilder()), ErrorCode.INVALID_REQUEST);

    long round = ok(s, create(TEACHER, create("A", "B"))).seq();
    rejected(s, create(TEACHER, create("C")), ErrorCode.BREAKOUTS_ALREADY_OPEN);
    rejected(s, move(ANA, "ana", BreakoutIds.of(ROOM, round, 1)), ErrorCode.PERMISSION_DENIED);
    rejected(s, move(TEACHER, "ana", BreakoutIds.of(ROOM, round, 3)), ErrorCode.BREAKOUT_NOT_FOUND);
    rejected(s, move(TEACHER, "ana", "elsewhere"), ErrorCode.BREAKOUT_NOT_FOUND);
    rejected(s, move(TEACHER, "", ""), ErrorCode.INVALID_REQUEST);
    rejected(s, broadcast(BO, "hi"), ErrorCode.PERMISSION_DENIED);
    rejected(s, broadcast(TEACHER, " "), ErrorCode.TEXT_EMPTY);
    rejected(s, timer(TEACHER, 500), ErrorCode.BREAKOUT_TIMER_INVALID);
    rejected(s, timer(ANA, 60_000), ErrorCode.PERMISSION_DENIED);
    rejected(s, close(ANA, 0), ErrorCode.PERMISSION_DENIED);
    rejected(s, close(TEACHER, round + 7), ErrorCode.BREAKOUT_NOT_FOUND);
    rejected(s, takePlace(ANA, "lyon"), ErrorCode.BREAKOUT_INVALID);

    // A removed user cannot be placed, and loses their place.
    ok(s, move(TEACHER, "bo", BreakoutIds.of(ROOM, round, 2)));
    ok(s, remove(TEACHER, "bo"));
    assertEquals(BreakoutState.Standing.NOT_PLACED, breakouts(s).standing(BreakoutIds.of(ROOM, round, 2), "bo"));
    rejected(s, move(TEACHER, "bo", BreakoutIds.of(ROOM, round, 1)), ErrorCode.BREAKOUT_UNKNOWN_USER);
    rejected(s, broadcast(BO, "hi"), ErrorCode.BANNED);

    ok(s, endSession(TEACHER));
    rejected(s, close(TEACHER, 0), ErrorCode.ROOM_ENDED);
  }

  @Test
  void theTimerClosesTheRoundOnceAndOnlyTheTimerItWasSetFor() {
    RoomState s = fresh(ROOM);
    AppliedOperation created = ok(s, create(TEACHER, create("A").setDurationMs(60_000)));
    BreakoutRound open = breakouts(s).open();
    long endsAt = created.event().getServerTimeMs() + 60_000;
    assertEquals(endsAt, open.getEndsAtMs());
    assertEquals("tina", open.getTimerUserId());

    // theo changes the timer: a late check for tina's is refused, and closing goes in theo's name
    AppliedOperation reset = ok(s, timer(TEACHER2, 120_000));
    long newEnd = reset.event().getServerTimeMs() + 120_000;
    assertEquals(BreakoutsChanged.Kind.TIMER_SET, reset.event().getBreakoutsChanged().getKind());
    rejected(s, timerEnded(TEACHER, open.getRoundSeq(), endsAt), ErrorCode.BREAKOUT_TIMER_INVALID);
    rejected(s, timerEnded(TEACHER, open.getRoundSeq(), newEnd), ErrorCode.PERMISSION_DENIED);
    rejected(s, timerEnded(actor("theo", Role.STUDENT), open.getRoundSeq(), newEnd), ErrorCode.PERMISSION_DENIED);

    AppliedOperation closed = ok(s, timerEnded(TEACHER2, open.getRoundSeq(), newEnd));
    assertTrue(closed.event().getBreakoutsChanged().getByTimer());
    assertEquals("theo", closed.event().getBreakoutsChanged().getRound().getClosedByUserId());
    // a second node noticing the same timer: refused, the state unchanged
    rejected(s, timerEnded(TEACHER2, open.getRoundSeq(), newEnd), ErrorCode.BREAKOUT_CLOSED);

    // stopping a timer: no timer ends the round
    ok(s, create(TEACHER, create("B").setDurationMs(5_000)));
    ok(s, timer(TEACHER, 0));
    assertEquals(0, breakouts(s).open().getEndsAtMs());
    rejected(s, timerEnded(TEACHER, breakouts(s).open().getRoundSeq(), 0), ErrorCode.BREAKOUT_TIMER_INVALID);
  }

  @Test
  void learnersTakeTheBreakoutOfTheirClaim() {
    RoomState s = fresh(ROOM);
    BreakoutCreate.Builder byClaim = BreakoutCreate.newBuilder().addNames("Lyon").addNames("Krakow")
        .setAssignment(BreakoutRound.Assignment.BY_CLAIM).setClaim("school")
        .addClaimValues("lyon").addClaimValues("krakow");
    rejected(s, create(TEACHER, byClaim.clone().setClaim("School!")), ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, byClaim.clone().clearClaimValues().addClaimValues("lyon")), ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, byClaim.clone().setClaimValues(1, "lyon")), ErrorCode.BREAKOUT_INVALID);
    rejected(s, create(TEACHER, byClaim.clone().addPlacements(place("ana", 0))), ErrorCode.BREAKOUT_INVALID);
    long round = ok(s, create(TEACHER, byClaim)).seq();
    assertEquals("school", breakouts(s).open().getClaim());

    AppliedOperation took = ok(s, takePlace(ANA, "krakow"));
    assertEquals(BreakoutIds.of(ROOM, round, 2), took.event().getBreakoutMoved().getPlace().getRoomId());
    assertEquals(BreakoutState.Standing.PLACED, breakouts(s).standing(BreakoutIds.of(ROOM, round, 2), "ana"));
    rejected(s, takePlace(BO, ""), ErrorCode.BREAKOUT_NO_CLAIM);
    rejected(s, takePlace(BO, "paris"), ErrorCode.BREAKOUT_NO_CLAIM);
    // a teacher may still move a learner elsewhere
    ok(s, move(TEACHER, "ana", BreakoutIds.of(ROOM, round, 1)));
    assertEquals(BreakoutState.Standing.PLACED, breakouts(s).standing(BreakoutIds.of(ROOM, round, 1), "ana"));
  }

  @Test
  void aBreakoutRoomEndsOnceAndThenAdmitsOnlyReadOnlyVisitors() {
    String id = BreakoutIds.of(ROOM, 5, 2);
    RoomState s = fresh(id);
    refused(s, create(TEACHER, create("nested")), ErrorCode.BREAKOUT_NESTED);
    refused(s, end(ANA, ROOM, 5), ErrorCode.PERMISSION_DENIED);
    refused(s, end(TEACHER, ROOM, 6), ErrorCode.BREAKOUT_INVALID);
    refused(s, end(TEACHER, "other", 5), ErrorCode.BREAKOUT_INVALID);
    assertFalse(s.admitsAfterEnd(Role.OBSERVER));

    AppliedOperation ended = ok(s, end(TEACHER, ROOM, 5));
    assertEquals(RoomState.Effect.SESSION_ENDED, ended.effect(), "members are let go, retention starts");
    assertEquals(ROOM, ended.event().getBreakoutEnded().getParentRoomId());
    assertTrue(s.ended());
    assertTrue(s.admitsAfterEnd(Role.OBSERVER));
    assertFalse(s.admitsAfterEnd(Role.TEACHER), "nobody writes in an ended breakout");
    assertFalse(s.admitsAfterEnd(Role.STUDENT));
    assertNull(s.check(end(TEACHER2, ROOM, 5)));
    assertTrue(s.changesNothing(end(TEACHER2, ROOM, 5)), "ending twice is a no-op (two nodes)");
    assertTrue(RoomState.fromRecord(s.toRecord(), FEATURES).admitsAfterEnd(Role.OBSERVER));

    // An ordinary room never admits after its end.
    RoomState plain = fresh(ROOM);
    ok(plain, endSession(TEACHER));
    assertFalse(plain.admitsAfterEnd(Role.OBSERVER));
  }

  @Test
  void breakoutsNeedAShortEnoughParentIdAndRoundsAreBounded() {
    RoomState longId = fresh("p".repeat(101));
    refused(longId, create(TEACHER, create("A")), ErrorCode.BREAKOUT_INVALID);

    RoomState s = fresh(ROOM);
    for (int i = 0; i < BreakoutLimits.MAX_ROUNDS; i++) {
      ok(s, create(TEACHER, create("A")));
      ok(s, close(TEACHER, 0));
    }
    rejected(s, create(TEACHER, create("A")), ErrorCode.TOO_MANY_BREAKOUT_ROUNDS);
  }

  @Test
  void teachersBreakoutActionsAreAuditedWithoutTheBroadcastText() {
    RoomState s = fresh(ROOM);
    AppliedOperation created = ok(s, create(TEACHER, create("Blue", "Green").addPlacements(place("ana", 0))));
    assertEquals(AuditNote.about("breakout.create", "round:" + created.seq(), "2 manual"), s.audit(created));
    String green = breakouts(s).open().getBreakouts(1).getRoomId();
    assertEquals(new AuditNote("breakout.move", "ana", "room:" + green, ""), s.audit(ok(s, move(TEACHER, "ana", green))));
    assertEquals(new AuditNote("breakout.move", "ana", "main", ""), s.audit(ok(s, move(TEACHER, "ana", ""))));
    assertEquals(AuditNote.about("breakout.broadcast", "", ""), s.audit(ok(s, broadcast(TEACHER, "Five minutes left"))));
    assertEquals(AuditNote.about("breakout.timer", "", "60000"), s.audit(ok(s, timer(TEACHER, 60_000))));
    assertEquals(AuditNote.about("breakout.close", "", ""), s.audit(ok(s, close(TEACHER, created.seq()))));
  }
}
