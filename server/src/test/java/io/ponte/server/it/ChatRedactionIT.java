package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Deleted means gone": a deleted or edited chat message's old text is nowhere any more, not in
 * the database file, its WAL, the snapshots, the resume window, nor the Redis stream; replaying
 * the rewritten operations gives the same room.
 */
@Timeout(120)
class ChatRedactionIT {
  private static final String DELETED = "secret-one-AAA";
  private static final String KEPT = "kept-text-KKK";
  private static final String FIRST_VERSION = "to-edit-BBB";
  private static final String SECOND_VERSION = "edit-one-CCC";
  private static final String LAST_VERSION = "final-DDD";
  private static final String DRAFT = "draft-FFF";
  private static final String DRAFT_EDIT = "draft2-GGG";
  private static final List<String> GONE =
      List.of(DELETED, FIRST_VERSION, SECOND_VERSION, DRAFT, DRAFT_EDIT);

  @TempDir
  Path dir;

  @Test
  void deletedAndEditedTextsAreGoneFromTheFilesTheResumeWindowAndARestartedNode() throws Exception {
    // Snapshots every ten operations: one holds the texts before they are deleted.
    try (TestServer s = new TestServer(dir, b -> b.snapshotInterval(10))) {
      s.createRoom("r1");
      Joined before;
      List<ChatMessage> liveMessages;
      String epoch;
      try (TestClient teacher = s.user("t", "r1", Role.TEACHER);
          TestClient ana = s.user("ana", "r1", Role.STUDENT)) {
        epoch = teacher.join("r1").getEpoch();
        ana.join("r1");
        long deleted = ana.post("r1", DELETED).getSeq();
        ana.post("r1", KEPT);
        long edited = ana.post("r1", FIRST_VERSION).getSeq();
        for (int i = 0; i < 8; i++) {
          teacher.post("r1", "filler " + i);
        }
        awaitSnapshot(s, "r1");
        assertFilesHold(dir, FIRST_VERSION); // the check below is not vacuous
        TestClient.ack(ana.request(edit("r1", edited, SECOND_VERSION)));
        TestClient.ack(ana.request(edit("r1", edited, LAST_VERSION)));
        awaitNowhere(dir, FIRST_VERSION);
        assertFilesHold(dir, LAST_VERSION);

        TestClient.ack(teacher.request(delete("r1", deleted))); // a teacher deletes ana's message
        long draft = ana.post("r1", DRAFT).getSeq();
        TestClient.ack(ana.request(edit("r1", draft, DRAFT_EDIT)));
        TestClient.ack(ana.request(delete("r1", draft)));
        for (String text : GONE) {
          awaitNowhere(dir, text);
        }
        assertFilesHold(dir, KEPT);
        assertFilesHold(dir, LAST_VERSION);

        // A client resuming from before the deletion gets the events without the old texts.
        try (TestClient late = s.user("bo", "r1", Role.STUDENT)) {
          Joined resumed = late.join("r1", 1, epoch);
          assertFalse(resumed.getReset(), "the resume window covers the room");
          assertNoGoneText(resumed.getMissedList().toString());
          Event post = resumed.getMissed((int) edited - 2);
          assertTrue(post.hasChatPosted() && post.getChatPosted().getText().isEmpty(), post::toString);
        }
        try (TestClient fresh = s.user("cy", "r1", Role.STUDENT)) {
          before = fresh.join("r1");
          liveMessages = fresh.history("r1", 0, 100).getMessagesList();
        }
      }
      assertNoGoneText(before.toString());
      assertEquals(12, liveMessages.size());
      assertTrue(liveMessages.get(0).getDeleted());
      assertEquals(LAST_VERSION, liveMessages.get(2).getText());

      // A node starting on the same store (new process state) rebuilds the same room from the
      // rewritten operations and the snapshot taken after the deletion.
      s.stop();
      s.start();
      try (TestClient again = s.user("cy", "r1", Role.STUDENT)) {
        Joined after = again.join("r1");
        assertEquals(before.getSnapshot(), after.getSnapshot());
        assertEquals(liveMessages, again.history("r1", 0, 100).getMessagesList());
        epoch = after.getEpoch();
      }
      try (TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        Joined resumed = bo.join("r1", 1, epoch);
        assertFalse(resumed.getReset(), "the rebuilt resume window covers the room");
        assertNoGoneText(resumed.toString());
      }
      for (String text : GONE) {
        awaitNowhere(dir, text);
      }
    }
  }

