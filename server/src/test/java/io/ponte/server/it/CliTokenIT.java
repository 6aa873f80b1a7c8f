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
  void aBadRoleExitsWithCode2AndNamesTheSetting() throws Exception {
    Result r = run("token", "--data-dir", dir.toString(), "--jwt-secret", SECRET,
        "--room", "r1", "--role", "headmaster", "--name", "Ana");
    assertEquals(2, r.exit(), () -> "stdout: " + r.out() + " stderr: " + r.err());
    assertTrue(r.err().contains("role"), r.err());
    assertTrue(r.out().isBlank(), "no token printed: " + r.out());
  }
}
