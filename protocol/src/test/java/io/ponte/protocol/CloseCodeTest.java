package io.ponte.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.CloseCode.ClientAction;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CloseCodeTest {

  @Test
  void codesAreUnique() {
    Set<Integer> seen = new HashSet<>();
    for (CloseCode c : CloseCode.values()) {
      assertTrue(seen.add(c.code()), "duplicate close code " + c.code() + " (" + c + ")");
    }
  }

  @Test
  void codesAreInTheWebSocketApplicationRange() {
    for (CloseCode c : CloseCode.values()) {
      assertTrue(c.code() >= 1000 && c.code() <= 4999, c + " = " + c.code());
      // 1005, 1006 and 1015 must never be sent in a close frame (RFC 6455 7.4.1).
      assertFalse(c.code() == 1005 || c.code() == 1006 || c.code() == 1015, c.toString());
    }
  }

  @Test
  void ofRoundTrips() {
    for (CloseCode c : CloseCode.values()) {
      assertSame(c, CloseCode.of(c.code()));
    }
    assertNull(CloseCode.of(0));
    assertNull(CloseCode.of(1001));
    assertNull(CloseCode.of(4099));
    assertNull(CloseCode.of(-1));
  }

  @Test
  void rangesMatchClientActions() {
    for (CloseCode c : CloseCode.values()) {
      int code = c.code();
      if (code >= 4000 && code <= 4099) {
        assertTrue(
            c.action() == ClientAction.GIVE_UP || c.action() == ClientAction.RECONNECT,
            c + " in 40xx must be GIVE_UP or RECONNECT, is " + c.action());
      } else if (code >= 4100 && code <= 4199) {
        assertEquals(ClientAction.RESUME, c.action(), c + " in 41xx");
      } else if (code >= 4200 && code <= 4299) {
        assertEquals(ClientAction.GIVE_UP, c.action(), c + " in 42xx");
      } else if (code >= 4400 && code <= 4499) {
        // y-websocket (3.1) stops reconnecting on 4400-4499 and on nothing else
        assertEquals(ClientAction.GIVE_UP, c.action(), c + " in 44xx");
      } else {
        assertTrue(code >= 1000 && code <= 1999, c + " outside the documented ranges");
      }
    }
    assertEquals(4401, CloseCode.UNAUTHORIZED.code(), "Hocuspocus's Unauthorized");
    assertEquals(4403, CloseCode.FORBIDDEN.code(), "Hocuspocus's Forbidden");
    assertEquals(1000, CloseCode.NORMAL.code());
    assertEquals(ClientAction.NONE, CloseCode.NORMAL.action());
  }

  @Test
  void reasonsFitInACloseFrame() {
    // A close frame's payload is at most 125 bytes: 2 for the code, the rest for the reason.
    for (CloseCode c : CloseCode.values()) {
      assertFalse(c.reason().isBlank(), c.toString());
      assertTrue(c.reason().getBytes(StandardCharsets.UTF_8).length <= 123, c.toString());
    }
  }
}
