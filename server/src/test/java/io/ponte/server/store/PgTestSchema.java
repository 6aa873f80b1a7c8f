package io.ponte.server.store;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Test fixture: a fresh PostgreSQL schema {@code test_<random>} on the server named by env
 * {@code PONTE_TEST_PG_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}),
 * dropped again by {@link #close()}. When the server cannot be reached the test FAILS (never
 * skips), saying where it looked.
 */
public final class PgTestSchema implements AutoCloseable {

  /** The server the tests use. */
  public static final String BASE_URL = baseUrl();

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String schema;

  private PgTestSchema(String schema) {
    this.schema = schema;
  }

  private static String baseUrl() {
    String env = System.getenv("PONTE_TEST_PG_URL");
    return env == null || env.isBlank()
        ? "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"
        : env.strip();
  }

  /**
   * A fresh schema for each test of a class, dropped after it:
   * {@code @RegisterExtension final PgTestSchema.PerTest pg = new PgTestSchema.PerTest();}.
   */
  public static final class PerTest
      implements org.junit.jupiter.api.extension.BeforeEachCallback,
          org.junit.jupiter.api.extension.AfterEachCallback {
    private PgTestSchema schema;

    @Override
    public void beforeEach(org.junit.jupiter.api.extension.ExtensionContext context) {
      schema = create();
    }

    @Override
    public void afterEach(org.junit.jupiter.api.extension.ExtensionContext context) {
      if (schema != null) {
        schema.close();
        schema = null;
      }
    }

    /** The current test's schema. */
    public PgTestSchema schema() {
      if (schema == null) {
        throw new IllegalStateException("no test is running");
      }
      return schema;
    }
  }

  /** Creates a new empty schema. */
  public static PgTestSchema create() {
    String name = String.format(Locale.ROOT, "test_%016x", RANDOM.nextLong());
    exec(BASE_URL, "CREATE SCHEMA " + name);
    return new PgTestSchema(name);
  }

  /** The schema's name. */
  public String name() {
    return schema;
  }

  /** A JDBC URL whose connections use this schema. */
  public String url() {
    return withSchema(schema);
  }

  /** The base URL with {@code currentSchema=name} (the schema need not exist). */
  public static String withSchema(String name) {
    return BASE_URL + (BASE_URL.contains("?") ? "&" : "?") + "currentSchema=" + name;
  }

  /** Runs one statement in this schema, outside any store. */
  public void exec(String sql) {
    exec(url(), sql);
  }

  private static void exec(String url, String sql) {
    try (Connection c = connect(url);
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new AssertionError("PostgreSQL statement failed: " + e.getMessage(), e);
    }
  }

  /** A plain connection to this schema; the caller closes it. */
  public Connection connection() {
    return connect(url());
  }

  private static Connection connect(String url) {
    try {
      return DriverManager.getConnection(url);
    } catch (SQLException e) {
      throw new AssertionError(
          "The PostgreSQL test server is required and could not be reached at "
              + PostgresStore.redact(url)
              + " (set PONTE_TEST_PG_URL to point elsewhere): "
              + e.getMessage(),
          e);
    }
  }

  /** Drops the schema and everything in it. */
  @Override
  public void close() {
    exec(BASE_URL, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }
}
