package io.ponte.server.hand;

import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.OBS;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.TEACHER2;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.apply;
import static io.ponte.server.room.RoomStateTest.endSession;
import static io.ponte.server.room.RoomStateTest.liftBan;
import static io.ponte.server.room.RoomStateTest.rejected;
import static io.ponte.server.room.RoomStateTest.remove;
import static io.ponte.server.room.RoomStateTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.HandLower;
import io.ponte.protocol.v1.HandLowerAll;
import io.ponte.protocol.v1.HandLowered;
import io.ponte.protocol.v1.HandOperation;
import io.ponte.protocol.v1.HandRaise;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.HandUserLeft;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RaisedHand;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The queue of raised hands: order, who may lower what, removal, the user-left lowering, an ended class. */
@Timeout(30)
class HandStateTest {
  private static final RoomFeatures FEATURES = new RoomFeatures(List.of(new Moderation(), new Hands(0)));

  private final List<Operation> log = new ArrayList<>();

  private static RoomState fresh() {
    return RoomState.create(ROOM, settings(true), FEATURES);
  }

  private static Operation hand(Actor a, String clientMsgId, HandRequest.Builder r) {
    return Operation.newBuilder().setActor(a).setClientMsgId(clientMsgId).setOriginNode("n1")
        .setHand(HandOperation.newBuilder().setRequest(r.setRoomId(ROOM).setClientMsgId(clientMsgId)))
        .build();
  }

