package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.DisplayNames;
import io.ponte.server.redis.RedisFixture;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Minimisation, checked on the bytes: what a client's connection and token carry beyond what
 * Ponte uses (IP addresses, user agent, unused claims, the token itself, the family name under
 * {@code display-names=first}) is found neither in the data directory's files nor in Redis.
 */
@Timeout(120)
class DataMinimisationIT {
  private static final String CHAT = "minimisation probe: the chat text is stored";

  @TempDir
  Path dir;

  @Test
  void noAddressUserAgentUnusedClaimTokenOrFamilyNameIsStored() throws Exception {
    String prefix = RedisFixture.newPrefix();
    String token = token(Map.of(
        "email", "anna.vdberg@school.example",
        "phone_number", "+31612345678",
        "birthdate", "2012-04-01",
        "address", Map.of("street_address", "Kerkstraat 12")));
    Map<String, String> headers = Map.of(
        "User-Agent", "Mozilla/5.0 (X11; Linux) PonteProbe/7f3a",
        "X-Forwarded-For", "203.0.113.77, 198.51.100.23",
        "X-Real-IP", "192.0.2.44");
    List<String> never = List.of("PonteProbe/7f3a", "203.0.113.77", "198.51.100.23", "192.0.2.44",
        "127.0.0.1", "anna.vdberg", "+31612345678", "2012-04-01", "Kerkstraat", "van der Berg",
        "Berg", token.substring(token.lastIndexOf('.') + 1));

    try (TestServer s = new TestServer(dir, b -> b.redisUrl(RedisFixture.get().url())
        .redisKeyPrefix(prefix).displayNames(DisplayNames.FIRST))) {
      s.createRoom("r1");
      try (TestClient c = TestClient.connect(s.clientVertx(), s.port(), WireFormat.PROTO, headers)) {
        c.hello(token);
        Joined joined = c.join("r1");
        assertTrue(joined.getParticipantsList().stream().map(Participant::getDisplayName)
            .anyMatch("Anna"::equals), () -> "the room sees the first name: " + joined);
        c.post("r1", CHAT);
        Event posted = c.awaitEvent(e -> e.hasChatPosted(), "the post");
        assertEquals("Anna", posted.getActor().getDisplayName());
      }
      List<byte[]> redis = redisValues(RedisFixture.get().url(), prefix);
      assertTrue(contains(redis, CHAT), "the probe finds what is stored in Redis (the stream)");
      assertTrue(contains(redis, "Anna"), "and the first name");
      for (String text : never) {
        assertFalse(contains(redis, text), () -> "Redis holds '" + text + "'");
      }
    }
    // Stopped: the store is flushed and snapshotted; every byte of the data directory is checked.
    List<byte[]> files = files(dir);
    assertTrue(contains(files, CHAT), "the probe finds what is stored on disk");
    for (String text : never) {
      assertFalse(contains(files, text), () -> "a file under the data directory holds '" + text + "'");
    }
  }

  @Test
  void everyFileAFreshNodeCreatesIsTheOwnersAlone() throws Exception {
    Path data = dir.resolve("fresh");
    // No secret and no admin token configured: the node generates both files.
    try (TestServer s = new TestServer(data, b -> b.jwtSecret(null).adminToken(null))) {
      assertTrue(s.server().adminAuth().generatedToken());
      assertPrivate(data, true);
    }
    assertPrivate(data, false);
  }

