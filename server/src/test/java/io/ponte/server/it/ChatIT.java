package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Joined;
import io.ponte.protocol.v1.Role;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ChatIT {
  @TempDir
  Path dir;

  @Test
  void twoClientsSeeTheSameMessagesInTheSameOrder() {
    try (TestServer s = new TestServer(dir)) {
      s.createRoom("r1");
      try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
          TestClient bo = s.user("bo", "r1", Role.STUDENT, WireFormat.JSON)) {
        Joined j = ana.join("r1");
        assertTrue(j.getReset());
        assertEquals(0, j.getSeq());
        bo.join("r1");
        List<Long> acked = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          TestClient sender = i % 2 == 0 ? ana : bo;
          Ack ack = sender.post("r1", "message " + i);
          acked.add(ack.getSeq());
        }
        for (TestClient c : List.of(ana, bo)) {
          List<String> texts = new ArrayList<>();
          long expected = 1;
          for (int i = 0; i < 20; i++) {
            Event e = c.nextEvent("r1");
            assertEquals(expected++, e.getSeq());
            texts.add(e.getChatPosted().getText());
          }
          for (int i = 0; i < 20; i++) {
            assertEquals("message " + i, texts.get(i));
          }
        }
        assertEquals(20, acked.size());
      }
    }
  }
}
