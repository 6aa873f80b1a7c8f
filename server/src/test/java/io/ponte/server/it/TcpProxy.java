package io.ponte.server.it;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: a TCP proxy in front of a real server (PostgreSQL, Redis) whose connections a
 * test stalls (nothing passes, nothing is closed, as a frozen peer) or cuts one by one, in the
 * order they were accepted.
 */
final class TcpProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final NetClient client = vertx.createNetClient();
  private final NetServer server;
  private final List<NetSocket[]> links = new ArrayList<>();
  private boolean stalled;

  TcpProxy(String host, int port) throws Exception {
    server = vertx.createNetServer().connectHandler(front -> {
      front.pause();
      client.connect(port, host).onComplete(ar -> {
        if (ar.failed()) {
          front.close();
          return;
        }
        NetSocket back = ar.result();
        front.handler(back::write);
        back.handler(front::write);
        front.closeHandler(v -> back.close());
        back.closeHandler(v -> front.close());
        synchronized (this) {
          links.add(new NetSocket[] {front, back});
          if (stalled) {
            back.pause();
          } else {
            front.resume();
          }
        }
      });
    });
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  /** The JDBC or Redis URL with its host:port replaced by this proxy's. */
  String route(String url, String hostPort) {
    if (!url.contains(hostPort)) {
      throw new IllegalArgumentException(url + " does not name " + hostPort);
    }
    return url.replace(hostPort, "127.0.0.1:" + server.actualPort());
  }

  /** Connections accepted so far (cut ones included). */
  synchronized int accepted() {
    return links.size();
  }

  /** Closes the i-th accepted connection on both sides. */
  synchronized void cut(int i) {
    for (NetSocket s : links.get(i)) {
      s.close();
    }
  }

  /** Freezes every connection, current and new, until {@link #resume}. */
  synchronized void stall() {
    stalled = true;
    for (NetSocket[] link : links) {
      link[0].pause();
      link[1].pause();
    }
  }

  synchronized void resume() {
    stalled = false;
    for (NetSocket[] link : links) {
      link[0].resume();
      link[1].resume();
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
