package io.ponte.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The JWKS settings: https, or http to a loopback host only; intervals that make sense. */
@Timeout(10)
class JwksSettingsTest {

  private static PonteConfig load(String... args) {
    return PonteConfig.load(List.of(args), Map.of());
  }

  @Test
  void notSetByDefault() {
    PonteConfig c = load();
    assertTrue(c.jwtJwksUrl().isEmpty());
    assertEquals(900_000, c.jwtJwksRefreshIntervalMs());
    assertEquals(30_000, c.jwtJwksRefreshMinIntervalMs());
    assertEquals(5_000, c.jwtJwksTimeoutMs());
    assertTrue(c.usesGeneratedJwtSecret());
  }

  @Test
  void httpsAnywhereAndHttpOnlyToLoopback() {
    for (String ok : List.of("https://idp.example.org/.well-known/jwks.json",
        "https://login.example.edu:8443/keys", "http://127.0.0.1:8081/jwks", "http://localhost/jwks",
        "http://[::1]:9000/jwks", "HTTPS://IDP.EXAMPLE.ORG/k")) {
      PonteConfig c = PonteConfig.load(List.of(), Map.of("PONTE_JWT_JWKS_URL", ok));
      assertEquals(ok, c.jwtJwksUrl().orElseThrow());
      assertFalse(c.usesGeneratedJwtSecret(), "published keys: no generated secret");
    }
    for (String bad : List.of("http://idp.example.org/jwks", "http://10.0.0.1/jwks",
        "http://127.0.0.1.example.org/jwks", "ftp://idp.example.org/jwks", "idp.example.org/jwks",
        "https:///jwks", "https://exa mple.org/")) {
      ConfigException e = assertThrows(ConfigException.class, () -> load("--jwt-jwks-url", bad), bad);
      assertTrue(e.getMessage().startsWith("jwt-jwks-url"), e.getMessage());
      assertTrue(e.getMessage().contains("https"), e.getMessage());
    }
  }

  @Test
  void credentialsInTheUrlAreNeverShown() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> load("--jwt-jwks-url", "http://user:hunter2@idp.example.org/jwks"));
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    PonteConfig c = load("--jwt-jwks-url", "https://user:hunter2@idp.example.org/jwks");
    assertFalse(c.describe().get("jwt-jwks-url").contains("hunter2"));
  }

  @Test
  void theMinimumIntervalIsAtMostTheRefreshInterval() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> load("--jwt-jwks-refresh-interval-ms=10000", "--jwt-jwks-refresh-min-interval-ms=20000"));
    assertTrue(e.getMessage().startsWith("jwt-jwks-refresh-min-interval-ms"), e.getMessage());
    assertEquals(10_000, load("--jwt-jwks-refresh-interval-ms=10000",
        "--jwt-jwks-refresh-min-interval-ms=10000").jwtJwksRefreshMinIntervalMs());
    assertThrows(ConfigException.class, () -> load("--jwt-jwks-timeout-ms=50"));
  }
}
