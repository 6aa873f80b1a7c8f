package io.ponte.server.doc;

import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.OBS;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.accepted;
import static io.ponte.server.room.RoomStateTest.op;
import static io.ponte.server.room.RoomStateTest.rejected;
import static io.ponte.server.room.RoomStateTest.remove;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocSetReadOnly;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.DocumentRecord;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.RoomState;
import io.ponte.server.room.RoomStateTest;
import io.ponte.server.testsupport.TestRooms;
import io.ponte.yjs.YUpdates;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
public class DocumentStateTest {
  public static RoomSettings settings(boolean studentDocuments) {
    return RoomSettings.newBuilder()
        .setTitle("Room")
        .setMaxParticipants(30)
        .setStudentPermissions(Permissions.newBuilder().setChat(true).setDocuments(studentDocuments))
        .build();
  }

  public static RoomState fresh(boolean studentDocuments) {
    return TestRooms.create(ROOM, settings(studentDocuments), new DocumentSet.Limits(4096, 16_384));
  }

  public static Operation create(Actor a, String docId, boolean readOnly) {
    return op(a, "").setDocCreate(DocCreate.newBuilder().setRoomId(ROOM).setDocId(docId)
        .setTitle("Report " + docId).setStudentsReadOnly(readOnly)).build();
  }

  public static Operation readOnly(Actor a, String docId, boolean readOnly) {
    return op(a, "").setDocSetReadOnly(DocSetReadOnly.newBuilder().setRoomId(ROOM).setDocId(docId)
        .setStudentsReadOnly(readOnly)).build();
  }

  public static Operation update(Actor a, String docId, byte[] update) {
    return op(a, "").setDocUpdate(DocUpdate.newBuilder().setRoomId(ROOM).setDocId(docId)
        .setUpdate(ByteString.copyFrom(update))).build();
  }

  @Test
  void teacherCreatesDocumentsAndStudentsNeedTheDocumentsPermission() {
    RoomState s = fresh(false);
    AppliedOperation a = accepted(s, create(TEACHER, "report", false));
    assertEquals(Event.BodyCase.DOC_CREATED, a.event().getBodyCase());
    assertEquals("report", a.event().getDocCreated().getDocument().getDocId());
    assertEquals("", a.privateTo(), "everyone sees a new document");
    accepted(s, create(TEACHER, "notes", true));
    rejected(s, create(ANA, "mine", false), ErrorCode.CAPABILITY_DENIED);
    rejected(s, create(OBS, "obs", false), ErrorCode.READ_ONLY);
    rejected(s, create(TEACHER, "report", false), ErrorCode.DOC_EXISTS);
    rejected(s, create(TEACHER, "bad id!", false), ErrorCode.INVALID_REQUEST);
    rejected(s, create(TEACHER, "", false), ErrorCode.INVALID_REQUEST);
    assertEquals(List.of("notes", "report"),
        TestRooms.snapshotFor(s, "bo", Role.STUDENT, 10).getDocumentsList().stream().map(d -> d.getDocId()).toList());
    assertTrue(TestRooms.snapshotFor(s, "bo", Role.STUDENT, 10).getDocuments(0).getStudentsReadOnly());

    RoomState open = fresh(true);
    accepted(open, create(ANA, "mine", false));
    rejected(open, create(OBS, "obs", false), ErrorCode.READ_ONLY);
  }

  @Test
  void updatesAreSequencedAndDeliveredAndObserversAreReadOnly() {
    RoomState s = fresh(false);
    accepted(s, create(TEACHER, "report", false));
    YTextUpdates ana = new YTextUpdates(11, "t");
    byte[] u1 = ana.append("hello");
    AppliedOperation a = accepted(s, update(ANA, "report", u1));
    assertEquals(Event.BodyCase.DOC_UPDATED, a.event().getBodyCase());
    assertEquals("report", a.event().getDocUpdated().getDocId());
    assertArrayEquals(u1, a.event().getDocUpdated().getUpdate().toByteArray());
    rejected(s, update(OBS, "report", new YTextUpdates(12, "t").append("x")), ErrorCode.READ_ONLY);
    rejected(s, update(ANA, "nope", ana.append("x")), ErrorCode.DOC_NOT_FOUND);
    assertEquals(Map.of(11L, 5L), YUpdates.stateVectorFromUpdate(TestRooms.documentState(s, "report")));
    assertNull(TestRooms.documentState(s, "nope"));
  }

  @Test
  void teacherMakesADocumentReadOnlyForStudents() {
    RoomState s = fresh(false);
    accepted(s, create(TEACHER, "report", false));
    YTextUpdates ana = new YTextUpdates(11, "t");
    accepted(s, update(ANA, "report", ana.append("a")));
    rejected(s, readOnly(ANA, "report", true), ErrorCode.PERMISSION_DENIED);
    rejected(s, readOnly(TEACHER, "nope", true), ErrorCode.DOC_NOT_FOUND);
    AppliedOperation ro = accepted(s, readOnly(TEACHER, "report", true));
    assertTrue(ro.event().getDocReadOnlyChanged().getStudentsReadOnly());
    assertTrue(TestRooms.documentInfo(s, "report").getStudentsReadOnly());
    rejected(s, update(ANA, "report", ana.append("b")), ErrorCode.DOC_READ_ONLY);
    accepted(s, update(TEACHER, "report", new YTextUpdates(99, "t").append("teacher")));
    accepted(s, readOnly(TEACHER, "report", false));
    accepted(s, update(ANA, "report", ana.append("c")));
    // banned users cannot write
    accepted(s, remove(TEACHER, "bo"));
    rejected(s, update(BO, "report", new YTextUpdates(13, "t").append("x")), ErrorCode.BANNED);
  }

