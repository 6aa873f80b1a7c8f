package io.ponte.server.lobby;

import io.ponte.server.room.AuditNote;
import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.OBS;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.actor;
import static io.ponte.server.room.RoomStateTest.apply;
import static io.ponte.server.room.RoomStateTest.endSession;
import static io.ponte.server.room.RoomStateTest.liftBan;
import static io.ponte.server.room.RoomStateTest.lock;
import static io.ponte.server.room.RoomStateTest.rejected;
import static io.ponte.server.room.RoomStateTest.remove;
import static io.ponte.server.room.RoomStateTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.LobbyAdmit;
import io.ponte.protocol.v1.LobbyAdmitAll;
import io.ponte.protocol.v1.LobbyDeny;
import io.ponte.protocol.v1.LobbyDenyAll;
import io.ponte.protocol.v1.LobbyEntry;
import io.ponte.protocol.v1.LobbyGone;
import io.ponte.protocol.v1.LobbyKnock;
import io.ponte.protocol.v1.LobbyLeft;
import io.ponte.protocol.v1.LobbyMode;
import io.ponte.protocol.v1.LobbyOperation;
import io.ponte.protocol.v1.LobbyRequest;
import io.ponte.protocol.v1.LobbySetMode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lobby's state: who must wait under each mode, the queue's order, admitting and denying one
 * or all, the deny bar, leaving, mode changes, bounds, bans, an ended class, and that a record and
 * a replay give the same state.
 */
@Timeout(30)
class LobbyStateTest {
  private static final RoomFeatures FEATURES = new RoomFeatures(List.of(new Moderation(),
      new Lobby(new Lobby.Limits(100, 0, 0))));
  private static final Actor GUEST = actor("gus", Role.STUDENT);
  private static final Actor GUEST2 = actor("gia", Role.STUDENT);
  /** Operation times in these tests: RoomStateTest.apply stamps 1_000_000 + seq. */
  private static final long T0 = 1_000_000;

  private final List<Operation> log = new ArrayList<>();

  private static RoomState fresh(LobbyMode mode) {
    RoomSettings s = settings(true).toBuilder().setLobby(mode).build();
    return RoomState.create(ROOM, s, FEATURES);
  }

  private static Operation knock(Actor a, boolean guest, int maxWaiting) {
    return Operation.newBuilder().setActor(a).setOriginNode("n1").setLobby(LobbyOperation.newBuilder()
        .setKnock(LobbyKnock.newBuilder().setGuest(guest).setMaxWaiting(maxWaiting))).build();
  }

  private static Operation knock(Actor a, boolean guest) {
    return knock(a, guest, 100);
  }

  private static Operation gone(Actor a, String user, long knockSeq) {
    return Operation.newBuilder().setActor(a).setLobby(LobbyOperation.newBuilder()
        .setGone(LobbyGone.newBuilder().setUserId(user).setKnockSeq(knockSeq))).build();
  }

  private static Operation request(Actor a, LobbyRequest.Builder r, long barredUntil, String... present) {
    return Operation.newBuilder().setActor(a).setOriginNode("n1").setLobby(LobbyOperation.newBuilder()
        .setRequest(r.setRoomId(ROOM)).setBarredUntilMs(barredUntil).addAllPresentUserIds(List.of(present)))
        .build();
  }

  private static Operation admit(Actor a, String user) {
    return request(a, LobbyRequest.newBuilder().setAdmit(LobbyAdmit.newBuilder().setUserId(user)), 0);
  }

  private static Operation deny(Actor a, String user, long barredUntil) {
    return request(a, LobbyRequest.newBuilder().setDeny(LobbyDeny.newBuilder().setUserId(user)), barredUntil);
  }

  private static Operation admitAll(Actor a) {
    return request(a, LobbyRequest.newBuilder().setAdmitAll(LobbyAdmitAll.getDefaultInstance()), 0);
  }

  private static Operation denyAll(Actor a, long barredUntil) {
    return request(a, LobbyRequest.newBuilder().setDenyAll(LobbyDenyAll.getDefaultInstance()), barredUntil);
  }

  private static Operation setMode(Actor a, LobbyMode mode, String... present) {
    return request(a, LobbyRequest.newBuilder().setSetMode(LobbySetMode.newBuilder().setMode(mode)), 0, present);
  }

  private AppliedOperation ok(RoomState s, Operation op) {
    log.add(op);
    return accepted(s, op);
  }

  private static LobbyState lobby(RoomState s) {
    return s.feature(LobbyState.class);
  }

  private static List<String> queue(RoomState s) {
    return lobby(s).queue().stream().map(LobbyEntry::getUserId).toList();
  }

  @Test
  void theFeatureOwnsLobbyOperationsOnly() {
    Lobby l = new Lobby(new Lobby.Limits(5, 10, 10));
    assertEquals("lobby", l.name());
    assertEquals(java.util.Set.of(Operation.BodyCase.LOBBY), l.operations());
  }

