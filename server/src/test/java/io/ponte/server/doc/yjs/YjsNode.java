package io.ponte.server.doc.yjs;

import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.server.testsupport.NodeProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the Node side of the Yjs conformance tests ({@code src/test/js/yjs-cases.mjs}, real {@code yjs}
 * from npm). Fails (never skips) when node or npm is unavailable.
 */
final class YjsNode {
  private YjsNode() { }

  /** Runs {@code node yjs-cases.mjs args...} with {@code stdin}, returns stdout. */
  static String script(String stdin, String... args) {
    Path dir = NodeProcess.jsDir();
    NodeProcess.ensureInstalled(dir, "yjs");
    List<String> cmd = new ArrayList<>();
    cmd.add("node");
    cmd.add("yjs-cases.mjs");
    cmd.addAll(List.of(args));
    NodeProcess.Result r = NodeProcess.run(dir, stdin, 300, cmd.toArray(new String[0]));
    if (r.exit() != 0) {
      fail(String.join(" ", cmd) + " exited with " + r.exit() + ":\n" + r.stderr() + "\n" + r.stdout());
    }
    return r.stdout();
  }
}
