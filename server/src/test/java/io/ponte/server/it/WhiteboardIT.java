package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Board;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardInk;
import io.ponte.protocol.v1.BoardLiveInk;
import io.ponte.protocol.v1.BoardLock;
import io.ponte.protocol.v1.BoardPath;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardRevert;
import io.ponte.protocol.v1.BoardStyle;
import io.ponte.protocol.v1.BoardText;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ElementPatch;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsChanged;
import io.ponte.protocol.v1.ElementsUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.InkStroke;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LaserPointer;
import io.ponte.protocol.v1.PageDelete;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.redis.RedisFixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared whiteboard with real WebSocket clients: live ink before the commit, late joiners,
 * locks, revert, restart, resume, two nodes through Redis, low-bandwidth mode, and hostile input
 * refused with its code while bystanders keep drawing.
 */
@Timeout(120)
class WhiteboardIT {
  private static final Duration QUIET = Duration.ofMillis(700);

  @TempDir
  Path dir;

  // ---- requests -----------------------------------------------------------------------------

  static ClientMessage.Builder board(String room, String boardId, BoardRequest.Builder op) {
    return ClientMessage.newBuilder().setBoard(op.setRoomId(room).setBoardId(boardId));
  }

  static ClientMessage.Builder createBoard(String room, String boardId, String firstPage) {
    return board(room, boardId, BoardRequest.newBuilder()
        .setCreateBoard(BoardCreate.newBuilder().setTitle("Board").setFirstPageId(firstPage)));
  }

  static BoardPath path(int... absolute) {
    BoardPath.Builder p = BoardPath.newBuilder();
    int px = 0;
    int py = 0;
    for (int i = 0; i < absolute.length; i += 2) {
      p.addPoints(absolute[i] - px).addPoints(absolute[i + 1] - py);
      px = absolute[i];
      py = absolute[i + 1];
    }
    return p.build();
  }

  static BoardElement stroke(String id, String z) {
    return BoardElement.newBuilder().setElementId(id).setZ(z)
        .setStyle(BoardStyle.newBuilder().setStroke("#1565c0").setWidth(3))
        .setPath(path(10, 10, 20, 25, 40, 30)).build();
  }

  static BoardElement box(String id, String z) {
    return BoardElement.newBuilder().setElementId(id).setZ(z)
        .setRectangle(BoardBox.newBuilder().setX(100).setY(100).setWidth(50).setHeight(40)).build();
  }

  static ClientMessage.Builder add(String room, String boardId, String page, BoardElement... elements) {
    return board(room, boardId, BoardRequest.newBuilder()
        .setAddElements(ElementsAdd.newBuilder().setPageId(page).addAllElements(List.of(elements))));
  }

  static ClientMessage.Builder ink(String room, String boardId, String page, String strokeId, int firstIndex,
      int... points) {
    InkStroke.Builder s = InkStroke.newBuilder().setStrokeId(strokeId).setFirstIndex(firstIndex)
        .addAllPoints(path(points).getPointsList());
    return ClientMessage.newBuilder().setBoardInk(BoardInk.newBuilder().setRoomId(room)
        .setBoardId(boardId).setPageId(page).setStroke(s));
  }

  static boolean inkOf(Event e, String strokeId) {
    return e.hasBoardInk() && e.getBoardInk().hasStroke()
        && e.getBoardInk().getStroke().getStrokeId().equals(strokeId);
  }

  static boolean changed(Event e, ElementsChanged.Cause cause) {
    return e.hasBoardChanged() && e.getBoardChanged().hasElements()
        && e.getBoardChanged().getElements().getCause() == cause;
  }

  static List<String> elementIds(Board b, String page) {
    return b.getPagesList().stream().filter(p -> p.getPageId().equals(page)).findFirst().orElseThrow()
        .getElementsList().stream().map(BoardElement::getElementId).sorted().collect(Collectors.toList());
  }

