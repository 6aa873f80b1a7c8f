package io.ponte.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke run of each scenario: a few seconds against a real server (a child JVM), asserting that
 * messages are delivered, no seq is missed or duplicated, nothing unexpected failed, and the
 * reports are written. No timing assertions.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LoadScenariosIT {
  @TempDir
  static Path dir;
  static ChildServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = ChildServer.start(dir.resolve("server"));
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private static LoadOptions options(String prefix) {
    LoadOptions o = new LoadOptions();
    o.urls = List.of(server.wsUrl());
    o.jwtSecret = ChildServer.SECRET;
    o.adminToken = ChildServer.ADMIN_TOKEN;
    o.roomPrefix = prefix;
    o.rooms = 3;
    o.roomSize = 5;
    o.rate = 2;
    o.warmup = Duration.ofMillis(500);
    o.duration = Duration.ofSeconds(2);
    o.rampUp = 200;
    o.progressSeconds = 1;
    o.scrapeSeconds = 1;
    o.eventLoops = 2;
    o.reportDir = dir.resolve("reports-" + prefix);
    return o;
  }

  private static LoadResult run(LoadRun.Scenario scenario, LoadOptions o) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    LoadResult r;
    try (PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8)) {
      r = new LoadRun(scenario, o, out).run();
    }
    String printed = console.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("==== ponte-load " + scenario.id()), () -> "no summary:\n" + printed);
    assertTrue(printed.contains("[   1s]") || printed.contains("[   2s]"), () -> "no progress line:\n" + printed);
    return r;
  }

  /** What every scenario must keep: everyone in, nothing lost or doubled, reports on disk. */
  private static void assertSound(LoadResult r) throws Exception {
    String summary = Report.text(r);
    assertEquals(r.participants, r.readyParticipants, () -> "not everyone got in:\n" + summary);
    assertEquals(0, r.missed, () -> "missed seqs:\n" + summary);
    assertEquals(0, r.duplicates, () -> "duplicated seqs:\n" + summary);
    assertEquals(0, r.strayEvents, () -> "events outside a room:\n" + summary);
    assertEquals(0, r.laggards, () -> "participants behind their room:\n" + summary);
    assertEquals(0, r.resumeResets, () -> "resumes answered with a snapshot:\n" + summary);
    assertTrue(r.errors.isEmpty(), () -> "unexpected errors " + r.errors + ":\n" + summary + server.log());
    assertTrue(r.closes.isEmpty(), () -> "unexpected closes " + r.closes + ":\n" + summary);
    assertEquals(0, r.connectFailures, () -> "connect failures:\n" + summary);
    assertTrue(r.consistent());

    assertTrue(Files.size(r.jsonReport) > 0);
    String json = Files.readString(r.jsonReport);
    assertTrue(json.contains("\"scenario\": \"" + r.scenario + "\""), json);
    assertTrue(json.contains("\"consistent\": true"), json);
    String html = Files.readString(r.htmlReport);
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertTrue(html.contains("<svg"), "plots are inline SVG");
    assertTrue(!html.contains("<script") && !html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""),
        "self-contained");
    assertTrue(!html.contains("<script"), "no scripts");
    assertTrue(Files.readString(r.textReport).contains("ponte-load " + r.scenario));
    // The server side was scraped too.
    assertTrue(r.server.values().stream().anyMatch(s -> !s.isEmpty()),
        () -> "no /metrics samples: " + r.scrapeFailures);
    assertTrue(r.server.values().stream().flatMap(List::stream)
        .anyMatch(s -> s.connections() > 0), "server connections were seen in /metrics");
  }

  @Test
  void idleKeepsConnectionsInTheirRooms() throws Exception {
    LoadOptions o = options("idle");
    o.rate = 0;
    LoadResult r = run(LoadRun.Scenario.IDLE, o);
    assertSound(r);
    assertEquals(15, r.participants);
    assertEquals(0, r.sent);
    assertEquals(15, r.join.count(), "every participant joined once");
  }

  @Test
  void chatDeliversEveryPostToEveryParticipant() throws Exception {
    LoadResult r = run(LoadRun.Scenario.CHAT, options("chat"));
    assertSound(r);
    assertTrue(r.sent > 0, "posts were sent");
    assertEquals(r.sent, r.acked, "every post was acknowledged");
    // Every post reaches all 5 participants of its room (the sender included).
    assertEquals(r.sent * 5, r.delivered, "deliveries");
    assertTrue(r.latency.count() > 0, "latency was recorded");
  }

  @Test
  void chatOverJson() throws Exception {
    LoadOptions o = options("chatjson");
    o.format = WireFormat.JSON;
    LoadResult r = run(LoadRun.Scenario.CHAT, o);
    assertSound(r);
    assertTrue(r.sent > 0);
    assertEquals(r.sent * 5, r.delivered, "deliveries");
  }

  @Test
  void stormResumesEveryoneWithNothingMissed() throws Exception {
    LoadOptions o = options("storm");
    o.rate = 1;
    o.writerRate = 10;
    o.storms = 2;
    o.stormInterval = Duration.ofSeconds(1);
    LoadResult r = run(LoadRun.Scenario.STORM, o);
    assertSound(r);
    assertEquals(2, r.storms.size());
    for (LoadResult.Storm s : r.storms) {
      assertEquals(15, s.participants());
      assertEquals(15, s.resumed(), "everyone resumed");
      assertEquals(0, s.resets(), "nobody got a snapshot instead of the missed events");
    }
    assertEquals(30, r.resumesOk, "15 participants x 2 storms resumed their room");
    assertTrue(r.delivered > 0);
  }

  @Test
  void classroomMixKeepsSeqsIntact() throws Exception {
    LoadOptions o = options("class");
    o.rooms = 2;
    o.roomSize = 6;
    o.rate = 1;
    o.teacherRate = 1;
    o.typingProbability = 1;
    o.churnPerMinute = 30; // half the students per second: churn happens within the short run
    o.teacherActionInterval = Duration.ofMillis(800);
    o.duration = Duration.ofSeconds(3);
    o.typists = 2; // document typing: two students per room
    o.docRate = 5;
    o.drawers = 1; // one student per room draws on the whiteboard
    LoadResult r = run(LoadRun.Scenario.CLASSROOM, o);
    assertSound(r);
    assertTrue(r.delivered > 0, "chat was delivered");
    assertTrue(r.typingSent > 0, "typing indicators were sent");
    assertTrue(r.teacherActions > 0, "teachers acted");
    assertTrue(r.leaves > 0, "students left");
    assertTrue(r.resumesOk > 0, "students rejoined with their last seq");
    assertTrue(r.otherEvents > 0, "teacher actions reached the room as events");
    assertTrue(r.ephemeralEvents > 0, "presence and typing events arrived");
    assertTrue(r.docs != null && r.docs.sent > 0, "students typed into the room's document");
    assertEquals(2, r.docs.created + r.docs.existed, "each teacher created the document");
    assertTrue(r.docs.delivered > 0, "document updates were delivered");
    assertTrue(r.docs.latency.count() > 0, "document update latency was recorded");
    assertTrue(r.ink != null && r.ink.sent > 0, "a student per room drew live ink");
    assertEquals(2, r.ink.drawers);
    assertEquals(2, r.ink.boardsCreated + r.ink.boardsExisted, "each teacher created the board");
    assertTrue(r.ink.delivered > 0, "live ink was delivered");
    assertTrue(r.ink.latency.count() > 0, "ink latency was recorded");
    // No assertion on committed strokes here: with half the students churning each second and the
    // room locked for a second in every 1.6, a 3 s run can abandon or see refused every 1-2 s stroke
    // (the CI failure of 2026-12-05). Commit delivery is counted exactly in the ink test below.
    assertTrue(r.ink.commitsDelivered <= (r.ink.commitsSent) * o.roomSize,
        "no commit delivered more often than the room has members");
  }

  @Test
  void classroomWithALobbyAndPollsAdmitsEveryoneAndCountsTheAnswers() throws Exception {
    LoadOptions o = options("lobbypoll");
    o.rooms = 2;
    o.roomSize = 7;
    o.teachers = 2;
    o.rate = 0.5;
    o.churnPerMinute = 0;
    o.teacherActionInterval = Duration.ofSeconds(60); // no lock: knocks are never refused here
    o.typists = 0;
    o.drawers = 0;
    o.lobby = true;
    o.pollInterval = Duration.ofSeconds(2);
    o.duration = Duration.ofSeconds(4);
    LoadResult r = run(LoadRun.Scenario.CLASSROOM, o);
    assertSound(r);
    LoadResult.ClassRun c = r.classRun;
    assertTrue(c != null && c.lobby, "a class run with a lobby");
    assertEquals(2 * 5, c.lobbyWaits.count(), "every student waited once, then was admitted");
    assertTrue(c.lobbyStatuses >= 10, "waiting students were told their place");
    assertTrue(c.polls >= 2, "each room's leading teacher ran a poll");
    assertTrue(c.pollAnswers.count() > 0, "students answered polls");
    // Per room at least one "Admit all" and a poll's create and open.
    assertTrue(c.teacherOps.count() >= 2 * 3, "admits and poll steps were acknowledged");
    String summary = Report.text(r);
    assertTrue(summary.contains("lobby ") && summary.contains("polls "), summary);
  }

  @Test
  void classroomMovesEveryoneIntoBreakoutsAndBack() throws Exception {
    LoadOptions o = options("breakout");
    o.rooms = 2;
    o.roomSize = 8;
    o.teachers = 2;
    o.rate = 0.5;
    o.churnPerMinute = 0;
    o.teacherActionInterval = Duration.ofSeconds(60);
    o.typists = 0;
    o.drawers = 0;
    o.lobby = true; // admitted to the main room, learners enter their breakout without waiting again
    o.pollInterval = Duration.ofSeconds(2);
    o.breakouts = 3;
    o.duration = Duration.ofSeconds(6);
    LoadResult r = run(LoadRun.Scenario.CLASSROOM, o);
    assertSound(r);
    LoadResult.ClassRun c = r.classRun;
    assertEquals(2, c.breakoutRounds, "each room's leading teacher opened a round");
    assertEquals(2 * 6, c.breakoutIn.count(), () -> "every student entered their breakout:\n" + Report.text(r));
    assertEquals(2 * 6, c.breakoutOut.count(), () -> "every student came back:\n" + Report.text(r));
    assertTrue(Report.text(r).contains("breakouts    2 rounds of 3"), Report.text(r));
  }

  @Test
  void inkDeliversEveryChunkToTheRestOfTheRoom() throws Exception {
    LoadOptions o = options("ink");
    o.rooms = 2;
    o.roomSize = 5;
    o.drawers = 3;
    o.rate = 0;
    o.duration = Duration.ofSeconds(3);
    LoadResult r = run(LoadRun.Scenario.INK, o);
    assertSound(r);
    LoadResult.Ink k = r.ink;
    assertEquals(2, k.boards);
    assertEquals(2, k.boardsCreated, "each room's teacher created the board with the run's page");
    assertEquals(6, k.drawers);
    assertTrue(k.sent > 0, "live ink was sent");
    // Live ink goes to everyone in the room but its drawer: the 4 others.
    assertEquals(k.sent * 4, k.delivered, "ink deliveries");
    assertEquals(0, k.notDelivered, "nothing missed");
    assertEquals(0, k.gaps, "no chunk skipped within a stroke");
    assertEquals(0, k.reordered, "chunks in order");
    assertTrue(k.latency.count() > 0, "ink latency was recorded");
    assertTrue(k.deliveredPerSecond > 0);
    assertTrue(k.commitsSent > 0, "finished strokes were committed");
    assertEquals(k.commitsSent, k.commitsAcked, "every stroke was accepted as an element");
    // A commit is a sequenced board change: everyone gets it, its drawer too.
    assertEquals(k.commitsSent * 5, k.commitsDelivered, "commit deliveries");
    assertTrue(k.commitLatency.count() > 0, "commit latency was recorded");
    assertTrue(k.serverDropped.isEmpty(), () -> "the server dropped " + k.serverDropped);
    assertTrue(Files.readString(r.textReport).contains("ink latency"));
    assertTrue(Files.readString(r.jsonReport).contains("\"ink\""));

    // A rerun on the same rooms: the board exists, the run adds its own page and draws there.
    LoadResult again = run(LoadRun.Scenario.INK, o);
    assertSound(again);
    assertEquals(2, again.ink.boardsCreated, "the page was added to the existing board");
    assertEquals(Map.of("BOARD_EXISTS", 2L), again.expectedErrors);
    assertEquals(again.ink.sent * 4, again.ink.delivered);
    assertEquals(again.ink.commitsSent * 5, again.ink.commitsDelivered);
  }

  @Test
  void chatOffersCompressionLikeABrowser() throws Exception {
    // The default server may accept or decline (ws-compression); either way nothing is lost.
    LoadOptions o = options("chatdeflate");
    o.format = WireFormat.JSON;
    assertTrue(o.compression, "offered by default");
    LoadResult r = run(LoadRun.Scenario.CHAT, o);
    assertSound(r);
    assertEquals(r.sent * 5, r.delivered, "deliveries");
    assertEquals(15, r.compressedSockets + r.uncompressedSockets, "every socket's negotiation was recorded");
    assertTrue(Files.readString(r.jsonReport).contains("\"negotiatedSockets\""));

    // A node that accepts it: every socket deflates, and still nothing is lost.
    try (ChildServer deflating = ChildServer.start(dir.resolve("server-deflate"), "--ws-compression", "on")) {
      LoadOptions od = options("chatdeflateon");
      od.urls = List.of(deflating.wsUrl());
      LoadResult rd = run(LoadRun.Scenario.CHAT, od);
      assertSound(rd);
      assertEquals(rd.sent * 5, rd.delivered, "deliveries");
      assertEquals(15, rd.compressedSockets, "the node accepted permessage-deflate on every socket");
    }

    LoadOptions off = options("chatnodeflate");
    off.compression = false;
    LoadResult ro = run(LoadRun.Scenario.CHAT, off);
    assertSound(ro);
    assertEquals(0, ro.compressedSockets, "not offered, not negotiated");
  }

  /** Docs through stock-provider framing: every keystroke reaches every other provider once. */
  private static void docsOverProviders(LoadOptions.DocEndpoint endpoint, String prefix) throws Exception {
    LoadOptions o = options(prefix);
    o.rooms = 2;
    o.roomSize = 5;
    o.typists = 2;
    o.docRate = 10;
    o.rate = 0;
    o.docEndpoint = endpoint;
    LoadResult r = run(LoadRun.Scenario.DOCS, o);
    assertSound(r);
    LoadResult.Docs d = r.docs;
    assertEquals(2, d.documents);
    assertEquals(2, d.created, "each room's teacher created the document on /ws first");
    assertEquals(12, r.participants, "two creators and ten providers");
    assertEquals(4, d.typists);
    assertTrue(d.sent > 0, "keystrokes were sent");
    // Each update reaches the 4 other providers of its document (an echo to its typist is not counted).
    assertEquals(d.sent * 4, d.delivered, "deliveries");
    assertTrue(d.latency.count() > 0, "update latency was recorded");
    if (endpoint == LoadOptions.DocEndpoint.HOCUSPOCUS) {
      assertEquals(d.sent, d.acked, "every update was answered SyncStatus applied");
    }
    assertTrue(Files.readString(r.jsonReport).contains("\"endpoint\": \"" + endpoint.name().toLowerCase() + "\""));
  }

  @Test
  void docsOverYWebsocketFraming() throws Exception {
    docsOverProviders(LoadOptions.DocEndpoint.YJS, "docsyjs");
  }

  @Test
  void docsOverHocuspocusFraming() throws Exception {
    docsOverProviders(LoadOptions.DocEndpoint.HOCUSPOCUS, "docshp");
  }

  @Test
  void docsScenarioDeliversEveryUpdate() throws Exception {
    LoadOptions o = options("docs");
    o.rooms = 2;
    o.roomSize = 6;
    o.typists = 3;
    o.docRate = 10;
    o.rate = 0;
    LoadResult r = run(LoadRun.Scenario.DOCS, o);
    assertSound(r);
    LoadResult.Docs d = r.docs;
    assertEquals(2, d.documents);
    assertEquals(2, d.created, "each room's teacher created the document");
    assertEquals(6, d.typists);
    assertTrue(d.sent > 0, "keystrokes were sent");
    assertEquals(d.sent, d.acked, "every update was accepted (valid Yjs) and acknowledged");
    // Every update reaches all 6 participants of its room (the typist included).
    assertEquals(d.sent * 6, d.delivered, "deliveries");
    assertTrue(d.latency.count() > 0, "update latency was recorded");
    assertTrue(r.expectedErrors.isEmpty(), () -> "errors: " + r.expectedErrors);
    assertTrue(Files.readString(r.textReport).contains("doc latency"));
    assertTrue(Files.readString(r.jsonReport).contains("\"documents\""));

    // A rerun on the same rooms: the documents exist (DOC_EXISTS is fine), typing goes on.
    LoadResult again = run(LoadRun.Scenario.DOCS, o);
    assertSound(again);
    assertEquals(2, again.docs.existed);
    assertEquals(again.docs.sent, again.docs.acked);
    assertEquals(again.docs.sent * 6, again.docs.delivered);
  }
}
