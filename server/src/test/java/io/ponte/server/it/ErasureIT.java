package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.ReportReason;
import io.ponte.protocol.v1.ReportTarget;
import io.ponte.protocol.v1.Role;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.admin.ErasureJobs;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Erasure of one learner (POST /admin/users/{id}/erase): a learner in three rooms with chat (an
 * edit, a deletion, a question to the teachers), reactions, board elements, document text, a
 * named poll answer, a report they made and audit entries about them. After the erasure a fresh
 * node on the same store sees placeholders and the pseudonym only, the database files (SQLite) or
 * rows (PostgreSQL) hold neither the user id, nor the name, nor the texts; a second erasure
 * changes nothing; a job stopped after its first room finishes after a restart.
 */
@Timeout(300)
class ErasureIT {
  static final String ANA = "ana-learner-x7";
  static final String ANA_NAME = "User " + ANA;
  /**
   * A text she writes on the board: with erasure-board-elements remove (the default) it leaves
   * the stored operations, snapshots and the broker's copies too, not only the board.
   */
  static final String ANA_BOARD_TEXT = "ana-board-text-QQQ";
  static final List<String> ANA_TEXTS =
      List.of("ana-first-QQQ", "ana-edited-RRR", "ana-question-SSS", "ana-room-two-TTT",
          "ana-room-three-UUU");

  @TempDir
  Path dir;

  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  /** What the learner did; returns the seq of bo's message in r1. */
  static long fill(TestServer s) {
    for (String r : List.of("r1", "r2", "r3")) {
      s.createRoom(r);
    }
    try (TestClient tina = s.user("tina", "*", Role.TEACHER);
        TestClient ana = s.user(ANA, "*", Role.STUDENT);
        TestClient bo = s.user("bo", "*", Role.STUDENT)) {
      for (TestClient c : List.of(tina, ana, bo)) {
        c.join("r1");
      }
      long first = ana.post("r1", ANA_TEXTS.get(0)).getSeq();
      TestClient.ack(ana.request(ChatOpsIT.edit("r1", first, ANA_TEXTS.get(1))));
      long oops = ana.post("r1", "ana-deleted-VVV").getSeq();
      TestClient.ack(ana.request(ChatOpsIT.delete("r1", oops)));
      TestClient.ack(ana.post(ChatPost.newBuilder().setRoomId("r1")
          .setText(ANA_TEXTS.get(2)).setToTeachers(true)));
      long boSays = bo.post("r1", "bo-words-stay").getSeq();
      TestClient.ack(ana.request(ChatOpsIT.react("r1", boSays, "👍", true)));
      TestClient.ack(bo.request(ChatOpsIT.react("r1", boSays, "❤", true)));
      TestClient.ack(ana.request(ReportIT.report("r1",
          ReportTarget.newBuilder().setMessageSeq(boSays), ReportReason.SPAM, "report-by-ana")));
      TestClient.ack(tina.request(WhiteboardIT.createBoard("r1", "b1", "p1")));
      TestClient.ack(ana.request(WhiteboardIT.add("r1", "b1", "p1",
          WhiteboardIT.stroke("e1", "a0"), WhiteboardIT.box("e2", "a1"),
          io.ponte.protocol.v1.BoardElement.newBuilder().setElementId("e3").setZ("a3")
              .setText(io.ponte.protocol.v1.BoardText.newBuilder().setX(5).setY(5)
                  .setText(ANA_BOARD_TEXT)).build())));
      TestClient.ack(bo.request(WhiteboardIT.add("r1", "b1", "p1", WhiteboardIT.box("bo-element", "a2"))));
      TestClient.ack(DocumentsIT.create(tina, "r1", "d1", false));
      TestClient.ack(DocumentsIT.update(ana, "r1", "d1",
          new io.ponte.server.doc.YTextUpdates(101, "t").append("Ana doc words")));
      TestClient.ack(tina.request(PollIT.create("r1", "named", PollIT.question("Best day?", "Mon", "Tue"))));
      TestClient.ack(tina.request(PollIT.open("r1", "named")));
      TestClient.ack(ana.request(PollIT.answer("r1", "named", "a1", 1)));
      TestClient.ack(ModerationIT.mute(tina, "r1", ANA, true));
      TestClient.ack(ModerationIT.mute(tina, "r1", ANA, false));
      ana.join("r2");
      ana.post("r2", ANA_TEXTS.get(3));
      ana.join("r3");
      bo.join("r3");
      long inThree = bo.post("r3", "bo-in-three").getSeq();
      ana.post("r3", ANA_TEXTS.get(4));
      TestClient.ack(ana.request(ChatOpsIT.react("r3", inThree, "👍", true)));
      return boSays;
    }
  }

