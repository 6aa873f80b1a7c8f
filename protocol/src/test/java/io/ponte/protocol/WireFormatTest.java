package io.ponte.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WireFormatTest {

  @Test
  void negotiatesJson() {
    assertSame(WireFormat.JSON, WireFormat.negotiate("ponte.v1.json"));
  }

  @Test
  void negotiatesProto() {
    assertSame(WireFormat.PROTO, WireFormat.negotiate("ponte.v1.proto"));
  }

  @Test
  void skipsUnknownOffersAndTrimsWhitespace() {
    assertSame(WireFormat.PROTO, WireFormat.negotiate("foo, ponte.v1.proto"));
    assertSame(WireFormat.JSON, WireFormat.negotiate("  ponte.v1.json  ,foo"));
  }

  @Test
  void takesTheClientsFirstSupportedOffer() {
    assertSame(WireFormat.JSON, WireFormat.negotiate("ponte.v1.json, ponte.v1.proto"));
    assertSame(WireFormat.PROTO, WireFormat.negotiate("chat,ponte.v1.proto,ponte.v1.json"));
  }

  @Test
  void nothingSupportedGivesNull() {
    assertNull(WireFormat.negotiate(null));
    assertNull(WireFormat.negotiate("chat"));
    assertNull(WireFormat.negotiate(""));
    assertNull(WireFormat.negotiate("chat, superchat"));
    // Names are exact: no case folding, no other versions.
    assertNull(WireFormat.negotiate("PONTE.V1.JSON"));
    assertNull(WireFormat.negotiate("ponte.v2.json"));
  }

  @Test
  void subprotocolsAndFrameTypes() {
    assertEquals("ponte.v1.proto", WireFormat.PROTO.subprotocol());
    assertEquals("ponte.v1.json", WireFormat.JSON.subprotocol());
    assertTrue(WireFormat.PROTO.binaryFrames());
    assertFalse(WireFormat.JSON.binaryFrames());
    for (WireFormat f : WireFormat.values()) {
      assertSame(f, WireFormat.forSubprotocol(f.subprotocol()));
    }
    assertNull(WireFormat.forSubprotocol(null));
  }
}
