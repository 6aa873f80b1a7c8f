package io.ponte.server.doc;

import com.google.protobuf.ByteString;
import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.DocAwarenessChanged;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.server.room.FeatureRelay;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomMember;
import io.ponte.yjs.Lib0Decoder;
import io.ponte.yjs.Lib0Encoder;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The runtime side of a room's documents: awareness (y-protocols: cursors, selections, names).
 * Awareness is ephemeral: it travels through {@link Room#publishEphemeral} and is never stored.
 * Each node keeps the latest awareness state of every client per document (from the ephemeral
 * messages it receives, its own included) so that a newcomer gets the current awareness, and
 * remembers which awareness clients each of its connections announced, so that it can tell
 * everyone they are gone when the connection closes.
 *
 * <p>Bounds: one client's state is at most {@code awareness-max-state-bytes} (else the whole
 * update is refused, AWARENESS_TOO_LARGE); a session announces at most
 * {@link #MAX_CLIENTS_PER_SESSION} clients per document; the current awareness of a document
 * holds at most {@link #MAX_CLIENTS_PER_DOC} clients and {@link #MAX_CURRENT_BYTES} of states,
 * the least recently updated dropped first, so a query-awareness answer stays small.
 *
 * <p>Ownership: a Yjs client id belongs to whoever announced it first, until it is removed (a
 * null state, or its session closing). On this node the owner is the session; an id first seen
 * in another node's message belongs to that message's actor (user id): nodes exchange no session
 * ids, so clients never learn them, and a user may move a client id between their own sessions on
 * different nodes (a provider reconnecting elsewhere) but nobody may take another user's. Two
 * nodes announcing one fresh id at the same instant may both accept it (ephemeral data; each
 * node then keeps the first claim it saw).
 *
 * <p>Touched only on the room's context.
 */
final class RoomDocuments implements FeatureRelay {
  private static final byte[] NULL_STATE = "null".getBytes(StandardCharsets.UTF_8);
  /** Clients in a document's current awareness (a classroom is far smaller). */
  static final int MAX_CLIENTS_PER_DOC = 256;
  /** Bytes of states in a document's current awareness. */
  static final int MAX_CURRENT_BYTES = 256 * 1024;
  /** Clients one session may announce per document (a stock provider announces one). */
  static final int MAX_CLIENTS_PER_SESSION = 16;

  private final String roomId;
  private final java.util.function.Consumer<Event> publisher;
  private final int maxStateBytes;
  /** Per document: its current awareness and who owns its client ids. */
  private final Map<String, DocAwareness> docs = new HashMap<>();
  /** Per session of this node: document → awareness client ids it announced, with their clocks. */
  private final Map<String, Map<String, Map<Long, Long>>> sessionClients = new HashMap<>();

  /** Documents being created by an open on this node: concurrent opens share one DocCreate. */
  final Map<String, Future<io.ponte.protocol.v1.DocumentInfo>> opening = new HashMap<>();

  RoomDocuments(Room room, int maxStateBytes) {
    this(room.roomId(), room::publishEphemeral, maxStateBytes);
  }

  /** With its own way to publish ephemeral events to every node (tests). */
  RoomDocuments(String roomId, java.util.function.Consumer<Event> publisher, int maxStateBytes) {
    this.roomId = roomId;
    this.publisher = publisher;
    this.maxStateBytes = maxStateBytes;
  }

  private record AwarenessEntry(long clock, byte[] state) {}

  /** Who announced a client id: a session of this node, or (sessionId null) a user on another node. */
  private record Owner(String userId, String sessionId) {
    boolean admits(String otherSession, String otherUser) {
      return sessionId != null ? sessionId.equals(otherSession) : userId.equals(otherUser);
    }
  }

  private static final class DocAwareness {
    /** Client id → latest state, least recently updated first. */
    final LinkedHashMap<Long, AwarenessEntry> current = new LinkedHashMap<>();
    long bytes;
    final Map<Long, Owner> owners = new HashMap<>();

    void put(long client, AwarenessEntry e) {
      remove(client);
      current.put(client, e);
      bytes += e.state().length;
      while (current.size() > MAX_CLIENTS_PER_DOC || bytes > MAX_CURRENT_BYTES) {
        Map.Entry<Long, AwarenessEntry> eldest = current.entrySet().iterator().next();
        remove(eldest.getKey());
        Owner o = owners.get(eldest.getKey());
        if (o != null && o.sessionId() == null) {
          owners.remove(eldest.getKey()); // keeps the owner map bounded too
        }
      }
    }

    void remove(long client) {
      AwarenessEntry old = current.remove(client);
      if (old != null) {
        bytes -= old.state().length;
      }
    }

    boolean isEmpty() {
      return current.isEmpty() && owners.isEmpty();
    }
  }

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
   * A connection of this node sends an awareness update for a document: check and remember its
   * clients, publish it to every node. Throws IllegalArgumentException when the update is
   * malformed, a {@link RoomException} (AWARENESS_TOO_LARGE, AWARENESS_CLIENT_TAKEN) when it is
   * refused; a refused update changes nothing.
   */
  void publish(String sessionId, Actor actor, String docId, byte[] update) {
    java.util.List<AwarenessClient> clients = decodeAwareness(update);
    DocAwareness doc = docs.computeIfAbsent(docId, d -> new DocAwareness());
    Map<Long, Long> mine = sessionClients.getOrDefault(sessionId, Map.of()).getOrDefault(docId, Map.of());
    int added = 0;
    for (AwarenessClient c : clients) {
      if (!c.removed() && c.state().length > maxStateBytes) {
        throw refusal(docId, ErrorCode.AWARENESS_TOO_LARGE, "an awareness state is larger than "
            + maxStateBytes + " bytes");
      }
      Owner owner = doc.owners.get(c.clientId());
      if (owner != null && !owner.admits(sessionId, actor.getUserId())) {
        throw refusal(docId, ErrorCode.AWARENESS_CLIENT_TAKEN,
            "awareness client " + c.clientId() + " belongs to another session");
      }
      if (!c.removed() && !mine.containsKey(c.clientId())) {
        added++;
      }
    }
    if (mine.size() + added > MAX_CLIENTS_PER_SESSION) {
      throw refusal(docId, ErrorCode.AWARENESS_TOO_LARGE,
          "more than " + MAX_CLIENTS_PER_SESSION + " awareness clients in one session");
    }
    Map<Long, Long> remembered = sessionClients.computeIfAbsent(sessionId, s -> new HashMap<>())
        .computeIfAbsent(docId, d -> new HashMap<>());
    for (AwarenessClient c : clients) {
      if (c.removed()) {
        remembered.remove(c.clientId());
        doc.owners.remove(c.clientId());
      } else {
        remembered.put(c.clientId(), c.clock());
        doc.owners.put(c.clientId(), new Owner(actor.getUserId(), sessionId));
      }
    }
    publishEvent(actor, docId, update);
  }

  private RoomException refusal(String docId, ErrorCode code, String message) {
    if (docs.containsKey(docId) && docs.get(docId).isEmpty()) {
      docs.remove(docId);
    }
    return new RoomException(ErrorCodes.error(code, message, roomId));
  }

  private void publishEvent(Actor actor, String docId, byte[] update) {
    Event event = Event.newBuilder()
        .setRoomId(roomId)
        .setServerTimeMs(System.currentTimeMillis())
        .setActor(actor)
        .setDocAwareness(DocAwarenessChanged.newBuilder()
            .setDocId(docId).setAwareness(ByteString.copyFrom(update)))
        .build();
    publisher.accept(event);
  }

  /**
   * An awareness event arrived (from any node, this one included): keep the current states. A
   * client id claimed by someone other than its owner (a race between nodes) is not kept.
   */
  @Override
  public java.util.Set<Event.BodyCase> events() {
    return java.util.Set.of(Event.BodyCase.DOC_AWARENESS);
  }

  @Override
  public void observe(Event event) {
    observe(event.getActor().getUserId(), event.getDocAwareness());
  }

  @Override
  public void left(RoomMember member, Role role) {
    sessionLeft(member.sessionId(), Actor.newBuilder().setUserId(member.userId())
        .setDisplayName(member.displayName()).setRole(role).build());
  }

  void observe(String actorUserId, DocAwarenessChanged changed) {
    java.util.List<AwarenessClient> clients;
    try {
      clients = decodeAwareness(changed.getAwareness().toByteArray());
    } catch (IllegalArgumentException e) {
      return;
    }
    DocAwareness doc = docs.computeIfAbsent(changed.getDocId(), d -> new DocAwareness());
    for (AwarenessClient c : clients) {
      Owner owner = doc.owners.get(c.clientId());
      if (owner != null && !owner.userId().equals(actorUserId)) {
        continue;
      }
      AwarenessEntry known = doc.current.get(c.clientId());
      if (known != null && known.clock() > c.clock()) {
        continue;
      }
      if (c.removed()) {
        doc.remove(c.clientId());
        if (owner != null && owner.sessionId() == null) {
          doc.owners.remove(c.clientId());
        }
      } else if (c.state().length <= maxStateBytes) {
        if (owner == null) {
          doc.owners.put(c.clientId(), new Owner(actorUserId, null));
        }
        doc.put(c.clientId(), new AwarenessEntry(c.clock(), c.state()));
      }
    }
    if (doc.isEmpty()) {
      docs.remove(changed.getDocId());
    }
  }

  /** The current awareness of a document as one update (bounded), or null when nobody is aware. */
  byte[] current(String docId) {
    DocAwareness doc = docs.get(docId);
    if (doc == null || doc.current.isEmpty()) {
      return null;
    }
    java.util.List<AwarenessClient> clients = new java.util.ArrayList<>(doc.current.size());
    for (Map.Entry<Long, AwarenessEntry> e : doc.current.entrySet()) {
      clients.add(new AwarenessClient(e.getKey(), e.getValue().clock(), e.getValue().state()));
    }
    return encodeAwareness(clients, clients.size());
  }

  /** A connection left the room: its awareness clients are gone (and free), tell everyone. */
  void sessionLeft(String sessionId, Actor actor) {
    Map<String, Map<Long, Long>> mine = sessionClients.remove(sessionId);
    if (mine == null) {
      return;
    }
    for (Map.Entry<String, Map<Long, Long>> d : mine.entrySet()) {
      if (d.getValue().isEmpty()) {
        continue;
      }
      DocAwareness doc = docs.get(d.getKey());
      Map<Long, AwarenessClient> removal = new LinkedHashMap<>();
      for (Map.Entry<Long, Long> c : d.getValue().entrySet()) {
        long clock = c.getValue();
        AwarenessEntry k = doc == null ? null : doc.current.get(c.getKey());
        if (k != null) {
          clock = Math.max(clock, k.clock());
        }
        // Like y-protocols' removeAwarenessStates: a null state with the next clock.
        removal.put(c.getKey(), new AwarenessClient(c.getKey(), clock + 1, NULL_STATE));
      }
      publishEvent(actor, d.getKey(), encodeAwareness(removal.values(), removal.size()));
      if (doc != null) {
        for (Long client : d.getValue().keySet()) {
          Owner o = doc.owners.get(client);
          if (o != null && sessionId.equals(o.sessionId())) {
            doc.owners.remove(client); // free now; the removal clears the state when it comes back
          }
        }
      }
    }
  }
}