  static JsonObject erase(TestServer s, String user) {
    HttpResponse<String> r = s.admin("POST", "/admin/users/" + user + "/erase", null);
    assertEquals(202, r.statusCode(), r::body);
    return new JsonObject(r.body());
  }

  /** Polls the job until it is done. */
  static JsonObject awaitDone(TestServer s, String jobId) throws InterruptedException {
    JsonObject last = null;
    for (int i = 0; i < 600; i++) {
      HttpResponse<String> r = s.admin("GET", "/admin/erasures/" + jobId, null);
      assertEquals(200, r.statusCode(), r::body);
      last = new JsonObject(r.body());
      if ("done".equals(last.getString("state"))) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the erasure did not finish: " + last);
  }

  /** What a newcomer sees in r1 and r3: placeholders, the pseudonym, nothing of hers. */
  static void assertErasedView(TestServer s, String pseudonym, long boSays) {
    try (TestClient cy = s.user("cy", "*", Role.TEACHER)) {
      Joined j = cy.join("r1");
      String all = j.toString() + cy.history("r1", 0, 100);
      assertNothingOfHers(all);
      assertTrue(all.contains(pseudonym), "her places are the pseudonym's");
      List<ChatMessage> msgs = cy.history("r1", 0, 100).getMessagesList();
      List<ChatMessage> hers = msgs.stream()
          .filter(m -> m.getAuthor().getUserId().equals(pseudonym)).toList();
      assertEquals(3, hers.size(), msgs::toString);
      assertTrue(hers.stream().allMatch(m -> m.getDeleted() && m.getText().isEmpty()
          && m.getAuthor().getDisplayName().isEmpty()), hers::toString);
      ChatMessage bo = msgs.stream().filter(m -> m.getSeq() == boSays).findFirst().orElseThrow();
      assertEquals("bo-words-stay", bo.getText());
      assertEquals(1, bo.getReactionsCount(), "her reaction went, bo's stays");
      assertEquals(List.of("bo"), bo.getReactions(0).getUserIdsList());
      assertTrue(all.contains("bo-element") && !all.contains("element_id: \"e1\""),
          "her board elements removed, bo's kept");
      Joined three = cy.join("r3");
      assertNothingOfHers(three.toString() + cy.history("r3", 0, 100));
    }
  }

  static void assertNothingOfHers(String s) {
    for (String t : concat(ANA_TEXTS, List.of(ANA, ANA_NAME))) {
      assertFalse(s.contains(t), () -> "'" + t + "' in " + s);
    }
  }

  static List<String> concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }

  // ---- SQLite -------------------------------------------------------------------------------

