package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Role;
import io.ponte.server.PonteServer;
import io.ponte.server.config.PonteConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real Ponte node in the test JVM on an ephemeral port, with helpers to mint tokens, call the
 * admin API and open clients. Close it to stop the node and the client Vert.x.
 */
public final class TestServer implements AutoCloseable {
  public static final String SECRET = "test-secret-0123456789-0123456789-abcdef";
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789";

  private final Path dataDir;
  private final UnaryOperator<PonteConfig.Builder> customise;
  private PonteServer server;
  private final Vertx clients = Vertx.vertx();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public TestServer(Path dataDir) {
    this(dataDir, b -> b);
  }

  public TestServer(Path dataDir, UnaryOperator<PonteConfig.Builder> customise) {
    this.dataDir = dataDir;
    this.customise = customise;
    start();
  }

  /** Starts (or restarts) the node on the same data directory. */
  public void start() {
    PonteConfig config = customise.apply(PonteConfig.defaults().toBuilder()
        .httpHost("127.0.0.1")
        .httpPort(0)
        .dataDir(dataDir)
        .jwtSecret(SECRET)
        .adminToken(ADMIN_TOKEN)
        .eventLoops(2)).build();
    try {
      server = PonteServer.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("server did not start", e);
    }
  }

  /** Graceful stop (clients are told to resume). */
  public void stop() {
    try {
      server.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("server did not stop", e);
    }
  }

  public PonteServer server() {
    return server;
  }

  public int port() {
    return server.port();
  }

  public Vertx clientVertx() {
    return clients;
  }

  public String token(String userId, String name, String roomPattern, Role role) {
    return server.issuer().mint(userId, name, Map.of(roomPattern, role), Duration.ofHours(1), false);
  }

  /** A token with the guest claim (a learner from a partner school, see the lobby). */
  public String guestToken(String userId, String name, String roomPattern, Role role) {
    return server.issuer().mint(userId, name, Map.of(roomPattern, role), Duration.ofHours(1), false, true);
  }

  /** A client that has said hello as a guest with this role in the room (pattern). */
  public TestClient guest(String userId, String roomPattern, Role role) {
    TestClient c = client(WireFormat.PROTO);
    c.hello(guestToken(userId, "Guest " + userId, roomPattern, role));
    return c;
  }

  public TestClient client() {
    return client(WireFormat.PROTO);
  }

  public TestClient client(WireFormat format) {
    return TestClient.connect(clients, port(), format);
  }

  /** A client that has said hello as this user with this role in the room (pattern). */
  public TestClient user(String userId, String roomPattern, Role role) {
    return user(userId, roomPattern, role, WireFormat.PROTO);
  }

  public TestClient user(String userId, String roomPattern, Role role, WireFormat format) {
    TestClient c = client(format);
    c.hello(token(userId, "User " + userId, roomPattern, role));
    return c;
  }

  /** Creates a room through the admin API; returns the response JSON. */
  public JsonObject createRoom(String roomId) {
    return createRoom(new JsonObject().put("id", roomId).put("title", "Room " + roomId));
  }

  public JsonObject createRoom(JsonObject body) {
    HttpResponse<String> r = admin("POST", "/admin/rooms", body.encode());
    assertEquals(201, r.statusCode(), () -> "create room: " + r.body());
    return new JsonObject(r.body());
  }

  /** An admin API call with the admin token. */
  public HttpResponse<String> admin(String method, String path, String body) {
    return http(method, path, body, "Bearer " + ADMIN_TOKEN);
  }

  /** Any HTTP call to the node. */
  public HttpResponse<String> http(String method, String path, String body, String authorization) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(method + " " + path + " failed", e);
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } finally {
      clients.close();
    }
  }
}
