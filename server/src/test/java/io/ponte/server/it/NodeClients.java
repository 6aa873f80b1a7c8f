package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs real npm Yjs clients ({@code src/test/js/yws-clients.mjs}: yjs + y-websocket's
 * WebsocketProvider with ws; {@code hp-clients.mjs}: @hocuspocus/provider) against a test server. Installs the npm packages with {@code npm ci}
 * when they are missing. Fails (never skips) when node or npm are not available.
 */
final class NodeClients {
  private NodeClients() { }

  static Path jsDir() {
    Path dir = Path.of("src", "test", "js").toAbsolutePath();
    if (!Files.isDirectory(dir)) {
      dir = Path.of("server", "src", "test", "js").toAbsolutePath();
    }
    if (!Files.isRegularFile(dir.resolve("yws-clients.mjs"))) {
      fail("cannot find src/test/js/yws-clients.mjs from " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  private static synchronized void ensureInstalled(Path dir) {
    Path modules = dir.resolve("node_modules");
    if (Files.isDirectory(modules.resolve("y-websocket")) && Files.isDirectory(modules.resolve("ws"))
        && Files.isDirectory(modules.resolve("yjs")) && Files.isDirectory(modules.resolve("@hocuspocus/provider"))) {
      return;
    }
    Result r = run(dir, 300, "npm", "ci", "--no-audit", "--no-fund");
    if (!Files.isDirectory(modules.resolve("y-websocket"))) {
      fail("npm ci did not install y-websocket in " + dir + ":\n" + r.stderr + r.stdout);
    }
  }

  /** Runs a scenario; returns its JSON result, failing the test with the script's output if it fails. */
  static JsonObject scenario(String name, JsonObject params) {
    return scenario("yws-clients.mjs", name, params);
  }

  /** Runs a scenario of the given script in src/test/js (e.g. {@code hp-clients.mjs}). */
  static JsonObject scenario(String script, String name, JsonObject params) {
    Path dir = jsDir();
    ensureInstalled(dir);
    Result r = run(dir, 90, "node", script, name, params.encode());
    if (r.exit != 0) {
      fail("node " + script + " " + name + " exited with " + r.exit + ":\n" + r.stderr + "\n" + r.stdout);
    }
    String[] lines = r.stdout.strip().split("\n");
    return new JsonObject(lines[lines.length - 1]);
  }

  record Result(int exit, String stdout, String stderr) { }

  private static Result run(Path dir, int timeoutSeconds, String... cmd) {
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
      p.getOutputStream().close();
    } catch (IOException e) {
      fail("cannot run " + cmd[0] + " (the Yjs client tests need Node.js and npm on the PATH): " + e.getMessage());
      return null;
    }
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    try {
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(cmd[0] + " " + cmd[1] + " did not finish within " + timeoutSeconds + " s");
      }
      return new Result(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
          new String(err.get(), StandardCharsets.UTF_8));
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
