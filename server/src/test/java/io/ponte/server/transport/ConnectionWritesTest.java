package io.ponte.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ponte.protocol.v1.ClientMessage.BodyCase;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * The writes a drain waits for are the requests that carry a client message id (read from the
 * schema): every sequenced operation, nothing ephemeral. A new request kind with a client message
 * id joins them by itself; this list says which ones there are today.
 */
class ConnectionWritesTest {
  @Test
  void writesAreTheRequestsWithAClientMessageId() {
    assertEquals(EnumSet.of(BodyCase.CHAT_POST, BodyCase.CHAT_EDIT, BodyCase.CHAT_DELETE,
        BodyCase.CHAT_REACT, BodyCase.TEACHER_ACTION, BodyCase.DOC_CREATE, BodyCase.DOC_SET_READ_ONLY,
        BodyCase.DOC_UPDATE, BodyCase.DOC_REVERT_USER, BodyCase.BOARD, BodyCase.HAND, BodyCase.POLL,
        BodyCase.PERMISSIONS, BodyCase.LOBBY, BodyCase.REPORT, BodyCase.BREAKOUT), Connection.WRITES);
  }
}
