package io.ponte.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.CloseRoom;
import io.ponte.protocol.v1.EndSession;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.LiftBan;
import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.MuteParticipant;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.RemoveParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.protocol.v1.SetStudentChat;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.testsupport.TestRooms;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
public class RoomStateTest {
  public static final String ROOM = "r1";
  public static final Actor TEACHER = actor("tina", Role.TEACHER);
  public static final Actor TEACHER2 = actor("theo", Role.TEACHER);
  public static final Actor ANA = actor("ana", Role.STUDENT);
  public static final Actor BO = actor("bo", Role.STUDENT);
  public static final Actor OBS = actor("olga", Role.OBSERVER);

  public static RoomSettings settings(boolean studentChat) {
    return RoomSettings.newBuilder()
        .setTitle("Room")
        .setMaxParticipants(30)
        .setRetentionDays(30)
        .setStudentPermissions(Permissions.newBuilder().setChat(studentChat).setWhiteboard(true))
        .build();
  }

  public static Actor actor(String id, Role role) {
    return Actor.newBuilder().setUserId(id).setDisplayName("User " + id).setRole(role).build();
  }

  // ---- operation builders ------------------------------------------------------------------

  public static Operation.Builder op(Actor a, String clientMsgId) {
    return Operation.newBuilder().setActor(a).setClientMsgId(clientMsgId)
        .setOriginNode("n1").setOriginRef(1);
  }

  public static Operation post(Actor a, String text) {
    return post(a, text, "", 0, false, "");
  }

  public static Operation post(Actor a, String text, String lang, long replyTo, boolean toTeachers,
      String clientMsgId) {
    return op(a, clientMsgId).setChatPost(ChatPost.newBuilder().setRoomId(ROOM).setText(text)
        .setLanguage(lang).setReplyTo(replyTo).setToTeachers(toTeachers).setClientMsgId(clientMsgId))
        .build();
  }

  public static Operation edit(Actor a, long seq, String text) {
    return op(a, "").setChatEdit(ChatEdit.newBuilder().setRoomId(ROOM).setMessageSeq(seq).setText(text))
        .build();
  }

  public static Operation delete(Actor a, long seq) {
    return op(a, "").setChatDelete(ChatDelete.newBuilder().setRoomId(ROOM).setMessageSeq(seq)).build();
  }

  public static Operation react(Actor a, long seq, String reaction, boolean add) {
    return op(a, "").setChatReact(ChatReact.newBuilder().setRoomId(ROOM).setMessageSeq(seq)
        .setReaction(reaction).setAdd(add)).build();
  }

  public static Operation teacher(Actor a, TeacherAction.Builder t) {
    return op(a, "").setTeacherAction(t.setRoomId(ROOM)).build();
  }

  public static Operation mute(Actor a, String user, boolean muted) {
    return teacher(a, TeacherAction.newBuilder()
        .setMute(MuteParticipant.newBuilder().setUserId(user).setMuted(muted)));
  }

  public static Operation remove(Actor a, String user) {
    return teacher(a, TeacherAction.newBuilder().setRemove(RemoveParticipant.newBuilder().setUserId(user)));
  }

  public static Operation liftBan(Actor a, String user) {
    return teacher(a, TeacherAction.newBuilder().setLiftBan(LiftBan.newBuilder().setUserId(user)));
  }

  public static Operation lock(Actor a, boolean locked) {
    return teacher(a, TeacherAction.newBuilder().setLock(LockRoom.newBuilder().setLocked(locked)));
  }

  public static Operation studentChat(Actor a, boolean enabled) {
    return teacher(a, TeacherAction.newBuilder().setStudentChat(SetStudentChat.newBuilder().setEnabled(enabled)));
  }

  public static Operation endSession(Actor a) {
    return teacher(a, TeacherAction.newBuilder().setEndSession(EndSession.getDefaultInstance()));
  }

  public static Operation closeRoom() {
    return Operation.newBuilder().setActor(Actor.newBuilder().setUserId("admin"))
        .setCloseRoom(CloseRoom.getDefaultInstance()).build();
  }

  /** Applies at the next seq with a deterministic server time. */
  public static AppliedOperation apply(RoomState s, Operation o) {
    long seq = s.seq() + 1;
    return s.apply(SequencedOperation.newBuilder().setSeq(seq)
        .setOperation(o.toBuilder().setServerTimeMs(1_000_000 + seq)).build());
  }

  public static AppliedOperation accepted(RoomState s, Operation o) {
    AppliedOperation a = apply(s, o);
    assertTrue(a.accepted(), () -> "expected accepted, got " + a.rejection());
    return a;
  }