  @Test
  void onSqliteNothingOfHersIsLeftInTheFilesAndAFreshNodeSeesPlaceholders() throws Exception {
    UnaryOperator<PonteConfig.Builder> config = b -> DurabilityIT.NO_RATE_LIMIT.apply(b).snapshotInterval(10);
    try (TestServer s = new TestServer(dir, config); Bystanders others = new Bystanders(s, "by")) {
      long boSays = fill(s);
      ChatRedactionIT.assertFilesHold(dir, ANA_TEXTS.get(1)); // the checks below are not vacuous
      ChatRedactionIT.assertFilesHold(dir, ANA);
      ChatRedactionIT.assertFilesHold(dir, ANA_BOARD_TEXT);
      others.assertServed();
      JsonObject job = erase(s, ANA);
      String pseudonym = job.getString("pseudonym");
      assertTrue(pseudonym.matches("erased-[0-9a-f]{20}"), pseudonym);
      JsonObject done = awaitDone(s, job.getString("jobId"));
      JsonObject receipt = done.getJsonObject("receipt");
      assertEquals(List.of("r1", "r2", "r3"), receipt.getJsonArray("rooms").getList());
      JsonObject r1 = receipt.getJsonObject("done").getJsonObject("r1");
      assertEquals(2, r1.getInteger("chatMessagesRemoved"), r1::encode); // the third was deleted before
      assertEquals(1, r1.getInteger("reactionsRemoved"), r1::encode);
      assertEquals(3, r1.getInteger("boardElementsRemoved"), r1::encode);
      assertEquals(1, r1.getInteger("reportsAnonymised"), r1::encode);
      assertEquals(1, r1.getInteger("documentsAnonymised"), r1::encode);
      assertTrue(receipt.getInteger("auditEntriesAnonymised") >= 2, receipt::encode);
      others.assertServed();

      // The receipt is in each room's audit log, naming the pseudonym only.
      HttpResponse<String> audit = s.admin("GET", "/admin/audit?room=r1", null);
      assertTrue(audit.body().contains("erasure.receipt") && audit.body().contains(pseudonym),
          audit::body);
      assertFalse(audit.body().contains(ANA), audit::body);
      // The status by user id (the pseudonym is derived again).
      HttpResponse<String> byUser = s.admin("GET", "/admin/users/" + ANA + "/erase", null);
      assertEquals(done.getString("jobId"), new JsonObject(byUser.body()).getString("jobId"));
      assertFalse(byUser.body().contains(ANA), byUser::body);

      assertErasedView(s, pseudonym, boSays);
      // An export finds nothing of her any more.
      assertEquals(404, ExportIT.export(s, "/admin/users/" + ANA + "/export", TestServer.ADMIN_TOKEN)
          .statusCode());
      for (String t : concat(ANA_TEXTS, List.of(ANA, ANA_NAME, "ana-deleted-VVV", ANA_BOARD_TEXT))) {
        ChatRedactionIT.awaitNowhere(dir, t);
      }
      others.assertServed();
      // A fresh node on the same store.
      s.stop();
      s.start();
      assertErasedView(s, pseudonym, boSays);

      // Again: idempotent, nothing more to remove.
      JsonObject second = awaitDone(s, erase(s, ANA).getString("jobId"));
      for (Object counts : second.getJsonObject("receipt").getJsonObject("done").getMap().values()) {
        JsonObject c = counts instanceof JsonObject o ? o : new JsonObject((java.util.Map<String, Object>) counts);
        assertEquals(0, c.getInteger("chatMessagesRemoved") + c.getInteger("reactionsRemoved")
            + c.getInteger("boardElementsRemoved"), c::encode);
      }
      assertErasedView(s, pseudonym, boSays);
      for (String t : List.of(ANA, ANA_NAME)) {
        ChatRedactionIT.awaitNowhere(dir, t);
      }
    }
  }

  @Test
  void aJobStoppedAfterItsFirstRoomFinishesAfterARestart() throws Exception {
    UnaryOperator<PonteConfig.Builder> config = DurabilityIT.NO_RATE_LIMIT;
    try (TestServer s = new TestServer(dir, config)) {
      long boSays = fill(s);
      System.setProperty(ErasureJobs.TEST_STOP_AFTER_ROOMS, "1");
      String jobId;
      try {
        jobId = erase(s, ANA).getString("jobId");
        JsonObject status = null;
        for (int i = 0; i < 300; i++) {
          status = new JsonObject(s.admin("GET", "/admin/erasures/" + jobId, null).body());
          if (status.getJsonObject("receipt").getJsonObject("done").size() == 1) {
            break;
          }
          Thread.sleep(100);
        }
        Thread.sleep(500);
        status = new JsonObject(s.admin("GET", "/admin/erasures/" + jobId, null).body());
        assertEquals("running", status.getString("state"), status::encode);
        assertEquals(1, status.getJsonObject("receipt").getJsonObject("done").size(), status::encode);
        // r2 and r3 still hold her texts: the job stopped half-way.
        ChatRedactionIT.assertFilesHold(dir, ANA_TEXTS.get(4));
        s.stop();
      } finally {
        System.clearProperty(ErasureJobs.TEST_STOP_AFTER_ROOMS);
      }
      s.start(); // resumes unfinished jobs
      JsonObject done = awaitDone(s, jobId);
      assertEquals(3, done.getJsonObject("receipt").getJsonObject("done").size(), done::encode);
      assertErasedView(s, done.getString("pseudonym"), boSays);
      for (String t : concat(ANA_TEXTS, List.of(ANA, ANA_NAME))) {
        ChatRedactionIT.awaitNowhere(dir, t);
      }
    }
  }

