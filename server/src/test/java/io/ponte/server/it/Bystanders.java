package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two well-behaved clients in their own room (a teacher posting, a student reading), used to show
 * that the node keeps serving others while some client misbehaves.
 */
final class Bystanders implements AutoCloseable {
  final String roomId;
  final TestClient poster;
  final TestClient reader;
  private final AtomicInteger checks = new AtomicInteger();

  Bystanders(TestServer s, String roomId) {
    this.roomId = roomId;
    s.createRoom(roomId);
    poster = s.user("poster-" + roomId, roomId, Role.TEACHER);
    reader = s.user("reader-" + roomId, roomId, Role.STUDENT);
    poster.join(roomId);
    reader.join(roomId);
  }

  /** The poster posts; the reader receives that post; both stay open. */
  void assertServed() {
    String text = "still served " + checks.incrementAndGet();
    Ack ack = poster.post(roomId, text);
    Event e = reader.awaitEvent(ev -> ev.getRoomId().equals(roomId) && ev.hasChatPosted()
        && ev.getChatPosted().getText().equals(text), "bystander post '" + text + "'");
    assertEquals(ack.getSeq(), e.getSeq());
    assertTrue(!poster.isClosed() && !reader.isClosed(), "bystanders must stay connected");
  }

  @Override
  public void close() {
    poster.close();
    reader.close();
  }
}
