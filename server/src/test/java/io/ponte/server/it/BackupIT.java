package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.HistoryPage;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.backup.BackupCommand;
import io.ponte.server.backup.SqliteBackup;
import io.ponte.server.store.SqliteStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ponte backup} and {@code ponte restore} (issue 15, item 6): a backup taken while real
 * clients post holds every post acknowledged before it began and passes its checks; a restore
 * into another data directory brings the rooms back at the backup's seq under a new epoch, so
 * clients that saw later seqs get a reset; bad input gets clear errors and exit codes, and
 * nothing is replaced.
 */
@Timeout(240)
class BackupIT {
  static final List<String> ROOMS = List.of("bk-1", "bk-2");

  @TempDir
  Path dir;

  record Run(int exit, String out, String err) {}

  /** The code the CLI runs, in this JVM. */
  static Run backup(String... args) {
    return run(true, args);
  }

  static Run restore(String... args) {
    return run(false, args);
  }

  private static Run run(boolean backup, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      int code = backup ? BackupCommand.backup(List.of(args), Map.of(), o, e)
          : BackupCommand.restore(List.of(args), Map.of(), o, e);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }

  /** One client posting into one room as fast as its acks come, recording each acked seq. */
  static final class Poster extends Thread {
    final String room;
    final TestClient client;
    final ConcurrentSkipListMap<Long, String> acked = new ConcurrentSkipListMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    Poster(TestServer s, String room) {
      super("poster-" + room);
      this.room = room;
      this.client = s.user("poster-" + room, room, Role.TEACHER);
      client.join(room);
    }

