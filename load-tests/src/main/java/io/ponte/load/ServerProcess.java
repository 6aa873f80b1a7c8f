package io.ponte.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The server's process on this machine, read from /proc: CPU time (user + system) and resident
 * memory. Used instead of the scraped /metrics because peers have no /metrics, and because it
 * counts what the kernel charges the process (JIT, GC and sends included) the same way for all.
 *
 * <p>Pitfalls: clock ticks are taken as 100 per second (USER_HZ on Linux x86 and arm64);
 * a pid of a finished process, or one of another user, reads as NaN.
 */
final class ServerProcess {
  private static final double TICKS_PER_SECOND = 100;
  private final long pid;

  ServerProcess(long pid) {
    this.pid = pid;
  }

  /** CPU seconds (user + system) the process has used so far, NaN when unreadable. */
  double cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
      // f[0] is field 3 (state); utime and stime are fields 14 and 15.
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Resident set size in bytes (VmRSS), NaN when unreadable. */
  double rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // unreadable: NaN
    }
    return Double.NaN;
  }
}
