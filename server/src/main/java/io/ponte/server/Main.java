package io.ponte.server;

import io.ponte.protocol.v1.Role;
import io.ponte.server.auth.AuthKeys;
import io.ponte.server.auth.TokenIssuer;
import io.ponte.server.backup.BackupCommand;
import io.ponte.server.config.ConfigException;
import io.ponte.server.config.PonteConfig;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Command line: {@code serve} (the default) runs a node; {@code token} mints a token with the
 * node's HS256 secret; {@code backup} and {@code restore} copy the SQLite store. Configuration
 * flags work with all of them.
 */
public final class Main {
  private Main() {}

  public static void main(String[] argv) {
    List<String> args = new ArrayList<>(Arrays.asList(argv));
    String command = !args.isEmpty() && !args.get(0).startsWith("-") ? args.remove(0) : "serve";
    try {
      switch (command) {
        case "serve" -> serve(args);
        case "token" -> System.out.println(mint(args, false).token());
        case "link" -> link(args);
        case "backup" -> exitWith(BackupCommand.backup(args, System.getenv(), System.out, System.err));
        case "restore" -> exitWith(BackupCommand.restore(args, System.getenv(), System.out, System.err));
        case "help" -> System.out.println(usage());
        default -> {
          System.err.println("unknown command '" + command + "'\n\n" + usage());
          System.exit(2);
        }
      }
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("ponte: " + e.getMessage());
      System.exit(2);
    }
  }

  private static void exitWith(int code) {
    if (code != 0) {
      System.exit(code);
    }
  }

  private static String usage() {
    return """
        usage: java -jar ponte-server.jar [serve] [--setting value ...]
               java -jar ponte-server.jar token --room ROOM --role teacher|student|observer \\
                    --name NAME [--user USER_ID] [--ttl SECONDS] [--admin] [--group KEY=VALUE ...] \\
                    [--setting value ...]
               java -jar ponte-server.jar link --room ROOM --role teacher|student|observer \\
                    --name NAME [--user USER_ID] [--ttl SECONDS] [--base-url URL] [--group KEY=VALUE ...] \\
                    [--setting value ...]
                    (an invite link to the classroom app; the token rides in the URL fragment,
                    which browsers never send to a server)
        """ + BackupCommand.USAGE + """

        Settings (flag, environment variable, default):
        """ + PonteConfig.helpText();
  }

