package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.WireFormat;
import io.ponte.protocol.v1.Role;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The /ws endpoint's HTTP side: upgrade checks, subprotocol negotiation, origins. */
@Timeout(60)
class TransportIT {
  private static final String PROTO = WireFormat.PROTO.subprotocol();
  private static final String JSON = WireFormat.JSON.subprotocol();

  @TempDir
  Path dir;

  @Test
  void plainHttpGetIsUpgradeRequired() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      HttpResponse<String> r = s.http("GET", "/ws", null, null);
      assertEquals(426, r.statusCode());
      assertEquals("websocket", r.headers().firstValue("Upgrade").orElse("").toLowerCase());
      HttpResponse<String> post = s.http("POST", "/ws", "{}", null);
      assertEquals(426, post.statusCode());
      others.assertServed();
    }
  }

  @Test
  void upgradeWithoutAPonteSubprotocolIsRefused() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      assertEquals(400, TestClient.upgradeStatus(s.clientVertx(), s.port(), null, null));
      assertEquals(400, TestClient.upgradeStatus(s.clientVertx(), s.port(), "chat", null));
      assertEquals(400, TestClient.upgradeStatus(s.clientVertx(), s.port(), "chat, ponte.v2.proto", null));
      // Control: the same request with a Ponte subprotocol is accepted.
      assertEquals(101, TestClient.upgradeStatus(s.clientVertx(), s.port(), PROTO, null));
      others.assertServed();
    }
  }

  @Test
  void theFirstOfferedSubprotocolPonteSpeaksIsSelected() {
    try (TestServer s = new TestServer(dir); Bystanders others = new Bystanders(s, "r1")) {
      record Offer(String header, WireFormat expected) {}
      for (Offer offer : List.of(
          new Offer("foo, " + JSON, WireFormat.JSON),
          new Offer(JSON + ", " + PROTO, WireFormat.JSON),
          new Offer(PROTO + ", " + JSON, WireFormat.PROTO),
          new Offer("chat, " + PROTO + ", foo", WireFormat.PROTO))) {
        try (TestClient c = TestClient.connect(s.clientVertx(), s.port(), offer.header(),
            offer.expected())) {
          assertEquals(offer.expected().subprotocol(), c.subProtocol(), offer.header());
          // The server really speaks the selected format: a full exchange in it works.
          c.hello(s.token("u-" + offer.expected(), "U", "r1", Role.STUDENT));
          c.join("r1");
          long seq = c.post("r1", "via " + offer.header()).getSeq();
          assertEquals(seq, others.reader.awaitEvent(e -> e.hasChatPosted()
              && e.getChatPosted().getText().equals("via " + offer.header()), "post").getSeq());
        }
      }
      others.assertServed();
    }
  }

  @Test
  void onlyAllowedOriginsMayUpgrade() {
    try (TestServer s = new TestServer(dir,
        b -> b.allowedOrigins(List.of("https://school.example")));
        Bystanders others = new Bystanders(s, "r1")) {
      assertEquals(403, TestClient.upgradeStatus(s.clientVertx(), s.port(), PROTO, "https://evil.example"));
      assertEquals(403, TestClient.upgradeStatus(s.clientVertx(), s.port(), PROTO, "http://school.example"));
      assertEquals(403, TestClient.upgradeStatus(s.clientVertx(), s.port(), PROTO,
          "https://school.example.evil.example"));
      assertEquals(101, TestClient.upgradeStatus(s.clientVertx(), s.port(), PROTO, "https://school.example"));
      // No Origin header: a non-browser client, always accepted.
      assertEquals(101, TestClient.upgradeStatus(s.clientVertx(), s.port(), PROTO, null));
      // The allowed origin gets a working connection.
      try (TestClient c = TestClient.connect(s.clientVertx(), s.port(), JSON, WireFormat.JSON,
          "https://school.example")) {
        c.hello(s.token("web", "Web", "r1", Role.STUDENT));
        c.join("r1");
        c.post("r1", "from the school's web app");
        others.reader.awaitEvent(e -> e.hasChatPosted()
            && e.getChatPosted().getText().equals("from the school's web app"), "post via the allowed origin");
      }
      others.assertServed();
      assertTrue(s.server().metrics() != null);
    }
  }
}
