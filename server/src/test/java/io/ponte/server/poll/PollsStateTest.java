package io.ponte.server.poll;

import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.OBS;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.actor;
import static io.ponte.server.room.RoomStateTest.apply;
import static io.ponte.server.room.RoomStateTest.endSession;
import static io.ponte.server.room.RoomStateTest.rejected;
import static io.ponte.server.room.RoomStateTest.remove;
import static io.ponte.server.room.RoomStateTest.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Poll;
import io.ponte.protocol.v1.PollAnswer;
import io.ponte.protocol.v1.PollClose;
import io.ponte.protocol.v1.PollCountsChanged;
import io.ponte.protocol.v1.PollCreate;
import io.ponte.protocol.v1.PollDelete;
import io.ponte.protocol.v1.PollOpen;
import io.ponte.protocol.v1.PollOperation;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.PollResults;
import io.ponte.protocol.v1.PollShare;
import io.ponte.protocol.v1.PollStatus;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Polls: their life, who may do what, answers and counts, what each viewer sees, anonymity, limits. */
@Timeout(30)
class PollsStateTest {
  private static final Actor CARL = actor("carl", Role.STUDENT);

  private final List<AppliedOperation> applied = new ArrayList<>();

  private static RoomState fresh(PollLimits limits) {
    return RoomState.create(ROOM, settings(true),
        new RoomFeatures(List.of(new Moderation(), new Polls(limits))));
  }

  private static RoomState fresh() {
    return fresh(PollLimits.DEFAULT);
  }

  static Operation poll(Actor a, String pollId, PollRequest.Builder r) {
    return Operation.newBuilder().setActor(a).setOriginNode("n1")
        .setPoll(PollOperation.newBuilder().setRequest(r.setRoomId(ROOM).setPollId(pollId))).build();
  }

  static PollCreate.Builder question(String q, String... options) {
    return PollCreate.newBuilder().setQuestion(q).addAllOptions(List.of(options));
  }

  static Operation create(Actor a, String pollId, PollCreate.Builder c) {
    Operation op = poll(a, pollId, PollRequest.newBuilder().setCreate(c));
    if (c.getAnonymous()) {
      op = op.toBuilder().setPoll(op.getPoll().toBuilder()
          .setVoterSalt(ByteString.copyFrom(VoterKeys.newSalt()))).build();
    }
    return op;
  }

  static Operation open(String pollId) {
    return poll(TEACHER, pollId, PollRequest.newBuilder().setOpen(PollOpen.getDefaultInstance()));
  }

  static Operation close(String pollId) {
    return poll(TEACHER, pollId, PollRequest.newBuilder().setClose(PollClose.getDefaultInstance()));
  }

  static Operation share(String pollId) {
    return poll(TEACHER, pollId, PollRequest.newBuilder().setShare(PollShare.getDefaultInstance()));
  }

  static Operation delete(String pollId) {
    return poll(TEACHER, pollId, PollRequest.newBuilder().setDelete(PollDelete.getDefaultInstance()));
  }

  /** An answer as PollRequests submits it: named, or (anonymous poll) under the voter key. */
  static Operation answer(RoomState s, Actor a, String pollId, String clientMsgId, Integer... choices) {
    PollOperation.Builder op = PollOperation.newBuilder().setRequest(PollRequest.newBuilder()
        .setRoomId(ROOM).setPollId(pollId).setClientMsgId(clientMsgId)
        .setAnswer(PollAnswer.newBuilder().addAllChoices(List.of(choices))));
    PollsState.Voter voter = s.feature(PollsState.class).voter(pollId, a.getUserId(), clientMsgId);
    if (voter == null || !voter.anonymous()) {
      return Operation.newBuilder().setActor(a).setClientMsgId(clientMsgId).setPoll(op).build();
    }
    return Operation.newBuilder().setClientMsgId(voter.messageId())
        .setActor(Actor.newBuilder().setUserId(VoterKeys.ACTOR_PREFIX + voter.key()).setRole(a.getRole()))
        .setPoll(op.setVoterKey(voter.key()).setRequest(op.getRequest().toBuilder().clearClientMsgId()))
        .build();
  }

  private AppliedOperation ok(RoomState s, Operation op) {
    AppliedOperation a = accepted(s, op);
    applied.add(a);
    return a;
  }