  @Test
  void whoMustWaitDependsOnTheModeTheGuestClaimAndTheRole() {
    for (LobbyMode mode : List.of(LobbyMode.LOBBY_OFF, LobbyMode.LOBBY_GUESTS, LobbyMode.LOBBY_EVERYONE)) {
      RoomState s = fresh(mode);
      assertEquals(mode, lobby(s).mode(s));
      assertFalse(lobby(s).mustWait(s, "tina", Role.TEACHER, true), "a teacher never waits");
      assertEquals(mode != LobbyMode.LOBBY_OFF, lobby(s).mustWait(s, "gus", Role.STUDENT, true));
      assertEquals(mode == LobbyMode.LOBBY_EVERYONE, lobby(s).mustWait(s, "ana", Role.STUDENT, false));
      assertEquals(mode == LobbyMode.LOBBY_EVERYONE, lobby(s).mustWait(s, "olga", Role.OBSERVER, false));
    }
    RoomState unknown = RoomState.create(ROOM, settings(true).toBuilder().setLobbyValue(9).build(), FEATURES);
    assertTrue(lobby(unknown).mustWait(unknown, "ana", Role.STUDENT, false), "an unknown mode fails closed");
  }

  @Test
  void knocksQueueInOrderTeachersSeeThemAndAdmittedUsersNeverWaitAgain() {
    RoomState s = fresh(LobbyMode.LOBBY_GUESTS);
    AppliedOperation first = ok(s, knock(GUEST, true));
    ok(s, knock(GUEST2, true));
    assertEquals(List.of("gus", "gia"), queue(s));
    LobbyEntry gus = first.event().getLobbyKnocked().getEntry();
    assertEquals("User gus", gus.getDisplayName());
    assertTrue(gus.getGuest());
    assertEquals(first.seq(), gus.getKnockSeq());
    assertEquals(first.event().getServerTimeMs(), gus.getSinceMs());
    assertEquals(FeatureState.Outcome.TEACHERS, first.privateTo(), "only teachers see the queue");
    assertEquals(2, s.snapshotFor("tina", Role.TEACHER).getLobby().getWaitingCount());
    assertEquals(0, s.snapshotFor("ana", Role.STUDENT).getLobby().getWaitingCount());
    assertEquals(LobbyMode.LOBBY_GUESTS, s.snapshotFor("ana", Role.STUDENT).getLobby().getMode());

    rejected(s, knock(GUEST, true), ErrorCode.INVALID_REQUEST); // already waiting
    rejected(s, knock(ANA, false), ErrorCode.INVALID_REQUEST); // no admission needed
    rejected(s, knock(TEACHER, true), ErrorCode.INVALID_REQUEST); // teachers never wait

    LobbyLeft admitted = ok(s, admit(TEACHER, "gus")).event().getLobbyLeft();
    assertEquals(LobbyLeft.Reason.ADMITTED, admitted.getReason());
    assertEquals(List.of("gus"), admitted.getUserIdsList());
    assertEquals(List.of("gia"), queue(s));
    assertTrue(lobby(s).isAdmitted("gus"));
    assertFalse(lobby(s).mustWait(s, "gus", Role.STUDENT, true), "admitted: a reconnect walks in");
    rejected(s, knock(GUEST, true), ErrorCode.INVALID_REQUEST);
    rejected(s, admit(TEACHER, "gus"), ErrorCode.NOT_IN_LOBBY);

    RoomStateRecord record = s.toRecord();
    RoomState reloaded = RoomState.fromRecord(record, FEATURES);
    assertEquals(List.of("gia"), queue(reloaded));
    assertTrue(lobby(reloaded).isAdmitted("gus"));
    RoomState replay = fresh(LobbyMode.LOBBY_GUESTS);
    for (Operation op : log) {
      apply(replay, op);
    }
    assertEquals(record.getLobby(), replay.toRecord().getLobby());
  }

  @Test
  void onlyTeachersAdmitOrDenyAndBadInputGetsItsCode() {
    RoomState s = fresh(LobbyMode.LOBBY_EVERYONE);
    ok(s, knock(ANA, false));
    rejected(s, admit(BO, "ana"), ErrorCode.PERMISSION_DENIED);
    rejected(s, admitAll(OBS), ErrorCode.PERMISSION_DENIED);
    rejected(s, setMode(BO, LobbyMode.LOBBY_OFF), ErrorCode.PERMISSION_DENIED);
    rejected(s, admit(TEACHER, "nobody"), ErrorCode.NOT_IN_LOBBY);
    rejected(s, deny(TEACHER, "nobody", 0), ErrorCode.NOT_IN_LOBBY);
    rejected(s, admit(TEACHER, "not a valid id"), ErrorCode.INVALID_REQUEST);
    rejected(s, request(TEACHER, LobbyRequest.newBuilder().setSetMode(LobbySetMode.newBuilder().setModeValue(7)), 0),
        ErrorCode.LOBBY_MODE_INVALID);
    rejected(s, request(TEACHER, LobbyRequest.newBuilder(), 0), ErrorCode.INVALID_REQUEST);
    rejected(s, Operation.newBuilder().setActor(TEACHER).setLobby(LobbyOperation.getDefaultInstance()).build(),
        ErrorCode.INVALID_REQUEST);
    assertEquals(List.of("ana"), queue(s), "nothing changed the queue");
  }

