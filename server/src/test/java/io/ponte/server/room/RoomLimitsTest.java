package io.ponte.server.room;

import static io.ponte.server.doc.DocumentStateTest.create;
import static io.ponte.server.doc.DocumentStateTest.settings;
import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.actor;
import static io.ponte.server.room.RoomStateTest.post;
import static io.ponte.server.room.RoomStateTest.react;
import static io.ponte.server.room.RoomStateTest.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Role;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.testsupport.TestRooms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-room limits checked at apply time: documents per room, reactions per message. */
@Timeout(30)
class RoomLimitsTest {

  @Test
  void documentsPastTheCapAreRefusedAndAnExistingIdStillReadsAsExisting() {
    RoomState s = TestRooms.create(ROOM, settings(true), new DocumentSet.Limits(4096, 16_384, 3));
    accepted(s, create(TEACHER, "a", false));
    accepted(s, create(ANA, "b", false));
    accepted(s, create(BO, "c", false));
    rejected(s, create(ANA, "d", false), ErrorCode.TOO_MANY_DOCUMENTS);
    rejected(s, create(TEACHER, "e", false), ErrorCode.TOO_MANY_DOCUMENTS);
    // Opening an existing document at the cap is DOC_EXISTS (a lost create race), not a refusal.
    rejected(s, create(TEACHER, "a", false), ErrorCode.DOC_EXISTS);
    assertEquals(3, s.feature(DocumentSet.class).infos().size());
    // The same verdict after a snapshot round trip.
    RoomState copy = TestRooms.fromRecord(s.toRecord(), new DocumentSet.Limits(4096, 16_384, 3));
    rejected(copy, create(TEACHER, "f", false), ErrorCode.TOO_MANY_DOCUMENTS);
  }

  @Test
  void reactionsPastTheCapAreRefusedButRemovalsAndRepeatsPass() {
    RoomState s = TestRooms.create(ROOM, settings(true), DocumentSet.Limits.DEFAULT, 4);
    long seq = accepted(s, post(TEACHER, "hello")).seq();
    accepted(s, react(actor("u1", Role.STUDENT), seq, "👍", true));
    accepted(s, react(actor("u2", Role.STUDENT), seq, "👍", true));
    accepted(s, react(actor("u1", Role.STUDENT), seq, "🎉", true));
    accepted(s, react(actor("u3", Role.STUDENT), seq, "🎉", true));
    rejected(s, react(actor("u4", Role.STUDENT), seq, "👍", true), ErrorCode.TOO_MANY_REACTIONS);
    rejected(s, react(actor("u4", Role.STUDENT), seq, "❤️", true), ErrorCode.TOO_MANY_REACTIONS);
    // Adding a pair the message already has adds nothing: not past the cap.
    accepted(s, react(actor("u1", Role.STUDENT), seq, "👍", true));
    accepted(s, react(actor("u2", Role.STUDENT), seq, "👍", false));
    accepted(s, react(actor("u4", Role.STUDENT), seq, "❤️", true));
    rejected(s, react(actor("u5", Role.STUDENT), seq, "❤️", true), ErrorCode.TOO_MANY_REACTIONS);
  }
}
