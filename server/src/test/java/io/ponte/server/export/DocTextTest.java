package io.ponte.server.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.DocumentRecord;
import io.ponte.server.doc.YTextUpdates;
import io.ponte.yjs.Lib0Encoder;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The text a user's Yjs clients inserted that is still in a document. */
class DocTextTest {
  /** An update that only deletes [clock, clock + len) of a client. */
  private static byte[] deletion(long client, long clock, long len) {
    Lib0Encoder e = new Lib0Encoder();
    e.writeVarUint(0);
    e.writeVarUint(1).writeVarUint(client).writeVarUint(1).writeVarUint(clock).writeVarUint(len);
    return e.toByteArray();
  }

  private static DocumentRecord doc(byte[] state, byte[]... pending) {
    DocumentRecord.Builder b = DocumentRecord.newBuilder().setState(ByteString.copyFrom(state));
    for (byte[] p : pending) {
      b.addPending(ByteString.copyFrom(p));
    }
    return b.build();
  }

  @Test
  void typingOnIsOnePieceAndADeletionSplitsIt() {
    YTextUpdates ana = new YTextUpdates(1, "t");
    YTextUpdates bo = new YTextUpdates(2, "t");
    DocumentRecord d = doc(ana.append("Hello"), ana.append(" world"), bo.append("Bo was here"),
        deletion(1, 1, 3));
    assertEquals(List.of("H", "o world"), DocText.stillPresent(d, Set.of(1L)));
    assertEquals(List.of("Bo was here"), DocText.stillPresent(d, Set.of(2L)));
    assertEquals(List.of("H", "o world", "Bo was here"), DocText.stillPresent(d, Set.of(1L, 2L)));
  }

  @Test
  void everythingDeletedLeavesNothingAndNoClientsWroteNothing() {
    YTextUpdates ana = new YTextUpdates(1, "t");
    DocumentRecord d = doc(ana.append("gone"), deletion(1, 0, 2), deletion(1, 1, 3));
    assertEquals(List.of(), DocText.stillPresent(d, Set.of(1L)));
    assertEquals(List.of(), DocText.stillPresent(d, Set.of()));
    assertEquals(List.of(), DocText.stillPresent(doc(new byte[0]), Set.of(1L)));
  }

  @Test
  void aStoredUpdateThatDoesNotDecodeAddsNothing() {
    YTextUpdates ana = new YTextUpdates(1, "t");
    DocumentRecord d = doc(ana.append("kept"), new byte[] {1, 1, 9, 0, 4, 1});
    assertEquals(List.of("kept"), DocText.stillPresent(d, Set.of(1L)));
  }
}
