package io.ponte.server.config;

import io.ponte.server.redis.RedisTarget;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How one setting's value is parsed from text, validated, normalized and printed. Failures are
 * reported as {@link Invalid} carrying only the detail (no setting name); {@link Setting} adds the
 * name. Implementations never put a secret's value into a detail.
 *
 * @param <T> the Java type of the value; {@code null} means "not set" for optional settings
 */
interface ValueType<T> {

  /** Parses trimmed text into a checked, normalized value. */
  T parse(String text);

  /** Validates (and normalizes) a typed value, e.g. one given to the builder. */
  T check(T value);

  /** Renders a value the way it would be written in configuration. */
  String format(T value);

  /** Short human description of the accepted values, for help. */
  String rule();

  /** Whether a bare {@code --name} on the command line means "true". */
  default boolean isFlag() {
    return false;
  }

  /** A value failed to parse or validate; the message is the detail after "name: ". */
  final class Invalid extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Invalid(String detail) {
      super(detail, null, false, false);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Factories

  static ValueType<Integer> intRange(int min, int max) {
    return new IntRange(min, max);
  }

  static ValueType<String> nonEmptyString() {
    return new NonEmptyString();
  }

  /** Optional free text; empty means not set. */
  static ValueType<String> optionalString() {
    return new OptionalString(0, false, false, null);
  }

  /** Optional secret of at least {@code minBytes} UTF-8 bytes; its value never appears in errors. */
  static ValueType<String> secretMinBytes(int minBytes) {
    return new OptionalString(minBytes, true, true, null);
  }

  /** Optional secret of at least {@code minChars} characters; its value never appears in errors. */
  static ValueType<String> secretMinChars(int minChars) {
    return new OptionalString(minChars, false, true, null);
  }

  /** Optional string that must match {@code regex} when set. */
  static ValueType<String> optionalMatching(String regex) {
    return new OptionalString(0, false, false, Pattern.compile(regex));
  }

  static ValueType<Path> path() {
    return new PathType();
  }

  /** A path, or not set (null). */
  static ValueType<Path> optionalPath() {
    return new OptionalPathType();
  }

  /** Comma-separated paths of files that must exist and be readable; empty list = not set. */
  static ValueType<List<Path>> readableFiles() {
    return new ReadableFiles();
  }

  /** {@code *} or a comma-separated list of web origins. */
  static ValueType<List<String>> origins() {
    return new Origins();
  }

  /** Case-insensitive enum; printed upper-case, or lower-case when {@code lowerCase}. */
  static <E extends Enum<E>> ValueType<E> enumOf(Class<E> type, boolean lowerCase) {
    return new EnumType<>(type, lowerCase);
  }

  /**
   * Optional store JDBC URL: {@code jdbc:postgresql://...} or {@code jdbc:sqlite:<file>}; empty
   * means not set. Passwords in it never appear in errors or when printed.
   */
  static ValueType<String> storeUrl() {
    return new StoreUrl();
  }

  /**
   * Optional Redis URL ({@code redis://} or {@code rediss://} with a host); shown and reported
   * with any password masked.
   */
  static ValueType<String> redisUrl() {
    return new RedisUrl();
  }

  /**
   * Optional JWK Set URL: {@code https://host/...}, or {@code http://} to a loopback host only
   * (keys fetched in clear text could be swapped on the way); shown with any user info masked.
   */
  static ValueType<String> jwksUrl() {
    return new JwksUrl();
  }

  /** Boolean; a bare {@code --name} on the command line means true. */
  static ValueType<Boolean> bool() {
    return new BoolType();
  }

  // ---------------------------------------------------------------------------------------------
  // Implementations

  final class IntRange implements ValueType<Integer> {
    final int min;
    final int max;

    IntRange(int min, int max) {
      this.min = min;
      this.max = max;
    }

    private Invalid invalid(String got) {
      return new Invalid(
          "must be an integer between " + min + " and " + max + ", got '" + got + "'");
    }

    @Override
    public Integer parse(String text) {
      int value;
      try {
        value = Integer.parseInt(text);
      } catch (NumberFormatException e) {
        throw invalid(text);
      }
      return check(value);
    }

    @Override
    public Integer check(Integer value) {
      if (value == null) {
        throw new Invalid("must be set");
      }
      if (value < min || value > max) {
        throw invalid(String.valueOf(value));
      }
      return value;
    }

