package io.ponte.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.server.testsupport.JwksServer;
import io.ponte.server.testsupport.JwksServer.SigningKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link JwksKeys} against a real HTTP server on an ephemeral port: parsing, refused documents,
 * the size bound, the rate limit of refreshes for unknown keys, and coalescing.
 */
@Timeout(180)
class JwksKeysTest {
  private static final long WAIT_S = 60; // a loaded machine is slow, never this slow
  private static Vertx vertx;
  private static SigningKey rsa;
  private static SigningKey ec;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    rsa = SigningKey.rsa("r1");
    ec = SigningKey.ec("e1");
  }

  @AfterAll
  static void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS);
  }

  private static AuthException awaitFailure(Future<?> f) throws Exception {
    try {
      await(f);
    } catch (ExecutionException e) {
      return assertInstanceOf(AuthException.class, e.getCause());
    }
    throw new AssertionError("expected a failure");
  }

  private static JwksKeys keys(JwksServer server, long minIntervalMs, long timeoutMs, AtomicLong clock) {
    return JwksKeys.create(vertx, new JwksKeys.Options(server.url(), 3_600_000, minIntervalMs, timeoutMs),
        clock::get);
  }

  /** Keys from {@code server}, started: their first fetch is done. */
  private static JwksKeys started(JwksServer server, long minIntervalMs, long timeoutMs, AtomicLong clock)
      throws Exception {
    JwksKeys keys = keys(server, minIntervalMs, timeoutMs, clock);
    await(keys.start());
    return keys;
  }

  // ------------------------------------------------------------------------------------------

  @Test
  void keepsRsaAndEcSignatureKeysAndSkipsTheRest() throws Exception {
    KeyPairGenerator small = KeyPairGenerator.getInstance("RSA");
    small.initialize(1024);
    KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
    p384.initialize(new ECGenParameterSpec("secp384r1"));
    List<JsonObject> entries = new ArrayList<>();
    entries.add(rsa.jwkJson());
    entries.add(ec.jwkJson());
    entries.add(new JsonObject(new RSAKey.Builder((RSAPublicKey) small.generateKeyPair().getPublic())
        .keyID("small").build().toJSONObject()));
    entries.add(new JsonObject(new ECKey.Builder(Curve.P_384, (ECPublicKey) p384.generateKeyPair().getPublic())
        .keyID("p384").build().toJSONObject()));
    entries.add(new JsonObject(new RSAKey.Builder(rsa.publicJwk().toRSAKey()).keyID("enc")
        .keyUse(KeyUse.ENCRYPTION).build().toJSONObject()));
    entries.add(new JsonObject(new RSAKey.Builder(rsa.publicJwk().toRSAKey()).keyID("hs")
        .algorithm(JWSAlgorithm.HS256).build().toJSONObject()));
    entries.add(new JsonObject(new OctetSequenceKey.Builder(new byte[32]).keyID("oct").build().toJSONObject()));
    entries.add(new JsonObject().put("kty", "OKP").put("crv", "Ed25519").put("x", "abc").put("kid", "okp"));
    entries.add(new JsonObject().put("kty", "RSA").put("kid", "broken"));
    entries.add(new JsonObject().put("kty", "XYZ").put("kid", "unknown-type"));
    JwksKeys.KeySet set = JwksKeys.parse(JwksServer.document(entries));
    assertEquals(2, set.size(), "the RSA and the P-256 key only");
    assertEquals(1, set.candidates("r1", JWSAlgorithm.RS256).size());
    assertEquals(0, set.candidates("r1", JWSAlgorithm.PS256).size(), "its alg (RS256) binds it");
    assertEquals(0, set.candidates("r1", JWSAlgorithm.ES256).size(), "a kid is one key of one type");
    assertEquals(1, set.candidates("e1", JWSAlgorithm.ES256).size());
    assertEquals(1, set.candidates(null, JWSAlgorithm.ES256).size(), "no kid: every key of the type");
    assertEquals(0, set.candidates("nope", JWSAlgorithm.RS256).size());
    // Without an alg, an RSA key verifies RS256 and PS256.
    JwksKeys.KeySet noAlg = JwksKeys.parse(JwksServer.document(List.of(new JsonObject(
        new RSAKey.Builder(rsa.publicJwk().toRSAKey().toRSAPublicKey()).keyID("any").build().toJSONObject()))));
    assertEquals(1, noAlg.candidates("any", JWSAlgorithm.RS256).size());
    assertEquals(1, noAlg.candidates("any", JWSAlgorithm.PS256).size());
  }

  @Test
  void refusesWhatIsNotAUsableJwkSet() {
    for (String bad : List.of("not json", "[]", "{}", "{\"keys\":{}}", "{\"keys\":[]}",
        "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", "{\"keys\":[1,2,3]}")) {
      assertThrows(IllegalArgumentException.class, () -> JwksKeys.parse(bad), bad);
    }
    JsonArray many = new JsonArray();
    for (int i = 0; i <= JwksKeys.MAX_KEYS; i++) {
      many.add(rsa.jwkJson());
    }
    assertThrows(IllegalArgumentException.class,
        () -> JwksKeys.parse(new JsonObject().put("keys", many).encode()), "too many keys");
  }

  @Test
  void aDocumentAboveTheBoundIsRefusedAndTheLastGoodSetStays() throws Exception {
    AtomicLong clock = new AtomicLong();
    try (JwksServer server = JwksServer.publishing(rsa);
        JwksKeys keys = started(server, 1000, 10_000, clock)) {
      assertEquals(1, keys.keyCount());
      String padding = "x".repeat(JwksKeys.MAX_DOCUMENT_BYTES);
      for (boolean chunked : new boolean[] {false, true}) {
        server.chunked(chunked);
        server.serve(new JsonObject().put("keys", new JsonArray().add(ec.jwkJson()))
            .put("padding", padding).encode());
        clock.addAndGet(2_000_000_000L);
        AuthException e = awaitFailure(keys.refreshForUnknownKey());
        assertEquals(ErrorCode.TOKEN_KEYS_UNAVAILABLE, e.code(), chunked ? "chunked" : "with Content-Length");
        assertEquals(1, keys.current().candidates("r1", JWSAlgorithm.RS256).size(), "the last good set stays");
        assertEquals(0, keys.current().candidates("e1", JWSAlgorithm.ES256).size());
      }
    }
  }

  @Test
  void anUnknownKidFetchesAtMostOncePerMinimumInterval() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    try (JwksServer server = JwksServer.publishing(rsa);
        JwksKeys keys = started(server, 30_000, 10_000, clock)) {
      assertEquals(1, server.requests());
      server.publish(rsa, ec);
      // Within the interval: answered at once with what the last fetch left.
      for (int i = 0; i < 50; i++) {
        assertEquals(1, await(keys.refreshForUnknownKey()).size());
      }
      assertEquals(1, server.requests(), "no fetch within the minimum interval");
      clock.addAndGet(30_000_000_000L);
      assertEquals(2, await(keys.refreshForUnknownKey()).size(), "the rotated-in key is found");
      assertEquals(2, server.requests());
      for (int i = 0; i < 50; i++) {
        keys.refreshForUnknownKey();
      }
      assertEquals(2, server.requests());
      assertEquals(2, keys.fetchCount());
    }
  }

  @Test
  void concurrentLookupsShareOneFetch() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    try (JwksServer server = JwksServer.publishing(rsa);
        JwksKeys keys = started(server, 1000, 50_000, clock)) {
      server.publish(rsa, ec);
      server.hold();
      clock.addAndGet(5_000_000_000L);
      List<Future<JwksKeys.KeySet>> lookups = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Thread t = new Thread(() -> {
          for (int j = 0; j < 10; j++) {
            Future<JwksKeys.KeySet> f = keys.refreshForUnknownKey();
            synchronized (lookups) {
              lookups.add(f);
            }
          }
        });
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(WAIT_S));
      }
      // And from event loops.
      for (int i = 0; i < 10; i++) {
        io.vertx.core.Promise<JwksKeys.KeySet> p = io.vertx.core.Promise.promise();
        vertx.runOnContext(v -> keys.refreshForUnknownKey().onComplete(ar -> {
          if (ar.succeeded()) {
            p.complete(ar.result());
          } else {
            p.fail(ar.cause());
          }
        }));
        lookups.add(p.future());
      }
      server.awaitRequests(2, TimeUnit.SECONDS.toMillis(WAIT_S));
      assertTrue(lookups.stream().noneMatch(Future::isComplete), "they wait for the held fetch");
      server.release();
      for (Future<JwksKeys.KeySet> f : lookups) {
        assertEquals(2, await(f).size());
      }
      assertEquals(2, server.requests(), "one fetch for all of them");
    }
  }

  @Test
  void aFailedFetchKeepsTheLastGoodSetAndIsNotRetriedWithinTheInterval() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    try (JwksServer server = JwksServer.publishing(rsa);
        JwksKeys keys = started(server, 1000, 10_000, clock)) {
      server.answer(503);
      clock.addAndGet(2_000_000_000L);
      assertEquals(ErrorCode.TOKEN_KEYS_UNAVAILABLE, awaitFailure(keys.refreshForUnknownKey()).code());
      assertEquals(ErrorCode.TOKEN_KEYS_UNAVAILABLE, awaitFailure(keys.refreshForUnknownKey()).code(),
          "within the interval the failure stands, without a fetch");
      assertEquals(2, server.requests());
      assertEquals(1, keys.keyCount(), "the last good set stays");
      assertTrue(keys.loaded());
      server.serve("{\"keys\": \"not a list\"}");
      clock.addAndGet(2_000_000_000L);
      awaitFailure(keys.refreshForUnknownKey());
      assertEquals(1, keys.keyCount());
      server.publish(rsa, ec);
      clock.addAndGet(2_000_000_000L);
      assertEquals(2, await(keys.refreshForUnknownKey()).size(), "back when the provider answers");
    }
  }

  @Test
  void aFetchThatHangsFailsAtTheTimeout() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    try (JwksServer server = JwksServer.publishing(rsa)) {
      server.hold();
      JwksKeys keys = keys(server, 1000, 300, clock);
      long start = System.nanoTime();
      await(keys.start()); // completes (the node starts) even though the fetch failed
      assertTrue(!keys.loaded() && keys.keyCount() == 0);
      assertEquals(ErrorCode.TOKEN_KEYS_UNAVAILABLE, awaitFailure(keys.refreshForUnknownKey()).code());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(WAIT_S));
      server.release();
      keys.close();
    }
  }

  @Test
  void unreachableProviderFailsRetryably() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    String url;
    try (JwksServer server = JwksServer.start()) {
      url = server.url();
    }
    JwksKeys keys = JwksKeys.create(vertx, new JwksKeys.Options(url, 3_600_000, 1000, 5000), clock::get);
    await(keys.start());
    assertEquals(ErrorCode.TOKEN_KEYS_UNAVAILABLE, awaitFailure(keys.refreshForUnknownKey()).code());
    keys.close();
  }

  @Test
  void theVerifierUsesPublishedKeysAndWaitsOnlyForAnUnknownKid() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    try (JwksServer server = JwksServer.publishing(rsa);
        JwksKeys keys = started(server, 1000, 10_000, clock)) {
      TokenVerifier verifier = new TokenVerifier(TestTokens.hsKeys(), keys);
      String known = rsa.token("u1", "r*", "student");
      Future<Principal> f = verifier.verifyAsync(known);
      assertTrue(f.isComplete(), "a cached key needs no wait");
      assertEquals("u1", await(f).userId());
      assertEquals("u1", verifier.verify(known).userId());
      // HS256 stays synchronous and unaffected.
      java.util.Map<String, Object> hs = TestTokens.claims();
      hs.put("exp", System.currentTimeMillis() / 1000 + 600);
      assertEquals("u-17", verifier.verify(TestTokens.hs256(hs)).userId());
      // A new key: the sync path refuses it (and asks for a fetch), the async path fetches.
      server.publish(rsa, ec);
      String rotated = ec.token("u2", "r*", "teacher");
      assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE,
          assertThrows(AuthException.class, () -> verifier.verify(rotated)).code());
      clock.addAndGet(2_000_000_000L);
      assertEquals("u2", await(verifier.verifyAsync(rotated)).userId());
      // A forged token naming a published kid is a bad signature, with no further fetch.
      int before = server.requests();
      String forged = SigningKey.rsa("r1").token("u3", "r*", "teacher");
      clock.addAndGet(2_000_000_000L);
      assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, awaitFailure(verifier.verifyAsync(forged)).code());
      assertEquals(before, server.requests());
      // A kid nobody publishes: fetched once, then a bad signature.
      String stranger = SigningKey.rsa("stranger").token("u4", "r*", "teacher");
      assertEquals(ErrorCode.TOKEN_BAD_SIGNATURE, awaitFailure(verifier.verifyAsync(stranger)).code());
      assertEquals(before + 1, server.requests());
    }
  }

  @Test
  void completesOnTheCallersContext() throws Exception {
    AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    try (JwksServer server = JwksServer.publishing(rsa);
        JwksKeys keys = started(server, 1000, 10_000, clock)) {
      TokenVerifier verifier = new TokenVerifier(TestTokens.hsKeys(), keys);
      server.publish(rsa, ec);
      clock.addAndGet(2_000_000_000L);
      io.vertx.core.Context caller = vertx.getOrCreateContext();
      java.util.concurrent.CompletableFuture<Boolean> onCaller = new java.util.concurrent.CompletableFuture<>();
      caller.runOnContext(v -> verifier.verifyAsync(ec.token("u2", "r*", "teacher"))
          .onComplete(ar -> onCaller.complete(ar.succeeded() && io.vertx.core.Vertx.currentContext() == caller)));
      assertTrue(onCaller.get(WAIT_S, TimeUnit.SECONDS));
    }
  }
}
