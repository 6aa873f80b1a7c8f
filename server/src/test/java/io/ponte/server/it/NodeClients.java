package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.server.testsupport.NodeProcess;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * Runs real npm Yjs clients ({@code src/test/js/yws-clients.mjs}: yjs + y-websocket's
 * WebsocketProvider with ws; {@code hp-clients.mjs}: @hocuspocus/provider) against a test server.
 * Fails (never skips) when node or npm are not available.
 */
final class NodeClients {
  private NodeClients() { }

  /** Runs a scenario; returns its JSON result, failing the test with the script's output if it fails. */
  static JsonObject scenario(String name, JsonObject params) {
    return scenario("yws-clients.mjs", name, params);
  }

  /** Runs a scenario of the given script in src/test/js (e.g. {@code hp-clients.mjs}). */
  static JsonObject scenario(String script, String name, JsonObject params) {
    Path dir = NodeProcess.jsDir();
    NodeProcess.ensureInstalled(dir, "yjs", "ws", "y-websocket", "@hocuspocus/provider");
    NodeProcess.Result r = NodeProcess.run(dir, null, 90, "node", script, name, params.encode());
    if (r.exit() != 0) {
      fail("node " + script + " " + name + " exited with " + r.exit() + ":\n" + r.stderr() + "\n" + r.stdout());
    }
    String[] lines = r.stdout().strip().split("\n");
    return new JsonObject(lines[lines.length - 1]);
  }
}