  /**
   * With Redis: the stream keeps every seq but none of the old texts, and a second node with a
   * store of its own, which learns the room's operations from the stream, gets the same room.
   */
  @Test
  void theRedisStreamHoldsRewrittenCopiesAndAnotherNodeBuildsTheSameRoomFromThem() throws Exception {
    String prefix = RedisFixture.newPrefix();
    String url = RedisFixture.get().url();
    try (TestServer a = new TestServer(dir.resolve("a"),
        b -> b.redisUrl(url).redisKeyPrefix(prefix).nodeId("node-a"))) {
      a.createRoom("r2");
      Joined onA;
      try (TestClient ana = a.user("ana", "r2", Role.STUDENT)) {
        ana.join("r2");
        long deleted = ana.post("r2", DELETED).getSeq();
        ana.post("r2", KEPT);
        long edited = ana.post("r2", FIRST_VERSION).getSeq();
        TestClient.ack(ana.request(edit("r2", edited, SECOND_VERSION)));
        TestClient.ack(ana.request(edit("r2", edited, LAST_VERSION)));
        TestClient.ack(ana.request(delete("r2", deleted)));
      }
      List<String> stream = awaitStreamWithout(url, prefix + "{r2}:stream", 6);
      assertEquals(6, stream.size(), "every seq stays in the stream");
      assertTrue(String.join("\n", stream).contains(LAST_VERSION));
      try (TestClient cy = a.user("cy", "r2", Role.STUDENT)) {
        onA = cy.join("r2");
      }
      try (TestServer b = new TestServer(dir.resolve("b"),
          c -> c.redisUrl(url).redisKeyPrefix(prefix).nodeId("node-b"))) {
        b.createRoom("r2");
        try (TestClient cy = b.user("cy", "r2", Role.STUDENT)) {
          Joined onB = cy.join("r2");
          assertEquals(onA.getSnapshot(), onB.getSnapshot());
          assertEquals(onA.getSeq(), onB.getSeq());
        }
        for (String text : GONE.subList(0, 3)) {
          awaitNowhere(dir.resolve("b"), text);
          awaitNowhere(dir.resolve("a"), text);
        }
      }
    }
  }

  /** Waits until the store holds a snapshot of the room. */
  private static void awaitSnapshot(TestServer s, String room) throws Exception {
    for (int i = 0; i < 100; i++) {
      if (s.server().store().load(room).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS).snapshot() != null) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no snapshot of " + room);
  }

  /**
   * A cluster on PostgreSQL: two nodes on one schema and Redis. The rows of the operations and
   * snapshots no longer hold the texts (the old row versions are PostgreSQL's to vacuum, see the
   * README), and a fresh node sees the same room.
   */
  @Test
  void onPostgresTheRowsNoLongerHoldTheTextsAndAFreshNodeSeesTheSameRoom() throws Exception {
    String prefix = RedisFixture.newPrefix();
    String url = RedisFixture.get().url();
    java.util.function.Function<String, java.util.function.UnaryOperator<io.ponte.server.config.PonteConfig.Builder>>
        node = id -> b -> b.redisUrl(url).redisKeyPrefix(prefix).nodeId(id)
            .storeUrl(pg.schema().url()).snapshotInterval(10);
    Joined onB;
    try (TestServer a = new TestServer(dir.resolve("a"), node.apply("node-a"));
        TestServer b = new TestServer(dir.resolve("b"), node.apply("node-b"))) {
      a.createRoom("r4");
      try (TestClient ana = a.user("ana", "r4", Role.STUDENT);
          TestClient teacher = b.user("t", "r4", Role.TEACHER)) {
        ana.join("r4");
        teacher.join("r4");
        long deleted = ana.post("r4", DELETED).getSeq();
        long edited = ana.post("r4", FIRST_VERSION).getSeq();
        for (int i = 0; i < 10; i++) {
          teacher.post("r4", "filler " + i);
        }
        TestClient.ack(ana.request(edit("r4", edited, LAST_VERSION)));
        TestClient.ack(teacher.request(delete("r4", deleted))); // sequenced by node B
        teacher.awaitEvent(e -> e.hasChatDeleted(), "the deletion");
      }
      for (int i = 0; i < 100 && rowsHold(DELETED) + rowsHold(FIRST_VERSION) > 0; i++) {
        Thread.sleep(100);
      }
      assertEquals(0, rowsHold(DELETED));
      assertEquals(0, rowsHold(FIRST_VERSION));
      assertTrue(rowsHold(LAST_VERSION) > 0);
      try (TestClient cy = b.user("cy", "r4", Role.STUDENT)) {
        onB = cy.join("r4");
      }
    }
    try (TestServer fresh = new TestServer(dir.resolve("c"), node.apply("node-c"))) {
      try (TestClient cy = fresh.user("cy", "r4", Role.STUDENT)) {
        Joined j = cy.join("r4");
        assertEquals(onB.getSnapshot(), j.getSnapshot());
        assertNoGoneText(j.toString() + cy.history("r4", 0, 100));
      }
    }
  }