  public static void rejected(RoomState s, Operation o, ErrorCode code) {
    ErrorInfo early = s.check(o);
    assertNotNull(early, "check should refuse too");
    assertEquals(code, early.getCode(), "check: " + early.getMessage());
    RoomStateRecord before = s.toRecord();
    AppliedOperation a = apply(s, o);
    assertNotNull(a.rejection(), "expected rejection " + code);
    assertEquals(code, a.rejection().getCode(), a.rejection().getMessage());
    assertEquals(ROOM, a.rejection().getRoomId());
    assertEquals(0, a.duplicateOf());
    assertEquals(Event.BodyCase.SKIPPED, a.event().getBodyCase());
    assertEquals(s.seq(), a.event().getSeq(), "a rejected operation still uses its seq");
    assertEquals(RoomState.Effect.NONE, a.effect());
    assertEquals(withoutSeq(before), withoutSeq(s.toRecord()), "a rejected operation changes nothing");
  }

  public static RoomStateRecord withoutSeq(RoomStateRecord r) {
    return r.toBuilder().clearSeq().build();
  }

  public static RoomState fresh() {
    return TestRooms.create(ROOM, settings(true));
  }

  // ---- lost seqs ---------------------------------------------------------------------------

  @Test
  void aLostSeqsPlaceholderAdvancesTheSeqForEveryoneAndChangesNothingElse() {
    RoomState s = fresh();
    accepted(s, post(ANA, "hello"));
    RoomStateRecord before = s.toRecord();
    AppliedOperation a = apply(s, Operation.newBuilder()
        .setSeqSkipped(io.ponte.protocol.v1.SeqSkipped.newBuilder().setNode("node-b")).build());
    assertEquals(2, s.seq());
    assertNull(a.rejection(), "nobody waits for it: no error to send");
    assertEquals(0, a.duplicateOf());
    assertEquals(Event.BodyCase.SKIPPED, a.event().getBodyCase());
    assertEquals(2, a.event().getSeq());
    assertTrue(a.visibleTo("ana", Role.STUDENT), "every member gets the seq (as skipped)");
    assertEquals(RoomState.Effect.NONE, a.effect());
    assertNull(s.audit(a));
    assertEquals(withoutSeq(before), withoutSeq(s.toRecord()), "a placeholder changes nothing");
    assertEquals(3, accepted(s, post(BO, "after the gap")).seq());
  }

  @Test
  void aPlaceholderCannotBeSubmitted() {
    assertNotNull(fresh().check(Operation.newBuilder().setActor(TEACHER)
        .setSeqSkipped(io.ponte.protocol.v1.SeqSkipped.getDefaultInstance()).build()));
  }

  // ---- validation --------------------------------------------------------------------------

  @Nested
  class Validation {
    @Test
    void studentAndTeacherPostAndTheMessageIsStored() {
      RoomState s = fresh();
      AppliedOperation a = accepted(s, post(ANA, "hello", "pt-br", 0, false, "c1"));
      assertEquals(1, a.seq());
      ChatMessage m = a.event().getChatPosted();
      assertEquals("hello", m.getText());
      assertEquals("pt-BR", m.getLanguage(), "language is canonicalised");
      assertEquals(1, m.getSeq());
      assertEquals(ANA, m.getAuthor());
      assertEquals(1_000_001, m.getPostedMs());
      assertEquals("", a.privateTo());
      accepted(s, post(TEACHER, "welcome", "", 1, false, ""));
      assertEquals(List.of("hello", "welcome"), texts(TestRooms.history(s, "bo", Role.STUDENT, 0, 10).messages()));
      assertEquals(1, TestRooms.history(s, "bo", Role.STUDENT, 0, 10).messages().get(1).getReplyTo());
    }

    @Test
    void observersAreReadOnly() {
      RoomState s = fresh();
      accepted(s, post(ANA, "hi"));
      rejected(s, post(OBS, "hi"), ErrorCode.READ_ONLY);
      rejected(s, react(OBS, 1, "👍", true), ErrorCode.READ_ONLY);
      rejected(s, delete(OBS, 1), ErrorCode.READ_ONLY);
      rejected(s, edit(OBS, 1, "x"), ErrorCode.READ_ONLY);
    }

    @Test
    void mutedStudentCannotChatUntilUnmutedButTeacherIsUnaffectedByMuteOfOthers() {
      RoomState s = fresh();
      accepted(s, post(ANA, "first"));
      AppliedOperation m = accepted(s, mute(TEACHER, "ana", true));
      assertEquals("ana", m.event().getParticipantMuted().getUserId());
      assertTrue(TestRooms.isMuted(s, "ana"));
      rejected(s, post(ANA, "again"), ErrorCode.MUTED);
      rejected(s, edit(ANA, 1, "edited"), ErrorCode.MUTED);
      rejected(s, react(ANA, 1, "👍", true), ErrorCode.MUTED);
      accepted(s, post(BO, "bo is fine"));
      accepted(s, mute(TEACHER, "ana", false));
      assertFalse(TestRooms.isMuted(s, "ana"));
      accepted(s, post(ANA, "back"));
    }

