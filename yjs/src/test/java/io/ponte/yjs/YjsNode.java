package io.ponte.yjs;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Node side of the Yjs conformance tests ({@code yjs/src/test/js/yjs-cases.mjs}, real
 * {@code yjs} from npm), installing it with {@code npm ci} once when missing. Fails (never skips)
 * when node or npm is unavailable.
 */
final class YjsNode {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TIMEOUT_SECONDS = 300;

  private YjsNode() { }

  /** Runs {@code node yjs-cases.mjs args...} with {@code stdin} (null: none), returns its JSON answer. */
  static JsonNode script(JsonNode stdin, String... args) {
    Path dir = jsDir();
    ensureInstalled(dir, "yjs", "lib0");
    List<String> cmd = new ArrayList<>();
    cmd.add("node");
    cmd.add("yjs-cases.mjs");
    cmd.addAll(List.of(args));
    Result r = run(dir, stdin == null ? null : stdin.toString(), cmd.toArray(new String[0]));
    if (r.exit() != 0) {
      fail(String.join(" ", cmd) + " exited with " + r.exit() + ":\n" + r.stderr() + "\n" + r.stdout());
    }
    try {
      return JSON.readTree(r.stdout());
    } catch (JsonProcessingException e) {
      throw new AssertionError(String.join(" ", cmd) + " printed no JSON: " + e.getMessage(), e);
    }
  }

  private record Result(int exit, String stdout, String stderr) { }

  /** The npm project of the tests, from the yjs module or the repository root. */
  private static Path jsDir() {
    Path dir = Path.of("src", "test", "js").toAbsolutePath();
    if (!Files.isRegularFile(dir.resolve("yjs-cases.mjs"))) {
      dir = Path.of("yjs", "src", "test", "js").toAbsolutePath();
    }
    if (!Files.isRegularFile(dir.resolve("package.json"))) {
      fail("cannot find yjs/src/test/js/package.json from " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  private static synchronized void ensureInstalled(Path dir, String... packages) {
    if (allInstalled(dir, packages)) {
      return;
    }
    Result r = run(dir, null, "npm", "ci", "--no-audit", "--no-fund");
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

  private static Result run(Path dir, String stdin, String... cmd) {
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
    } catch (IOException e) {
      fail("cannot run " + cmd[0] + " (these tests need Node.js and npm on the PATH): " + e.getMessage());
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
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", cmd) + " did not finish within " + TIMEOUT_SECONDS + " s");
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
