package io.ponte.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
