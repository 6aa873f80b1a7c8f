package io.ponte.load.chaos;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy between clients and one node that can cut connections (both sides closed at once,
 * as a dead network path looks) or stall them (no byte passes either way for a while, as a
 * congested path looks; then they go on). Clients connect to {@link #port()}.
 */
final class FaultProxy implements AutoCloseable {
  private record Pair(NetSocket client, NetSocket node) { }

  private final Vertx vertx;
  private final NetServer server;
  private final NetClient toNode;
  private final int nodePort;
  private final List<Pair> pairs = new CopyOnWriteArrayList<>();

  FaultProxy(Vertx vertx, int nodePort) throws Exception {
    this.vertx = vertx;
    this.nodePort = nodePort;
    this.toNode = vertx.createNetClient(new NetClientOptions().setConnectTimeout(3000));
    this.server = vertx.createNetServer().connectHandler(this::accept);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  int port() {
    return server.actualPort();
  }

  private void accept(NetSocket client) {
    client.pause();
    toNode.connect(nodePort, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        client.close();
        return;
      }
      NetSocket node = ar.result();
      Pair p = new Pair(client, node);
      pairs.add(p);
      client.handler(node::write);
      node.handler(client::write);
      client.closeHandler(v -> {
        pairs.remove(p);
        node.close();
      });
      node.closeHandler(v -> {
        pairs.remove(p);
        client.close();
      });
      client.exceptionHandler(e -> client.close());
      node.exceptionHandler(e -> node.close());
      client.resume();
    });
  }

  /** Closes a random {@code fraction} of the connections; returns how many. */
  int cut(double fraction, Random random) {
    int n = 0;
    for (Pair p : new ArrayList<>(pairs)) {
      if (random.nextDouble() < fraction) {
        n++;
        p.client().close();
        p.node().close();
      }
    }
    return n;
  }

  /** Stops a random {@code fraction} of the connections for {@code ms}; returns how many. */
  int stall(double fraction, long ms, Random random) {
    List<Pair> stalled = new ArrayList<>();
    for (Pair p : new ArrayList<>(pairs)) {
      if (random.nextDouble() < fraction) {
        stalled.add(p);
        p.client().pause();
        p.node().pause();
      }
    }
    vertx.setTimer(ms, t -> stalled.forEach(p -> {
      p.client().resume();
      p.node().resume();
    }));
    return stalled.size();
  }

  int connections() {
    return pairs.size();
  }

  @Override
  public void close() {
    pairs.forEach(p -> {
      p.client().close();
      p.node().close();
    });
    server.close();
    toNode.close();
  }
}
