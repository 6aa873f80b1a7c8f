package io.ponte.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.SequencedOperation;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link StoreContractTest} suite on {@link PostgresStore}, each test in a fresh schema of the
 * test server ({@link PgTestSchema}), plus what only a shared database has: several nodes on one
 * schema, concurrent migration, lost connections.
 */
class PostgresStoreTest extends StoreContractTest {

  @TempDir Path dir;

  private PgTestSchema schema;

  @Override
  protected void prepareDatabase() {
    schema = PgTestSchema.create();
  }

  @Override
  protected void dropDatabase() {
    if (schema != null) {
      schema.close();
    }
  }

  @Override
  protected Future<PostgresStore> openStore(int maxBatch) {
    return PostgresStore.open(schema.url(), PostgresStore.Options.defaults().withMaxBatch(maxBatch));
  }

  @Override
  protected void execSql(String sql) {
    schema.exec(sql);
  }

  @Override
  protected Connection connect() {
    return schema.connection();
  }

  @Override
  protected String schema() {
    return schema.name();
  }

  // -------------------------------------------------------------------------------------------

  @Test
  @Timeout(60)
  void nodesStartingTogetherMigrateOnce() throws Exception {
    try (PgTestSchema fresh = PgTestSchema.create()) {
      List<Future<PostgresStore>> opening = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        opening.add(PostgresStore.open(fresh.url(), PostgresStore.Options.defaults()));
      }
      List<PostgresStore> nodes = new ArrayList<>();
      try {
        for (Future<PostgresStore> f : opening) {
          nodes.add(await(f));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), versions(fresh));
        await(nodes.get(0).createRoom(room("r")));
        for (PostgresStore node : nodes) {
          assertEquals(List.of(room("r")), await(node.rooms()));
        }
      } finally {
        for (PostgresStore node : nodes) {
          await(node.close());
        }
      }
    }
  }

  @Test
  @Timeout(60)
  void twoNodesShareOneDatabase() throws Exception {
    PostgresStore other = await(PostgresStore.open(schema.url(), PostgresStore.Options.defaults()));
    try {
      await(store.createRoom(room("r")));
      assertEquals(StoreException.Kind.ROOM_EXISTS, failureKind(other.createRoom(room("r"))));
      for (long seq = 1; seq <= 3; seq++) {
        await(store.append("r", op("r", seq)));
      }
      assertEquals(expectedOps("r", 1, 3), await(other.load("r")).operationsAfterSnapshot());
      await(other.append("r", op("r", 4)));
      assertEquals(expectedOps("r", 1, 4), await(store.operations("r", 0, 100)));

      // Both nodes store the same seq at the same time: identical bytes both succeed...
      for (long seq = 5; seq <= 40; seq++) {
        Future<Void> a = store.append("r", op("r", seq));
        Future<Void> b = other.append("r", op("r", seq));
        await(a);
        await(b);
      }
      assertEquals(expectedOps("r", 1, 40), await(store.operations("r", 0, 100)));
      // ...different bytes: exactly one wins, the other gets CONFLICT (never a raw SQL error).
      for (long seq = 41; seq <= 60; seq++) {
        Future<Void> a = store.append("r", op("r", seq));
        Future<Void> b = other.append("r", conflicting("r", seq));
        int won = 0;
        for (Future<Void> f : List.of(a, b)) {
          if (succeeds(f)) {
            won++;
          } else {
            assertEquals(StoreException.Kind.CONFLICT, failureKind(f));
          }
        }
        assertEquals(1, won, "seq " + seq);
      }
      List<SequencedOperation> all = await(other.operations("r", 0, 100));
      assertEquals(60, all.size());
      for (int i = 0; i < all.size(); i++) {
        long seq = i + 1;
        SequencedOperation got = all.get(i);
        assertTrue(got.equals(op("r", seq)) || got.equals(conflicting("r", seq)), "seq " + seq);
      }
    } finally {
      await(other.close());
    }
  }

  @Test
  @Timeout(60)
  void missingSchemaFailsWithUnavailable() throws Exception {
    Future<PostgresStore> f =
        PostgresStore.open(
            PgTestSchema.withSchema("test_missing_" + Long.toHexString(System.nanoTime())),
            PostgresStore.Options.defaults());
    StoreException e = failure(f);
    assertEquals(StoreException.Kind.UNAVAILABLE, e.kind());
    assertTrue(e.getMessage().contains("schema"), e.getMessage());
  }

  @Test
  @Timeout(60)
  void unreachableServerFailsWithUnavailable() throws Exception {
    Future<PostgresStore> f =
        PostgresStore.open(
            "jdbc:postgresql://127.0.0.1:1/test?user=postgres&password=hunter2&connectTimeout=3",
            PostgresStore.Options.defaults());
    StoreException e = failure(f);
    assertEquals(StoreException.Kind.UNAVAILABLE, e.kind());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  @Timeout(60)
  void reconnectsAfterItsConnectionsAreKilled() throws Exception {
    await(store.close());
    String app = "ponte-test-" + schema.name();
    store =
        await(
            PostgresStore.open(
                schema.url() + "&ApplicationName=" + app, PostgresStore.Options.defaults()));
    await(store.createRoom(room("r")));
    await(store.append("r", op("r", 1)));
    await(store.load("r"));

    int killed;
    try (Connection c = schema.connection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name = ?")) {
      st.setString(1, app);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        killed = rs.getInt(1);
      }
    }
    assertEquals(3, killed, "writer + 2 readers");

    // Calls on a killed connection fail with UNAVAILABLE; the store then reconnects by itself.
    assertTrue(eventually(() -> store.append("r", op("r", 2))), "append after reconnect");
    assertTrue(eventually(() -> store.load("r")), "load after reconnect");
    assertTrue(eventually(() -> store.load("r")), "load on the other reader");
    for (int i = 0; i < 4; i++) {
      assertEquals(expectedOps("r", 1, 2), await(store.load("r")).operationsAfterSnapshot());
    }
  }

  @Test
  @Timeout(120)
  void acknowledgedAppendsSurviveKill() throws Exception {
    await(store.close());
    store = null;
    Set<Long> acked = ackedBeforeKill(schema.url(), "k", dir.resolve("child-stderr.txt"));
    store = await(openStore());
    assertNoAcknowledgedLoss(store, "k", acked);
  }

  @Test
  @Timeout(30)
  void optionsAreValidatedAndUrlsRedacted() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new PostgresStore.Options(0, 2));
    assertTrue(e.getMessage().contains("maxBatch"));
    e = assertThrows(IllegalArgumentException.class, () -> new PostgresStore.Options(10, 0));
    assertTrue(e.getMessage().contains("readers"));
    assertEquals(new PostgresStore.Options(512, 2), PostgresStore.Options.defaults());

    String redacted =
        PostgresStore.redact("jdbc:postgresql://db:5432/ponte?user=ponte&password=s3cret&ssl=true");
    assertFalse(redacted.contains("s3cret"), redacted);
    assertTrue(redacted.contains("ssl=true"), redacted);
    assertFalse(
        PostgresStore.redact("jdbc:postgresql://ponte:s3cret@db/ponte").contains("s3cret"));
    assertInstanceOf(
        IllegalArgumentException.class,
        assertThrows(
                ExecutionException.class,
                () ->
                    PostgresStore.open("jdbc:mysql://db/x", PostgresStore.Options.defaults())
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS))
            .getCause());
  }

  // -------------------------------------------------------------------------------------------

  private static List<Long> versions(PgTestSchema s) throws Exception {
    List<Long> out = new ArrayList<>();
    try (Connection c = s.connection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM schema_version ORDER BY version")) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
    }
    return out;
  }

  private static boolean succeeds(Future<?> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      return false;
    }
  }

  private static StoreException failure(Future<?> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return assertInstanceOf(StoreException.class, e.getCause());
    }
    throw new AssertionError("expected failure, got success");
  }

  /** Up to 3 tries; each failure must be UNAVAILABLE. True once a try succeeds. */
  private static boolean eventually(java.util.function.Supplier<Future<?>> call) throws Exception {
    for (int i = 0; i < 3; i++) {
      Future<?> f = call.get();
      if (succeeds(f)) {
        return true;
      }
      assertEquals(StoreException.Kind.UNAVAILABLE, failureKind(f));
    }
    return false;
  }
}
