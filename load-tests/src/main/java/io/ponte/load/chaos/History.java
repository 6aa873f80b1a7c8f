package io.ponte.load.chaos;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What every client of a chaos soak did and saw, in the order the harness recorded it (one
 * counter for all clients: no wall clock is compared, only this order and each client's own
 * order). Appended from many event loops; read by {@link HistoryChecker} once the run is over.
 *
 * <p>Contents are compared by hash ({@link #hash}): a chat text, the bytes of a Yjs update, a
 * document id. Epochs are the client's current epoch when the entry was recorded (an Ack and an
 * Event carry none on the wire).
 */
public final class History {
  /** One recorded fact; {@code index} orders entries across clients. */
  public sealed interface Entry permits Sent, Acked, Joined, Received, Note {
    long index();

    String client();
  }

  /** A sequenced request was sent (or sent again with the same client message id). */
  public record Sent(long index, String client, String room, String cmid, String kind, String hash)
      implements Entry { }

  /**
   * The server acknowledged {@code cmid} with {@code seq}; {@code duplicate}: a retry of an
   * operation applied earlier (or a document update that added nothing).
   */
  public record Acked(long index, String client, String room, String cmid, long seq, String epoch,
      boolean duplicate) implements Entry { }

  /**
   * A Joined: {@code reset} true means the client starts over at {@code seq} in {@code epoch};
   * false means the missed events (recorded just before, as {@link Received}) brought it to
   * {@code seq}.
   */
  public record Joined(long index, String client, String room, long seq, String epoch, boolean reset)
      implements Entry { }

  /**
   * A durable event (seq > 0) the client processed, live or as a missed event of a resume.
   * {@code kind}: chat, doc, doc-create, skipped, or the event's body name; {@code hash} empty
   * for kinds whose content is not compared.
   */
  public record Received(long index, String client, String room, long seq, String epoch, String kind,
      String hash) implements Entry { }

  /** Something the harness did (a fault, a restart), for the summary and excerpts. */
  public record Note(long index, String client, String text) implements Entry { }

  private final List<Entry> entries = new ArrayList<>();
  private long next;

  public synchronized void sent(String client, String room, String cmid, String kind, String hash) {
    entries.add(new Sent(next++, client, room, cmid, kind, hash));
  }

  public synchronized void acked(String client, String room, String cmid, long seq, String epoch,
      boolean duplicate) {
    entries.add(new Acked(next++, client, room, cmid, seq, epoch, duplicate));
  }

  public synchronized void joined(String client, String room, long seq, String epoch, boolean reset) {
    entries.add(new Joined(next++, client, room, seq, epoch, reset));
  }

  public synchronized void received(String client, String room, long seq, String epoch, String kind,
      String hash) {
    entries.add(new Received(next++, client, room, seq, epoch, kind, hash));
  }

  public synchronized void note(String client, String text) {
    entries.add(new Note(next++, client, text));
  }

  /** A copy of every entry, in order. */
  public synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }

  public synchronized int size() {
    return entries.size();
  }

  /** The content hash used everywhere in a history: 16 hex digits of SHA-256 over kind and bytes. */
  public static String hash(String kind, byte[] content) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(kind.getBytes(StandardCharsets.UTF_8));
      d.update((byte) 0);
      d.update(content);
      return HexFormat.of().formatHex(d.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String hash(String kind, String content) {
    return hash(kind, content.getBytes(StandardCharsets.UTF_8));
  }
}
