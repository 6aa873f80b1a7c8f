package io.ponte.server.store;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test support: the tables of a store's database and their columns, read from the database
 * itself (JDBC metadata), so that tests see what is really there, not what a list in the code
 * says. SQLite's own tables ({@code sqlite_*}) are left out.
 */
public final class StoreTables {
  private StoreTables() {}

  /** Table name to its column names (in declared order), tables sorted by name; lower case. */
  public static Map<String, List<String>> of(Connection conn, String schema) throws SQLException {
    DatabaseMetaData meta = conn.getMetaData();
    Map<String, List<String>> out = new TreeMap<>();
    try (ResultSet tables = meta.getTables(null, schema, "%", new String[] {"TABLE"})) {
      while (tables.next()) {
        String table = tables.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
        if (!table.startsWith("sqlite_")) {
          out.put(table, new ArrayList<>());
        }
      }
    }
    for (Map.Entry<String, List<String>> t : out.entrySet()) {
      try (ResultSet cols = meta.getColumns(null, schema, t.getKey(), "%")) {
        List<int[]> order = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (cols.next()) {
          order.add(new int[] {cols.getInt("ORDINAL_POSITION"), names.size()});
          names.add(cols.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
        }
        order.sort((a, b) -> Integer.compare(a[0], b[0]));
        for (int[] o : order) {
          t.getValue().add(names.get(o[1]));
        }
      }
    }
    return out;
  }
}
