package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.LeftReason;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.Welcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin HTTP API on a real node. */
@Timeout(60)
class AdminApiIT {
  @TempDir
  Path dir;

  private static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  private static void assertError(int status, String code, HttpResponse<String> r) {
    assertEquals(status, r.statusCode(), r::body);
    JsonObject body = json(r);
    assertEquals(code, body.getString("code"), r::body);
    assertFalse(body.getString("message", "").isBlank(), "an error names what is wrong: " + r.body());
  }

  @Test
  void everyCallNeedsTheAdminTokenOrAnAdminJwt() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      for (String path : List.of("/admin/rooms", "/admin/rooms/r1")) {
        assertError(401, "UNAUTHORIZED", s.http("GET", path, null, null));
        assertError(401, "UNAUTHORIZED", s.http("GET", path, null, "Bearer wrong-token-0123456789"));
        assertError(401, "UNAUTHORIZED", s.http("GET", path, null, TestServer.ADMIN_TOKEN));
        assertError(401, "UNAUTHORIZED", s.http("GET", path, null, "Basic " + TestServer.ADMIN_TOKEN));
      }
      assertError(401, "UNAUTHORIZED",
          s.http("POST", "/admin/rooms", new JsonObject().put("id", "x").put("title", "X").encode(), null));
      assertError(401, "UNAUTHORIZED", s.http("POST", "/admin/rooms/r1/close", "", null));
      assertError(401, "UNAUTHORIZED", s.http("POST", "/admin/tokens", "{}", "Bearer nope-nope-nope-nope"));
      // An ordinary participant's token is not an admin credential.
      String teacher = s.token("ana", "Ana", "*", Role.TEACHER);
      assertError(401, "UNAUTHORIZED", s.http("GET", "/admin/rooms", null, "Bearer " + teacher));