    @Test
    void bannedUserIsRefusedUntilTheBanIsLifted() {
      RoomState s = fresh();
      accepted(s, post(ANA, "first"));
      AppliedOperation r = accepted(s, remove(TEACHER, "ana"));
      assertEquals(RoomState.Effect.USER_REMOVED, r.effect());
      assertEquals("ana", r.affectedUser());
      assertTrue(s.isBanned("ana"));
      rejected(s, post(ANA, "x"), ErrorCode.BANNED);
      rejected(s, delete(ANA, 1), ErrorCode.BANNED);
      rejected(s, react(ANA, 1, "x", true), ErrorCode.BANNED);
      accepted(s, liftBan(TEACHER, "ana"));
      assertFalse(s.isBanned("ana"));
      accepted(s, post(ANA, "back"));
    }

    @Test
    void studentChatSwitchedOffRefusesStudentsWithChatDisabledNotTeachers() {
      RoomState s = fresh();
      accepted(s, studentChat(TEACHER, false));
      rejected(s, post(ANA, "x"), ErrorCode.CHAT_DISABLED);
      accepted(s, post(TEACHER, "only me"));
      rejected(s, react(ANA, 2, "👍", true), ErrorCode.CHAT_DISABLED);
      accepted(s, studentChat(TEACHER, true));
      accepted(s, post(ANA, "ok now"));
    }

    @Test
    void studentPermissionWithoutChatIsCapabilityDenied() {
      RoomState s = TestRooms.create(ROOM, settings(false));
      rejected(s, post(ANA, "x"), ErrorCode.CAPABILITY_DENIED);
      accepted(s, post(TEACHER, "teachers still chat"));
    }

    @Test
    void teacherActionsNeedATeacher() {
      RoomState s = fresh();
      for (Actor a : List.of(ANA, OBS)) {
        rejected(s, mute(a, "bo", true), ErrorCode.PERMISSION_DENIED);
        rejected(s, remove(a, "bo"), ErrorCode.PERMISSION_DENIED);
        rejected(s, liftBan(a, "bo"), ErrorCode.PERMISSION_DENIED);
        rejected(s, lock(a, true), ErrorCode.PERMISSION_DENIED);
        rejected(s, studentChat(a, false), ErrorCode.PERMISSION_DENIED);
        rejected(s, endSession(a), ErrorCode.PERMISSION_DENIED);
      }
      assertFalse(s.locked());
      assertFalse(s.ended());
    }

    @Test
    void teacherActionTargetsMustBeValidAndNotThemselves() {
      RoomState s = fresh();
      rejected(s, mute(TEACHER, "", true), ErrorCode.INVALID_REQUEST);
      rejected(s, remove(TEACHER, "has space"), ErrorCode.INVALID_REQUEST);
      rejected(s, mute(TEACHER, "tina", true), ErrorCode.INVALID_REQUEST);
      rejected(s, remove(TEACHER, "tina"), ErrorCode.INVALID_REQUEST);
      rejected(s, teacher(TEACHER, TeacherAction.newBuilder()), ErrorCode.INVALID_REQUEST);
      accepted(s, lock(TEACHER, true));
      assertTrue(s.locked());
      accepted(s, lock(TEACHER, false));
      assertFalse(s.locked());
    }

    @Test
    void operationWithoutRoleOrBodyIsRefused() {
      RoomState s = fresh();
      rejected(s, post(Actor.newBuilder().setUserId("x").build(), "hi"), ErrorCode.PERMISSION_DENIED);
      rejected(s, op(ANA, "").build(), ErrorCode.INVALID_REQUEST);
    }

    @Test
    void onlyTheAuthorEdits() {
      RoomState s = fresh();
      accepted(s, post(ANA, "mine"));
      rejected(s, edit(BO, 1, "not yours"), ErrorCode.PERMISSION_DENIED);
      rejected(s, edit(TEACHER, 1, "not even a teacher"), ErrorCode.PERMISSION_DENIED);
      AppliedOperation e = accepted(s, edit(ANA, 1, "mine, edited"));
      assertEquals(1, e.event().getChatEdited().getMessageSeq());
      assertEquals("mine, edited", e.event().getChatEdited().getText());
      ChatMessage m = TestRooms.history(s, "ana", Role.STUDENT, 0, 10).messages().get(0);
      assertEquals("mine, edited", m.getText());
      assertEquals(1_000_004, m.getEditedMs(), "rejected edits used seqs 2 and 3");
      rejected(s, edit(ANA, 1, "   "), ErrorCode.TEXT_EMPTY);
      rejected(s, edit(ANA, 99, "nothing there"), ErrorCode.MESSAGE_NOT_FOUND);
    }

