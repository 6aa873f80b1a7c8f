package io.ponte.server.config;

import io.ponte.server.auth.DisplayNames;
import io.ponte.server.redis.RedisTarget;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * The server's configuration, immutable and validated once at start-up.
 *
 * <p>Sources, highest precedence first: command-line flags ({@code --name=value} or
 * {@code --name value}; boolean settings also as a bare {@code --name}), environment variables
 * ({@code PONTE_} + name upper-cased with '-' replaced by '_'), an optional properties file (path
 * from {@code --config} / {@code PONTE_CONFIG}; keys are setting names), then defaults. Every
 * supplied value is validated, even one overridden by a higher-precedence source. An unknown flag,
 * an unknown file key, or a value that does not parse or is out of range raises {@link
 * ConfigException} whose message starts with the setting name. Environment variables starting with
 * {@code PONTE_} that match no setting are ignored. An empty value for an optional setting means
 * "not set".
 *
 * <p>All settings are defined once, in {@link #TABLE}; help, environment, file and CLI share it.
 */
public final class PonteConfig {

  // ---------------------------------------------------------------------------------------------
  // The settings table. Order here is the order of help, describe() and validation.

  private static final List<Setting<?>> TABLE = new ArrayList<>();

  private static <T> Setting<T> def(
      String name, ValueType<T> type, T defaultValue, String description) {
    boolean unset =
        defaultValue == null
            || (defaultValue instanceof java.util.Collection<?> c && c.isEmpty());
    String defaultText = unset ? "(not set)" : type.format(defaultValue);
    return add(new Setting<>(TABLE.size(), name, type, defaultValue, defaultText, description, false));
  }

  private static <T> Setting<T> add(Setting<T> setting) {
    TABLE.add(setting);
    return setting;
  }

  private static final int MAX = Integer.MAX_VALUE;

  private static final Setting<String> HTTP_HOST =
      def("http-host", ValueType.nonEmptyString(), "0.0.0.0", "address to listen on");
  private static final Setting<Integer> HTTP_PORT =
      def("http-port", ValueType.intRange(0, 65535), 8080, "HTTP/WebSocket port; 0 = ephemeral");
  private static final Setting<Path> DATA_DIR =
      def(
          "data-dir",
          ValueType.path(),
          Path.of("./data"),
          "directory for the SQLite store and generated secrets");
  private static final Setting<Path> WEB_DIR =
      def(
          "web-dir",
          ValueType.optionalPath(),
          null,
          "directory with a web app to serve at / instead of the classroom app built into the jar");
  private static final Setting<String> JWT_SECRET =
      add(
          new Setting<>(
              TABLE.size(),
              "jwt-secret",
              ValueType.secretMinBytes(32),
              null,
              "(not set)",
              "HS256 secret; when neither this nor jwt-public-keys is set, a secret is"
                  + " generated in data-dir/jwt-secret",
              true));
  private static final Setting<List<Path>> JWT_PUBLIC_KEYS =
      def(
          "jwt-public-keys",
          ValueType.readableFiles(),
          List.of(),
          "RS256/ES256 public keys: comma-separated PEM file paths");
  private static final Setting<String> JWT_ISSUER =
      def("jwt-issuer", ValueType.optionalString(), null, "required JWT 'iss' claim when set");
  private static final Setting<String> JWT_AUDIENCE =
      def("jwt-audience", ValueType.optionalString(), null, "required JWT 'aud' claim when set");
  private static final Setting<String> JWT_JWKS_URL =
      def("jwt-jwks-url", ValueType.jwksUrl(), null,
          "JWK Set URL of an identity provider or LMS whose RS256/PS256/ES256 tokens are accepted"
              + " (keys picked by kid, fetched again when a token names an unknown one); https://,"
              + " or http:// only to a loopback host");
  private static final Setting<Integer> JWT_JWKS_REFRESH_INTERVAL_MS =
      def("jwt-jwks-refresh-interval-ms", ValueType.intRange(1000, 86_400_000), 900_000,
          "with jwt-jwks-url: the key set is fetched again this often (keys removed by the"
              + " provider stop working within it)");
  private static final Setting<Integer> JWT_JWKS_REFRESH_MIN_INTERVAL_MS =
      def("jwt-jwks-refresh-min-interval-ms", ValueType.intRange(100, 86_400_000), 30_000,
          "with jwt-jwks-url: a token with an unknown kid fetches the key set again at most once"
              + " per this interval; at most jwt-jwks-refresh-interval-ms");
  private static final Setting<Integer> JWT_JWKS_TIMEOUT_MS =
      def("jwt-jwks-timeout-ms", ValueType.intRange(100, 60_000), 5_000,
          "with jwt-jwks-url: a fetch of the key set (connect, answer and body) that takes longer"
              + " has failed, and the keys fetched before stay in use");
  private static final Setting<Integer> TOKEN_MAX_LIFETIME_HOURS =
      def("token-max-lifetime-hours", ValueType.intRange(1, 8760), 24,
          "longest token lifetime accepted (exp - iat, or exp - now without iat); longer tokens are"
              + " TOKEN_INVALID, and the token and link commands refuse a longer --ttl");
  private static final Setting<String> ADMIN_TOKEN =
      add(
          new Setting<>(
              TABLE.size(),
              "admin-token",
              ValueType.secretMinChars(16),
              null,
              "(not set)",
              "bearer token for the admin API; generated in data-dir/admin-token when not set",
              true));
  private static final Setting<List<String>> ALLOWED_ORIGINS =
      def(
          "allowed-origins",
          ValueType.origins(),
          List.of("*"),
          "Origin header values accepted on /ws, e.g. https://school.example; requests without"
              + " an Origin header (non-browser clients) are always accepted");
  private static final Setting<Integer> AUTH_TIMEOUT_MS =
      def(
          "auth-timeout-ms",
          ValueType.intRange(100, 600_000),
          10_000,
          "time a new connection has to authenticate");
  private static final Setting<Integer> PING_INTERVAL_MS =
      def(
          "ping-interval-ms",
          ValueType.intRange(1000, 600_000),
          25_000,
          "interval between WebSocket pings");
  private static final Setting<Integer> IDLE_TIMEOUT_MS =
      def(
          "idle-timeout-ms",
          ValueType.intRange(1, MAX),
          60_000,
          "a connection silent this long is closed; must be greater than ping-interval-ms");
  private static final Setting<Integer> MAX_FRAME_BYTES =
      def(
          "max-frame-bytes",
          ValueType.intRange(1024, 16_777_216),
          65_536,
          "largest accepted WebSocket message");
  private static final Setting<Integer> MAX_ROOMS_PER_CONNECTION =
      def(
          "max-rooms-per-connection",
          ValueType.intRange(1, 1000),
          10,
          "rooms one connection may join at the same time");
  private static final Setting<Integer> MAX_PARTICIPANTS =
      def(
          "max-participants",
          ValueType.intRange(1, 100_000),
          500,
          "server-wide cap on a room's max participants");
  private static final Setting<Integer> DEFAULT_MAX_PARTICIPANTS =
      def(
          "default-max-participants",
          ValueType.intRange(1, 100_000),
          100,
          "max participants of rooms created without one; at most max-participants");
  private static final Setting<Integer> DEFAULT_RETENTION_DAYS =
      def(
          "default-retention-days",
          ValueType.intRange(1, 3650),
          365,
          "retention of rooms created without one");
  private static final Setting<Integer> MAX_RETENTION_DAYS =
      def(
          "max-retention-days",
          ValueType.intRange(1, 3650),
          3650,
          "longest retention a room may have: rooms asking for more are refused at creation, and"
              + " rooms created before it was lowered are erased by it");
  private static final Setting<DisplayNames> DISPLAY_NAMES =
      def(
          "display-names",
          ValueType.enumOf(DisplayNames.class, true),
          DisplayNames.FULL,
          "how much of a token's name the node keeps and shows: full, or first (the first word;"
              + " \"Family, Given\" gives Given; a name without a space is kept whole)");
  private static final Setting<io.ponte.server.erasure.BoardElementsOnErasure> ERASURE_BOARD_ELEMENTS =
      def(
          "erasure-board-elements",
          ValueType.enumOf(io.ponte.server.erasure.BoardElementsOnErasure.class, true),
          io.ponte.server.erasure.BoardElementsOnErasure.REMOVE,
          "what an erasure of one learner (POST /admin/users/{id}/erase) does with the board"
              + " elements they drew: remove, or anonymise (kept, their author the pseudonym)");
  private static final Setting<String> ERASURE_SECRET =
      add(
          new Setting<>(
              TABLE.size(),
              "erasure-secret",
              ValueType.secretMinChars(16),
              null,
              "(not set)",
              "key of the pseudonyms an erasure of one learner gives (erased-<HMAC of the user"
                  + " id>); not set: derived from the admin token. Every node of a cluster needs"
                  + " the same one, so that one learner gets one pseudonym everywhere",
              true));
  private static final Setting<Integer> RATE_MESSAGES_PER_SECOND =
      def(
          "rate-messages-per-second",
          ValueType.intRange(1, 100_000),
          60,
          "sustained inbound messages per second per connection");
  private static final Setting<Integer> RATE_MESSAGES_BURST =
      def(
          "rate-messages-burst",
          ValueType.intRange(1, MAX),
          120,
          "inbound message burst per connection; at least rate-messages-per-second");
  private static final Setting<Integer> RATE_BYTES_PER_SECOND =
      def(
          "rate-bytes-per-second",
          ValueType.intRange(1024, 1_073_741_824),
          65_536,
          "sustained inbound bytes per second per connection");
  private static final Setting<Integer> RATE_BYTES_BURST =
      def(
          "rate-bytes-burst",
          ValueType.intRange(1, MAX),
          262_144,
          "inbound byte burst per connection; at least rate-bytes-per-second and"
              + " max-frame-bytes");
  private static final Setting<Integer> TYPING_PER_SECOND =
      def(
          "typing-per-second",
          ValueType.intRange(1, 100),
          2,
          "typing indicators per second per connection; extra ones are dropped");
  private static final Setting<Integer> OUTBOUND_QUEUE_MESSAGES =
      def(
          "outbound-queue-messages",
          ValueType.intRange(16, 1_000_000),
          4096,
          "per-connection outbound queue limit, in messages");
  private static final Setting<Integer> OUTBOUND_QUEUE_BYTES =
      def(
          "outbound-queue-bytes",
          ValueType.intRange(65_536, MAX),
          8_388_608,
          "per-connection outbound queue limit, in bytes");
  private static final Setting<Integer> SNAPSHOT_INTERVAL =
      def(
          "snapshot-interval",
          ValueType.intRange(10, 1_000_000),
          200,
          "operations between snapshots");
  private static final Setting<Integer> SNAPSHOTS_KEPT =
      def("snapshots-kept", ValueType.intRange(1, 100), 3, "snapshots kept per room");
  private static final Setting<Integer> RESUME_WINDOW =
      def(
          "resume-window",
          ValueType.intRange(10, 1_000_000),
          2000,
          "events per room kept in memory for resume");
  private static final Setting<Integer> HISTORY_PAGE_MAX =
      def("history-page-max", ValueType.intRange(1, 1000), 100, "largest history page");
  private static final Setting<Integer> DOC_MAX_UPDATE_BYTES =
      def(
          "doc-max-update-bytes",
          ValueType.intRange(1024, 67_108_864),
          1_048_576,
          "largest accepted document (Yjs) update");
  private static final Setting<Integer> DOC_MAX_BYTES =
      def(
          "doc-max-bytes",
          ValueType.intRange(1024, 1_073_741_824),
          16_777_216,
          "largest document (merged Yjs state); must be at least doc-max-update-bytes");
  private static final Setting<Integer> DOC_MAX_PER_ROOM =
      def(
          "doc-max-per-room",
          ValueType.intRange(1, 100_000),
          100,
          "documents one room may have (TOO_MANY_DOCUMENTS beyond)");
  private static final Setting<Integer> CHAT_MAX_REACTIONS_PER_MESSAGE =
      def(
          "chat-max-reactions-per-message",
          ValueType.intRange(1, 100_000),
          200,
          "distinct (user, reaction) pairs one chat message may have (TOO_MANY_REACTIONS beyond)");
  private static final Setting<Integer> AWARENESS_MAX_STATE_BYTES =
      def(
          "awareness-max-state-bytes",
          ValueType.intRange(64, 1_048_576),
          8192,
          "largest awareness state of one Yjs client (cursor, name, colour); a larger update is"
              + " refused with AWARENESS_TOO_LARGE");
  private static final Setting<Integer> AWARENESS_PER_SECOND =
      def(
          "awareness-per-second",
          ValueType.intRange(1, 10_000),
          20,
          "awareness updates per second per session (burst twice that); extra ones are dropped");
  private static final Setting<Integer> BOARD_MAX_PER_ROOM =
      def("board-max-per-room", ValueType.intRange(1, 10_000), 20,
          "whiteboards one room may have (TOO_MANY_BOARDS beyond)");
  private static final Setting<Integer> BOARD_MAX_PAGES =
      def("board-max-pages", ValueType.intRange(1, 10_000), 100,
          "pages one whiteboard may have (TOO_MANY_PAGES beyond)");
  private static final Setting<Integer> BOARD_MAX_ELEMENTS_PER_PAGE =
      def("board-max-elements-per-page", ValueType.intRange(1, 1_000_000), 5_000,
          "elements one whiteboard page may hold (TOO_MANY_ELEMENTS beyond)");
  private static final Setting<Integer> BOARD_MAX_PATH_POINTS =
      def("board-max-path-points", ValueType.intRange(2, 1_000_000), 10_000,
          "points of one freehand path, and of one live-ink chunk's stroke so far (PATH_TOO_LONG beyond)");
  private static final Setting<Integer> BOARD_MAX_TEXT_CHARS =
      def("board-max-text-chars", ValueType.intRange(1, 100_000), 2_000,
          "code points of a whiteboard text or sticky note (ELEMENT_TEXT_TOO_LONG beyond)");
  private static final Setting<Integer> BOARD_MAX_BYTES =
      def("board-max-bytes", ValueType.intRange(65_536, 1_073_741_824), 8 << 20,
          "encoded size of one whiteboard's elements (BOARD_TOO_LARGE beyond)");
  private static final Setting<Integer> BOARD_HISTORY_MAX_CHANGES =
      def("board-history-max-changes", ValueType.intRange(1, 1_000_000), 5_000,
          "element versions kept per whiteboard so a teacher can revert a participant"
              + " (REVERT_TOO_OLD before them)");
  private static final Setting<Integer> BOARD_HISTORY_MAX_BYTES =
      def("board-history-max-bytes", ValueType.intRange(65_536, 1_073_741_824), 4 << 20,
          "encoded size of those versions per whiteboard");
  private static final Setting<Integer> BOARD_OPS_PER_SECOND =
      def("board-ops-per-second", ValueType.intRange(1, 10_000), 20,
          "whiteboard operations per second per connection (burst twice that); beyond: RATE_LIMITED");
  private static final Setting<Integer> BOARD_INK_PER_SECOND =
      def("board-ink-per-second", ValueType.intRange(1, 10_000), 40,
          "live-ink, laser and follow-me messages per second per connection (burst twice that);"
              + " extra ones are dropped");
  private static final Setting<Integer> HAND_OPS_PER_SECOND =
      def("hand-ops-per-second", ValueType.intRange(1, 1000), 5,
          "hand raising operations per second per connection (burst twice that); beyond: RATE_LIMITED");
  private static final Setting<Integer> HAND_LEAVE_GRACE_MS =
      def("hand-leave-grace-ms", ValueType.intRange(0, 86_400_000), 30_000,
          "a user who left the room (no connection on any node) for this long has their raised hand"
              + " lowered; a reconnect within it keeps the hand's place");
  private static final Setting<Integer> POLL_MAX_PER_ROOM =
      def("poll-max-per-room", ValueType.intRange(1, 10_000), 50,
          "polls one room may have, in any state (TOO_MANY_POLLS beyond)");
  private static final Setting<Integer> POLL_MAX_OPTIONS =
      def("poll-max-options", ValueType.intRange(2, 32), 10,
          "options one poll may have (POLL_TOO_MANY_OPTIONS beyond)");
  private static final Setting<Integer> POLL_MAX_QUESTION_CHARS =
      def("poll-max-question-chars", ValueType.intRange(1, 10_000), 500,
          "code points of a poll's question (POLL_TEXT_TOO_LONG beyond)");
  private static final Setting<Integer> POLL_MAX_OPTION_CHARS =
      def("poll-max-option-chars", ValueType.intRange(1, 10_000), 200,
          "code points of one poll option (POLL_TEXT_TOO_LONG beyond)");
  private static final Setting<Integer> POLL_OPS_PER_SECOND =
      def("poll-ops-per-second", ValueType.intRange(1, 1000), 5,
          "poll operations (create, open, close, share, delete, answer) per second per connection"
              + " (burst twice that); beyond: RATE_LIMITED");
  private static final Setting<Integer> LOBBY_MAX_WAITING =
      def("lobby-max-waiting", ValueType.intRange(1, 10_000), 100,
          "users one room's lobby may hold waiting (a Join beyond: LOBBY_FULL)");
  private static final Setting<Integer> LOBBY_OPS_PER_SECOND =
      def("lobby-ops-per-second", ValueType.intRange(1, 1000), 5,
          "lobby operations (admit, deny, admit all, deny all, set mode) per second per connection"
              + " (burst twice that); beyond: RATE_LIMITED");
  private static final Setting<Integer> LOBBY_LEAVE_GRACE_MS =
      def("lobby-leave-grace-ms", ValueType.intRange(0, 600_000), 5_000,
          "a user whose waiting connections on a node all closed leaves the lobby's queue this long"
              + " after; one coming back to that node within it keeps the place");
  private static final Setting<Integer> LOBBY_DENY_BLOCK_MS =
      def("lobby-deny-block-ms", ValueType.intRange(0, 86_400_000), 600_000,
          "a user a teacher denied may not knock again for this long (LOBBY_DENIED); 0: at once");
  private static final Setting<Integer> REPORT_MAX_PER_ROOM =
      def("report-max-per-room", ValueType.intRange(1, 10_000), 200,
          "reports one room keeps; a new one pushes out the oldest resolved report, and with none"
              + " resolved it is refused (TOO_MANY_REPORTS)");
  private static final Setting<Integer> REPORT_PER_USER_PER_MINUTE =
      def("report-per-user-per-minute", ValueType.intRange(1, 1000), 5,
          "reports one user may file in a room within a minute (REPORTS_TOO_FREQUENT beyond)");
  private static final Setting<Integer> REPORT_MAX_TEXT_CHARS =
      def("report-max-text-chars", ValueType.intRange(1, 10_000), 1000,
          "code points of a report's text (REPORT_TEXT_TOO_LONG beyond)");
  private static final Setting<Integer> REPORT_MAX_DOCUMENT_BYTES =
      def("report-max-document-bytes", ValueType.intRange(0, 16 << 20), 256 * 1024,
          "the largest document state a report of a document copies whole (larger: too_large, no copy)");
  private static final Setting<Integer> BREAKOUT_MAX_PER_ROOM =
      def("breakout-max-per-room", ValueType.intRange(1, 100), 20,
          "breakout rooms in one round of a room (TOO_MANY_BREAKOUTS beyond)");
  private static final Setting<Integer> BREAKOUT_OPS_PER_SECOND =
      def("breakout-ops-per-second", ValueType.intRange(1, 1000), 5,
          "breakout operations (create, move, broadcast, timer, close, take place) per second per"
              + " connection (burst twice that); beyond: RATE_LIMITED");
  private static final Setting<Integer> SYNC_REQUESTS_PER_SECOND =
      def(
          "sync-requests-per-second",
          ValueType.intRange(1, 10_000),
          10,
          "document sync requests (DocSync, sync step 1) and awareness queries per second per"
              + " socket (burst twice that); beyond: RATE_LIMITED");
  private static final Setting<Integer> PRESENCE_UPDATES_PER_SECOND =
      def(
          "presence-updates-per-second",
          ValueType.intRange(1, 1000),
          2,
          "presence (active/away) updates per second per connection (burst twice that); beyond:"
              + " RATE_LIMITED");
  private static final Setting<Integer> MAX_CONNECTIONS_PER_USER =
      def(
          "max-connections-per-user",
          ValueType.intRange(1, 1_000_000),
          20,
          "sockets one user id may have open on this node, all endpoints together"
              + " (TOO_MANY_CONNECTIONS beyond)");
  private static final Setting<Integer> HOCUSPOCUS_PREAUTH_BYTES =
      def(
          "hocuspocus-preauth-bytes",
          ValueType.intRange(1024, 16_777_216),
          65_536,
          "bytes a /hocuspocus socket may send for documents not yet authenticated; more closes it");
  private static final Setting<WsCompression> WS_COMPRESSION =
      def(
          "ws-compression",
          ValueType.enumOf(WsCompression.class, true),
          WsCompression.OFF,
          "permessage-deflate on the WebSocket endpoints: off, or on (no context takeover,"
              + " inflation bounded by the message limits)");
  private static final Setting<Integer> WS_COMPRESSION_THRESHOLD_BYTES =
      def(
          "ws-compression-threshold-bytes",
          ValueType.intRange(0, 16_777_216),
          1024,
          "with ws-compression on: outgoing messages smaller than this are sent uncompressed");
  private static final Setting<Integer> WS_COMPRESSION_LEVEL =
      def(
          "ws-compression-level",
          ValueType.intRange(1, 9),
          1,
          "with ws-compression on: deflate level, 1 (fastest) to 9 (smallest)");
  private static final Setting<Integer> ROOM_IDLE_UNLOAD_MS =
      def(
          "room-idle-unload-ms",
          ValueType.intRange(1000, 86_400_000),
          60_000,
          "a room without connections is unloaded from memory after this long");
  private static final Setting<Integer> GAP_SKIP_AFTER_MS =
      def(
          "gap-skip-after-ms",
          ValueType.intRange(500, 86_400_000),
          60_000,
          "a seq that no node can recover (sequenced, then its node died before storing it, and"
              + " Redis's stream no longer holds it) is filled with a skipped placeholder after a"
              + " room waited this long for it; it was never acknowledged");
  private static final Setting<Integer> EVENT_LOOPS =
      def(
          "event-loops",
          ValueType.intRange(0, 1024),
          0,
          "event-loop threads; 0 = 2 x available processors");
  private static final Setting<String> STORE_URL =
      def(
          "store-url",
          ValueType.storeUrl(),
          null,
          "store JDBC URL: not set = SQLite in data-dir; jdbc:postgresql://host:5432/db?user=..."
              + " (optionally &currentSchema=...) for clusters; jdbc:sqlite:<file> for SQLite"
              + " elsewhere");
  private static final Setting<StoreSync> STORE_SYNC =
      def(
          "store-sync",
          ValueType.enumOf(StoreSync.class, false),
          StoreSync.FULL,
          "SQLite synchronous mode (case-insensitive)");
  private static final Setting<Integer> STORE_MAX_BATCH =
      def(
          "store-max-batch",
          ValueType.intRange(1, 100_000),
          512,
          "most appends group-committed in one transaction");
  private static final Setting<String> REDIS_URL =
      def(
          "redis-url",
          ValueType.redisUrl(),
          null,
          "Redis for a multi-node cluster (RedisBroker), e.g. redis://127.0.0.1:6379; not set ="
              + " the embedded single-node broker. With redis-mode cluster: seed nodes, with"
              + " sentinel: the Sentinels, comma-separated");
  private static final Setting<RedisTarget.Mode> REDIS_MODE =
      def(
          "redis-mode",
          ValueType.enumOf(RedisTarget.Mode.class, true),
          RedisTarget.Mode.STANDALONE,
          "with redis-url: standalone (one server), cluster (Redis Cluster 7+, sharded pub/sub)"
              + " or sentinel (the master named redis-sentinel-master)");
  private static final Setting<String> REDIS_SENTINEL_MASTER =
      def(
          "redis-sentinel-master",
          ValueType.optionalMatching("[A-Za-z0-9._-]{1,128}"),
          null,
          "with redis-mode sentinel: the master name the Sentinels monitor (required there)");
  private static final Setting<String> REDIS_KEY_PREFIX =
      def(
          "redis-key-prefix",
          ValueType.optionalMatching("[A-Za-z0-9._:-]{1,64}"),
          "ponte:",
          "prefix of every Redis key and channel of this cluster");
  private static final Setting<Integer> REDIS_STREAM_MAX_LENGTH =
      def(
          "redis-stream-max-length",
          ValueType.intRange(100, 100_000_000),
          10_000,
          "operations kept per room in its Redis stream (approximately), for catching up");
  private static final Setting<Integer> PRESENCE_LEASE_MS =
      def(
          "presence-lease-ms",
          ValueType.intRange(300, 600_000),
          15_000,
          "with redis-url: a node renews its presence in each room every third of this; the"
              + " participants of a node that stops renewing (died) disappear within it");
  private static final Setting<Integer> SHUTDOWN_GRACE_MS =
      def(
          "shutdown-grace-ms",
          ValueType.intRange(0, 600_000),
          5000,
          "time given to connections and the store to finish on shutdown");
  private static final Setting<Integer> DRAIN_TIMEOUT_MS =
      def(
          "drain-timeout-ms",
          ValueType.intRange(1000, 600_000),
          30_000,
          "POST /admin/drain (the preStop hook): longest time to answer the writes read, close every"
              + " socket with 4102 and unload every room; sockets still open then are closed anyway"
              + " and the answer is 503 TIMED_OUT");
  private static final Setting<Integer> DRAIN_CLOSE_SPREAD_MS =
      def(
          "drain-close-spread-ms",
          ValueType.intRange(0, 600_000),
          5000,
          "POST /admin/drain: the sockets' closes are spread over this time (at most half of"
              + " drain-timeout-ms), so that the other nodes are not hit by every reconnect at once");
  private static final Setting<String> NODE_ID =
      add(
          new Setting<>(
              TABLE.size(),
              "node-id",
              ValueType.optionalMatching("[A-Za-z0-9._-]{1,64}"),
              null,
              "(random)",
              "identifies this server instance; a random one is generated at load when not set",
              false));
  private static final Setting<LogLevel> LOG_LEVEL =
      def(
          "log-level",
          ValueType.enumOf(LogLevel.class, true),
          LogLevel.INFO,
          "log verbosity (case-insensitive)");

  private static final List<Setting<?>> SETTINGS = Collections.unmodifiableList(TABLE);
  private static final Map<String, Setting<?>> BY_NAME = new LinkedHashMap<>();

  static {
    for (Setting<?> s : SETTINGS) {
      BY_NAME.put(s.name, s);
    }
  }

  /** The flag / env suffix naming the properties file; not itself a setting. */
  private static final String CONFIG = "config";

  private static final String CONFIG_ENV = Setting.envVarFor(CONFIG);
  private static final SecureRandom RANDOM = new SecureRandom();

  // ---------------------------------------------------------------------------------------------
  // Instance

  private final Object[] values;

  private PonteConfig(Object[] values) {
    this.values = values;
  }

  private <T> T get(Setting<T> setting) {
    @SuppressWarnings("unchecked")
    T value = (T) values[setting.index];
    return value;
  }

  /** Configuration with every setting at its default (and a freshly generated node id). */
  public static PonteConfig defaults() {
    return new Builder().build();
  }

  /**
   * Loads configuration from command-line flags, environment and the optional properties file,
   * then validates it.
   *
   * @param args the command-line flags only (no program name)
   * @param env environment variables, e.g. {@code System.getenv()}
   * @throws ConfigException on the first invalid input, naming the setting
   */
  public static PonteConfig load(List<String> args, Map<String, String> env) {
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(env, "env");
    List<String[]> flags = parseArgs(args); // {name, value, origin}

    String configPath = env.get(CONFIG_ENV);
    for (String[] flag : flags) {
      if (flag[0].equals(CONFIG)) {
        configPath = flag[1];
      }
    }

    Builder builder = new Builder();
    if (configPath != null && !configPath.isBlank()) {
      applyFile(builder, Path.of(configPath.strip()));
    }
    for (Setting<?> s : SETTINGS) {
      String value = env.get(s.envVar());
      if (value != null) {
        builder.values[s.index] = s.parse(value, "environment variable " + s.envVar());
      }
    }
    for (String[] flag : flags) {
      if (!flag[0].equals(CONFIG)) {
        Setting<?> s = BY_NAME.get(flag[0]);
        builder.values[s.index] = s.parse(flag[1], flag[2]);
      }
    }
    return builder.build();
  }

  /** Whether the arguments ask for help ({@code --help} or {@code -h}); load() ignores them. */
  public static boolean helpRequested(List<String> args) {
    return args.contains("--help") || args.contains("-h");
  }

  /** Names of all settings, in table order. */
  public static List<String> settingNames() {
    return List.copyOf(BY_NAME.keySet());
  }

  private static List<String[]> parseArgs(List<String> args) {
    List<String[]> out = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = Objects.requireNonNull(args.get(i), "argument");
      if (arg.equals("--help") || arg.equals("-h")) {
        continue;
      }
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new ConfigException(
            arg, "unexpected argument; settings are given as --name=value or --name value");
      }
      String body = arg.substring(2);
      int eq = body.indexOf('=');
      String name = eq >= 0 ? body.substring(0, eq) : body;
      Setting<?> setting = BY_NAME.get(name);
      if (setting == null && !name.equals(CONFIG)) {
        throw new ConfigException(name, "unknown setting (--" + name + "); see --help");
      }
      String value;
      if (eq >= 0) {
        value = body.substring(eq + 1);
      } else if (setting != null && setting.type.isFlag()) {
        value = "true";
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        throw new ConfigException(name, "missing value for --" + name);
      }
      out.add(new String[] {name, value, "--" + name});
    }
    return out;
  }

  private static void applyFile(Builder builder, Path file) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(reader);
    } catch (NoSuchFileException e) {
      throw new ConfigException(CONFIG, "config file '" + file + "' does not exist", e);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(CONFIG, "cannot read config file '" + file + "': " + e, e);
    }
    String origin = "config file '" + file + "'";
    List<String> keys = new ArrayList<>(props.stringPropertyNames());
    Collections.sort(keys);
    for (String key : keys) {
      Setting<?> s = BY_NAME.get(key);
      if (s == null) {
        throw new ConfigException(key, "unknown setting in " + origin);
      }
    }
    for (Setting<?> s : SETTINGS) {
      String value = props.getProperty(s.name);
      if (value != null) {
        builder.values[s.index] = s.parse(value, origin);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Getters

  /** {@code http-host}: address to listen on. */
  public String httpHost() {
    return get(HTTP_HOST);
  }

  /** {@code http-port}: 0..65535; 0 = ephemeral. */
  public int httpPort() {
    return get(HTTP_PORT);
  }

  /** {@code data-dir}: directory for the SQLite store and generated secrets. */
  public Path dataDir() {
    return get(DATA_DIR);
  }

  /** {@code web-dir}: a web app to serve at {@code /}; empty means the built-in classroom app. */
  public Optional<Path> webDir() {
    return Optional.ofNullable(get(WEB_DIR));
  }

  /** {@code jwt-secret}: HS256 secret, at least 32 bytes, when set. */
  public Optional<String> jwtSecret() {
    return Optional.ofNullable(get(JWT_SECRET));
  }

  /** {@code jwt-public-keys}: readable PEM files (RS256/ES256); empty when not set. */
  public List<Path> jwtPublicKeys() {
    return get(JWT_PUBLIC_KEYS);
  }

  /** {@code jwt-issuer}: required {@code iss} when set. */
  public Optional<String> jwtIssuer() {
    return Optional.ofNullable(get(JWT_ISSUER));
  }

  /** {@code jwt-audience}: required {@code aud} when set. */
  public Optional<String> jwtAudience() {
    return Optional.ofNullable(get(JWT_AUDIENCE));
  }

  /** {@code jwt-jwks-url}: where published token keys come from; empty when not set. */
  public Optional<String> jwtJwksUrl() {
    return Optional.ofNullable(get(JWT_JWKS_URL));
  }

  /** {@code jwt-jwks-refresh-interval-ms}. */
  public int jwtJwksRefreshIntervalMs() {
    return get(JWT_JWKS_REFRESH_INTERVAL_MS);
  }

  /** {@code jwt-jwks-refresh-min-interval-ms}. */
  public int jwtJwksRefreshMinIntervalMs() {
    return get(JWT_JWKS_REFRESH_MIN_INTERVAL_MS);
  }

  /** {@code jwt-jwks-timeout-ms}. */
  public int jwtJwksTimeoutMs() {
    return get(JWT_JWKS_TIMEOUT_MS);
  }

  /** {@code token-max-lifetime-hours}: the longest token lifetime accepted. */
  public int tokenMaxLifetimeHours() {
    return get(TOKEN_MAX_LIFETIME_HOURS);
  }

  /** {@code admin-token}: admin API bearer token, at least 16 chars, when set. */
  public Optional<String> adminToken() {
    return Optional.ofNullable(get(ADMIN_TOKEN));
  }

  /**
   * {@code allowed-origins}: {@code ["*"]} or normalized origins ({@code scheme://host[:port]},
   * lower case, default port omitted).
   */
  public List<String> allowedOrigins() {
    return get(ALLOWED_ORIGINS);
  }

  /** {@code auth-timeout-ms}. */
  public int authTimeoutMs() {
    return get(AUTH_TIMEOUT_MS);
  }

  /** {@code ping-interval-ms}. */
  public int pingIntervalMs() {
    return get(PING_INTERVAL_MS);
  }

  /** {@code idle-timeout-ms}; always greater than {@link #pingIntervalMs()}. */
  public int idleTimeoutMs() {
    return get(IDLE_TIMEOUT_MS);
  }

  /** {@code max-frame-bytes}. */
  public int maxFrameBytes() {
    return get(MAX_FRAME_BYTES);
  }

  /** {@code max-rooms-per-connection}. */
  public int maxRoomsPerConnection() {
    return get(MAX_ROOMS_PER_CONNECTION);
  }

  /** {@code max-participants}: server-wide cap on a room's max participants. */
  public int maxParticipants() {
    return get(MAX_PARTICIPANTS);
  }

  /** {@code default-max-participants}; at most {@link #maxParticipants()}. */
  public int defaultMaxParticipants() {
    return get(DEFAULT_MAX_PARTICIPANTS);
  }

  /** {@code default-retention-days}. */
  public int defaultRetentionDays() {
    return get(DEFAULT_RETENTION_DAYS);
  }

  /** {@code display-names}: how much of a token's name is kept. */
  public DisplayNames displayNames() {
    return get(DISPLAY_NAMES);
  }

  /** {@code erasure-board-elements}: remove or anonymise an erased learner's board elements. */
  public io.ponte.server.erasure.BoardElementsOnErasure erasureBoardElements() {
    return get(ERASURE_BOARD_ELEMENTS);
  }

  /** {@code erasure-secret}: the pseudonyms' key, when set (else the admin token's). */
  public Optional<String> erasureSecret() {
    return Optional.ofNullable(get(ERASURE_SECRET));
  }

  /** {@code max-retention-days}: the longest retention a room may have. */
  public int maxRetentionDays() {
    return get(MAX_RETENTION_DAYS);
  }

  /** {@code rate-messages-per-second}. */
  public int rateMessagesPerSecond() {
    return get(RATE_MESSAGES_PER_SECOND);
  }

  /** {@code rate-messages-burst}; at least {@link #rateMessagesPerSecond()}. */
  public int rateMessagesBurst() {
    return get(RATE_MESSAGES_BURST);
  }

  /** {@code rate-bytes-per-second}. */
  public int rateBytesPerSecond() {
    return get(RATE_BYTES_PER_SECOND);
  }

  /** {@code rate-bytes-burst}; at least rate-bytes-per-second and max-frame-bytes. */
  public int rateBytesBurst() {
    return get(RATE_BYTES_BURST);
  }

  /** {@code typing-per-second}. */
  public int typingPerSecond() {
    return get(TYPING_PER_SECOND);
  }

  /** {@code outbound-queue-messages}. */
  public int outboundQueueMessages() {
    return get(OUTBOUND_QUEUE_MESSAGES);
  }

  /** {@code outbound-queue-bytes}. */
  public int outboundQueueBytes() {
    return get(OUTBOUND_QUEUE_BYTES);
  }

  /** {@code snapshot-interval}: operations between snapshots. */
  public int snapshotInterval() {
    return get(SNAPSHOT_INTERVAL);
  }

  /** {@code snapshots-kept}. */
  public int snapshotsKept() {
    return get(SNAPSHOTS_KEPT);
  }

  /** {@code resume-window}: events per room kept in memory for resume. */
  public int resumeWindow() {
    return get(RESUME_WINDOW);
  }

  /** {@code history-page-max}. */
  public int historyPageMax() {
    return get(HISTORY_PAGE_MAX);
  }

  /** {@code doc-max-update-bytes}. */
  public int docMaxUpdateBytes() {
    return get(DOC_MAX_UPDATE_BYTES);
  }

  /** {@code doc-max-bytes}. */
  public int docMaxBytes() {
    return get(DOC_MAX_BYTES);
  }

  /** {@code board-max-per-room}. */
  public int boardMaxPerRoom() {
    return get(BOARD_MAX_PER_ROOM);
  }

  /** {@code board-max-pages}. */
  public int boardMaxPages() {
    return get(BOARD_MAX_PAGES);
  }

  /** {@code board-max-elements-per-page}. */
  public int boardMaxElementsPerPage() {
    return get(BOARD_MAX_ELEMENTS_PER_PAGE);
  }

  /** {@code board-max-path-points}. */
  public int boardMaxPathPoints() {
    return get(BOARD_MAX_PATH_POINTS);
  }

  /** {@code board-max-text-chars}. */
  public int boardMaxTextChars() {
    return get(BOARD_MAX_TEXT_CHARS);
  }

  /** {@code board-max-bytes}. */
  public int boardMaxBytes() {
    return get(BOARD_MAX_BYTES);
  }

  /** {@code board-history-max-changes}. */
  public int boardHistoryMaxChanges() {
    return get(BOARD_HISTORY_MAX_CHANGES);
  }

  /** {@code board-history-max-bytes}. */
  public int boardHistoryMaxBytes() {
    return get(BOARD_HISTORY_MAX_BYTES);
  }

  /** {@code board-ops-per-second}. */
  public int boardOpsPerSecond() {
    return get(BOARD_OPS_PER_SECOND);
  }

  /** {@code board-ink-per-second}. */
  public int boardInkPerSecond() {
    return get(BOARD_INK_PER_SECOND);
  }

  /** {@code hand-ops-per-second}. */
  public int handOpsPerSecond() {
    return get(HAND_OPS_PER_SECOND);
  }

  /** {@code hand-leave-grace-ms}. */
  public int handLeaveGraceMs() {
    return get(HAND_LEAVE_GRACE_MS);
  }

  /** {@code poll-max-per-room}. */
  public int pollMaxPerRoom() {
    return get(POLL_MAX_PER_ROOM);
  }

  /** {@code poll-max-options}. */
  public int pollMaxOptions() {
    return get(POLL_MAX_OPTIONS);
  }

  /** {@code poll-max-question-chars}. */
  public int pollMaxQuestionChars() {
    return get(POLL_MAX_QUESTION_CHARS);
  }

  /** {@code poll-max-option-chars}. */
  public int pollMaxOptionChars() {
    return get(POLL_MAX_OPTION_CHARS);
  }

  /** {@code breakout-max-per-room}. */
  public int breakoutMaxPerRoom() {
    return get(BREAKOUT_MAX_PER_ROOM);
  }

  /** {@code breakout-ops-per-second}. */
  public int breakoutOpsPerSecond() {
    return get(BREAKOUT_OPS_PER_SECOND);
  }

  /** {@code poll-ops-per-second}. */
  public int pollOpsPerSecond() {
    return get(POLL_OPS_PER_SECOND);
  }

  /** {@code lobby-max-waiting}. */
  public int lobbyMaxWaiting() {
    return get(LOBBY_MAX_WAITING);
  }

  /** {@code lobby-ops-per-second}. */
  public int lobbyOpsPerSecond() {
    return get(LOBBY_OPS_PER_SECOND);
  }

  /** {@code lobby-leave-grace-ms}. */
  public int lobbyLeaveGraceMs() {
    return get(LOBBY_LEAVE_GRACE_MS);
  }

  /** {@code lobby-deny-block-ms}. */
  public int lobbyDenyBlockMs() {
    return get(LOBBY_DENY_BLOCK_MS);
  }

  /** {@code report-max-per-room}. */
  public int reportMaxPerRoom() {
    return get(REPORT_MAX_PER_ROOM);
  }

  /** {@code report-per-user-per-minute}. */
  public int reportPerUserPerMinute() {
    return get(REPORT_PER_USER_PER_MINUTE);
  }

  /** {@code report-max-text-chars}. */
  public int reportMaxTextChars() {
    return get(REPORT_MAX_TEXT_CHARS);
  }

  /** {@code report-max-document-bytes}. */
  public int reportMaxDocumentBytes() {
    return get(REPORT_MAX_DOCUMENT_BYTES);
  }

  /** {@code doc-max-per-room}. */
  public int docMaxPerRoom() {
    return get(DOC_MAX_PER_ROOM);
  }

  /** {@code chat-max-reactions-per-message}. */
  public int chatMaxReactionsPerMessage() {
    return get(CHAT_MAX_REACTIONS_PER_MESSAGE);
  }

  /** {@code awareness-max-state-bytes}. */
  public int awarenessMaxStateBytes() {
    return get(AWARENESS_MAX_STATE_BYTES);
  }

  /** {@code awareness-per-second}. */
  public int awarenessPerSecond() {
    return get(AWARENESS_PER_SECOND);
  }

  /** {@code sync-requests-per-second}. */
  public int syncRequestsPerSecond() {
    return get(SYNC_REQUESTS_PER_SECOND);
  }

  /** {@code presence-updates-per-second}. */
  public int presenceUpdatesPerSecond() {
    return get(PRESENCE_UPDATES_PER_SECOND);
  }

  /** {@code max-connections-per-user}. */
  public int maxConnectionsPerUser() {
    return get(MAX_CONNECTIONS_PER_USER);
  }

  /** {@code hocuspocus-preauth-bytes}. */
  public int hocuspocusPreauthBytes() {
    return get(HOCUSPOCUS_PREAUTH_BYTES);
  }

  /** {@code ws-compression}. */
  public WsCompression wsCompression() {
    return get(WS_COMPRESSION);
  }

  /** {@code ws-compression-threshold-bytes}. */
  public int wsCompressionThresholdBytes() {
    return get(WS_COMPRESSION_THRESHOLD_BYTES);
  }

  /** {@code ws-compression-level}. */
  public int wsCompressionLevel() {
    return get(WS_COMPRESSION_LEVEL);
  }

  /** {@code room-idle-unload-ms}. */
  public int roomIdleUnloadMs() {
    return get(ROOM_IDLE_UNLOAD_MS);
  }

  /** {@code gap-skip-after-ms}. */
  public int gapSkipAfterMs() {
    return get(GAP_SKIP_AFTER_MS);
  }

  /** {@code event-loops} as configured; 0 means "2 x available processors". */
  public int eventLoops() {
    return get(EVENT_LOOPS);
  }

  /** The number of event loops to use: {@link #eventLoops()}, or 2 x processors when it is 0. */
  public int effectiveEventLoops() {
    int n = eventLoops();
    return n > 0 ? n : 2 * Runtime.getRuntime().availableProcessors();
  }

  /**
   * {@code store-url}: a {@code jdbc:postgresql://...} or {@code jdbc:sqlite:<file>} URL when set;
   * empty means SQLite in {@link #dataDir()}.
   */
  public Optional<String> storeUrl() {
    return Optional.ofNullable(get(STORE_URL));
  }

  /** {@code store-sync}. */
  public StoreSync storeSync() {
    return get(STORE_SYNC);
  }

  /** {@code store-max-batch}. */
  public int storeMaxBatch() {
    return get(STORE_MAX_BATCH);
  }

  /** {@code redis-url}: the Redis of a cluster; empty when not set (single node). */
  public Optional<String> redisUrl() {
    return Optional.ofNullable(get(REDIS_URL));
  }

  /** {@code redis-mode}: how {@code redis-url} is reached. */
  public RedisTarget.Mode redisMode() {
    return get(REDIS_MODE);
  }

  /** {@code redis-sentinel-master}; empty when not set. */
  public Optional<String> redisSentinelMaster() {
    return Optional.ofNullable(get(REDIS_SENTINEL_MASTER));
  }

  /**
   * The Redis of a cluster ({@code redis-url}, {@code redis-mode}, {@code redis-sentinel-master});
   * empty when {@code redis-url} is not set (single node).
   */
  public Optional<RedisTarget> redisTarget() {
    return redisUrl().map(urls -> new RedisTarget(redisMode(), List.of(urls.split(",")),
        redisSentinelMaster().orElse(null)));
  }

  /** {@code redis-key-prefix}: prefix of every Redis key and channel. */
  public String redisKeyPrefix() {
    String prefix = get(REDIS_KEY_PREFIX);
    return prefix == null ? "ponte:" : prefix;
  }

  /** {@code redis-stream-max-length}: operations kept per room stream (approximately). */
  public int redisStreamMaxLength() {
    return get(REDIS_STREAM_MAX_LENGTH);
  }

  /** {@code presence-lease-ms}: how long a node's presence entries outlive its last renewal. */
  public int presenceLeaseMs() {
    return get(PRESENCE_LEASE_MS);
  }

  /** {@code shutdown-grace-ms}. */
  public int shutdownGraceMs() {
    return get(SHUTDOWN_GRACE_MS);
  }

  /** {@code drain-timeout-ms}. */
  public int drainTimeoutMs() {
    return get(DRAIN_TIMEOUT_MS);
  }

  /** {@code drain-close-spread-ms}. */
  public int drainCloseSpreadMs() {
    return get(DRAIN_CLOSE_SPREAD_MS);
  }

  /** {@code node-id}: as configured, or generated at load/build when not set. Never null. */
  public String nodeId() {
    return get(NODE_ID);
  }

  /** {@code log-level}. */
  public LogLevel logLevel() {
    return get(LOG_LEVEL);
  }

  // ---------------------------------------------------------------------------------------------
  // Derived helpers

  /** Where the generated HS256 secret lives when {@link #jwtSecret()} is not set. */
  public Path jwtSecretFile() {
    return dataDir().resolve("jwt-secret");
  }

  /** Where the generated admin token lives when {@link #adminToken()} is not set. */
  public Path adminTokenFile() {
    return dataDir().resolve("admin-token");
  }

  /**
   * True when neither jwt-secret, jwt-public-keys nor jwt-jwks-url is set: a generated secret is
   * used.
   */
  public boolean usesGeneratedJwtSecret() {
    return jwtSecret().isEmpty() && jwtPublicKeys().isEmpty() && jwtJwksUrl().isEmpty();
  }

  /**
   * Whether a WebSocket upgrade with this Origin header is accepted: always when the header is
   * absent (null or empty: non-browser clients), always with {@code *}, otherwise when the
   * normalized origin is listed.
   */
  public boolean isOriginAllowed(String originHeader) {
    if (originHeader == null || originHeader.isBlank()) {
      return true;
    }
    List<String> allowed = allowedOrigins();
    if (allowed.contains("*")) {
      return true;
    }
    try {
      return allowed.contains(ValueType.Origins.normalizeOrigin(originHeader));
    } catch (ValueType.Invalid e) {
      return false;
    }
  }

  /**
   * Each setting's effective value, in table order, as text. Secrets (jwt-secret, admin-token)
   * are shown only as "(set)" / "(not set)"; unset optional settings as "(not set)".
   */
  public Map<String, String> describe() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Setting<?> s : SETTINGS) {
      out.put(s.name, s.describe(values[s.index]));
    }
    return Collections.unmodifiableMap(out);
  }

  /** Same as {@link #describe()}; never contains secret values. */
  @Override
  public String toString() {
    return "PonteConfig" + describe();
  }

  /** A builder holding this configuration's values (including its node id). */
  public Builder toBuilder() {
    return new Builder(values.clone());
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------------------------------------
  // Help

  /** The {@code --help} text: usage and a table of every setting, env var, default, description. */
  public static String helpText() {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"FLAG / FILE KEY", "ENVIRONMENT", "DEFAULT", "DESCRIPTION"});
    rows.add(
        new String[] {
          "--" + CONFIG, CONFIG_ENV, "(not set)", "properties file with settings (keys = names)"
        });
    rows.add(new String[] {"--help", "", "", "print this help and exit"});
    for (Setting<?> s : SETTINGS) {
      rows.add(
          new String[] {
            s.flag(), s.envVar(), s.defaultText, s.description + " [" + s.type.rule() + "]"
          });
    }
    int[] width = new int[3];
    for (String[] row : rows) {
      for (int c = 0; c < 3; c++) {
        width[c] = Math.max(width[c], row[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: ponte-server [--name=value | --name value]...\n\n");
    sb.append("Settings are taken, highest precedence first, from command-line flags,\n");
    sb.append("environment variables (PONTE_ + name upper-cased, '-' -> '_'), the properties\n");
    sb.append("file named by --config / PONTE_CONFIG (keys are setting names), then defaults.\n");
    sb.append("An empty value for an optional setting means \"not set\".\n\n");
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < 3; c++) {
        line.append(pad(row[c], width[c])).append("  ");
      }
      line.append(row[3]);
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(width - s.length());
  }

  // ---------------------------------------------------------------------------------------------
  // Builder

  /**
   * Programmatic overrides, mainly for tests: {@code
   * PonteConfig.defaults().toBuilder().httpPort(0).dataDir(dir).build()}. Setters accept any
   * value; {@link #build()} validates everything (ranges, cross-field rules, files) and throws
   * {@link ConfigException}. For optional settings, {@code null} or "" means "not set".
   */
  public static final class Builder {

    private final Object[] values;

    private Builder() {
      values = new Object[SETTINGS.size()];
      for (Setting<?> s : SETTINGS) {
        values[s.index] = s.defaultValue;
      }
    }

    private Builder(Object[] values) {
      this.values = values;
    }

    private Builder put(Setting<?> setting, Object value) {
      values[setting.index] = value;
      return this;
    }

    /** Sets a setting by name from text, parsed as if it came from the properties file. */
    public Builder set(String name, String value) {
      Setting<?> s = BY_NAME.get(name);
      if (s == null) {
        throw new ConfigException(name, "unknown setting");
      }
      return put(s, s.parse(Objects.requireNonNull(value, "value"), null));
    }

    public Builder httpHost(String v) {
      return put(HTTP_HOST, v);
    }

    public Builder httpPort(int v) {
      return put(HTTP_PORT, v);
    }

    public Builder dataDir(Path v) {
      return put(DATA_DIR, v);
    }

    public Builder webDir(Path v) {
      return put(WEB_DIR, v);
    }

    public Builder jwtSecret(String v) {
      return put(JWT_SECRET, v);
    }

    public Builder jwtPublicKeys(List<Path> v) {
      return put(JWT_PUBLIC_KEYS, v);
    }

    public Builder jwtIssuer(String v) {
      return put(JWT_ISSUER, v);
    }

    public Builder jwtAudience(String v) {
      return put(JWT_AUDIENCE, v);
    }

    /** Sets the JWK Set URL; {@code null} or "" means not set. */
    public Builder jwtJwksUrl(String v) {
      return put(JWT_JWKS_URL, v);
    }

    public Builder jwtJwksRefreshIntervalMs(int v) {
      return put(JWT_JWKS_REFRESH_INTERVAL_MS, v);
    }

    public Builder jwtJwksRefreshMinIntervalMs(int v) {
      return put(JWT_JWKS_REFRESH_MIN_INTERVAL_MS, v);
    }

    public Builder jwtJwksTimeoutMs(int v) {
      return put(JWT_JWKS_TIMEOUT_MS, v);
    }

    public Builder tokenMaxLifetimeHours(int v) {
      return put(TOKEN_MAX_LIFETIME_HOURS, v);
    }

    public Builder adminToken(String v) {
      return put(ADMIN_TOKEN, v);
    }

    public Builder allowedOrigins(List<String> v) {
      return put(ALLOWED_ORIGINS, v);
    }

    public Builder authTimeoutMs(int v) {
      return put(AUTH_TIMEOUT_MS, v);
    }

    public Builder pingIntervalMs(int v) {
      return put(PING_INTERVAL_MS, v);
    }

    public Builder idleTimeoutMs(int v) {
      return put(IDLE_TIMEOUT_MS, v);
    }

    public Builder maxFrameBytes(int v) {
      return put(MAX_FRAME_BYTES, v);
    }

    public Builder maxRoomsPerConnection(int v) {
      return put(MAX_ROOMS_PER_CONNECTION, v);
    }

    public Builder maxParticipants(int v) {
      return put(MAX_PARTICIPANTS, v);
    }

    public Builder defaultMaxParticipants(int v) {
      return put(DEFAULT_MAX_PARTICIPANTS, v);
    }

    public Builder defaultRetentionDays(int v) {
      return put(DEFAULT_RETENTION_DAYS, v);
    }

    public Builder displayNames(DisplayNames v) {
      return put(DISPLAY_NAMES, v);
    }

    public Builder maxRetentionDays(int v) {
      return put(MAX_RETENTION_DAYS, v);
    }

    public Builder rateMessagesPerSecond(int v) {
      return put(RATE_MESSAGES_PER_SECOND, v);
    }

    public Builder rateMessagesBurst(int v) {
      return put(RATE_MESSAGES_BURST, v);
    }

    public Builder rateBytesPerSecond(int v) {
      return put(RATE_BYTES_PER_SECOND, v);
    }

    public Builder rateBytesBurst(int v) {
      return put(RATE_BYTES_BURST, v);
    }

    public Builder typingPerSecond(int v) {
      return put(TYPING_PER_SECOND, v);
    }

    public Builder outboundQueueMessages(int v) {
      return put(OUTBOUND_QUEUE_MESSAGES, v);
    }

    public Builder outboundQueueBytes(int v) {
      return put(OUTBOUND_QUEUE_BYTES, v);
    }

    public Builder snapshotInterval(int v) {
      return put(SNAPSHOT_INTERVAL, v);
    }

    public Builder snapshotsKept(int v) {
      return put(SNAPSHOTS_KEPT, v);
    }

    public Builder resumeWindow(int v) {
      return put(RESUME_WINDOW, v);
    }

    public Builder historyPageMax(int v) {
      return put(HISTORY_PAGE_MAX, v);
    }

    public Builder docMaxUpdateBytes(int v) {
      return put(DOC_MAX_UPDATE_BYTES, v);
    }

    public Builder docMaxBytes(int v) {
      return put(DOC_MAX_BYTES, v);
    }

    public Builder roomIdleUnloadMs(int v) {
      return put(ROOM_IDLE_UNLOAD_MS, v);
    }

    public Builder gapSkipAfterMs(int v) {
      return put(GAP_SKIP_AFTER_MS, v);
    }

    public Builder eventLoops(int v) {
      return put(EVENT_LOOPS, v);
    }

    public Builder storeUrl(String v) {
      return put(STORE_URL, v);
    }

    public Builder storeSync(StoreSync v) {
      return put(STORE_SYNC, v);
    }

    public Builder storeMaxBatch(int v) {
      return put(STORE_MAX_BATCH, v);
    }

    /** Sets the Redis URL; {@code null} or "" means not set (single node). */
    public Builder redisUrl(String v) {
      return put(REDIS_URL, v);
    }

    public Builder redisMode(RedisTarget.Mode v) {
      return put(REDIS_MODE, v);
    }

    /** Sets the Sentinel master name; {@code null} means not set. */
    public Builder redisSentinelMaster(String v) {
      return put(REDIS_SENTINEL_MASTER, v);
    }

    public Builder redisKeyPrefix(String v) {
      return put(REDIS_KEY_PREFIX, v);
    }

    public Builder redisStreamMaxLength(int v) {
      return put(REDIS_STREAM_MAX_LENGTH, v);
    }

    public Builder presenceLeaseMs(int v) {
      return put(PRESENCE_LEASE_MS, v);
    }

    public Builder shutdownGraceMs(int v) {
      return put(SHUTDOWN_GRACE_MS, v);
    }

    public Builder drainTimeoutMs(int v) {
      return put(DRAIN_TIMEOUT_MS, v);
    }

    public Builder drainCloseSpreadMs(int v) {
      return put(DRAIN_CLOSE_SPREAD_MS, v);
    }

    /** Sets the node id; {@code null} or "" means a random one is generated by build(). */
    public Builder nodeId(String v) {
      return put(NODE_ID, v);
    }

    public Builder logLevel(LogLevel v) {
      return put(LOG_LEVEL, v);
    }

    /**
     * Validates every setting in table order, then the cross-field rules, and returns the
     * configuration.
     *
     * @throws ConfigException naming the first invalid setting
     */
    public PonteConfig build() {
      Object[] checked = new Object[values.length];
      for (Setting<?> s : SETTINGS) {
        checked[s.index] = s.check(values[s.index]);
      }
      if (checked[NODE_ID.index] == null) {
        checked[NODE_ID.index] = String.format("%016x", RANDOM.nextLong());
      }
      PonteConfig config = new PonteConfig(checked);
      checkCrossField(config);
      return config;
    }
  }

  private static void checkCrossField(PonteConfig c) {
    checkRedis(c);
    if (c.idleTimeoutMs() <= c.pingIntervalMs()) {
      throw new ConfigException(
          IDLE_TIMEOUT_MS.name,
          "must be greater than ping-interval-ms (" + c.pingIntervalMs() + "), got "
              + c.idleTimeoutMs());
    }
    if (c.jwtJwksRefreshMinIntervalMs() > c.jwtJwksRefreshIntervalMs()) {
      throw new ConfigException(
          JWT_JWKS_REFRESH_MIN_INTERVAL_MS.name,
          "must be at most jwt-jwks-refresh-interval-ms (" + c.jwtJwksRefreshIntervalMs()
              + "), got " + c.jwtJwksRefreshMinIntervalMs());
    }
    if (c.docMaxBytes() < c.docMaxUpdateBytes()) {
      throw new ConfigException(
          DOC_MAX_BYTES.name,
          "must be at least doc-max-update-bytes (" + c.docMaxUpdateBytes() + "), got "
              + c.docMaxBytes());
    }
    if (c.defaultRetentionDays() > c.maxRetentionDays()) {
      throw new ConfigException(
          DEFAULT_RETENTION_DAYS.name,
          "must be at most max-retention-days (" + c.maxRetentionDays() + "), got "
              + c.defaultRetentionDays());
    }
    if (c.defaultMaxParticipants() > c.maxParticipants()) {
      throw new ConfigException(
          DEFAULT_MAX_PARTICIPANTS.name,
          "must be at most max-participants (" + c.maxParticipants() + "), got "
              + c.defaultMaxParticipants());
    }
    if (c.rateMessagesBurst() < c.rateMessagesPerSecond()) {
      throw new ConfigException(
          RATE_MESSAGES_BURST.name,
          "must be at least rate-messages-per-second (" + c.rateMessagesPerSecond() + "), got "
              + c.rateMessagesBurst());
    }
    if (c.rateBytesBurst() < c.rateBytesPerSecond()) {
      throw new ConfigException(
          RATE_BYTES_BURST.name,
          "must be at least rate-bytes-per-second (" + c.rateBytesPerSecond() + "), got "
              + c.rateBytesBurst());
    }
    if (c.rateBytesBurst() < c.maxFrameBytes()) {
      throw new ConfigException(
          RATE_BYTES_BURST.name,
          "must be at least max-frame-bytes (" + c.maxFrameBytes() + "), got "
              + c.rateBytesBurst());
    }
  }

  private static void checkRedis(PonteConfig c) {
    RedisTarget.Mode mode = c.redisMode();
    int urls = c.redisUrl().map(u -> u.split(",").length).orElse(0);
    if (mode != RedisTarget.Mode.STANDALONE && urls == 0) {
      throw new ConfigException(REDIS_MODE.name,
          mode.name().toLowerCase(java.util.Locale.ROOT) + " needs redis-url ("
              + (mode == RedisTarget.Mode.CLUSTER ? "seed nodes" : "the Sentinels") + ")");
    }
    if (mode == RedisTarget.Mode.STANDALONE && urls > 1) {
      throw new ConfigException(REDIS_URL.name, "lists " + urls + " URLs, but redis-mode"
          + " standalone takes one (set redis-mode cluster or sentinel for several)");
    }
    if (mode == RedisTarget.Mode.SENTINEL && c.redisSentinelMaster().isEmpty()) {
      throw new ConfigException(REDIS_SENTINEL_MASTER.name,
          "is required with redis-mode sentinel (the master name the Sentinels monitor)");
    }
    if (mode != RedisTarget.Mode.SENTINEL && c.redisSentinelMaster().isPresent()) {
      throw new ConfigException(REDIS_SENTINEL_MASTER.name,
          "is only used with redis-mode sentinel, but redis-mode is "
              + mode.name().toLowerCase(java.util.Locale.ROOT));
    }
    if (mode == RedisTarget.Mode.CLUSTER && c.redisUrl().isPresent()) {
      for (String url : c.redisUrl().get().split(",")) {
        String path = java.net.URI.create(url).getPath();
        if (path != null && !path.isEmpty() && !path.equals("/") && !path.equals("/0")) {
          throw new ConfigException(REDIS_URL.name, "names database " + path.substring(1)
              + ", but a Redis Cluster has only database 0: '" + RedisTarget.maskAll(url) + "'");
        }
      }
    }
  }
}
