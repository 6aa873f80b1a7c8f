package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Role;
import io.ponte.server.Main;
import io.ponte.server.auth.AuthException;
import io.ponte.server.auth.AuthKeys;
import io.ponte.server.auth.Principal;
import io.ponte.server.auth.TokenVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The {@code token} subcommand of the CLI, run in a child JVM as an operator would. */
@Timeout(120)
class CliTokenIT {
  private static final String SECRET = "cli-secret-0123456789-0123456789-abcdef";

  @TempDir
  Path dir;

  record Result(int exit, String out, String err) {}

  static Result run(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    // The child reads PONTE_* settings from its environment: keep the test's own out of it.
    pb.environment().keySet().removeIf(k -> k.startsWith("PONTE_"));
    Process p = pb.start();
    p.getOutputStream().close();
    // Outputs are small; read both fully, then wait.
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the CLI did not exit");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err, StandardCharsets.UTF_8));
  }

  static TokenVerifier verifier(String secret) {
    return new TokenVerifier(AuthKeys.of(secret.getBytes(StandardCharsets.UTF_8), null, null, null));
  }

  @Test
  void tokenPrintsATokenTheNodeAccepts() throws Exception {
    Result r = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "teacher", "--name", "Ana");
    assertEquals(0, r.exit(), () -> "stderr: " + r.err());
    String[] lines = r.out().strip().split("\n");
    String token = lines[lines.length - 1].strip();
    assertEquals(3, token.split("\\.").length, "a JWS compact token");

    Principal p = verifier(SECRET).verify(token);
    assertEquals("Ana", p.displayName());
    assertEquals(Role.TEACHER, p.roleFor("r1"));
    assertEquals(null, p.roleFor("r2"));
    assertFalse(p.admin());
    assertFalse(p.userId().isBlank());
    long lifetime = p.expiresAtMs() - System.currentTimeMillis();
    assertTrue(lifetime > 3_000_000 && lifetime <= 3_600_000, "default ttl of an hour: " + lifetime);