      assertEquals(200, s.admin("GET", "/admin/rooms", null).statusCode());
      String adminJwt = s.server().issuer().mint("it-staff", "IT staff", Map.of(), Duration.ofMinutes(5), true);
      HttpResponse<String> r = s.http("GET", "/admin/rooms/r1", null, "Bearer " + adminJwt);
      assertEquals(200, r.statusCode(), r::body);
      assertEquals("r1", json(r).getString("id"));
      // The rooms stayed unchanged by the refused calls.
      assertFalse(json(r).getBoolean("closed"));
      assertEquals(1, json(s.admin("GET", "/admin/rooms", null)).getJsonArray("rooms").size());
    }
  }

  @Test
  void createRoomValidatesItsInput() {
    try (TestServer s = new TestServer(dir)) {
      Map<String, String> bad = new HashMap<>();
      bad.put("star in id", new JsonObject().put("id", "r*").put("title", "T").encode());
      bad.put("space in id", new JsonObject().put("id", "room one").put("title", "T").encode());
      bad.put("colon in id", new JsonObject().put("id", "nl:pl").put("title", "T").encode());
      bad.put("slash in id", new JsonObject().put("id", "nl/pl").put("title", "T").encode());
      bad.put("no id", new JsonObject().put("title", "T").encode());
      bad.put("numeric id", new JsonObject().put("id", 7).put("title", "T").encode());
      bad.put("empty title", new JsonObject().put("id", "r1").put("title", "").encode());
      bad.put("blank title", new JsonObject().put("id", "r1").put("title", "   ").encode());
      bad.put("no title", new JsonObject().put("id", "r1").encode());
      bad.put("bad language", new JsonObject().put("id", "r1").put("title", "T")
          .put("languages", new JsonArray().add("nl").add("not a tag!")).encode());
      bad.put("too many participants", new JsonObject().put("id", "r1").put("title", "T")
          .put("maxParticipants", 501).encode());
      bad.put("negative participants", new JsonObject().put("id", "r1").put("title", "T")
          .put("maxParticipants", -1).encode());
      // uint32 fields read unsigned: 4294967295 is not -1 (once a room erased at the next sweep).
      bad.put("retention beyond uint32 sign", new JsonObject().put("id", "r1").put("title", "T")
          .put("retentionDays", 4294967295L).encode());
      bad.put("retention too long", new JsonObject().put("id", "r1").put("title", "T")
          .put("retentionDays", 3651).encode());
      bad.put("participants beyond uint32 sign", new JsonObject().put("id", "r1").put("title", "T")
          .put("maxParticipants", 4294967295L).encode());
      bad.put("unknown field", new JsonObject().put("id", "r1").put("title", "T")
          .put("colour", "blue").encode());
      bad.put("not json", "id=r1&title=T");
      bad.put("json array", "[]");
      bad.put("empty body", "");
      for (Map.Entry<String, String> e : bad.entrySet()) {
        HttpResponse<String> r = s.admin("POST", "/admin/rooms", e.getValue());
        assertEquals(400, r.statusCode(), () -> e.getKey() + ": " + r.body());
        assertEquals("INVALID_REQUEST", json(r).getString("code"), e.getKey());
      }
      // None of them created a room.
      assertEquals(0, json(s.admin("GET", "/admin/rooms", null)).getJsonArray("rooms").size());

      JsonObject created = s.createRoom(new JsonObject().put("id", "nl-pl.exchange-week_1")
          .put("title", "  Exchange week 1 ").put("languages", new JsonArray().add("NL").add("pt-br"))
          .put("maxParticipants", 500));
      assertEquals("nl-pl.exchange-week_1", created.getString("id"));
      assertFalse(created.getString("epoch", "").isEmpty());
      JsonObject settings = created.getJsonObject("settings");
      assertEquals("Exchange week 1", settings.getString("title"));
      assertEquals(new JsonArray().add("nl").add("pt-BR"), settings.getJsonArray("languages"));
      assertEquals(500, settings.getInteger("maxParticipants"));

      HttpResponse<String> dup = s.admin("POST", "/admin/rooms",
          new JsonObject().put("id", "nl-pl.exchange-week_1").put("title", "Again").encode());
      assertError(409, "ROOM_EXISTS", dup);
      // The first room's settings were not replaced.
      assertEquals("Exchange week 1", json(s.admin("GET", "/admin/rooms/nl-pl.exchange-week_1", null))
          .getJsonObject("settings").getString("title"));
    }
  }

  @Test
  void listAndDetailsShowRoomsParticipantsSeqAndEpoch() {
    try (TestServer s = new TestServer(dir)) {
      JsonObject r1 = s.createRoom("r1");
      s.createRoom("r2");
      JsonArray rooms = json(s.admin("GET", "/admin/rooms", null)).getJsonArray("rooms");
      assertEquals(2, rooms.size());
      Map<String, JsonObject> byId = new HashMap<>();
      for (int i = 0; i < rooms.size(); i++) {
        byId.put(rooms.getJsonObject(i).getString("id"), rooms.getJsonObject(i));
      }
      assertEquals("Room r1", byId.get("r1").getJsonObject("settings").getString("title"));
      assertEquals(r1.getString("epoch"), byId.get("r1").getString("epoch"));
      assertNotNull(byId.get("r2"));

      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT);
          TestClient boTab2 = s.user("bo", "r1", Role.STUDENT);
          TestClient olga = s.user("olga", "r1", Role.OBSERVER)) {
        for (TestClient c : List.of(ana, bo, boTab2, olga)) {
          c.join("r1");
        }
        ana.post("r1", "one");
        bo.post("r1", "two");
        JsonObject d = json(s.admin("GET", "/admin/rooms/r1", null));
        assertEquals("r1", d.getString("id"));
        assertEquals(2L, d.getLong("seq"));
        assertEquals(r1.getString("epoch"), d.getString("epoch"));
        assertEquals(4, d.getInteger("connections"));
        assertFalse(d.getBoolean("locked"));
        assertFalse(d.getBoolean("closed"));
        Map<String, JsonObject> people = new HashMap<>();
        JsonArray list = d.getJsonArray("participants");
        for (int i = 0; i < list.size(); i++) {
          people.put(list.getJsonObject(i).getString("userId"), list.getJsonObject(i));
        }
        assertEquals(3, people.size(), d::encode);
        assertEquals("teacher", people.get("ana").getString("role"));
        assertEquals("student", people.get("bo").getString("role"));
        assertEquals(2, people.get("bo").getInteger("connections"));
        assertEquals("observer", people.get("olga").getString("role"));
        assertEquals("User ana", people.get("ana").getString("displayName"));

        assertTrue(json(s.admin("GET", "/admin/rooms", null)).getJsonArray("rooms").stream()
            .map(o -> (JsonObject) o).anyMatch(o -> o.getString("id").equals("r1") && o.getBoolean("loaded")));
      }
      assertError(404, "ROOM_NOT_FOUND", s.admin("GET", "/admin/rooms/nope", null));
    }
  }

  @Test
  void closeRoomTakesEveryoneOutAndKeepsTheData() {
    try (TestServer s = new TestServer(dir)) {
      JsonObject created = s.createRoom("r1");
      s.createRoom("r2");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "*", Role.STUDENT)) {
        ana.join("r1");
        bo.join("r1");
        bo.join("r2");
        ana.post("r1", "before the close");
        HttpResponse<String> r = s.admin("POST", "/admin/rooms/r1/close", null);
        assertEquals(200, r.statusCode(), r::body);
        assertTrue(json(r).getBoolean("closed"));
        assertEquals(2L, json(r).getLong("seq"));

        for (TestClient c : List.of(ana, bo)) {
          assertEquals(1, c.nextEvent("r1").getSeq());
          Event closed = c.nextEvent("r1");
          assertEquals(2, closed.getSeq());
          assertTrue(closed.hasRoomClosed(), closed::toString);
          ServerMessage left = c.await(m -> m.hasLeft(), "left");
          assertEquals("r1", left.getLeft().getRoomId());
          assertEquals(LeftReason.LEFT_ROOM_CLOSED, left.getLeft().getReason());
        }
        // ana was only in r1: closed with ROOM_CLOSED; bo stays for r2.
        assertTrue(ana.receives(m -> m.hasGoodbye()
            && m.getGoodbye().getCloseCode() == CloseCode.ROOM_CLOSED.code(), Duration.ofSeconds(5)));
        assertEquals(CloseCode.ROOM_CLOSED.code(), ana.awaitClose());
        bo.assertOpen();
        assertEquals(1, bo.post("r2", "r2 is still open").getSeq());

        assertEquals(ErrorCode.ROOM_ENDED, TestClient.error(bo.joinRaw("r1", 0, "")).getCode());
        try (TestClient eve = s.user("eve", "r1", Role.TEACHER)) {
          assertEquals(ErrorCode.ROOM_ENDED, TestClient.error(eve.joinRaw("r1", 0, "")).getCode());
        }
        // Closing twice is refused; the data is still there.
        assertError(409, "ROOM_ENDED", s.admin("POST", "/admin/rooms/r1/close", null));
        JsonObject d = json(s.admin("GET", "/admin/rooms/r1", null));
        assertTrue(d.getBoolean("closed"));
        assertTrue(d.getBoolean("ended"));
        assertEquals(2L, d.getLong("seq"));
        assertEquals(created.getString("epoch"), d.getString("epoch"));
        assertEquals(0, d.getJsonArray("participants").size());
        assertTrue(json(s.admin("GET", "/admin/rooms", null)).encode().contains("\"id\":\"r1\""));
      }
      assertError(404, "ROOM_NOT_FOUND", s.admin("POST", "/admin/rooms/nope/close", null));
    }
  }

  @Test
  void aRoomMayNotAskForMoreRetentionThanTheNodeAllows() {
    try (TestServer s = new TestServer(dir, b -> b.maxRetentionDays(30).defaultRetentionDays(30))) {
      HttpResponse<String> r = s.admin("POST", "/admin/rooms",
          new JsonObject().put("id", "long").put("title", "T").put("retentionDays", 31).encode());
      assertEquals(400, r.statusCode(), r::body);
      assertTrue(r.body().contains("max-retention-days"), r.body());
      assertEquals(30, s.createRoom(new JsonObject().put("id", "ok").put("title", "T").put("retentionDays", 30))
          .getJsonObject("settings").getInteger("retentionDays"));
    }
  }

  @Test
  void mintedTokensWorkOnTheWebSocket() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      HttpResponse<String> r = s.admin("POST", "/admin/tokens", new JsonObject()
          .put("userId", "zed").put("name", "Zed").put("rooms", new JsonObject().put("r1", "student"))
          .put("ttlSeconds", 600).encode());
      assertEquals(200, r.statusCode(), r::body);
      String token = json(r).getString("token");
      long expiresAt = json(r).getLong("expiresAt");
      long now = System.currentTimeMillis() / 1000;
      assertTrue(expiresAt > now + 500 && expiresAt <= now + 601, "expiresAt " + expiresAt);
      try (TestClient zed = s.client()) {
        Welcome w = zed.hello(token);
        assertEquals("zed", w.getUser().getUserId());
        assertEquals("Zed", w.getUser().getDisplayName());
        Joined j = zed.join("r1");
        assertEquals(Role.STUDENT, j.getRole());
        assertEquals(1, zed.post("r1", "hi").getSeq());
      }
      HttpResponse<String> grouped = s.admin("POST", "/admin/tokens", new JsonObject()
          .put("userId", "yan").put("name", "Yan").put("rooms", new JsonObject().put("r1", "student"))
          .put("groups", new JsonObject().put("school", "krakow")).encode());
      assertEquals(200, grouped.statusCode(), grouped::body);
      assertEquals(Map.of("school", "krakow"), new io.ponte.server.auth.TokenVerifier(s.server().keys())
          .verify(json(grouped).getString("token")).groups());

      Map<String, JsonObject> bad = new HashMap<>();
      JsonObject good = new JsonObject().put("userId", "zed").put("name", "Zed")
          .put("rooms", new JsonObject().put("r1", "student"));
      bad.put("bad role", good.copy().put("rooms", new JsonObject().put("r1", "headmaster")));
      bad.put("role not a string", good.copy().put("rooms", new JsonObject().put("r1", 1)));
      bad.put("ttl zero", good.copy().put("ttlSeconds", 0));
      bad.put("ttl negative", good.copy().put("ttlSeconds", -5));
      bad.put("ttl too long", good.copy().put("ttlSeconds", 365L * 24 * 3600));
      // token-max-lifetime-hours (24 by default): the server would refuse the token it minted.
      bad.put("ttl beyond the token lifetime", good.copy().put("ttlSeconds", 24 * 3600 + 1));
      bad.put("ttl not a number", good.copy().put("ttlSeconds", "soon"));
      bad.put("no user", good.copy().put("userId", (String) null));
      bad.put("no name", good.copy().put("name", (String) null));
      bad.put("bad group key", good.copy().put("groups", new JsonObject().put("School", "lyon")));
      bad.put("group not a string", good.copy().put("groups", new JsonObject().put("school", 3)));
      bad.put("groups not an object", good.copy().put("groups", "lyon"));
      for (Map.Entry<String, JsonObject> e : bad.entrySet()) {
        HttpResponse<String> res = s.admin("POST", "/admin/tokens", e.getValue().encode());
        assertEquals(400, res.statusCode(), () -> e.getKey() + ": " + res.body());
        assertEquals("INVALID_REQUEST", json(res).getString("code"), e.getKey());
      }
      assertTrue(json(s.admin("POST", "/admin/tokens", bad.get("bad role").encode()))
          .getString("message").contains("role"));
      assertTrue(json(s.admin("POST", "/admin/tokens", bad.get("ttl zero").encode()))
          .getString("message").contains("ttl"));
      assertError(400, "INVALID_REQUEST", s.admin("POST", "/admin/tokens", "not json"));
    }
  }
}
