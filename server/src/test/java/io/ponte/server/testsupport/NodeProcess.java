package io.ponte.server.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs Node.js and npm for the tests that check Ponte against real npm packages (yjs, y-websocket,
 * @hocuspocus/provider) in {@code server/src/test/js}. Installs them with {@code npm ci} once when
 * missing. Fails (never skips) when node or npm is unavailable.
 */
public final class NodeProcess {
  private NodeProcess() { }

  /** What a process printed and how it ended. */
  public record Result(int exit, String stdout, String stderr) { }

  /** The npm project of the tests, from the server module or the repository root. */
  public static Path jsDir() {
    Path dir = Path.of("src", "test", "js").toAbsolutePath();
    if (!Files.isDirectory(dir)) {
      dir = Path.of("server", "src", "test", "js").toAbsolutePath();
    }
    if (!Files.isRegularFile(dir.resolve("package.json"))) {
      fail("cannot find src/test/js/package.json from " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  /** Runs {@code npm ci} in {@code dir} unless every named package is in node_modules. */
  public static synchronized void ensureInstalled(Path dir, String... packages) {
    if (allInstalled(dir, packages)) {
      return;
    }
    Result r = run(dir, null, 300, "npm", "ci", "--no-audit", "--no-fund");
    if (!allInstalled(dir, packages)) {
      fail("npm ci did not install " + String.join(", ", packages) + " in " + dir + ":\n"
          + r.stderr() + r.stdout());
    }
  }

  private static boolean allInstalled(Path dir, String... packages) {
    for (String p : packages) {
      if (!Files.isDirectory(dir.resolve("node_modules").resolve(p))) {
        return false;
      }
    }
    return true;
  }

  /** Runs the command in {@code dir} with {@code stdin} (null: none), failing on a timeout. */
  public static Result run(Path dir, String stdin, int timeoutSeconds, String... cmd) {
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
    } catch (IOException e) {
      fail("cannot run " + cmd[0] + " (these tests need Node.js and npm on the PATH): "
          + e.getMessage());
      return null;
    }
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // the process may have died; its exit code tells
    }
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s");
      }
      return new Result(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
          new String(err.get(), StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Runs the command in {@code dir} with extra environment variables, its output (stdout and
   * stderr together) streamed to {@code log} as it comes, failing on a timeout; returns the exit
   * code.
   */
  public static int runLogged(Path dir, Map<String, String> env, Path log, int timeoutSeconds,
      String... cmd) {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p;
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      p = pb.start();
    } catch (IOException e) {
      fail("cannot run " + cmd[0] + " (these tests need Node.js and npm on the PATH): "
          + e.getMessage());
      return -1;
    }
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail(String.join(" ", cmd) + " did not finish within " + timeoutSeconds + " s; the end of "
            + log + ":\n" + tail(log, 150));
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The last {@code lines} lines of a text file (empty when it cannot be read). */
  public static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    } catch (IOException e) {
      return new byte[0];
    }
  }
}
