package io.ponte.server.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.DocUpdated;
import io.ponte.protocol.v1.Event;
import io.ponte.server.outbound.OutboundMessage;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A document update is framed for Yjs sockets once, and shared. */
@Timeout(10)
class OutboundMessageYjsTest {
  @Test
  void theSyncUpdateFrameIsBuiltOnceAndSharedPerPrefix() {
    byte[] update = {1, 2, 3, 4, 5};
    OutboundMessage m = OutboundMessage.event(Event.newBuilder().setRoomId("r").setSeq(7)
        .setDocUpdated(DocUpdated.newBuilder().setDocId("d").setUpdate(ByteString.copyFrom(update))).build());
    byte[] frame = m.yjsSyncUpdate();
    assertSame(frame, m.yjsSyncUpdate(), "built once");
    assertArrayEquals(YDocSession.frame(YDocSession.MESSAGE_SYNC, YDocSession.SYNC_UPDATE, update), frame);

    byte[] prefix = new Lib0Encoder().writeVarString("r/d").toByteArray();
    byte[] hp = m.yjsSyncUpdate(prefix);
    assertSame(hp, m.yjsSyncUpdate(new Lib0Encoder().writeVarString("r/d").toByteArray()),
        "every provider of the document shares it");
    Lib0Decoder d = new Lib0Decoder(hp);
    assertEquals("r/d", d.readVarString());
    assertEquals(0, d.readVarUint());
    assertEquals(2, d.readVarUint());
    assertArrayEquals(update, d.readVarUint8Array());
  }
}