    @Override
    public void run() {
      try {
        for (int i = 0; !stop.get(); i++) {
          String text = room + " post " + i;
          acked.put(client.post(room, text).getSeq(), text);
          if (i % 50 == 0) {
            client.discard(m -> m.getBodyCase() == ServerMessage.BodyCase.EVENT);
          }
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    }

    void awaitAcks(int n) throws InterruptedException {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (acked.size() < n && failure.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(null, failure.get(), "poster failed");
      assertTrue(acked.size() >= n, room + ": only " + acked.size() + " acks");
    }

    void finish() throws InterruptedException {
      stop.set(true);
      join(30_000);
      assertEquals(null, failure.get(), "poster failed");
      client.close();
    }
  }

  private TestServer node(Path data) {
    return new TestServer(data, b -> b.rateMessagesPerSecond(10_000).rateMessagesBurst(10_000));
  }

  @Test
  void aBackupUnderWriteLoadHoldsEveryAckedPostAndARestoreResetsClientsIntoANewEpoch() throws Exception {
    Path data = dir.resolve("node");
    Path inProcess = dir.resolve("backups/in-process.db");
    Path viaCli = dir.resolve("backups/cli.db");
    Map<String, Map<Long, String>> beforeInProcess = new HashMap<>();
    Map<String, Map<Long, String>> beforeCli = new HashMap<>();
    Map<String, Long> lastAcked = new HashMap<>();
    Map<String, String> liveEpochs = new HashMap<>();
    try (TestServer s = node(data)) {
      List<Poster> posters = new ArrayList<>();
      for (String room : ROOMS) {
        s.createRoom(room);
        Poster p = new Poster(s, room);
        posters.add(p);
        p.start();
      }
      try (TestClient watcher = s.user("watcher", "bk-*", Role.OBSERVER)) {
        for (String room : ROOMS) {
          liveEpochs.put(room, watcher.join(room).getEpoch());
        }
      }
      for (Poster p : posters) {
        p.awaitAcks(100);
      }
      for (Poster p : posters) {
        beforeInProcess.put(p.room, new TreeMap<>(p.acked));
      }
      Run r = backup("--to", inProcess.toString(), "--data-dir", data.toString());
      assertEquals(0, r.exit(), () -> "backup: " + r);
      assertTrue(r.out().contains("integrity check ok"), r.out());

      // The real command line, in a child JVM, while the posts go on.
      for (Poster p : posters) {
        beforeCli.put(p.room, new TreeMap<>(p.acked));
      }
      CliTokenIT.Result cli = CliTokenIT.run("backup", "--to", viaCli.toString(), "--data-dir", data.toString());
      assertEquals(0, cli.exit(), () -> "CLI backup: " + cli.err());
      assertTrue(cli.out().contains("Backed up"), cli.out());

      // A node holds its database: restore refuses, in this JVM and from another process.
      Run busy = restore("--from", inProcess.toString(), "--data-dir", data.toString());
      assertEquals(3, busy.exit(), () -> "restore while running: " + busy);
      assertTrue(busy.err().contains("in use") && busy.err().contains("stop the node"), busy.err());
      CliTokenIT.Result busyCli = CliTokenIT.run("restore", "--from", inProcess.toString(), "--data-dir", data.toString());
      assertEquals(3, busyCli.exit(), () -> "CLI restore while running: " + busyCli.err());
      try (var files = Files.list(data)) {
        assertFalse(files.anyMatch(f -> f.getFileName().toString().contains("before-restore")),
            "a refused restore moves nothing");
      }

      // Posts go on past both backups, so clients hold seqs the backups do not have.
      for (Poster p : posters) {
        p.awaitAcks(p.acked.size() + 30);
      }
      for (Poster p : posters) {
        p.finish();
        lastAcked.put(p.room, p.acked.lastKey());
      }
    }

    for (Path backup : List.of(inProcess, viaCli)) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(backup)), backup.toString());
      assertFalse(Files.exists(Path.of(backup + "-wal")), "a backup is one file, no WAL");
      SqliteBackup.Summary checked = SqliteBackup.verify(backup);
      assertEquals(SqliteStore.SCHEMA_VERSION, checked.schemaVersion());
      assertEquals(ROOMS.size(), checked.rooms());
    }
    try (var files = Files.list(inProcess.getParent())) {
      assertEquals(List.of("cli.db", "in-process.db"),
          files.map(f -> f.getFileName().toString()).sorted().toList(), "no temporary file left");
    }
    Map<String, Long> backupSeq = new HashMap<>();
    for (String room : ROOMS) {
      Map<Long, String> inBackup = chatOps(inProcess, room);
      assertContains(inBackup, beforeInProcess.get(room), room + " in the in-process backup");
      assertContains(chatOps(viaCli, room), beforeCli.get(room), room + " in the CLI backup");
      long last = ((TreeMap<Long, String>) inBackup).lastKey();
      assertEquals(inBackup.size(), last, room + ": the backup's seqs are 1..n, gap-free");
      assertTrue(last < lastAcked.get(room), room + ": posts were acknowledged after the backup");
      backupSeq.put(room, last);
    }
    Map<String, String> backupEpochs = epochs(inProcess);
    assertEquals(liveEpochs, backupEpochs, "a backup is a copy: the live epochs");

    // Restore into a new data directory (the old node's directory stays as it was).
    Path restored = dir.resolve("restored");
    Run r = restore("--from", inProcess.toString(), "--data-dir", restored.toString());
    assertEquals(0, r.exit(), () -> "restore: " + r);
    assertTrue(r.out().contains("new epoch"), r.out());
    Path db = restored.resolve(SqliteStore.DB_FILE);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(restored)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
    assertFalse(Files.exists(Path.of(db + "-wal")), "restored WAL-free");
    Map<String, String> restoredEpochs = epochs(db);
    for (String room : ROOMS) {
      assertNotEquals(backupEpochs.get(room), restoredEpochs.get(room), room + ": a new epoch");
    }
    assertEquals(backupEpochs, epochs(inProcess), "the backup itself is unchanged");

