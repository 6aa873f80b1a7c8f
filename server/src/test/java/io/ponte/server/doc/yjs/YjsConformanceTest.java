package io.ponte.server.doc.yjs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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

  private record Check(String what, JsonObject roots, List<String> a, List<String> b) { }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void javaMergeStateVectorAndDiffHaveTheSameEffectAsYjs() {
    long seed = Long.getLong("yjs.seed", 1);
    int count = Integer.getInteger("yjs.cases", 40);
    JsonObject generated = new JsonObject(YjsNode.script(null, "generate", Long.toString(seed), Integer.toString(count)));
    JsonArray cases = generated.getJsonArray("cases");
    assertEquals(count, cases.size());

    List<Check> checks = new ArrayList<>();
    int bytesEqual = 0;
    int compared = 0;
    int bigClockCases = 0;
    for (int c = 0; c < cases.size(); c++) {
      JsonObject kase = cases.getJsonObject(c);
      String where = "seed " + kase.getLong("seed");
      if (kase.getBoolean("bigClock")) {
        bigClockCases++;
      }
      JsonObject roots = kase.getJsonObject("roots");
      List<String> updates = strings(kase.getJsonArray("updates"));
      List<String> updateSvs = strings(kase.getJsonArray("updateSvs"));

      // state vector of every single update: exactly as yjs
      for (int i = 0; i < updates.size(); i++) {
        byte[] sv = YUpdates.encodeStateVectorFromUpdate(dec(updates.get(i)));
        assertEquals(YUpdates.decodeStateVector(dec(updateSvs.get(i))), YUpdates.decodeStateVector(sv),
            where + " state vector of update " + i);
        assertEquals(updateSvs.get(i), enc(sv), where + " state vector bytes of update " + i);
      }

      for (Object o : kase.getJsonArray("merges")) {
        JsonObject m = (JsonObject) o;
        String what = where + " merge " + m.getString("name");
        List<byte[]> inputs = new ArrayList<>();
        for (Object i : m.getJsonArray("inputs")) {
          inputs.add(dec(updates.get((Integer) i)));
        }
        byte[] merged = YUpdates.mergeUpdates(inputs);
        String yjsMerged = m.getString("result");
        compared++;
        if (enc(merged).equals(yjsMerged)) {
          bytesEqual++;
        }
        assertEquals(YUpdates.decodeStateVector(dec(m.getString("sv"))), YUpdates.stateVectorFromUpdate(merged),
            what + ": state vector of the merged update");
        assertEquals(m.getString("sv"), enc(YUpdates.encodeStateVectorFromUpdate(dec(yjsMerged))),
            what + ": state vector of yjs' merged update");
        checks.add(new Check(what, roots, List.of(enc(merged)), List.of(yjsMerged)));
        List<String> rest = new ArrayList<>();
        for (Object i : m.getJsonArray("rest")) {
          rest.add(updates.get((Integer) i));
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
      for (Object o : kase.getJsonArray("diffs")) {
        JsonObject df = (JsonObject) o;
        String what = where + " diff " + (d++) + " of " + df.getString("source");
        byte[] diff = YUpdates.diffUpdate(dec(df.getString("update")), dec(df.getString("sv")));
        String yjsDiff = df.getString("result");
        compared++;
        if (enc(diff).equals(yjsDiff)) {
          bytesEqual++;
        }
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        String base = df.getString("base");
        if (base != null) {
          a.add(base);
          b.add(base);
        }
        a.add(enc(diff));
        b.add(yjsDiff);
        checks.add(new Check(what, roots, a, b));
      }
    }

    JsonArray checkJson = new JsonArray();
    for (Check ch : checks) {
      checkJson.add(new JsonObject().put("roots", ch.roots()).put("a", new JsonArray(new ArrayList<>(ch.a())))
          .put("b", new JsonArray(new ArrayList<>(ch.b()))));
    }
    JsonArray results = new JsonObject(YjsNode.script(new JsonObject().put("checks", checkJson).encode(), "compare"))
        .getJsonArray("results");
    assertEquals(checks.size(), results.size());
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < checks.size(); i++) {
      JsonObject r = results.getJsonObject(i);
      if (!r.getBoolean("equal")) {
        failures.add(checks.get(i).what() + "\n  java: " + r.getString("a") + "\n  yjs:  " + r.getString("b"));
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
    JsonObject generated = new JsonObject(YjsNode.script(null, "generate", "7", "1"));
    JsonObject kase = generated.getJsonArray("cases").getJsonObject(0);
    List<String> updates = strings(kase.getJsonArray("updates"));
    JsonObject check = new JsonObject().put("roots", kase.getJsonObject("roots"))
        .put("a", new JsonArray().add(updates.get(0)))
        .put("b", new JsonArray().add(enc(YUpdates.emptyUpdate())));
    JsonObject same = new JsonObject().put("roots", kase.getJsonObject("roots"))
        .put("a", new JsonArray().add(updates.get(0)))
        .put("b", new JsonArray().add(updates.get(0)));
    JsonArray results = new JsonObject(YjsNode.script(
        new JsonObject().put("checks", new JsonArray().add(check).add(same)).encode(), "compare")).getJsonArray("results");
    assertFalse(results.getJsonObject(0).getBoolean("equal"));
    assertTrue(results.getJsonObject(1).getBoolean("equal"));
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>(a.size());
    for (Object o : a) {
      out.add((String) o);
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