    @Override
    public String format(Integer value) {
      return String.valueOf(value);
    }

    @Override
    public String rule() {
      return max == Integer.MAX_VALUE ? "integer >= " + min : "integer " + min + ".." + max;
    }
  }

  final class NonEmptyString implements ValueType<String> {
    @Override
    public String parse(String text) {
      return check(text);
    }

    @Override
    public String check(String value) {
      if (value == null || value.isBlank()) {
        throw new Invalid("must not be empty");
      }
      return value.strip();
    }

    @Override
    public String format(String value) {
      return value;
    }

    @Override
    public String rule() {
      return "non-empty string";
    }
  }

  final class OptionalString implements ValueType<String> {
    final int min;
    final boolean bytes;
    final boolean secret;
    final Pattern pattern;

    OptionalString(int min, boolean bytes, boolean secret, Pattern pattern) {
      this.min = min;
      this.bytes = bytes;
      this.secret = secret;
      this.pattern = pattern;
    }

    @Override
    public String parse(String text) {
      return check(text);
    }

    @Override
    public String check(String value) {
      if (value == null || value.isEmpty()) {
        return null;
      }
      int length = bytes ? value.getBytes(StandardCharsets.UTF_8).length : value.length();
      if (length < min) {
        String unit = bytes ? "bytes" : "characters";
        throw new Invalid(
            "must be at least " + min + " " + unit + " when set, got " + length + " " + unit);
      }
      if (pattern != null && !pattern.matcher(value).matches()) {
        throw new Invalid(
            "must match " + pattern.pattern() + ", got '" + (secret ? "(hidden)" : value) + "'");
      }
      return value;
    }

    @Override
    public String format(String value) {
      return value == null ? "" : value;
    }

    @Override
    public String rule() {
      if (pattern != null) {
        return "optional, " + pattern.pattern();
      }
      if (min > 0) {
        return "optional, >= " + min + (bytes ? " bytes" : " characters");
      }
      return "optional string";
    }
  }

  /** The token keys' address: https, or http to a loopback host only. */
  final class JwksUrl implements ValueType<String> {
    @Override
    public String parse(String text) {
      return check(text);
    }

    @Override
    public String check(String value) {
      if (value == null || value.isBlank()) {
        return null;
      }
      String url = value.strip();
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new Invalid("must be a valid https:// URL, got '" + masked(url) + "'");
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      String host = uri.getHost();
      if (!scheme.equals("https") && !scheme.equals("http") || host == null || host.isEmpty()) {
        throw new Invalid("must be an https:// URL with a host (http:// only to a loopback host"
            + " such as 127.0.0.1), got '" + masked(url) + "'");
      }
      if (scheme.equals("http") && !isLoopback(host)) {
        throw new Invalid("must use https:// for host " + host + ": keys fetched over plain http"
            + " could be replaced on the way, so http:// is accepted only for a loopback host"
            + " (localhost, 127.0.0.1, [::1]), got '" + masked(url) + "'");
      }
      return url;
    }

    /** By name only: no DNS lookup at configuration time. */
    private static boolean isLoopback(String host) {
      String h = host.toLowerCase(Locale.ROOT);
      if (h.startsWith("[") && h.endsWith("]")) {
        h = h.substring(1, h.length() - 1);
      }
      return h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")
          || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    @Override
    public String format(String value) {
      return value == null ? "" : masked(value);
    }

    @Override
    public String rule() {
      return "optional, https://host/path (http:// only to localhost, 127.x.x.x or [::1])";
    }

    /** The URL with its user info (which may hold a password) replaced by "***". */
    static String masked(String url) {
      return url.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", "$1***@");
    }
  }

  final class RedisUrl implements ValueType<String> {
    @Override
    public String parse(String text) {
      return check(text);
    }

    @Override
    public String check(String value) {
      if (value == null || value.isBlank()) {
        return null;
      }
      List<String> urls = new ArrayList<>();
      for (String part : value.split(",", -1)) {
        String url = part.strip();
        if (url.isEmpty()) {
          throw new Invalid("has an empty entry in its comma-separated list, got '"
              + masked(value) + "'");
        }
        checkOne(url);
        urls.add(url);
      }
      return String.join(",", urls);
    }

