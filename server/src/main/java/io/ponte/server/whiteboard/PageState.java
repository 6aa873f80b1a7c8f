package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardPage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/** One page of a board: its elements by id (sorted, so every node iterates alike). */
final class PageState {
  final String pageId;
  String title;
  final TreeMap<String, BoardElement> elements = new TreeMap<>();

  PageState(String pageId, String title) {
    this.pageId = pageId;
    this.title = title;
  }

  BoardElement get(String elementId) {
    return elements.get(elementId);
  }

  /** Back to front. */
  List<BoardElement> paintOrder() {
    List<BoardElement> out = new ArrayList<>(elements.values());
    out.sort(FractionalIndex.PAINT_ORDER);
    return out;
  }

  BoardPage toProto() {
    return BoardPage.newBuilder().setPageId(pageId).setTitle(title).addAllElements(paintOrder()).build();
  }
}
