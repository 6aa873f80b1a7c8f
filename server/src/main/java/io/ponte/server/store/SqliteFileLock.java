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
 * Pitfall: POSIX locks belong to the process; within one JVM, Java reports a second lock on the
 * same file as {@link OverlappingFileLockException}, which counts as "in use" here too.
 */
public final class SqliteFileLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private SqliteFileLock(FileChannel channel, FileLock lock) {
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
    try {
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
        throw new StoreException(StoreException.Kind.UNAVAILABLE, "the database " + dbFile
            + " is in use by another Ponte node or command (it holds the lock on " + file + ")");
      }
      return new SqliteFileLock(channel, lock);
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

  /** Releases the lock (the file stays: removing it could race with the next holder). */
  @Override
  public void close() {
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
