package io.ponte.server.doc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.broker.MemoryBroker;
import io.ponte.server.broker.RoomListener;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomStateTest;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Awareness bounds and ownership. Two RoomDocuments stand for two nodes of one room: every
 * ephemeral message the (real, in-process) broker delivers is observed by both, as every node
 * holding a room observes every node's messages.
 */
@Timeout(30)
class RoomDocumentsTest {
  static final Actor ANA = RoomStateTest.actor("ana", Role.STUDENT);
  static final Actor BO = RoomStateTest.actor("bo", Role.STUDENT);

  private Vertx vertx;
  private Context context;
  private MemoryBroker broker;
  private RoomDocuments nodeA;
  private RoomDocuments nodeB;
  private final List<Event> published = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    broker = new MemoryBroker(16);
    on(() -> {
      nodeA = new RoomDocuments("r1", e -> broker.publishEphemeral("r1", e.toByteArray()), 100);
      nodeB = new RoomDocuments("r1", e -> broker.publishEphemeral("r1", e.toByteArray()), 100);
      broker.attach("r1", 0, "e1", new RoomListener() {
        @Override
        public void onOperation(SequencedOperation op) { }

        @Override
        public void onEphemeral(byte[] payload) {
          try {
            Event e = Event.parseFrom(payload);
            published.add(e);
            nodeA.observe(e.getActor().getUserId(), e.getDocAwareness());
            nodeB.observe(e.getActor().getUserId(), e.getDocAwareness());
          } catch (Exception ex) {
            throw new AssertionError(ex);
          }
        }

        @Override
        public void onSeqRegressed() { }
      });
      return null;
    });
  }

  @AfterEach
  void tearDown() {
    vertx.close();
  }

  /** Runs on the room's context and waits (so the broker's deliveries queued meanwhile run next). */
  private <T> T on(Callable<T> task) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        f.complete(task.call());
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    T result = f.get(10, TimeUnit.SECONDS);
    on0(); // let deliveries queued by the task run
    return result;
  }

  private void on0() throws Exception {
    CompletableFuture<Void> f = new CompletableFuture<>();
    context.runOnContext(v -> f.complete(null));
    f.get(10, TimeUnit.SECONDS);
  }

  static byte[] update(long client, long clock, String json) {
    return RoomDocuments.encodeAwareness(List.of(new RoomDocuments.AwarenessClient(client, clock,
        json.getBytes(StandardCharsets.UTF_8))), 1);
  }

  private ErrorCode refusal(RoomDocuments node, String session, Actor actor, byte[] update) throws Exception {
    return on(() -> {
      try {
        node.publish(session, actor, "doc", update);
        return null;
      } catch (RoomException e) {
        return e.error().getCode();
      }
    });
  }

  @Test
  void anotherSessionCannotAnnounceOrRemoveAClientIdItDoesNotOwnOnAnyNode() throws Exception {
    assertNull(refusal(nodeA, "s1", ANA, update(7, 1, "{\"name\":\"Ana\"}")));
    // Bo on the same node, Bo on the other node, Ana's other tab on this node: all refused.
    assertEquals(ErrorCode.AWARENESS_CLIENT_TAKEN,
        refusal(nodeA, "s2", BO, update(7, 2, "{\"name\":\"Ms. Smith (teacher)\"}")));
    assertEquals(ErrorCode.AWARENESS_CLIENT_TAKEN,
        refusal(nodeB, "s3", BO, update(7, 2, "{\"name\":\"Ms. Smith (teacher)\"}")));
    assertEquals(ErrorCode.AWARENESS_CLIENT_TAKEN, refusal(nodeA, "s4", ANA, update(7, 2, "null")));
    assertEquals(ErrorCode.AWARENESS_CLIENT_TAKEN, refusal(nodeB, "s3", BO, update(7, 2, "null")));
    assertEquals(1, published.size(), "refused updates are not relayed");
    String current = new String(on(() -> nodeB.current("doc")), StandardCharsets.UTF_8);
    assertTrue(current.contains("Ana") && !current.contains("Smith"), current);
    // The owner updates freely; when its session closes, the id is free again everywhere.
    assertNull(refusal(nodeA, "s1", ANA, update(7, 3, "{\"name\":\"Ana R.\"}")));
    on(() -> {
      nodeA.sessionLeft("s1", ANA);
      return null;
    });
    assertNull(on(() -> nodeA.current("doc")));
    assertNull(on(() -> nodeB.current("doc")), "the removal reached the other node");
    assertNull(refusal(nodeB, "s3", BO, update(7, 5, "{\"name\":\"Bo\"}")));
  }

  @Test
  void anOversizedStateRefusesTheWholeUpdate() throws Exception {
    byte[] two = RoomDocuments.encodeAwareness(List.of(
        new RoomDocuments.AwarenessClient(1, 1, "{}".getBytes(StandardCharsets.UTF_8)),
        new RoomDocuments.AwarenessClient(2, 1, ("\"" + "x".repeat(99) + "\"").getBytes(StandardCharsets.UTF_8))), 2);
    assertEquals(ErrorCode.AWARENESS_TOO_LARGE, refusal(nodeA, "s1", ANA, two));
    assertNull(on(() -> nodeA.current("doc")), "nothing of it kept");
    assertTrue(published.isEmpty());
    assertNull(refusal(nodeA, "s1", ANA, update(1, 1, "\"" + "x".repeat(98) + "\"")), "exactly the limit");
  }

  @Test
  void theCurrentAwarenessStaysBounded() throws Exception {
    // Many sessions (so no per-session cap applies) each announcing a full-size state.
    int n = RoomDocuments.MAX_CLIENTS_PER_DOC + 100;
    for (int i = 0; i < n; i++) {
      assertNull(refusal(nodeA, "s" + i, RoomStateTest.actor("u" + i, Role.STUDENT),
          update(1000 + i, 1, "\"" + "y".repeat(90) + "\"")));
    }
    byte[] current = on(() -> nodeA.current("doc"));
    assertNotNull(current);
    List<RoomDocuments.AwarenessClient> clients = RoomDocuments.decodeAwareness(current);
    assertEquals(RoomDocuments.MAX_CLIENTS_PER_DOC, clients.size());
    assertEquals(1000 + n - 1, clients.get(clients.size() - 1).clientId(), "the newest kept");
    assertTrue(current.length < RoomDocuments.MAX_CURRENT_BYTES + 4096, "bytes: " + current.length);
    // and one session cannot announce an unbounded number of clients
    for (int i = 0; i < RoomDocuments.MAX_CLIENTS_PER_SESSION; i++) {
      assertNull(refusal(nodeA, "many", ANA, update(5000 + i, 1, "{}")));
    }
    assertEquals(ErrorCode.AWARENESS_TOO_LARGE, refusal(nodeA, "many", ANA, update(6000, 1, "{}")));
  }

  @Test
  void malformedUpdatesThrow() {
    assertThrows(IllegalArgumentException.class, () -> RoomDocuments.decodeAwareness(new byte[] {5, 1}));
  }
}