  private static Poll seen(RoomState s, String viewer, Role role, String pollId) {
    return s.snapshotFor(viewer, role).getPollsList().stream().filter(p -> p.getPollId().equals(pollId))
        .findFirst().orElse(null);
  }

  private static List<Integer> counts(RoomState s, String pollId) {
    return seen(s, "tina", Role.TEACHER, pollId).getCounts().getPerOptionList();
  }

  // ---- the life of a poll ---------------------------------------------------------------------

  @Test
  void theFeatureOwnsPollOperationsOnly() {
    Polls p = new Polls();
    assertEquals("polls", p.name());
    assertEquals(Set.of(Operation.BodyCase.POLL), p.operations());
  }

  @Test
  void aDraftIsForTeachersOpenedForEveryoneResultsOnceShared() {
    RoomState s = fresh();
    AppliedOperation created = ok(s, create(TEACHER, "q1",
        question("2 + 2?", "3", "4", "5").addCorrectOptions(1)));
    assertEquals(FeatureState.Outcome.TEACHERS, created.privateTo(), "a draft is for teachers");
    Poll draft = created.event().getPollChanged().getCreated();
    assertEquals(PollStatus.POLL_STATUS_DRAFT, draft.getStatus());
    assertEquals(List.of(1), draft.getCorrectOptionsList());
    assertTrue(draft.getQuiz());
    assertEquals("tina", draft.getCreatedBy());
    assertEquals(created.seq(), draft.getCreatedSeq());
    assertNull(seen(s, "ana", Role.STUDENT, "q1"), "students do not see drafts");
    assertEquals(draft, seen(s, "tina", Role.TEACHER, "q1"));

    rejected(s, answer(s, ANA, "q1", "", 1), ErrorCode.POLL_NOT_OPEN);
    rejected(s, close("q1"), ErrorCode.POLL_NOT_OPEN);
    rejected(s, share("q1"), ErrorCode.POLL_NOT_CLOSED);

    AppliedOperation opened = ok(s, open("q1"));
    assertEquals("", opened.privateTo());
    Poll public1 = opened.event().getPollChanged().getOpened();
    assertEquals(PollStatus.POLL_STATUS_OPEN, public1.getStatus());
    assertEquals(List.of("3", "4", "5"), public1.getOptionsList());
    assertTrue(public1.getQuiz());
    assertEquals(List.of(), public1.getCorrectOptionsList(), "the right answer is not given away");
    assertFalse(public1.hasCounts());
    rejected(s, open("q1"), ErrorCode.POLL_ALREADY_OPEN);
    rejected(s, share("q1"), ErrorCode.POLL_NOT_CLOSED);

    ok(s, answer(s, ANA, "q1", "", 1));
    ok(s, answer(s, BO, "q1", "", 2));
    Poll forAna = seen(s, "ana", Role.STUDENT, "q1");
    assertEquals(List.of(1), forAna.getMyChoicesList());
    assertFalse(forAna.hasCounts(), "no counts for students before sharing");
    assertEquals(List.of(), forAna.getCorrectOptionsList());
    assertEquals(List.of(), seen(s, "olga", Role.OBSERVER, "q1").getMyChoicesList());

    assertEquals("", ok(s, close("q1")).privateTo());
    rejected(s, answer(s, ANA, "q1", "", 2), ErrorCode.POLL_CLOSED);
    rejected(s, open("q1"), ErrorCode.POLL_CLOSED);
    rejected(s, close("q1"), ErrorCode.POLL_CLOSED);
    assertEquals(List.of(1), seen(s, "ana", Role.STUDENT, "q1").getMyChoicesList(), "a named poll keeps it");

    AppliedOperation shared = ok(s, share("q1"));
    assertEquals("", shared.privateTo());
    PollResults results = shared.event().getPollResults();
    assertEquals(List.of(0, 1, 1), results.getCounts().getPerOptionList());
    assertEquals(2, results.getCounts().getVoters());
    assertEquals(List.of(1), results.getCorrectOptionsList());
    rejected(s, share("q1"), ErrorCode.POLL_ALREADY_SHARED);
    Poll after = seen(s, "bo", Role.STUDENT, "q1");
    assertEquals(List.of(0, 1, 1), after.getCounts().getPerOptionList());
    assertEquals(List.of(1), after.getCorrectOptionsList());
    assertEquals(List.of(), after.getBallotsList(), "students never see who answered what");

    AppliedOperation deleted = ok(s, delete("q1"));
    assertEquals("", deleted.privateTo());
    assertTrue(deleted.event().getPollChanged().hasDeleted());
    rejected(s, answer(s, ANA, "q1", "", 1), ErrorCode.POLL_NOT_FOUND);
    rejected(s, open("q1"), ErrorCode.POLL_NOT_FOUND);
    assertEquals(List.of(), s.toRecord().getPollsList(), "a deleted poll's answers are gone");
  }