    @Test
    void deleteByAuthorOrTeacherButNotByAnotherStudent() {
      RoomState s = fresh();
      accepted(s, post(ANA, "one"));
      accepted(s, post(ANA, "two"));
      accepted(s, react(BO, 1, "👍", true));
      rejected(s, delete(BO, 1), ErrorCode.PERMISSION_DENIED);
      AppliedOperation d = accepted(s, delete(TEACHER, 1));
      assertEquals(1, d.event().getChatDeleted().getMessageSeq());
      accepted(s, delete(ANA, 2));
      List<ChatMessage> h = TestRooms.history(s, "bo", Role.STUDENT, 0, 10).messages();
      assertEquals(2, h.size());
      for (ChatMessage m : h) {
        assertTrue(m.getDeleted());
        assertEquals("", m.getText(), "deleted text is gone");
        assertEquals(0, m.getReactionsCount());
      }
      rejected(s, delete(TEACHER, 1), ErrorCode.MESSAGE_NOT_FOUND);
      rejected(s, edit(ANA, 2, "revive"), ErrorCode.MESSAGE_NOT_FOUND);
      rejected(s, react(BO, 2, "👍", true), ErrorCode.MESSAGE_NOT_FOUND);
      rejected(s, post(BO, "reply", "", 1, false, ""), ErrorCode.MESSAGE_NOT_FOUND);
    }

    @Test
    void endedSessionRefusesChatAndTeacherActions() {
      RoomState s = fresh();
      accepted(s, post(ANA, "hi"));
      AppliedOperation e = accepted(s, endSession(TEACHER));
      assertEquals(RoomState.Effect.SESSION_ENDED, e.effect());
      assertTrue(s.ended());
      assertFalse(s.closed());
      rejected(s, post(ANA, "x"), ErrorCode.ROOM_ENDED);
      rejected(s, post(TEACHER, "x"), ErrorCode.ROOM_ENDED);
      rejected(s, react(TEACHER, 1, "x", true), ErrorCode.ROOM_ENDED);
      rejected(s, lock(TEACHER, true), ErrorCode.ROOM_ENDED);
      rejected(s, endSession(TEACHER), ErrorCode.ROOM_ENDED);
      assertTrue(TestRooms.snapshotFor(s, "ana", Role.STUDENT, 10).getEnded());
    }

    @Test
    void closedRoomRefusesEverything() {
      RoomState s = fresh();
      accepted(s, post(ANA, "hi"));
      AppliedOperation c = accepted(s, closeRoom());
      assertEquals(RoomState.Effect.ROOM_CLOSED, c.effect());
      assertTrue(s.closed());
      assertTrue(s.ended());
      rejected(s, post(TEACHER, "x"), ErrorCode.ROOM_ENDED);
      rejected(s, delete(TEACHER, 1), ErrorCode.ROOM_ENDED);
      rejected(s, liftBan(TEACHER, "bo"), ErrorCode.ROOM_ENDED);
      rejected(s, closeRoom(), ErrorCode.ROOM_ENDED);
      assertTrue(TestRooms.snapshotFor(s, "ana", Role.STUDENT, 10).getEnded());
    }

    @Test
    void replyToMustNameAVisibleLiveMessage() {
      RoomState s = fresh();
      accepted(s, post(ANA, "secret question", "", 0, true, ""));
      rejected(s, post(BO, "reply", "", 1, false, ""), ErrorCode.MESSAGE_NOT_FOUND);
      rejected(s, post(BO, "reply", "", 42, false, ""), ErrorCode.MESSAGE_NOT_FOUND);
      long answer = accepted(s, post(TEACHER, "answer", "", 1, false, "")).seq();
      accepted(s, post(ANA, "thanks", "", 1, false, ""));
      accepted(s, post(BO, "reply to teacher", "", answer, false, ""));
      rejected(s, post(BO, "reply to a rejected seq", "", 2, false, ""), ErrorCode.MESSAGE_NOT_FOUND);
    }

