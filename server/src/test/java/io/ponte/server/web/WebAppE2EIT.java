package io.ponte.server.web;

import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.server.testsupport.NodeProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The classroom app's end-to-end tests ({@code web/e2e}, {@code npm run test:e2e}): headless
 * Chromium driven by playwright-core against real Ponte servers that the tests start and restart
 * as child JVMs on this module's test classpath ({@code PONTE_CLASSPATH}) with this JVM's java
 * ({@code PONTE_JAVA}), serving the built app ({@code web/dist}). Also runs the app's unit tests
 * (translations complete, colour contrast, room model). Output streams to
 * {@code target/web-e2e.log}; a failure shows its end. Fails (never skips) without Node.js, npm,
 * Chromium ({@code /usr/bin/chromium} or {@code PONTE_CHROMIUM}) or a built app.
 */
class WebAppE2EIT {
  private static final int TIMEOUT_SECONDS = 900;

  @Test
  @Timeout(value = TIMEOUT_SECONDS + 60, unit = TimeUnit.SECONDS)
  void classroomAppWorksInChromiumAgainstRealServers() throws IOException, InterruptedException {
    Path web = webDir();
    // The Maven build of web/ ran npm ci and npm run build already; a run of this module alone may not have.
    NodeProcess.ensureInstalled(web, "playwright-core", "esbuild", "protobufjs");
    if (!Files.isRegularFile(web.resolve("dist").resolve("index.html"))) {
      fail("no built app in " + web.resolve("dist") + ": build the web module first (mvn -pl web package, or npm run build)");
    }
    Path log = Path.of("target", "web-e2e.log").toAbsolutePath();
    Files.createDirectories(log.getParent());
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder pb = new ProcessBuilder(List.of("npm", "run", "test:e2e"))
        .directory(web.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("PONTE_CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().put("PONTE_JAVA", java);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      fail("cannot run npm (the web tests need Node.js and npm on the PATH): " + e.getMessage());
      return;
    }
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("npm run test:e2e did not finish within " + TIMEOUT_SECONDS + " s; the end of " + log + ":\n" + tail(log, 150));
    }
    if (p.exitValue() != 0) {
      fail("npm run test:e2e exited with " + p.exitValue() + "; the end of " + log + ":\n" + tail(log, 150));
    }
  }

  private static String tail(Path log, int lines) throws IOException {
    List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
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