    // Signed with that secret and no other.
    assertThrows(AuthException.class,
        () -> verifier("another-secret-0123456789-0123456789-xyz").verify(token));
  }

  @Test
  void groupsGoIntoTheTokenAndABadOneIsRefused() throws Exception {
    Result r = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "student", "--name", "Ana", "--group", "school=lyon", "--group=language=fr");
    assertEquals(0, r.exit(), () -> "stderr: " + r.err());
    String[] lines = r.out().strip().split("\n");
    Principal p = verifier(SECRET).verify(lines[lines.length - 1].strip());
    assertEquals(java.util.Map.of("school", "lyon", "language", "fr"), p.groups());
    Result bad = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "student", "--name", "Ana", "--group", "School=lyon");
    assertEquals(2, bad.exit(), () -> "stdout: " + bad.out() + " stderr: " + bad.err());
    assertTrue(bad.err().contains("group"), bad.err());
  }

  @Test
  void aBadRoleExitsWithCode2AndNamesTheSetting() throws Exception {
    Result r = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "headmaster", "--name", "Ana");
    assertEquals(2, r.exit(), () -> "stdout: " + r.out() + " stderr: " + r.err());
    assertTrue(r.err().contains("role"), r.err());
    assertTrue(r.out().isBlank(), "no token printed: " + r.out());
  }

  @Test
  void aTtlBeyondTheTokenLifetimeIsRefused() throws Exception {
    Result r = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "student", "--name", "Ana", "--ttl", "86401");
    assertEquals(2, r.exit(), () -> "stdout: " + r.out() + " stderr: " + r.err());
    assertTrue(r.err().contains("token-max-lifetime-hours"), r.err());
    assertTrue(r.out().isBlank(), "no token printed: " + r.out());
    // The operator may allow longer tokens.
    Result week = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "student", "--name", "Ana", "--ttl", "604800",
        "--token-max-lifetime-hours", "168");
    assertEquals(0, week.exit(), () -> "stderr: " + week.err());
  }

  @Test
  void linkPrintsAnInviteWithTheTokenInTheFragment() throws Exception {
    Result r = run("link", "--data-dir", dir.toString(), "--jwt-secret", SECRET, "--http-port", "8181",
        "--room", "erasmus nl", "--role", "student", "--name", "Jan");
    assertEquals(0, r.exit(), () -> "stderr: " + r.err());
    String link = r.out().strip();
    String prefix = "http://localhost:8181/#room=erasmus+nl&token=";
    assertTrue(link.startsWith(prefix), link);
    Principal p = verifier(SECRET).verify(link.substring(prefix.length()));
    assertEquals("Jan", p.displayName());
    assertEquals(Role.STUDENT, p.roleFor("erasmus nl"));

    Result custom = run("link", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "teacher", "--name", "Ana", "--base-url", "https://ponte.school.example");
    assertEquals(0, custom.exit(), () -> "stderr: " + custom.err());
    assertTrue(custom.out().strip().startsWith("https://ponte.school.example/#room=r1&token="), custom.out());
  }

  @Test
  void linkRefusesWhatCannotBeAnInvite() throws Exception {
    String[][] bad = {
      {"--room", "erasmus-*", "--name", "Ana"},
      {"--room", "r1", "--name", "Ana", "--admin"},
      {"--room", "r1", "--name", "Ana", "--base-url", "javascript:alert(1)"},
    };
    String[] setting = {"room", "admin", "base-url"};
    for (int i = 0; i < bad.length; i++) {
      List<String> args = new ArrayList<>(List.of("link", "--data-dir", dir.toString(), "--jwt-secret", SECRET));
      args.addAll(List.of(bad[i]));
      Result r = run(args.toArray(String[]::new));
      String name = setting[i];
      assertEquals(2, r.exit(), () -> name + ": stdout " + r.out() + " stderr " + r.err());
      assertTrue(r.err().contains(name + ":"), r.err());
      assertTrue(r.out().isBlank(), "nothing printed: " + r.out());
    }
    Result token = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--name", "Ana", "--base-url", "https://x.example");
    assertEquals(2, token.exit(), "base-url belongs to link only");
  }

  /** Embedded mode, first start: the console shows a teacher link for the demo room, once. */
  @Test
  void firstEmbeddedStartPrintsATeacherLinkOnce() throws Exception {
    String first = serveUntilListening();
    int at = first.indexOf("#room=demo&token=");
    assertTrue(at > 0, first);
    String token = first.substring(at + "#room=demo&token=".length()).split("\\s")[0];
    byte[] secret = java.nio.file.Files.readAllBytes(dir.resolve("jwt-secret"));
    Principal p = new TokenVerifier(AuthKeys.load(dir, null, List.of(), null, null)).verify(token);
    assertEquals(Role.TEACHER, p.roleFor("demo"));
    assertTrue(secret.length > 0);

    assertTrue(first.contains("demo room: 200"), "the link's room exists: " + first);

    String second = serveUntilListening();
    assertFalse(second.contains("token="), "the link is printed on the first start only: " + second);
  }

  private String serveUntilListening() throws Exception {
    List<String> cmd = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "serve", "--data-dir", dir.toString(),
        "--http-host", "127.0.0.1", "--http-port", "0");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().keySet().removeIf(k -> k.startsWith("PONTE_"));
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8))) {
      // Everything is printed right after "listening": read up to the learners' link hint or EOF.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      boolean listening = false;
      int port = 0;
      String line;
      while (System.nanoTime() < deadline && (line = reader.readLine()) != null) {
        out.append(line).append('\n');
        if (line.contains("--role student") || (listening && !line.startsWith(" ")
            && !line.startsWith("Open") && !line.startsWith("Invite"))) {
          break;
        }
        if (line.startsWith("Ponte is listening")) {
          listening = true;
          port = Integer.parseInt(line.replaceAll("\\D+", " ").trim().split(" ")[0]);
          if (!java.nio.file.Files.exists(dir.resolve("jwt-secret")) || out.indexOf("generated one") < 0) {
            break; // not a first start: nothing more follows
          }
        }
      }
      assertTrue(listening, "the node started: " + out);
      if (out.indexOf("#room=demo") > 0) {
        String admin = java.nio.file.Files.readString(dir.resolve("admin-token")).strip();
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/admin/rooms/demo"))
            .header("Authorization", "Bearer " + admin).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        out.append("demo room: ").append(r.statusCode()).append('\n');
      }
    } finally {
      p.destroy();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the node stopped");
    }
    return out.toString();
  }
}
