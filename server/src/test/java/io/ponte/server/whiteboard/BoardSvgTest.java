package io.ponte.server.whiteboard;

import static io.ponte.server.whiteboard.BoardElementsTest.element;
import static io.ponte.server.whiteboard.BoardElementsTest.image;
import static io.ponte.server.whiteboard.BoardElementsTest.line;
import static io.ponte.server.whiteboard.BoardElementsTest.path;
import static io.ponte.server.whiteboard.BoardElementsTest.sticky;
import static io.ponte.server.whiteboard.BoardElementsTest.styled;
import static io.ponte.server.whiteboard.BoardElementsTest.text;
import static io.ponte.server.whiteboard.BoardTestRoom.ANA;
import static io.ponte.server.whiteboard.BoardTestRoom.TEACHER;
import static io.ponte.server.whiteboard.BoardTestRoom.add;
import static io.ponte.server.whiteboard.BoardTestRoom.create;
import static io.ponte.server.whiteboard.BoardTestRoom.rect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardLine;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.BoardStyle;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The SVG export of a page: every kind, the path rule, and nothing of a client's as markup. */
@Timeout(30)
class BoardSvgTest {
  static BoardPage page(BoardElement... elements) {
    return BoardPage.newBuilder().setPageId("p1").setTitle("Page <1>").addAllElements(List.of(elements)).build();
  }