  private static void serve(List<String> args) {
    if (PonteConfig.helpRequested(args)) {
      System.out.println(usage());
      return;
    }
    PonteConfig config = PonteConfig.load(args, System.getenv());
    configureLogging(config);
    PonteServer server;
    try {
      server = PonteServer.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("ponte: cannot start: " + cause.getMessage());
      System.exit(1);
      return;
    }
    if (server.keys().generatedSecret()) {
      System.out.println("No jwt-secret configured: generated one in " + server.keys().secretFile()
          + " (mode 0600).\nMint a token with:\n  java -jar server/target/ponte-server.jar token"
          + " --data-dir " + config.dataDir() + " --room ROOM --role teacher --name NAME");
    }
    if (server.adminAuth().generatedToken()) {
      System.out.println("No admin-token configured: generated one in " + server.adminAuth().tokenFile()
          + " (mode 0600); send it as 'Authorization: Bearer <token>' to /admin.");
    }
    System.out.println("Ponte is listening on port " + server.port() + " (WebSocket at /ws).");
    if (server.keys().generatedSecret()) {
      // First start in embedded mode: one step from a fresh server to a classroom. Printed once,
      // to the console only (never to the log); later links come from the link command.
      String base = localBaseUrl(config.httpHost(), server.port());
      createDemoRoom(config, server);
      long hours = Math.min(8, config.tokenMaxLifetimeHours());
      String token = new TokenIssuer(server.keys()).mint("teacher-" + Long.toHexString(System.nanoTime()),
          "Teacher", Map.of(DEMO_ROOM, Role.TEACHER), Duration.ofHours(hours), false);
      System.out.println("Open a classroom as its teacher (link valid for " + hours + " hours):\n  "
          + inviteLink(base, DEMO_ROOM, token) + "\nInvite learners with links from:\n"
          + "  java -jar server/target/ponte-server.jar link --data-dir " + config.dataDir()
          + " --room " + DEMO_ROOM + " --role student --name NAME --base-url " + base);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.stop().toCompletionStage().toCompletableFuture()
            .get(config.shutdownGraceMs() + 10_000L, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        System.err.println("ponte: unclean shutdown: " + e);
      }
      stopped.countDown();
    }, "ponte-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The demo room the first-start teacher link opens. */
  static final String DEMO_ROOM = "demo";

  record Minted(String token, String room, String baseUrl) {}

  /** The demo room, through the node's own admin API (the same checks and defaults as for any room). */
  private static void createDemoRoom(PonteConfig config, PonteServer server) {
    try {
      String adminToken = config.adminToken().isPresent() ? config.adminToken().get()
          : Files.readString(server.adminAuth().tokenFile()).strip();
      String host = urlHost(config.httpHost(), "127.0.0.1");
      java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + host + ":" + server.port()
                  + "/admin/rooms"))
              .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
              .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                  "{\"id\":\"" + DEMO_ROOM + "\",\"title\":\"Demo classroom\",\"languages\":[\"en\"]}"))
              .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 201 && r.statusCode() != 409) {
        System.err.println("ponte: could not create the demo room: HTTP " + r.statusCode());
      }
    } catch (java.io.IOException e) {
      System.err.println("ponte: could not create the demo room: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void link(List<String> args) {
    Minted m = mint(args, true);
    if (m.room() == null || m.room().endsWith("*")) {
      throw new IllegalArgumentException("room: a link opens one room; give a room id, not a prefix");
    }
    System.out.println(inviteLink(m.baseUrl(), m.room(), m.token()));
  }

  /** {@code base#room=...&token=...}: the classroom app reads both from the fragment. */
  static String inviteLink(String baseUrl, String room, String token) {
    String base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
    return base + "#room=" + java.net.URLEncoder.encode(room, java.nio.charset.StandardCharsets.UTF_8)
        + "&token=" + token;
  }

  /** The host part of a URL reaching {@code httpHost}; {@code whenAny} for a wildcard address. */
  private static String urlHost(String httpHost, String whenAny) {
    boolean any = httpHost.equals("0.0.0.0") || httpHost.equals("::") || httpHost.equals("[::]");
    return any ? whenAny : httpHost.contains(":") && !httpHost.startsWith("[") ? "[" + httpHost + "]" : httpHost;
  }

  static String localBaseUrl(String httpHost, int port) {
    String host = urlHost(httpHost, "localhost");
    return "http://" + host + ":" + port + "/";
  }

  private static Minted mint(List<String> args, boolean link) throws IllegalArgumentException {
    Map<String, String> own = new LinkedHashMap<>();
    Map<String, String> groups = new LinkedHashMap<>();
    List<String> configArgs = new ArrayList<>();
    boolean admin = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      switch (name) {
        case "--room", "--role", "--name", "--user", "--ttl", "--base-url" -> {
          if (name.equals("--base-url") && !link) {
            throw new IllegalArgumentException("base-url: only for the link command");
          }
          String value;
          if (a.contains("=")) {
            value = a.substring(a.indexOf('=') + 1);
          } else if (i + 1 < args.size()) {
            value = args.get(++i);
          } else {
            throw new IllegalArgumentException(name.substring(2) + ": needs a value");
          }
          own.put(name.substring(2), value);
        }
        case "--group" -> {
          // --group school=lyon (repeatable): the token's groups claim, for breakouts by claim.
          String value = a.contains("=") ? a.substring(a.indexOf('=') + 1)
              : i + 1 < args.size() ? args.get(++i) : "";
          int eq = value.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("group: KEY=VALUE, e.g. school=lyon");
          }
          groups.put(value.substring(0, eq), value.substring(eq + 1));
        }
        case "--admin" -> {
          if (link) {
            throw new IllegalArgumentException("admin: an invite link opens one room, never the admin API");
          }
          admin = true;
        }
        default -> configArgs.add(a);
      }
    }
    PonteConfig config = PonteConfig.load(configArgs, System.getenv());
    String room = own.get("room");
    String roleName = own.getOrDefault("role", "student");
    String name = own.get("name");
    if (name == null) {
      throw new IllegalArgumentException("name: required (the display name)");
    }
    if (room == null && !admin) {
      throw new IllegalArgumentException("room: required (a room id, or a prefix ending in *)");
    }
    Role role = switch (roleName.toLowerCase(Locale.ROOT)) {
      case "teacher" -> Role.TEACHER;
      case "student" -> Role.STUDENT;
      case "observer" -> Role.OBSERVER;
      default -> throw new IllegalArgumentException("role: teacher, student or observer");
    };
    long ttl;
    try {
      ttl = Long.parseLong(own.getOrDefault("ttl", "3600"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ttl: seconds, got '" + own.get("ttl") + "'");
    }
    String user = own.getOrDefault("user", "u-" + Long.toHexString(Double.doubleToLongBits(Math.random())));
    try {
      io.ponte.server.util.OwnerOnly.directory(config.dataDir());
      AuthKeys keys = AuthKeys.load(config.dataDir(), config.jwtSecret().orElse(null),
          config.jwtPublicKeys(), config.jwtIssuer().orElse(null), config.jwtAudience().orElse(null),
          config.jwtJwksUrl().isPresent())
          .withMaxLifetime(config.tokenMaxLifetimeHours() * 3600L)
          .withDisplayNames(config.displayNames());
      if (!keys.hasSecret()) {
        throw new IllegalArgumentException("jwt-secret: this node verifies public-key tokens only;"
            + " mint tokens with the issuing system's private key");
      }
      Map<String, Role> rooms = room == null ? Map.of() : Map.of(room, role);
      String baseUrl = own.getOrDefault("base-url", localBaseUrl(config.httpHost(), config.httpPort()));
      if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
        throw new IllegalArgumentException("base-url: http:// or https:// URL, got '" + baseUrl + "'");
      }
      String token;
      try {
        token = new TokenIssuer(keys).mint(user, name, rooms, Duration.ofSeconds(ttl), admin, groups);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage().startsWith("groups") ? "group: " + e.getMessage() : e.getMessage());
      }
      return new Minted(token, room, baseUrl);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("data-dir: " + e.getMessage());
    }
  }

  private static void configureLogging(PonteConfig config) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", config.logLevel().configName());
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX");
  }
}