  @Test
  void aDeniedUserIsBarredUntilTheBarEndsAndDenyAllEmptiesTheQueue() {
    RoomState s = fresh(LobbyMode.LOBBY_GUESTS);
    ok(s, knock(GUEST, true));
    long until = T0 + 100;
    LobbyLeft denied = ok(s, deny(TEACHER, "gus", until)).event().getLobbyLeft();
    assertEquals(LobbyLeft.Reason.DENIED, denied.getReason());
    assertEquals(until, lobby(s).barredUntil("gus"));
    rejected(s, knock(GUEST, true), ErrorCode.LOBBY_DENIED);
    AppliedOperation early = apply(s, knock(GUEST, true));
    assertTrue(early.rejection().getRetryAfterMs() > 0, "says when the user may knock again");
    while (s.seq() < 100) {
      ok(s, knock(actor("filler" + s.seq(), Role.STUDENT), true));
    }
    ok(s, knock(GUEST, true)); // the bar is over (operation time past it)
    assertEquals(0, lobby(s).barredUntil("gus"), "an ended bar is forgotten");

    LobbyLeft all = ok(s, denyAll(TEACHER, 0)).event().getLobbyLeft();
    assertTrue(all.getUserIdsList().contains("gus"));
    assertEquals(List.of(), queue(s));
    assertTrue(s.changesNothing(denyAll(TEACHER, 0)), "denying nobody is not sequenced");
    assertTrue(s.changesNothing(admitAll(TEACHER)));
    ok(s, knock(GUEST, true)); // a deny without a bar (lobby-deny-block-ms 0) lets them knock again
  }

  @Test
  void admitAllLetsEveryoneInInOneOperation() {
    RoomState s = fresh(LobbyMode.LOBBY_EVERYONE);
    ok(s, knock(ANA, false));
    ok(s, knock(BO, false));
    ok(s, knock(OBS, false));
    assertFalse(s.changesNothing(admitAll(TEACHER)));
    LobbyLeft all = ok(s, admitAll(TEACHER)).event().getLobbyLeft();
    assertEquals(List.of("ana", "bo", "olga"), all.getUserIdsList());
    assertEquals(LobbyLeft.Reason.ADMITTED, all.getReason());
    for (String u : List.of("ana", "bo", "olga")) {
      assertTrue(lobby(s).isAdmitted(u));
    }
  }

  @Test
  void goneTakesOutExactlyTheKnockItNames() {
    RoomState s = fresh(LobbyMode.LOBBY_GUESTS);
    long seq = ok(s, knock(GUEST, true)).seq();
    rejected(s, gone(GUEST2, "gus", seq), ErrorCode.PERMISSION_DENIED);
    rejected(s, gone(GUEST, "gus", seq + 5), ErrorCode.NOT_IN_LOBBY);
    AppliedOperation left = ok(s, gone(GUEST, "gus", seq));
    assertEquals(LobbyLeft.Reason.GONE, left.event().getLobbyLeft().getReason());
    assertEquals(FeatureState.Outcome.TEACHERS, left.privateTo());
    assertEquals(List.of(), queue(s));
    rejected(s, gone(GUEST, "gus", seq), ErrorCode.NOT_IN_LOBBY);
  }

  @Test
  void theQueueIsBoundedByTheKnocksLimit() {
    RoomState s = fresh(LobbyMode.LOBBY_EVERYONE);
    ok(s, knock(ANA, false, 2));
    ok(s, knock(BO, false, 2));
    rejected(s, knock(OBS, false, 2), ErrorCode.LOBBY_FULL);
    ok(s, admit(TEACHER, "ana"));
    ok(s, knock(OBS, false, 2));
  }

