package io.ponte.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.server.redis.RedisTarget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Redis settings: absent means the embedded broker; validated and never shown with a password. */
@Timeout(10)
class RedisSettingsTest {

  @Test
  void redisIsNotUsedByDefault() {
    PonteConfig c = PonteConfig.load(List.of(), Map.of());
    assertTrue(c.redisUrl().isEmpty());
    assertEquals("ponte:", c.redisKeyPrefix());
    assertEquals(10_000, c.redisStreamMaxLength());
    assertEquals("(not set)", c.describe().get("redis-url"));
  }

  @Test
  void theEnvironmentAndFlagsSelectRedis() {
    PonteConfig c = PonteConfig.load(List.of("--redis-key-prefix=school:"),
        Map.of("PONTE_REDIS_URL", "redis://10.0.0.5:6380/2", "PONTE_REDIS_STREAM_MAX_LENGTH", "500"));
    assertEquals("redis://10.0.0.5:6380/2", c.redisUrl().orElseThrow());
    assertEquals("school:", c.redisKeyPrefix());
    assertEquals(500, c.redisStreamMaxLength());
    assertEquals("rediss://cache.example:6380",
        PonteConfig.load(List.of("--redis-url", "rediss://cache.example:6380"), Map.of())
            .redisUrl().orElseThrow());
    assertTrue(PonteConfig.load(List.of(), Map.of("PONTE_REDIS_URL", "")).redisUrl().isEmpty());
  }

