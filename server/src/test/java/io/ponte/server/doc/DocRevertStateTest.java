package io.ponte.server.doc;

import static io.ponte.server.room.RoomStateTest.ANA;
import static io.ponte.server.room.RoomStateTest.BO;
import static io.ponte.server.room.RoomStateTest.ROOM;
import static io.ponte.server.room.RoomStateTest.TEACHER;
import static io.ponte.server.room.RoomStateTest.op;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.DocRevertUser;
import io.ponte.protocol.v1.DocumentRecord;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.RoomState;
import io.ponte.server.testsupport.TestRooms;
import io.ponte.yjs.Lib0Encoder;
import io.ponte.yjs.YContent;
import io.ponte.yjs.YDeleteSet;
import io.ponte.yjs.YRevert;
import io.ponte.yjs.YStruct;
import io.ponte.yjs.YUpdate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reverting a participant in a document, on the state machine (the text itself: YRevertTest, DocRevertIT). */
@Timeout(60)
class DocRevertStateTest {
  private static AppliedOperation apply(RoomState s, Operation o, long timeMs) {
    return s.apply(SequencedOperation.newBuilder().setSeq(s.seq() + 1)
        .setOperation(o.toBuilder().setServerTimeMs(timeMs)).build());
  }

  private static AppliedOperation ok(RoomState s, Operation o, long timeMs) {
    AppliedOperation a = apply(s, o, timeMs);
    assertTrue(a.accepted(), () -> "expected accepted, got " + a.rejection());
    return a;
  }

  private static void refused(RoomState s, Operation o, long timeMs, ErrorCode code) {
    RoomStateRecord before = s.toRecord();
    AppliedOperation a = apply(s, o, timeMs);
    assertNotNull(a.rejection(), "expected " + code);
    assertEquals(code, a.rejection().getCode(), a.rejection().getMessage());
    assertEquals(Event.BodyCase.SKIPPED, a.event().getBodyCase());
    assertEquals(before.getDocumentsList(), s.toRecord().getDocumentsList(), "a refused revert changes nothing");
  }

  private static Operation revert(Actor a, String docId, String userId, long sinceMs) {
    return op(a, "").setDocRevertUser(DocRevertUser.newBuilder().setRoomId(ROOM).setDocId(docId)
        .setUserId(userId).setSinceMs(sinceMs)).build();
  }

  /** An update that only deletes [clock, clock + len) of a client. */
  static byte[] deletion(long client, long clock, long len) {
    Lib0Encoder e = new Lib0Encoder();
    e.writeVarUint(0);
    e.writeVarUint(1).writeVarUint(client).writeVarUint(1).writeVarUint(clock).writeVarUint(len);
    return e.toByteArray();
  }

  private static RoomState classroom() {
    RoomState s = DocumentStateTest.fresh(false);
    ok(s, DocumentStateTest.create(TEACHER, "essay", false), 1_000);
    YTextUpdates ana = new YTextUpdates(11, "t");
    YTextUpdates bo = new YTextUpdates(12, "t");
    ok(s, DocumentStateTest.update(ANA, "essay", ana.append("hello ")), 10_000);
    ok(s, DocumentStateTest.update(BO, "essay", bo.append("early")), 11_000);
    // since 15 s: bo writes more and deletes ana's "hel"; ana writes on
    ok(s, DocumentStateTest.update(BO, "essay", bo.append("LATE")), 20_000);
    ok(s, DocumentStateTest.update(BO, "essay", deletion(11, 0, 3)), 21_000);
    ok(s, DocumentStateTest.update(ANA, "essay", ana.append("again")), 22_000);
    return s;
  }

