package io.ponte.server.store;

import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.SequencedOperation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;

/**
 * Child JVM for the kill -9 tests ({@link StoreContractTest#ackedBeforeKill}): opens the store in
 * {@code args[0]} (a data directory for SQLite, or a {@code jdbc:postgresql:} URL), creates room
 * {@code args[1]} and appends operations forever, a window of them in flight, printing each seq on stdout only after its append future succeeded. The test kills it.
 */
public final class DurabilityChild {
  private DurabilityChild() {}

  public static void main(String[] args) throws Exception {
    String target = args[0];
    String roomId = args[1];
    PrintStream out = System.out;
    Store store =
        (target.startsWith("jdbc:postgresql:")
                ? PostgresStore.open(target, PostgresStore.Options.defaults()).map(s -> (Store) s)
                : SqliteStore.open(Path.of(target), SqliteStore.Options.defaults())
                    .map(s -> (Store) s))
            .toCompletionStage()
            .toCompletableFuture()
            .get();
    store
        .createRoom(new RoomRecord(roomId, "e1", 1L, RoomSettings.getDefaultInstance()))
        .toCompletionStage()
        .toCompletableFuture()
        .get();
    synchronized (out) {
      out.println("ready");
      out.flush();
    }
    Semaphore window = new Semaphore(64);
    for (long seq = 1; ; seq++) {
      window.acquire();
      long s = seq;
      store
          .append(roomId, op(roomId, s))
          .onComplete(
              ar -> {
                window.release();
                if (ar.succeeded()) {
                  synchronized (out) {
                    out.println(s);
                    out.flush();
                  }
                } else {
                  System.err.println("append " + s + " failed: " + ar.cause());
                }
              });
    }
  }

  static SequencedOperation op(String roomId, long seq) {
    return SequencedOperation.newBuilder()
        .setSeq(seq)
        .setOperation(
            Operation.newBuilder()
                .setServerTimeMs(seq)
                .setChatPost(ChatPost.newBuilder().setRoomId(roomId).setText("message " + seq)))
        .build();
  }
}