  @org.junit.jupiter.api.extension.RegisterExtension
  final io.ponte.server.store.PgTestSchema.PerTest pg = new io.ponte.server.store.PgTestSchema.PerTest();

  /** Rows of the room's operations and snapshots whose bytes hold the text. */
  private long rowsHold(String text) throws Exception {
    long n = 0;
    try (java.sql.Connection c = pg.schema().connection();
        java.sql.Statement st = c.createStatement()) {
      for (String sql : List.of("SELECT op FROM operations", "SELECT state FROM snapshots")) {
        try (java.sql.ResultSet rs = st.executeQuery(sql)) {
          while (rs.next()) {
            if (new String(rs.getBytes(1), StandardCharsets.ISO_8859_1).contains(text)) {
              n++;
            }
          }
        }
      }
    }
    return n;
  }

  static ClientMessage.Builder edit(String room, long seq, String text) {
    return ClientMessage.newBuilder().setChatEdit(
        ChatEdit.newBuilder().setRoomId(room).setMessageSeq(seq).setText(text));
  }

  static ClientMessage.Builder delete(String room, long seq) {
    return ClientMessage.newBuilder().setChatDelete(
        ChatDelete.newBuilder().setRoomId(room).setMessageSeq(seq));
  }

  private static void assertNoGoneText(String s) {
    for (String text : GONE) {
      assertFalse(s.contains(text), () -> "'" + text + "' in " + s);
    }
  }

  /** The stream's entries (raw bytes as ISO-8859-1), once none holds a gone text. */
  private static List<String> awaitStreamWithout(String url, String key, int entries)
      throws Exception {
    Vertx v = Vertx.vertx();
    try {
      Redis client = Redis.createClient(v, url);
      List<String> out = List.of();
      for (int i = 0; i < 100; i++) {
        Response r = client.send(Request.cmd(Command.XRANGE).arg(key).arg("-").arg("+"))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<String> now = new ArrayList<>();
        for (Response entry : r) {
          now.add(entry.get(1).toString());
        }
        out = now;
        String all = String.join("\n", now);
        if (now.size() >= entries && GONE.subList(0, 3).stream().noneMatch(all::contains)) {
          return now;
        }
        Thread.sleep(100);
      }
      throw new AssertionError("the stream still holds a deleted text: " + out);
    } finally {
      v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Waits (the scrub is debounced) until no file under root holds the text. */
  static void awaitNowhere(Path root, String text) throws Exception {
    AssertionError last = null;
    for (int i = 0; i < 100; i++) {
      try {
        RetentionIT.assertTextNowhere(root, text);
        return;
      } catch (AssertionError e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw last;
  }

  /** Some file under root holds the text (so that "nowhere" checks test something). */
  static void assertFilesHold(Path root, String text) throws IOException {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    for (Path f : files) {
      String hay = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      if (hay.contains(new String(needle, StandardCharsets.ISO_8859_1))) {
        return;
      }
    }
    throw new AssertionError("no file under " + root + " holds '" + text + "'");
  }
}
