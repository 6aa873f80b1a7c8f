package io.ponte.server.web;

import io.ponte.server.config.ConfigException;
import io.ponte.server.config.PonteConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;

/**
 * The classroom web app at {@code /}: the build of {@code web/} inside the jar (classpath
 * {@code ponte-web/}), or the directory named by {@code web-dir}.
 *
 * <p>Files are answered from memory, gzipped once when they are read: the HTTP server has no
 * compression handler, which would sit in every WebSocket connection's pipeline.
 */
public final class WebApp {
  static final String BUILT_IN = "ponte-web";

  /**
   * The app connects back to this origin only (WebSocket and HTTP); the board draws with inline
   * styles and blob images (SVG download); nothing may frame it (clickjacking of teacher controls).
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self' ws: wss:;"
      + " img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none';"
      + " base-uri 'none'; frame-ancestors 'none'";

  private static final Map<String, String> TYPES = Map.ofEntries(
      Map.entry("html", "text/html; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
      Map.entry("mjs", "text/javascript; charset=utf-8"), Map.entry("css", "text/css; charset=utf-8"),
      Map.entry("json", "application/json"), Map.entry("map", "application/json"),
      Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("ico", "image/x-icon"),
      Map.entry("webp", "image/webp"), Map.entry("woff2", "font/woff2"), Map.entry("txt", "text/plain; charset=utf-8"),
      Map.entry("webmanifest", "application/manifest+json"));

  private static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

  /** Gzip pays for text only; images and fonts are compressed already. */
  private static final java.util.Set<String> COMPRESSIBLE =
      java.util.Set.of("html", "js", "mjs", "css", "json", "map", "svg", "txt", "webmanifest");

  /** {@code gzipped} is null when gzip would not make it smaller. */
  private record File(Buffer body, Buffer gzipped, String etag) {}

  private final Path dir;
  private final boolean available;
  /** Built-in files never change while the node runs; a missing one is remembered as null. */
  private final Map<String, Optional<File>> builtIn = new ConcurrentHashMap<>();

  private WebApp(Path dir, boolean available) {
    this.dir = dir;
    this.available = available;
  }

  /** Fails with a {@link ConfigException} when {@code web-dir} is not a directory with an index.html. */
  public static WebApp create(PonteConfig config) {
    Optional<Path> configured = config.webDir();
    if (configured.isPresent()) {
      Path root = configured.get().toAbsolutePath().normalize();
      if (!Files.isRegularFile(root.resolve("index.html"))) {
        throw new ConfigException("web-dir", "no index.html in " + root);
      }
      return new WebApp(root, true);
    }
    return new WebApp(null, WebApp.class.getClassLoader().getResource(BUILT_IN + "/index.html") != null);
  }

  /** Whether there is an app to serve (a server built without {@code web/} has none). */
  public boolean available() {
    return available;
  }

  /** Mount last: every GET or HEAD that no other route took. */
  public void mount(Router router) {
    router.route().method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::handle);
  }

  private void handle(RoutingContext ctx) {
    ctx.response().headers()
        .set("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .set("X-Content-Type-Options", "nosniff")
        .set("Referrer-Policy", "no-referrer")
        // Names are not content-hashed: browsers revalidate (a 304 costs a round trip, no bytes).
        .set("Cache-Control", "no-cache");
    if (!available) {
      notFound(ctx, "This server was built without the classroom web app (module web).\n");
      return;
    }
    String path = relativePath(ctx.normalizedPath());
    String type = path == null ? null : TYPES.get(extension(path));
    if (type == null) {
      notFound(ctx, "Not found\n");
      return;
    }
    Vertx vertx = ctx.vertx();
    Future<Optional<File>> file = dir != null
        ? vertx.executeBlocking(() -> readFile(dir, path), false)
        : builtIn.containsKey(path) ? Future.succeededFuture(builtIn.get(path))
        : vertx.executeBlocking(() -> builtIn.computeIfAbsent(path, WebApp::readBuiltIn), false);
    file.onComplete(ar -> {
      if (ar.failed() || ar.result().isEmpty()) {
        notFound(ctx, "Not found\n");
        return;
      }
      File f = ar.result().get();
      ctx.response().putHeader("ETag", f.etag());
      if (f.etag().equals(ctx.request().getHeader("If-None-Match"))) {
        ctx.response().setStatusCode(304).end();
        return;
      }
      ctx.response().putHeader("Content-Type", type).putHeader("Vary", "Accept-Encoding");
      Buffer body = f.body();
      if (f.gzipped() != null && acceptsGzip(ctx.request().getHeader("Accept-Encoding"))) {
        body = f.gzipped();
        ctx.response().putHeader("Content-Encoding", "gzip");
      }
      if (ctx.request().method() == HttpMethod.HEAD) {
        ctx.response().putHeader("Content-Length", Integer.toString(body.length())).end();
      } else {
        ctx.response().end(body);
      }
    });
  }

  /** The path below the app's root, or null for anything hidden, odd or outside it. */
  static String relativePath(String normalized) {
    if (normalized == null || !normalized.startsWith("/")) {
      return null;
    }
    String p = normalized.endsWith("/") ? normalized + "index.html" : normalized;
    p = p.substring(1);
    if (p.isEmpty() || p.length() > 256 || p.contains("\\") || p.contains("//") || p.indexOf('\0') >= 0
        || p.startsWith(".") || p.contains("/.") || p.contains(":")) {
      return null;
    }
    return p;
  }

  static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    for (String part : acceptEncoding.toLowerCase(Locale.ROOT).split(",")) {
      String[] coding = part.trim().split(";");
      if (coding[0].trim().equals("gzip")) {
        for (int i = 1; i < coding.length; i++) {
          String q = coding[i].trim();
          if (q.startsWith("q=")) {
            try {
              return Double.parseDouble(q.substring(2)) > 0;
            } catch (NumberFormatException e) {
              return false;
            }
          }
        }
        return true;
      }
    }
    return false;
  }

  private static String extension(String path) {
    int dot = path.lastIndexOf('.');
    return dot < 0 || dot < path.lastIndexOf('/') ? "" : path.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  private static Optional<File> readFile(Path root, String path) throws IOException {
    Path file = root.resolve(path).normalize();
    if (!file.startsWith(root) || !Files.isRegularFile(file) || Files.size(file) > MAX_FILE_BYTES) {
      return Optional.empty();
    }
    return Optional.of(file(Files.readAllBytes(file), COMPRESSIBLE.contains(extension(path))));
  }

  private static Optional<File> readBuiltIn(String path) {
    try (InputStream in = WebApp.class.getClassLoader().getResourceAsStream(BUILT_IN + "/" + path)) {
      return in == null ? Optional.empty()
          : Optional.of(file(in.readNBytes(MAX_FILE_BYTES), COMPRESSIBLE.contains(extension(path))));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static File file(byte[] bytes, boolean compressible) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    Buffer gzipped = null;
    if (compressible && bytes.length > 256) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(bytes.length / 3);
      try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out) {
        {
          def.setLevel(java.util.zip.Deflater.BEST_COMPRESSION);
        }
      }) {
        gz.write(bytes);
      }
      if (out.size() < bytes.length) {
        gzipped = Buffer.buffer(out.toByteArray());
      }
    }
    return new File(Buffer.buffer(bytes), gzipped,
        "\"" + Integer.toHexString(bytes.length) + "-" + HexFormat.of().toHexDigits((int) crc.getValue()) + "\"");
  }

  private static void notFound(RoutingContext ctx, String text) {
    ctx.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8").end(text);
  }
}
