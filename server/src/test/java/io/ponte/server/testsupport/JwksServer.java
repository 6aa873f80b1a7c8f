package io.ponte.server.testsupport;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An identity provider's key endpoint for tests: a real HTTP server (the JDK's) on an ephemeral
 * loopback port serving a JWK Set the test changes at will (rotation), answering with an error,
 * or holding its answers until released; it counts the requests it gets.
 */
public final class JwksServer implements AutoCloseable {
  /** A signing key of the "provider": its private half signs tokens, its public half is published. */
  public record SigningKey(String kid, JWSAlgorithm alg, JWSSigner signer, JWK publicJwk) {
    public static SigningKey rsa(String kid) {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair pair = g.generateKeyPair();
        JWK jwk = new RSAKey.Builder((RSAPublicKey) pair.getPublic()).keyID(kid)
            .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).build();
        return new SigningKey(kid, JWSAlgorithm.RS256, new RSASSASigner(pair.getPrivate()), jwk);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    public static SigningKey ec(String kid) {
      try {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = g.generateKeyPair();
        JWK jwk = new ECKey.Builder(Curve.P_256, (ECPublicKey) pair.getPublic()).keyID(kid)
            .keyUse(KeyUse.SIGNATURE).build(); // no alg: the curve says ES256
        return new SigningKey(kid, JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) pair.getPrivate()), jwk);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }

    /** A token signed with this key, naming it by kid. */
    public String sign(Map<String, Object> claims) {
      JWSObject jws = new JWSObject(new JWSHeader.Builder(alg).keyID(kid).build(), new Payload(claims));
      try {
        jws.sign(signer);
      } catch (JOSEException e) {
        throw new AssertionError(e);
      }
      return jws.serialize();
    }

    /** A token for a user with a role in a room (pattern), valid for an hour. */
    public String token(String userId, String roomPattern, String role) {
      return sign(claims(userId, roomPattern, role));
    }

    public static Map<String, Object> claims(String userId, String roomPattern, String role) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("sub", userId);
      c.put("name", "User " + userId);
      c.put("exp", System.currentTimeMillis() / 1000 + 3600);
      c.put("rooms", Map.of(roomPattern, role));
      return c;
    }

    /** The public JWK as a JSON object. */
    public JsonObject jwkJson() {
      return new JsonObject(publicJwk.toJSONObject());
    }
  }

  private final HttpServer http;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "jwks-server");
    t.setDaemon(true);
    return t;
  });
  private final AtomicInteger requests = new AtomicInteger();
  private volatile byte[] document = "{\"keys\":[]}".getBytes(StandardCharsets.UTF_8);
  private volatile int status = 200;
  private volatile boolean chunked;
  private volatile CountDownLatch gate;

  private JwksServer() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/jwks.json", exchange -> {
      requests.incrementAndGet();
      try (exchange) {
        CountDownLatch g = gate;
        if (g != null) {
          g.await(120, TimeUnit.SECONDS);
        }
        byte[] body = status == 200 ? document : "{\"error\":\"unavailable\"}".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, chunked ? 0 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException e) {
        // the client went away (e.g. it cut a document too large)
      }
    });
    http.setExecutor(executor);
    http.start();
  }

  public static JwksServer start() {
    try {
      return new JwksServer();
    } catch (IOException e) {
      throw new AssertionError("cannot start the JWKS server", e);
    }
  }

  /** Starts a server that serves exactly these keys from the first request on. */
  public static JwksServer publishing(SigningKey... keys) {
    JwksServer server = start();
    server.publish(keys);
    return server;
  }

  public String url() {
    return "http://127.0.0.1:" + http.getAddress().getPort() + "/jwks.json";
  }

  /** Serves exactly these keys from now on (a rotation replaces the set). */
  public void publish(SigningKey... keys) {
    JsonArray list = new JsonArray();
    for (SigningKey k : keys) {
      list.add(k.jwkJson());
    }
    serve(new JsonObject().put("keys", list).encode());
  }

  /** Serves this body (status 200) from now on. */
  public void serve(String body) {
    document = body.getBytes(StandardCharsets.UTF_8);
    status = 200;
  }

  /** Answers with this HTTP status from now on (200: the document again). */
  public void answer(int httpStatus) {
    status = httpStatus;
  }

  /** Sends bodies without Content-Length (chunked). */
  public void chunked(boolean on) {
    chunked = on;
  }

  /** Requests from now on wait until {@link #release}. */
  public void hold() {
    gate = new CountDownLatch(1);
  }

  public void release() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  public int requests() {
    return requests.get();
  }

  /** Waits until at least {@code n} requests arrived. */
  public void awaitRequests(int n, long timeoutMs) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (requests.get() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the JWKS server got " + requests.get() + " requests, not " + n);
      }
      Thread.onSpinWait();
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    release();
    http.stop(0);
    executor.shutdownNow();
  }

  /** A JWK Set with these public keys as JSON text. */
  public static String document(List<JsonObject> jwks) {
    return new JsonObject().put("keys", new JsonArray(List.copyOf(jwks))).encode();
  }
}