    private static void checkOne(String value) {
      String lower = value.toLowerCase(Locale.ROOT);
      if (!lower.startsWith("redis://") && !lower.startsWith("rediss://")) {
        throw new Invalid("must start with redis:// or rediss://, got '" + masked(value) + "'");
      }
      try {
        URI uri = new URI(value);
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
          throw new Invalid("must name a host, got '" + masked(value) + "'");
        }
      } catch (URISyntaxException e) {
        throw new Invalid("is not a valid URL: '" + masked(value) + "'");
      }
    }

    @Override
    public String format(String value) {
      return value == null ? "" : masked(value);
    }

    @Override
    public String rule() {
      return "optional, redis://[user:password@]host[:port][/db] or rediss://...; several"
          + " separated by commas for redis-mode cluster (seed nodes) or sentinel (sentinels)";
    }

    /** The URLs with their user info (which may hold a password) replaced by "***". */
    static String masked(String urls) {
      return RedisTarget.maskAll(urls);
    }
  }

  final class StoreUrl implements ValueType<String> {
    static final String POSTGRESQL = "jdbc:postgresql://";
    static final String SQLITE = "jdbc:sqlite:";

    @Override
    public String parse(String text) {
      return check(text);
    }

    @Override
    public String check(String value) {
      if (value == null || value.isBlank()) {
        return null;
      }
      String url = value.strip();
      if (url.startsWith(POSTGRESQL)) {
        if (url.length() == POSTGRESQL.length() || url.charAt(POSTGRESQL.length()) == '/') {
          throw new Invalid("must name a host, as in jdbc:postgresql://host:5432/db, got '"
              + redact(url) + "'");
        }
        return url;
      }
      if (url.startsWith(SQLITE)) {
        String file = url.substring(SQLITE.length());
        if (file.isEmpty() || file.startsWith(":") || file.startsWith("file:")
            || file.contains("?")) {
          throw new Invalid("must name a database file, as in jdbc:sqlite:/var/lib/ponte/ponte.db,"
              + " got '" + redact(url) + "'");
        }
        try {
          Path.of(file);
        } catch (InvalidPathException e) {
          throw new Invalid("is not a valid file path, got '" + file + "': " + e.getReason());
        }
        return url;
      }
      throw new Invalid("must be a jdbc:postgresql://... or jdbc:sqlite:<file> URL, got '"
          + redact(url) + "'");
    }

    /** The URL with any password replaced by ***. */
    static String redact(String url) {
      return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^/@?]*@", "//***@");
    }

    @Override
    public String format(String value) {
      return value == null ? "" : redact(value);
    }

    @Override
    public String rule() {
      return "optional, jdbc:postgresql://host[:port]/db?... or jdbc:sqlite:<file>";
    }
  }

  final class OptionalPathType implements ValueType<Path> {
    private final PathType path = new PathType();

    @Override
    public Path parse(String text) {
      return text.isEmpty() ? null : path.parse(text);
    }

    @Override
    public Path check(Path value) {
      return value == null ? null : path.check(value);
    }

    @Override
    public String format(Path value) {
      return path.format(value);
    }

    @Override
    public String rule() {
      return path.rule();
    }
  }

  final class PathType implements ValueType<Path> {
    @Override
    public Path parse(String text) {
      if (text.isEmpty()) {
        throw new Invalid("must not be empty");
      }
      try {
        return check(Path.of(text));
      } catch (InvalidPathException e) {
        throw new Invalid("is not a valid path, got '" + text + "': " + e.getReason());
      }
    }

    @Override
    public Path check(Path value) {
      if (value == null || value.toString().isEmpty()) {
        throw new Invalid("must not be empty");
      }
      return value;
    }

    @Override
    public String format(Path value) {
      return value.toString();
    }

    @Override
    public String rule() {
      return "path";
    }
  }

  final class ReadableFiles implements ValueType<List<Path>> {
    @Override
    public List<Path> parse(String text) {
      List<Path> paths = new ArrayList<>();
      for (String part : splitList(text)) {
        try {
          paths.add(Path.of(part));
        } catch (InvalidPathException e) {
          throw new Invalid("is not a valid path, got '" + part + "': " + e.getReason());
        }
      }
      return check(paths);
    }

