package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code store-url=jdbc:sqlite:<file>} puts the SQLite store in that file, not in data-dir. */
@Timeout(60)
class StoreSelectionIT {
  @TempDir Path dir;

  @Test
  void sqliteStoreUrlUsesThatFile() {
    Path file = dir.resolve("db/rooms.db");
    Path data = dir.resolve("data");
    try (TestServer s = new TestServer(data, b -> b.storeUrl("jdbc:sqlite:" + file))) {
      s.createRoom("r1");
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        tina.join("r1");
        assertEquals(1, tina.post("r1", "hello").getSeq());
      }
      assertTrue(Files.isRegularFile(file));
      assertFalse(Files.exists(data.resolve("ponte.db")));
      s.stop();
      s.start();
      try (TestClient tina = s.user("tina", "r1", Role.TEACHER)) {
        assertEquals(1, tina.join("r1").getSeq());
      }
    }
  }
}
