package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.EndSession;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.TeacherAction;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class RetentionIT {
  private static final long DAY_MS = 86_400_000L;

  @TempDir
  Path dir;

  @Test
  void endedRoomIsErasedOnlyAfterItsRetentionPeriod() throws Exception {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom(new JsonObject().put("id", "short").put("title", "Short").put("retentionDays", 2));
      s.createRoom(new JsonObject().put("id", "open").put("title", "Still running").put("retentionDays", 1));
      try (TestClient teacher = s.user("t", "*", Role.TEACHER)) {
        teacher.join("short");
        teacher.post("short", "homework: read chapter 3");
        TestClient.ack(teacher.request(ClientMessage.newBuilder().setTeacherAction(
            TeacherAction.newBuilder().setRoomId("short").setEndSession(EndSession.getDefaultInstance()))));
      }
      // The end is recorded asynchronously after the ack; wait until the store has it.
      long now = System.currentTimeMillis();
      assertEquals(List.of(), sweep(s, now + DAY_MS));
      List<String> erased = List.of();
      for (int i = 0; i < 50 && erased.isEmpty(); i++) {
        erased = sweep(s, now + 3 * DAY_MS);
        if (erased.isEmpty()) {
          Thread.sleep(100);
        }
      }
      assertEquals(List.of("short"), erased);
      assertEquals(404, s.admin("GET", "/admin/rooms/short", null).statusCode());
      // A room whose session never ended is kept, however old.
      assertEquals(200, s.admin("GET", "/admin/rooms/open", null).statusCode());
      assertEquals(List.of(), sweep(s, now + 365 * DAY_MS));
    }
  }

  private static List<String> sweep(TestServer s, long nowMs) throws Exception {
    return s.server().sweepRetention(nowMs).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