    @Override
    public List<Path> check(List<Path> value) {
      if (value == null) {
        return List.of();
      }
      for (Path p : value) {
        if (p == null) {
          throw new Invalid("must not contain null paths");
        }
        if (!Files.isRegularFile(p)) {
          throw new Invalid("file '" + p + "' does not exist or is not a regular file");
        }
        if (!Files.isReadable(p)) {
          throw new Invalid("file '" + p + "' is not readable");
        }
      }
      return List.copyOf(value);
    }

    @Override
    public String format(List<Path> value) {
      return value.stream().map(Path::toString).collect(Collectors.joining(","));
    }

    @Override
    public String rule() {
      return "optional, comma-separated readable files";
    }
  }

  final class Origins implements ValueType<List<String>> {
    @Override
    public List<String> parse(String text) {
      return check(splitList(text));
    }

    @Override
    public List<String> check(List<String> value) {
      if (value == null || value.isEmpty()) {
        throw new Invalid("must be '*' or a comma-separated list of origins, got ''");
      }
      if (value.contains("*")) {
        if (value.size() != 1) {
          throw new Invalid("'*' cannot be combined with other origins");
        }
        return List.of("*");
      }
      List<String> out = new ArrayList<>();
      for (String origin : value) {
        String normalized = normalizeOrigin(origin);
        if (!out.contains(normalized)) {
          out.add(normalized);
        }
      }
      return List.copyOf(out);
    }

    static String normalizeOrigin(String origin) {
      Invalid invalid =
          new Invalid("must be '*' or origins like https://school.example, got '" + origin + "'");
      if (origin == null) {
        throw invalid;
      }
      URI uri;
      try {
        uri = new URI(origin.strip());
      } catch (URISyntaxException e) {
        throw invalid;
      }
      String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
      boolean emptyPath = uri.getRawPath() == null || uri.getRawPath().isEmpty();
      if (!("http".equals(scheme) || "https".equals(scheme))
          || uri.getHost() == null
          || uri.getRawUserInfo() != null
          || !emptyPath
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        throw invalid;
      }
      int port = uri.getPort();
      boolean defaultPort =
          port == -1 || ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
      return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    @Override
    public String format(List<String> value) {
      return String.join(",", value);
    }

    @Override
    public String rule() {
      return "'*' or comma-separated origins";
    }
  }

  final class EnumType<E extends Enum<E>> implements ValueType<E> {
    final Class<E> type;
    final boolean lowerCase;

    EnumType(Class<E> type, boolean lowerCase) {
      this.type = type;
      this.lowerCase = lowerCase;
    }

    private String names() {
      return Arrays.stream(type.getEnumConstants())
          .map(this::format)
          .collect(Collectors.joining(", "));
    }

    @Override
    public E parse(String text) {
      for (E constant : type.getEnumConstants()) {
        if (constant.name().equalsIgnoreCase(text)) {
          return constant;
        }
      }
      throw new Invalid("must be one of " + names() + ", got '" + text + "'");
    }

    @Override
    public E check(E value) {
      if (value == null) {
        throw new Invalid("must be one of " + names() + ", got nothing");
      }
      return value;
    }

    @Override
    public String format(E value) {
      return lowerCase ? value.name().toLowerCase(Locale.ROOT) : value.name();
    }

    @Override
    public String rule() {
      return String.join(
          " | ",
          Arrays.stream(type.getEnumConstants()).map(this::format).toArray(String[]::new));
    }
  }

  final class BoolType implements ValueType<Boolean> {
    @Override
    public Boolean parse(String text) {
      switch (text.toLowerCase(Locale.ROOT)) {
        case "true":
        case "yes":
        case "on":
        case "1":
          return true;
        case "false":
        case "no":
        case "off":
        case "0":
          return false;
        default:
          throw new Invalid("must be true or false, got '" + text + "'");
      }
    }

    @Override
    public Boolean check(Boolean value) {
      if (value == null) {
        throw new Invalid("must be true or false, got nothing");
      }
      return value;
    }

    @Override
    public String format(Boolean value) {
      return String.valueOf(value);
    }

    @Override
    public String rule() {
      return "true | false";
    }

    @Override
    public boolean isFlag() {
      return true;
    }
  }

  /** Splits a comma-separated list, trimming items and dropping empty ones. */
  static List<String> splitList(String text) {
    List<String> out = new ArrayList<>();
    for (String part : text.split(",")) {
      String item = part.strip();
      if (!item.isEmpty()) {
        out.add(item);
      }
    }
    return out;
  }
}
