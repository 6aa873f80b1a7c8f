package io.ponte.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.FrameCodec;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.outbound.OutboundMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedBatchesTest {

  private static OutboundMessage event(long seq) {
    return OutboundMessage.event(Event.newBuilder().setRoomId("r").setSeq(seq)
        .setServerTimeMs(1000 + seq)
        .setChatPosted(ChatMessage.newBuilder().setSeq(seq).setText("m" + seq)).build());
  }

  private static List<ServerMessage> items(ServerMessage batch) {
    assertTrue(batch.hasBatch());
    return batch.getBatch().getMessagesList();
  }

  private static List<ServerMessage> expected(OutboundMessage... messages) {
    List<ServerMessage> out = new ArrayList<>();
    for (OutboundMessage m : messages) {
      out.add(m.message());
    }
    return out;
  }

  @Test
  void connectionsWithTheSameMessagesShareOneFrame() throws Exception {
    OutboundMessage a = event(1);
    OutboundMessage b = event(2);
    OutboundMessage c = event(3);
    byte[] first = SharedBatches.binary(new ArrayList<>(List.of(a, b, c)));
    assertFalse(SharedBatches.lastWasShared());
    byte[] second = SharedBatches.binary(new ArrayList<>(List.of(a, b, c)));
    assertTrue(SharedBatches.lastWasShared());
    assertSame(first, second);
    assertEquals(expected(a, b, c), items(FrameCodec.decodeServer(first)));

    String json = SharedBatches.json(List.of(a, b, c));
    assertFalse(SharedBatches.lastWasShared(), "another format is another frame");
    assertSame(json, SharedBatches.json(List.of(a, b, c)));
    assertEquals(expected(a, b, c), items(FrameCodec.decodeServer(json)));
  }

  @Test
  void otherMessagesOrAnotherOrderGetTheirOwnFrame() throws Exception {
    OutboundMessage a = event(1);
    OutboundMessage b = event(2);
    OutboundMessage equalToB = event(2);
    byte[] ab = SharedBatches.binary(List.of(a, b));
    byte[] ba = SharedBatches.binary(List.of(b, a));
    assertNotSame(ab, ba);
    assertEquals(expected(b, a), items(FrameCodec.decodeServer(ba)));
    byte[] abc = SharedBatches.binary(List.of(a, b, event(3)));
    assertEquals(3, items(FrameCodec.decodeServer(abc)).size());
    // Equal content but another message: matched by identity only, never by comparing bytes.
    SharedBatches.binary(List.of(a, equalToB));
    assertFalse(SharedBatches.lastWasShared());
  }

  @Test
  void olderFramesGiveWayToNewerOnes() throws Exception {
    OutboundMessage a = event(1);
    OutboundMessage b = event(2);
    byte[] first = SharedBatches.binary(List.of(a, b));
    for (long seq = 10; seq < 30; seq++) {
      SharedBatches.binary(List.of(event(seq), event(seq + 100)));
    }
    byte[] again = SharedBatches.binary(List.of(a, b));
    assertFalse(SharedBatches.lastWasShared());
    assertNotSame(first, again);
    assertEquals(expected(a, b), items(FrameCodec.decodeServer(again)));
  }
}