    @Test
    void textLanguageAndReactionRules() {
      RoomState s = fresh();
      rejected(s, post(ANA, ""), ErrorCode.TEXT_EMPTY);
      rejected(s, post(ANA, " \n\t "), ErrorCode.TEXT_EMPTY);
      rejected(s, post(ANA, "a".repeat(4001)), ErrorCode.TEXT_TOO_LONG);
      rejected(s, post(ANA, "bell\u0007"), ErrorCode.TEXT_INVALID);
      rejected(s, post(ANA, "half \uD83D"), ErrorCode.TEXT_INVALID);
      rejected(s, post(ANA, "hi", "not a tag!", 0, false, ""), ErrorCode.LANGUAGE_INVALID);
      rejected(s, post(ANA, "hi", "x".repeat(36), 0, false, ""), ErrorCode.LANGUAGE_INVALID);
      // 4000 code points outside the BMP are 8000 chars but allowed.
      long emoji = accepted(s, post(ANA, "😀".repeat(4000))).seq();
      // NFC: "e" + combining acute is stored as one character.
      AppliedOperation n = accepted(s, post(ANA, "cafe\u0301"));
      assertEquals("caf\u00e9", n.event().getChatPosted().getText());
      rejected(s, react(BO, emoji, "", true), ErrorCode.REACTION_INVALID);
      rejected(s, react(BO, emoji, "a\nb", true), ErrorCode.REACTION_INVALID);
      rejected(s, react(BO, emoji, "x".repeat(33), true), ErrorCode.REACTION_INVALID);
      accepted(s, react(BO, emoji, "x".repeat(32), true));
      rejected(s, react(BO, 99, "👍", true), ErrorCode.MESSAGE_NOT_FOUND);
    }

    @Test
    void reactionsAreSetsPerUserAndRemovedWhenEmpty() {
      RoomState s = fresh();
      accepted(s, post(ANA, "react to me"));
      accepted(s, react(BO, 1, "👍", true));
      accepted(s, react(TEACHER, 1, "👍", true));
      AppliedOperation again = accepted(s, react(BO, 1, "👍", true));
      assertEquals("bo", again.event().getReactionChanged().getUserId());
      accepted(s, react(ANA, 1, "❤", true));
      ChatMessage m = TestRooms.history(s, "ana", Role.STUDENT, 0, 1).messages().get(0);
      assertEquals(2, m.getReactionsCount());
      assertEquals("👍", m.getReactions(0).getReaction());
      assertEquals(List.of("bo", "tina"), m.getReactions(0).getUserIdsList());
      accepted(s, react(BO, 1, "👍", false));
      accepted(s, react(TEACHER, 1, "👍", false));
      m = TestRooms.history(s, "ana", Role.STUDENT, 0, 1).messages().get(0);
      assertEquals(1, m.getReactionsCount());
      assertEquals("❤", m.getReactions(0).getReaction());
    }

    @Test
    void checkDoesNotChangeTheState() {
      RoomState s = fresh();
      accepted(s, post(ANA, "hi"));
      RoomStateRecord before = s.toRecord();
      assertNull(s.check(post(BO, "fine")));
      assertNull(s.check(mute(TEACHER, "bo", true)));
      assertEquals(before, s.toRecord());
    }
  }

  // ---- ordering and idempotency --------------------------------------------------------------

  @Test
  void applyingANonConsecutiveSeqThrowsAndChangesNothing() {
    RoomState s = fresh();
    accepted(s, post(ANA, "one"));
    RoomStateRecord before = s.toRecord();
    for (long bad : new long[] {1, 3, 0, 100}) {
      SequencedOperation sop = SequencedOperation.newBuilder().setSeq(bad).setOperation(post(ANA, "x")).build();
      assertThrows(IllegalStateException.class, () -> s.apply(sop), "seq " + bad);
    }
    assertEquals(before, s.toRecord());
    assertEquals(2, accepted(s, post(ANA, "two")).seq());
  }

  @Test
  void sameUserAndClientMsgIdIsADuplicateOfTheOriginal() {
    RoomState s = fresh();
    AppliedOperation first = accepted(s, post(ANA, "once", "", 0, false, "c-1"));
    accepted(s, post(BO, "in between"));
    assertEquals(1, s.appliedSeq("ana", "c-1"));
    RoomStateRecord before = s.toRecord();
    AppliedOperation retry = apply(s, post(ANA, "once", "", 0, false, "c-1"));
    assertFalse(retry.accepted());
    assertNull(retry.rejection());
    assertEquals(first.seq(), retry.duplicateOf());
    assertEquals(3, retry.seq());
    assertEquals(Event.BodyCase.SKIPPED, retry.event().getBodyCase());
    assertEquals(withoutSeq(before), withoutSeq(s.toRecord()), "a duplicate changes nothing");
    assertEquals(2, TestRooms.history(s, "ana", Role.STUDENT, 0, 10).messages().size());
    // Even a different body with the same id is the same send as far as the room is concerned.
    assertEquals(1, apply(s, edit(ANA, 1, "x").toBuilder().setClientMsgId("c-1").build()).duplicateOf());
  }

  @Test
  void sameClientMsgIdFromAnotherUserIsNotADuplicate() {
    RoomState s = fresh();
    accepted(s, post(ANA, "ana's", "", 0, false, "same"));
    AppliedOperation bo = accepted(s, post(BO, "bo's", "", 0, false, "same"));
    assertEquals(0, bo.duplicateOf());
    assertEquals(2, s.appliedSeq("bo", "same"));
    assertEquals(1, s.appliedSeq("ana", "same"));
    assertEquals(0, s.appliedSeq("ana", ""), "empty ids are never remembered");
  }

