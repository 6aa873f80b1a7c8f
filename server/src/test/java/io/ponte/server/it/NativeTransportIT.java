package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Ack;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The node runs on Netty's native epoll where the server jar ships it, NIO elsewhere. */
@Timeout(60)
class NativeTransportIT {
  /** os.arch of the platforms whose epoll library server/pom.xml bundles. */
  private static final Set<String> EPOLL_ARCHES = Set.of("amd64", "x86_64", "aarch64");

  @TempDir
  Path dir;

  static String expectedTransport() {
    boolean linux = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux");
    return linux && EPOLL_ARCHES.contains(System.getProperty("os.arch")) ? "epoll" : "nio";
  }

  @Test
  void clientsChatOverTheNativeTransport() {
    try (TestServer s = new TestServer(dir)) {
      assertEquals(expectedTransport(), s.server().ioTransport(),
          () -> "native transport unavailable: " + s.server().vertx().unavailableNativeTransportCause());
      s.createRoom("epoll");
      try (TestClient ana = s.user("ana", "epoll", Role.TEACHER);
          TestClient bo = s.user("bo", "epoll", Role.STUDENT, WireFormat.JSON)) {
        ana.join("epoll");
        bo.join("epoll");
        Ack ack = ana.post("epoll", "over " + s.server().ioTransport());
        assertEquals(1, ack.getSeq());
        Ack reply = bo.post("epoll", "heard");
        assertEquals(2, reply.getSeq());
        for (TestClient c : new TestClient[] {ana, bo}) {
          Event first = c.nextEvent("epoll");
          assertEquals("over " + expectedTransport(), first.getChatPosted().getText());
          assertEquals("heard", c.nextEvent("epoll").getChatPosted().getText());
        }
      }
    }
  }
}
