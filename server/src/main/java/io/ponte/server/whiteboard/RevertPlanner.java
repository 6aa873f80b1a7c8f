package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardChangeRecord;
import io.ponte.protocol.v1.BoardElement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Works out what reverting one participant's element changes on a board since a seq leaves, per
 * element, from the board's history (rule in WHITEBOARD.md, "Revert"):
 *
 * <ol>
 *   <li>an element the participant brought into existence in the window (its first change in the
 *       window is theirs and it did not exist before) is removed, whatever others did to it since:
 *       undoing a creation takes what was built on it along;
 *   <li>otherwise, if someone else changed the element after the participant's last change, it
 *       stays as it is: their later change wins, as concurrent edits do;
 *   <li>otherwise it goes back to its version before the participant's trailing run of changes
 *       (restored if they deleted it), so others' changes before that run are kept.
 * </ol>
 */
final class RevertPlanner {
  private RevertPlanner() {}

  /** What one page ends up with: ids to remove, prior versions to put back (both by id). */
  record PagePlan(String pageId, List<String> removed, List<BoardElement> restored) {}

  static List<PagePlan> plan(BoardState board, String userId, long sinceSeq) {
    Map<String, TreeMap<String, List<BoardChangeRecord>>> byPage = new HashMap<>();
    for (BoardChangeRecord c : board.history.since(sinceSeq)) {
      byPage.computeIfAbsent(c.getPageId(), k -> new TreeMap<>())
          .computeIfAbsent(c.getElementId(), k -> new ArrayList<>())
          .add(c);
    }
    List<PagePlan> plans = new ArrayList<>();
    for (PageState page : board.pages) {
      TreeMap<String, List<BoardChangeRecord>> elements = byPage.get(page.pageId);
      if (elements == null) {
        continue;
      }
      List<String> removed = new ArrayList<>();
      List<BoardElement> restored = new ArrayList<>();
      for (Map.Entry<String, List<BoardChangeRecord>> e : elements.entrySet()) {
        Target t = target(e.getValue(), userId);
        if (t == null) {
          continue;
        }
        if (t.version == null) {
          if (page.get(e.getKey()) != null) {
            removed.add(e.getKey());
          }
        } else {
          restored.add(t.version);
        }
      }
      if (!removed.isEmpty() || !restored.isEmpty()) {
        plans.add(new PagePlan(page.pageId, removed, restored));
      }
    }
    return plans;
  }

  /** What the element should become (version null: absent), or null to leave it. */
  private record Target(BoardElement version) {}

  private static Target target(List<BoardChangeRecord> changes, String userId) {
    BoardChangeRecord first = changes.get(0);
    if (first.getUserId().equals(userId) && !first.hasBefore()) {
      return new Target(null);
    }
    int run = changes.size();
    while (run > 0 && changes.get(run - 1).getUserId().equals(userId)) {
      run--;
    }
    if (run == changes.size()) {
      return null;
    }
    BoardChangeRecord start = changes.get(run);
    return new Target(start.hasBefore() ? start.getBefore() : null);
  }
}
