package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Role;
import io.ponte.server.redis.RedisFixture;
import io.ponte.server.store.PgTestSchema;
import io.ponte.server.store.PostgresStore;
import io.ponte.server.store.SqliteStore;
import io.ponte.server.store.StoreTables;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps README's "Data protection" lists in step with what Ponte really stores: the tables and
 * columns of a fresh SQLite and a fresh PostgreSQL store, and the Redis keys of a room in use.
 * A table, column or key missing from the README fails, and so does a README row naming one
 * that does not exist.
 */
@Timeout(120)
class DataProtectionDocTest {
  private static final Path README = Path.of("..", "README.md");

  @TempDir
  Path dir;

  @Test
  void everySqliteTableAndColumnIsDocumented() throws Exception {
    SqliteStore store = await(SqliteStore.open(dir, SqliteStore.Options.defaults()));
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(SqliteStore.DB_FILE))) {
      assertEquals(documentedColumns(), sets(StoreTables.of(c, null)),
          "README Data protection (store table) vs the SQLite schema");
    } finally {
      await(store.close());
    }
  }

  @Test
  void everyPostgresTableAndColumnIsDocumented() throws Exception {
    try (PgTestSchema schema = PgTestSchema.create()) {
      PostgresStore store = await(PostgresStore.open(schema.url(), PostgresStore.Options.defaults()));
      try (Connection c = schema.connection()) {
        assertEquals(documentedColumns(), sets(StoreTables.of(c, schema.name())),
            "README Data protection (store table) vs the PostgreSQL schema");
      } finally {
        await(store.close());
      }
    }
  }

  @Test
  void everyRedisKeyOfARoomIsDocumented() throws Exception {
    List<String> documented = new ArrayList<>(new TreeSet<>(rows("Redis key").keySet()));
    assertFalse(documented.isEmpty(), "README lists Redis keys");
    String prefix = RedisFixture.newPrefix();
    String url = RedisFixture.get().url();
    try (TestServer s = new TestServer(dir, b -> b.redisUrl(url).redisKeyPrefix(prefix))) {
      s.createRoom("r1");
      try (TestClient teacher = s.user("t", "*", Role.TEACHER)) {
        teacher.join("r1");
        teacher.post("r1", "a message, for the stream");
        // Presence is written just after the join: wait for the room's keys to settle.
        List<String> seen = List.of();
        for (int i = 0; i < 100 && !seen.equals(documented); i++) {
          seen = keyPatterns(url, prefix, "r1");
          if (!seen.equals(documented)) {
            Thread.sleep(100);
          }
        }
        assertEquals(documented, seen, "README Data protection (Redis key) vs the keys of a room in use");
      }
    }
  }

  /** The room's keys with the prefix written {@code <prefix>} and the room {@code room}. */
  private static List<String> keyPatterns(String url, String prefix, String roomId) throws Exception {
    Vertx v = Vertx.vertx();
    try {
      Redis client = Redis.createClient(v, url);
      TreeSet<String> out = new TreeSet<>();
      String cursor = "0";
      do {
        Response page = client.send(Request.cmd(Command.SCAN).arg(cursor)
                .arg("MATCH").arg(prefix + "*").arg("COUNT").arg(1000))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        cursor = page.get(0).toString();
        for (Response k : page.get(1)) {
          String key = k.toString();
          assertTrue(key.startsWith(prefix + "{" + roomId + "}:"), () -> "a key outside the room: " + key);
          out.add("<prefix>{room}:" + key.substring((prefix + "{" + roomId + "}:").length()));
        }
      } while (!cursor.equals("0"));
      return new ArrayList<>(out);
    } finally {
      v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Table to its columns (in any order). */
  private static Map<String, TreeSet<String>> documentedColumns() throws Exception {
    Map<String, TreeSet<String>> out = new TreeMap<>();
    for (List<String> row : rows("table").values()) {
      out.computeIfAbsent(row.get(0), t -> new TreeSet<>()).add(row.get(1));
    }
    assertFalse(out.isEmpty(), "README lists store tables");
    return out;
  }

  /**
   * The rows of the "Data protection" tables whose header starts with {@code firstHeader}, by
   * their first two cells (backticks removed), each with those cells.
   */
  static Map<String, List<String>> rows(String firstHeader) throws Exception {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int start = readme.indexOf("\n## Data protection\n");
    assertTrue(start >= 0, "README has a '## Data protection' section");
    int end = readme.indexOf("\n## ", start + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);
    Map<String, List<String>> out = new TreeMap<>();
    boolean inTable = false;
    for (String line : section.split("\n")) {
      if (!line.startsWith("|")) {
        inTable = false;
        continue;
      }
      List<String> cells = new ArrayList<>();
      for (String cell : line.substring(1).split("\\|")) {
        cells.add(cell.strip());
      }
      if (cells.get(0).equals(firstHeader)) {
        inTable = true;
        continue;
      }
      if (!inTable || cells.get(0).startsWith("---")) {
        continue;
      }
      // Store rows name a table and a column; Redis rows a key.
      boolean store = firstHeader.equals("table");
      String a = unquote(cells.get(0));
      String b = store ? unquote(cells.get(1)) : "";
      String id = store ? a + " " + b : a;
      assertFalse(out.containsKey(id), () -> "README lists " + id + " twice");
      out.put(id, List.of(a, b));
    }
    return out;
  }

  private static String unquote(String cell) {
    assertTrue(cell.startsWith("`") && cell.endsWith("`") && cell.length() > 2,
        () -> "a Data protection table names its table, column or key in backticks: " + cell);
    return cell.substring(1, cell.length() - 1);
  }

  private static Map<String, TreeSet<String>> sets(Map<String, List<String>> columns) {
    Map<String, TreeSet<String>> out = new TreeMap<>();
    columns.forEach((t, cs) -> out.put(t, new TreeSet<>(cs)));
    return out;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
