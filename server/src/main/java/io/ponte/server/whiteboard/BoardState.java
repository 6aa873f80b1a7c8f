package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.Board;
import io.ponte.protocol.v1.BoardChangeRecord;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.BoardRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * One board: ordered pages, the encoded size of its elements (for board-max-bytes) and its
 * revert history. Every element change goes through {@link #put}, which keeps the three in step.
 */
final class BoardState {
  final String boardId;
  String title;
  boolean locked;
  final String createdBy;
  final long createdSeq;
  final List<PageState> pages = new ArrayList<>();
  final BoardHistory history = new BoardHistory();
  private long bytes;

  BoardState(String boardId, String title, String createdBy, long createdSeq) {
    this.boardId = boardId;
    this.title = title;
    this.createdBy = createdBy;
    this.createdSeq = createdSeq;
  }

  PageState page(String pageId) {
    int i = indexOf(pageId);
    return i < 0 ? null : pages.get(i);
  }

  int indexOf(String pageId) {
    for (int i = 0; i < pages.size(); i++) {
      if (pages.get(i).pageId.equals(pageId)) {
        return i;
      }
    }
    return -1;
  }

  /** Encoded bytes of every element on the board. */
  long bytes() {
    return bytes;
  }

  /**
   * Puts {@code after} in place of the page's element {@code elementId} (null: removes it). A
   * logged change keeps the prior version for revert; lock changes are not logged (they are
   * moderation, not content).
   */
  void put(PageState page, String elementId, BoardElement after, long seq, String userId, boolean logged) {
    BoardElement before = after == null ? page.elements.remove(elementId) : page.elements.put(elementId, after);
    bytes += size(after) - size(before);
    if (logged) {
      BoardChangeRecord.Builder c = BoardChangeRecord.newBuilder()
          .setSeq(seq).setUserId(userId).setPageId(page.pageId).setElementId(elementId);
      if (before != null) {
        c.setBefore(before);
      }
      history.add(c.build());
    }
  }

  void removePage(int index) {
    PageState p = pages.remove(index);
    for (BoardElement e : p.elements.values()) {
      bytes -= e.getSerializedSize();
    }
    history.dropPage(p.pageId);
  }

  static long size(BoardElement e) {
    return e == null ? 0 : e.getSerializedSize();
  }

  Board toProto() {
    Board.Builder b = Board.newBuilder()
        .setBoardId(boardId).setTitle(title).setLocked(locked)
        .setCreatedBy(createdBy).setCreatedSeq(createdSeq);
    for (PageState p : pages) {
      b.addPages(p.toProto());
    }
    return b.build();
  }

  BoardRecord toRecord() {
    BoardRecord.Builder r = BoardRecord.newBuilder().setBoard(toProto());
    history.writeTo(r);
    return r.build();
  }

  static BoardState fromRecord(BoardRecord r) {
    Board b = r.getBoard();
    BoardState s = new BoardState(b.getBoardId(), b.getTitle(), b.getCreatedBy(), b.getCreatedSeq());
    s.locked = b.getLocked();
    for (BoardPage p : b.getPagesList()) {
      PageState page = new PageState(p.getPageId(), p.getTitle());
      for (BoardElement e : p.getElementsList()) {
        page.elements.put(e.getElementId(), e);
        s.bytes += e.getSerializedSize();
      }
      s.pages.add(page);
    }
    s.history.load(r);
    return s;
  }
}