  @Test
  void aTeacherRevertsOneStudentSinceATime() {
    RoomState s = classroom();
    AppliedOperation a = ok(s, revert(TEACHER, "essay", "bo", 15_000), 30_000);
    assertEquals(new AuditNote("doc.revert", "bo", "doc:essay", "since 15000"),
        s.audit(a), "a teacher action for the audit log");
    assertEquals(Event.BodyCase.DOC_UPDATED, a.event().getBodyCase());
    assertEquals("essay", a.event().getDocUpdated().getDocId());
    assertEquals("bo", a.event().getDocUpdated().getRevertedUserId());
    assertEquals(15_000, a.event().getDocUpdated().getRevertedSinceMs());
    assertEquals("", a.privateTo(), "everyone applies the revert");

    YUpdate inverse = YUpdate.decode(a.event().getDocUpdated().getUpdate().toByteArray());
    // bo's "LATE" (clock 5..9) is deleted, "early" (before the time) stays
    assertEquals(Map.of(12L, List.of(new YDeleteSet.Range(5, 4))), inverse.deleteSet().clients());
    // ana's "hel" is written again, by the server's client, just before the deleted piece
    assertEquals(1, inverse.structs().size());
    YStruct.Item restored = (YStruct.Item) inverse.structs().get(0);
    assertEquals(YRevert.SERVER_CLIENT, restored.client());
    assertEquals(new YContent.Str("hel"), restored.content());
    assertEquals(11L, restored.rightOrigin().client());
    assertEquals(0L, restored.rightOrigin().clock());

    // stored like any other update: the document now holds the server's item and the deletion
    byte[] doc = TestRooms.documentState(s, "essay");
    assertEquals(3L, io.ponte.yjs.YUpdates.stateVectorFromUpdate(doc).get(YRevert.SERVER_CLIENT));
    // nothing is left to revert: a second revert is refused, not applied twice
    refused(s, revert(TEACHER, "essay", "bo", 15_000), 31_000, ErrorCode.REVERT_NOTHING);
  }

  @Test
  void theHistorySurvivesASnapshotAndGivesTheSameRevert() {
    RoomState s = classroom();
    RoomState restored = TestRooms.fromRecord(s.toRecord(), new DocumentSet.Limits(4096, 16_384));
    DocumentRecord rec = s.toRecord().getDocuments(0);
    assertEquals(2, rec.getClientAuthorsCount());
    assertEquals("bo", rec.getClientAuthors(0).getUserId()); // least recently active first
    assertEquals(List.of(11_000L, 20_000L), rec.getClientAuthors(0).getTimesMsList());
    assertEquals(1, rec.getDeletionsCount());
    AppliedOperation a = ok(s, revert(TEACHER, "essay", "bo", 15_000), 30_000);
    AppliedOperation b = ok(restored, revert(TEACHER, "essay", "bo", 15_000), 30_000);
    assertArrayEquals(a.event().getDocUpdated().getUpdate().toByteArray(),
        b.event().getDocUpdated().getUpdate().toByteArray());
    assertEquals(s.toRecord().getDocumentsList(), restored.toRecord().getDocumentsList());
  }

  @Test
  void refusals() {
    RoomState s = classroom();
    refused(s, revert(ANA, "essay", "bo", 15_000), 30_000, ErrorCode.PERMISSION_DENIED);
    refused(s, revert(BO, "essay", "bo", 15_000), 30_000, ErrorCode.PERMISSION_DENIED);
    refused(s, revert(TEACHER, "nope", "bo", 15_000), 30_000, ErrorCode.DOC_NOT_FOUND);
    refused(s, revert(TEACHER, "essay", "", 15_000), 30_000, ErrorCode.INVALID_REQUEST);
    refused(s, revert(TEACHER, "essay", "bo", -1), 30_000, ErrorCode.REVERT_SINCE_INVALID);
    refused(s, revert(TEACHER, "essay", "bo", 30_001), 30_000, ErrorCode.REVERT_SINCE_INVALID);
    refused(s, revert(TEACHER, "essay", "zed", 0), 30_000, ErrorCode.REVERT_NOTHING);
    refused(s, revert(TEACHER, "essay", "bo", 23_000), 30_000, ErrorCode.REVERT_NOTHING);
    // the early check (before the time is stamped) refuses what it can tell without the time
    assertEquals(ErrorCode.PERMISSION_DENIED, s.check(revert(ANA, "essay", "bo", 0)).getCode());
    assertEquals(ErrorCode.DOC_NOT_FOUND, s.check(revert(TEACHER, "nope", "bo", 0)).getCode());
    assertNull(s.check(revert(TEACHER, "essay", "zed", 0)), "nothing to revert: told at apply time");
    assertNull(s.check(revert(TEACHER, "essay", "bo", 15_000)));
    // bystanders: ana keeps writing, and the revert still works afterwards
    ok(s, DocumentStateTest.update(ANA, "essay", new YTextUpdates(13, "u").append("more")), 30_500);
    ok(s, revert(TEACHER, "essay", "bo", 15_000), 31_000);
  }