  private static Operation raise(Actor a) {
    return hand(a, "", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()));
  }

  private static Operation lower(Actor a, String user, long raisedSeq) {
    return hand(a, "", HandRequest.newBuilder()
        .setLower(HandLower.newBuilder().setUserId(user).setRaisedSeq(raisedSeq)));
  }

  private static Operation lowerAll(Actor a) {
    return hand(a, "", HandRequest.newBuilder().setLowerAll(HandLowerAll.getDefaultInstance()));
  }

  private static Operation userLeft(Actor a, String user, long raisedSeq) {
    return Operation.newBuilder().setActor(a).setHand(HandOperation.newBuilder()
        .setUserLeft(HandUserLeft.newBuilder().setUserId(user).setRaisedSeq(raisedSeq))).build();
  }

  private AppliedOperation ok(RoomState s, Operation op) {
    log.add(op);
    return accepted(s, op);
  }

  private static List<String> queue(RoomState s) {
    return s.feature(HandState.class).queue().stream().map(RaisedHand::getUserId).toList();
  }

  @Test
  void theFeatureOwnsHandOperationsOnly() {
    Hands h = new Hands(1000);
    assertEquals("hands", h.name());
    assertEquals(java.util.Set.of(Operation.BodyCase.HAND), h.operations());
  }

  @Test
  void handsQueueInRaiseOrderAndTheSnapshotRecordAndAReplayAgree() {
    RoomState s = fresh();
    AppliedOperation first = ok(s, raise(BO));
    ok(s, raise(ANA));
    ok(s, raise(TEACHER2));
    assertEquals(List.of("bo", "ana", "theo"), queue(s));
    RaisedHand bo = first.event().getHandRaised().getHand();
    assertEquals("bo", bo.getUserId());
    assertEquals("User bo", bo.getDisplayName());
    assertEquals(first.seq(), bo.getRaisedSeq());
    assertEquals(first.event().getServerTimeMs(), bo.getRaisedMs());
    assertEquals(FeatureState.Outcome.PUBLIC.privateTo(), first.privateTo(), "everyone sees the queue");

    // bo lowers and raises again: to the end of the queue
    ok(s, lower(BO, "", 0));
    ok(s, raise(BO));
    assertEquals(List.of("ana", "theo", "bo"), queue(s));
    for (Role viewer : List.of(Role.TEACHER, Role.STUDENT, Role.OBSERVER)) {
      assertEquals(s.feature(HandState.class).queue(), s.snapshotFor("x", viewer).getRaisedHandsList());
    }
    RoomStateRecord record = s.toRecord();
    assertEquals(List.of("ana", "theo", "bo"), queue(RoomState.fromRecord(record, FEATURES)));

    RoomState replay = fresh();
    for (Operation op : log) {
      apply(replay, op);
    }
    assertEquals(record.getRaisedHandsList(), replay.toRecord().getRaisedHandsList());
  }

  @Test
  void raisingTwiceObserversAndEndedSessionsAreRefused() {
    RoomState s = fresh();
    ok(s, raise(ANA));
    rejected(s, raise(ANA), ErrorCode.HAND_ALREADY_RAISED);
    rejected(s, raise(OBS), ErrorCode.READ_ONLY);
    rejected(s, lower(BO, "", 0), ErrorCode.HAND_NOT_RAISED);
    ok(s, endSession(TEACHER));
    rejected(s, raise(BO), ErrorCode.ROOM_ENDED);
    rejected(s, lower(ANA, "", 0), ErrorCode.ROOM_ENDED);
    rejected(s, lowerAll(TEACHER), ErrorCode.ROOM_ENDED);
    assertEquals(List.of("ana"), queue(s), "the queue stays as it was when the class ended");
  }

  @Test
  void ownHandsGoDownByTheirUserOthersOnlyByTeachers() {
    RoomState s = fresh();
    long anaSeq = ok(s, raise(ANA)).seq();
    ok(s, raise(BO));
    rejected(s, lower(BO, "ana", 0), ErrorCode.PERMISSION_DENIED);
    rejected(s, lower(OBS, "ana", 0), ErrorCode.PERMISSION_DENIED);
    rejected(s, lower(ANA, "not a valid id", 0), ErrorCode.INVALID_REQUEST);
    HandLowered own = ok(s, lower(BO, "", 0)).event().getHandLowered();
    assertEquals("bo", own.getUserId());
    assertEquals(HandLowered.Reason.LOWERED_BY_USER, own.getReason());

    HandLowered byTeacher = ok(s, lower(TEACHER, "ana", anaSeq)).event().getHandLowered();
    assertEquals("ana", byTeacher.getUserId());
    assertEquals(HandLowered.Reason.LOWERED_BY_TEACHER, byTeacher.getReason());
    assertEquals(List.of(), queue(s));
    rejected(s, lower(TEACHER, "ana", 0), ErrorCode.HAND_NOT_RAISED);
  }

  @Test
  void aTeachersLowerNamingAnOldRaiseLeavesANewRaiseAlone() {
    RoomState s = fresh();
    long old = ok(s, raise(ANA)).seq();
    ok(s, lower(ANA, "", 0));
    long again = ok(s, raise(ANA)).seq();
    rejected(s, lower(TEACHER, "ana", old), ErrorCode.HAND_NOT_RAISED);
    ok(s, lower(TEACHER, "ana", again));
  }

  @Test
  void teachersLowerAllAndAnEmptyQueueChangesNothing() {
    RoomState s = fresh();
    assertTrue(s.changesNothing(lowerAll(TEACHER)), "lowering no hand is not sequenced");
    ok(s, raise(ANA));
    ok(s, raise(BO));
    rejected(s, lowerAll(BO), ErrorCode.PERMISSION_DENIED);
    assertFalse(s.changesNothing(lowerAll(TEACHER)));
    HandLowered all = ok(s, lowerAll(TEACHER)).event().getHandLowered();
    assertTrue(all.getAll());
    assertEquals("", all.getUserId());
    assertEquals(HandLowered.Reason.LOWERED_BY_TEACHER, all.getReason());
    assertEquals(List.of(), queue(s));
  }

  @Test
  void aRemovedUsersHandGoesAtTheRemovalAndALiftedBanDoesNotBringItBack() {
    RoomState s = fresh();
    ok(s, raise(ANA));
    ok(s, raise(BO));
    ok(s, remove(TEACHER, "ana"));
    assertEquals(List.of("bo"), queue(s));
    rejected(s, raise(ANA), ErrorCode.BANNED);
    rejected(s, lower(ANA, "", 0), ErrorCode.BANNED);
    ok(s, liftBan(TEACHER, "ana"));
    assertEquals(List.of("bo"), queue(s));
    assertEquals(List.of("bo"), queue(RoomState.fromRecord(s.toRecord(), FEATURES)));
    ok(s, raise(ANA));
    assertEquals(List.of("bo", "ana"), queue(s));
  }

  @Test
  void theServersUserLeftLowersExactlyTheRaiseItSaw() {
    RoomState s = fresh();
    long seq = ok(s, raise(ANA)).seq();
    rejected(s, userLeft(BO, "ana", seq), ErrorCode.PERMISSION_DENIED);
    rejected(s, userLeft(ANA, "ana", seq + 7), ErrorCode.HAND_NOT_RAISED);
    HandLowered left = ok(s, userLeft(ANA, "ana", seq)).event().getHandLowered();
    assertEquals(HandLowered.Reason.USER_LEFT, left.getReason());
    assertEquals("ana", left.getUserId());
    rejected(s, userLeft(ANA, "ana", seq), ErrorCode.HAND_NOT_RAISED);
  }

  @Test
  void aRetriedRaiseIsAppliedOnce() {
    RoomState s = fresh();
    Operation raise = hand(ANA, "c-1", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()));
    long seq = accepted(s, raise).seq();
    AppliedOperation retry = apply(s, raise);
    assertEquals(seq, retry.duplicateOf());
    assertEquals(List.of("ana"), queue(s));
    assertEquals(seq, s.appliedSeq("ana", "c-1"));
  }

  @Test
  void aHandOperationWithoutAKindOrOpIsInvalid() {
    RoomState s = fresh();
    rejected(s, Operation.newBuilder().setActor(ANA).setHand(HandOperation.getDefaultInstance()).build(),
        ErrorCode.INVALID_REQUEST);
    rejected(s, hand(ANA, "", HandRequest.newBuilder()), ErrorCode.INVALID_REQUEST);
    rejected(s, SequencedOperation.getDefaultInstance().getOperation().toBuilder()
        .setActor(ANA.toBuilder().setRole(Role.ROLE_UNSPECIFIED))
        .setHand(HandOperation.newBuilder().setRequest(HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance())))
        .build(), ErrorCode.PERMISSION_DENIED);
  }
}
