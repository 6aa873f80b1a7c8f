package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardRevert;
import io.ponte.protocol.v1.ElementPatch;
import io.ponte.protocol.v1.ElementZ;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsChanged;
import io.ponte.protocol.v1.ElementsChanged.Cause;
import io.ponte.protocol.v1.ElementsDelete;
import io.ponte.protocol.v1.ElementsLock;
import io.ponte.protocol.v1.ElementsReorder;
import io.ponte.protocol.v1.ElementsUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.PageElements;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The element operations on one page: each {@code check} decides (without changing anything)
 * whether the operation takes effect, all of it or none; its {@code apply} makes the change and
 * returns the explicit result for the event. Apply assumes check accepted at the same seq.
 */
final class ElementEdits {
  private final BoardLimits limits;

  ElementEdits(BoardLimits limits) {
    this.limits = limits;
  }

  // ------------------------------------------------------------------------------------------
  // Add
  // ------------------------------------------------------------------------------------------

  Refusal checkAdd(BoardState board, PageState page, ElementsAdd add, Editor ed) {
    if (add.getElementsCount() == 0) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "no elements to add");
    }
    Set<String> ids = new HashSet<>();
    long bytes = 0;
    for (BoardElement e : add.getElementsList()) {
      Refusal r = ElementRules.checkNew(e, limits, ed.redacted());
      if (r != null) {
        return r;
      }
      if (!ids.add(e.getElementId()) || page.get(e.getElementId()) != null) {
        return new Refusal(ErrorCode.ELEMENT_EXISTS, "the page already has element " + e.getElementId());
      }
      bytes += stored(e, ed).getSerializedSize();
    }
    if (page.elements.size() + ids.size() > limits.maxElementsPerPage()) {
      return new Refusal(ErrorCode.TOO_MANY_ELEMENTS,
          "a page holds at most " + limits.maxElementsPerPage() + " elements");
    }
    return fits(board, bytes);
  }

  ElementsChanged applyAdd(BoardState board, PageState page, ElementsAdd add, Editor ed) {
    PageElements.Builder result = PageElements.newBuilder().setPageId(page.pageId);
    for (BoardElement e : add.getElementsList()) {
      BoardElement s = stored(e, ed);
      board.put(page, s.getElementId(), s, ed.seq(), ed.userId(), true);
      result.addUpserted(s);
    }
    return changed(Cause.ADDED, result);
  }

  /** The element as the board keeps it: the server's fields set, whatever the client sent. */
  private static BoardElement stored(BoardElement e, Editor ed) {
    return e.toBuilder()
        .setLocked(false)
        .setAuthorId(ed.userId()).setCreatedSeq(ed.seq())
        .setChangedBy(ed.userId()).setChangedSeq(ed.seq())
        .build();
  }

  // ------------------------------------------------------------------------------------------
  // Update, reorder
  // ------------------------------------------------------------------------------------------

  Refusal checkUpdate(BoardState board, PageState page, ElementsUpdate update, Editor ed) {
    List<String> ids = new ArrayList<>();
    update.getPatchesList().forEach(p -> ids.add(p.getElementId()));
    Refusal r = checkTargets(page, ids, ed, true);
    if (r != null) {
      return r;
    }
    long delta = 0;
    for (ElementPatch p : update.getPatchesList()) {
      BoardElement current = page.get(p.getElementId());
      r = ElementRules.checkPatch(p, current, limits, ed.redacted());
      if (r != null) {
        return r;
      }
      delta += updated(current, p, ed).getSerializedSize() - current.getSerializedSize();
    }
    return fits(board, delta);
  }

  ElementsChanged applyUpdate(BoardState board, PageState page, ElementsUpdate update, Editor ed) {
    PageElements.Builder result = PageElements.newBuilder().setPageId(page.pageId);
    for (ElementPatch p : update.getPatchesList()) {
      BoardElement after = updated(page.get(p.getElementId()), p, ed);
      board.put(page, after.getElementId(), after, ed.seq(), ed.userId(), true);
      result.addUpserted(after);
    }
    return changed(Cause.UPDATED, result);
  }

  private static BoardElement updated(BoardElement current, ElementPatch p, Editor ed) {
    return touched(ElementRules.patched(current, p), ed);
  }

  private static BoardElement touched(BoardElement e, Editor ed) {
    return e.toBuilder().setChangedBy(ed.userId()).setChangedSeq(ed.seq()).build();
  }

  Refusal checkReorder(BoardState board, PageState page, ElementsReorder reorder, Editor ed) {
    List<String> ids = new ArrayList<>();
    reorder.getMovesList().forEach(m -> ids.add(m.getElementId()));
    Refusal r = checkTargets(page, ids, ed, true);
    if (r != null) {
      return r;
    }
    long delta = 0;
    for (ElementZ m : reorder.getMovesList()) {
      if (!FractionalIndex.valid(m.getZ())) {
        return new Refusal(ErrorCode.ELEMENT_INVALID, "z is not a fractional index");
      }
      BoardElement current = page.get(m.getElementId());
      delta += reordered(current, m, ed).getSerializedSize() - current.getSerializedSize();
    }
    return fits(board, delta);
  }

  ElementsChanged applyReorder(BoardState board, PageState page, ElementsReorder reorder, Editor ed) {
    PageElements.Builder result = PageElements.newBuilder().setPageId(page.pageId);
    for (ElementZ m : reorder.getMovesList()) {
      BoardElement after = reordered(page.get(m.getElementId()), m, ed);
      board.put(page, after.getElementId(), after, ed.seq(), ed.userId(), true);
      result.addUpserted(after);
    }
    return changed(Cause.REORDERED, result);
  }

  private static BoardElement reordered(BoardElement current, ElementZ m, Editor ed) {
    return touched(current.toBuilder().setZ(m.getZ()).build(), ed);
  }

  // ------------------------------------------------------------------------------------------
  // Delete, lock, clear
  // ------------------------------------------------------------------------------------------

  Refusal checkDelete(PageState page, ElementsDelete delete, Editor ed) {
    return checkTargets(page, delete.getElementIdsList(), ed, true);
  }

  ElementsChanged applyDelete(BoardState board, PageState page, ElementsDelete delete, Editor ed) {
    for (String id : delete.getElementIdsList()) {
      board.put(page, id, null, ed.seq(), ed.userId(), true);
    }
    return changed(Cause.DELETED,
        PageElements.newBuilder().setPageId(page.pageId).addAllRemoved(delete.getElementIdsList()));
  }

  Refusal checkLock(PageState page, ElementsLock lock, Editor ed) {
    return checkTargets(page, lock.getElementIdsList(), ed, false);
  }

  /** Lock changes are not content: they keep changed_by and changed_seq, and are not logged. */
  ElementsChanged applyLock(BoardState board, PageState page, ElementsLock lock, Editor ed) {
    PageElements.Builder result = PageElements.newBuilder().setPageId(page.pageId);
    for (String id : lock.getElementIdsList()) {
      BoardElement after = page.get(id).toBuilder().setLocked(lock.getLocked()).build();
      board.put(page, id, after, ed.seq(), ed.userId(), false);
      result.addUpserted(after);
    }
    return changed(lock.getLocked() ? Cause.LOCKED : Cause.UNLOCKED, result);
  }

  /** Logged like deletes, so that reverting the teacher who cleared brings the elements back. */
  ElementsChanged applyClear(BoardState board, PageState page, Editor ed) {
    for (String id : new ArrayList<>(page.elements.keySet())) {
      board.put(page, id, null, ed.seq(), ed.userId(), true);
    }
    return changed(Cause.CLEARED, PageElements.newBuilder().setPageId(page.pageId).setCleared(true));
  }

  // ------------------------------------------------------------------------------------------
  // Revert
  // ------------------------------------------------------------------------------------------

  Refusal checkRevert(BoardState board, BoardRevert revert, Editor ed) {
    if (revert.getUserId().isEmpty() || revert.getSinceSeq() == 0) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "revert needs a user_id and a since_seq >= 1");
    }
    if (!board.history.reaches(revert.getSinceSeq())) {
      return new Refusal(ErrorCode.REVERT_TOO_OLD,
          "the board's history starts after seq " + board.history.forgottenThrough());
    }
    long delta = 0;
    for (RevertPlanner.PagePlan plan : RevertPlanner.plan(board, revert.getUserId(), revert.getSinceSeq())) {
      PageState page = board.page(plan.pageId());
      int count = page.elements.size() - plan.removed().size();
      for (String id : plan.removed()) {
        delta -= page.get(id).getSerializedSize();
      }
      for (BoardElement prior : plan.restored()) {
        BoardElement current = page.get(prior.getElementId());
        count += current == null ? 1 : 0;
        delta += restored(prior, current, ed).getSerializedSize() - BoardState.size(current);
      }
      if (count > limits.maxElementsPerPage()) {
        return new Refusal(ErrorCode.TOO_MANY_ELEMENTS,
            "the revert would put more than " + limits.maxElementsPerPage() + " elements on page " + page.pageId);
      }
    }
    return fits(board, delta);
  }

  ElementsChanged applyRevert(BoardState board, BoardRevert revert, Editor ed) {
    ElementsChanged.Builder result = ElementsChanged.newBuilder()
        .setCause(Cause.REVERTED)
        .setRevertedUserId(revert.getUserId())
        .setSinceSeq(revert.getSinceSeq());
    for (RevertPlanner.PagePlan plan : RevertPlanner.plan(board, revert.getUserId(), revert.getSinceSeq())) {
      PageState page = board.page(plan.pageId());
      PageElements.Builder pageResult = PageElements.newBuilder().setPageId(page.pageId);
      for (String id : plan.removed()) {
        board.put(page, id, null, ed.seq(), ed.userId(), true);
        pageResult.addRemoved(id);
      }
      for (BoardElement prior : plan.restored()) {
        BoardElement after = restored(prior, page.get(prior.getElementId()), ed);
        board.put(page, after.getElementId(), after, ed.seq(), ed.userId(), true);
        pageResult.addUpserted(after);
      }
      result.addPages(pageResult);
    }
    return result.build();
  }

  /** A prior version put back: a change by the reverting teacher; the lock stays as it is now. */
  private static BoardElement restored(BoardElement prior, BoardElement current, Editor ed) {
    BoardElement.Builder b = prior.toBuilder().setChangedBy(ed.userId()).setChangedSeq(ed.seq());
    if (current != null) {
      b.setLocked(current.getLocked());
    }
    return b.build();
  }

  // ------------------------------------------------------------------------------------------

  /**
   * The elements an operation names: at least one, each once, each on the page; for a student,
   * none locked.
   */
  private static Refusal checkTargets(PageState page, List<String> ids, Editor ed, boolean lockApplies) {
    if (ids.isEmpty()) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "no elements named");
    }
    Set<String> seen = new HashSet<>();
    for (String id : ids) {
      if (!seen.add(id)) {
        return new Refusal(ErrorCode.INVALID_REQUEST, "element " + id + " named twice");
      }
      BoardElement e = page.get(id);
      if (e == null) {
        return new Refusal(ErrorCode.ELEMENT_NOT_FOUND, "no element " + id + " on the page");
      }
      if (lockApplies && e.getLocked() && !ed.teacher()) {
        return new Refusal(ErrorCode.ELEMENT_LOCKED, "element " + id + " is locked");
      }
    }
    return null;
  }

  private Refusal fits(BoardState board, long delta) {
    if (board.bytes() + delta > limits.maxBoardBytes()) {
      return new Refusal(ErrorCode.BOARD_TOO_LARGE,
          "the board would take more than " + limits.maxBoardBytes() + " bytes");
    }
    return null;
  }

  private static ElementsChanged changed(Cause cause, PageElements.Builder page) {
    return ElementsChanged.newBuilder().setCause(cause).addPages(page).build();
  }
}
