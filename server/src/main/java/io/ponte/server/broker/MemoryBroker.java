package io.ponte.server.broker;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.util.EncodedRing;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The single-node {@link Broker}: sequencing, history and fan-out inside this process. The
 * embedded default.
 *
 * <p>Each attached room delivers to its listener on the Vert.x context that attached it, one task
 * per operation in seq order, so listener calls never overlap and never run inside
 * {@link #append}'s caller.
 *
 * <p>Pitfall: the broker forgets a room when it is detached; the next attach continues from the
 * store's seq. This is what a single node wants (an operation sequenced but never stored was
 * never delivered), and why detach must only follow a room's last durable write.
 */
public final class MemoryBroker implements Broker {
  private final int historyLimit;
  private final ConcurrentHashMap<String, RoomChannel> rooms = new ConcurrentHashMap<>();

  /** @param historyLimit operations kept per room for {@link #history} (at least 1) */
  public MemoryBroker(int historyLimit) {
    if (historyLimit < 1) {
      throw new IllegalArgumentException("historyLimit must be at least 1");
    }
    this.historyLimit = historyLimit;
  }

  @Override
  public Future<Attachment> attach(String roomId, long storedSeq, String storedEpoch,
      RoomListener listener) {
    Context context = Vertx.currentContext();
    String epoch = storedEpoch == null || storedEpoch.isEmpty()
        ? UUID.randomUUID().toString() : storedEpoch;
    RoomChannel channel = new RoomChannel(epoch, storedSeq, listener, context);
    RoomChannel previous = rooms.putIfAbsent(roomId, channel);
    if (previous != null) {
      return Future.failedFuture(new IllegalStateException("room " + roomId + " is already attached"));
    }
    return Future.succeededFuture(new Attachment(epoch, storedSeq));
  }

  @Override
  public Future<Void> detach(String roomId) {
    rooms.remove(roomId);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> erase(String roomId) {
    return detach(roomId); // the room's channel is all this broker keeps of it
  }

  @Override
  public Future<Long> append(String roomId, Operation operation) {
    RoomChannel channel = rooms.get(roomId);
    if (channel == null) {
      return Future.failedFuture(new IllegalStateException("room " + roomId + " is not attached"));
    }
    return Future.succeededFuture(channel.append(operation, historyLimit));
  }

  @Override
  public Future<List<SequencedOperation>> history(String roomId, long afterSeq, int limit) {
    RoomChannel channel = rooms.get(roomId);
    if (channel == null) {
      return Future.succeededFuture(List.of());
    }
    return Future.succeededFuture(channel.history(afterSeq, limit));
  }

  @Override
  public Future<Void> redact(String roomId, List<Long> seqs,
      java.util.function.UnaryOperator<Operation> rewrite) {
    RoomChannel channel = rooms.get(roomId);
    if (channel != null) {
      channel.redact(seqs, rewrite);
    }
    return Future.succeededFuture();
  }

  @Override
  public void publishEphemeral(String roomId, byte[] payload) {
    RoomChannel channel = rooms.get(roomId);
    if (channel != null) {
      channel.deliver(() -> channel.listener.onEphemeral(payload));
    }
  }

  @Override
  public boolean historyOutlivesProcess() {
    return false;
  }

  @Override
  public Future<Void> ping() {
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> close() {
    rooms.clear();
    return Future.succeededFuture();
  }

  private static final class RoomChannel {
    final String epoch;
    final RoomListener listener;
    final Context context;
    private long seq;
    /**
     * Recent operations, encoded in reused chunks ({@link EncodedRing}) rather than as the
     * operation's object graph, so that young collections do not copy thousands of them while they
     * survive, nor do they die in the old generation. Created with the first append: its limit
     * comes with it.
     */
    private EncodedRing history;

    RoomChannel(String epoch, long seq, RoomListener listener, Context context) {
      this.epoch = epoch;
      this.seq = seq;
      this.listener = listener;
      this.context = context;
    }

    // Sequencing, history and the hand-off to the listener's queue happen under one lock, so
    // seq order and delivery order are the same.
    synchronized long append(Operation operation, int historyLimit) {
      SequencedOperation sop =
          SequencedOperation.newBuilder().setSeq(++seq).setOperation(operation)
              .setEpoch(epoch).build();
      if (history == null) {
        history = new EncodedRing(historyLimit);
      }
      history.add(sop.getSeq(), sop);
      deliver(() -> listener.onOperation(sop));
      return sop.getSeq();
    }

    /** Rewritten entries that did not fit over their old bytes, by seq. */
    private final java.util.TreeMap<Long, SequencedOperation> rewritten = new java.util.TreeMap<>();

    synchronized void redact(List<Long> seqs,
        java.util.function.UnaryOperator<Operation> rewrite) {
      if (history == null || history.isEmpty()) {
        return;
      }
      rewritten.headMap(history.firstKey()).clear();
      for (long s : seqs) {
        int i = history.indexOf(s);
        if (i < 0) {
          continue;
        }
        SequencedOperation before = decode(i);
        SequencedOperation after = before.toBuilder()
            .setOperation(rewrite.apply(before.getOperation())).setRedacted(true).build();
        if (after.equals(before)) {
          continue;
        }
        if (history.overwrite(i, after)) {
          rewritten.remove(s);
        } else {
          rewritten.put(s, after);
        }
      }
    }

    synchronized List<SequencedOperation> history(long afterSeq, int limit) {
      ArrayList<SequencedOperation> out = new ArrayList<>();
      if (history == null) {
        return out;
      }
      // The seqs held are consecutive and end at seq: start at the first one wanted.
      long first = seq - history.size() + 1;
      for (long i = Math.max(0, afterSeq + 1 - first); i < history.size() && out.size() < limit;
          i++) {
        out.add(decode((int) i));
      }
      return out;
    }

    private SequencedOperation decode(int i) {
      SequencedOperation replaced = rewritten.isEmpty() ? null : rewritten.get(history.key(i));
      if (replaced != null) {
        return replaced;
      }
      try {
        return history.parse(i, SequencedOperation.parser());
      } catch (InvalidProtocolBufferException e) {
        // Encoded by this process from a valid operation: cannot happen.
        throw new IllegalStateException("history entry cannot be decoded", e);
      }
    }

    void deliver(Runnable task) {
      if (context != null) {
        context.runOnContext(v -> task.run());
      } else {
        task.run();
      }
    }
  }
}
