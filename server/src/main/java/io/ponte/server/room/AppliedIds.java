package io.ponte.server.room;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.v1.AppliedClientMessage;
import io.ponte.server.util.EncodedRing;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The seqs that a room's latest client message ids got (user id and client message id → seq), so
 * that a retried request is answered with its first seq instead of being applied twice.
 *
 * <p>It used to be a linked hash map of strings: four objects per operation (key, its bytes, the
 * boxed seq, the map entry), each living for thousands of operations — long enough to be copied by
 * young collections again and again, promoted, and to die in the old generation. Under load that
 * was most of what every young collection copied (a 20 ms pause rather than 5). Here each entry is
 * encoded into an {@link EncodedRing} (no object per entry), and an open-addressing table of entry
 * numbers, keyed by a per-room seeded hash, finds it; a candidate is confirmed by decoding it, so a
 * hash collision can never pass for a duplicate. Stale table slots (entries the ring has dropped)
 * are skipped and cleared when the table is rebuilt, which happens after at least half as many
 * additions as it holds live entries: constant time per operation on average.
 *
 * <p>Not thread-safe, like the {@link RoomState} that owns it.
 */
final class AppliedIds {
  private final EncodedRing entries;
  // Not SecureRandom: it may block on the room's event loop (first seeding). Unguessable enough
  // for its purpose (spreading keys), and a collision is never taken for a match anyway.
  private final long seed = ThreadLocalRandom.current().nextLong();
  /** Entry number of the ring's oldest entry; entry numbers count every addition. */
  private long firstNumber;
  /** Slots hold (entry number - tableBase + 1), 0 for empty; hashes the key's hash. */
  private int[] table = new int[16];
  private int[] hashes = new int[16];
  private long tableBase;
  private int used;

  AppliedIds(int capacity) {
    entries = new EncodedRing(capacity);
  }

  int size() {
    return entries.size();
  }

  /** The seq remembered for this client message id, or 0. */
  long seqOf(String userId, String clientMsgId) {
    int hash = hash(userId, clientMsgId);
    int mask = table.length - 1;
    long found = -1;
    long foundSeq = 0;
    for (int slot = hash & mask; table[slot] != 0; slot = (slot + 1) & mask) {
      if (hashes[slot] != hash) {
        continue;
      }
      long number = tableBase + table[slot] - 1;
      if (number < firstNumber || number <= found) {
        continue;
      }
      AppliedClientMessage a = entry(number);
      if (a.getUserId().equals(userId) && a.getClientMsgId().equals(clientMsgId)) {
        found = number;
        foundSeq = a.getSeq();
      }
    }
    return foundSeq;
  }

  /** Remembers the seq; the newest entry for a key is the one {@link #seqOf} finds. */
  void put(String userId, String clientMsgId, long seq) {
    boolean full = entries.size() == capacity();
    entries.add(seq, AppliedClientMessage.newBuilder()
        .setUserId(userId).setClientMsgId(clientMsgId).setSeq(seq).build());
    if (full) {
      firstNumber++;
    }
    long number = firstNumber + entries.size() - 1;
    if ((used + 1) * 4 > table.length * 3 || number - tableBase + 1 >= Integer.MAX_VALUE) {
      rebuild();
    } else {
      insert(number, hash(userId, clientMsgId));
    }
  }

  /** Every entry, oldest first. */
  List<AppliedClientMessage> all() {
    List<AppliedClientMessage> out = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      out.add(parse(i));
    }
    return out;
  }

  private int capacity() {
    return entries.capacity();
  }

  private void insert(long number, int hash) {
    int mask = table.length - 1;
    int slot = hash & mask;
    while (table[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    table[slot] = (int) (number - tableBase + 1);
    hashes[slot] = hash;
    used++;
  }

  /**
   * A table for the live entries only, at most half full, so that at least half as many again
   * can be added before the next rebuild (at three quarters).
   */
  private void rebuild() {
    int live = entries.size();
    int size = Integer.highestOneBit(Math.max(16, live * 2) - 1) << 1;
    table = new int[size];
    hashes = new int[size];
    tableBase = firstNumber;
    used = 0;
    for (int i = 0; i < live; i++) {
      AppliedClientMessage a = parse(i);
      insert(firstNumber + i, hash(a.getUserId(), a.getClientMsgId()));
    }
  }

  private AppliedClientMessage entry(long number) {
    return parse((int) (number - firstNumber));
  }

  private AppliedClientMessage parse(int i) {
    try {
      return entries.parse(i, AppliedClientMessage.parser());
    } catch (InvalidProtocolBufferException e) {
      // Encoded by this class from a valid message: cannot happen.
      throw new IllegalStateException("applied id entry " + i + " cannot be decoded", e);
    }
  }

  /**
   * Seeded per room: client message ids are chosen by clients, and a fixed hash would let one
   * craft ids that all fall on the same slots and make every lookup long.
   */
  private int hash(String userId, String clientMsgId) {
    long h = seed;
    h = mix(h, userId);
    h = (h ^ 0x1F) * 0x9E3779B97F4A7C15L;
    h = mix(h, clientMsgId);
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    return (int) h;
  }

  private static long mix(long h, String s) {
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x9E3779B97F4A7C15L;
      h ^= h >>> 29;
    }
    return h ^ s.length();
  }
}
