package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.AuditPage;
import io.ponte.protocol.v1.AuditRead;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardLock;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardRevert;
import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocSetReadOnly;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.EndSession;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.HandLower;
import io.ponte.protocol.v1.HandLowerAll;
import io.ponte.protocol.v1.HandRaise;
import io.ponte.protocol.v1.HandRequest;
import io.ponte.protocol.v1.LiftBan;
import io.ponte.protocol.v1.LockRoom;
import io.ponte.protocol.v1.MuteParticipant;
import io.ponte.protocol.v1.PageClear;
import io.ponte.protocol.v1.PollDelete;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.RemoveParticipant;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.SetStudentChat;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log with real clients: every teacher action of every feature leaves exactly one entry
 * with its actor and target (also when two nodes apply it through Redis), nothing for students'
 * own actions nor for who answered an anonymous poll; teachers read their own room's log on /ws
 * with paging; the admin API filters and pages; the retention sweep erases the entries.
 */
@Timeout(180)
class AuditIT {
  private static final long DAY_MS = 86_400_000L;

  @TempDir
  Path dir;

  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  // ---- requests -----------------------------------------------------------------------------

  static ClientMessage.Builder teacher(String room, TeacherAction.Builder a) {
    return ClientMessage.newBuilder().setTeacherAction(a.setRoomId(room));
  }

  static ClientMessage.Builder mute(String room, String user, boolean muted) {
    return teacher(room, TeacherAction.newBuilder().setMute(MuteParticipant.newBuilder().setUserId(user).setMuted(muted)));
  }

  static ClientMessage.Builder lock(String room, boolean locked) {
    return teacher(room, TeacherAction.newBuilder().setLock(LockRoom.newBuilder().setLocked(locked)));
  }

  static ClientMessage.Builder hand(String room, HandRequest.Builder r) {
    return ClientMessage.newBuilder().setHand(r.setRoomId(room));
  }

  static ClientMessage.Builder board(String room, String boardId, BoardRequest.Builder r) {
    return ClientMessage.newBuilder().setBoard(r.setRoomId(room).setBoardId(boardId));
  }

  static ClientMessage.Builder auditRead(String room, long beforeId, int limit) {
    return ClientMessage.newBuilder().setAuditRead(AuditRead.newBuilder().setRoomId(room)
        .setBeforeId(beforeId).setLimit(limit));
  }

