package io.ponte.server.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.server.auth.DisplayNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PonteConfigTest {

  /** Every setting of the spec, in table order. */
  private static final List<String> ALL_SETTINGS =
      List.of(
          "http-host", "http-port", "data-dir", "web-dir", "jwt-secret", "jwt-public-keys", "jwt-issuer",
          "jwt-audience", "jwt-jwks-url", "jwt-jwks-refresh-interval-ms",
          "jwt-jwks-refresh-min-interval-ms", "jwt-jwks-timeout-ms", "token-max-lifetime-hours", "admin-token", "allowed-origins", "auth-timeout-ms", "ping-interval-ms",
          "idle-timeout-ms", "max-frame-bytes", "max-rooms-per-connection", "max-participants",
          "default-max-participants", "default-retention-days", "max-retention-days", "display-names", "erasure-board-elements", "erasure-secret", "rate-messages-per-second",
          "rate-messages-burst", "rate-bytes-per-second", "rate-bytes-burst", "typing-per-second",
          "outbound-queue-messages", "outbound-queue-bytes", "snapshot-interval", "snapshots-kept",
          "resume-window", "history-page-max", "doc-max-update-bytes", "doc-max-bytes",
          "doc-max-per-room", "chat-max-reactions-per-message", "awareness-max-state-bytes",
          "awareness-per-second", "board-max-per-room", "board-max-pages",
          "board-max-elements-per-page", "board-max-path-points", "board-max-text-chars",
          "board-max-bytes", "board-history-max-changes", "board-history-max-bytes",
          "board-ops-per-second", "board-ink-per-second",
          "hand-ops-per-second", "hand-leave-grace-ms", "poll-max-per-room", "poll-max-options",
          "poll-max-question-chars", "poll-max-option-chars", "poll-ops-per-second",
          "lobby-max-waiting", "lobby-ops-per-second", "lobby-leave-grace-ms", "lobby-deny-block-ms",
          "report-max-per-room", "report-per-user-per-minute", "report-max-text-chars",
          "report-max-document-bytes",
          "breakout-max-per-room", "breakout-ops-per-second",
          "sync-requests-per-second", "presence-updates-per-second",
          "max-connections-per-user", "hocuspocus-preauth-bytes", "ws-compression",
          "ws-compression-threshold-bytes", "ws-compression-level",
          "room-idle-unload-ms", "gap-skip-after-ms", "event-loops", "store-url", "store-sync",
          "store-max-batch",
          "redis-url", "redis-mode", "redis-sentinel-master", "redis-key-prefix",
          "redis-stream-max-length", "presence-lease-ms",
          "shutdown-grace-ms", "drain-timeout-ms", "drain-close-spread-ms", "node-id", "log-level");

  private static final String SECRET = "s3cr3t-jwt-value-that-is-long-enough-xyz";
  private static final String TOKEN = "admin-token-value-0123456789";

  @TempDir Path dir;

  private static PonteConfig load(String... args) {
    return PonteConfig.load(List.of(args), Map.of());
  }

  private Path file(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  private static ConfigException fails(Runnable r) {
    return assertThrows(ConfigException.class, r::run);
  }

  // --- defaults --------------------------------------------------------------------------------

  @Test
  void defaultsMatchTheDocumentedValues() {
    PonteConfig c = PonteConfig.defaults();
    assertEquals("0.0.0.0", c.httpHost());
    assertEquals(8080, c.httpPort());
    assertEquals(Path.of("./data"), c.dataDir());
    assertEquals(Optional.empty(), c.jwtSecret());
    assertEquals(List.of(), c.jwtPublicKeys());
    assertEquals(Optional.empty(), c.jwtIssuer());
    assertEquals(Optional.empty(), c.jwtAudience());
    assertEquals(Optional.empty(), c.adminToken());
    assertEquals(List.of("*"), c.allowedOrigins());
    assertEquals(10000, c.authTimeoutMs());
    assertEquals(25000, c.pingIntervalMs());
    assertEquals(60000, c.idleTimeoutMs());
    assertEquals(65536, c.maxFrameBytes());
    assertEquals(10, c.maxRoomsPerConnection());
    assertEquals(500, c.maxParticipants());
    assertEquals(100, c.defaultMaxParticipants());
    assertEquals(365, c.defaultRetentionDays());
    assertEquals(60, c.rateMessagesPerSecond());
    assertEquals(120, c.rateMessagesBurst());
    assertEquals(65536, c.rateBytesPerSecond());
    assertEquals(262144, c.rateBytesBurst());
    assertEquals(2, c.typingPerSecond());
    assertEquals(4096, c.outboundQueueMessages());
    assertEquals(8388608, c.outboundQueueBytes());
    assertEquals(200, c.snapshotInterval());
    assertEquals(20, c.breakoutMaxPerRoom());
    assertEquals(5, c.breakoutOpsPerSecond());
    assertEquals(3, c.snapshotsKept());
    assertEquals(2000, c.resumeWindow());
    assertEquals(100, c.historyPageMax());
    assertEquals(60000, c.roomIdleUnloadMs());
    assertEquals(0, c.eventLoops());
    assertEquals(2 * Runtime.getRuntime().availableProcessors(), c.effectiveEventLoops());
    assertEquals(Optional.empty(), c.storeUrl());
    assertEquals(StoreSync.FULL, c.storeSync());
    assertEquals(512, c.storeMaxBatch());
    assertEquals(5000, c.shutdownGraceMs());
    assertEquals(100, c.lobbyMaxWaiting());
    assertEquals(5, c.lobbyOpsPerSecond());
    assertEquals(5000, c.lobbyLeaveGraceMs());
    assertEquals(600000, c.lobbyDenyBlockMs());
    assertTrue(c.nodeId().matches("[A-Za-z0-9._-]{1,64}"), c.nodeId());
    assertEquals(LogLevel.INFO, c.logLevel());
    assertTrue(c.usesGeneratedJwtSecret());
    assertEquals(Path.of("./data/jwt-secret"), c.jwtSecretFile());
    assertEquals(Path.of("./data/admin-token"), c.adminTokenFile());
  }

  @Test
  void loadWithNothingGivesDefaults() {
    Map<String, String> loaded = new HashMap<>(load().describe());
    Map<String, String> defaults = new HashMap<>(PonteConfig.defaults().describe());
    loaded.remove("node-id");
    defaults.remove("node-id");
    assertEquals(defaults, loaded);
  }

  @Test
  void settingNamesAreExactlyTheSpecifiedOnes() {
    assertEquals(ALL_SETTINGS, PonteConfig.settingNames());
  }

  // --- sources and precedence --------------------------------------------------------------------

  @Test
  void cliBeatsEnvBeatsFileBeatsDefault() throws IOException {
    Path props =
        file(
            "ponte.properties",
            "http-port=9001\nhttp-host=10.0.0.1\nhistory-page-max=50\nsnapshots-kept=7\n");
    Map<String, String> env =
        Map.of(
            "PONTE_CONFIG", props.toString(),
            "PONTE_HTTP_PORT", "9002",
            "PONTE_HTTP_HOST", "10.0.0.2");
    PonteConfig c =
        PonteConfig.load(List.of("--http-port=9003"), env);
    assertEquals(9003, c.httpPort()); // CLI over env and file
    assertEquals("10.0.0.2", c.httpHost()); // env over file
    assertEquals(50, c.historyPageMax()); // file over default
    assertEquals(7, c.snapshotsKept());
    assertEquals(2000, c.resumeWindow()); // default
  }

  @Test
  void configFlagBeatsConfigEnv() throws IOException {
    Path a = file("a.properties", "http-port=1111\n");
    Path b = file("b.properties", "http-port=2222\n");
    PonteConfig c =
        PonteConfig.load(List.of("--config", b.toString()), Map.of("PONTE_CONFIG", a.toString()));
    assertEquals(2222, c.httpPort());
  }

  @Test
  void flagsAcceptNameEqualsValueAndNameSpaceValue() {
    PonteConfig c =
        load("--http-port", "9000", "--http-host=127.0.0.1", "--log-level", "DEBUG", "--jwt-issuer=");
    assertEquals(9000, c.httpPort());
    assertEquals("127.0.0.1", c.httpHost());
    assertEquals(LogLevel.DEBUG, c.logLevel());
    assertEquals(Optional.empty(), c.jwtIssuer());
  }

  @Test
  void laterFlagWins() {
    assertEquals(2, load("--http-port=1", "--http-port=2").httpPort());
  }

  @Test
  void helpFlagIsIgnoredByLoadAndDetected() {
    assertTrue(PonteConfig.helpRequested(List.of("--http-port=1", "--help")));
    assertFalse(PonteConfig.helpRequested(List.of("--http-port=1")));
    assertEquals(1, load("--help", "--http-port=1").httpPort());
  }

  @Test
  void flagWithoutValueFails() {
    ConfigException e = fails(() -> load("--http-port"));
    assertEquals("http-port", e.setting());
    assertTrue(e.getMessage().startsWith("http-port: "), e.getMessage());
    e = fails(() -> load("--http-port", "--http-host=x"));
    assertEquals("http-port", e.setting());
  }

  @Test
  void positionalArgumentFails() {
    ConfigException e = fails(() -> load("serve"));
    assertEquals("serve", e.setting());
  }

  @Test
  void unknownFlagFailsNamingIt() {
    ConfigException e = fails(() -> load("--http-prot=80"));
    assertEquals("http-prot", e.setting());
    assertTrue(e.getMessage().startsWith("http-prot: "), e.getMessage());
    e = fails(() -> load("--frobnicate", "1"));
    assertEquals("frobnicate", e.setting());
  }

  @Test
  void unknownFileKeyFailsNamingIt() throws IOException {
    Path props = file("p.properties", "http-port=9000\nhttp_port=9001\n");
    ConfigException e =
        fails(() -> PonteConfig.load(List.of("--config=" + props), Map.of()));
    assertEquals("http_port", e.setting());
    assertTrue(e.getMessage().startsWith("http_port: "), e.getMessage());
  }

  @Test
  void missingConfigFileFails() {
    Path missing = dir.resolve("nope.properties");
    ConfigException e =
        fails(() -> PonteConfig.load(List.of(), Map.of("PONTE_CONFIG", missing.toString())));
    assertEquals("config", e.setting());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void unknownPonteEnvVariablesAreIgnored() {
    PonteConfig c =
        PonteConfig.load(
            List.of(),
            Map.of("PONTE_SOMETHING_ELSE", "zzz", "PONTE_HTTP_PROT", "abc", "HTTP_PORT", "1"));
    assertEquals(8080, c.httpPort());
  }

  @Test
  void invalidPonteEnvVariableForASettingFails() {
    ConfigException e =
        fails(() -> PonteConfig.load(List.of(), Map.of("PONTE_MAX_FRAME_BYTES", "12")));
    assertEquals("max-frame-bytes", e.setting());
    assertTrue(e.getMessage().contains("PONTE_MAX_FRAME_BYTES"), e.getMessage());
  }

  @Test
  void invalidValueFailsEvenWhenOverriddenByHigherPrecedence() {
    ConfigException e =
        fails(
            () ->
                PonteConfig.load(
                    List.of("--http-port=9000"), Map.of("PONTE_HTTP_PORT", "not-a-port")));
    assertEquals("http-port", e.setting());
  }

  // --- bad values ----------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "http-port|abc",
        "http-port|65536",
        "http-port|-1",
        "http-port|8080.5",
        "http-host|''",
        "http-host|'   '",
        "data-dir|''",
        "jwt-secret|too-short",
        "admin-token|short",
        "allowed-origins|school.example",
        "allowed-origins|https://school.example/path",
        "allowed-origins|'*,https://school.example'",
        "allowed-origins|ftp://school.example",
        "allowed-origins|''",
        "auth-timeout-ms|99",
        "auth-timeout-ms|600001",
        "ping-interval-ms|999",
        "max-frame-bytes|1023",
        "max-frame-bytes|16777217",
        "max-rooms-per-connection|0",
        "max-participants|100001",
        "default-max-participants|0",
        "default-retention-days|3651",
        "rate-messages-per-second|0",
        "rate-bytes-per-second|1023",
        "rate-bytes-per-second|1073741825",
        "typing-per-second|101",
        "outbound-queue-messages|15",
        "outbound-queue-bytes|65535",
        "snapshot-interval|9",
        "snapshots-kept|101",
        "resume-window|9",
        "history-page-max|1001",
        "lobby-max-waiting|0",
        "lobby-max-waiting|10001",
        "lobby-ops-per-second|0",
        "lobby-leave-grace-ms|-1",
        "lobby-leave-grace-ms|600001",
        "lobby-deny-block-ms|86400001",
        "lobby-deny-block-ms|soon",
        "room-idle-unload-ms|999",
        "event-loops|1025",
        "event-loops|two",
        "store-url|postgres://db/ponte",
        "store-url|jdbc:mysql://db/ponte",
        "store-url|jdbc:postgresql://",
        "store-url|jdbc:sqlite:",
        "store-url|jdbc:sqlite::memory:",
        "store-sync|OFF",
        "report-max-per-room|0",
        "report-per-user-per-minute|1001",
        "report-max-text-chars|-1",
        "report-max-document-bytes|abc",
        "store-max-batch|0",
        "breakout-max-per-room|0",
        "breakout-max-per-room|101",
        "breakout-ops-per-second|0",
        "shutdown-grace-ms|-5",
        "drain-timeout-ms|999",
        "drain-close-spread-ms|-1",
        "node-id|has space",
        "node-id|0123456789012345678901234567890123456789012345678901234567890123456789",
        "log-level|verbose",
        "jwt-public-keys|/definitely/not/here.pem",
      })
  void badValueFailsWithSettingNameFirstFromEverySource(String name, String value)
      throws IOException {
    String env = "PONTE_" + name.toUpperCase().replace('-', '_');
    List<Function<String, PonteConfig>> sources =
        List.of(
            v -> load("--" + name + "=" + v),
            v -> PonteConfig.load(List.of(), Map.of(env, v)),
            v -> {
              try {
                Path p = file("bad.properties", name + "=" + v.replace("\\", "\\\\") + "\n");
                return PonteConfig.load(List.of("--config", p.toString()), Map.of());
              } catch (IOException ex) {
                throw new RuntimeException(ex);
              }
            },
            v -> PonteConfig.defaults().toBuilder().set(name, v).build());
    for (Function<String, PonteConfig> source : sources) {
      ConfigException e = fails(() -> source.apply(value));
      assertEquals(name, e.setting());
      assertTrue(e.getMessage().startsWith(name + ": "), e.getMessage());
    }
  }

  @Test
  void badIntegerMessageIsExplicit() {
    ConfigException e = fails(() -> load("--http-port=abc"));
    assertTrue(
        e.getMessage().startsWith("http-port: must be an integer between 0 and 65535, got 'abc'"),
        e.getMessage());
  }

  @Test
  void builderValidatesTypedValues() {
    PonteConfig base = PonteConfig.defaults();
    assertEquals("http-port", fails(() -> base.toBuilder().httpPort(70000).build()).setting());
    assertEquals("http-host", fails(() -> base.toBuilder().httpHost(null).build()).setting());
    assertEquals("data-dir", fails(() -> base.toBuilder().dataDir(null).build()).setting());
    assertEquals("store-sync", fails(() -> base.toBuilder().storeSync(null).build()).setting());
    assertEquals(
        "jwt-secret", fails(() -> base.toBuilder().jwtSecret("short").build()).setting());
    assertEquals(
        "allowed-origins",
        fails(() -> base.toBuilder().allowedOrigins(List.of("nope")).build()).setting());
    assertEquals("unknown-thing", fails(() -> base.toBuilder().set("unknown-thing", "1")).setting());
  }

  @Test
  void builderOverridesValues() {
    PonteConfig c =
        PonteConfig.defaults().toBuilder().httpPort(0).dataDir(dir).nodeId("node-1").build();
    assertEquals(0, c.httpPort());
    assertEquals(dir, c.dataDir());
    assertEquals("node-1", c.nodeId());
    assertEquals(c.nodeId(), c.toBuilder().build().nodeId());
    PonteConfig d = PonteConfig.builder().storeSync(StoreSync.NORMAL).eventLoops(3).build();
    assertEquals(StoreSync.NORMAL, d.storeSync());
    assertEquals(3, d.effectiveEventLoops());
  }

  @Test
  void emptyStringMeansNotSetForOptionalSettings() {
    PonteConfig c =
        PonteConfig.load(
            List.of("--jwt-secret="),
            Map.of("PONTE_ADMIN_TOKEN", "", "PONTE_JWT_AUDIENCE", "", "PONTE_NODE_ID", ""));
    assertEquals(Optional.empty(), c.jwtSecret());
    assertEquals(Optional.empty(), c.adminToken());
    assertEquals(Optional.empty(), c.jwtAudience());
    assertFalse(c.nodeId().isEmpty());
    assertEquals(List.of(), load("--jwt-public-keys=").jwtPublicKeys());
    assertEquals(Optional.empty(), load("--web-dir=").webDir());
    assertEquals(Optional.of(java.nio.file.Path.of("/srv/app")), load("--web-dir=/srv/app").webDir());
  }

  @Test
  void valuesAreTrimmedAndEnumsAreCaseInsensitive() {
    PonteConfig c = load("--store-sync= normal ", "--log-level=Trace", "--http-port= 81");
    assertEquals(StoreSync.NORMAL, c.storeSync());
    assertEquals(LogLevel.TRACE, c.logLevel());
    assertEquals(81, c.httpPort());
    assertEquals("trace", c.describe().get("log-level"));
  }

  @Test
  void nodeIdIsGeneratedWhenNotSetAndKeptWhenSet() {
    assertNotEquals(load().nodeId(), load().nodeId());
    assertEquals("eu-1.node_A", load("--node-id=eu-1.node_A").nodeId());
  }

  @Test
  void jwtSecretLengthIsMeasuredInBytes() {
    // 16 two-byte characters = 32 bytes
    String s = "é".repeat(16);
    assertEquals(Optional.of(s), load("--jwt-secret=" + s).jwtSecret());
    assertFalse(load("--jwt-secret=" + s).usesGeneratedJwtSecret());
    fails(() -> load("--jwt-secret=" + "a".repeat(31)));
  }

  // --- origins ---------------------------------------------------------------------------------------

  @Test
  void allowedOriginsAreNormalizedAndMatched() {
    PonteConfig c =
        load("--allowed-origins=https://School.Example, http://localhost:3000,https://a.example:443");
    assertEquals(
        List.of("https://school.example", "http://localhost:3000", "https://a.example"),
        c.allowedOrigins());
    assertTrue(c.isOriginAllowed("https://school.example"));
    assertTrue(c.isOriginAllowed("http://localhost:3000"));
    assertTrue(c.isOriginAllowed(null)); // non-browser clients
    assertTrue(c.isOriginAllowed(""));
    assertFalse(c.isOriginAllowed("https://evil.example"));
    assertFalse(c.isOriginAllowed("http://school.example"));
    assertFalse(c.isOriginAllowed("null"));
    assertTrue(PonteConfig.defaults().isOriginAllowed("https://anything.example"));
  }

  // --- cross-field rules -------------------------------------------------------------------------

  @Test
  void idleTimeoutMustExceedPingInterval() {
    ConfigException e = fails(() -> load("--ping-interval-ms=30000", "--idle-timeout-ms=30000"));
    assertEquals("idle-timeout-ms", e.setting());
    assertTrue(e.getMessage().startsWith("idle-timeout-ms: "), e.getMessage());
    e = fails(() -> PonteConfig.defaults().toBuilder().idleTimeoutMs(1000).build());
    assertEquals("idle-timeout-ms", e.setting());
    assertEquals(30001, load("--ping-interval-ms=30000", "--idle-timeout-ms=30001").idleTimeoutMs());
  }

  @Test
  void rateBytesBurstMustCoverMaxFrameBytes() {
    ConfigException e = fails(() -> load("--max-frame-bytes=1048576"));
    assertEquals("rate-bytes-burst", e.setting());
    assertTrue(e.getMessage().startsWith("rate-bytes-burst: "), e.getMessage());
    assertEquals(
        1048576, load("--max-frame-bytes=1048576", "--rate-bytes-burst=1048576").rateBytesBurst());
  }

  @Test
  void rateBytesBurstMustCoverRateBytesPerSecond() {
    ConfigException e = fails(() -> load("--rate-bytes-per-second=300000"));
    assertEquals("rate-bytes-burst", e.setting());
  }

  @Test
  void rateMessagesBurstMustCoverRateMessagesPerSecond() {
    ConfigException e = fails(() -> load("--rate-messages-per-second=121"));
    assertEquals("rate-messages-burst", e.setting());
  }

  @Test
  void defaultRetentionMustNotExceedTheMaximumRetention() {
    ConfigException e = fails(() -> load("--max-retention-days=30"));
    assertEquals("default-retention-days", e.setting());
    assertEquals(30, load("--max-retention-days=30", "--default-retention-days=30").maxRetentionDays());
    assertEquals(3650, PonteConfig.defaults().maxRetentionDays());
  }

  @Test
  void displayNamesAreFullOrFirst() {
    assertEquals(DisplayNames.FULL, PonteConfig.defaults().displayNames());
    assertEquals(DisplayNames.FIRST, load("--display-names=first").displayNames());
    assertEquals(DisplayNames.FIRST, load("--display-names", "FIRST").displayNames());
    assertEquals("display-names", fails(() -> load("--display-names=initials")).setting());
    assertEquals("erasure-board-elements", fails(() -> load("--erasure-board-elements=hide")).setting());
    assertEquals(io.ponte.server.erasure.BoardElementsOnErasure.ANONYMISE,
        load("--erasure-board-elements=anonymise").erasureBoardElements());
    assertEquals("erasure-secret", fails(() -> load("--erasure-secret=short")).setting());
  }

  @Test
  void defaultMaxParticipantsMustNotExceedMaxParticipants() {
    ConfigException e = fails(() -> load("--max-participants=50"));
    assertEquals("default-max-participants", e.setting());
    assertEquals(50, load("--max-participants=50", "--default-max-participants=50").maxParticipants());
  }

  // --- store url ------------------------------------------------------------------------------------

  @Test
  void storeUrlSelectsPostgresqlOrSqliteAndNeverShowsItsPassword() {
    String pg = "jdbc:postgresql://db.example:5432/ponte?user=ponte&password=pg-pass-123";
    PonteConfig c = PonteConfig.load(List.of(), Map.of("PONTE_STORE_URL", pg));
    assertEquals(Optional.of(pg), c.storeUrl());
    String shown = c.describe().get("store-url");
    assertFalse(shown.contains("pg-pass-123"), shown);
    assertTrue(shown.startsWith("jdbc:postgresql://db.example:5432/ponte?user=ponte"), shown);
    assertFalse(c.toString().contains("pg-pass-123"));

    Path file = dir.resolve("rooms.db");
    assertEquals(
        Optional.of("jdbc:sqlite:" + file), load("--store-url", "jdbc:sqlite:" + file).storeUrl());
    assertEquals(Optional.empty(), load("--store-url=").storeUrl());
    assertEquals(
        Optional.of("jdbc:sqlite:/x.db"),
        PonteConfig.defaults().toBuilder().storeUrl("jdbc:sqlite:/x.db").build().storeUrl());

    ConfigException e = fails(() -> load("--store-url=mysql://u:hidden-pw@db/x"));
    assertEquals("store-url", e.setting());
    assertFalse(e.getMessage().contains("hidden-pw"), e.getMessage());
    assertTrue(e.getMessage().contains("jdbc:postgresql"), e.getMessage());
  }

  // --- jwt public keys -----------------------------------------------------------------------------

  @Test
  void jwtPublicKeysMustExist() throws IOException {
    Path a = file("a.pem", "-----BEGIN PUBLIC KEY-----\n");
    Path missing = dir.resolve("missing.pem");
    ConfigException e = fails(() -> load("--jwt-public-keys=" + a + "," + missing));
    assertEquals("jwt-public-keys", e.setting());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

    Path b = file("b.pem", "-----BEGIN PUBLIC KEY-----\n");
    PonteConfig c = load("--jwt-public-keys", a + ", " + b);
    assertEquals(List.of(a, b), c.jwtPublicKeys());
    assertFalse(c.usesGeneratedJwtSecret());
    assertEquals(a + "," + b, c.describe().get("jwt-public-keys"));
  }

  @Test
  void jwtPublicKeysMustNotBeADirectory() {
    assertEquals("jwt-public-keys", fails(() -> load("--jwt-public-keys=" + dir)).setting());
  }

  // --- describe / help -------------------------------------------------------------------------------

  @Test
  void describeNeverContainsSecretValues() {
    PonteConfig c = load("--jwt-secret=" + SECRET, "--admin-token", TOKEN, "--jwt-issuer=iss-x");
    Map<String, String> d = c.describe();
    assertEquals(ALL_SETTINGS, List.copyOf(d.keySet()));
    assertEquals("(set)", d.get("jwt-secret"));
    assertFalse(load("--erasure-secret=" + SECRET).describe().get("erasure-secret").contains(SECRET));
    assertEquals("(set)", d.get("admin-token"));
    assertEquals("iss-x", d.get("jwt-issuer"));
    assertEquals(c.nodeId(), d.get("node-id"));
    for (String v : d.values()) {
      assertFalse(v.contains(SECRET) || v.contains(TOKEN), v);
    }
    assertFalse(c.toString().contains(SECRET) || c.toString().contains(TOKEN));

    Map<String, String> unset = PonteConfig.defaults().describe();
    assertEquals("(not set)", unset.get("jwt-secret"));
    assertEquals("(not set)", unset.get("admin-token"));
    assertEquals("8080", unset.get("http-port"));
  }

  @Test
  void secretValuesNeverAppearInErrors() {
    String shortSecret = "my-secret-shorty";
    ConfigException e = fails(() -> load("--jwt-secret=" + shortSecret));
    assertFalse(e.getMessage().contains(shortSecret), e.getMessage());
    String shortToken = "tok-abc";
    e = fails(() -> PonteConfig.load(List.of(), Map.of("PONTE_ADMIN_TOKEN", shortToken)));
    assertFalse(e.getMessage().contains(shortToken), e.getMessage());
  }

  @Test
  void helpTextListsEverySettingWithEnvVarAndDefault() {
    String help = PonteConfig.helpText();
    for (String name : ALL_SETTINGS) {
      String env = "PONTE_" + name.toUpperCase().replace('-', '_');
      String line =
          help.lines()
              .filter(l -> l.startsWith("--" + name + " "))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no help line for " + name + ":\n" + help));
      assertTrue(line.contains(env), line);
    }
    assertTrue(help.contains("PONTE_CONFIG"));
    String port = help.lines().filter(l -> l.startsWith("--http-port ")).findFirst().orElseThrow();
    assertTrue(port.contains("8080"), port);
    String secret = help.lines().filter(l -> l.startsWith("--jwt-secret ")).findFirst().orElseThrow();
    assertTrue(secret.contains("(not set)"), secret);
    String keys =
        help.lines().filter(l -> l.startsWith("--jwt-public-keys ")).findFirst().orElseThrow();
    assertTrue(keys.contains("(not set)"), keys);
    String node = help.lines().filter(l -> l.startsWith("--node-id ")).findFirst().orElseThrow();
    assertTrue(node.contains("(random)"), node);
  }
}
