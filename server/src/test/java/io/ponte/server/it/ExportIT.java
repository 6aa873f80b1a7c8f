package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ElementsDelete;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.ReportReason;
import io.ponte.protocol.v1.ReportStatus;
import io.ponte.protocol.v1.ReportTarget;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.server.store.PgTestSchema;
import io.ponte.server.store.SqliteStore;
import io.ponte.yjs.Lib0Encoder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export of one learner (GET /admin/users/{id}/export) against a real node and store: a
 * learner chats, edits, deletes, reacts, draws, writes in a document, answers a named and an
 * anonymous poll and files a report in two rooms, and the archive holds exactly that (and nothing
 * of the other learners); bad requests get their codes; a long history is read page by page while
 * bystanders keep chatting.
 */
@Timeout(240)
class ExportIT {
  @TempDir
  Path dir;

  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  // ---- helpers ----------------------------------------------------------------------------

  /** The export's files by name, as text. */
  static Map<String, String> unzip(byte[] zip) throws IOException {
    return unzip(new ByteArrayInputStream(zip));
  }

  static Map<String, String> unzip(InputStream in) throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    try (ZipInputStream z = new ZipInputStream(in, StandardCharsets.UTF_8)) {
      ZipEntry e;
      while ((e = z.getNextEntry()) != null) {
        files.put(e.getName(), new String(z.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return files;
  }

  static HttpResponse<byte[]> export(TestServer s, String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .timeout(Duration.ofSeconds(120)).GET();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    try {
      return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (Exception e) {
      throw new AssertionError("export request failed", e);
    }
  }

  static JsonObject error(HttpResponse<byte[]> r) {
    return new JsonObject(new String(r.body(), StandardCharsets.UTF_8));
  }

  /** An update that deletes [clock, clock + len) of a client's items. */
  static byte[] deletion(long client, long clock, long len) {
    Lib0Encoder e = new Lib0Encoder();
    e.writeVarUint(0);
    e.writeVarUint(1).writeVarUint(client).writeVarUint(1).writeVarUint(clock).writeVarUint(len);
    return e.toByteArray();
  }

  static JsonObject only(JsonArray a, String what) {
    assertEquals(1, a.size(), () -> what + ": " + a.encodePrettily());
    return a.getJsonObject(0);
  }

  // ---- what the learner did, and what the archive says --------------------------------------

  @Test
  void theArchiveHoldsWhatTheLearnerDidOnSqlite() throws Exception {
    scenario(DurabilityIT.NO_RATE_LIMIT);
  }

  @Test
  void theArchiveHoldsWhatTheLearnerDidOnPostgres() throws Exception {
    scenario(b -> DurabilityIT.NO_RATE_LIMIT.apply(b).storeUrl(pg.schema().url()));
  }

  private void scenario(UnaryOperator<PonteConfig.Builder> config) throws Exception {
    try (TestServer s = new TestServer(dir, config)) {
      for (String r : List.of("r1", "r2", "r3")) {
        s.createRoom(r);
      }
      try (TestClient tina = s.user("tina", "*", Role.TEACHER);
          TestClient ana = s.user("ana", "*", Role.STUDENT);
          TestClient bo = s.user("bo", "*", Role.STUDENT)) {
        for (TestClient c : List.of(tina, ana, bo)) {
          c.join("r1");
        }
        // chat: a post edited, a post deleted, a question to the teachers
        long hello = ana.post("r1", "hello").getSeq();
        TestClient.ack(ana.request(ChatOpsIT.edit("r1", hello, "hello all")));
        long oops = ana.post("r1", "oops").getSeq();
        TestClient.ack(ana.request(ChatOpsIT.delete("r1", oops)));
        long question = TestClient.ack(ana.post(ChatPost.newBuilder().setRoomId("r1")
            .setText("may I ask?").setToTeachers(true))).getSeq();
        // bo's message: ana reacts to it (one reaction stays, one is taken back) and reports it
        long boSays = bo.post("r1", "bo-private-words").getSeq();
        TestClient.ack(ana.request(ChatOpsIT.react("r1", boSays, "👍", true)));
        TestClient.ack(ana.request(ChatOpsIT.react("r1", boSays, "❤", true)));
        TestClient.ack(ana.request(ChatOpsIT.react("r1", boSays, "❤", false)));
        long reportMade = TestClient.ack(ana.request(ReportIT.report("r1",
            ReportTarget.newBuilder().setMessageSeq(boSays), ReportReason.SPAM, "ana-report-text"))).getSeq();
        // bo reports ana's message; the teacher dismisses it
        long reportAbout = TestClient.ack(bo.request(ReportIT.report("r1",
            ReportTarget.newBuilder().setMessageSeq(hello), ReportReason.HARASSMENT, "bo-report-text"))).getSeq();
        TestClient.ack(tina.request(ReportIT.resolve("r1", reportAbout, ReportStatus.REPORT_DISMISSED)));
        // the board: two elements, one deleted again; bo's own element
        TestClient.ack(tina.request(WhiteboardIT.createBoard("r1", "b1", "p1")));
        TestClient.ack(ana.request(WhiteboardIT.add("r1", "b1", "p1",
            WhiteboardIT.stroke("e1", "a0"), WhiteboardIT.box("e2", "a1"))));
        TestClient.ack(ana.request(WhiteboardIT.board("r1", "b1", io.ponte.protocol.v1.BoardRequest.newBuilder()
            .setDeleteElements(ElementsDelete.newBuilder().setPageId("p1").addElementIds("e2")))));
        TestClient.ack(bo.request(WhiteboardIT.add("r1", "b1", "p1", WhiteboardIT.box("bo-element", "a2"))));
        // a document: ana types, deletes her first word; bo types too
        TestClient.ack(DocumentsIT.create(tina, "r1", "d1", false));
        YTextUpdates anaTypes = new YTextUpdates(101, "t");
        TestClient.ack(DocumentsIT.update(ana, "r1", "d1", anaTypes.append("Ana wrote this")));
        TestClient.ack(DocumentsIT.update(ana, "r1", "d1", deletion(101, 0, 4)));
        TestClient.ack(DocumentsIT.update(bo, "r1", "d1", new YTextUpdates(202, "t").append("Bo-doc-words")));
        // a named and an anonymous poll
        TestClient.ack(tina.request(PollIT.create("r1", "named", PollIT.question("Best day?", "Mon", "Tue"))));
        TestClient.ack(tina.request(PollIT.open("r1", "named")));
        TestClient.ack(ana.request(PollIT.answer("r1", "named", "a1", 1)));
        TestClient.ack(tina.request(PollIT.create("r1", "anon",
            PollIT.question("Secret-question?", "yes", "no").setAnonymous(true))));
        TestClient.ack(tina.request(PollIT.open("r1", "anon")));
        TestClient.ack(ana.request(PollIT.answer("r1", "anon", "a2", 0)));
        // a named poll answered, then deleted by the teacher: only in the history
        TestClient.ack(tina.request(PollIT.create("r1", "gone", PollIT.question("Deleted poll?", "a", "b"))));
        TestClient.ack(tina.request(PollIT.open("r1", "gone")));
        TestClient.ack(ana.request(PollIT.answer("r1", "gone", "a3", 0)));
        TestClient.ack(tina.request(PollIT.poll("r1", "gone", io.ponte.protocol.v1.PollRequest.newBuilder()
            .setDelete(io.ponte.protocol.v1.PollDelete.getDefaultInstance()))));
        // a teacher mutes and unmutes her (audit entries about her)
        TestClient.ack(ModerationIT.mute(tina, "r1", "ana", true));
        TestClient.ack(ModerationIT.mute(tina, "r1", "ana", false));
        // r2: one message; r3: only bo
        ana.join("r2");
        long inTwo = ana.post("r2", "in room two").getSeq();
        bo.join("r3");
        bo.post("r3", "bo alone");

        HttpResponse<byte[]> r = export(s, "/admin/users/ana/export", TestServer.ADMIN_TOKEN);
        assertEquals(200, r.statusCode(), () -> new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("application/zip", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.headers().firstValue("Content-Disposition").orElse("").startsWith("attachment"));
        Map<String, String> files = unzip(r.body());
        assertEquals(List.of("rooms/r1.json", "rooms/r2.json", "profile.json", "summary.txt"),
            new ArrayList<>(files.keySet()));

        // nothing of the other learners: not bo's words, reports, element, document text or name
        for (Map.Entry<String, String> f : files.entrySet()) {
          for (String foreign : List.of("bo-private-words", "bo-report-text", "bo-element", "Bo-doc-words",
              "User bo", "\"bo\"", "Secret-question?", "tina", "bo alone")) {
            assertFalse(f.getValue().contains(foreign), f.getKey() + " contains " + foreign);
          }
        }

        assertTrue(files.get("rooms/r1.json").contains("\"👍\""), "characters beyond the BMP as they are");
        JsonObject one = new JsonObject(files.get("rooms/r1.json"));
        assertEquals("r1", one.getString("roomId"));
        assertTrue(one.getBoolean("currentStateAvailable"));
        JsonArray chat = one.getJsonArray("chatMessages");
        assertEquals(3, chat.size(), chat::encodePrettily);
        JsonObject first = chat.getJsonObject(0);
        assertEquals(hello, first.getLong("seq"));
        assertEquals("", first.getString("text"), "an edited post's old text is blanked where stored");
        assertEquals("hello all", first.getString("currentText"));
        assertFalse(first.getBoolean("deleted"));
        assertEquals("hello all", only(first.getJsonArray("edits"), "edits").getString("text"));
        JsonObject second = chat.getJsonObject(1);
        assertEquals(oops, second.getLong("seq"));
        assertEquals("", second.getString("text"), "a deleted post's text is blanked where stored");
        assertTrue(second.getBoolean("deleted"));
        assertFalse(second.containsKey("currentText"));
        assertTrue(second.getLong("deletedMs") >= second.getLong("postedMs"));
        JsonObject third = chat.getJsonObject(2);
        assertEquals(question, third.getLong("seq"));
        assertEquals("teachers", third.getString("to"));
        assertEquals(0, third.getJsonArray("edits").size());

        JsonArray reactions = one.getJsonArray("reactions");
        assertEquals(3, reactions.size(), reactions::encodePrettily);
        assertEquals(List.of("👍", "❤", "❤"), reactions.stream()
            .map(o -> ((JsonObject) o).getString("reaction")).toList());
        assertEquals(List.of(true, true, false), reactions.stream()
            .map(o -> ((JsonObject) o).getBoolean("added")).toList());
        assertEquals(List.of(true, false, false), reactions.stream()
            .map(o -> ((JsonObject) o).getBoolean("stillPresent")).toList());
        assertEquals(boSays, reactions.getJsonObject(0).getLong("messageSeq"));

        JsonArray elements = one.getJsonArray("boardElements");
        assertEquals(2, elements.size(), elements::encodePrettily);
        JsonObject e1 = elements.getJsonObject(0);
        assertEquals("e1", e1.getString("elementId"));
        assertEquals("path", e1.getString("kind"));
        assertTrue(e1.getBoolean("stillPresent"));
        assertNotNull(e1.getJsonObject("data").getJsonObject("path"), e1::encodePrettily);
        JsonObject e2 = elements.getJsonObject(1);
        assertEquals("e2", e2.getString("elementId"));
        assertEquals("rectangle", e2.getString("kind"));
        assertFalse(e2.getBoolean("stillPresent"));

        JsonObject doc = only(one.getJsonArray("documents"), "documents");
        assertEquals("d1", doc.getString("docId"));
        assertEquals("wrote this", String.join("", doc.getJsonArray("textStillPresent").stream()
            .map(Object::toString).toList()));
        assertEquals(10, doc.getInteger("characters"));

        JsonObject answer = only(one.getJsonArray("pollAnswers"), "poll answers (the anonymous one absent)");
        assertEquals("named", answer.getString("pollId"));
        assertEquals("Best day?", answer.getString("question"));
        assertEquals(new JsonArray().add("Tue"), answer.getJsonArray("chosenOptions"));

        JsonArray history = one.getJsonArray("pollAnswerHistory");
        assertEquals(List.of("named", "gone"), history.stream()
            .map(o -> ((JsonObject) o).getString("pollId")).toList(), history::encodePrettily);
        assertEquals("Deleted poll?", history.getJsonObject(1).getString("question"));
        assertEquals(new JsonArray().add("a"), history.getJsonObject(1).getJsonArray("chosenOptions"));

        JsonObject made = only(one.getJsonArray("reportsMade"), "reports made");
        assertEquals(reportMade, made.getLong("reportSeq"));
        assertEquals("spam", made.getString("reason"));
        assertEquals("ana-report-text", made.getString("text"));
        assertEquals("message", made.getString("targetKind"));
        JsonObject about = only(one.getJsonArray("reportsAbout"), "reports about her");
        assertEquals(reportAbout, about.getLong("reportSeq"));
        assertEquals("harassment", about.getString("reason"));
        assertEquals("dismissed", about.getString("status"));
        assertFalse(about.containsKey("text"), "not the reporter's words");

        JsonArray audit = one.getJsonArray("audit");
        List<String> actions = audit.stream().map(o -> ((JsonObject) o).getString("action")).toList();
        assertTrue(actions.contains("report.dismiss"), actions::toString);
        assertTrue(audit.stream().allMatch(o -> ((JsonObject) o).getBoolean("aboutLearner")
            || ((JsonObject) o).getBoolean("byLearner")), audit::encodePrettily);
        assertTrue(audit.stream().filter(o -> ((JsonObject) o).getString("action").contains("mute")).count() >= 2,
            audit::encodePrettily);

        assertEquals(new JsonArray().add("student"), one.getJsonArray("roles"));
        assertEquals(new JsonArray().add("User ana"), one.getJsonArray("displayNames"));

        JsonObject two = new JsonObject(files.get("rooms/r2.json"));
        assertEquals(inTwo, only(two.getJsonArray("chatMessages"), "r2 chat").getLong("seq"));
        assertEquals(0, two.getJsonArray("reactions").size());

        JsonObject profile = new JsonObject(files.get("profile.json"));
        assertEquals("ana", profile.getString("userId"));
        assertEquals(new JsonArray().add("User ana"), profile.getJsonArray("displayNames"));
        assertEquals(new JsonArray().add("student"), profile.getJsonArray("roles"));
        assertEquals(2, profile.getJsonArray("rooms").size());
        assertTrue(profile.getLong("firstSeenMs") <= profile.getLong("lastSeenMs"));
        String summary = files.get("summary.txt");
        assertTrue(summary.contains("User id:     ana"), summary);
        assertTrue(summary.contains("r1") && summary.contains("r2") && !summary.contains("r3"), summary);
        assertTrue(summary.contains("3 chat messages"), summary);
      }
    }
  }

  // ---- bad requests -------------------------------------------------------------------------

  @Test
  void badRequestsGetTheirCodesAndBystandersKeepWorking() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "by")) {
      others.assertServed();
      assertEquals(401, export(s, "/admin/users/poster-by/export", "wrong-token").statusCode());
      assertEquals(401, export(s, "/admin/users/poster-by/export", null).statusCode());
      HttpResponse<byte[]> spaced = export(s, "/admin/users/a%20b/export", TestServer.ADMIN_TOKEN);
      assertEquals(400, spaced.statusCode());
      assertEquals("EXPORT_USER_INVALID", error(spaced).getString("code"));
      String tooLong = "u".repeat(129);
      assertEquals("EXPORT_USER_INVALID",
          error(export(s, "/admin/users/" + tooLong + "/export", TestServer.ADMIN_TOKEN)).getString("code"));
      HttpResponse<byte[]> query = export(s, "/admin/users/poster-by/export?format=csv", TestServer.ADMIN_TOKEN);
      assertEquals(400, query.statusCode());
      assertEquals("EXPORT_USER_INVALID", error(query).getString("code"));
      HttpResponse<byte[]> unknown = export(s, "/admin/users/nobody/export", TestServer.ADMIN_TOKEN);
      assertEquals(404, unknown.statusCode());
      assertEquals("EXPORT_USER_NOT_FOUND", error(unknown).getString("code"));
      others.assertServed();
      // the poster has operations: an archive of one room
      HttpResponse<byte[]> poster = export(s, "/admin/users/poster-by/export", TestServer.ADMIN_TOKEN);
      assertEquals(200, poster.statusCode());
      others.assertServed();
    }
  }

  // ---- a long history -----------------------------------------------------------------------

  /**
   * 20,000 stored operations (half of them the learner's posts, written straight into the node's
   * SQLite store while it is down): the export reads them in pages, as the ponte.export.pages
   * metric shows, streams an archive with every post, and bystanders chat meanwhile.
   */
  @Test
  void aLongHistoryIsReadPageByPageWhileBystandersChat() throws Exception {
    int ops = 20_000;
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("long");
      long t0 = System.currentTimeMillis() - ops;
      fill(s, "long", ops, i -> {
        boolean mine = i % 2 == 0;
        return Operation.newBuilder()
            .setActor(Actor.newBuilder().setUserId(mine ? "lena" : "max")
                .setDisplayName(mine ? "Lena" : "Max").setRole(Role.STUDENT))
            .setServerTimeMs(t0 + i)
            .setChatPost(ChatPost.newBuilder().setRoomId("long").setText((mine ? "lena " : "max ") + i))
            .build();
      });
      double pagesBefore = pagesRead(s);
      try (Bystanders others = new Bystanders(s, "by")) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/admin/users/lena/export"))
            .timeout(Duration.ofSeconds(180)).header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN).GET().build();
        CompletableFuture<HttpResponse<InputStream>> pending = HttpClient.newHttpClient()
            .sendAsync(req, HttpResponse.BodyHandlers.ofInputStream());
        others.assertServed();
        HttpResponse<InputStream> r = pending.get(180, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        Map<String, String> files = unzip(r.body());
        others.assertServed();
        JsonObject room = new JsonObject(files.get("rooms/long.json"));
        JsonArray chat = room.getJsonArray("chatMessages");
        assertEquals(ops / 2, chat.size());
        assertEquals("lena 2", chat.getJsonObject(0).getString("text"));
        assertEquals("lena " + ops, chat.getJsonObject(chat.size() - 1).getString("text"));
        assertEquals(ops / 2, room.getJsonObject("operations").getInteger("chat messages"));
        assertFalse(files.get("rooms/long.json").contains("max "), "the other learner's posts");
      }
      double pages = pagesRead(s) - pagesBefore;
      // rebuilt, chat, reactions, board: 40 pages each (finding her stops at her first post)
      assertTrue(pages >= 4.0 * ops / 500, "pages read: " + pages);
    }
  }

