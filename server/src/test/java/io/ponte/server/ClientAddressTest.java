package io.ponte.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Minimisation at the source: the server never reads a client's address or user agent (nor the
 * headers proxies put them in), and reads only the request headers listed here. A new header
 * read belongs in README's "Data protection" first. (DataMinimisationIT checks the stored bytes.)
 */
class ClientAddressTest {
  /** The request headers the server may read, and why. */
  private static final Set<String> READ_HEADERS = Set.of(
      "authorization", // admin API, board export
      "origin", // allowed-origins
      "upgrade", "sec-websocket-protocol", // the WebSocket handshake
      "if-none-match", "accept-encoding", // the web app's caching and compression
      "content-length"); // of the identity provider's JWKS response (auth.JwksKeys), not a client's

  private static final Pattern GET_HEADER = Pattern.compile("getHeader\\(\"([^\"]+)\"\\)");
  private static final List<String> NEVER = List.of("remoteAddress(", "localAddress(",
      "user-agent", "forwarded", "x-real-ip", "cf-connecting-ip", "true-client-ip");

  @Test
  void theServerReadsNoAddressNoUserAgentAndOnlyTheHeadersItNeeds() throws Exception {
    Path root = sources();
    List<String> problems = new ArrayList<>();
    Set<String> read = new TreeSet<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String code = Files.readString(f, StandardCharsets.UTF_8);
        String lower = code.toLowerCase(Locale.ROOT);
        for (String n : NEVER) {
          if (lower.contains(n.toLowerCase(Locale.ROOT))) {
            problems.add(root.relativize(f) + " mentions " + n);
          }
        }
        Matcher m = GET_HEADER.matcher(code);
        while (m.find()) {
          read.add(m.group(1).toLowerCase(Locale.ROOT));
        }
      }
    }
    assertEquals(List.of(), problems);
    assertTrue(READ_HEADERS.containsAll(read), () -> "headers read: " + read);
    assertTrue(read.contains("origin"), () -> "the scan finds header reads: " + read);
  }

  private static Path sources() {
    for (Path p : List.of(Path.of("src", "main", "java"), Path.of("server", "src", "main", "java"))) {
      if (Files.isDirectory(p.resolve("io/ponte/server"))) {
        return p;
      }
    }
    throw new AssertionError("cannot find server/src/main/java from " + Path.of("").toAbsolutePath());
  }
}
