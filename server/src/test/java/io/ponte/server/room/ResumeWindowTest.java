package io.ponte.server.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResumeWindowTest {

  private static AppliedOperation post(long seq, String text, String privateTo) {
    SequencedOperation sop = SequencedOperation.newBuilder()
        .setSeq(seq)
        .setOperation(Operation.newBuilder().setServerTimeMs(1000 + seq))
        .build();
    Event event = Event.newBuilder()
        .setRoomId("r1")
        .setSeq(seq)
        .setServerTimeMs(1000 + seq)
        .setChatPosted(ChatMessage.newBuilder().setSeq(seq).setText(text)
            .setToTeachers(!privateTo.isEmpty()))
        .build();
    return AppliedOperation.accepted(sop, event, privateTo, RoomState.Effect.NONE, "");
  }

  @Test
  void replaysTheEventsAfterASeqExactlyAsApplied() {
    ResumeWindow window = new ResumeWindow(10);
    AppliedOperation a = post(1, "hola 👋", "");
    AppliedOperation b = post(2, "ciao", "");
    AppliedOperation c = post(3, "olá", "");
    window.add(a);
    window.add(b);
    window.add(c);

    assertEquals(List.of(b.event(), c.event()), window.after(1, "r1", "u9", Role.STUDENT));
    assertEquals(List.of(a.event(), b.event(), c.event()),
        window.after(0, "r1", "u9", Role.STUDENT));
    assertEquals(List.of(), window.after(3, "r1", "u9", Role.STUDENT));
    assertEquals(1, window.oldestSeq(4));
  }

  @Test
  void keepsOnlyTheNewestEventsUpToItsCapacity() {
    ResumeWindow window = new ResumeWindow(3);
    for (long seq = 1; seq <= 7; seq++) {
      window.add(post(seq, "m" + seq, ""));
    }
    assertEquals(3, window.size());
    assertEquals(5, window.oldestSeq(8));
    List<Event> all = window.after(0, "r1", "u1", Role.STUDENT);
    assertEquals(List.of(5L, 6L, 7L), all.stream().map(Event::getSeq).toList());

    window.clear();
    assertEquals(0, window.size());
    assertEquals(8, window.oldestSeq(8));
  }

  @Test
  void privateEventsReachTheirAuthorAndTeachersOthersGetTheSkippedSeq() {
    ResumeWindow window = new ResumeWindow(10);
    AppliedOperation secret = post(1, "question for the teacher", "ana");
    window.add(secret);

    assertEquals(List.of(secret.event()), window.after(0, "r1", "ana", Role.STUDENT));
    assertEquals(List.of(secret.event()), window.after(0, "r1", "teacher", Role.TEACHER));
    List<Event> forOthers = window.after(0, "r1", "ben", Role.STUDENT);
    assertEquals(List.of(secret.skippedEvent()), forOthers);
    assertTrue(forOthers.get(0).hasSkipped());
  }

  @Test
  void aZeroWindowHoldsNothingAndANegativeOneIsRefused() {
    ResumeWindow window = new ResumeWindow(0);
    window.add(post(1, "x", ""));
    assertEquals(0, window.size());
    assertEquals(2, window.oldestSeq(2));
    assertThrows(IllegalArgumentException.class, () -> new ResumeWindow(-1));
  }

  @Test
  void aTeachersOnlyEventReachesTeachersAndNobodyElseWhateverTheirId() {
    ResumeWindow window = new ResumeWindow(10);
    AppliedOperation counts = post(1, "counts", FeatureState.Outcome.TEACHERS);
    window.add(counts);
    assertEquals(List.of(counts.event()), window.after(0, "r1", "tina", Role.TEACHER));
    // Even a user whose id were the marker itself gets the seq as skipped.
    for (String viewer : List.of("ana", FeatureState.Outcome.TEACHERS)) {
      Event seen = window.after(0, "r1", viewer, Role.STUDENT).get(0);
      assertTrue(seen.hasSkipped(), seen.toString());
      assertTrue(!counts.visibleTo(viewer, Role.STUDENT));
    }
    assertTrue(counts.visibleTo("tina", Role.TEACHER));
  }
}
