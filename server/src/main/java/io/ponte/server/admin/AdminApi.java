package io.ponte.server.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.AuditPage;
import io.ponte.protocol.v1.Report;
import io.ponte.protocol.v1.CloseRoom;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Participant;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.server.audit.AuditRequests;
import io.ponte.server.auth.AdminAuth;
import io.ponte.server.auth.TokenIssuer;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.report.ReportsState;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.store.AuditQuery;
import io.ponte.server.store.RoomRecord;
import io.ponte.server.store.Store;
import io.ponte.server.store.StoreException;
import io.ponte.server.text.ChatText;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP API under /admin, for the institution's systems and IT staff: rooms (create,
 * list, details, close), token minting, the audit log and reports. Every call needs {@code Authorization: Bearer} with
 * the admin token or an admin JWT. Errors are JSON {@code {"code": "...", "message": "..."}} with
 * the same codes as the WebSocket protocol where one fits.
 */
public final class AdminApi {
  private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
  /** Room ids are what tokens' room patterns match, so no '*' and no spaces. */
  private static final int MAX_BODY_BYTES = 64 * 1024;
  private static final long MAX_TOKEN_TTL_SECONDS = 30L * 24 * 3600;
  /** Who the audit log names for admin API actions. */
  static final String ADMIN_ACTOR = "admin";

  private final PonteConfig config;
  private final AdminAuth adminAuth;
  private final TokenIssuer issuer;
  private final Store store;
  private final RoomRegistry rooms;
  private final Drain drain;

  /** @param issuer null when no HS256 secret is configured (token minting is then refused) */
  public AdminApi(PonteConfig config, AdminAuth adminAuth, TokenIssuer issuer, Store store,
      RoomRegistry rooms, Drain drain) {
    this.drain = drain;
    this.config = config;
    this.adminAuth = adminAuth;
    this.issuer = issuer;
    this.store = store;
    this.rooms = rooms;
  }

