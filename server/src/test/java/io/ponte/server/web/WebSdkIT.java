package io.ponte.server.web;

import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.server.testsupport.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JavaScript SDK's tests ({@code web/sdk/test}, {@code npm run test:sdk}) against real Ponte
 * servers that they start, stop, kill and freeze as child JVMs on this module's test classpath
 * ({@code PONTE_CLASSPATH}) with this JVM's java ({@code PONTE_JAVA}). Their output goes to
 * {@code target/web-sdk-test.log}, the servers' logs to {@code target/web-sdk-servers/}; a
 * failure shows the end of the first. Fails (never skips) without Node.js
 * and npm.
 */
class WebSdkIT {
  private static final int TIMEOUT_SECONDS = 600;

  @Test
  @Timeout(value = TIMEOUT_SECONDS + 60, unit = TimeUnit.SECONDS)
  void sdkTestsPassAgainstRealServers() {
    Path web = webDir();
    // The Maven build of web/ ran npm ci already; a run of this module alone may not have.
    NodeProcess.ensureInstalled(web, "protobufjs", "protobufjs-cli", "ws");
    Path log = Path.of("target", "web-sdk-test.log").toAbsolutePath();
    Path serverLogs = Path.of("target", "web-sdk-servers").toAbsolutePath();
    String java = ProcessHandle.current().info().command().orElse("java");
    int exit = NodeProcess.runLogged(web,
        Map.of("PONTE_CLASSPATH", System.getProperty("java.class.path"), "PONTE_JAVA", java,
            "PONTE_TEST_LOG_DIR", serverLogs.toString()),
        log, TIMEOUT_SECONDS, "npm", "run", "test:sdk");
    if (exit != 0) {
      fail("npm run test:sdk exited with " + exit + "; the end of " + log + ":\n"
          + NodeProcess.tail(log, 150));
    }
  }

  /** web/ beside the server module, from the module or the repository root. */
  private static Path webDir() {
    for (Path candidate : new Path[] {Path.of("..", "web"), Path.of("web")}) {
      if (Files.isRegularFile(candidate.resolve("package.json"))) {
        return candidate.toAbsolutePath().normalize();
      }
    }
    fail("cannot find web/package.json from " + Path.of("").toAbsolutePath());
    return null;
  }
}
