package io.ponte.server.session;

import io.ponte.protocol.v1.ClientMessage;

/** Handles one kind of client request (see {@link Requests}). */
@FunctionalInterface
public interface RequestHandler {
  void handle(Session session, long requestId, ClientMessage message);
}