  @Test
  void aRejectedOperationDoesNotConsumeItsClientMsgId() {
    RoomState s = fresh();
    accepted(s, mute(TEACHER, "ana", true));
    rejected(s, post(ANA, "while muted", "", 0, false, "c-9"), ErrorCode.MUTED);
    assertEquals(0, s.appliedSeq("ana", "c-9"));
    accepted(s, mute(TEACHER, "ana", false));
    AppliedOperation ok = accepted(s, post(ANA, "while muted", "", 0, false, "c-9"));
    assertEquals(4, ok.seq());
    assertEquals(4, s.appliedSeq("ana", "c-9"));
  }

  @Test
  void emptyClientMsgIdIsNeverADuplicate() {
    RoomState s = fresh();
    accepted(s, post(ANA, "same"));
    accepted(s, post(ANA, "same"));
    assertEquals(2, TestRooms.history(s, "ana", Role.STUDENT, 0, 10).messages().size());
  }

  @Test
  void clientMsgIdsSurviveASnapshotRoundTrip() {
    RoomState s = fresh();
    accepted(s, post(ANA, "once", "", 0, false, "c-1"));
    accepted(s, post(BO, "twice", "", 0, false, "c-2"));
    RoomState copy = TestRooms.fromRecord(s.toRecord());
    assertEquals(1, copy.appliedSeq("ana", "c-1"));
    assertEquals(2, apply(copy, post(BO, "twice", "", 0, false, "c-2")).duplicateOf());
  }

  // ---- private messages and history ---------------------------------------------------------

  @Test
  void privateMessagesAreSeenOnlyByTheirAuthorAndTeachers() {
    RoomState s = fresh();
    accepted(s, post(ANA, "public 1"));
    AppliedOperation priv = accepted(s, post(ANA, "to teachers", "", 0, true, ""));
    assertEquals("ana", priv.privateTo());
    assertTrue(priv.visibleTo("ana", Role.STUDENT));
    assertTrue(priv.visibleTo("tina", Role.TEACHER));
    assertFalse(priv.visibleTo("bo", Role.STUDENT));
    assertFalse(priv.visibleTo("olga", Role.OBSERVER));
    assertEquals(Event.BodyCase.SKIPPED, priv.skippedEvent().getBodyCase());
    assertEquals(2, priv.skippedEvent().getSeq());
    accepted(s, post(BO, "public 2"));
    AppliedOperation edited = accepted(s, edit(ANA, 2, "to teachers (edited)"));
    assertEquals("ana", edited.privateTo(), "edits of private messages stay private");

    List<String> all = List.of("public 1", "to teachers (edited)", "public 2");
    List<String> others = List.of("public 1", "public 2");
    assertEquals(all, texts(TestRooms.history(s, "ana", Role.STUDENT, 0, 10).messages()));
    assertEquals(all, texts(TestRooms.history(s, "tina", Role.TEACHER, 0, 10).messages()));
    assertEquals(others, texts(TestRooms.history(s, "bo", Role.STUDENT, 0, 10).messages()));
    assertEquals(others, texts(TestRooms.history(s, "olga", Role.OBSERVER, 0, 10).messages()));
    assertEquals(all, texts(TestRooms.snapshotFor(s, "ana", Role.STUDENT, 10).getRecentMessagesList()));
    assertEquals(all, texts(TestRooms.snapshotFor(s, "tina", Role.TEACHER, 10).getRecentMessagesList()));
    assertEquals(others, texts(TestRooms.snapshotFor(s, "bo", Role.STUDENT, 10).getRecentMessagesList()));
    // Other students cannot touch it either.
    rejected(s, react(BO, 2, "👍", true), ErrorCode.MESSAGE_NOT_FOUND);
    rejected(s, delete(BO, 2), ErrorCode.MESSAGE_NOT_FOUND);
    accepted(s, react(TEACHER, 2, "👍", true));
  }

  @Test
  void snapshotCarriesModerationStateAndShowsBansOnlyToTeachers() {
    RoomState s = fresh();
    accepted(s, mute(TEACHER, "ana", true));
    accepted(s, remove(TEACHER, "bo"));
    accepted(s, lock(TEACHER, true));
    accepted(s, studentChat(TEACHER, false));
    RoomSnapshot forTeacher = TestRooms.snapshotFor(s, "tina", Role.TEACHER, 10);
    assertTrue(forTeacher.getLocked());
    assertFalse(forTeacher.getStudentChatEnabled());
    assertFalse(forTeacher.getEnded());
    assertEquals(List.of("ana"), forTeacher.getMutedUserIdsList());
    assertEquals(List.of("bo"), forTeacher.getBannedUserIdsList());
    assertEquals(settings(true), forTeacher.getSettings());
    RoomSnapshot forStudent = TestRooms.snapshotFor(s, "ana", Role.STUDENT, 10);
    assertEquals(List.of(), forStudent.getBannedUserIdsList());
    assertEquals(List.of("ana"), forStudent.getMutedUserIdsList());
  }

