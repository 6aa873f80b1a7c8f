package io.ponte.load;

/**
 * One simulated client socket, whatever it speaks: a Ponte {@link Participant}, a Yjs provider
 * ({@link YjsProvider}) or a Socket.IO client ({@link SocketIoClient}). Every method but
 * {@link #run} is called on the client's own event-loop context.
 */
interface LoadClient {
  /** Runs {@code action} on the client's context. */
  void run(Runnable action);

  /** Opens the connection. */
  void start();

  /** Stops sending and closes the connection; the listener hears {@code closed}. */
  void stop();

  boolean isOpen();

  /** Requests sent and not answered yet (0 when the protocol does not answer). */
  int pendingPosts();

  /** Starts posting (chat) or typing (documents) at {@code rate} per second. */
  void startSending(double rate);

  /** Stops posting or typing (the connection stays). */
  void stopSending();
}
