package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.server.PonteServer;
import io.ponte.server.config.PonteConfig;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The web app at {@code /}: from {@code web-dir} or built in, with its headers, and nothing else. */
@Timeout(120)
class WebAppIT {
  @TempDir
  Path data;

  @TempDir
  Path web;

  /** HTTP/1.1 like a browser on http:// (browsers never upgrade to cleartext HTTP/2). */
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private HttpResponse<byte[]> get(TestServer s, String path, String acceptEncoding) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path));
    if (acceptEncoding != null) {
      b.header("Accept-Encoding", acceptEncoding);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void servesTheConfiguredDirectoryWithSafeHeaders() throws Exception {
    Files.writeString(web.resolve("index.html"), "<!doctype html><title>Ponte</title><script src=app.js></script>");
    String js = "console.log('ponte');\n".repeat(400);
    Files.writeString(web.resolve("app.js"), js);
    Files.writeString(data.resolve("outside.txt"), "not for the web");
    try (TestServer s = new TestServer(data, b -> b.webDir(web))) {
      HttpResponse<byte[]> index = get(s, "/", null);
      assertEquals(200, index.statusCode());
      assertTrue(new String(index.body(), StandardCharsets.UTF_8).contains("<title>Ponte</title>"));
      assertTrue(index.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
      String csp = index.headers().firstValue("Content-Security-Policy").orElse("");
      assertTrue(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
      assertEquals("nosniff", index.headers().firstValue("X-Content-Type-Options").orElse(""));
      assertEquals("no-referrer", index.headers().firstValue("Referrer-Policy").orElse(""));
      assertEquals("no-cache", index.headers().firstValue("Cache-Control").orElse(""));

      // Compressed for browsers that accept it, byte for byte the file.
      HttpResponse<byte[]> app = get(s, "/app.js", "gzip");
      assertEquals(200, app.statusCode());
      assertEquals("gzip", app.headers().firstValue("Content-Encoding").orElse(""), app.headers().map().toString());
      assertTrue(app.body().length < js.length() / 10, "compressed: " + app.body().length);
      byte[] plain = new GZIPInputStream(new ByteArrayInputStream(app.body())).readAllBytes();
      assertEquals(js, new String(plain, StandardCharsets.UTF_8));
      assertTrue(app.headers().firstValue("Content-Type").orElse("").contains("javascript"));
      assertEquals("Accept-Encoding", app.headers().firstValue("Vary").orElse(""));
      HttpResponse<byte[]> identity = get(s, "/app.js", "gzip;q=0, br");
      assertTrue(identity.headers().firstValue("Content-Encoding").isEmpty());
      assertEquals(js, new String(identity.body(), StandardCharsets.UTF_8));
      // Revalidation on a poor connection: same ETag, no body.
      String etag = app.headers().firstValue("ETag").orElseThrow();
      HttpResponse<byte[]> again = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
          + "/app.js")).header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(304, again.statusCode());
      assertEquals(0, again.body().length);

      // Nothing outside the directory, no listings, no hidden files, no writes.
      Files.writeString(web.resolve(".env"), "SECRET=1");
      for (String path : new String[] {"/../outside.txt", "/%2e%2e/outside.txt", "/..%2Foutside.txt",
          "/.env", "/missing.js", "/sub/", "/index.html%00.js", "/secret.unknownext"}) {
        int status = get(s, path, null).statusCode();
        assertTrue(status == 404 || status == 400 || status == 403, path + " -> " + status);
      }
      HttpResponse<String> post = s.http("POST", "/index.html", "x", null);
      assertTrue(post.statusCode() >= 400, "POST -> " + post.statusCode());

      // The rest of the server still answers beside it.
      assertEquals(200, get(s, "/health/live", null).statusCode());
      assertEquals(401, s.http("GET", "/api/rooms/r1/boards/b/pages/p/svg", null, null).statusCode());
    }
  }

  @Test
  void aWebDirWithoutAnAppFailsTheStart() throws Exception {
    PonteConfig config = PonteConfig.defaults().toBuilder().httpHost("127.0.0.1").httpPort(0)
        .dataDir(data).jwtSecret(TestServer.SECRET).adminToken(TestServer.ADMIN_TOKEN)
        .webDir(web.resolve("nowhere")).build();
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> PonteServer.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().startsWith("web-dir: no index.html in "), e.getCause().getMessage());
  }

  /** Without web-dir: the app built from web/ when it is on the classpath, else a plain 404. */
  @Test
  void theBuiltInAppOrAClearAbsence() throws Exception {
    boolean built = getClass().getClassLoader().getResource("ponte-web/index.html") != null;
    try (TestServer s = new TestServer(data)) {
      HttpResponse<byte[]> index = get(s, "/", null);
      String body = new String(index.body(), StandardCharsets.UTF_8);
      if (built) {
        assertEquals(200, index.statusCode());
        assertTrue(body.toLowerCase().contains("<!doctype html"), body);
      } else {
        assertEquals(404, index.statusCode());
        assertTrue(body.contains("built without the classroom web app"), body);
      }
    }
  }
}
