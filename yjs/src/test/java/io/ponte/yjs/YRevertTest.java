package io.ponte.yjs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's revert of one participant against the real {@code yjs}: three peers edit a Y.Text,
 * a Y.Array and paragraphs of a Y.XmlFragment ({@code src/test/js/revert-cases.mjs}); the inverse of peer C's
 * edits since a point, computed here, is applied in yjs; the text must be what A and B wrote, with
 * their later edits (markers written next to C's text) still there, in either order of applying.
 *
 * <p>Seeds: {@code -Dyjs.seed=N} (default 1) and {@code -Dyjs.revertCases=N} (default 60).
 */
class YRevertTest {
  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final Base64.Encoder B64E = Base64.getEncoder();
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void revertingOnePeerLeavesExactlyWhatTheOthersWrote() {
    long seed = Long.getLong("yjs.seed", 1);
    int count = Integer.getInteger("yjs.revertCases", 60);
    JsonNode cases = YjsNode.script(null, "revert-generate", Long.toString(seed), Integer.toString(count))
        .get("cases");
    assertEquals(count, cases.size());

    ArrayNode checks = JSON.arrayNode();
    long restoredCases = 0;
    for (JsonNode kase : cases) {
      long client = kase.get("client").asLong();
      Computed c = compute(kase, client);
      if (c.result().restoredUnits() > 0) {
        restoredCases++;
      }
      ObjectNode check = JSON.objectNode();
      ArrayNode ups = check.putArray("updates");
      kase.get("updates").forEach(u -> ups.add(u.get("update").textValue()));
      check.put("inverse", B64E.encodeToString(c.result().update()));
      checks.add(check);
    }
    JsonNode results = YjsNode.script(JSON.objectNode().set("cases", checks), "revert-check").get("results");
    int sameMarks = 0;
    int bMarkers = 0;
    for (int i = 0; i < cases.size(); i++) {
      JsonNode kase = cases.get(i);
      JsonNode r = results.get(i);
      String where = "seed " + kase.get("seed").asLong();
      assertFalse(r.get("pending").booleanValue(), where + ": structs left pending");
      String text = r.get("text").textValue();
      String xml = r.get("xml").textValue();
      assertTrue(text.contains("<A>"), where + ": A's later edit is gone: " + text);
      if (kase.get("bMarker").booleanValue()) {
        assertTrue(xml.contains("&lt;B&gt;") || xml.contains("<B>"), where + ": B's later edit is gone: " + xml);
        bMarkers++;
      }
      assertEquals(kase.get("expectedText").textValue(), text.replace("<A>", ""), where + " text");
      String expectedXml = kase.get("expectedXml").textValue();
      String xmlWithoutB = xml.replace("&lt;B&gt;", "").replace("<B>", "");
      // Formatting marks around restored text may be gone: when C's deletion reached them, A's and
      // B's yjs removed the marks that then formatted nothing (yjs' format cleanup), as their edits.
      assertEquals(withoutMarks(expectedXml), withoutMarks(xmlWithoutB), where + " xml");
      if (expectedXml.equals(xmlWithoutB)) {
        sameMarks++;
      }
      assertEquals(kase.get("expectedArr").textValue(), r.get("arr").textValue(), where + " array");
      assertEquals(text, r.get("otherOrderText").textValue(), where + ": text depends on the order");
      // (yjs' format cleanup runs while applying, so marks may differ by order; the text may not)
      assertEquals(withoutMarks(xml), withoutMarks(r.get("otherOrderXml").textValue()),
          where + ": xml depends on the order");
    }
    System.out.printf("YRevertTest: %d cases, %d restore deleted content, %d with identical formatting%n",
        count, restoredCases, sameMarks);
    assertTrue(bMarkers > count / 2, "B wrote into a paragraph in only " + bMarkers + " cases");
    assertTrue(sameMarks > count / 2, "formatting differs in " + (count - sameMarks) + " cases");
    // the cases must exercise both parts: deleting C's text and restoring what C deleted
    assertTrue(restoredCases > count / 3, "only " + restoredCases + " cases restore anything");
  }

  private static String withoutMarks(String xml) {
    return xml.replaceAll("</?(bold|italic)>", "");
  }

  private record Computed(YRevert.Result result, byte[] doc) { }

  /** What a server would compute: the merged document, C's new deletions since the point, the inverse. */
  private static Computed compute(JsonNode kase, long client) {
    int since = kase.get("sinceIndex").intValue();
    List<byte[]> applied = new ArrayList<>();
    YDeleteSet deletions = new YDeleteSet();
    byte[] doc = YUpdates.emptyUpdate();
    JsonNode updates = kase.get("updates");
    for (int i = 0; i < updates.size(); i++) {
      byte[] u = B64D.decode(updates.get(i).get("update").textValue());
      if (i >= since && updates.get(i).get("author").textValue().equals("C")) {
        YDeleteSet fresh = YRevert.newlyDeleted(doc, YUpdate.decode(u).deleteSet());
        fresh.clients().forEach((c, ranges) -> ranges.forEach(r -> deletions.add(c, r.clock(), r.len())));
      }
      applied.add(u);
      doc = YUpdates.mergeUpdates(List.of(doc, u));
    }
    YRevert.Result r = YRevert.inverse(doc, Map.of(client, kase.get("sinceClock").asLong()), deletions,
        YRevert.SERVER_CLIENT);
    return new Computed(r, doc);
  }

  @Test
  void nothingToRevertGivesAnEmptyUpdate() {
    JsonNode kase = YjsNode.script(null, "revert-generate", "3", "1").get("cases").get(0);
    Computed c = compute(kase, kase.get("client").asLong());
    YRevert.Result none = YRevert.inverse(c.doc(), Map.of(42L, 0L), new YDeleteSet(), YRevert.SERVER_CLIENT);
    assertTrue(none.isEmpty());
    assertArrayEquals(YUpdates.emptyUpdate(), none.update());
    // Reverting again after the inverse was applied finds nothing left to delete.
    byte[] after = YUpdates.mergeUpdates(List.of(c.doc(), c.result().update()));
    YRevert.Result again = YRevert.inverse(after, Map.of(kase.get("client").asLong(),
        kase.get("sinceClock").asLong()), new YDeleteSet(), YRevert.SERVER_CLIENT);
    assertEquals(0, again.deletedUnits());
  }

  @Test
  void restoredItemsContinueTheServerClientsClock() {
    JsonNode kase = YjsNode.script(null, "revert-generate", "5", "1").get("cases").get(0);
    Computed c = compute(kase, kase.get("client").asLong());
    byte[] after = YUpdates.mergeUpdates(List.of(c.doc(), c.result().update()));
    long next = YUpdates.stateVectorFromUpdate(after).getOrDefault(YRevert.SERVER_CLIENT, 0L);
    assertEquals(c.result().restoredUnits(), next);
    YRevert.Result second = YRevert.inverse(after, Map.of(), YRevert.newlyDeleted(c.doc(),
        YUpdate.decode(c.result().update()).deleteSet()), YRevert.SERVER_CLIENT);
    for (YStruct s : YUpdate.decode(second.update()).structs()) {
      assertTrue(s.clock() >= next, "restored item reuses a clock: " + s);
    }
  }
}
