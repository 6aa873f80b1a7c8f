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
 * The classroom app's end-to-end tests ({@code web/e2e}, {@code npm run test:e2e}): headless
 * Chromium driven by playwright-core against real Ponte servers that the tests start and restart
 * as child JVMs on this module's test classpath ({@code PONTE_CLASSPATH}) with this JVM's java
 * ({@code PONTE_JAVA}), serving the built app ({@code web/dist}). The same script runs the app's
 * unit tests (translations complete, colour contrast, room model). Output streams to
 * {@code target/web-e2e.log}, the servers' logs to {@code target/web-e2e-servers/},
 * screenshots to {@code web/target/e2e-screenshots/}; a failure shows the log's end. Fails (never
 * skips) without Node.js and npm, Chromium ({@code /usr/bin/chromium} or {@code PONTE_CHROMIUM})
 * or a built app.
 */
class WebAppE2EIT {
  private static final int TIMEOUT_SECONDS = 900;

  @Test
  @Timeout(value = TIMEOUT_SECONDS + 60, unit = TimeUnit.SECONDS)
  void classroomAppWorksInChromiumAgainstRealServers() {
    Path web = webDir();
    // The Maven build of web/ ran npm ci and npm run build already; a run of this module alone may not have.
    NodeProcess.ensureInstalled(web, "playwright-core", "esbuild", "protobufjs");
    if (!Files.isRegularFile(web.resolve("dist").resolve("index.html"))) {
      fail("no built app in " + web.resolve("dist") + ": build the web module first (mvn -pl web package, or npm run build)");
    }
    Path log = Path.of("target", "web-e2e.log").toAbsolutePath();
    Path serverLogs = Path.of("target", "web-e2e-servers").toAbsolutePath();
    String java = ProcessHandle.current().info().command().orElse("java");
    int exit = NodeProcess.runLogged(web,
        Map.of("PONTE_CLASSPATH", System.getProperty("java.class.path"), "PONTE_JAVA", java,
            "PONTE_TEST_LOG_DIR", serverLogs.toString()),
        log, TIMEOUT_SECONDS, "npm", "run", "test:e2e");
    if (exit != 0) {
      fail("npm run test:e2e exited with " + exit + "; the end of " + log + ":\n" + NodeProcess.tail(log, 150));
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
