package io.ponte.server.session;

/** A feature's client requests on /ws: it registers a handler for each kind it answers. */
public interface RequestFeature {
  void register(Requests requests);
}