  /** The admin API's audit page for this query string. */
  static JsonObject adminAudit(TestServer s, String query) {
    HttpResponse<String> r = s.admin("GET", "/admin/audit" + query, null);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  /** The room's entries, oldest first, once there are at least {@code count} (they are written just after the ack). */
  static List<JsonObject> awaitEntries(TestServer s, String room, int count) throws InterruptedException {
    List<JsonObject> out = List.of();
    for (int i = 0; i < 100; i++) {
      JsonArray a = adminAudit(s, "?limit=200&room=" + room).getJsonArray("entries");
      out = new ArrayList<>();
      for (int j = a.size() - 1; j >= 0; j--) {
        out.add(a.getJsonObject(j));
      }
      if (out.size() >= count) {
        return out;
      }
      Thread.sleep(50);
    }
    return out;
  }

  /** The room's entries now, oldest first. */
  static List<JsonObject> adminAuditEntries(TestServer s, String room) {
    JsonArray a = adminAudit(s, "?limit=200&room=" + room).getJsonArray("entries");
    List<JsonObject> out = new ArrayList<>();
    for (int j = a.size() - 1; j >= 0; j--) {
      out.add(a.getJsonObject(j));
    }
    return out;
  }

  static String describe(JsonObject e) {
    return e.getString("actorUserId") + " " + e.getString("action")
        + (e.getString("targetUserId").isEmpty() ? "" : " @" + e.getString("targetUserId"))
        + (e.getString("target").isEmpty() ? "" : " " + e.getString("target"))
        + (e.getString("detail").isEmpty() ? "" : " " + e.getString("detail"));
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void everyTeacherActionLeavesExactlyOneEntryAndStudentsActionsNone() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        // Students' own actions: no entries.
        long anaPost = ana.post("r1", "my own message").getSeq();
        TestClient.ack(ana.request(ClientMessage.newBuilder().setChatDelete(
            ChatDelete.newBuilder().setRoomId("r1").setMessageSeq(anaPost))));
        TestClient.ack(ana.request(hand("r1", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()))));
        TestClient.ack(ana.request(hand("r1", HandRequest.newBuilder().setLower(HandLower.getDefaultInstance()))));
        // A teacher deleting her own message is no moderation either.
        long tinaPost = tina.post("r1", "welcome").getSeq();
        TestClient.ack(tina.request(ClientMessage.newBuilder().setChatDelete(
            ChatDelete.newBuilder().setRoomId("r1").setMessageSeq(tinaPost))));

        List<String> expected = new ArrayList<>(List.of("admin room.create"));
        TestClient.ack(tina.request(mute("r1", "ana", true)));
        expected.add("tina moderation.mute @ana");
        TestClient.ack(tina.request(mute("r1", "ana", false)));
        expected.add("tina moderation.unmute @ana");
        TestClient.ack(tina.request(lock("r1", true)));
        expected.add("tina moderation.lock");
        TestClient.ack(tina.request(lock("r1", false)));
        expected.add("tina moderation.unlock");
        TestClient.ack(tina.request(teacher("r1", TeacherAction.newBuilder()
            .setStudentChat(SetStudentChat.newBuilder().setEnabled(false)))));
        expected.add("tina moderation.student_chat off");
        TestClient.ack(tina.request(teacher("r1", TeacherAction.newBuilder()
            .setStudentChat(SetStudentChat.newBuilder().setEnabled(true)))));
        expected.add("tina moderation.student_chat on");

        long boPost = bo.post("r1", "something rude").getSeq();
        TestClient.ack(tina.request(ClientMessage.newBuilder().setChatDelete(
            ChatDelete.newBuilder().setRoomId("r1").setMessageSeq(boPost))));
        expected.add("tina chat.delete @bo message:" + boPost);

        TestClient.ack(tina.request(ClientMessage.newBuilder().setDocCreate(
            DocCreate.newBuilder().setRoomId("r1").setDocId("d1").setTitle("Notes"))));
        TestClient.ack(tina.request(ClientMessage.newBuilder().setDocSetReadOnly(
            DocSetReadOnly.newBuilder().setRoomId("r1").setDocId("d1").setStudentsReadOnly(true))));
        expected.add("tina doc.read_only doc:d1 on");

        TestClient.ack(tina.request(PollIT.create("r1", "p1", PollIT.question("Ready?", "yes", "no"))));
        expected.add("tina poll.create poll:p1");
        TestClient.ack(tina.request(PollIT.open("r1", "p1")));
        expected.add("tina poll.open poll:p1");
        TestClient.ack(ana.request(PollIT.answer("r1", "p1", "a1", 0)));
        TestClient.ack(tina.request(PollIT.close("r1", "p1")));
        expected.add("tina poll.close poll:p1");
        TestClient.ack(tina.request(PollIT.share("r1", "p1")));
        expected.add("tina poll.share poll:p1");
        TestClient.ack(tina.request(PollIT.poll("r1", "p1", PollRequest.newBuilder().setDelete(PollDelete.getDefaultInstance()))));
        expected.add("tina poll.delete poll:p1");

        TestClient.ack(ana.request(hand("r1", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()))));
        TestClient.ack(tina.request(hand("r1", HandRequest.newBuilder().setLower(HandLower.newBuilder().setUserId("ana")))));
        expected.add("tina hand.lower @ana");
        TestClient.ack(bo.request(hand("r1", HandRequest.newBuilder().setRaise(HandRaise.getDefaultInstance()))));
        TestClient.ack(tina.request(hand("r1", HandRequest.newBuilder().setLowerAll(HandLowerAll.getDefaultInstance()))));
        expected.add("tina hand.lower_all");

        TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setCreateBoard(BoardCreate.newBuilder().setTitle("Board").setFirstPageId("p1")))));
        long drawn = TestClient.ack(bo.request(board("r1", "b1", BoardRequest.newBuilder()
            .setAddElements(ElementsAdd.newBuilder().setPageId("p1").addElements(BoardElement.newBuilder()
                .setElementId("e1").setZ("a0").setRectangle(BoardBox.newBuilder().setWidth(10).setHeight(10))))))).getSeq();
        TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setRevert(BoardRevert.newBuilder().setUserId("bo").setSinceSeq(drawn)))));
        expected.add("tina board.revert @bo board:b1 since " + drawn);
        TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setClearPage(PageClear.newBuilder().setPageId("p1")))));
        expected.add("tina board.page_clear board:b1 p1");
        TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setLockBoard(BoardLock.newBuilder().setLocked(true)))));
        expected.add("tina board.lock board:b1");

        long reported = bo.post("r1", "again").getSeq();
        long report = TestClient.ack(ana.request(ReportIT.reportMessage("r1", reported))).getSeq();
        TestClient.ack(tina.request(ReportIT.resolve("r1", report, io.ponte.protocol.v1.ReportStatus.REPORT_DISMISSED)));
        expected.add("tina report.dismiss @bo report:" + report);

        TestClient.ack(tina.request(teacher("r1", TeacherAction.newBuilder()
            .setRemove(RemoveParticipant.newBuilder().setUserId("bo")))));
        expected.add("tina moderation.remove @bo");
        TestClient.ack(tina.request(teacher("r1", TeacherAction.newBuilder()
            .setLiftBan(LiftBan.newBuilder().setUserId("bo")))));
        expected.add("tina moderation.ban_lift @bo");
        TestClient.ack(tina.request(teacher("r1", TeacherAction.newBuilder()
            .setEndSession(EndSession.getDefaultInstance()))));
        expected.add("tina moderation.end");

        List<JsonObject> entries = awaitEntries(s, "r1", expected.size());
        assertEquals(expected, entries.stream().map(AuditIT::describe).toList());
        long lastSeq = 0;
        for (JsonObject e : entries.subList(1, entries.size())) {
          assertTrue(e.getLong("seq") > lastSeq, "one entry per operation, in seq order: " + e);
          lastSeq = e.getLong("seq");
          assertEquals("teacher", e.getString("actorRole"));
          assertEquals("User tina", e.getString("actorName"));
          assertEquals("r1", e.getString("roomId"));
          assertTrue(e.getLong("timeMs") > 0);
        }
        assertEquals("admin", entries.get(0).getString("actorRole"));
        assertEquals(0, entries.get(0).getLong("seq"));
        String all = entries.toString();
        assertFalse(all.contains("something rude") || all.contains("again"), "no message contents");

        // An admin's close is recorded too.
        HttpResponse<String> closed = s.admin("POST", "/admin/rooms/r1/close", "{}");
        assertEquals(200, closed.statusCode(), closed.body());
        List<JsonObject> after = awaitEntries(s, "r1", expected.size() + 1);
        assertEquals("admin room.close", describe(after.get(after.size() - 1)));
        assertEquals("admin", after.get(after.size() - 1).getString("actorRole"));
      }
    }
  }

  @Test
  void teachersReadTheirOwnRoomsLogWithPagingAndNobodyElseDoes() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      s.createRoom("r2");
      try (Bystanders others = new Bystanders(s, "bystanders");
          TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient theo = s.user("theo", "r2", Role.TEACHER)) {
        tina.join("r1");
        ana.join("r1");
        theo.join("r2");
        for (int i = 0; i < 5; i++) {
          TestClient.ack(tina.request(lock("r1", i % 2 == 0)));
        }
        TestClient.ack(theo.request(lock("r2", true)));
        awaitEntries(s, "r1", 6);

        List<AuditEntry> read = new ArrayList<>();
        long cursor = 0;
        int pages = 0;
        do {
          AuditPage page = tina.request(auditRead("r1", cursor, 2)).getAuditPage();
          assertEquals("r1", page.getRoomId());
          assertTrue(page.getEntriesCount() <= 2);
          read.addAll(page.getEntriesList());
          cursor = page.getNextCursor();
          pages++;
        } while (cursor != 0 && pages < 10);
        assertEquals(3, pages, "6 entries in pages of 2");
        assertEquals(6, read.size());
        assertEquals("room.create", read.get(5).getAction());
        for (int i = 0; i < 5; i++) {
          AuditEntry e = read.get(4 - i);
          assertEquals(i % 2 == 0 ? "moderation.lock" : "moderation.unlock", e.getAction());
          assertEquals("tina", e.getActorUserId());
          assertTrue(i == 0 || e.getId() > read.get(5 - i).getId(), "ids grow");
        }
        assertTrue(read.stream().allMatch(e -> e.getRoomId().equals("r1")), "only the teacher's room");
        AuditPage mine = tina.request(ClientMessage.newBuilder().setAuditRead(AuditRead.newBuilder()
            .setRoomId("r1").setActorUserId("tina"))).getAuditPage();
        assertEquals(5, mine.getEntriesCount(), "filtered by actor");
        assertEquals(0, mine.getNextCursor());

        // Another room's log, a student, bad paging: refused; the bystanders are served throughout.
        assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(tina.request(auditRead("r2", 0, 10))).getCode());
        others.assertServed();
        assertEquals(ErrorCode.PERMISSION_DENIED, TestClient.error(ana.request(auditRead("r1", 0, 10))).getCode());
        assertEquals(ErrorCode.AUDIT_QUERY_INVALID, TestClient.error(tina.request(auditRead("r1", 0, 201))).getCode());
        assertEquals(ErrorCode.AUDIT_QUERY_INVALID, TestClient.error(tina.request(auditRead("r1", 0, -1))).getCode());
        assertEquals(ErrorCode.AUDIT_QUERY_INVALID, TestClient.error(tina.request(auditRead("r1", -5, 10))).getCode());
        assertEquals(ErrorCode.AUDIT_QUERY_INVALID, TestClient.error(tina.request(ClientMessage.newBuilder()
            .setAuditRead(AuditRead.newBuilder().setRoomId("r1").setActorUserId("a b")))).getCode());
        others.assertServed();
        AuditPage theirs = theo.request(auditRead("r2", 0, 0)).getAuditPage();
        assertEquals(List.of("moderation.lock", "room.create"),
            theirs.getEntriesList().stream().map(AuditEntry::getAction).toList());
        tina.assertOpen();
        ana.assertOpen();
      }
    }
  }

  @Test
  void theAdminApiFiltersAndPagesAndRefusesBadQueries() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      s.createRoom("r2");
      try (Bystanders others = new Bystanders(s, "bystanders");
          TestClient tina = s.user("tina", "*", Role.TEACHER);
          TestClient theo = s.user("theo", "*", Role.TEACHER)) {
        tina.join("r1");
        tina.join("r2");
        theo.join("r1");
        TestClient.ack(tina.request(lock("r1", true)));
        TestClient.ack(theo.request(lock("r1", false)));
        TestClient.ack(tina.request(lock("r2", true)));
        awaitEntries(s, "r1", 3);
        awaitEntries(s, "r2", 2);
        long split = System.currentTimeMillis();
        Thread.sleep(20);
        TestClient.ack(theo.request(lock("r1", true)));
        awaitEntries(s, "r1", 4);

        JsonArray tinas = adminAudit(s, "?actor=tina").getJsonArray("entries");
        assertEquals(2, tinas.size());
        assertEquals("r2", tinas.getJsonObject(0).getString("roomId"), "newest first");
        assertEquals(1, adminAudit(s, "?actor=theo&room=r1&from=" + split).getJsonArray("entries").size());
        assertEquals(1, adminAudit(s, "?room=r1&actor=theo&to=" + split).getJsonArray("entries").size());
        JsonArray everything = adminAudit(s, "").getJsonArray("entries");
        // room.create of r1, r2 and the bystanders' room, and the four locks.
        assertEquals(7, everything.size());

        // Stable paging: pages of 3 give every entry once, in the same order, and a later entry
        // does not shift the pages already read.
        List<Long> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
          JsonObject page = adminAudit(s, "?limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
          for (Object o : page.getJsonArray("entries")) {
            paged.add(((JsonObject) o).getLong("id"));
          }
          if (pages == 0) {
            TestClient.ack(tina.request(lock("r2", false)));
            awaitEntries(s, "r2", 3);
          }
          cursor = page.getString("nextCursor");
          pages++;
        } while (cursor != null && pages < 10);
        List<Long> expectedIds = everything.stream().map(o -> ((JsonObject) o).getLong("id")).toList();
        assertEquals(expectedIds, paged);
        assertEquals(3, pages);
        assertNull(adminAudit(s, "?limit=200").getValue("nextCursor"));

        for (String bad : List.of("?limit=0", "?limit=201", "?limit=abc", "?room=bad%20id", "?actor=a%20b",
            "?from=5&to=5", "?from=-1", "?cursor=x", "?room=r1&room=r2", "?colour=red",
            "?to=99999999999999999999")) {
          HttpResponse<String> r = s.admin("GET", "/admin/audit" + bad, null);
          assertEquals(400, r.statusCode(), bad + ": " + r.body());
          assertEquals("AUDIT_QUERY_INVALID", new JsonObject(r.body()).getString("code"), bad);
          assertFalse(new JsonObject(r.body()).getString("message").isEmpty());
        }
        assertEquals(401, s.http("GET", "/admin/audit", null, null).statusCode());
        others.assertServed();
      }
    }
  }

  @Test
  void anAnonymousPollLeavesNoVoterInTheAuditLog() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient v1 = s.user("voter-one", "r1", Role.STUDENT);
          TestClient v2 = s.user("voter-two", "r1", Role.STUDENT)) {
        tina.join("r1");
        v1.join("r1");
        v2.join("r1");
        TestClient.ack(tina.request(PollIT.create("r1", "secret",
            PollIT.question("Who?", "a", "b").setAnonymous(true))));
        TestClient.ack(tina.request(PollIT.open("r1", "secret")));
        TestClient.ack(v1.request(PollIT.answer("r1", "secret", "x1", 0)));
        TestClient.ack(v2.request(PollIT.answer("r1", "secret", "x2", 1)));
        TestClient.ack(v1.request(PollIT.answer("r1", "secret", "x3", 1)));
        TestClient.ack(tina.request(PollIT.close("r1", "secret")));
        TestClient.ack(tina.request(PollIT.share("r1", "secret")));
        List<JsonObject> entries = awaitEntries(s, "r1", 5);
        assertEquals(List.of("admin room.create", "tina poll.create poll:secret", "tina poll.open poll:secret",
            "tina poll.close poll:secret", "tina poll.share poll:secret"),
            entries.stream().map(AuditIT::describe).toList());
        String body = s.admin("GET", "/admin/audit?room=r1", null).body();
        assertFalse(body.contains("voter"), "no voter's id: " + body);
        assertFalse(body.contains("anon:"), "no voter key: " + body);
        AuditPage page = tina.request(auditRead("r1", 0, 50)).getAuditPage();
        assertFalse(page.toString().contains("voter") || page.toString().contains("anon:"));
      }
    }
  }

  /** Two nodes share PostgreSQL and Redis: both apply every operation, the log has it once. */
  @Test
  void twoNodesThroughRedisRecordEachActionOnce() throws Exception {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> shared = b -> b.redisUrl(RedisFixture.get().url())
        .redisKeyPrefix(prefix).storeUrl(pg.schema().url());
    try (TestServer a = new TestServer(dir.resolve("a"), b -> shared.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> shared.apply(c).nodeId("b"))) {
      a.createRoom("r1");
      try (TestClient tina = a.user("tina", "r1", Role.TEACHER);
          TestClient theo = b.user("theo", "r1", Role.TEACHER);
          TestClient ana = b.user("ana", "r1", Role.STUDENT)) {
        tina.join("r1");
        theo.join("r1");
        ana.join("r1");
        long muted = TestClient.ack(tina.request(mute("r1", "ana", true))).getSeq();
        theo.awaitEvent(e -> e.getSeq() == muted, "the mute on node b");
        long locked = TestClient.ack(theo.request(lock("r1", true))).getSeq();
        tina.awaitEvent(e -> e.getSeq() == locked, "the lock on node a");
        // Give a second write, if any node made one, time to land before counting.
        awaitEntries(a, "r1", 3);
        Thread.sleep(300);
        for (TestServer node : List.of(a, b)) {
          List<JsonObject> entries = awaitEntries(node, "r1", 3);
          assertEquals(List.of("admin room.create", "tina moderation.mute @ana", "theo moderation.lock"),
              entries.stream().map(AuditIT::describe).toList());
          assertEquals(muted, entries.get(1).getLong("seq"));
          assertEquals(locked, entries.get(2).getLong("seq"));
        }
        // A teacher reads the same log from either node.
        assertEquals(3, theo.request(auditRead("r1", 0, 10)).getAuditPage().getEntriesCount());
        assertEquals(3, tina.request(auditRead("r1", 0, 10)).getAuditPage().getEntriesCount());
      }
      // Reloading the room (which records again what a crash may have lost) adds nothing.
      a.stop();
      a.start();
      try (TestClient tina = a.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        Thread.sleep(300);
        assertEquals(3, awaitEntries(a, "r1", 3).size());
      }
    }
  }

  @Test
  void theRetentionSweepErasesARoomsEntries() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(new JsonObject().put("id", "short").put("title", "Short").put("retentionDays", 1));
      s.createRoom(new JsonObject().put("id", "kept").put("title", "Kept").put("retentionDays", 1));
      try (TestClient t = s.user("t", "*", Role.TEACHER)) {
        t.join("short");
        t.join("kept");
        TestClient.ack(t.request(lock("kept", true)));
        TestClient.ack(t.request(lock("short", true)));
        TestClient.ack(t.request(teacher("short", TeacherAction.newBuilder().setEndSession(EndSession.getDefaultInstance()))));
      }
      assertEquals(3, awaitEntries(s, "short", 3).size());
      long later = System.currentTimeMillis() + 2 * DAY_MS;
      List<String> erased = List.of();
      for (int i = 0; i < 50 && erased.isEmpty(); i++) {
        erased = s.server().sweepRetention(later).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        if (erased.isEmpty()) {
          Thread.sleep(100); // the end is recorded just after the ack
        }
      }
      assertEquals(List.of("short"), erased);
      assertEquals(0, adminAudit(s, "?room=short").getJsonArray("entries").size());
      assertEquals(2, adminAudit(s, "?room=kept").getJsonArray("entries").size(), "another room's entries stay");
      assertNotNull(adminAudit(s, ""));
    }
  }
}
