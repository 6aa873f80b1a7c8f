package io.ponte.server.room;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.DocAwarenessChanged;
import io.ponte.protocol.v1.Event;
import io.ponte.server.broker.Broker;
import io.ponte.server.doc.yjs.Lib0Decoder;
import io.ponte.server.doc.yjs.Lib0Encoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The runtime side of a room's documents: awareness (y-protocols: cursors, selections, names).
 * Awareness is ephemeral: it travels through {@link Broker#publishEphemeral} and is never stored.
 * Each node keeps the latest awareness state of every client per document (from the ephemeral
 * messages it receives, its own included) so that a newcomer gets the current awareness, and
 * remembers which awareness clients each of its connections announced, so that it can tell
 * everyone they are gone when the connection closes.
 *
 * <p>Touched only on the room's context.
 */
final class RoomDocuments {
  private static final byte[] NULL_STATE = "null".getBytes(StandardCharsets.UTF_8);

  private final String roomId;
  private final Broker broker;
  /** Per document: awareness client id → its latest clock and state. */
  private final Map<String, TreeMap<Long, AwarenessEntry>> awareness = new HashMap<>();
  /** Per session of this node: document → awareness client ids it announced. */
  private final Map<String, Map<String, Map<Long, Long>>> sessionClients = new HashMap<>();

  RoomDocuments(String roomId, Broker broker) {
    this.roomId = roomId;
    this.broker = broker;
  }

  private record AwarenessEntry(long clock, byte[] state) {}

  /** One client's entry of an awareness update. */
  record AwarenessClient(long clientId, long clock, byte[] state) {
    boolean removed() {
      return java.util.Arrays.equals(state, NULL_STATE);
    }
  }

  /** Decodes a y-protocols awareness update; throws IllegalArgumentException when malformed. */
  static java.util.List<AwarenessClient> decodeAwareness(byte[] update) {
    try {
      Lib0Decoder d = new Lib0Decoder(update);
      long n = d.readVarUint();
      if (n > update.length) {
        throw new IllegalArgumentException("awareness update claims " + n + " clients");
      }
      java.util.List<AwarenessClient> out = new java.util.ArrayList<>((int) n);
      for (long i = 0; i < n; i++) {
        long client = d.readVarUint();
        long clock = d.readVarUint();
        byte[] state = d.readVarStringBytes();
        out.add(new AwarenessClient(client, clock, state));
      }
      return out;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed awareness update: " + e.getMessage(), e);
    }
  }

  static byte[] encodeAwareness(Iterable<AwarenessClient> clients, int count) {
    Lib0Encoder e = new Lib0Encoder();
    e.writeVarUint(count);
    for (AwarenessClient c : clients) {
      e.writeVarUint(c.clientId()).writeVarUint(c.clock()).writeVarUint(c.state().length)
          .writeBytes(c.state());
    }
    return e.toByteArray();
  }

  /**
   * A connection of this node sends an awareness update for a document: remember its clients,
   * publish it to every node. Throws IllegalArgumentException when the update is malformed.
   */
  void publish(String sessionId, Actor actor, String docId, byte[] update) {
    java.util.List<AwarenessClient> clients = decodeAwareness(update);
    Map<Long, Long> mine = sessionClients.computeIfAbsent(sessionId, s -> new HashMap<>())
        .computeIfAbsent(docId, d -> new HashMap<>());
    for (AwarenessClient c : clients) {
      if (c.removed()) {
        mine.remove(c.clientId());
      } else {
        mine.put(c.clientId(), c.clock());
      }
    }
    publishEvent(actor, docId, update);
  }

  private void publishEvent(Actor actor, String docId, byte[] update) {
    Event event = Event.newBuilder()
        .setRoomId(roomId)
        .setServerTimeMs(System.currentTimeMillis())
        .setActor(actor)
        .setDocAwareness(DocAwarenessChanged.newBuilder()
            .setDocId(docId).setAwareness(ByteString.copyFrom(update)))
        .build();
    broker.publishEphemeral(roomId, event.toByteArray());
  }

  /** An awareness event arrived (from any node, this one included): keep the current states. */
  void observe(DocAwarenessChanged changed) {
    java.util.List<AwarenessClient> clients;
    try {
      clients = decodeAwareness(changed.getAwareness().toByteArray());
    } catch (IllegalArgumentException e) {
      return;
    }
    TreeMap<Long, AwarenessEntry> doc = awareness.computeIfAbsent(changed.getDocId(), d -> new TreeMap<>());
    for (AwarenessClient c : clients) {
      AwarenessEntry known = doc.get(c.clientId());
      if (known != null && known.clock() > c.clock()) {
        continue;
      }
      if (c.removed()) {
        doc.remove(c.clientId());
      } else {
        doc.put(c.clientId(), new AwarenessEntry(c.clock(), c.state()));
      }
    }
    if (doc.isEmpty()) {
      awareness.remove(changed.getDocId());
    }
  }

  /** The current awareness of a document as one update, or null when nobody is aware. */
  byte[] current(String docId) {
    TreeMap<Long, AwarenessEntry> doc = awareness.get(docId);
    if (doc == null || doc.isEmpty()) {
      return null;
    }
    java.util.List<AwarenessClient> clients = new java.util.ArrayList<>(doc.size());
    for (Map.Entry<Long, AwarenessEntry> e : doc.entrySet()) {
      clients.add(new AwarenessClient(e.getKey(), e.getValue().clock(), e.getValue().state()));
    }
    return encodeAwareness(clients, clients.size());
  }

  /** A connection left the room: its awareness clients are gone, tell everyone. */
  void sessionLeft(String sessionId, Actor actor) {
    Map<String, Map<Long, Long>> docs = sessionClients.remove(sessionId);
    if (docs == null) {
      return;
    }
    for (Map.Entry<String, Map<Long, Long>> doc : docs.entrySet()) {
      if (doc.getValue().isEmpty()) {
        continue;
      }
      TreeMap<Long, AwarenessEntry> known = awareness.get(doc.getKey());
      Map<Long, AwarenessClient> removal = new LinkedHashMap<>();
      for (Map.Entry<Long, Long> c : doc.getValue().entrySet()) {
        long clock = c.getValue();
        AwarenessEntry k = known == null ? null : known.get(c.getKey());
        if (k != null) {
          clock = Math.max(clock, k.clock());
        }
        // Like y-protocols' removeAwarenessStates: a null state with the next clock.
        removal.put(c.getKey(), new AwarenessClient(c.getKey(), clock + 1, NULL_STATE));
      }
      publishEvent(actor, doc.getKey(), encodeAwareness(removal.values(), removal.size()));
    }
  }
}
