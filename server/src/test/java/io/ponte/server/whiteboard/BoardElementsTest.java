package io.ponte.server.whiteboard;

import static io.ponte.server.whiteboard.BoardTestRoom.ANA;
import static io.ponte.server.whiteboard.BoardTestRoom.BO;
import static io.ponte.server.whiteboard.BoardTestRoom.TEACHER;
import static io.ponte.server.whiteboard.BoardTestRoom.add;
import static io.ponte.server.whiteboard.BoardTestRoom.create;
import static io.ponte.server.whiteboard.BoardTestRoom.delete;
import static io.ponte.server.whiteboard.BoardTestRoom.move;
import static io.ponte.server.whiteboard.BoardTestRoom.rect;
import static io.ponte.server.whiteboard.BoardTestRoom.stroke;
import static io.ponte.server.whiteboard.BoardTestRoom.update;
import static io.ponte.server.whiteboard.WhiteboardStateTest.reorder;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardChanged;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardImage;
import io.ponte.protocol.v1.BoardLine;
import io.ponte.protocol.v1.BoardPath;
import io.ponte.protocol.v1.BoardSticky;
import io.ponte.protocol.v1.BoardStyle;
import io.ponte.protocol.v1.BoardText;
import io.ponte.protocol.v1.ElementPatch;
import io.ponte.protocol.v1.ElementsChanged.Cause;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.PageElements;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Element operations: add, update only what is sent, delete, reorder, conflicts and limits. */
@Timeout(30)
class BoardElementsTest {
  static final BoardLimits SMALL = new BoardLimits(5, 5, 3, 4, 10, 1 << 20, 1_000, 1 << 20);

  static BoardTestRoom roomWithBoard(BoardLimits limits) {
    BoardTestRoom room = new BoardTestRoom(limits, true);
    room.ok(TEACHER, create("b1", "p1"));
    return room;
  }

  static BoardElement element(String id) {
    return BoardElement.newBuilder().setElementId(id).setZ("a0").build();
  }

  static BoardElement path(String id, int[] absolute, int... pressure) {
    return element(id).toBuilder().setPath(PackedPoints.encode(absolute, pressure)).build();
  }

  static BoardElement line(String id, int x1, int y1, int x2, int y2) {
    return element(id).toBuilder()
        .setLine(BoardLine.newBuilder().setX1(x1).setY1(y1).setX2(x2).setY2(y2)).build();
  }

  static BoardElement text(String id, String text) {
    return element(id).toBuilder().setText(BoardText.newBuilder().setX(10).setY(20).setText(text)).build();
  }

  static BoardElement sticky(String id, String text) {
    return element(id).toBuilder()
        .setSticky(BoardSticky.newBuilder().setX(0).setY(0).setWidth(100).setHeight(100).setText(text)).build();
  }

  static BoardElement image(String id, String asset) {
    return element(id).toBuilder()
        .setImage(BoardImage.newBuilder().setX(0).setY(0).setWidth(100).setHeight(50).setAssetId(asset)).build();
  }

  static BoardElement styled(BoardElement e, BoardStyle.Builder style) {
    return e.toBuilder().setStyle(style).build();
  }

  /** One element of every kind. */
  static List<BoardElement> everyKind() {
    BoardBox box = BoardBox.newBuilder().setX(-50).setY(-50).setWidth(100).setHeight(80).build();
    return List.of(
        path("path", new int[] {0, 0, 10, 5, 20, 15}, 100, 200, 255),
        line("line", 0, 0, 100, 100),
        element("arrow").toBuilder().setArrow(BoardLine.newBuilder().setX2(50).setY2(-50)).build(),
        element("rect").toBuilder().setRectangle(box).build(),
        element("ellipse").toBuilder().setEllipse(box).build(),
        text("text", "Hello\nworld"),
        sticky("sticky", "Remember"),
        image("image", "asset-1"));
  }

  @Test
  void everyKindIsAddedWithTheServersFields() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    BoardChanged c = room.ok(ANA, add("b1", "p1", everyKind().toArray(new BoardElement[0])));
    assertEquals(Cause.ADDED, c.getElements().getCause());
    PageElements page = c.getElements().getPages(0);
    assertEquals("p1", page.getPageId());
    assertEquals(8, page.getUpsertedCount());
    for (BoardElement e : page.getUpsertedList()) {
      assertEquals("ana", e.getAuthorId());
      assertEquals("ana", e.getChangedBy());
      assertEquals(2, e.getCreatedSeq());
      assertEquals(2, e.getChangedSeq());
      assertEquals(e, room.element("b1", "p1", e.getElementId()), "the event carries what the board holds");
    }
    assertEquals(8, room.elementCount("b1", "p1"));
    assertArrayEquals(new int[] {0, 0, 10, 5, 20, 15}, PackedPoints.decode(room.element("b1", "p1", "path").getPath()));

