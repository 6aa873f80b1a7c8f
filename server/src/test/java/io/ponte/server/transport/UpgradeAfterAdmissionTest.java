package io.ponte.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * /yjs upgrades a request only once its admission, which completes on the room's event loop, has
 * succeeded: {@link Transport#onRequestContext} must hand that outcome back to the request's event
 * loop, or the client's first frames can be read (and dropped) before the socket has a handler.
 */
@Timeout(30)
class UpgradeAfterAdmissionTest {
  private Vertx vertx;
  private Vertx clients;
  private Context requestLoop;
  private Context roomLoop;

  @BeforeEach
  void twoEventLoops() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    clients = Vertx.vertx();
    // Verticles take the event loops in turn: one each.
    requestLoop = deployedContext();
    roomLoop = deployedContext();
    assertNotEquals(threadOf(requestLoop), threadOf(roomLoop));
  }

  @AfterEach
  void close() throws Exception {
    clients.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theOutcomeOfAnAdmissionOnAnotherEventLoopIsHandledOnTheRequestsContext() throws Exception {
    CompletableFuture<Object[]> seen = new CompletableFuture<>();
    requestLoop.runOnContext(v -> {
      Promise<String> admission = Promise.promise();
      Transport.onRequestContext(requestLoop, admission.future(),
          ar -> seen.complete(new Object[] {Vertx.currentContext(), ar.result()}));
      roomLoop.runOnContext(x -> admission.complete("admitted"));
    });
    Object[] outcome = seen.get(10, TimeUnit.SECONDS);
    assertSame(requestLoop, outcome[0]);
    assertEquals("admitted", outcome[1]);

    CompletableFuture<Object[]> refused = new CompletableFuture<>();
    requestLoop.runOnContext(v -> Transport.onRequestContext(requestLoop,
        Future.<String>failedFuture("refused"),
        ar -> refused.complete(new Object[] {Vertx.currentContext(), ar.cause().getMessage()})));
    Object[] failure = refused.get(10, TimeUnit.SECONDS);
    assertSame(requestLoop, failure[0]);
    assertEquals("refused", failure[1]);
  }

  /**
   * The race itself, made certain: the thread that upgrades stalls between {@code toWebSocket()}
   * and attaching its handler (a loaded machine deschedules it there), and the client sends its
   * first frame as soon as the upgrade is answered, as a y-websocket provider does.
   */
  @Test
  void aFrameSentRightAfterTheUpgradeReachesTheSocketWhenItsAdmissionCompletedElsewhere() throws Exception {
    CompletableFuture<String> received = new CompletableFuture<>();
    CompletableFuture<Integer> listening = new CompletableFuture<>();
    requestLoop.runOnContext(v -> {
      HttpServer server = vertx.createHttpServer().requestHandler(request -> {
        request.pause();
        Promise<String> admission = Promise.promise();
        Transport.onRequestContext(Vertx.currentContext(), admission.future(), ar -> {
          Future<ServerWebSocket> upgrade = request.toWebSocket();
          stall();
          upgrade.onSuccess(ws -> ws.binaryMessageHandler(b -> received.complete(b.toString())));
        });
        // Completed on the room's loop once the request's handler has returned, as a room does.
        roomLoop.runOnContext(x -> admission.complete("admitted"));
      });
      server.listen(0, "127.0.0.1").onComplete(ar -> {
        if (ar.succeeded()) {
          listening.complete(ar.result().actualPort());
        } else {
          listening.completeExceptionally(ar.cause());
        }
      });
    });
    int port = listening.get(10, TimeUnit.SECONDS);
    // Held until the end: Vert.x closes a client that is no longer referenced.
    WebSocketClient client = clients.createWebSocketClient();
    client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/yjs/r/d"))
        .onSuccess(ws -> ws.writeFinalBinaryFrame(Buffer.buffer("sync step 1")));
    assertEquals("sync step 1", received.completeOnTimeout("nothing", 5, TimeUnit.SECONDS).get(),
        "the first frame was read (and dropped) before the socket had a handler");
    client.close();
  }

  private static void stall() {
    try {
      Thread.sleep(300);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Context deployedContext() throws Exception {
    CompletableFuture<Context> deployed = new CompletableFuture<>();
    vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        deployed.complete(context);
        return Future.succeededFuture();
      }
    }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return deployed.get(10, TimeUnit.SECONDS);
  }

  private static String threadOf(Context context) throws Exception {
    CompletableFuture<String> name = new CompletableFuture<>();
    context.runOnContext(v -> name.complete(Thread.currentThread().getName()));
    return name.get(10, TimeUnit.SECONDS);
  }
}