  @Test
  void badRequestsGetTheirCodesAndBystandersKeepWorking() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "by")) {
      others.assertServed();
      assertEquals(401, s.http("POST", "/admin/users/x/erase", null, "Bearer wrong-token").statusCode());
      assertEquals(401, s.http("POST", "/admin/users/x/erase", null, null).statusCode());
      HttpResponse<String> spaced = s.admin("POST", "/admin/users/a%20b/erase", null);
      assertEquals(400, spaced.statusCode());
      assertEquals("ERASURE_USER_INVALID", new JsonObject(spaced.body()).getString("code"));
      HttpResponse<String> tooLong = s.admin("POST", "/admin/users/" + "u".repeat(129) + "/erase", null);
      assertEquals("ERASURE_USER_INVALID", new JsonObject(tooLong.body()).getString("code"));
      HttpResponse<String> query = s.admin("POST", "/admin/users/x/erase?now=1", null);
      assertEquals("ERASURE_USER_INVALID", new JsonObject(query.body()).getString("code"));
      HttpResponse<String> unknownJob = s.admin("GET", "/admin/erasures/no-such-job", null);
      assertEquals(404, unknownJob.statusCode());
      assertEquals("ERASURE_NOT_FOUND", new JsonObject(unknownJob.body()).getString("code"));
      HttpResponse<String> never = s.admin("GET", "/admin/users/never-erased/erase", null);
      assertEquals("ERASURE_NOT_FOUND", new JsonObject(never.body()).getString("code"));
      others.assertServed();
    }
  }

  // ---- PostgreSQL and Redis: two nodes --------------------------------------------------------

  /**
   * Two nodes on one PostgreSQL store and Redis: the erasure runs on node A while bo's client on
   * node B is in the room; B's clients get the erasure live, the rows hold nothing of hers, and
   * a third node sees the same room.
   */
  @Test
  void onPostgresWithRedisTheOtherNodesClientsSeeTheErasureAndTheRowsHoldNothing() throws Exception {
    String prefix = RedisFixture.newPrefix();
    String url = RedisFixture.get().url();
    java.util.function.Function<String, UnaryOperator<PonteConfig.Builder>> node = id -> b ->
        DurabilityIT.NO_RATE_LIMIT.apply(b).redisUrl(url).redisKeyPrefix(prefix).nodeId(id)
            .storeUrl(pg.schema().url()).snapshotInterval(10);
    try (TestServer a = new TestServer(dir.resolve("a"), node.apply("node-a"));
        TestServer b = new TestServer(dir.resolve("b"), node.apply("node-b"))) {
      long boSays = fill(a);
      assertTrue(rowsHold(ANA) > 0);
      assertTrue(rowsHold(ANA_BOARD_TEXT) > 0);
      try (TestClient bo = b.user("bo", "*", Role.STUDENT)) {
        bo.join("r1");
        JsonObject job = erase(a, ANA);
        Event erased = bo.awaitEvent(Event::hasParticipantErased, "the erasure, live on node B");
        assertEquals(job.getString("pseudonym"), erased.getParticipantErased().getPseudonym());
        assertEquals(3, erased.getParticipantErased().getMessageSeqsCount());
        awaitDone(a, job.getString("jobId"));
        assertErasedView(b, job.getString("pseudonym"), boSays);
      }
      for (int i = 0; i < 100
          && rowsHold(ANA) + rowsHold(ANA_TEXTS.get(1)) + rowsHold(ANA_BOARD_TEXT) > 0; i++) {
        Thread.sleep(100);
      }
      for (String t : concat(ANA_TEXTS, List.of(ANA, ANA_NAME, ANA_BOARD_TEXT))) {
        assertEquals(0, rowsHold(t), t);
      }
    }
    try (TestServer c = new TestServer(dir.resolve("c"), node.apply("node-c"))) {
      HttpResponse<String> byUser = c.admin("GET", "/admin/users/" + ANA + "/erase", null);
      assertEquals("done", new JsonObject(byUser.body()).getString("state"), byUser::body);
      try (TestClient cy = c.user("cy", "*", Role.TEACHER)) {
        assertNothingOfHers(cy.join("r1").toString() + cy.history("r1", 0, 100));
      }
    }
  }

  /** Rows of any table whose bytes hold the text. */
  private long rowsHold(String text) throws Exception {
    long n = 0;
    try (java.sql.Connection c = pg.schema().connection();
        java.sql.Statement st = c.createStatement()) {
      for (String sql : List.of("SELECT op FROM operations", "SELECT state FROM snapshots",
          "SELECT entry FROM audit_log", "SELECT actor_id FROM audit_log",
          "SELECT user_id || progress FROM erasure_jobs WHERE state = 'done'")) {
        try (java.sql.ResultSet rs = st.executeQuery(sql)) {
          while (rs.next()) {
            if (new String(rs.getBytes(1), StandardCharsets.ISO_8859_1)
                .contains(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1))) {
              n++;
            }
          }
        }
      }
    }
    return n;
  }
}