  /** Stops the node, stores operations 1..count of a room straight into its SQLite store, restarts it. */
  private void fill(TestServer s, String roomId, int count, java.util.function.IntFunction<Operation> op)
      throws Exception {
    s.stop();
    SqliteStore store = SqliteStore.open(dir, SqliteStore.Options.defaults())
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    try {
      List<Future<Void>> writes = new ArrayList<>();
      for (int i = 1; i <= count; i++) {
        writes.add(store.append(roomId, SequencedOperation.newBuilder().setSeq(i).setOperation(op.apply(i)).build()));
      }
      Future.all(writes).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } finally {
      store.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    s.start();
  }

  /**
   * Back-pressure: two exports whose clients read nothing beyond the status line stay blocked on
   * their sockets (the archive is far larger than the socket buffers), so they hold both export
   * slots and a third export is EXPORT_BUSY; once those clients hang up, exports run again.
   */
  @Test
  void clientsThatDoNotReadHoldTheirExportsBackAndAThirdIsBusy() throws Exception {
    int posts = 3000;
    java.util.Random random = new java.util.Random(7);
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("big");
      fill(s, "big", posts, i -> {
        StringBuilder text = new StringBuilder(4000);
        for (int k = 0; k < 4000; k++) {
          text.append((char) ('!' + random.nextInt(90))); // hardly compressible
        }
        return Operation.newBuilder()
            .setActor(Actor.newBuilder().setUserId(i == 1 ? "max" : "lena").setRole(Role.STUDENT))
            .setServerTimeMs(1_000_000 + i)
            .setChatPost(ChatPost.newBuilder().setRoomId("big").setText(text.toString()))
            .build();
      });
      try (Bystanders others = new Bystanders(s, "by")) {
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
          for (int i = 0; i < 2; i++) {
            java.net.Socket socket = new java.net.Socket();
            socket.setReceiveBufferSize(16 * 1024);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", s.port()), 5000);
            stalled.add(socket);
            socket.getOutputStream().write(("GET /admin/users/lena/export HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + TestServer.ADMIN_TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            StringBuilder status = new StringBuilder();
            int c;
            while ((c = socket.getInputStream().read()) != -1 && c != '\n') {
              status.append((char) c);
            }
            assertTrue(status.toString().startsWith("HTTP/1.1 200"), status::toString);
          }
          HttpResponse<byte[]> busy = export(s, "/admin/users/max/export", TestServer.ADMIN_TOKEN);
          assertEquals(503, busy.statusCode());
          assertEquals("EXPORT_BUSY", error(busy).getString("code"));
          assertTrue(busy.headers().firstValue("Retry-After").isPresent());
          others.assertServed();
        } finally {
          for (java.net.Socket socket : stalled) {
            socket.close();
          }
        }
        // The stalled exports notice the closed connections and give their slots back.
        HttpResponse<byte[]> again = export(s, "/admin/users/max/export", TestServer.ADMIN_TOKEN);
        for (int attempt = 0; again.statusCode() == 503 && attempt < 100; attempt++) {
          Thread.sleep(200);
          again = export(s, "/admin/users/max/export", TestServer.ADMIN_TOKEN);
        }
        assertEquals(200, again.statusCode());
        JsonObject room = new JsonObject(unzip(again.body()).get("rooms/big.json"));
        assertEquals(1, room.getJsonArray("chatMessages").size());
        others.assertServed();
      }
    }
  }

  private static double pagesRead(TestServer s) {
    String metrics = new String(export(s, "/metrics", null).body(), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("(?m)^ponte_export_pages_total(?:\\{[^}]*\\})? (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
