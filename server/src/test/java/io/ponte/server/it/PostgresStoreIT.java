package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.store.PgTestSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose store is PostgreSQL ({@code store-url}, a fresh schema of the test server): a chat
 * survives a restart of the node, and a node with another data directory on the same database
 * serves the same room (the store, not the node's disk, holds the history).
 */
@Timeout(120)
class PostgresStoreIT {
  static final String ROOM = DurabilityIT.ROOM;

  @TempDir Path dir;

  @RegisterExtension
  final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();

  @Test
  void chatOnPostgresSurvivesARestartAndAnotherNodeSeesIt() throws Exception {
    UnaryOperator<PonteConfig.Builder> config = b -> DurabilityIT.NO_RATE_LIMIT.apply(b)
        .storeUrl(pg.schema().url()).snapshotInterval(10).snapshotsKept(2).resumeWindow(10);
    Path nodeA = dir.resolve("node-a");
    String epoch;
    List<ChatMessage> before;
    long last;
    long anaSeen;
    try (TestServer s = new TestServer(nodeA, config)) {
      s.createRoom(ROOM);
      TestClient tina = s.user("tina", ROOM, Role.TEACHER);
      TestClient ana = s.user("ana", ROOM, Role.STUDENT);
      epoch = tina.join(ROOM).getEpoch();
      ana.join(ROOM);
      for (int i = 1; i <= 30; i++) {
        TestClient who = i % 2 == 0 ? tina : ana;
        assertEquals(i, who.post(ROOM, "message " + i).getSeq());
      }
      assertEquals(31, DurabilityIT.ack(ana, ClientMessage.newBuilder().setChatEdit(
          ChatEdit.newBuilder().setRoomId(ROOM).setMessageSeq(29).setText("message 29 (edited)"))));
      DurabilityIT.awaitSeq(ana, 31);
      anaSeen = 31;
      ana.close();
      assertEquals(32, tina.post(ROOM, "while ana was away").getSeq());
      last = 32;
      DurabilityIT.awaitSeq(tina, last);
      before = DurabilityIT.history(tina);
      assertEquals(31, before.size());

      s.stop();
      tina.close();
      assertFalse(Files.exists(nodeA.resolve("ponte.db")), "no SQLite store when store-url is set");
      assertEquals(32, count("SELECT count(*) FROM operations WHERE room_id = '" + ROOM + "'"));
      assertTrue(count("SELECT count(*) FROM snapshots WHERE room_id = '" + ROOM + "'") >= 1);

      s.start();
      try (TestClient theo = s.user("theo", ROOM, Role.TEACHER);
          TestClient ana2 = s.user("ana", ROOM, Role.STUDENT)) {
        Joined j = theo.join(ROOM);
        assertEquals(epoch, j.getEpoch(), "a restart loses no history: same epoch");
        assertEquals(last, j.getSeq());
        assertEquals(before, DurabilityIT.history(theo));
        assertEquals("message 29 (edited)", before.get(28).getText());

        Joined a = ana2.join(ROOM, anaSeen, epoch);
        assertFalse(a.getReset());
        assertEquals(List.of("while ana was away"), a.getMissedList().stream()
            .map(e -> e.getChatPosted().getText()).collect(Collectors.toList()));

        assertEquals(last + 1, theo.post(ROOM, "after the restart").getSeq());
        Event e = ana2.nextEvent(ROOM);
        assertEquals(last + 1, e.getSeq());
      }
    }
    last++;

    // Another node, with its own (empty) data directory, on the same database.
    try (TestServer other = new TestServer(dir.resolve("node-b"), config);
        TestClient theo = other.user("theo", ROOM, Role.TEACHER)) {
      Joined j = theo.join(ROOM);
      assertEquals(epoch, j.getEpoch());
      assertEquals(last, j.getSeq());
      List<ChatMessage> history = DurabilityIT.history(theo);
      assertEquals(before, history.subList(0, before.size()));
      assertEquals("after the restart", history.get(history.size() - 1).getText());
    }
  }

  private long count(String sql) throws Exception {
    try (Connection c = pg.schema().connection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
