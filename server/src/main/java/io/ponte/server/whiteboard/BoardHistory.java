package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardChangeRecord;
import io.ponte.protocol.v1.BoardRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * One board's log of element changes (the version of each element before each change), oldest
 * first, bounded by count and encoded bytes: what a revert needs and nothing older. It forgets
 * whole operations, oldest first, so it never holds part of one; {@link #forgottenThrough} says
 * how far back it no longer reaches.
 */
final class BoardHistory {
  private final ArrayDeque<BoardChangeRecord> changes = new ArrayDeque<>();
  private long bytes;
  private long forgottenThrough;

  void load(BoardRecord record) {
    for (BoardChangeRecord c : record.getHistoryList()) {
      add(c);
    }
    forgottenThrough = record.getForgottenThrough();
  }

  void writeTo(BoardRecord.Builder record) {
    record.addAllHistory(changes).setForgottenThrough(forgottenThrough);
  }

  void add(BoardChangeRecord change) {
    changes.addLast(change);
    bytes += change.getSerializedSize();
  }

  /** Forgets the oldest operations until the log fits; the newest may go too if it alone is over. */
  void trim(int maxChanges, long maxBytes) {
    while (!changes.isEmpty() && (changes.size() > maxChanges || bytes > maxBytes)) {
      long seq = changes.peekFirst().getSeq();
      while (!changes.isEmpty() && changes.peekFirst().getSeq() == seq) {
        bytes -= changes.removeFirst().getSerializedSize();
      }
      forgottenThrough = seq;
    }
  }

  /** A deleted page's changes can never be reverted: drop them. */
  void dropPage(String pageId) {
    for (Iterator<BoardChangeRecord> it = changes.iterator(); it.hasNext(); ) {
      BoardChangeRecord c = it.next();
      if (c.getPageId().equals(pageId)) {
        bytes -= c.getSerializedSize();
        it.remove();
      }
    }
  }

  /** Whether every change at seq >= sinceSeq is still here. */
  boolean reaches(long sinceSeq) {
    return sinceSeq > forgottenThrough;
  }

  long forgottenThrough() {
    return forgottenThrough;
  }

  /** The changes at seq >= sinceSeq, oldest first. */
  List<BoardChangeRecord> since(long sinceSeq) {
    ArrayList<BoardChangeRecord> out = new ArrayList<>();
    for (Iterator<BoardChangeRecord> it = changes.descendingIterator(); it.hasNext(); ) {
      BoardChangeRecord c = it.next();
      if (c.getSeq() < sinceSeq) {
        break;
      }
      out.add(c);
    }
    Collections.reverse(out);
    return out;
  }

  int size() {
    return changes.size();
  }

  long bytes() {
    return bytes;
  }
}