  @Test
  void historyPagesBackwardsWithBeforeSeqAndLimit() {
    RoomState s = fresh();
    for (int i = 1; i <= 10; i++) {
      accepted(s, post(i == 5 ? ANA : BO, "m" + i, "", 0, i == 5, ""));
    }
    accepted(s, lock(TEACHER, true)); // seq 11: not a message
    io.ponte.server.chat.ChatState.HistorySlice newest = TestRooms.history(s, "bo", Role.STUDENT, 0, 3);
    assertEquals(List.of("m8", "m9", "m10"), texts(newest.messages()));
    assertTrue(newest.more());
    io.ponte.server.chat.ChatState.HistorySlice next = TestRooms.history(s, "bo", Role.STUDENT, 8, 3);
    assertEquals(List.of("m4", "m6", "m7"), texts(next.messages()), "the private m5 is skipped");
    assertTrue(next.more());
    io.ponte.server.chat.ChatState.HistorySlice last = TestRooms.history(s, "bo", Role.STUDENT, 4, 3);
    assertEquals(List.of("m1", "m2", "m3"), texts(last.messages()));
    assertFalse(last.more(), "nothing older than m1");
    assertEquals(List.of("m4", "m5", "m6"), texts(TestRooms.history(s, "tina", Role.TEACHER, 7, 3).messages()));
    assertEquals(List.of(), TestRooms.history(s, "bo", Role.STUDENT, 1, 3).messages());
    assertFalse(TestRooms.history(s, "bo", Role.STUDENT, 1, 3).more());
    io.ponte.server.chat.ChatState.HistorySlice exact = TestRooms.history(s, "bo", Role.STUDENT, 0, 9);
    assertEquals(9, exact.messages().size());
    assertFalse(exact.more(), "exactly the visible messages: no more");
    RoomSnapshot snap = TestRooms.snapshotFor(s, "bo", Role.STUDENT, 2);
    assertEquals(List.of("m9", "m10"), texts(snap.getRecentMessagesList()));
    assertTrue(snap.getMoreHistory());
  }

  // ---- determinism and snapshots -------------------------------------------------------------

  public static final List<Actor> CAST = List.of(TEACHER, TEACHER2, ANA, BO, actor("cy", Role.STUDENT), OBS,
      Actor.newBuilder().setUserId("nobody").build());

  /** A random mix of every kind of operation, valid and invalid. */
  public static List<Operation> randomOperations(long seed, int count) {
    Random r = new Random(seed);
    List<Operation> ops = new ArrayList<>();
    String[] texts = {"hello", "ça va?", "", "  ", "😀 emoji", "bell\u0007", "x".repeat(4001), "cafe\u0301"};
    String[] langs = {"", "en", "pt-br", "bad tag!"};
    String[] reactions = {"👍", "❤", "", "x".repeat(40)};
    for (int i = 0; i < count; i++) {
      Actor a = CAST.get(r.nextInt(CAST.size()));
      String target = CAST.get(r.nextInt(CAST.size())).getUserId();
      long msg = 1 + r.nextInt(i + 2);
      String cid = r.nextInt(3) == 0 ? "c" + r.nextInt(20) : "";
      Operation o = switch (r.nextInt(14)) {
        case 0, 1, 2, 3 -> post(a, texts[r.nextInt(texts.length)], langs[r.nextInt(langs.length)],
            r.nextInt(4) == 0 ? msg : 0, r.nextInt(4) == 0, cid);
        case 4 -> edit(a, msg, texts[r.nextInt(texts.length)]);
        case 5 -> delete(a, msg);
        case 6, 7 -> react(a, msg, reactions[r.nextInt(reactions.length)], r.nextBoolean());
        case 8 -> mute(a, target, r.nextBoolean());
        case 9 -> r.nextInt(3) == 0 ? remove(a, target) : liftBan(a, target);
        case 10 -> lock(a, r.nextBoolean());
        case 11 -> studentChat(a, r.nextInt(3) != 0);
        case 12 -> r.nextInt(40) == 0 ? endSession(a) : post(a, "late", "", 0, false, cid);
        default -> r.nextInt(150) == 0 ? closeRoom() : react(a, msg, "👍", true);
      };
      if (!cid.isEmpty() && o.getClientMsgId().isEmpty()) {
        o = o.toBuilder().setClientMsgId(cid).build();
      }
      ops.add(o);
    }
    return ops;
  }

