package io.ponte.yjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Golden and randomized tests of the Java Yjs engine against the real {@code yjs} npm package: the
 * Node script generates concurrent edits by several clients (see {@code src/test/js/yjs-cases.mjs})
 * and yjs' answers; the Java answers are then applied to fresh {@code Y.Doc}s next to yjs' and the
 * documents compared (content, state vector, pending structs and deletes).
 *
 * <p>Seeds: {@code -Dyjs.seed=N} (default 1) and {@code -Dyjs.cases=N} (default 40).
 */
class YjsConformanceTest {
  private static final Base64.Decoder B64D = Base64.getDecoder();
  private static final Base64.Encoder B64E = Base64.getEncoder();
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private record Check(String what, JsonNode roots, List<String> a, List<String> b) { }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void javaMergeStateVectorAndDiffHaveTheSameEffectAsYjs() {
    long seed = Long.getLong("yjs.seed", 1);
    int count = Integer.getInteger("yjs.cases", 40);
    JsonNode cases = YjsNode.script(null, "generate", Long.toString(seed), Integer.toString(count)).get("cases");
    assertEquals(count, cases.size());

    List<Check> checks = new ArrayList<>();
    int bytesEqual = 0;
    int compared = 0;
    int bigClockCases = 0;
    for (int c = 0; c < cases.size(); c++) {
      JsonNode kase = cases.get(c);
      String where = "seed " + kase.get("seed").asLong();
      if (kase.get("bigClock").booleanValue()) {
        bigClockCases++;
      }
      JsonNode roots = kase.get("roots");
      List<String> updates = strings(kase.get("updates"));
      List<String> updateSvs = strings(kase.get("updateSvs"));

      // state vector of every single update: exactly as yjs
      for (int i = 0; i < updates.size(); i++) {
        byte[] sv = YUpdates.encodeStateVectorFromUpdate(dec(updates.get(i)));
        assertEquals(YUpdates.decodeStateVector(dec(updateSvs.get(i))), YUpdates.decodeStateVector(sv),
            where + " state vector of update " + i);
        assertEquals(updateSvs.get(i), enc(sv), where + " state vector bytes of update " + i);
      }

      for (JsonNode m : kase.get("merges")) {
        String what = where + " merge " + m.get("name").asText();
        List<byte[]> inputs = new ArrayList<>();
        for (JsonNode i : m.get("inputs")) {
          inputs.add(dec(updates.get(i.intValue())));
        }
        byte[] merged = YUpdates.mergeUpdates(inputs);
        String yjsMerged = m.get("result").textValue();
        compared++;
        if (enc(merged).equals(yjsMerged)) {
          bytesEqual++;
        }
        assertEquals(YUpdates.decodeStateVector(dec(m.get("sv").textValue())), YUpdates.stateVectorFromUpdate(merged),
            what + ": state vector of the merged update");
        assertEquals(m.get("sv").textValue(), enc(YUpdates.encodeStateVectorFromUpdate(dec(yjsMerged))),
            what + ": state vector of yjs' merged update");
        checks.add(new Check(what, roots, List.of(enc(merged)), List.of(yjsMerged)));
        List<String> rest = new ArrayList<>();
        for (JsonNode i : m.get("rest")) {
          rest.add(updates.get(i.intValue()));
        }
        if (!rest.isEmpty()) {
          List<String> a = new ArrayList<>(List.of(enc(merged)));
          a.addAll(rest);
          List<String> b = new ArrayList<>(List.of(yjsMerged));
          b.addAll(rest);
          checks.add(new Check(what + " then the other updates", roots, a, b));
        }
      }

      int d = 0;
      for (JsonNode df : kase.get("diffs")) {
        String what = where + " diff " + (d++) + " of " + df.get("source").asText();
        byte[] diff = YUpdates.diffUpdate(dec(df.get("update").textValue()), dec(df.get("sv").textValue()));
        String yjsDiff = df.get("result").textValue();
        compared++;
        if (enc(diff).equals(yjsDiff)) {
          bytesEqual++;
        }
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        String base = df.path("base").textValue();
        if (base != null) {
          a.add(base);
          b.add(base);
        }
        a.add(enc(diff));
        b.add(yjsDiff);
        checks.add(new Check(what, roots, a, b));
      }
    }

    ArrayNode checkJson = JSON.arrayNode();
    for (Check ch : checks) {
      checkJson.add(check(ch.roots(), ch.a(), ch.b()));
    }
    JsonNode results = YjsNode.script(JSON.objectNode().set("checks", checkJson), "compare").get("results");
    assertEquals(checks.size(), results.size());
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < checks.size(); i++) {
      JsonNode r = results.get(i);
      if (!r.get("equal").booleanValue()) {
        failures.add(checks.get(i).what() + "\n  java: " + r.get("a").textValue() + "\n  yjs:  " + r.get("b").textValue());
      }
    }
    System.out.printf("yjs conformance: %d cases (%d with clocks past 2^32), %d checks applied in Node,"
        + " %d of %d results byte-identical to yjs%n", count, bigClockCases, checks.size(), bytesEqual, compared);
    assertTrue(failures.isEmpty(), failures.size() + " of " + checks.size() + " checks differ from yjs:\n"
        + String.join("\n", failures.subList(0, Math.min(5, failures.size()))));
    assertTrue(bigClockCases > 0, "some cases should use clocks past 2^32");
    assertFalse(checks.isEmpty());
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aComparisonOfDifferentDocumentsFails() {
    // guards the comparison itself: documents that differ must be reported as different
    JsonNode kase = YjsNode.script(null, "generate", "7", "1").get("cases").get(0);
    List<String> updates = strings(kase.get("updates"));
    ObjectNode check = check(kase.get("roots"), List.of(updates.get(0)), List.of(enc(YUpdates.emptyUpdate())));
    ObjectNode same = check(kase.get("roots"), List.of(updates.get(0)), List.of(updates.get(0)));
    JsonNode results = YjsNode.script(JSON.objectNode().set("checks", JSON.arrayNode().add(check).add(same)), "compare")
        .get("results");
    assertFalse(results.get(0).get("equal").booleanValue());
    assertTrue(results.get(1).get("equal").booleanValue());
  }

  /** A check for the Node script: apply the updates {@code a} and {@code b} to two fresh docs, compare. */
  private static ObjectNode check(JsonNode roots, List<String> a, List<String> b) {
    ObjectNode check = JSON.objectNode();
    check.set("roots", roots);
    a.forEach(check.putArray("a")::add);
    b.forEach(check.putArray("b")::add);
    return check;
  }

  static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>(a.size());
    for (JsonNode o : a) {
      out.add(o.textValue());
    }
    return out;
  }

  static byte[] dec(String s) {
    return B64D.decode(s);
  }

  static String enc(byte[] b) {
    return B64E.encodeToString(b);
  }

  static String hex(byte[] b) {
    return Arrays.toString(b);
  }
}