  @Test
  void aRevertLargerThanAnUpdateMayBeIsRefused() {
    RoomState s = DocumentStateTest.fresh(false); // updates up to 4096 bytes
    ok(s, DocumentStateTest.create(TEACHER, "essay", false), 1_000);
    YTextUpdates ana = new YTextUpdates(11, "t");
    for (int i = 0; i < 3; i++) {
      ok(s, DocumentStateTest.update(ANA, "essay", ana.append("x".repeat(1500))), 2_000 + i);
    }
    ok(s, DocumentStateTest.update(BO, "essay", deletion(11, 0, 4500)), 10_000);
    refused(s, revert(TEACHER, "essay", "bo", 5_000), 20_000, ErrorCode.REVERT_TOO_LARGE);
  }

  @Test
  void aHistoryThatDroppedClientsRefusesOlderReverts() {
    RoomState s = DocumentStateTest.fresh(false);
    ok(s, DocumentStateTest.create(TEACHER, "essay", false), 1_000);
    ok(s, DocumentStateTest.update(BO, "essay", new YTextUpdates(5, "t").append("b")), 2_000);
    for (int i = 0; i < DocAuthorship.MAX_CLIENTS; i++) {
      ok(s, DocumentStateTest.update(ANA, "essay", new YTextUpdates(100 + i, "t").append("a")), 10_000 + i);
    }
    // bo's client id (the least recently active) was dropped: the history is complete since 2.001 s
    assertEquals(2_001, s.toRecord().getDocuments(0).getHistoryCompleteSinceMs());
    refused(s, revert(TEACHER, "essay", "bo", 1_500), 30_000, ErrorCode.REVERT_HISTORY_INCOMPLETE);
    refused(s, revert(TEACHER, "essay", "bo", 2_001), 30_000, ErrorCode.REVERT_NOTHING);
    ok(s, revert(TEACHER, "essay", "ana", 10_100), 30_000);
  }

  @Test
  void checkpointsAndDeletionsStayBounded() {
    DocAuthorship a = new DocAuthorship();
    for (int i = 0; i < 10_000; i++) {
      a.inserted("bo", 7, i + 1, 1_000L * i); // one update a second
      a.deleted("bo", 9, 2L * i, 1, 1_000L * i); // never adjacent: one range each
    }
    DocumentRecord.Builder b = DocumentRecord.newBuilder();
    a.writeTo(b);
    assertTrue(b.getClientAuthors(0).getTimesMsCount() <= DocAuthorship.MAX_CHECKPOINTS);
    assertEquals(DocAuthorship.MAX_DELETIONS, b.getDeletionsCount());
    assertEquals(1_000L * (10_000 - DocAuthorship.MAX_DELETIONS - 1) + 1, a.completeSinceMs());
    // recent checkpoints stay exact; coalescing within one second keeps the later one
    assertEquals(Map.of(7L, 9_990L), a.insertedSince("bo", 1_000L * 9_990));
    DocAuthorship c = new DocAuthorship();
    c.inserted("ana", 3, 1, 5_100);
    c.inserted("ana", 3, 2, 5_900);
    c.inserted("ana", 3, 3, 6_100);
    assertEquals(Map.of(3L, 2L), c.insertedSince("ana", 6_000));
    assertEquals(Map.of(3L, 0L), c.insertedSince("ana", 5_500));
    // backspacing joins into one range
    c.deleted("ana", 3, 2, 1, 7_000);
    c.deleted("ana", 3, 1, 1, 7_100);
    DocumentRecord.Builder cb = DocumentRecord.newBuilder();
    c.writeTo(cb);
    assertEquals(1, cb.getDeletionsCount());
    assertEquals(2, cb.getDeletions(0).getLen());
  }
}