  static Board boardOf(Joined joined, String boardId) {
    return joined.getSnapshot().getBoardsList().stream()
        .filter(b -> b.getBoardId().equals(boardId)).findFirst()
        .orElseThrow(() -> new AssertionError("no board " + boardId + " in " + joined.getSnapshot()));
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void liveInkReachesOthersBeforeTheCommitAndALateJoinerSeesTheCommittedBoard() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        bo.awaitEvent(e -> e.hasBoardChanged() && e.getBoardChanged().hasBoardCreated(), "board created");

        ana.send(ink("r1", "b1", "p1", "s1", 0, 10, 10, 20, 25).setRequestId(ana.nextRequestId()).build());
        Event live = bo.awaitEvent(e -> inkOf(e, "s1"), "ana's live ink");
        assertEquals(0, live.getSeq(), "live ink is ephemeral");
        assertEquals("ana", live.getBoardInk().getUserId());
        assertEquals(4, live.getBoardInk().getStroke().getPointsCount());
        ana.send(ink("r1", "b1", "p1", "s1", 2, 40, 30).setRequestId(ana.nextRequestId()).build());
        bo.awaitEvent(e -> inkOf(e, "s1") && e.getBoardInk().getStroke().getFirstIndex() == 2, "the next chunk");
        assertFalse(ana.receives(m -> m.hasEvent() && inkOf(m.getEvent(), "s1"), QUIET),
            "the drawer does not get its own ink back");

        long seq = TestClient.ack(ana.request(add("r1", "b1", "p1", stroke("s1", "a0")))).getSeq();
        Event committed = bo.awaitEvent(e -> changed(e, ElementsChanged.Cause.ADDED), "the committed stroke");
        assertEquals(seq, committed.getSeq());
        BoardElement e = committed.getBoardChanged().getElements().getPages(0).getUpserted(0);
        assertEquals("ana", e.getAuthorId());
        assertEquals(seq, e.getCreatedSeq());

        try (TestClient late = s.user("carl", "r1", Role.STUDENT)) {
          Board b = boardOf(late.join("r1"), "b1");
          assertEquals(List.of("s1"), elementIds(b, "p1"));
          assertEquals(path(10, 10, 20, 25, 40, 30), b.getPages(0).getElements(0).getPath());
        }
      }
    }
  }

  @Test
  void aLockedBoardRefusesStudentsButNotTeachersAndObserversNeverDraw() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        tina.join("r1");
        ana.join("r1");
        olga.join("r1");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setLockBoard(BoardLock.newBuilder().setLocked(true)))));
        assertEquals(ErrorCode.BOARD_LOCKED,
            TestClient.error(ana.request(add("r1", "b1", "p1", box("a1", "a0")))).getCode());
        assertEquals(ErrorCode.BOARD_LOCKED,
            TestClient.error(ana.request(ink("r1", "b1", "p1", "s1", 0, 1, 1))).getCode());
        TestClient.ack(tina.request(add("r1", "b1", "p1", box("t1", "a0"))));
        assertEquals(ErrorCode.READ_ONLY,
            TestClient.error(olga.request(add("r1", "b1", "p1", box("o1", "a1")))).getCode());
        assertEquals(ErrorCode.READ_ONLY,
            TestClient.error(olga.request(ink("r1", "b1", "p1", "s2", 0, 1, 1))).getCode());
        TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setLockBoard(BoardLock.newBuilder().setLocked(false)))));
        TestClient.ack(ana.request(add("r1", "b1", "p1", box("a1", "a1"))));
      }
    }
  }

  @Test
  void revertRemovesExactlyOneParticipantsChangesAndNothingElse() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        bo.join("r1");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        TestClient.ack(bo.request(add("r1", "b1", "p1", box("bo1", "a0"))));
        long since = TestClient.ack(ana.request(add("r1", "b1", "p1", stroke("ana1", "a1"), stroke("ana2", "a2")))).getSeq();
        // ana also scribbles over bo's box
        TestClient.ack(ana.request(board("r1", "b1", BoardRequest.newBuilder().setUpdateElements(
            ElementsUpdate.newBuilder().setPageId("p1").addPatches(ElementPatch.newBuilder().setElementId("bo1")
                .setStyle(BoardStyle.newBuilder().setFill("#ff0000")))))));
        TestClient.ack(bo.request(add("r1", "b1", "p1", box("bo2", "a3"))));

        long revert = TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setRevert(BoardRevert.newBuilder().setUserId("ana").setSinceSeq(since))))).getSeq();
        Event reverted = bo.awaitEvent(e -> e.getSeq() == revert, "the revert, as one event");
        assertTrue(changed(reverted, ElementsChanged.Cause.REVERTED), reverted.toString());

        try (TestClient late = s.user("carl", "r1", Role.STUDENT)) {
          Board b = boardOf(late.join("r1"), "b1");
          assertEquals(List.of("bo1", "bo2"), elementIds(b, "p1"), "ana's elements gone, bo's kept");
          BoardElement bo1 = b.getPages(0).getElementsList().stream()
              .filter(e -> e.getElementId().equals("bo1")).findFirst().orElseThrow();
          assertFalse(bo1.getStyle().hasFill(), "ana's change to bo's box is undone: " + bo1);
        }
      }
    }
  }

  @Test
  void boardsSurviveARestartAndAResumeGetsTheBoardOperationsMissed() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      Joined first;
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        TestClient.ack(tina.request(add("r1", "b1", "p1", box("t1", "a0"))));
        try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
          first = ana.join("r1");
        }
        TestClient.ack(tina.request(add("r1", "b1", "p1", stroke("t2", "a1"))));
      }
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        Joined resumed = ana.join("r1", first.getSeq(), first.getEpoch());
        assertFalse(resumed.getReset(), "a resume, not a reset");
        assertTrue(resumed.getMissedList().stream().anyMatch(e -> changed(e, ElementsChanged.Cause.ADDED)
            && e.getBoardChanged().getElements().getPages(0).getUpserted(0).getElementId().equals("t2")),
            resumed.toString());
      }
      s.stop();
      s.start();
      try (TestClient carl = s.user("carl", "r1", Role.STUDENT)) {
        assertEquals(List.of("t1", "t2"), elementIds(boardOf(carl.join("r1"), "b1"), "p1"));
      }
    }
  }

  @Test
  void lowBandwidthModeGetsEveryCommittedElementButNoLiveStrokes() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient slow = s.user("sam", "r1", Role.STUDENT)) {
        tina.join("r1");
        ana.join("r1");
        slow.join("r1");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        TestClient.ack(slow.request(ClientMessage.newBuilder()
            .setBoardLiveInk(BoardLiveInk.newBuilder().setRoomId("r1").setOff(true))));
        ana.send(ink("r1", "b1", "p1", "s1", 0, 5, 5, 6, 6).setRequestId(ana.nextRequestId()).build());
        tina.awaitEvent(e -> inkOf(e, "s1"), "live ink at the teacher");
        tina.send(ClientMessage.newBuilder().setRequestId(tina.nextRequestId()).setBoardInk(BoardInk.newBuilder()
            .setRoomId("r1").setBoardId("b1").setPageId("p1")
            .setLaser(LaserPointer.newBuilder().setX(50).setY(60))).build());
        slow.awaitEvent(e -> e.hasBoardInk() && e.getBoardInk().hasLaser(), "the laser still comes");
        TestClient.ack(ana.request(add("r1", "b1", "p1", stroke("s1", "a0"))));
        slow.awaitEvent(e -> changed(e, ElementsChanged.Cause.ADDED), "the committed stroke");
        assertFalse(slow.receives(m -> m.hasEvent() && inkOf(m.getEvent(), "s1"), QUIET),
            "no live strokes in low-bandwidth mode");
      }
    }
  }

  @Test
  void hostileBoardInputGetsItsCodeWhileTwoBystandersKeepDrawing() {
    try (TestServer s = new TestServer(dir, b -> b.set("board-max-path-points", "100"))) {
      s.createRoom("r1");
      s.createRoom("quiet");
      try (TestClient tina = s.user("tina", "*", Role.TEACHER);
          TestClient mallory = s.user("mallory", "r1", Role.STUDENT);
          TestClient drawer = s.user("dora", "quiet", Role.STUDENT);
          TestClient watcher = s.user("walt", "quiet", Role.STUDENT)) {
        tina.join("r1");
        tina.join("quiet");
        mallory.join("r1");
        drawer.join("quiet");
        watcher.join("quiet");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        TestClient.ack(tina.request(createBoard("quiet", "qb", "qp")));
        Runnable bystandersDraw = new Runnable() {
          int n;

          @Override
          public void run() {
            String id = "q" + (n++);
            drawer.send(ink("quiet", "qb", "qp", id, 0, 1, 2, 3, 4).setRequestId(drawer.nextRequestId()).build());
            watcher.awaitEvent(e -> inkOf(e, id), "bystander ink " + id);
            TestClient.ack(drawer.request(add("quiet", "qb", "qp", stroke(id, "a" + n))));
            watcher.awaitEvent(e -> changed(e, ElementsChanged.Cause.ADDED)
                && e.getBoardChanged().getElements().getPages(0).getUpserted(0).getElementId().equals(id),
                "bystander commit " + id);
          }
        };

        assertEquals(ErrorCode.ELEMENT_NOT_FOUND, TestClient.error(mallory.request(board("r1", "b1",
            BoardRequest.newBuilder().setUpdateElements(ElementsUpdate.newBuilder().setPageId("p1")
                .addPatches(ElementPatch.newBuilder().setElementId("nope")
                    .setStyle(BoardStyle.newBuilder().setWidth(4))))))).getCode());
        bystandersDraw.run();
        BoardElement odd = stroke("odd", "a0").toBuilder()
            .setPath(BoardPath.newBuilder().addPoints(1).addPoints(2).addPoints(3)).build();
        assertEquals(ErrorCode.POINTS_MALFORMED,
            TestClient.error(mallory.request(add("r1", "b1", "p1", odd))).getCode());
        assertEquals(ErrorCode.POINTS_MALFORMED, TestClient.error(mallory.request(
            ClientMessage.newBuilder().setBoardInk(BoardInk.newBuilder().setRoomId("r1").setBoardId("b1")
                .setPageId("p1").setStroke(InkStroke.newBuilder().setStrokeId("x").addPoints(7))))).getCode());
        int[] long101 = IntStream.range(0, 202).toArray();
        BoardElement tooLong = stroke("long", "a0").toBuilder().setPath(path(long101)).build();
        assertEquals(ErrorCode.PATH_TOO_LONG,
            TestClient.error(mallory.request(add("r1", "b1", "p1", tooLong))).getCode());
        assertEquals(ErrorCode.PATH_TOO_LONG,
            TestClient.error(mallory.request(ink("r1", "b1", "p1", "long", 0, long101))).getCode());
        bystandersDraw.run();
        assertEquals(ErrorCode.STYLE_INVALID, TestClient.error(mallory.request(add("r1", "b1", "p1",
            box("evil", "a0").toBuilder().setStyle(BoardStyle.newBuilder().setStroke("red\" onload=\"x")).build())))
            .getCode());
        TestClient.ack(tina.request(board("r1", "b1", BoardRequest.newBuilder()
            .setDeletePage(PageDelete.newBuilder().setPageId("p1")))));
        assertEquals(ErrorCode.PAGE_NOT_FOUND,
            TestClient.error(mallory.request(add("r1", "b1", "p1", box("late", "a0")))).getCode());
        assertEquals(ErrorCode.PAGE_NOT_FOUND,
            TestClient.error(mallory.request(ink("r1", "b1", "p1", "late", 0, 1, 1))).getCode());
        assertEquals(ErrorCode.BOARD_NOT_FOUND,
            TestClient.error(mallory.request(add("r1", "nope", "p1", box("late", "a0")))).getCode());
        // ink beyond board-ink-per-second (burst 80) is dropped, never queued; within the message
        // rate (burst 120) nobody is closed
        for (int i = 0; i < 110; i++) {
          mallory.send(ink("r1", "b1", "p1", "flood", 0, 1, 1).setRequestId(mallory.nextRequestId()).build());
        }
        bystandersDraw.run();
        mallory.assertOpen();
        assertTrue(s.http("GET", "/metrics", null, null).body().contains("reason=\"ink_rate\""));
      }
    }
  }

  @Test
  void twoNodesThroughRedisShareTheBoardAndItsLiveInk() {
    String prefix = RedisFixture.newPrefix();
    UnaryOperator<PonteConfig.Builder> redis = b -> b.redisUrl(RedisFixture.get().url()).redisKeyPrefix(prefix);
    try (TestServer a = new TestServer(dir.resolve("a"), b -> redis.apply(b).nodeId("a"));
        TestServer b = new TestServer(dir.resolve("b"), c -> redis.apply(c).nodeId("b"))) {
      a.createRoom("r1");
      b.createRoom("r1"); // each node has a store of its own here; Redis carries the operations
      try (TestClient tina = a.user("tina", "r1", Role.TEACHER);
          TestClient bo = b.user("bo", "r1", Role.STUDENT)) {
        tina.join("r1");
        bo.join("r1");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        bo.awaitEvent(e -> e.hasBoardChanged() && e.getBoardChanged().hasBoardCreated(), "the board on node b");
        bo.send(ink("r1", "b1", "p1", "s1", 0, 3, 3, 9, 9).setRequestId(bo.nextRequestId()).build());
        tina.awaitEvent(e -> inkOf(e, "s1"), "node b's live ink on node a");
        long seq = TestClient.ack(bo.request(add("r1", "b1", "p1", stroke("s1", "a0")))).getSeq();
        assertEquals(seq, tina.awaitEvent(e -> changed(e, ElementsChanged.Cause.ADDED), "the commit on a").getSeq());
      }
    }
  }

  @Test
  void unknownBoardRequestShapesAreRefusedCleanly() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        ana.join("r1");
        ServerMessage empty = ana.request(board("r1", "b1", BoardRequest.newBuilder()));
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(empty).getCode());
        ServerMessage noKind = ana.request(ClientMessage.newBuilder().setBoardInk(BoardInk.newBuilder()
            .setRoomId("r1").setBoardId("b1").setPageId("p1")));
        assertEquals(ErrorCode.INVALID_REQUEST, TestClient.error(noKind).getCode());
        ServerMessage elsewhere = ana.request(createBoard("other", "b1", "p1"));
        assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(elsewhere).getCode());
        ana.assertOpen();
      }
    }
  }

  @Test
  void aTeacherOrTheAdminExportsAPageAsSvgAndNobodyElseDoes() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        TestClient.ack(tina.request(createBoard("r1", "b1", "p1")));
        BoardElement text = BoardElement.newBuilder().setElementId("t1").setZ("a1")
            .setText(BoardText.newBuilder().setX(10).setY(10).setText("<script>alert(1)</script> & \"x\""))
            .build();
        TestClient.ack(tina.request(add("r1", "b1", "p1", stroke("s1", "a0"), text)));
      }
      String path = "/api/rooms/r1/boards/b1/pages/p1/svg";
      String teacher = "Bearer " + s.token("tina", "Tina", "r1", Role.TEACHER);
      HttpResponse<String> ok = s.http("GET", path, null, teacher);
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.headers().firstValue("Content-Type").orElse("").startsWith("image/svg+xml"));
      assertTrue(ok.body().startsWith("<svg") || ok.body().startsWith("<?xml"), ok.body());
      assertTrue(ok.body().contains("<path"), ok.body());
      assertTrue(ok.body().contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp;"), ok.body());
      assertFalse(ok.body().contains("<script"), ok.body());
      assertEquals(200, s.admin("GET", path, null).statusCode());

      HttpResponse<String> student = s.http("GET", path, null,
          "Bearer " + s.token("ana", "Ana", "r1", Role.STUDENT));
      assertEquals(403, student.statusCode());
      assertTrue(student.body().contains("PERMISSION_DENIED"), student.body());
      HttpResponse<String> otherRoom = s.http("GET", path, null,
          "Bearer " + s.token("tina", "Tina", "r2", Role.TEACHER));
      assertEquals(403, otherRoom.statusCode());
      assertEquals(401, s.http("GET", path, null, null).statusCode());
      assertEquals(401, s.http("GET", path, null, "Bearer not-a-token").statusCode());
      assertTrue(s.admin("GET", "/api/rooms/r1/boards/nope/pages/p1/svg", null).body().contains("BOARD_NOT_FOUND"));
      assertTrue(s.admin("GET", "/api/rooms/r1/boards/b1/pages/nope/svg", null).body().contains("PAGE_NOT_FOUND"));
      HttpResponse<String> noRoom = s.admin("GET", "/api/rooms/nope/boards/b1/pages/p1/svg", null);
      assertEquals(404, noRoom.statusCode());
      assertTrue(noRoom.body().contains("ROOM_NOT_FOUND"), noRoom.body());
      assertEquals(400, s.admin("GET", "/api/rooms/r1/boards/b%20x/pages/p1/svg", null).statusCode());
    }
  }
}
