package io.ponte.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The {@link StoreContractTest} suite on {@link SqliteStore}, plus SQLite-specific tests. */
class SqliteStoreTest extends StoreContractTest {

  @TempDir Path dir;

  @Override
  protected void prepareDatabase() {
    // A fresh @TempDir per test: nothing to do.
  }

  @Override
  protected void dropDatabase() {
    // @TempDir is removed by JUnit.
  }

  @Override
  protected Future<SqliteStore> openStore(int maxBatch) {
    return SqliteStore.open(dir, SqliteStore.Options.defaults().withMaxBatch(maxBatch));
  }

  @Override
  protected void execSql(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteStore.DB_FILE));
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  @Override
  protected Connection connect() throws Exception {
    return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteStore.DB_FILE));
  }

  @Override
  protected String schema() {
    return null;
  }

  // -------------------------------------------------------------------------------------------

  @Test
  @Timeout(30)
  void createsDirectoryAndDatabaseFile() throws Exception {
    Path nested = dir.resolve("a/b");
    SqliteStore other = await(SqliteStore.open(nested, SqliteStore.Options.defaults()));
    try {
      assertTrue(Files.isRegularFile(nested.resolve(SqliteStore.DB_FILE)));
      assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(nested)), "a directory made for the database");
      await(other.ping());
    } finally {
      await(other.close());
    }
  }

  @Test
  @Timeout(30)
  void openFailsWithUnavailableWhenTheDirectoryCannotBeUsed() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
    assertEquals(
        StoreException.Kind.UNAVAILABLE,
        failureKind(SqliteStore.open(file, SqliteStore.Options.defaults())));
  }

  @Test
  @Timeout(30)
  void optionsAreValidated() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new SqliteStore.Options("OFF", 10));
    assertTrue(e.getMessage().contains("synchronous"));
    e = assertThrows(IllegalArgumentException.class, () -> new SqliteStore.Options(null, 10));
    assertTrue(e.getMessage().contains("synchronous"));
    e = assertThrows(IllegalArgumentException.class, () -> new SqliteStore.Options("FULL", 0));
    assertTrue(e.getMessage().contains("maxBatch"));
    assertEquals("NORMAL", new SqliteStore.Options("normal", 1).synchronous());
    assertEquals(new SqliteStore.Options("FULL", 512), SqliteStore.Options.defaults());
  }

  @Test
  @Timeout(30)
  void normalSynchronousWorks() throws Exception {
    await(store.close());
    store = await(SqliteStore.open(dir, SqliteStore.Options.defaults().withSynchronous("NORMAL")));
    await(store.createRoom(room("r")));
    await(store.append("r", op("r", 1)));
    assertEquals(1, await(store.load("r")).lastSeq());
  }

  @Test
  @Timeout(120)
  void acknowledgedAppendsSurviveKill() throws Exception {
    await(store.close());
    store = null;
    Path childDir = dir.resolve("child");
    Set<Long> acked = ackedBeforeKill(childDir.toString(), "k", dir.resolve("child-stderr.txt"));
    store = await(SqliteStore.open(childDir, SqliteStore.Options.defaults()));
    assertNoAcknowledgedLoss(store, "k", acked);
  }

  @Test
  @Timeout(30)
  void openFileUsesTheGivenFileAndKeepsData() throws Exception {
    Path file = dir.resolve("elsewhere/rooms.db");
    SqliteStore other = await(SqliteStore.openFile(file, SqliteStore.Options.defaults()));
    try {
      await(other.createRoom(room("r")));
      await(other.append("r", op("r", 1)));
    } finally {
      await(other.close());
    }
    assertTrue(Files.isRegularFile(file));
    assertTrue(Files.notExists(dir.resolve("elsewhere").resolve(SqliteStore.DB_FILE)));
    other = await(SqliteStore.openFile(file, SqliteStore.Options.defaults()));
    try {
      assertEquals(expectedOps("r", 1, 1), await(other.load("r")).operationsAfterSnapshot());
    } finally {
      await(other.close());
    }
  }

  @Test
  @Timeout(30)
  void aSecondStoreOnTheSameDatabaseIsRefusedUntilTheFirstCloses() throws Exception {
    // Two in-process brokers would issue the same seqs; a restore must not swap the file either.
    Future<SqliteStore> second = SqliteStore.open(dir, SqliteStore.Options.defaults());
    assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(second));
    assertTrue(second.cause().getMessage().contains("in use"), second.cause().getMessage());
    assertTrue(Files.isRegularFile(SqliteFileLock.lockFile(dir.resolve(SqliteStore.DB_FILE))));
    await(store.close());
    store = await(SqliteStore.open(dir, SqliteStore.Options.defaults()));
    await(store.ping());
  }
}