  public void mount(Router router) {
    router.route("/admin/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    router.route("/admin/*").handler(this::authorize);
    router.post("/admin/rooms").handler(this::createRoom);
    router.get("/admin/rooms").handler(this::listRooms);
    router.get("/admin/rooms/:id").handler(this::roomDetails);
    router.post("/admin/rooms/:id/close").handler(this::closeRoom);
    router.post("/admin/rooms/:id/docs").handler(this::createDocument);
    router.post("/admin/tokens").handler(this::mintToken);
    router.get("/admin/audit").handler(this::audit);
    router.get("/admin/rooms/:id/reports").handler(this::reports);
    router.get("/admin/retention").handler(this::retentionDryRun);
    router.post("/admin/drain").handler(this::drain);
    router.get("/admin/drain").handler(ctx -> json(ctx, 200, drain.status()));
  }

  /**
   * POST /admin/drain: takes the node out of service (see {@link Drain}); answers once drained, 200
   * with the counts, or 503 TIMED_OUT after drain-timeout-ms. A second call gets the same answer.
   */
  private void drain(RoutingContext ctx) {
    log.info("drain requested through the admin API");
    drain.start(config.drainCloseSpreadMs(), config.drainTimeoutMs()).onComplete(ar -> {
      Drain.Result r = ar.result();
      if (r.state() == Drain.State.DRAINED) {
        json(ctx, 200, r.toJson());
      } else {
        json(ctx, 503, r.toJson().put("code", "TIMED_OUT").put("message",
            "not drained within drain-timeout-ms (" + config.drainTimeoutMs() + " ms): "
                + r.socketsUnanswered() + " sockets closed before every write was answered"));
      }
    });
  }

  private void authorize(RoutingContext ctx) {
    if (!adminAuth.isAdmin(ctx.request().getHeader("Authorization"))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      fail(ctx, 401, "UNAUTHORIZED", "admin token required");
      return;
    }
    ctx.next();
  }

  private void createRoom(RoutingContext ctx) {
    JsonObject body = body(ctx);
    if (body == null) {
      return;
    }
    String id = body.getValue("id") instanceof String s ? s : null;
    if (!io.ponte.server.room.ResourceId.valid(id)) {
      fail(ctx, 400, "INVALID_REQUEST", "id: 1-128 characters of letters, digits, '.', '_' or '-'");
      return;
    }
    body.remove("id");
    if (body.getValue("lobby") instanceof String mode
        && java.util.Set.of("off", "guests", "everyone").contains(mode)) {
      body.put("lobby", "LOBBY_" + mode.toUpperCase(java.util.Locale.ROOT)); // the short spelling
    }
    RoomSettings.Builder settings = RoomSettings.newBuilder();
    try {
      JsonFormat.parser().merge(body.encode(), settings);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      fail(ctx, 400, "INVALID_REQUEST", "room settings: " + e.getMessage());
      return;
    }
    String problem = normalise(settings, body);
    if (problem != null) {
      fail(ctx, 400, "INVALID_REQUEST", problem);
      return;
    }
    RoomRecord record = new RoomRecord(id, UUID.randomUUID().toString(), System.currentTimeMillis(),
        settings.build());
    store.createRoom(record).onComplete(ar -> {
      if (ar.succeeded()) {
        log.info("room {} created", id);
        recordAdminAction(id, 0, "room.create", "");
        json(ctx, 201, roomJson(record));
      } else if (ar.cause() instanceof StoreException se && se.kind() == StoreException.Kind.ROOM_EXISTS) {
        fail(ctx, 409, "ROOM_EXISTS", "a room with this id exists");
      } else {
        fail(ctx, 503, "UNAVAILABLE", "store unavailable");
      }
    });
  }

  /** Fills defaults and checks limits; returns a problem description or null. */
  private String normalise(RoomSettings.Builder s, JsonObject body) {
    String title = s.getTitle().strip();
    if (title.isEmpty() || title.length() > 200) {
      return "title: 1-200 characters";
    }
    ChatText.Checked checkedTitle = ChatText.message(title);
    if (!checkedTitle.ok()) {
      return "title: " + checkedTitle.reason();
    }
    s.setTitle(checkedTitle.value());
    if (s.getLanguagesCount() > 20) {
      return "languages: at most 20";
    }
    for (int i = 0; i < s.getLanguagesCount(); i++) {
      ChatText.Checked lang = ChatText.language(s.getLanguages(i));
      if (!lang.ok() || lang.value().isEmpty()) {
        return "languages: '" + s.getLanguages(i) + "' is not a BCP 47 tag";
      }
      s.setLanguages(i, lang.value());
    }
    // uint32 fields: Java reads them signed, so 4294967295 would be -1 (and a room erased at the
    // next sweep); compare them unsigned.
    if (s.getMaxParticipants() == 0) {
      s.setMaxParticipants(config.defaultMaxParticipants());
    } else if (Integer.toUnsignedLong(s.getMaxParticipants()) > config.maxParticipants()) {
      return "maxParticipants: at most " + config.maxParticipants();
    }
    if (s.getRetentionDays() == 0) {
      s.setRetentionDays(config.defaultRetentionDays());
    } else if (Integer.toUnsignedLong(s.getRetentionDays()) > config.maxRetentionDays()) {
      return "retentionDays: at most " + config.maxRetentionDays() + " (max-retention-days)";
    }
    if (s.getLobby() == io.ponte.protocol.v1.LobbyMode.UNRECOGNIZED) {
      return "lobby: off, guests or everyone";
    }
    if (!body.containsKey("studentPermissions") && !body.containsKey("student_permissions")) {
      s.setStudentPermissions(Permissions.newBuilder().setChat(true).setWhiteboard(true).setDocuments(true));
    }
    return null;
  }

  private void listRooms(RoutingContext ctx) {
    store.rooms().onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, 503, "UNAVAILABLE", "store unavailable");
        return;
      }
      JsonArray list = new JsonArray();
      for (RoomRecord r : ar.result()) {
        list.add(roomJson(r).put("loaded", rooms.loadedRoom(r.roomId()) != null));
      }
      json(ctx, 200, new JsonObject().put("rooms", list));
    });
  }

  /**
   * What a retention sweep at {@code at} (epoch ms; default an hour from now, the longest until the
   * next hourly sweep) would erase, erasing nothing.
   */
  private void retentionDryRun(RoutingContext ctx) {
    List<String> values = ctx.queryParam("at");
    long now = System.currentTimeMillis();
    long at = now + 3_600_000L;
    if (values.size() > 1 || ctx.queryParams().names().stream().anyMatch(n -> !n.equals("at"))) {
      fail(ctx, 400, "INVALID_REQUEST", "only one query parameter: at (epoch milliseconds)");
      return;
    }
    if (values.size() == 1) {
      try {
        at = Long.parseLong(values.get(0));
      } catch (NumberFormatException e) {
        fail(ctx, 400, "INVALID_REQUEST", "at: epoch milliseconds");
        return;
      }
      if (at < 0 || at > now + 3651L * 86_400_000L) {
        fail(ctx, 400, "INVALID_REQUEST", "at: from 0 to 3651 days from now");
        return;
      }
    }
    long when = at;
    store.expiredRooms(when, config.maxRetentionDays()).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, 503, "UNAVAILABLE", "store unavailable");
        return;
      }
      json(ctx, 200, new JsonObject().put("at", when).put("rooms", new JsonArray(ar.result())));
    });
  }

  private void roomDetails(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    rooms.room(id).compose(Room::details).onComplete(ar -> {
      if (ar.failed()) {
        failRoom(ctx, ar.cause());
        return;
      }
      Room.RoomDetails d = ar.result();
      JsonArray people = new JsonArray();
      for (Participant p : d.participants()) {
        people.add(new JsonObject()
            .put("userId", p.getUserId())
            .put("displayName", p.getDisplayName())
            .put("role", p.getRole().name().toLowerCase(Locale.ROOT))
            .put("state", p.getState().name().toLowerCase(Locale.ROOT))
            .put("connections", p.getConnections()));
      }
      json(ctx, 200, new JsonObject()
          .put("id", d.roomId())
          .put("epoch", d.epoch())
          .put("seq", d.seq())
          .put("settings", settingsJson(d.settings()))
          .put("locked", d.locked())
          .put("ended", d.ended())
          .put("closed", d.closed())
          .put("connections", d.connections())
          .put("participants", people));
    });
  }

  private void closeRoom(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Operation close = Operation.newBuilder()
        .setActor(Actor.newBuilder().setUserId("admin").setDisplayName("Administrator")
            .setRole(Role.ROLE_UNSPECIFIED))
        .setCloseRoom(CloseRoom.getDefaultInstance())
        .build();
    rooms.room(id).compose(room -> room.submit(close)).onComplete(ar -> {
      if (ar.failed()) {
        failRoom(ctx, ar.cause());
      } else if (ar.result().rejection() != null) {
        fail(ctx, 409, ar.result().rejection().getCode().name(), ar.result().rejection().getMessage());
      } else {
        log.info("room {} closed by an administrator", id);
        json(ctx, 200, new JsonObject().put("id", id).put("closed", true).put("seq", ar.result().seq()));
      }
    });
  }

  /**
   * Prepares a document ahead of a session (LMS integrations): one sequenced DocCreate by the
   * actor "admin" with a teacher's rights, so it obeys doc-max-per-room like any other.
   */
  private void createDocument(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    JsonObject body = body(ctx);
    if (body == null) {
      return;
    }
    Object docId = body.getValue("docId");
    Object title = body.getValue("title", "");
    Object readOnly = body.getValue("studentsReadOnly", false);
    if (!(docId instanceof String d) || !io.ponte.server.room.ResourceId.valid(d)) {
      fail(ctx, 400, "INVALID_REQUEST", "docId: 1-128 characters of letters, digits, '.', '_' or '-'");
      return;
    }
    if (!(title instanceof String t) || (!t.isBlank() && !ChatText.message(t).ok())) {
      fail(ctx, 400, "INVALID_REQUEST", "title: a string of at most 200 characters");
      return;
    }
    String cleanTitle = t.isBlank() ? d : ChatText.message(t).value();
    if (!(readOnly instanceof Boolean ro)) {
      fail(ctx, 400, "INVALID_REQUEST", "studentsReadOnly: true or false");
      return;
    }
    Operation create = Operation.newBuilder()
        .setActor(Actor.newBuilder().setUserId("admin").setDisplayName("Administrator")
            .setRole(Role.TEACHER))
        .setDocCreate(io.ponte.protocol.v1.DocCreate.newBuilder()
            .setRoomId(id).setDocId(d).setTitle(cleanTitle).setStudentsReadOnly(ro))
        .build();
    rooms.room(id).compose(room -> room.submit(create)).onComplete(ar -> {
      io.ponte.protocol.v1.ErrorInfo refused = ar.succeeded() ? ar.result().rejection()
          : ar.cause() instanceof RoomException re ? re.error() : null;
      if (ar.succeeded() && refused == null) {
        io.ponte.protocol.v1.DocumentInfo info = ar.result().event().getDocCreated().getDocument();
        if (ar.result().duplicateOf() == 0) {
          recordAdminAction(id, ar.result().seq(), "doc.create", "doc:" + info.getDocId());
        }
        json(ctx, 201, new JsonObject()
            .put("roomId", id)
            .put("docId", info.getDocId())
            .put("title", info.getTitle())
            .put("studentsReadOnly", info.getStudentsReadOnly())
            .put("seq", ar.result().seq()));
      } else if (refused != null) {
        int status = switch (refused.getCode()) {
          case ROOM_NOT_FOUND -> 404;
          case UNAVAILABLE -> 503;
          case INVALID_REQUEST -> 400;
          default -> 409;
        };
        fail(ctx, status, refused.getCode().name(), refused.getMessage());
      } else {
        failRoom(ctx, ar.cause());
      }
    });
  }

  /**
   * Records an admin API action in the room's audit log. A room operation's entry has its seq
   * (once per seq, like the room's own entries); one outside the room's sequence has seq 0.
   */
  private void recordAdminAction(String roomId, long seq, String action, String target) {
    store.appendAudit(AuditEntry.newBuilder()
        .setRoomId(roomId)
        .setSeq(seq)
        .setTimeMs(System.currentTimeMillis())
        .setActorUserId(ADMIN_ACTOR)
        .setActorName("Administrator")
        .setActorRole(Room.roleName(Role.ROLE_UNSPECIFIED))
        .setAction(action)
        .setTarget(target)
        .build())
        .onFailure(err -> log.warn("room {}: cannot record the admin action {}: {}", roomId, action,
            err.toString()));
  }

  /** GET /admin/audit: the audit log, newest first, filtered and paged by entry id. */
  private void audit(RoutingContext ctx) {
    AuditQuery query;
    try {
      query = AuditParams.parse(ctx.queryParams());
    } catch (IllegalArgumentException e) {
      fail(ctx, 400, "AUDIT_QUERY_INVALID", e.getMessage());
      return;
    }
    int limit = query.limit() - 1; // read with one more: whether a next page follows
    store.audit(query).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, 503, "UNAVAILABLE", "store unavailable");
        return;
      }
      AuditPage page = AuditRequests.page(query.roomId() == null ? "" : query.roomId(), ar.result(), limit);
      JsonArray entries = new JsonArray();
      for (AuditEntry e : page.getEntriesList()) {
        entries.add(new JsonObject()
            .put("id", e.getId())
            .put("roomId", e.getRoomId())
            .put("seq", e.getSeq())
            .put("timeMs", e.getTimeMs())
            .put("actorUserId", e.getActorUserId())
            .put("actorName", e.getActorName())
            .put("actorRole", e.getActorRole())
            .put("action", e.getAction())
            .put("targetUserId", e.getTargetUserId())
            .put("target", e.getTarget())
            .put("detail", e.getDetail()));
      }
      json(ctx, 200, new JsonObject().put("entries", entries)
          .put("nextCursor", page.getNextCursor() == 0 ? null : String.valueOf(page.getNextCursor())));
    });
  }

  /** GET /admin/rooms/{id}/reports: the room's reports, oldest first, with their copies. */
  private void reports(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    rooms.room(id).compose(room -> room.read(state -> state.feature(ReportsState.class).all()))
        .onComplete(ar -> {
          if (ar.failed()) {
            failRoom(ctx, ar.cause());
            return;
          }
          JsonArray list = new JsonArray();
          try {
            for (Report r : ar.result()) {
              list.add(new JsonObject(JsonFormat.printer().print(r)));
            }
          } catch (InvalidProtocolBufferException e) {
            failRoom(ctx, e);
            return;
          }
          json(ctx, 200, new JsonObject().put("roomId", id).put("reports", list));
        });
  }

  private void mintToken(RoutingContext ctx) {
    if (issuer == null) {
      fail(ctx, 409, "NO_SIGNING_SECRET", "no HS256 secret is configured, so this server cannot mint tokens");
      return;
    }
    JsonObject body = body(ctx);
    if (body == null) {
      return;
    }
    try {
      String userId = body.getString("userId");
      String name = body.getString("name");
      long ttl = body.getLong("ttlSeconds", 3600L);
      long maxTtl = Math.min(MAX_TOKEN_TTL_SECONDS, config.tokenMaxLifetimeHours() * 3600L);
      if (ttl < 1 || ttl > maxTtl) {
        fail(ctx, 400, "INVALID_REQUEST", "ttlSeconds: 1 to " + maxTtl + " (token-max-lifetime-hours)");
        return;
      }
      JsonObject roomsJson = body.getJsonObject("rooms", new JsonObject());
      Map<String, Role> grants = new LinkedHashMap<>();
      for (String pattern : roomsJson.fieldNames()) {
        Object role = roomsJson.getValue(pattern);
        Role r = role instanceof String s ? roleOf(s) : null;
        if (r == null) {
          fail(ctx, 400, "INVALID_REQUEST", "rooms: role must be teacher, student or observer");
          return;
        }
        grants.put(pattern, r);
      }
      boolean admin = body.getBoolean("admin", false);
      boolean guest = body.getBoolean("guest", false);
      JsonObject groupsJson = body.getJsonObject("groups", new JsonObject());
      Map<String, String> groups = new LinkedHashMap<>();
      for (String key : groupsJson.fieldNames()) {
        if (!(groupsJson.getValue(key) instanceof String value)) {
          fail(ctx, 400, "INVALID_REQUEST", "groups: values are strings");
          return;
        }
        groups.put(key, value);
      }
      String token = issuer.mint(userId, name, grants, Duration.ofSeconds(ttl), admin, guest, groups);
      json(ctx, 200, new JsonObject().put("token", token)
          .put("expiresAt", System.currentTimeMillis() / 1000 + ttl));
    } catch (ClassCastException | IllegalArgumentException | NullPointerException e) {
      fail(ctx, 400, "INVALID_REQUEST", e.getMessage() == null ? "bad token request" : e.getMessage());
    }
  }

  static Role roleOf(String s) {
    return switch (s) {
      case "teacher" -> Role.TEACHER;
      case "student" -> Role.STUDENT;
      case "observer" -> Role.OBSERVER;
      default -> null;
    };
  }

  private static JsonObject body(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        fail(ctx, 400, "INVALID_REQUEST", "a JSON object body is required");
      }
      return body;
    } catch (DecodeException | ClassCastException e) {
      fail(ctx, 400, "INVALID_REQUEST", "body is not a JSON object");
      return null;
    }
  }

  private static JsonObject roomJson(RoomRecord r) {
    return new JsonObject()
        .put("id", r.roomId())
        .put("epoch", r.epoch())
        .put("createdMs", r.createdMs())
        .put("settings", settingsJson(r.settings()));
  }

  private static JsonObject settingsJson(RoomSettings s) {
    try {
      return new JsonObject(JsonFormat.printer().includingDefaultValueFields().print(s));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void failRoom(RoutingContext ctx, Throwable cause) {
    if (cause instanceof RoomException re) {
      int status = switch (re.error().getCode()) {
        case ROOM_NOT_FOUND -> 404;
        case UNAVAILABLE -> 503;
        default -> 409;
      };
      fail(ctx, status, re.error().getCode().name(), re.error().getMessage());
    } else {
      log.warn("admin request failed: {}", cause.toString());
      fail(ctx, 500, "INTERNAL", "internal error");
    }
  }

  private static void fail(RoutingContext ctx, int status, String code, String message) {
    json(ctx, status, new JsonObject().put("code", code).put("message", message));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(body.encode());
  }
}