  @Test
  void deletingADraftIsForTeachersOnly() {
    RoomState s = fresh();
    ok(s, create(TEACHER, "d", question("?", "a", "b")));
    assertEquals(FeatureState.Outcome.TEACHERS, ok(s, delete("d")).privateTo());
  }

  // ---- answers --------------------------------------------------------------------------------

  @Test
  void studentsAnswerOnceAndChangeTheirAnswerTeachersSeeWhoAndLiveCounts() {
    RoomState s = fresh();
    ok(s, create(TEACHER, "q", question("Best fruit?", "apple", "pear", "plum").setMultipleChoice(true)));
    ok(s, open("q"));
    AppliedOperation first = ok(s, answer(s, ANA, "q", "a1", 2, 0));
    assertEquals(FeatureState.Outcome.TEACHERS, first.privateTo(), "live counts are for teachers");
    PollCountsChanged c = first.event().getPollCounts();
    assertEquals(List.of(1, 0, 1), c.getCounts().getPerOptionList());
    assertEquals(1, c.getCounts().getVoters());
    assertEquals("ana", c.getBallot().getUserId());
    assertEquals("User ana", c.getBallot().getDisplayName());
    assertEquals(List.of(0, 2), c.getBallot().getChoicesList(), "choices are kept sorted");
    assertEquals("ana", first.event().getActor().getUserId());

    ok(s, answer(s, BO, "q", "b1", 1));
    ok(s, answer(s, ANA, "q", "a2", 1));
    assertEquals(List.of(0, 2, 0), counts(s, "q"));
    Poll teacherView = seen(s, "tina", Role.TEACHER, "q");
    assertEquals(2, teacherView.getCounts().getVoters());
    assertEquals(List.of("bo", "ana"), teacherView.getBallotsList().stream().map(b -> b.getUserId()).toList(),
        "ballots in the order of their last answer");

    assertTrue(s.changesNothing(answer(s, ANA, "q", "a3", 1)), "the same answer again is no change");
    assertFalse(s.changesNothing(answer(s, ANA, "q", "a3", 0)));
    AppliedOperation retry = apply(s, answer(s, ANA, "q", "a2", 1));
    assertNotEquals(0, retry.duplicateOf(), "a retried answer is applied once");

    RoomStateRecord record = s.toRecord();
    RoomState reloaded = RoomState.fromRecord(record, new RoomFeatures(List.of(new Moderation(), new Polls())));
    assertEquals(record.getPollsList(), reloaded.toRecord().getPollsList());
    assertEquals(teacherView, seen(reloaded, "tina", Role.TEACHER, "q"));
  }

  @Test
  void badAnswersGetTheirCodes() {
    RoomState s = fresh();
    ok(s, create(TEACHER, "single", question("One?", "a", "b", "c")));
    ok(s, open("single"));
    rejected(s, answer(s, ANA, "single", "", 3), ErrorCode.POLL_CHOICE_INVALID);
    rejected(s, answer(s, ANA, "single", "", -1), ErrorCode.POLL_CHOICE_INVALID);
    rejected(s, answer(s, ANA, "single", ""), ErrorCode.POLL_CHOICE_INVALID);
    rejected(s, answer(s, ANA, "single", "", 1, 1), ErrorCode.POLL_CHOICE_INVALID);
    rejected(s, answer(s, ANA, "single", "", 0, 1), ErrorCode.POLL_SINGLE_CHOICE);
    rejected(s, answer(s, TEACHER, "single", "", 0), ErrorCode.PERMISSION_DENIED);
    rejected(s, answer(s, OBS, "single", "", 0), ErrorCode.READ_ONLY);
    rejected(s, answer(s, ANA, "nope", "", 0), ErrorCode.POLL_NOT_FOUND);
    rejected(s, answer(s, ANA, "bad id!", "", 0), ErrorCode.INVALID_REQUEST);
    ok(s, remove(TEACHER, "bo"));
    rejected(s, answer(s, BO, "single", "", 0), ErrorCode.BANNED);
    ok(s, answer(s, ANA, "single", "", 0));
    ok(s, endSession(TEACHER));
    rejected(s, answer(s, CARL, "single", "", 0), ErrorCode.ROOM_ENDED);
    rejected(s, close("single"), ErrorCode.ROOM_ENDED);
  }

