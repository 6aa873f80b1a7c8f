package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.doc.YTextUpdates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Yjs fast path in one process, with the store's writes held (the test-only hold): a
 * document update reaches the other members before it is stored, its sender's Ack waits until
 * it is durable; any other operation is still delivered only once stored.
 */
@Timeout(60)
class FastPathIT {
  private static final String HOLD = "ponte.test.hold-store-writes-while-exists";

  @TempDir
  Path dir;

  @AfterEach
  void release() {
    System.clearProperty(HOLD);
  }

  @Test
  void documentUpdatesAreDeliveredBeforeTheyAreStoredAndAcknowledgedOnlyAfter() throws Exception {
    Path hold = dir.resolve("hold");
    System.setProperty(HOLD, hold.toString());
    try (TestServer s = new TestServer(dir.resolve("data"))) {
      s.createRoom("r1");
      YWebsocketIT.createDoc(s, "r1", "report");
      try (TestClient ana = s.user("ana", "r1", Role.STUDENT);
          TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
        ana.join("r1");
        bo.join("r1");
        YTextUpdates typing = new YTextUpdates(42, "t");
        // The first update records the room's crash epoch (in-process broker) and is durable.
        TestClient.ack(ana.request(update(typing.append("first "))));
        Files.createFile(hold);
        long id = ana.sendRequest(update(typing.append("second ")));
        assertTrue(bo.receives(m -> m.hasEvent() && m.getEvent().hasDocUpdated()
            && m.getEvent().getDocUpdated().getUpdate().toStringUtf8().contains("second"),
            Duration.ofSeconds(5)), "delivered while its store write is held");
        assertFalse(ana.receives(m -> m.getRequestId() == id, Duration.ofMillis(500)),
            "no Ack before it is durable");
        long post = ana.sendRequest(ClientMessage.newBuilder().setChatPost(
            ChatPost.newBuilder().setRoomId("r1").setText("seen implies stored")));
        assertFalse(bo.receives(m -> m.hasEvent() && m.getEvent().hasChatPosted(), Duration.ofMillis(500)),
            "a chat post waits for the store");
        Files.delete(hold);
        ServerMessage ack = ana.answer(id);
        assertTrue(ack.hasAck(), ack.toString());
        assertEquals(TestClient.ack(ana.answer(post)).getSeq(), ack.getAck().getSeq() + 1);
        bo.awaitEvent(e -> e.hasChatPosted(), "the post once stored");
      }
    }
  }

  private static ClientMessage.Builder update(byte[] u) {
    return ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
        .setRoomId("r1").setDocId("report").setUpdate(ByteString.copyFrom(u)));
  }
}
