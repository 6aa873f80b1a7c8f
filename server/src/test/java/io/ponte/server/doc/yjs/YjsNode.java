package io.ponte.server.doc.yjs;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Node side of the Yjs conformance tests ({@code src/test/js/yjs-cases.mjs}, real {@code yjs}
 * from npm). Installs it with {@code npm ci} once if {@code node_modules} is missing. Fails (never
 * skips) when node or npm is unavailable.
 */
final class YjsNode {
  private YjsNode() { }

  static Path jsDir() {
    Path dir = Path.of("src", "test", "js").toAbsolutePath();
    if (!Files.isDirectory(dir)) {
      dir = Path.of("server", "src", "test", "js").toAbsolutePath();
    }
    if (!Files.isRegularFile(dir.resolve("yjs-cases.mjs"))) {
      fail("cannot find src/test/js/yjs-cases.mjs from " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  private static synchronized void ensureInstalled(Path dir) {
    if (Files.isDirectory(dir.resolve("node_modules").resolve("yjs"))) {
      return;
    }
    String out = run(dir, null, 300, "npm", "ci", "--no-audit", "--no-fund");
    if (!Files.isDirectory(dir.resolve("node_modules").resolve("yjs"))) {
      fail("npm ci did not install yjs in " + dir + ":\n" + out);
    }
  }

  /** Runs {@code node yjs-cases.mjs args...} with {@code stdin}, returns stdout. */
  static String script(String stdin, String... args) {
    Path dir = jsDir();
    ensureInstalled(dir);
    List<String> cmd = new ArrayList<>();
    cmd.add("node");
    cmd.add("yjs-cases.mjs");
    cmd.addAll(List.of(args));
    return run(dir, stdin, 300, cmd.toArray(new String[0]));
  }

  private static String run(Path dir, String stdin, int timeoutSeconds, String... cmd) {
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
    } catch (IOException e) {
      fail("cannot run " + cmd[0] + " (the Yjs conformance tests need Node.js and npm on the PATH): " + e.getMessage());
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
      String stdout = new String(out.get(), StandardCharsets.UTF_8);
      String stderr = new String(err.get(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        fail(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + stderr + "\n" + stdout);
      }
      return stdout;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(e);
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