  @Test
  void aModeChangeLetsInWhoNoLongerNeedsAdmissionAndAdmitsWhoIsPresent() {
    RoomState s = fresh(LobbyMode.LOBBY_EVERYONE);
    ok(s, knock(ANA, false));
    ok(s, knock(GUEST, true));
    AppliedOperation toGuests = ok(s, setMode(TEACHER, LobbyMode.LOBBY_GUESTS));
    assertEquals(FeatureState.Outcome.PUBLIC.privateTo(), toGuests.privateTo(), "everyone sees the mode");
    assertEquals(LobbyMode.LOBBY_GUESTS, toGuests.event().getLobbyModeChanged().getMode());
    assertEquals(List.of("ana"), toGuests.event().getLobbyModeChanged().getAdmittedUserIdsList());
    assertEquals(List.of("gus"), queue(s));
    assertEquals(LobbyMode.LOBBY_GUESTS, lobby(s).mode(s));

    // Turning the lobby to everyone keeps the people already in the room admitted.
    ok(s, setMode(TEACHER, LobbyMode.LOBBY_EVERYONE, "bo"));
    assertFalse(lobby(s).mustWait(s, "bo", Role.STUDENT, false));
    assertTrue(lobby(s).mustWait(s, "cy", Role.STUDENT, false));
    assertEquals(LobbyMode.LOBBY_EVERYONE, s.snapshotFor("x", Role.OBSERVER).getLobby().getMode());

    ok(s, setMode(TEACHER, LobbyMode.LOBBY_OFF));
    assertEquals(List.of(), queue(s));
    assertEquals(LobbyMode.LOBBY_OFF, RoomState.fromRecord(s.toRecord(), FEATURES).feature(LobbyState.class)
        .mode(RoomState.fromRecord(s.toRecord(), FEATURES)), "a runtime mode outlives a reload");
  }

  @Test
  void aRemovedUserLeavesTheQueueAndTheAdmittedAndLockedOrEndedRoomsTakeNoKnock() {
    RoomState s = fresh(LobbyMode.LOBBY_EVERYONE);
    ok(s, knock(ANA, false));
    ok(s, knock(BO, false));
    ok(s, admit(TEACHER, "bo"));
    ok(s, remove(TEACHER, "ana"));
    ok(s, remove(TEACHER, "bo"));
    assertEquals(List.of(), queue(s));
    assertFalse(lobby(s).isAdmitted("bo"), "a removal takes the admission back");
    rejected(s, knock(ANA, false), ErrorCode.BANNED);
    ok(s, liftBan(TEACHER, "ana"));
    ok(s, lock(TEACHER, true));
    rejected(s, knock(ANA, false), ErrorCode.ROOM_LOCKED);
    ok(s, lock(TEACHER, false));
    ok(s, knock(ANA, false));
    ok(s, endSession(TEACHER));
    rejected(s, knock(actor("cy", Role.STUDENT), false), ErrorCode.ROOM_ENDED);
    rejected(s, admit(TEACHER, "ana"), ErrorCode.ROOM_ENDED);
  }

  @Test
  void aRoomThatNeverUsedItsLobbyKeepsNoLobbyRecord() {
    RoomState s = fresh(LobbyMode.LOBBY_OFF);
    assertFalse(s.toRecord().hasLobby());
  }

  @Test
  void admissionsAreBoundedOldestForgottenFirst() {
    RoomState s = fresh(LobbyMode.LOBBY_EVERYONE);
    String[] many = new String[LobbyState.ADMITTED_KEPT];
    for (int i = 0; i < many.length; i++) {
      many[i] = "u" + i;
    }
    ok(s, setMode(TEACHER, LobbyMode.LOBBY_EVERYONE, many));
    assertTrue(lobby(s).isAdmitted("u0"));
    String[] tooMany = java.util.Arrays.copyOf(many, many.length + 1);
    tooMany[many.length] = "extra";
    rejected(s, setMode(TEACHER, LobbyMode.LOBBY_GUESTS, tooMany), ErrorCode.INVALID_REQUEST);
    ok(s, knock(ANA, false));
    ok(s, admit(TEACHER, "ana"));
    assertTrue(lobby(s).isAdmitted("ana"));
    assertFalse(lobby(s).isAdmitted("u0"), "the earliest admission made room");
    assertTrue(lobby(s).isAdmitted("u1"));
  }

  @Test
  void teachersDecisionsAreAuditedAndKnocksAreNot() {
    RoomState s = fresh(LobbyMode.LOBBY_EVERYONE);
    assertNull(s.audit(ok(s, knock(GUEST, true))), "a knock is the learner's");
    ok(s, knock(GUEST2, true));
    ok(s, knock(ANA, false));
    assertEquals(AuditNote.of("lobby.admit", "gus"), s.audit(ok(s, admit(TEACHER, "gus"))));
    assertEquals(AuditNote.of("lobby.deny", "gia"), s.audit(ok(s, deny(TEACHER, "gia", T0 + 60_000))));
    assertEquals(AuditNote.about("lobby.admit_all", "", "1"), s.audit(ok(s, admitAll(TEACHER))));
    assertEquals(AuditNote.about("lobby.mode", "", "guests"),
        s.audit(ok(s, setMode(TEACHER, LobbyMode.LOBBY_GUESTS))));
  }
}