  /** The directory is 0700, every file in it 0600 (the database, its WAL and shm, the secrets). */
  private static void assertPrivate(Path data, boolean running) throws Exception {
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
    List<Path> all;
    try (Stream<Path> walk = Files.walk(data)) {
      all = walk.filter(p -> !p.equals(data)).toList();
    }
    List<String> names = all.stream().map(p -> p.getFileName().toString()).toList();
    assertTrue(names.containsAll(List.of("ponte.db", "jwt-secret", "admin-token")), names::toString);
    if (running) {
      assertTrue(names.containsAll(List.of("ponte.db-wal", "ponte.db-shm")), names::toString);
    }
    for (Path p : all) {
      assertTrue(Files.isRegularFile(p), () -> "only files: " + p);
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)),
          p.getFileName().toString());
    }
  }

  /** A student token for r1 named "Anna van der Berg", with {@code extra} claims Ponte ignores. */
  private static String token(Map<String, Object> extra) throws Exception {
    long now = System.currentTimeMillis();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject("u-min-1")
        .claim("name", "Anna van der Berg").claim("rooms", Map.of("r1", "student"))
        .issueTime(new Date(now)).expirationTime(new Date(now + 600_000));
    extra.forEach(claims::claim);
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    jwt.sign(new MACSigner(TestServer.SECRET.getBytes(StandardCharsets.UTF_8)));
    return jwt.serialize();
  }

  private static List<byte[]> files(Path root) throws Exception {
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> paths = walk.filter(Files::isRegularFile).toList();
      assertTrue(paths.stream().anyMatch(p -> p.toString().endsWith(".db")), paths::toString);
      List<byte[]> out = new java.util.ArrayList<>();
      for (Path p : paths) {
        out.add(Files.readAllBytes(p));
      }
      return out;
    }
  }

  /** Every key name and value under the prefix, read by type (no DUMP: it may compress). */
  private static List<byte[]> redisValues(String url, String prefix) throws Exception {
    Vertx v = Vertx.vertx();
    try {
      Redis client = Redis.createClient(v, url);
      List<byte[]> out = new java.util.ArrayList<>();
      String cursor = "0";
      List<String> keys = new java.util.ArrayList<>();
      do {
        Response page = send(client, Request.cmd(Command.SCAN).arg(cursor)
            .arg("MATCH").arg(prefix + "*").arg("COUNT").arg(1000));
        cursor = page.get(0).toString();
        page.get(1).forEach(k -> keys.add(k.toString()));
      } while (!cursor.equals("0"));
      assertFalse(keys.isEmpty(), "the room has keys while it runs");
      for (String key : keys) {
        out.add(key.getBytes(StandardCharsets.UTF_8));
        String type = send(client, Request.cmd(Command.TYPE).arg(key)).toString();
        Request read = switch (type) {
          case "string" -> Request.cmd(Command.GET).arg(key);
          case "hash" -> Request.cmd(Command.HGETALL).arg(key);
          case "zset" -> Request.cmd(Command.ZRANGE).arg(key).arg(0).arg(-1);
          case "stream" -> Request.cmd(Command.XRANGE).arg(key).arg("-").arg("+");
          case "none" -> null; // expired meanwhile
          default -> throw new AssertionError("a key of an unexpected type " + type + ": " + key);
        };
        if (read != null) {
          ByteArrayOutputStream bytes = new ByteArrayOutputStream();
          flatten(send(client, read), bytes);
          out.add(bytes.toByteArray());
        }
      }
      return out;
    } finally {
      v.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static void flatten(Response r, ByteArrayOutputStream out) {
    if (r == null) {
      return;
    }
    if (r.type() != io.vertx.redis.client.ResponseType.MULTI) {
      byte[] b = r.toBytes();
      if (b != null) {
        out.writeBytes(b);
        out.write(0);
      }
    } else if (r.isMap()) {
      for (String k : r.getKeys()) {
        out.writeBytes(k.getBytes(StandardCharsets.UTF_8));
        out.write(0);
        flatten(r.get(k), out);
      }
    } else {
      for (Response item : r) {
        flatten(item, out);
      }
    }
  }

  private static Response send(Redis client, Request request) throws Exception {
    return client.send(request).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static boolean contains(List<byte[]> blobs, String text) {
    byte[] needle = text.getBytes(StandardCharsets.UTF_8);
    for (byte[] hay : blobs) {
      outer:
      for (int i = 0; i + needle.length <= hay.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (hay[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
    }
    return false;
  }
}