  public static List<AppliedOperation> run(RoomState s, List<Operation> ops) {
    List<AppliedOperation> out = new ArrayList<>();
    for (Operation o : ops) {
      out.add(apply(s, o));
    }
    return out;
  }

  @Test
  void theSameOperationsGiveTheSameStateAndEvents() {
    for (long seed = 1; seed <= 20; seed++) {
      List<Operation> ops = randomOperations(seed, 400);
      RoomState a = fresh();
      RoomState b = fresh();
      List<AppliedOperation> ea = run(a, ops);
      List<AppliedOperation> eb = run(b, ops);
      assertEquals(ea, eb, "seed " + seed);
      assertEquals(a.toRecord(), b.toRecord(), "seed " + seed);
      assertEquals(400, a.seq());
      // The mix really exercises both outcomes (otherwise the comparison proves little).
      long ok = ea.stream().filter(AppliedOperation::accepted).count();
      assertTrue(ok > 0, "seed " + seed + ": something was accepted");
      assertTrue(ok < ea.size(), "seed " + seed + ": something was rejected");
      for (int i = 0; i < ea.size(); i++) {
        assertEquals(i + 1, ea.get(i).event().getSeq());
      }
    }
  }

  @Test
  void randomMixCoversEveryOutcome() {
    List<AppliedOperation> all = new ArrayList<>();
    for (long seed = 1; seed <= 20; seed++) {
      all.addAll(run(fresh(), randomOperations(seed, 400)));
    }
    var codes = all.stream().filter(x -> x.rejection() != null).map(x -> x.rejection().getCode())
        .collect(Collectors.toSet());
    for (ErrorCode c : List.of(ErrorCode.READ_ONLY, ErrorCode.MUTED, ErrorCode.BANNED,
        ErrorCode.CHAT_DISABLED, ErrorCode.PERMISSION_DENIED, ErrorCode.MESSAGE_NOT_FOUND,
        ErrorCode.TEXT_EMPTY, ErrorCode.TEXT_INVALID, ErrorCode.TEXT_TOO_LONG,
        ErrorCode.LANGUAGE_INVALID, ErrorCode.REACTION_INVALID, ErrorCode.ROOM_ENDED,
        ErrorCode.INVALID_REQUEST)) {
      assertTrue(codes.contains(c), "the random mix never produced " + c + ": " + codes);
    }
    var bodies = all.stream().filter(AppliedOperation::accepted).map(x -> x.event().getBodyCase())
        .collect(Collectors.toSet());
    for (Event.BodyCase b : List.of(Event.BodyCase.CHAT_POSTED, Event.BodyCase.CHAT_EDITED,
        Event.BodyCase.CHAT_DELETED, Event.BodyCase.REACTION_CHANGED, Event.BodyCase.PARTICIPANT_MUTED,
        Event.BodyCase.PARTICIPANT_REMOVED, Event.BodyCase.BAN_LIFTED, Event.BodyCase.ROOM_LOCKED,
        Event.BodyCase.STUDENT_CHAT_CHANGED)) {
      assertTrue(bodies.contains(b), "the random mix never produced " + b);
    }
    assertTrue(all.stream().anyMatch(x -> x.duplicateOf() != 0), "no duplicate in the mix");
  }

  @Test
  void restoringFromARecordMidwayContinuesExactlyLikeTheUninterruptedRun() throws Exception {
    for (long seed = 1; seed <= 20; seed++) {
      List<Operation> ops = randomOperations(seed, 300);
      RoomState whole = fresh();
      List<AppliedOperation> expected = run(whole, ops);

      for (int cut : new int[] {0, 1, 57, 150, 299, 300}) {
        RoomState first = fresh();
        List<AppliedOperation> events = new ArrayList<>(run(first, ops.subList(0, cut)));
        RoomStateRecord record = first.toRecord();
        assertEquals(cut, record.getSeq());
        RoomState restored = TestRooms.fromRecord(RoomStateRecord.parseFrom(record.toByteArray()));
        assertEquals(record, restored.toRecord(), "round trip at " + cut);
        events.addAll(run(restored, ops.subList(cut, ops.size())));
        assertEquals(expected, events, "seed " + seed + " cut " + cut);
        assertEquals(whole.toRecord(), restored.toRecord(), "seed " + seed + " cut " + cut);
      }
    }
  }

  @Test
  void differentOperationsGiveDifferentRecords() {
    RoomState a = fresh();
    RoomState b = fresh();
    run(a, randomOperations(1, 100));
    run(b, randomOperations(2, 100));
    assertNotEquals(a.toRecord(), b.toRecord(), "the comparison must be able to fail");
  }

  public static List<String> texts(List<ChatMessage> messages) {
    return messages.stream().map(ChatMessage::getText).collect(Collectors.toList());
  }
}
