package io.ponte.load.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.load.YjsText;
import io.ponte.load.chaos.HistoryChecker.DocReplica;
import io.ponte.load.chaos.HistoryChecker.Probe;
import io.ponte.load.chaos.HistoryChecker.Result;
import io.ponte.load.chaos.HistoryChecker.StoreView;
import io.ponte.load.chaos.HistoryChecker.StoredOp;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The checker on small hand-made histories: a clean one passes, and each planted violation (an
 * acknowledged write missing from the store, a client message id applied twice, a gap, two
 * contents at one seq, a wrong resume, diverged documents, a stuck room) is reported with an
 * excerpt that names it, and the seed.
 */
class HistoryCheckerTest {
  static final String ROOM = "r";
  static final String EPOCH = "e1";

  /** Two clients; a posts twice (acked 1 and 2, the second after a retry), b receives both. */
  private static History clean() {
    History h = new History();
    h.joined("a", ROOM, 0, EPOCH, true);
    h.joined("b", ROOM, 0, EPOCH, true);
    h.sent("a", ROOM, "a.1", "chat", History.hash("chat", "one"));
    h.received("a", ROOM, 1, EPOCH, "chat", History.hash("chat", "one"));
    h.received("b", ROOM, 1, EPOCH, "chat", History.hash("chat", "one"));
    h.acked("a", ROOM, "a.1", 1, EPOCH, false);
    h.sent("a", ROOM, "a.2", "chat", History.hash("chat", "two"));
    h.note("harness", "fault PROXY_CUT");
    h.sent("a", ROOM, "a.2", "chat", History.hash("chat", "two"));
    h.received("b", ROOM, 2, EPOCH, "chat", History.hash("chat", "two"));
    h.received("a", ROOM, 2, EPOCH, "chat", History.hash("chat", "two"));
    h.joined("a", ROOM, 2, EPOCH, false);
    h.acked("a", ROOM, "a.2", 2, EPOCH, true);
    // A placeholder for a seq no node could recover occupies it like any event.
    h.received("b", ROOM, 3, EPOCH, "skipped", "");
    h.received("a", ROOM, 3, EPOCH, "skipped", "");
    return h;
  }

  /** One client, b, that joined afresh and received seq 1 (the clean store's first row). */
  private static History bReceivedSeqOne() {
    History h = new History();
    h.joined("b", ROOM, 0, EPOCH, true);
    h.received("b", ROOM, 1, EPOCH, "chat", History.hash("chat", "one"));
    return h;
  }

  private static List<StoredOp> cleanStore() {
    return new ArrayList<>(List.of(
        new StoredOp(ROOM, 1, "a.1", "chat", History.hash("chat", "one")),
        new StoredOp(ROOM, 2, "a.2", "chat", History.hash("chat", "two")),
        new StoredOp(ROOM, 3, "", "skipped", "")));
  }

  private static Result check(History h, List<StoredOp> store) {
    return check(h, store, List.of(), List.of());
  }

  private static Result check(History h, List<StoredOp> store, List<DocReplica> docs, List<Probe> probes) {
    return HistoryChecker.check(42, h.entries(), new StoreView(Map.of(ROOM, EPOCH), store), docs, probes);
  }

  private static void assertViolation(Result r, String rule, String text) {
    assertTrue(!r.ok(), "expected a violation:\n" + r.describe());
    assertTrue(r.violations().stream().anyMatch(v -> v.rule().equals(rule)
            && (v.message() + v.excerpt()).contains(text)),
        "expected [" + rule + "] mentioning '" + text + "':\n" + r.describe());
    assertTrue(r.describe().contains("--seed 42"), r.describe());
  }

  @Test
  void aCleanHistoryPasses() {
    Result r = check(clean(), cleanStore(), List.of(), List.of(new Probe(ROOM, "node0", true, "acked seq 4")));
    assertTrue(r.ok(), r.describe());
    assertEquals(2, r.counts().get("clients"));
    assertEquals(1, r.counts().get("faults injected"));
    assertEquals(1, r.counts().get("duplicate acks (retries)"));
  }

  @Test
  void anAcknowledgedWriteMissingFromTheStoreIsCaught() {
    List<StoredOp> store = cleanStore();
    store.remove(0);
    Result r = check(clean(), store);
    assertViolation(r, "acked-missing", "r/a.1");
    // The excerpt shows what the client sent and what was acknowledged.
    assertTrue(r.violations().stream().anyMatch(v -> v.excerpt().stream().anyMatch(l -> l.startsWith("Sent["))
        && v.excerpt().stream().anyMatch(l -> l.startsWith("Acked["))), r.describe());
  }

  @Test
  void anAcknowledgedWriteOverwrittenByAnotherIsCaught() {
    List<StoredOp> store = cleanStore();
    store.set(0, new StoredOp(ROOM, 1, "x.9", "chat", History.hash("chat", "other")));
    Result r = check(clean(), store);
    assertViolation(r, "acked-missing", "r/a.1");
    assertViolation(r, "two-contents", "seq 1");
  }

