package io.ponte.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.ponte.protocol.v1.ErrorCode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token signing keys published by an identity provider or LMS as a JWK Set ({@code jwt-jwks-url},
 * RFC 7517): fetched without blocking, cached, and fetched again every {@code
 * jwt-jwks-refresh-interval-ms} and when a token names a key id ({@code kid}) the cache does not
 * hold, at most once per {@code jwt-jwks-refresh-min-interval-ms}, so a provider's key rotation
 * needs no restart and a stream of tokens with made-up key ids costs one fetch per interval.
 *
 * <p>Guarantees: lookups that arrive while a fetch runs share that fetch; every fetch ends
 * within {@code jwt-jwks-timeout-ms} (then it failed); a failed fetch (unreachable, not 200, not a
 * JWK Set, no usable key, larger than {@link #MAX_DOCUMENT_BYTES}) keeps the last good key set;
 * every returned future completes. Keys kept: RSA of at least 2048 bits (RS256, PS256) and EC
 * P-256 (ES256) whose {@code use} is absent or {@code sig}; others are skipped, not fatal.
 * Thread-safe: called from every event loop; fetches run on one context of their own.
 */
public final class JwksKeys implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JwksKeys.class);

  /** The largest JWK Set document read; a provider's set is a few KiB. */
  public static final int MAX_DOCUMENT_BYTES = 256 * 1024;
  /** The most keys one document may hold. */
  public static final int MAX_KEYS = 100;
  private static final int MIN_RSA_BITS = 2048;

  /** Where and how often: the settings of the same names. */
  public record Options(String url, long refreshIntervalMs, long minRefreshIntervalMs,
      long timeoutMs) {
    public Options {
      Objects.requireNonNull(url, "url");
    }
  }

  /** One usable key of a set. */
  record Key(String kid, JWSAlgorithm alg, boolean rsa, JWSVerifier verifier) {
    /** Whether this key may check a token signed with {@code tokenAlg}. */
    boolean accepts(JWSAlgorithm tokenAlg) {
      if (alg != null && !alg.equals(tokenAlg)) {
        return false;
      }
      return rsa ? JWSAlgorithm.RS256.equals(tokenAlg) || JWSAlgorithm.PS256.equals(tokenAlg)
          : JWSAlgorithm.ES256.equals(tokenAlg);
    }
  }

  /** The keys of one fetched document; immutable. */
  static final class KeySet {
    static final KeySet EMPTY = new KeySet(List.of());
    final List<Key> keys;

    KeySet(List<Key> keys) {
      this.keys = List.copyOf(keys);
    }

    /**
     * The keys that may check a token with this {@code kid} (null: the token names none, so every
     * key of its algorithm) and algorithm.
     */
    List<JWSVerifier> candidates(String kid, JWSAlgorithm alg) {
      List<JWSVerifier> out = new ArrayList<>(2);
      for (Key k : keys) {
        if ((kid == null || kid.equals(k.kid())) && k.accepts(alg)) {
          out.add(k.verifier());
        }
      }
      return out;
    }

    int size() {
      return keys.size();
    }
  }

  private final Options options;
  private final Context context;
  private final HttpClientAgent client;
  private final LongSupplier nanoClock;
  private final AtomicInteger fetches = new AtomicInteger();

  private volatile KeySet current = KeySet.EMPTY;
  private volatile boolean loaded;
  private final Object lock = new Object();
  /** The fetch running now, shared by every lookup; guarded by lock. */
  private Promise<KeySet> inFlight;
  /** When the last fetch started (nanoTime), and whether it failed; guarded by lock. */
  private long lastFetchNanos;
  private boolean fetchedOnce;
  private boolean lastFetchFailed;
  private long periodicTimer = -1;
  private volatile boolean closed;

  private JwksKeys(Vertx vertx, Options options, LongSupplier nanoClock) {
    this.options = options;
    this.nanoClock = nanoClock;
    // A context of its own (an event loop): fetches never run on, nor wait for, a caller's.
    this.context = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.timeoutMs()))
        .setVerifyHost(true)
        .setTrustAll(false));
  }

  /** Keys from {@code options.url()}; nothing is fetched before {@link #start}. */
  public static JwksKeys create(Vertx vertx, Options options) {
    return new JwksKeys(vertx, options, System::nanoTime);
  }

  /** For tests: a clock that decides when the minimum refresh interval has passed. */
  static JwksKeys create(Vertx vertx, Options options, LongSupplier nanoClock) {
    return new JwksKeys(vertx, options, nanoClock);
  }

  /**
   * Fetches the keys once and then every refresh interval. The future completes when the first
   * fetch has ended, successfully or not (a provider that is down at start-up does not stop the
   * node: its tokens are refused as retryable until it answers); it never fails.
   */
  public Future<Void> start() {
    Future<KeySet> first = fetch();
    context.runOnContext(v -> {
      if (!closed) {
        periodicTimer = context.owner().setPeriodic(options.refreshIntervalMs(), id -> {
          synchronized (lock) {
            if (inFlight != null) {
              return; // a fetch for an unknown kid is running: it refreshes the set anyway
            }
          }
          fetch();
        });
      }
    });
    return first.<Void>mapEmpty().otherwiseEmpty();
  }

  /** The keys fetched last (empty before the first successful fetch). */
  KeySet current() {
    return current;
  }

  /** Whether some fetch has succeeded: an unknown key is then a bad signature, not a retry. */
  boolean loaded() {
    return loaded;
  }

  /** How many usable keys the cached set holds. */
  public int keyCount() {
    return current.size();
  }

  /** Fetches started so far (tests, logs). */
  public int fetchCount() {
    return fetches.get();
  }

  /**
   * The key set after looking again for a key the cache does not hold: shares the fetch running
   * now; else fetches, unless the last fetch started less than the minimum interval ago, in which
   * case it answers at once with what that fetch left. Fails with TOKEN_KEYS_UNAVAILABLE when that
   * fetch (or this one) failed: the key may exist but cannot be checked now.
   */
  Future<KeySet> refreshForUnknownKey() {
    Promise<KeySet> shared;
    synchronized (lock) {
      if (inFlight != null) {
        return inFlight.future();
      }
      long sinceMs = (nanoClock.getAsLong() - lastFetchNanos) / 1_000_000;
      if (fetchedOnce && sinceMs < options.minRefreshIntervalMs()) {
        return lastFetchFailed ? Future.failedFuture(unavailable()) : Future.succeededFuture(current);
      }
      shared = beginFetch();
    }
    runFetch(shared);
    return shared.future();
  }

  /** Starts a fetch now (the periodic refresh; start-up), or joins the one running. */
  private Future<KeySet> fetch() {
    Promise<KeySet> shared;
    synchronized (lock) {
      if (inFlight != null) {
        return inFlight.future();
      }
      shared = beginFetch();
    }
    runFetch(shared);
    return shared.future();
  }

  /** Under lock: records the start of a fetch. */
  private Promise<KeySet> beginFetch() {
    inFlight = Promise.promise();
    lastFetchNanos = nanoClock.getAsLong();
    fetchedOnce = true;
    fetches.incrementAndGet();
    return inFlight;
  }

  private void runFetch(Promise<KeySet> shared) {
    context.runOnContext(v -> {
      if (closed) {
        finish(shared, null, new IllegalStateException("closed"));
        return;
      }
      Promise<Buffer> body = Promise.promise();
      // The deadline covers connect, headers and body together.
      long deadline = context.owner().setTimer(options.timeoutMs(), id ->
          body.tryFail("no answer within " + options.timeoutMs() + " ms"));
      download(body);
      body.future().onComplete(ar -> {
        context.owner().cancelTimer(deadline);
        if (ar.failed()) {
          finish(shared, null, ar.cause());
          return;
        }
        KeySet parsed;
        try {
          parsed = parse(ar.result().toString(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
          finish(shared, null, e);
          return;
        }
        finish(shared, parsed, null);
      });
    });
  }

  private void download(Promise<Buffer> body) {
    RequestOptions request = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setAbsoluteURI(options.url())
        .setFollowRedirects(false)
        .setIdleTimeout(options.timeoutMs())
        .addHeader("Accept", "application/jwk-set+json, application/json");
    client.request(request).onComplete(r -> {
      if (r.failed()) {
        body.tryFail(r.cause());
        return;
      }
      HttpClientRequest req = r.result();
      // A deadline that fires first leaves the request to be cut here.
      body.future().onFailure(err -> req.reset());
      req.send().onComplete(s -> {
        if (s.failed()) {
          body.tryFail(s.cause());
          return;
        }
        var response = s.result();
        if (response.statusCode() != 200) {
          body.tryFail("HTTP " + response.statusCode());
          req.reset();
          return;
        }
        if (declaredLength(response.getHeader("Content-Length")) > MAX_DOCUMENT_BYTES) {
          body.tryFail("document larger than " + MAX_DOCUMENT_BYTES + " bytes");
          req.reset();
          return;
        }
        Buffer received = Buffer.buffer();
        response.handler(chunk -> {
          if (body.future().isComplete()) {
            return;
          }
          if (received.length() + chunk.length() > MAX_DOCUMENT_BYTES) {
            body.tryFail("document larger than " + MAX_DOCUMENT_BYTES + " bytes");
            return;
          }
          received.appendBuffer(chunk);
        });
        response.exceptionHandler(body::tryFail);
        response.endHandler(v -> body.tryComplete(received));
      });
    });
  }

  /** The Content-Length, or 0 when absent or unreadable (the body is counted anyway). */
  private static long declaredLength(String header) {
    try {
      return header == null ? 0 : Long.parseLong(header.strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private void finish(Promise<KeySet> shared, KeySet fetched, Throwable failure) {
    KeySet result;
    synchronized (lock) {
      if (fetched != null) {
        current = fetched;
        loaded = true;
      }
      lastFetchFailed = fetched == null;
      if (inFlight == shared) {
        inFlight = null;
      }
      result = current;
    }
    if (fetched != null) {
      log.debug("jwt-jwks-url: {} keys", fetched.size());
      shared.complete(result);
    } else {
      // The URL is configuration, not a secret, but may carry credentials in its user info.
      log.warn("jwt-jwks-url: cannot fetch the token signing keys ({}); keeping the {} keys fetched"
          + " before", failure == null ? "unknown" : failure.getMessage(), result.size());
      shared.fail(unavailable());
    }
  }

  private static AuthException unavailable() {
    return new AuthException(ErrorCode.TOKEN_KEYS_UNAVAILABLE,
        "the token signing keys cannot be fetched now; retry later");
  }

  /**
   * Parses a JWK Set: a JSON object whose {@code keys} is an array of JWKs. Keys of another type,
   * curve or use, too small or malformed are skipped.
   *
   * @throws IllegalArgumentException not a JWK Set, more than {@link #MAX_KEYS} keys, or no usable
   *     key
   */
  static KeySet parse(String json) {
    Map<String, Object> document;
    try {
      document = JSONObjectUtils.parse(json, MAX_DOCUMENT_BYTES);
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a JSON object");
    }
    if (!(document.get("keys") instanceof List<?> entries)) {
      throw new IllegalArgumentException("no 'keys' array");
    }
    if (entries.size() > MAX_KEYS) {
      throw new IllegalArgumentException("more than " + MAX_KEYS + " keys");
    }
    List<Key> keys = new ArrayList<>();
    for (Object entry : entries) {
      Key key = usable(entry);
      if (key != null) {
        keys.add(key);
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no usable key (RSA >= 2048 bits or EC P-256, use sig)");
    }
    return new KeySet(keys);
  }

  /** The entry as a signature key, or null when it is not one this server can use. */
  @SuppressWarnings("unchecked")
  private static Key usable(Object entry) {
    if (!(entry instanceof Map<?, ?> map)) {
      return null;
    }
    JWK jwk;
    try {
      jwk = JWK.parse((Map<String, Object>) map);
    } catch (ParseException | RuntimeException e) {
      return null; // unknown kty, broken parameters: skipped
    }
    if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
      return null;
    }
    if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.VERIFY)) {
      return null;
    }
    JWSAlgorithm alg = jwk.getAlgorithm() == null ? null : JWSAlgorithm.parse(jwk.getAlgorithm().getName());
    try {
      if (jwk instanceof RSAKey rsa) {
        if (rsa.size() < MIN_RSA_BITS
            || alg != null && !JWSAlgorithm.RS256.equals(alg) && !JWSAlgorithm.PS256.equals(alg)) {
          return null;
        }
        return new Key(jwk.getKeyID(), alg, true, new RSASSAVerifier(rsa.toRSAPublicKey()));
      }
      if (jwk instanceof ECKey ec) {
        if (!Curve.P_256.equals(ec.getCurve()) || alg != null && !JWSAlgorithm.ES256.equals(alg)) {
          return null;
        }
        return new Key(jwk.getKeyID(), alg, false, new ECDSAVerifier(ec.toECPublicKey()));
      }
    } catch (JOSEException | RuntimeException e) {
      return null;
    }
    return null;
  }

  /** Stops the periodic refresh and the HTTP client. */
  @Override
  public void close() {
    closed = true;
    context.runOnContext(v -> {
      if (periodicTimer >= 0) {
        context.owner().cancelTimer(periodicTimer);
      }
      client.close();
    });
  }
}
