package io.ponte.server.doc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.yjs.Lib0Encoder;
import io.ponte.yjs.YUpdates;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The incremental coverage index answers as {@link YCoverage} on the merged document does. */
@Timeout(30)
class YCoverageIndexTest {
  /** A deletion-only update: ranges of one client as (clock, len) pairs. */
  static byte[] deletion(long client, long... clockLen) {
    Lib0Encoder e = new Lib0Encoder();
    e.writeVarUint(0); // no structs
    e.writeVarUint(1).writeVarUint(client).writeVarUint(clockLen.length / 2);
    for (long v : clockLen) {
      e.writeVarUint(v);
    }
    return e.toByteArray();
  }

  @Test
  void answersAsTheExactCheckOnTheMergedDocument() {
    YTextUpdates ana = new YTextUpdates(11, "t");
    YTextUpdates bo = new YTextUpdates(22, "t");
    List<byte[]> doc = new ArrayList<>();
    doc.add(YUpdates.emptyUpdate());
    YCoverageIndex index = new YCoverageIndex(YUpdates.emptyUpdate());
    List<byte[]> probes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      byte[] a = ana.append("ab" + i);
      byte[] b = bo.append("cd" + i);
      probes.add(a);
      probes.add(b);
      probes.add(deletion(11, i, 1));
      probes.add(deletion(22, 0, i + 1));
      if (i % 2 == 0) {
        doc.add(a);
        index.add(a);
        byte[] del = deletion(11, i, 1);
        doc.add(del);
        index.add(del);
      }
      doc.add(b);
      index.add(b);
    }
    byte[] merged = YUpdates.mergeUpdates(doc);
    int covered = 0;
    for (byte[] p : probes) {
      boolean exact = YCoverage.covers(merged, p);
      assertEquals(exact, index.covers(p, () -> merged));
      covered += exact ? 1 : 0;
    }
    assertTrue(covered > 0 && covered < probes.size(), "both answers occur: " + covered);
    // live edits past everything the document has seen never need the merged document
    assertFalse(index.covers(ana.append("new"), () -> {
      throw new AssertionError("asked for the merged document");
    }));
    // adjacent and overlapping deletions merge
    YCoverageIndex d = new YCoverageIndex(YUpdates.emptyUpdate());
    d.add(deletion(5, 0, 2));
    d.add(deletion(5, 2, 3));
    d.add(deletion(5, 10, 2, 9, 2));
    assertTrue(d.covers(deletion(5, 1, 4), () -> null));
    assertTrue(d.covers(deletion(5, 9, 3), () -> null));
    assertFalse(d.covers(deletion(5, 4, 2), () -> null));
    assertTrue(d.covers(YUpdates.emptyUpdate(), () -> null), "an empty update adds nothing");
  }
}