  @Test
  void aClientMessageIdAppliedTwiceIsCaught() {
    List<StoredOp> store = cleanStore();
    store.add(new StoredOp(ROOM, 4, "a.2", "chat", History.hash("chat", "two")));
    History h = clean();
    h.received("b", ROOM, 4, EPOCH, "chat", History.hash("chat", "two"));
    assertViolation(check(h, store), "applied-twice", "r/a.2");
  }

  @Test
  void aRetrySequencedAgainAndRejectedEverywhereIsNotAppliedTwice() {
    List<StoredOp> store = cleanStore();
    store.add(new StoredOp(ROOM, 4, "a.2", "chat", History.hash("chat", "two")));
    History h = clean();
    h.received("b", ROOM, 4, EPOCH, "skipped", "");
    h.received("a", ROOM, 4, EPOCH, "skipped", "");
    Result r = check(h, store);
    assertTrue(r.ok(), r.describe());
  }

  @Test
  void twoAcksOfOneClientMessageIdAtDifferentSeqsAreCaught() {
    History h = clean();
    h.acked("a", ROOM, "a.1", 3, EPOCH, false);
    assertViolation(check(h, cleanStore()), "applied-twice", "seq 1 and 3");
  }

  @Test
  void aGapInWhatAClientReceivedIsCaught() {
    History h = bReceivedSeqOne();
    h.received("b", ROOM, 3, EPOCH, "skipped", "");
    Result r = check(h, cleanStore());
    assertViolation(r, "client-order", "seqs 2..2 never received");
    assertTrue(r.violations().get(0).excerpt().get(r.violations().get(0).excerpt().size() - 1).contains("<-- here"));
  }

  @Test
  void aSeqReceivedTwiceIsCaught() {
    History h = bReceivedSeqOne();
    h.received("b", ROOM, 1, EPOCH, "chat", History.hash("chat", "one"));
    assertViolation(check(h, cleanStore()), "client-order", "received again");
  }

  @Test
  void aResumeThatDoesNotEndAtTheRoomSeqIsCaught() {
    History h = bReceivedSeqOne();
    h.joined("b", ROOM, 3, EPOCH, false);
    assertViolation(check(h, cleanStore()), "client-order", "resume ended at seq 1");
  }

  @Test
  void aNewEpochWithoutAResetIsCaughtAndAResetIsAllowed() {
    History h = bReceivedSeqOne();
    h.joined("b", ROOM, 1, "e2", false);
    assertViolation(check(h, cleanStore()), "client-order", "without a reset");

    History ok = bReceivedSeqOne();
    ok.joined("b", ROOM, 7, "e2", true);
    ok.received("b", ROOM, 8, "e2", "chat", History.hash("chat", "eight"));
    assertTrue(check(ok, cleanStore()).violations().stream().noneMatch(v -> v.rule().equals("client-order")));
  }

  @Test
  void twoContentsAtOneSeqWithinOneEpochAreCaught() {
    History h = clean();
    h.joined("c", ROOM, 0, EPOCH, true);
    h.received("c", ROOM, 1, EPOCH, "chat", History.hash("chat", "not one"));
    assertViolation(check(h, cleanStore()), "two-contents", "r epoch e1 seq 1");
  }

  @Test
  void twoContentsAtOneSeqInDifferentEpochsAreNot() {
    History h = clean();
    h.joined("c", ROOM, 0, "e0", true);
    h.received("c", ROOM, 1, "e0", "chat", History.hash("chat", "from an older epoch"));
    assertTrue(check(h, cleanStore()).violations().stream().noneMatch(v -> v.rule().equals("two-contents")));
  }

  @Test
  void aHoleInTheStoreIsCaught() {
    List<StoredOp> store = cleanStore();
    store.remove(1);
    assertViolation(check(clean(), store), "store-gap", "no seq 2");
  }

  @Test
  void divergedDocumentsAreCaught() {
    byte[] x = YjsText.insert(7, 0, 7, -1, "content", "x");
    byte[] y = YjsText.insert(7, 1, 7, 0, "content", "y");
    String both = DocState.of(List.of(x, y));
    // Order does not matter to a CRDT: the same updates in another order are the same state.
    assertEquals(both, DocState.of(List.of(y, x)));
    Result r = check(clean(), cleanStore(), List.of(new DocReplica("node0", ROOM, "notes", both),
        new DocReplica("client b", ROOM, "notes", DocState.of(List.of(x)))), List.of());
    assertViolation(r, "doc-diverged", "client b");
  }

  @Test
  void aStuckRoomIsCaught() {
    Result r = check(clean(), cleanStore(), List.of(), List.of(new Probe(ROOM, "node2", false, "no answer within 60 s")));
    assertViolation(r, "room-stuck", "node2");
  }

  @Test
  void aStoredRowIsReadWithItsClientMessageIdAndContent() {
    byte[] op = Operation.newBuilder().setClientMsgId("a.1")
        .setChatPost(ChatPost.newBuilder().setRoomId(ROOM).setText("one")).build().toByteArray();
    assertEquals(new StoredOp(ROOM, 1, "a.1", "chat", History.hash("chat", "one")), ChaosRun.storedOp(ROOM, 1, op));
    // A body the checker does not know (e.g. a placeholder) still holds its seq.
    assertEquals("body_not_set", ChaosRun.storedOp(ROOM, 5, Operation.getDefaultInstance().toByteArray()).kind());
  }
}
