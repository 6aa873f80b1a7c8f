package io.ponte.server.session;

import io.ponte.protocol.v1.ClientMessage;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Which handler answers each kind of client request after Hello (the session's own kinds, Hello,
 * Ping, Join and Leave, are the connection's). Filled once at start; read-only after.
 */
public final class Requests {
  private final Map<ClientMessage.BodyCase, RequestHandler> handlers =
      new EnumMap<>(ClientMessage.BodyCase.class);
  private JoinGate gate = JoinGate.OPEN;

  public Requests(List<? extends RequestFeature> features) {
    for (RequestFeature f : features) {
      f.register(this);
    }
  }

  /** Registers the handler of a kind; a kind has one handler. */
  public void on(ClientMessage.BodyCase kind, RequestHandler handler) {
    RequestHandler earlier = handlers.putIfAbsent(kind, handler);
    if (earlier != null) {
      throw new IllegalArgumentException("two handlers for " + kind);
    }
  }

  /** Registers the gate every Join passes (see {@link JoinGate}); there is at most one. */
  public void gate(JoinGate joinGate) {
    if (gate != JoinGate.OPEN) {
      throw new IllegalArgumentException("two join gates");
    }
    gate = java.util.Objects.requireNonNull(joinGate, "joinGate");
  }

  /** The join gate ({@link JoinGate#OPEN} when no feature registered one). */
  public JoinGate gate() {
    return gate;
  }

  /** The handler of a kind, or null. */
  public RequestHandler handler(ClientMessage.BodyCase kind) {
    return handlers.get(kind);
  }
}