  /** Parses the SVG as XML: fails on anything that is not well-formed. */
  static Document parse(String svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  static List<Element> all(Document d, String tag) {
    NodeList nodes = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", tag);
    return java.util.stream.IntStream.range(0, nodes.getLength()).mapToObj(i -> (Element) nodes.item(i)).toList();
  }

  @Test
  void everyKindIsDrawn() throws Exception {
    String svg = BoardSvg.render(page(BoardElementsTest.everyKind().toArray(new BoardElement[0])),
        id -> "https://assets.example/" + id + ".png");
    Document d = parse(svg);
    Element root = d.getDocumentElement();
    assertEquals("svg", root.getLocalName());
    assertEquals("Page <1>", all(d, "title").get(0).getTextContent());
    // path (with pressure: a group of pieces), line, arrow (line + head), rect + background,
    // ellipse, text, sticky (rect + text), image.
    assertEquals(2, all(d, "line").size());
    assertEquals(1, all(d, "ellipse").size());
    assertEquals(3, all(d, "rect").size(), "background, rectangle, sticky note");
    assertEquals(2, all(d, "text").size(), "text and sticky note");
    assertEquals(1, all(d, "image").size());
    assertEquals("https://assets.example/asset-1.png", all(d, "image").get(0).getAttribute("href"));
    assertEquals(3 + 1, all(d, "path").size(), "three pressure pieces and the arrowhead");
    // Equal z: by element id, so the sticky note comes before the text.
    assertEquals(List.of("Remember", "Hello", "world"), all(d, "tspan").stream().map(Element::getTextContent).toList());
  }

  @Test
  void elementsAreDrawnBackToFront() throws Exception {
    String svg = BoardSvg.render(page(
        rect("top", 0, 0, 10, 10).toBuilder().setZ("a2").build(),
        rect("bottom", 0, 0, 20, 20).toBuilder().setZ("a1").build()));
    List<Element> rects = all(parse(svg), "rect");
    assertEquals("2", rects.get(1).getAttribute("width"), "z a1 first");
    assertEquals("1", rects.get(2).getAttribute("width"));
  }

  @Test
  void aPathFollowsTheMidpointRule() {
    // p0 (0,0) p1 (10,0) p2 (10,10) px: m1 (5,0), m2 (10,5).
    String svg = BoardSvg.render(page(path("p", new int[] {0, 0, 100, 0, 100, 100})));
    assertTrue(svg.contains("<path d=\"M0 0 L5 0 Q10 0 10 5 L10 10\" fill=\"none\" stroke=\"#000000\""
        + " stroke-linecap=\"round\" stroke-linejoin=\"round\" stroke-width=\"2\"/>"), svg);

    String twoPoints = BoardSvg.render(page(path("p", new int[] {0, 0, 15, 25})));
    assertTrue(twoPoints.contains("d=\"M0 0 L0.75 1.25 L1.5 2.5\""), twoPoints);

    String dot = BoardSvg.render(page(styled(path("p", new int[] {30, 40}), BoardStyle.newBuilder().setWidth(6))));
    assertTrue(dot.contains("<circle cx=\"3\" cy=\"4\" r=\"3\" fill=\"#000000\"/>"), dot);
  }

  @Test
  void pressureScalesEachPiecesWidth() throws Exception {
    BoardElement e = styled(path("p", new int[] {0, 0, 100, 0, 100, 100}, 255, 51, 0),
        BoardStyle.newBuilder().setWidth(10).setStroke("#ff000080"));
    Document d = parse(BoardSvg.render(page(e)));
    Element g = all(d, "g").get(0);
    assertEquals("#ff0000", g.getAttribute("stroke"));
    assertEquals("0.5", g.getAttribute("stroke-opacity"), "#rrggbbaa becomes colour plus opacity");
    List<Element> pieces = all(d, "path");
    assertEquals(2, pieces.size(), "a piece of zero pressure is not drawn");
    assertEquals("M0 0 L5 0", pieces.get(0).getAttribute("d"));
    assertEquals("10", pieces.get(0).getAttribute("stroke-width"));
    assertEquals("M5 0 Q10 0 10 5", pieces.get(1).getAttribute("d"));
    assertEquals("2", pieces.get(1).getAttribute("stroke-width"));
  }

  @Test
  void shapesUseTheirStyle() throws Exception {
    BoardBox box = BoardBox.newBuilder().setX(100).setY(200).setWidth(300).setHeight(400).build();
    Document d = parse(BoardSvg.render(page(
        element("r").toBuilder().setRectangle(box)
            .setStyle(BoardStyle.newBuilder().setFill("#00ff00").setStroke("#0000ff").setWidth(3).setOpacity(0.25f))
            .build(),
        element("e").toBuilder().setEllipse(box).build())));
    Element r = all(d, "rect").get(1);
    assertEquals("10", r.getAttribute("x"));
    assertEquals("30", r.getAttribute("width"));
    assertEquals("#00ff00", r.getAttribute("fill"));
    assertEquals("#0000ff", r.getAttribute("stroke"));
    assertEquals("3", r.getAttribute("stroke-width"));
    assertEquals("0.25", ((Element) r.getParentNode()).getAttribute("opacity"));
    Element e = all(d, "ellipse").get(0);
    assertEquals("25", e.getAttribute("cx"));
    assertEquals("40", e.getAttribute("cy"));
    assertEquals("15", e.getAttribute("rx"));
    assertEquals("20", e.getAttribute("ry"));
    assertEquals("none", e.getAttribute("fill"), "no fill unless one is set");
  }

  @Test
  void anArrowHasAHeadAtItsEnd() throws Exception {
    BoardElement a = element("a").toBuilder().setArrow(BoardLine.newBuilder().setX2(1000)).build();
    Element head = all(parse(BoardSvg.render(page(a))), "path").get(0);
    // Tip (100, 0); head 10 px long at ±30°: back to (91.34, ±5).
    assertEquals("M91.34 -5 L100 0 L91.34 5", head.getAttribute("d"));
  }

  @Test
  void textIsEscapedNeverMarkup() throws Exception {
    String svg = BoardSvg.render(page(
        text("t", "<script>alert(1)</script> & \" ' </text><svg onload=x>"),
        sticky("s", "<b>bold</b>")));
    assertFalse(svg.contains("<script"), svg);
    assertFalse(svg.contains("<b>"), svg);
    assertFalse(svg.contains("onload=x>"), svg);
    assertTrue(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot; &#39; &lt;/text&gt;"), svg);
    Document d = parse(svg);
    assertEquals(0, all(d, "script").size());
    assertEquals("<b>bold</b>", all(d, "tspan").get(0).getTextContent());
    assertEquals("<script>alert(1)</script> & \" ' </text><svg onload=x>", all(d, "tspan").get(1).getTextContent());
  }

  @Test
  void stylesFromTheStateCannotInjectAttributes() throws Exception {
    // Refused when applied ...
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.refused(ANA, add("b1", "p1", styled(rect("r", 0, 0, 1, 1), BoardStyle.newBuilder().setStroke("red\" onload=\"x"))),
        io.ponte.protocol.v1.ErrorCode.STYLE_INVALID);
    // ... and, should a record hold one anyway, drawn as the default colour.
    String svg = BoardSvg.render(page(styled(rect("r", 0, 0, 10, 10),
        BoardStyle.newBuilder().setStroke("red\" onload=\"x").setFill("x\"/><script>"))));
    assertFalse(svg.contains("onload"), svg);
    assertFalse(svg.contains("script"), svg);
    Element r = all(parse(svg), "rect").get(1);
    assertEquals("#000000", r.getAttribute("stroke"));
    assertEquals("#ffffff", r.getAttribute("fill"));
  }

  @Test
  void imagesAreLinkedOrPlaceholders() throws Exception {
    Document linked = parse(BoardSvg.render(page(image("i", "map-2")), id -> "/assets/" + id + "?a=1&b=\"2\""));
    Element img = all(linked, "image").get(0);
    assertEquals("/assets/map-2?a=1&b=\"2\"", img.getAttribute("href"));
    assertEquals("/assets/map-2?a=1&b=\"2\"", img.getAttributeNS("http://www.w3.org/1999/xlink", "href"));

    Document placeholder = parse(BoardSvg.render(page(image("i", "map-2"))));
    assertEquals(0, all(placeholder, "image").size());
    assertEquals("map-2", all(placeholder, "text").get(0).getTextContent());
    assertEquals("4 4", all(placeholder, "rect").get(1).getAttribute("stroke-dasharray"));
  }

  @Test
  void theViewBoxFramesTheDrawingWithAMargin() throws Exception {
    Element root = parse(BoardSvg.render(page(line("l", -1000, 500, 2000, 1500)))).getDocumentElement();
    // x from -100 to 200 px, y from 50 to 150 px; stroke 2 px (1 px each side) and 20 px margin.
    assertEquals("-121 29 342 142", root.getAttribute("viewBox"));
    assertEquals("342", root.getAttribute("width"));
    Element empty = parse(BoardSvg.render(page())).getDocumentElement();
    assertEquals("-20 -20 40 40", empty.getAttribute("viewBox"));
  }

  @Test
  void aBoardsPageIsFoundById() {
    BoardTestRoom room = new BoardTestRoom();
    room.ok(TEACHER, create("b1", "p1"));
    room.ok(ANA, add("b1", "p1", rect("r", 0, 0, 100, 100)));
    String svg = BoardSvg.render(room.state().board("b1"), "p1", id -> null);
    assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""), svg);
    assertNull(BoardSvg.render(room.state().board("b1"), "nope", id -> null));
  }

  @Test
  void numbersAreWrittenAlikeEverywhere() {
    assertEquals("0", SvgMarkup.num(-0.0));
    assertEquals("0.1", SvgMarkup.num(0.1f));
    assertEquals("1234567.5", SvgMarkup.num(1_234_567.5));
    assertEquals("-100000", SvgMarkup.px(-1_000_000));
    assertEquals("0.05", SvgMarkup.px(0.5));
    Matcher m = Pattern.compile("[eE]").matcher(SvgMarkup.num(1e-7) + SvgMarkup.num(1e20));
    assertFalse(m.find(), "no exponents");
  }
}