    try (TestServer s = node(restored); TestClient late = s.user("late", "bk-*", Role.STUDENT);
        TestClient early = s.user("early", "bk-*", Role.STUDENT)) {
      for (String room : ROOMS) {
        long seq = backupSeq.get(room);
        // Saw seqs the backup does not have: a reset to the backup's state.
        Joined j = late.join(room, lastAcked.get(room), liveEpochs.get(room));
        assertTrue(j.getReset(), () -> "a client ahead of the backup gets a reset: " + j);
        assertEquals(seq, j.getSeq());
        assertEquals(restoredEpochs.get(room), j.getEpoch());
        // Even one whose seq the backup has: the seqs after it will carry other operations.
        Joined e = early.join(room, seq - 1, liveEpochs.get(room));
        assertTrue(e.getReset(), () -> "a resume across a restore is a reset: " + e);
        Map<Long, String> history = history(early, room, seq);
        assertContains(history, beforeInProcess.get(room), room + " history after the restore");
        assertEquals(seq + 1, early.post(room, "after the restore").getSeq(), "seqs go on from the backup's");
      }
    }
  }

  @Test
  void badInputGetsClearErrorsAndReplacesNothing() throws Exception {
    Path data = dir.resolve("node");
    Path backupFile = dir.resolve("b.db");
    // No database yet.
    Run none = backup("--to", backupFile.toString(), "--data-dir", data.toString());
    assertEquals(3, none.exit(), none::toString);
    assertTrue(none.err().contains("no database"), none.err());
    assertFalse(Files.exists(data.resolve(SqliteStore.DB_FILE)), "backup never creates a database");

    try (TestServer s = node(data); TestClient t = s.user("t", "x1", Role.TEACHER)) {
      s.createRoom("x1");
      t.join("x1");
      t.post("x1", "kept");
    }
    assertEquals(0, backup("--to", backupFile.toString(), "--data-dir", data.toString()).exit());
    long size = Files.size(backupFile);

    Run exists = backup("--to", backupFile.toString(), "--data-dir", data.toString());
    assertEquals(3, exists.exit(), exists::toString);
    assertTrue(exists.err().contains("exists") && exists.err().contains("--force"), exists.err());
    assertEquals(0, backup("--to", backupFile.toString(), "--force", "--data-dir", data.toString()).exit());
    assertEquals(size, Files.size(backupFile));

    Run toDir = backup("--to", dir.toString(), "--data-dir", data.toString());
    assertEquals(3, toDir.exit(), toDir::toString);
    Run toItself = backup("--to", data.resolve(SqliteStore.DB_FILE).toString(), "--force", "--data-dir", data.toString());
    assertEquals(3, toItself.exit(), toItself::toString);
    assertTrue(toItself.err().contains("live database"), toItself.err());

    Run help = restore("--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().startsWith("usage:") && help.out().contains("restore --from FILE"), help.out());
    IllegalArgumentException noTo = assertThrows(IllegalArgumentException.class,
        () -> backup("--data-dir", data.toString()));
    assertTrue(noTo.getMessage().startsWith("to:"), noTo.getMessage());
    IllegalArgumentException pg = assertThrows(IllegalArgumentException.class, () -> backup("--to",
        dir.resolve("pg.db").toString(), "--store-url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"));
    assertTrue(pg.getMessage().contains("pg_dump"), pg.getMessage());

    Path target = dir.resolve("target");
    Run missing = restore("--from", dir.resolve("nope.db").toString(), "--data-dir", target.toString());
    assertEquals(3, missing.exit(), missing::toString);
    assertTrue(missing.err().contains("no backup"), missing.err());

    // Restores into the node's directory that fail leave its database as it was.
    byte[] dbBefore = Files.readAllBytes(data.resolve(SqliteStore.DB_FILE));
    Path text = Files.writeString(dir.resolve("notes.txt"), "not a database at all, just some text\n".repeat(20));
    Run notDb = restore("--from", text.toString(), "--data-dir", data.toString());
    assertEquals(4, notDb.exit(), notDb::toString);
    assertTrue(notDb.err().contains("not a SQLite database"), notDb.err());

    Path otherDb = dir.resolve("other.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + otherDb); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE notes (t TEXT)");
    }
    Run notPonte = restore("--from", otherDb.toString(), "--data-dir", data.toString());
    assertEquals(4, notPonte.exit(), notPonte::toString);
    assertTrue(notPonte.err().contains("not a Ponte database"), notPonte.err());

    Path newer = Files.copy(backupFile, dir.resolve("newer.db"));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + newer); Statement st = c.createStatement()) {
      st.execute("INSERT INTO schema_version(version) VALUES (" + (SqliteStore.SCHEMA_VERSION + 1) + ")");
    }
    Run tooNew = restore("--from", newer.toString(), "--data-dir", data.toString());
    assertEquals(4, tooNew.exit(), tooNew::toString);
    assertTrue(tooNew.err().contains("newer"), tooNew.err());

    Run live = restore("--from", data.resolve(SqliteStore.DB_FILE).toString(), "--data-dir", data.toString());
    assertEquals(3, live.exit(), live::toString);

    IllegalArgumentException force = assertThrows(IllegalArgumentException.class,
        () -> restore("--from", backupFile.toString(), "--force", "--data-dir", data.toString()));
    assertTrue(force.getMessage().startsWith("force:"), force.getMessage());

    assertTrue(java.util.Arrays.equals(dbBefore, Files.readAllBytes(data.resolve(SqliteStore.DB_FILE))),
        "failed restores leave the database as it was");
    try (var files = Files.list(data)) {
      List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
      assertFalse(names.stream().anyMatch(n -> n.contains("before-restore") || n.startsWith(".")),
          "failed restores leave nothing behind: " + names);
    }

    // A good restore over an existing database keeps that one aside, WAL and all.
    Run ok = restore("--from", backupFile.toString(), "--data-dir", data.toString());
    assertEquals(0, ok.exit(), ok::toString);
    assertTrue(ok.out().contains("kept as"), ok.out());
    try (var files = Files.list(data)) {
      List<Path> aside = files.filter(f -> f.getFileName().toString().startsWith("ponte.db.before-restore-")).toList();
      assertEquals(1, aside.size(), aside::toString);
      assertTrue(java.util.Arrays.equals(dbBefore, Files.readAllBytes(aside.get(0))), "the previous database, unchanged");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(aside.get(0))));
    }
    try (TestServer s = node(data); TestClient t = s.user("t", "x1", Role.TEACHER)) {
      Joined j = t.join("x1");
      assertEquals(1, j.getSeq());
      assertEquals("kept", j.getSnapshot().getRecentMessages(0).getText());
    }
  }

  // ---------------------------------------------------------------------------------------------

  static void assertContains(Map<Long, String> actual, Map<Long, String> expected, String what) {
    List<String> missing = new ArrayList<>();
    expected.forEach((seq, text) -> {
      if (!text.equals(actual.get(seq))) {
        missing.add(seq + "=" + text + " (found " + actual.get(seq) + ")");
      }
    });
    assertTrue(missing.isEmpty(), () -> what + ": " + missing.size() + " acked post(s) missing, e.g. "
        + missing.subList(0, Math.min(5, missing.size())));
  }

  /** seq → chat text of a room's operations in a database file. */
  static Map<Long, String> chatOps(Path db, String room) throws Exception {
    Map<Long, String> ops = new TreeMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        PreparedStatement st = c.prepareStatement("SELECT seq, op FROM operations WHERE room_id = ?")) {
      st.setString(1, room);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          ops.put(rs.getLong(1), Operation.parseFrom(rs.getBytes(2)).getChatPost().getText());
        }
      }
    }
    return ops;
  }

  static Map<String, String> epochs(Path db) throws Exception {
    Map<String, String> epochs = new HashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT room_id, epoch FROM rooms")) {
      while (rs.next()) {
        epochs.put(rs.getString(1), rs.getString(2));
      }
    }
    return epochs;
  }

  /** Every chat message of the room up to {@code last}, through history pages. */
  static Map<Long, String> history(TestClient c, String room, long last) {
    Map<Long, String> all = new TreeMap<>();
    long before = last + 1;
    while (true) {
      HistoryPage page = c.history(room, before, 100);
      for (ChatMessage m : page.getMessagesList()) {
        all.put(m.getSeq(), m.getText());
      }
      if (!page.getMore() || page.getMessagesCount() == 0) {
        return all;
      }
      before = page.getMessages(0).getSeq();
    }
  }
}
