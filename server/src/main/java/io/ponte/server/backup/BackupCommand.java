package io.ponte.server.backup;

import io.ponte.server.config.PonteConfig;
import io.ponte.server.store.SqliteStore;
import io.ponte.server.util.OwnerOnly;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code backup} and {@code restore} commands of the server jar. The database is the one a
 * node with the same settings would open ({@code data-dir}, or {@code store-url=jdbc:sqlite:...}).
 * Each returns its exit code: 0 done, 1 failed while copying, 3 refused, 4 not a usable Ponte
 * database; a bad flag throws {@link IllegalArgumentException} (exit code 2, as for every command).
 */
public final class BackupCommand {
  private BackupCommand() {}

  /** Usage lines, in the layout of the server's usage text. */
  public static final String USAGE =
      "       java -jar ponte-server.jar backup --to FILE [--force] [--setting value ...]\n"
      + "            (a consistent copy of the SQLite store, also while the node runs; mode 0600)\n"
      + "       java -jar ponte-server.jar restore --from FILE [--setting value ...]\n"
      + "            (with the node stopped; the database is the one of data-dir or store-url;\n"
      + "            the current one is kept as <database>.before-restore-<time>)\n";

  /** {@code backup --to FILE [--force]} plus node settings. */
  public static int backup(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    if (PonteConfig.helpRequested(args)) {
      out.print("usage:" + USAGE.substring("usage:".length()));
      return 0;
    }
    Parsed p = parse(args, "--to", true);
    Path db = database(p.settings(), env);
    try {
      SqliteBackup.Summary s = SqliteBackup.backup(db, p.file(), p.force());
      out.println("Backed up " + db + " to " + s.file() + ": " + s.rooms() + " room(s), "
          + s.operations() + " operation(s), schema version " + s.schemaVersion() + ", "
          + s.bytes() + " bytes, mode 0600; integrity check ok.");
      return 0;
    } catch (BackupException e) {
      err.println("ponte backup: " + e.getMessage());
      return e.kind().exitCode();
    }
  }

  /** {@code restore --from FILE} plus node settings. */
  public static int restore(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
    if (PonteConfig.helpRequested(args)) {
      out.print("usage:" + USAGE.substring("usage:".length()));
      return 0;
    }
    Parsed p = parse(args, "--from", false);
    PonteConfig config = PonteConfig.load(p.settings(), env);
    Path db = database(config);
    try {
      if (config.storeUrl().isEmpty()) {
        OwnerOnly.directory(config.dataDir()); // as a node makes it at start
      }
      SqliteBackup.Restored r = SqliteBackup.restore(p.file(), db);
      SqliteBackup.Summary s = r.summary();
      out.println("Restored " + p.file().toAbsolutePath() + " into " + db + ": " + s.rooms()
          + " room(s), " + s.operations() + " operation(s), schema version " + s.schemaVersion()
          + "; every room starts a new epoch (clients resuming get a fresh snapshot).");
      r.previous().ifPresent(prev -> out.println("The replaced database is kept as " + prev
          + ": delete it once the restore is confirmed (it holds learners' data)."));
      if (config.redisTarget().isPresent()) {
        out.println("This node uses Redis: delete the rooms' Redis keys (prefix "
            + config.redisKeyPrefix() + ") before starting it, or it takes later operations back"
            + " from Redis (README, Backups).");
      }
      return 0;
    } catch (IOException e) {
      err.println("ponte restore: cannot create " + config.dataDir() + ": " + e.getMessage());
      return BackupException.Kind.FAILED.exitCode();
    } catch (BackupException e) {
      err.println("ponte restore: " + e.getMessage());
      return e.kind().exitCode();
    }
  }

  private record Parsed(Path file, boolean force, List<String> settings) {}

  private static Parsed parse(List<String> args, String fileFlag, boolean forceAllowed) {
    Path file = null;
    boolean force = false;
    List<String> settings = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals(fileFlag) || a.startsWith(fileFlag + "=")) {
        String value = a.contains("=") ? a.substring(a.indexOf('=') + 1)
            : i + 1 < args.size() ? args.get(++i) : "";
        if (value.isBlank()) {
          throw new IllegalArgumentException(fileFlag.substring(2) + ": needs a file name");
        }
        file = Path.of(value);
      } else if (a.equals("--force")) {
        if (!forceAllowed) {
          throw new IllegalArgumentException("force: only for backup (restore never deletes the current database)");
        }
        force = true;
      } else {
        settings.add(a);
      }
    }
    if (file == null) {
      throw new IllegalArgumentException(fileFlag.substring(2) + ": required (the backup file)");
    }
    return new Parsed(file, force, settings);
  }

  private static Path database(List<String> settings, Map<String, String> env) {
    return database(PonteConfig.load(settings, env));
  }

  /** The SQLite file a node with this configuration uses. */
  static Path database(PonteConfig config) {
    String url = config.storeUrl().orElse(null);
    if (url == null) {
      return config.dataDir().resolve(SqliteStore.DB_FILE).toAbsolutePath();
    }
    if (url.startsWith("jdbc:sqlite:")) {
      return Path.of(url.substring("jdbc:sqlite:".length())).toAbsolutePath();
    }
    throw new IllegalArgumentException("store-url: the store is PostgreSQL; back it up with pg_dump"
        + " or pg_basebackup (README, Backups), not with this command");
  }
}