    // Whatever a client claims about authorship is replaced.
    room.ok(BO, add("b1", "p1", rect("spoof", 0, 0, 1, 1).toBuilder().setAuthorId("teacher-1")
        .setCreatedSeq(1).setChangedBy("teacher-1").setChangedSeq(1).build()));
    BoardElement spoof = room.element("b1", "p1", "spoof");
    assertEquals("bo", spoof.getAuthorId());
    assertEquals(3, spoof.getCreatedSeq());
  }

  @Test
  void anAddIsAllOrNothing() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    room.refused(BO, add("b1", "p1", rect("e2", 0, 0, 10, 10), rect("e1", 0, 0, 10, 10)), ErrorCode.ELEMENT_EXISTS);
    room.refused(BO, add("b1", "p1", rect("e2", 0, 0, 10, 10), rect("e2", 5, 5, 10, 10)), ErrorCode.ELEMENT_EXISTS);
    room.refused(BO, add("b1", "p1", rect("e2", 0, 0, 10, 10), rect("e3", 0, 0, -1, 10)), ErrorCode.ELEMENT_INVALID);
    room.refused(BO, add("b1", "p1"), ErrorCode.INVALID_REQUEST);
    assertEquals(1, room.elementCount("b1", "p1"));
    assertNull(room.element("b1", "p1", "e2"));
  }

  @Test
  void anUpdateChangesOnlyTheFieldsSent() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.ok(ANA, add("b1", "p1", styled(rect("e1", 0, 0, 10, 10),
        BoardStyle.newBuilder().setStroke("#ff0000").setWidth(4).setFill("#00ff00").setOpacity(0.5f))));

    BoardChanged c = room.ok(BO, update("b1", "p1", stroke("e1", "#0000FF")));
    assertEquals(Cause.UPDATED, c.getElements().getCause());
    BoardElement e = room.element("b1", "p1", "e1");
    assertEquals(e, c.getElements().getPages(0).getUpserted(0));
    assertEquals("#0000FF", e.getStyle().getStroke());
    assertEquals(4f, e.getStyle().getWidth());
    assertEquals("#00ff00", e.getStyle().getFill());
    assertEquals(0.5f, e.getStyle().getOpacity());
    assertFalse(e.getStyle().hasFontSize());
    assertEquals(10, e.getRectangle().getWidth(), "geometry untouched by a style patch");
    assertEquals("ana", e.getAuthorId());
    assertEquals(2, e.getCreatedSeq());
    assertEquals("bo", e.getChangedBy());
    assertEquals(3, e.getChangedSeq());

    room.ok(ANA, update("b1", "p1", move("e1", 5, 6, 7, 8)));
    e = room.element("b1", "p1", "e1");
    assertEquals(BoardBox.newBuilder().setX(5).setY(6).setWidth(7).setHeight(8).build(), e.getRectangle());
    assertEquals("#0000FF", e.getStyle().getStroke(), "style untouched by a shape patch");

    room.ok(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("e1")
        .setStyle(BoardStyle.newBuilder().setFill("")).build()));
    assertEquals("", room.element("b1", "p1", "e1").getStyle().getFill(), "fill \"\" removes the fill");

    room.refused(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("e1")
        .setLine(BoardLine.getDefaultInstance()).build()), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("e1").build()),
        ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("e1")
        .setStyle(BoardStyle.getDefaultInstance()).build()), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, update("b1", "p1", move("e1", 0, 0, 1, 1), move("e1", 0, 0, 2, 2)), ErrorCode.INVALID_REQUEST);
    room.refused(ANA, update("b1", "p1"), ErrorCode.INVALID_REQUEST);
  }

  @Test
  void textAndPathsAreReplacedWhole() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.ok(ANA, add("b1", "p1", text("t", "draft"), path("p", new int[] {0, 0, 1, 1})));
    room.ok(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("t")
        .setText(BoardText.newBuilder().setX(1).setY(2).setText("final")).build()));
    assertEquals("final", room.element("b1", "p1", "t").getText().getText());
    room.ok(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("p")
        .setPath(PackedPoints.encode(new int[] {5, 5, 6, 6, 7, 7})).build()));
    assertArrayEquals(new int[] {5, 5, 6, 6, 7, 7}, PackedPoints.decode(room.element("b1", "p1", "p").getPath()));
    room.refused(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("p")
        .setPath(BoardPath.newBuilder().addPoints(1)).build()), ErrorCode.POINTS_MALFORMED);
  }

  @Test
  void anUpdateOrDeleteAfterADeleteFindsNoElement() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10), rect("e2", 0, 0, 10, 10)));
    BoardChanged d = room.ok(BO, delete("b1", "p1", "e1"));
    assertEquals(Cause.DELETED, d.getElements().getCause());
    assertEquals(List.of("e1"), d.getElements().getPages(0).getRemovedList());
    // Ana's edit was sent before she saw Bo's delete: it is sequenced after it.
    room.refused(ANA, update("b1", "p1", move("e1", 5, 5, 10, 10)), ErrorCode.ELEMENT_NOT_FOUND);
    room.refused(ANA, delete("b1", "p1", "e1"), ErrorCode.ELEMENT_NOT_FOUND);
    room.refused(ANA, reorder("b1", "p1", "e1", "b0"), ErrorCode.ELEMENT_NOT_FOUND);
    room.refused(ANA, delete("b1", "p1", "e2", "e2"), ErrorCode.INVALID_REQUEST);
    room.refused(ANA, delete("b1", "p1"), ErrorCode.INVALID_REQUEST);
    // Bo's own undo of the delete: the element added again under its id.
    room.ok(BO, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    assertEquals("bo", room.element("b1", "p1", "e1").getAuthorId());
  }

  @Test
  void concurrentUpdatesResolveByTheLastSeq() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 10, 10)));
    // Both saw the element at seq 2 and changed the same field; the one sequenced last wins.
    room.ok(BO, update("b1", "p1", stroke("e1", "#111111")));
    room.ok(ANA, update("b1", "p1", stroke("e1", "#222222")));
    assertEquals("#222222", room.element("b1", "p1", "e1").getStyle().getStroke());
    // Different fields both stand.
    room.ok(BO, update("b1", "p1", move("e1", 1, 1, 1, 1)));
    room.ok(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("e1")
        .setStyle(BoardStyle.newBuilder().setWidth(9)).build()));
    BoardElement e = room.element("b1", "p1", "e1");
    assertEquals(1, e.getRectangle().getWidth());
    assertEquals(9f, e.getStyle().getWidth());
    assertEquals("#222222", e.getStyle().getStroke());
  }

  @Test
  void reorderChangesTheZIndexAndPaintOrder() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.ok(ANA, add("b1", "p1",
        rect("x", 0, 0, 1, 1).toBuilder().setZ("a2").build(),
        rect("y", 0, 0, 1, 1).toBuilder().setZ("a1").build(),
        rect("z", 0, 0, 1, 1).toBuilder().setZ("a1").build()));
    assertEquals(List.of("y", "z", "x"), order(room), "by z, then id");
    BoardChanged c = room.ok(BO, reorder("b1", "p1", "y", "a3"));
    assertEquals(Cause.REORDERED, c.getElements().getCause());
    assertEquals("a3", c.getElements().getPages(0).getUpserted(0).getZ());
    assertEquals("bo", c.getElements().getPages(0).getUpserted(0).getChangedBy());
    assertEquals(List.of("z", "x", "y"), order(room));
    room.refused(BO, reorder("b1", "p1", "y", ""), ErrorCode.ELEMENT_INVALID);
    room.refused(BO, reorder("b1", "p1", "y", "a-1"), ErrorCode.ELEMENT_INVALID);
    room.refused(BO, reorder("b1", "p1", "y", "a".repeat(65)), ErrorCode.ELEMENT_INVALID);
    room.refused(BO, add("b1", "p1", rect("w", 0, 0, 1, 1).toBuilder().setZ("a 1").build()), ErrorCode.ELEMENT_INVALID);
  }

  static List<String> order(BoardTestRoom room) {
    return room.state().board("b1").getPages(0).getElementsList().stream().map(BoardElement::getElementId).toList();
  }

  @Test
  void elementsPerPageAreLimited() {
    BoardTestRoom room = roomWithBoard(SMALL);
    room.ok(ANA, add("b1", "p1", rect("e1", 0, 0, 1, 1), rect("e2", 0, 0, 1, 1)));
    room.refused(ANA, add("b1", "p1", rect("e3", 0, 0, 1, 1), rect("e4", 0, 0, 1, 1)), ErrorCode.TOO_MANY_ELEMENTS);
    room.ok(ANA, add("b1", "p1", rect("e3", 0, 0, 1, 1)));
    room.refused(TEACHER, add("b1", "p1", rect("e4", 0, 0, 1, 1)), ErrorCode.TOO_MANY_ELEMENTS);
    room.ok(ANA, delete("b1", "p1", "e1"));
    room.ok(ANA, add("b1", "p1", rect("e4", 0, 0, 1, 1)));
  }

  @Test
  void pointsPerPathAreLimited() {
    BoardTestRoom room = roomWithBoard(SMALL);
    room.ok(ANA, add("b1", "p1", path("ok", new int[] {0, 0, 1, 1, 2, 2, 3, 3})));
    room.refused(ANA, add("b1", "p1", path("long", new int[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4})), ErrorCode.PATH_TOO_LONG);
  }

  @Test
  void malformedPointsAreRefused() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    BoardElement base = element("p");
    room.refused(ANA, add("b1", "p1", base.toBuilder().setPath(BoardPath.getDefaultInstance()).build()),
        ErrorCode.POINTS_MALFORMED);
    room.refused(ANA, add("b1", "p1", base.toBuilder().setPath(BoardPath.newBuilder().addPoints(1).addPoints(2).addPoints(3)).build()),
        ErrorCode.POINTS_MALFORMED);
    room.refused(ANA, add("b1", "p1", path("p", new int[] {0, 0, 1, 1}, 10)), ErrorCode.POINTS_MALFORMED);
    room.refused(ANA, add("b1", "p1", path("p", new int[] {0, 0, 1, 1}, 10, 256)), ErrorCode.POINTS_MALFORMED);
    room.refused(ANA, add("b1", "p1", path("p", new int[] {0, 0, 1, 1}, 10, -1)), ErrorCode.POINTS_MALFORMED);
    // Deltas that each fit an int but sum past the bounds (and past an int).
    BoardPath runaway = BoardPath.newBuilder().addPoints(0).addPoints(0)
        .addPoints(Integer.MAX_VALUE).addPoints(0).addPoints(Integer.MAX_VALUE).addPoints(0).build();
    room.refused(ANA, add("b1", "p1", base.toBuilder().setPath(runaway).build()), ErrorCode.OUT_OF_BOUNDS);
    room.refused(ANA, add("b1", "p1", path("p", new int[] {0, 0, 1_000_001, 0})), ErrorCode.OUT_OF_BOUNDS);
    room.ok(ANA, add("b1", "p1", path("p", new int[] {-1_000_000, 1_000_000, 1_000_000, -1_000_000}, 0, 255)));
    room.ok(ANA, add("b1", "p1", path("dot", new int[] {5, 5})));
  }

  @Test
  void coordinatesAreBounded() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.refused(ANA, add("b1", "p1", rect("r", 999_999, 0, 2, 1)), ErrorCode.OUT_OF_BOUNDS);
    room.refused(ANA, add("b1", "p1", rect("r", Integer.MAX_VALUE, 0, Integer.MAX_VALUE, 1)), ErrorCode.OUT_OF_BOUNDS);
    room.refused(ANA, add("b1", "p1", line("l", 0, 0, 0, -1_000_001)), ErrorCode.OUT_OF_BOUNDS);
    room.refused(ANA, add("b1", "p1", text("t", "x").toBuilder()
        .setText(BoardText.newBuilder().setX(-1_000_001).setText("x")).build()), ErrorCode.OUT_OF_BOUNDS);
    room.refused(ANA, add("b1", "p1", image("i", "a").toBuilder()
        .setImage(BoardImage.newBuilder().setAssetId("a").setY(1_000_000).setHeight(1)).build()), ErrorCode.OUT_OF_BOUNDS);
    room.ok(ANA, add("b1", "p1", rect("r", 999_998, -1_000_000, 2, 2_000_000)));
    room.refused(ANA, update("b1", "p1", move("r", 999_999, 0, 2, 1)), ErrorCode.OUT_OF_BOUNDS);
  }

  @Test
  void textLengthIsLimitedInCodePoints() {
    BoardTestRoom room = roomWithBoard(SMALL);
    room.ok(ANA, add("b1", "p1", text("t", "😀😀😀😀😀😀😀😀😀😀"), sticky("s", "0123456789")));
    room.refused(ANA, add("b1", "p1", text("t2", "0123456789A")), ErrorCode.ELEMENT_TEXT_TOO_LONG);
    room.refused(ANA, add("b1", "p1", sticky("s2", "0123456789A")), ErrorCode.ELEMENT_TEXT_TOO_LONG);
    room.refused(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("t")
        .setText(BoardText.newBuilder().setText("0123456789AB")).build()), ErrorCode.ELEMENT_TEXT_TOO_LONG);
  }

  @Test
  void textMayHoldAnythingPrintable() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.ok(ANA, add("b1", "p1", text("t", "<script>alert(1)</script> & \"quotes\"\n\ttab")));
    room.refused(ANA, add("b1", "p1", text("c", "bell\u0007")), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", text("c", "cr\r\n")), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", text("c", "lone \uD800 surrogate")), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", sticky("c", "not a char \uFFFF")), ErrorCode.ELEMENT_INVALID);
  }

  @Test
  void stylesAreCheckedSoNothingReachesAnAttribute() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    BoardElement r = rect("r", 0, 0, 1, 1);
    for (BoardStyle.Builder bad : List.of(
        BoardStyle.newBuilder().setStroke("red\" onload=\"x"),
        BoardStyle.newBuilder().setStroke("red"),
        BoardStyle.newBuilder().setStroke("#12345"),
        BoardStyle.newBuilder().setStroke("#1234567"),
        BoardStyle.newBuilder().setStroke("#gggggg"),
        BoardStyle.newBuilder().setStroke(""),
        BoardStyle.newBuilder().setFill("url(javascript:x)"),
        BoardStyle.newBuilder().setWidth(0),
        BoardStyle.newBuilder().setWidth(200.5f),
        BoardStyle.newBuilder().setWidth(Float.NaN),
        BoardStyle.newBuilder().setOpacity(-0.01f),
        BoardStyle.newBuilder().setOpacity(1.01f),
        BoardStyle.newBuilder().setOpacity(Float.NaN),
        BoardStyle.newBuilder().setFontSize(3.9f),
        BoardStyle.newBuilder().setFontSize(401),
        BoardStyle.newBuilder().setFontSize(Float.POSITIVE_INFINITY))) {
      room.refused(ANA, add("b1", "p1", styled(r, bad)), ErrorCode.STYLE_INVALID);
    }
    room.ok(ANA, add("b1", "p1", styled(r, BoardStyle.newBuilder()
        .setStroke("#AABBCCDD").setFill("").setWidth(200).setOpacity(0).setFontSize(4))));
    room.refused(ANA, update("b1", "p1", stroke("r", "red\" onload=\"x")), ErrorCode.STYLE_INVALID);
    assertEquals("#AABBCCDD", room.element("b1", "p1", "r").getStyle().getStroke());
  }

  @Test
  void idsAndShapesAreChecked() {
    BoardTestRoom room = roomWithBoard(BoardLimits.DEFAULT);
    room.refused(ANA, add("b1", "p1", element("noshape")), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", rect("", 0, 0, 1, 1)), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", rect("a b", 0, 0, 1, 1)), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", rect("r", 0, 0, 1, 1).toBuilder().setZ("").build()), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", image("i", "../etc/passwd")), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", image("i", "")), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", sticky("s", "x").toBuilder()
        .setSticky(BoardSticky.newBuilder().setWidth(-1)).build()), ErrorCode.ELEMENT_INVALID);
    room.refused(ANA, add("b1", "p1", text("t", "x").toBuilder()
        .setText(BoardText.newBuilder().setWidth(-5).setText("x")).build()), ErrorCode.ELEMENT_INVALID);
  }

  @Test
  void theBoardsBytesAreLimited() {
    BoardLimits limits = new BoardLimits(5, 5, 100, 10_000, 100, 1_000, 1_000, 1 << 20);
    BoardTestRoom room = roomWithBoard(limits);
    int[] points = new int[600];
    room.ok(ANA, add("b1", "p1", path("a", points)));
    room.refused(ANA, add("b1", "p1", path("b", points)), ErrorCode.BOARD_TOO_LARGE);
    room.refused(ANA, update("b1", "p1", ElementPatch.newBuilder().setElementId("a")
        .setPath(PackedPoints.encode(new int[1_400])).build()), ErrorCode.BOARD_TOO_LARGE);
    room.ok(ANA, delete("b1", "p1", "a"));
    room.ok(ANA, add("b1", "p1", path("b", points)));
    assertTrue(room.state().board("b1").getSerializedSize() < 1_000 + 200);
  }
}