  @Test
  void onlyTeachersManagePolls() {
    RoomState s = fresh();
    rejected(s, create(ANA, "q", question("?", "a", "b")), ErrorCode.PERMISSION_DENIED);
    rejected(s, create(OBS, "q", question("?", "a", "b")), ErrorCode.PERMISSION_DENIED);
    ok(s, create(TEACHER, "q", question("?", "a", "b")));
    for (Operation op : List.of(open("q"), close("q"), share("q"), delete("q"))) {
      Operation asStudent = op.toBuilder().setActor(ANA).build();
      rejected(s, asStudent, ErrorCode.PERMISSION_DENIED);
    }
    rejected(s, poll(TEACHER, "q", PollRequest.newBuilder()), ErrorCode.INVALID_REQUEST);
  }

  // ---- limits and shape -----------------------------------------------------------------------

  @Test
  void pollsOutOfShapeOrBeyondTheLimitsAreRefused() {
    RoomState s = fresh(new PollLimits(2, 4, 20, 5));
    rejected(s, create(TEACHER, "q", question("Only one?", "a")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("Five?", "a", "b", "c", "d", "e")), ErrorCode.POLL_TOO_MANY_OPTIONS);
    rejected(s, create(TEACHER, "q", question("x".repeat(21), "a", "b")), ErrorCode.POLL_TEXT_TOO_LONG);
    rejected(s, create(TEACHER, "q", question("?", "a", "abcdef")), ErrorCode.POLL_TEXT_TOO_LONG);
    rejected(s, create(TEACHER, "q", question(" ", "a", "b")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?", "a", "")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?", "a", "a")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?", "a", "b\u0007")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?", "a", "b\nc")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?\u0000", "a", "b")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?", "a", "b\ud800")), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?", "a", "b").addCorrectOptions(2)), ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "q", question("?", "a", "b").addCorrectOptions(0).addCorrectOptions(0)),
        ErrorCode.POLL_INVALID);
    rejected(s, create(TEACHER, "bad/id", question("?", "a", "b")), ErrorCode.INVALID_REQUEST);
    // 😀 is one code point (two chars): 20 of them fit a 20-character question
    ok(s, create(TEACHER, "q", question("😀".repeat(19) + "\n", "a", "b").addCorrectOptions(0).addCorrectOptions(1)));
    rejected(s, create(TEACHER, "q", question("?", "a", "b")), ErrorCode.POLL_EXISTS);
    ok(s, create(TEACHER, "q2", question("?", "a", "b", "c", "d")));
    rejected(s, create(TEACHER, "q3", question("?", "a", "b")), ErrorCode.TOO_MANY_POLLS);
    ok(s, delete("q"));
    ok(s, create(TEACHER, "q3", question("?", "a", "b")));
  }

  @Test
  void anAnonymousPollNeedsItsSaltAndANamedOneNone() {
    RoomState s = fresh();
    Operation noSalt = poll(TEACHER, "a", PollRequest.newBuilder().setCreate(question("?", "x", "y").setAnonymous(true)));
    rejected(s, noSalt, ErrorCode.INVALID_REQUEST);
    Operation salted = create(TEACHER, "n", question("?", "x", "y").setAnonymous(true));
    Operation namedWithSalt = salted.toBuilder().setPoll(salted.getPoll().toBuilder()
        .setRequest(salted.getPoll().getRequest().toBuilder().setCreate(question("?", "x", "y")))).build();
    rejected(s, namedWithSalt, ErrorCode.INVALID_REQUEST);
  }

  // ---- anonymity ------------------------------------------------------------------------------

  @Test
  void anAnonymousPollCountsAnswersUnderVoterKeysAndNeverRecordsWhoAnswered() {
    RoomState s = fresh();
    List<Event> events = new ArrayList<>();
    events.add(ok(s, create(TEACHER, "anon", question("How do you feel?", "good", "meh", "bad").setAnonymous(true)))
        .event());
    events.add(ok(s, open("anon")).event());
    List<Operation> answers = List.of(answer(s, ANA, "anon", "ana-1", 0), answer(s, BO, "anon", "bo-1", 2),
        answer(s, ANA, "anon", "ana-2", 1));
    for (Operation a : answers) {
      AppliedOperation applied = ok(s, a);
      assertEquals(FeatureState.Outcome.TEACHERS, applied.privateTo());
      assertFalse(applied.event().hasActor(), "no actor, not even the pseudonym");
      assertFalse(applied.event().getPollCounts().hasBallot());
      events.add(applied.event());
    }
    assertEquals(List.of(0, 1, 1), counts(s, "anon"));
    assertEquals(2, seen(s, "tina", Role.TEACHER, "anon").getCounts().getVoters());
    assertEquals(List.of(), seen(s, "tina", Role.TEACHER, "anon").getBallotsList());
    assertEquals(List.of(1), seen(s, "ana", Role.STUDENT, "anon").getMyChoicesList(), "ana sees her own answer");
    assertEquals(List.of(2), seen(s, "bo", Role.STUDENT, "anon").getMyChoicesList());

    // A retry of ana's answer (same client id) is a duplicate; her key is the same, bo's another.
    assertNotEquals(0, apply(s, answer(s, ANA, "anon", "ana-2", 1)).duplicateOf());
    String anaKey = answers.get(0).getPoll().getVoterKey();
    assertEquals(anaKey, answers.get(2).getPoll().getVoterKey());
    assertNotEquals(anaKey, answers.get(1).getPoll().getVoterKey());

    // An answer naming its user cannot be counted in an anonymous poll.
    Operation named = Operation.newBuilder().setActor(CARL).setPoll(answers.get(0).getPoll().toBuilder()
        .clearVoterKey()).build();
    rejected(s, named, ErrorCode.INVALID_REQUEST);

    List<String> everything = new ArrayList<>();
    answers.forEach(o -> everything.add(o.toString()));
    events.forEach(e -> everything.add(e.toString()));
    everything.add(s.toRecord().toString());
    for (Role r : Role.values()) {
      if (r != Role.UNRECOGNIZED) {
        everything.add(s.snapshotFor("tina", r).toString());
      }
    }
    for (String text : everything) {
      for (String who : List.of("ana", "User ana", "bo", "User bo")) {
        assertFalse(text.contains("\"" + who + "\""), "found " + who + " in " + text);
      }
      assertFalse(text.contains("ana-1") || text.contains("bo-1"), "a client message id in " + text);
    }

    ok(s, close("anon"));
    RoomStateRecord closed = s.toRecord();
    assertEquals(0, closed.getPolls(0).getAnonymousBallotsCount(), "a closed anonymous poll forgets its voters");
    assertTrue(closed.getPolls(0).getVoterSalt().isEmpty(), "and its salt");
    assertEquals(List.of(0, 1, 1), closed.getPolls(0).getPoll().getCounts().getPerOptionList());
    assertNull(s.feature(PollsState.class).voter("anon", "ana", "x"), "no answer can be made for it");
    assertEquals(List.of(), seen(s, "ana", Role.STUDENT, "anon").getMyChoicesList());
    ok(s, share("anon"));
    RoomState reloaded = RoomState.fromRecord(s.toRecord(), new RoomFeatures(List.of(new Moderation(), new Polls())));
    assertEquals(List.of(0, 1, 1), seen(reloaded, "bo", Role.STUDENT, "anon").getCounts().getPerOptionList());
  }

  @Test
  void voterKeysAreStablePerPollAndUserAndUnrelatedAcrossPolls() {
    byte[] salt = VoterKeys.newSalt();
    String k = VoterKeys.key(salt, "p1", "ana");
    assertEquals(k, VoterKeys.key(salt, "p1", "ana"));
    assertEquals(22, k.length());
    assertNotEquals(k, VoterKeys.key(salt, "p1", "bo"));
    assertNotEquals(k, VoterKeys.key(salt, "p2", "ana"));
    assertNotEquals(k, VoterKeys.key(VoterKeys.newSalt(), "p1", "ana"));
    assertEquals("", VoterKeys.messageId(salt, k, ""));
    assertEquals(VoterKeys.messageId(salt, k, "ana-1"), VoterKeys.messageId(salt, k, "ana-1"));
    assertFalse(VoterKeys.messageId(salt, k, "ana-1").contains("ana"));
    assertEquals(IntStream.range(0, 50).mapToObj(i -> VoterKeys.key(salt, "p", "u" + i)).distinct().count(), 50);
  }
}