  @Test
  void malformedOversizeAndTooLargeLeaveTheDocumentUnchanged() {
    RoomState s = fresh(false);
    accepted(s, create(TEACHER, "report", false));
    YTextUpdates ana = new YTextUpdates(11, "t");
    accepted(s, update(ANA, "report", ana.append("hello")));
    byte[] before = TestRooms.documentState(s, "report");
    // rejected() also checks that the whole record (documents included) is unchanged
    rejected(s, update(ANA, "report", new byte[] {1, 1, 5, 0, 0x04}), ErrorCode.UPDATE_MALFORMED);
    rejected(s, update(ANA, "report", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}),
        ErrorCode.UPDATE_MALFORMED);
    rejected(s, update(ANA, "report", new byte[0]), ErrorCode.UPDATE_MALFORMED);
    rejected(s, update(ANA, "report", new YTextUpdates(12, "t").append("x".repeat(5000))),
        ErrorCode.UPDATE_TOO_LARGE);
    assertArrayEquals(before, TestRooms.documentState(s, "report"));
    // fill the document up to its 16 KiB limit with 3000-byte updates
    YTextUpdates big = new YTextUpdates(13, "t");
    int accepted = 0;
    while (true) {
      Operation o = update(TEACHER, "report", big.append("y".repeat(3000)));
      if (s.check(o) != null) {
        rejected(s, o, ErrorCode.DOC_TOO_LARGE);
        break;
      }
      accepted(s, o);
      accepted++;
    }
    assertEquals(5, accepted, "16 KiB hold five 3000-byte insertions and the first update");
    assertTrue(TestRooms.documentState(s, "report").length <= 16_384);
  }

  @Test
  void pendingUpdatesAreMergedInBatchesAndTheRecordRoundTrips() {
    RoomState s = fresh(false);
    accepted(s, create(TEACHER, "report", false));
    YTextUpdates ana = new YTextUpdates(11, "t");
    List<byte[]> all = new ArrayList<>();
    for (int i = 0; i < DocumentSet.MERGE_PENDING_COUNT + 5; i++) {
      byte[] u = ana.append("w" + i);
      all.add(u);
      accepted(s, update(ANA, "report", u));
    }
    DocumentRecord doc = s.toRecord().getDocuments(0);
    assertEquals(5, doc.getPendingCount(), "the first 64 updates were merged into the state");
    assertEquals(Map.of(11L, ana.clock()), YUpdates.stateVectorFromUpdate(TestRooms.documentState(s, "report")));
    assertEquals(YUpdates.stateVectorFromUpdate(YUpdates.mergeUpdates(all)),
        YUpdates.stateVectorFromUpdate(TestRooms.documentState(s, "report")));
    RoomState copy = TestRooms.fromRecord(s.toRecord(), new DocumentSet.Limits(4096, 16_384));
    assertEquals(s.toRecord(), copy.toRecord());
  }

  /**
   * Two nodes apply the same operations; one of them is rebuilt from its snapshot at random
   * points (as after a restart). Both always hold identical records, and the same merged document.
   */
  @Test
  void mergingIsDeterministicAcrossSnapshotsAndRestarts() {
    Random rnd = new Random(42);
    DocumentSet.Limits limits = new DocumentSet.Limits(4096, 1 << 20);
    RoomState a = TestRooms.create(ROOM, settings(true), limits);
    RoomState b = TestRooms.create(ROOM, settings(true), limits);
    List<Operation> ops = new ArrayList<>();
    ops.add(create(TEACHER, "d1", false));
    ops.add(create(ANA, "d2", false));
    YTextUpdates[] writers = {new YTextUpdates(1, "t"), new YTextUpdates(2, "t"), new YTextUpdates(3, "u")};
    for (int i = 0; i < 400; i++) {
      YTextUpdates w = writers[rnd.nextInt(writers.length)];
      ops.add(update(rnd.nextBoolean() ? ANA : TEACHER, rnd.nextBoolean() ? "d1" : "d2",
          w.append("x".repeat(1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 3000 : 20)))));
    }
    for (Operation o : ops) {
      AppliedOperation x = RoomStateTest.apply(a, o);
      AppliedOperation y = RoomStateTest.apply(b, o);
      assertEquals(x.event(), y.event());
      assertEquals(x.rejection(), y.rejection());
      if (rnd.nextInt(25) == 0) {
        RoomStateRecord r = b.toRecord();
        TestRooms.documentState(b, "d1"); // reading (memoised merge) must not change anything either
        b = TestRooms.fromRecord(r, limits);
      }
      assertEquals(a.toRecord(), b.toRecord());
    }
    assertArrayEquals(TestRooms.documentState(a, "d1"), TestRooms.documentState(b, "d1"));
    assertArrayEquals(TestRooms.documentState(a, "d2"), TestRooms.documentState(b, "d2"));
    assertFalse(a.toRecord().getDocuments(0).getState().isEmpty());
  }
}
