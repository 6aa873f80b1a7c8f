package io.ponte.server.store;

import io.ponte.server.util.OwnerOnly;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive lock a process holds on {@code <database>.lock} while it uses a SQLite database
 * file: a node for as long as its store is open, {@code ponte restore} while it replaces the file.
 * So a restore never swaps the database under a running node, and a second node never opens a
 * database whose seqs the first one issues (two in-process brokers would issue the same seqs).
 *
 * <p>An OS lock, not the file's existence: a node killed with -9 leaves the file but not the lock.
 * Pitfall: POSIX locks belong to the process, and closing ANY descriptor of the file drops them
 * all. So this JVM keeps a set of the lock files it holds and never opens one of them again (a
 * second open and close would silently unlock the node).
 */
public final class SqliteFileLock implements AutoCloseable {
  /** Lock files held by this JVM (real directory + name). */
  private static final java.util.Set<Path> HELD = new java.util.HashSet<>();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private SqliteFileLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock file of a database file. */
  public static Path lockFile(Path dbFile) {
    return dbFile.resolveSibling(dbFile.getFileName() + ".lock");
  }

  /**
   * Takes the lock of {@code dbFile} (its directory must exist); fails with UNAVAILABLE when
   * another process, or another store of this JVM, holds it.
   */
  public static SqliteFileLock acquire(Path dbFile) throws StoreException {
    Path file = lockFile(dbFile);
    FileChannel channel = null;
    synchronized (HELD) {
      try {
        file = file.getParent().toRealPath().resolve(file.getFileName());
        if (HELD.contains(file)) {
          throw inUse(dbFile, file);
        }
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        OwnerOnly.file(file);
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null;
        }
        if (lock == null) {
          channel.close();
          throw inUse(dbFile, file);
        }
        HELD.add(file);
        return new SqliteFileLock(file, channel, lock);
      } catch (IOException e) {
        if (channel != null) {
          try {
            channel.close();
          } catch (IOException ignored) {
            // the open failure is the one to report
          }
        }
        throw new StoreException(StoreException.Kind.UNAVAILABLE,
            "cannot lock the database " + dbFile + ": " + e, e);
      }
    }
  }

  private static StoreException inUse(Path dbFile, Path file) {
    return new StoreException(StoreException.Kind.UNAVAILABLE, "the database " + dbFile
        + " is in use by another Ponte node or command (it holds the lock on " + file + ")");
  }

  /** Releases the lock (the file stays: removing it could race with the next holder). */
  @Override
  public void close() {
    synchronized (HELD) {
      if (!HELD.remove(file)) {
        return; // closed before
      }
      try {
        lock.release();
      } catch (IOException ignored) {
        // closing the channel below releases it anyway
      }
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
  }
}