  @Test
  void aUrlThatIsNotRedisIsRejectedNamingTheSetting() {
    for (String bad : List.of("http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", "redis:// bad")) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> PonteConfig.load(List.of(), Map.of("PONTE_REDIS_URL", bad)), bad);
      assertTrue(e.getMessage().startsWith("redis-url"), e.getMessage());
    }
    ConfigException e = assertThrows(ConfigException.class,
        () -> PonteConfig.load(List.of("--redis-stream-max-length=5"), Map.of()));
    assertTrue(e.getMessage().startsWith("redis-stream-max-length"), e.getMessage());
    e = assertThrows(ConfigException.class,
        () -> PonteConfig.load(List.of("--redis-key-prefix=has space"), Map.of()));
    assertTrue(e.getMessage().startsWith("redis-key-prefix"), e.getMessage());
  }

  @Test
  void aPasswordInTheUrlIsNeverShownNorEchoedInErrors() {
    PonteConfig c = PonteConfig.load(List.of("--redis-url=redis://ponte:s3cret-pass@10.0.0.5:6379"),
        Map.of());
    assertEquals("redis://ponte:s3cret-pass@10.0.0.5:6379", c.redisUrl().orElseThrow());
    assertEquals("redis://***@10.0.0.5:6379", c.describe().get("redis-url"));
    assertFalse(c.toString().contains("s3cret-pass"));
    ConfigException e = assertThrows(ConfigException.class, () -> PonteConfig.load(
        List.of("--redis-url=http://ponte:s3cret-pass@10.0.0.5:6379"), Map.of()));
    assertFalse(e.getMessage().contains("s3cret-pass"), e.getMessage());
  }

  @Test
  void helpListsTheRedisSettings() {
    String help = PonteConfig.helpText();
    assertTrue(help.contains("--redis-url") && help.contains("PONTE_REDIS_URL"));
    assertTrue(help.contains("--redis-key-prefix") && help.contains("--redis-stream-max-length"));
  }

  @Test
  void standaloneIsTheDefaultModeAndTakesOneUrl() {
    PonteConfig c = PonteConfig.load(List.of("--redis-url=redis://10.0.0.5:6379"), Map.of());
    assertEquals(RedisTarget.Mode.STANDALONE, c.redisMode());
    assertEquals(RedisTarget.standalone("redis://10.0.0.5:6379"), c.redisTarget().orElseThrow());
    assertEquals("standalone", c.describe().get("redis-mode"));
    assertTrue(PonteConfig.load(List.of(), Map.of()).redisTarget().isEmpty());
    ConfigException e = assertThrows(ConfigException.class, () -> PonteConfig.load(
        List.of("--redis-url=redis://a:6379,redis://b:6379"), Map.of()));
    assertEquals("redis-url", e.setting(), e.getMessage());
  }

  @Test
  void clusterModeTakesSeveralSeedUrlsEachValidated() {
    PonteConfig c = PonteConfig.load(List.of("--redis-mode", "CLUSTER"), Map.of(
        "PONTE_REDIS_URL", "redis://10.0.0.1:7000, redis://10.0.0.2:7000,redis://10.0.0.3:7000"));
    assertEquals(RedisTarget.Mode.CLUSTER, c.redisMode());
    assertEquals(List.of("redis://10.0.0.1:7000", "redis://10.0.0.2:7000", "redis://10.0.0.3:7000"),
        c.redisTarget().orElseThrow().urls());
    for (String bad : List.of("redis://10.0.0.1:7000,http://10.0.0.2:7000",
        "redis://10.0.0.1:7000,,redis://10.0.0.2:7000", "redis://10.0.0.1:7000,redis://")) {
      ConfigException e = assertThrows(ConfigException.class, () -> PonteConfig.load(
          List.of("--redis-mode=cluster", "--redis-url=" + bad), Map.of()), bad);
      assertEquals("redis-url", e.setting(), e.getMessage());
    }
    ConfigException db = assertThrows(ConfigException.class, () -> PonteConfig.load(
        List.of("--redis-mode=cluster", "--redis-url=redis://10.0.0.1:7000/3"), Map.of()));
    assertEquals("redis-url", db.setting(), db.getMessage());
    ConfigException none = assertThrows(ConfigException.class,
        () -> PonteConfig.load(List.of(), Map.of("PONTE_REDIS_MODE", "cluster")));
    assertEquals("redis-mode", none.setting(), none.getMessage());
    ConfigException unknown = assertThrows(ConfigException.class,
        () -> PonteConfig.load(List.of("--redis-mode=sharded"), Map.of()));
    assertEquals("redis-mode", unknown.setting(), unknown.getMessage());
  }

  @Test
  void sentinelModeNeedsTheMasterNameAndItIsOnlyUsedThere() {
    PonteConfig c = PonteConfig.load(List.of("--redis-mode=sentinel",
        "--redis-url=redis://10.0.0.1:26379,redis://10.0.0.2:26379"),
        Map.of("PONTE_REDIS_SENTINEL_MASTER", "ponte-main"));
    assertEquals(RedisTarget.sentinel(
        List.of("redis://10.0.0.1:26379", "redis://10.0.0.2:26379"), "ponte-main"),
        c.redisTarget().orElseThrow());
    ConfigException missing = assertThrows(ConfigException.class, () -> PonteConfig.load(
        List.of("--redis-mode=sentinel", "--redis-url=redis://10.0.0.1:26379"), Map.of()));
    assertEquals("redis-sentinel-master", missing.setting(), missing.getMessage());
    ConfigException unused = assertThrows(ConfigException.class, () -> PonteConfig.load(
        List.of("--redis-url=redis://10.0.0.1:6379", "--redis-sentinel-master=m"), Map.of()));
    assertEquals("redis-sentinel-master", unused.setting(), unused.getMessage());
    ConfigException badName = assertThrows(ConfigException.class, () -> PonteConfig.load(
        List.of("--redis-mode=sentinel", "--redis-url=redis://10.0.0.1:26379",
            "--redis-sentinel-master=has space"), Map.of()));
    assertEquals("redis-sentinel-master", badName.setting(), badName.getMessage());
  }

  @Test
  void passwordsInAListOfUrlsAreNeverShown() {
    PonteConfig c = PonteConfig.load(List.of("--redis-mode=cluster",
        "--redis-url=redis://:pw-one@10.0.0.1:7000,rediss://ponte:pw-two@10.0.0.2:7000"), Map.of());
    assertEquals("redis://***@10.0.0.1:7000,rediss://***@10.0.0.2:7000",
        c.describe().get("redis-url"));
    assertFalse(c.toString().contains("pw-one") || c.toString().contains("pw-two"));
    assertFalse(c.redisTarget().orElseThrow().toString().contains("pw-"));
    ConfigException e = assertThrows(ConfigException.class, () -> PonteConfig.load(List.of(
        "--redis-mode=cluster", "--redis-url=redis://:pw-one@10.0.0.1:7000,http://:pw-two@x:1"),
        Map.of()));
    assertFalse(e.getMessage().contains("pw-one") || e.getMessage().contains("pw-two"),
        e.getMessage());
    ConfigException db = assertThrows(ConfigException.class, () -> PonteConfig.load(List.of(
        "--redis-mode=cluster", "--redis-url=redis://:pw-one@10.0.0.1:7000/2"), Map.of()));
    assertFalse(db.getMessage().contains("pw-one"), db.getMessage());
  }

  @Test
  void helpListsTheModeSettings() {
    String help = PonteConfig.helpText();
    assertTrue(help.contains("--redis-mode") && help.contains("PONTE_REDIS_MODE"));
    assertTrue(help.contains("--redis-sentinel-master")
        && help.contains("PONTE_REDIS_SENTINEL_MASTER"));
  }
}
