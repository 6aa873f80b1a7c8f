package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.Board;
import io.ponte.protocol.v1.BoardChanged;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardDeleted;
import io.ponte.protocol.v1.BoardLockChanged;
import io.ponte.protocol.v1.BoardRecord;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardRequest.OpCase;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PageAdd;
import io.ponte.protocol.v1.PageAdded;
import io.ponte.protocol.v1.PageDeleted;
import io.ponte.protocol.v1.PageMoved;
import io.ponte.protocol.v1.PageRenamed;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.RoomCore;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The whiteboards of one room, as part of its deterministic state: boards by id, each with
 * ordered pages of elements and a bounded revert history. Who may do what (teachers everything;
 * students with the whiteboard permission, outside locks, not the teacher-only operations;
 * observers nothing) and every limit are decided here at apply time, from the operation and the
 * state alone.
 *
 * <p>Not thread-safe: touched only on the room's context.
 */
public final class WhiteboardState implements FeatureState {
  private static final Set<OpCase> TEACHER_ONLY = EnumSet.of(
      OpCase.DELETE_BOARD, OpCase.LOCK_BOARD, OpCase.DELETE_PAGE, OpCase.CLEAR_PAGE,
      OpCase.LOCK_ELEMENTS, OpCase.REVERT);

  private final BoardLimits limits;
  private final ElementEdits elements;
  private final TreeMap<String, BoardState> boards = new TreeMap<>();

  WhiteboardState(BoardLimits limits, List<BoardRecord> records) {
    this.limits = limits;
    this.elements = new ElementEdits(limits);
    for (BoardRecord r : records) {
      boards.put(r.getBoard().getBoardId(), BoardState.fromRecord(r));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reading
  // ------------------------------------------------------------------------------------------

  /** The board as clients see it, or null. */
  public Board board(String boardId) {
    BoardState b = boards.get(boardId);
    return b == null ? null : b.toProto();
  }

  /**
   * Whether someone may draw live on the page now: the same checks as an element change
   * (the board, its lock, the page; the capability is the room's, RoomCore#mayUse), for ephemeral
   * ink that is never applied.
   */
  Refusal mayDrawLive(String boardId, String pageId, boolean teacher) {
    Refusal r = openFor(boardId, teacher);
    if (r == null && boards.get(boardId).page(pageId) == null) {
      r = new Refusal(ErrorCode.PAGE_NOT_FOUND, "no page " + pageId);
    }
    return r;
  }

  /** Null when the board exists and is not locked against this editor. */
  private Refusal openFor(String boardId, boolean teacher) {
    BoardState board = boards.get(boardId);
    if (board == null) {
      return new Refusal(ErrorCode.BOARD_NOT_FOUND, "no board " + boardId);
    }
    if (board.locked && !teacher) {
      return new Refusal(ErrorCode.BOARD_LOCKED, "the board is locked");
    }
    return null;
  }

  /** Every board, by id. */
  public List<Board> boards() {
    List<Board> out = new ArrayList<>(boards.size());
    boards.values().forEach(b -> out.add(b.toProto()));
    return out;
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.clearBoards();
    boards.values().forEach(b -> record.addBoards(b.toRecord()));
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    boards.values().forEach(b -> snapshot.addBoards(b.toProto()));
  }

  // ------------------------------------------------------------------------------------------
  // Validating
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    if (op.getBodyCase() != Operation.BodyCase.BOARD) {
      return room.error(ErrorCode.INVALID_REQUEST, "not a board operation");
    }
    Actor actor = op.getActor();
    if (actor.getRole() == Role.ROLE_UNSPECIFIED) {
      return room.error(ErrorCode.PERMISSION_DENIED, "operation without a role");
    }
    ErrorInfo mayWrite = room.mayUse(actor.getUserId(), actor.getRole(), Capability.CAPABILITY_WHITEBOARD);
    if (mayWrite != null) {
      return mayWrite;
    }
    Refusal r = check(op.getBoard(), editor(op, room));
    return r == null ? null : room.error(r.code(), r.reason());
  }

  private Refusal check(BoardRequest req, Editor ed) {
    if (!ed.teacher() && TEACHER_ONLY.contains(req.getOpCase())) {
      return new Refusal(ErrorCode.PERMISSION_DENIED, "only teachers can " + req.getOpCase());
    }
    if (req.getOpCase() == OpCase.OP_NOT_SET) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "board request without an operation");
    }
    if (!ResourceId.valid(req.getBoardId())) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "board_id is missing or invalid");
    }
    if (req.getOpCase() == OpCase.CREATE_BOARD) {
      return checkCreate(req.getBoardId(), req.getCreateBoard());
    }
    Refusal r = openFor(req.getBoardId(), ed.teacher());
    if (r != null) {
      return r;
    }
    BoardState board = boards.get(req.getBoardId());
    return switch (req.getOpCase()) {
      case DELETE_BOARD, LOCK_BOARD -> null;
      case ADD_PAGE -> checkAddPage(board, req.getAddPage());
      case RENAME_PAGE -> onPage(board, req.getRenamePage().getPageId(),
          p -> ElementRules.checkTitle(req.getRenamePage().getTitle()));
      case DELETE_PAGE -> onPage(board, req.getDeletePage().getPageId(), p -> null);
      case MOVE_PAGE -> onPage(board, req.getMovePage().getPageId(), p -> null);
      case CLEAR_PAGE -> onPage(board, req.getClearPage().getPageId(), p -> null);
      case ADD_ELEMENTS -> onPage(board, req.getAddElements().getPageId(),
          p -> elements.checkAdd(board, p, req.getAddElements(), ed));
      case UPDATE_ELEMENTS -> onPage(board, req.getUpdateElements().getPageId(),
          p -> elements.checkUpdate(board, p, req.getUpdateElements(), ed));
      case DELETE_ELEMENTS -> onPage(board, req.getDeleteElements().getPageId(),
          p -> elements.checkDelete(p, req.getDeleteElements(), ed));
      case REORDER_ELEMENTS -> onPage(board, req.getReorderElements().getPageId(),
          p -> elements.checkReorder(board, p, req.getReorderElements(), ed));
      case LOCK_ELEMENTS -> onPage(board, req.getLockElements().getPageId(),
          p -> elements.checkLock(p, req.getLockElements(), ed));
      case REVERT -> elements.checkRevert(board, req.getRevert(), ed);
      case CREATE_BOARD, OP_NOT_SET -> throw new IllegalStateException("handled above");
    };
  }

  private Refusal checkCreate(String boardId, BoardCreate c) {
    Refusal r = ElementRules.checkTitle(c.getTitle());
    if (r != null) {
      return r;
    }
    if (!c.getFirstPageId().isEmpty() && !ResourceId.valid(c.getFirstPageId())) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "first_page_id is invalid");
    }
    if (boards.containsKey(boardId)) {
      return new Refusal(ErrorCode.BOARD_EXISTS, "the room already has board " + boardId);
    }
    if (boards.size() >= limits.maxBoards()) {
      return new Refusal(ErrorCode.TOO_MANY_BOARDS, "a room holds at most " + limits.maxBoards() + " boards");
    }
    return null;
  }

  private Refusal checkAddPage(BoardState board, PageAdd add) {
    if (!ResourceId.valid(add.getPageId())) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "page_id is missing or invalid");
    }
    Refusal r = ElementRules.checkTitle(add.getTitle());
    if (r != null) {
      return r;
    }
    if (board.page(add.getPageId()) != null) {
      return new Refusal(ErrorCode.PAGE_EXISTS, "the board already has page " + add.getPageId());
    }
    if (board.pages.size() >= limits.maxPages()) {
      return new Refusal(ErrorCode.TOO_MANY_PAGES, "a board holds at most " + limits.maxPages() + " pages");
    }
    return null;
  }

  private static Refusal onPage(BoardState board, String pageId, Function<PageState, Refusal> check) {
    PageState page = board.page(pageId);
    if (page == null) {
      return new Refusal(ErrorCode.PAGE_NOT_FOUND, "no page " + pageId + " on the board");
    }
    return check.apply(page);
  }

  private static Editor editor(Operation op, RoomCore room) {
    return new Editor(op.getActor().getUserId(), op.getActor().getRole() == Role.TEACHER, room.seq(),
        room.redacted());
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  /** The teachers' board controls (TEACHER_ONLY): delete, lock, page delete/clear, revert. */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    BoardRequest req = op.getBoard();
    String board = "board:" + req.getBoardId();
    return switch (req.getOpCase()) {
      case DELETE_BOARD -> AuditNote.about("board.delete", board, "");
      case LOCK_BOARD -> AuditNote.about(req.getLockBoard().getLocked() ? "board.lock" : "board.unlock",
          board, "");
      case DELETE_PAGE -> AuditNote.about("board.page_delete", board, req.getDeletePage().getPageId());
      case CLEAR_PAGE -> AuditNote.about("board.page_clear", board, req.getClearPage().getPageId());
      case LOCK_ELEMENTS -> AuditNote.about(
          req.getLockElements().getLocked() ? "board.elements_lock" : "board.elements_unlock", board,
          req.getLockElements().getPageId());
      case REVERT -> new AuditNote("board.revert", req.getRevert().getUserId(), board,
          "since " + req.getRevert().getSinceSeq());
      default -> null;
    };
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    BoardRequest req = op.getBoard();
    Editor ed = editor(op, room);
    BoardChanged.Builder changed = BoardChanged.newBuilder()
        .setBoardId(req.getBoardId()).setClientMsgId(op.getClientMsgId());
    BoardState board = boards.get(req.getBoardId());
    switch (req.getOpCase()) {
      case CREATE_BOARD -> {
        BoardCreate c = req.getCreateBoard();
        board = new BoardState(req.getBoardId(), c.getTitle(), ed.userId(), ed.seq());
        if (!c.getFirstPageId().isEmpty()) {
          board.pages.add(new PageState(c.getFirstPageId(), ""));
        }
        boards.put(board.boardId, board);
        changed.setBoardCreated(board.toProto());
      }
      case DELETE_BOARD -> {
        boards.remove(board.boardId);
        changed.setBoardDeleted(BoardDeleted.getDefaultInstance());
      }
      case LOCK_BOARD -> {
        board.locked = req.getLockBoard().getLocked();
        changed.setBoardLock(BoardLockChanged.newBuilder().setLocked(board.locked));
      }
      case ADD_PAGE -> {
        PageAdd a = req.getAddPage();
        PageState page = new PageState(a.getPageId(), a.getTitle());
        int index = a.hasIndex() ? (int) Math.min(Integer.toUnsignedLong(a.getIndex()), board.pages.size())
            : board.pages.size();
        board.pages.add(index, page);
        changed.setPageAdded(PageAdded.newBuilder().setPage(page.toProto()).setIndex(index));
      }
      case RENAME_PAGE -> {
        board.page(req.getRenamePage().getPageId()).title = req.getRenamePage().getTitle();
        changed.setPageRenamed(PageRenamed.newBuilder()
            .setPageId(req.getRenamePage().getPageId()).setTitle(req.getRenamePage().getTitle()));
      }
      case DELETE_PAGE -> {
        board.removePage(board.indexOf(req.getDeletePage().getPageId()));
        changed.setPageDeleted(PageDeleted.newBuilder().setPageId(req.getDeletePage().getPageId()));
      }
      case MOVE_PAGE -> {
        PageState page = board.pages.remove(board.indexOf(req.getMovePage().getPageId()));
        int index = (int) Math.min(Integer.toUnsignedLong(req.getMovePage().getIndex()), board.pages.size());
        board.pages.add(index, page);
        changed.setPageMoved(PageMoved.newBuilder().setPageId(page.pageId).setIndex(index));
      }
      case CLEAR_PAGE -> changed.setElements(
          elements.applyClear(board, board.page(req.getClearPage().getPageId()), ed));
      case ADD_ELEMENTS -> changed.setElements(elements.applyAdd(
          board, board.page(req.getAddElements().getPageId()), req.getAddElements(), ed));
      case UPDATE_ELEMENTS -> changed.setElements(elements.applyUpdate(
          board, board.page(req.getUpdateElements().getPageId()), req.getUpdateElements(), ed));
      case DELETE_ELEMENTS -> changed.setElements(elements.applyDelete(
          board, board.page(req.getDeleteElements().getPageId()), req.getDeleteElements(), ed));
      case REORDER_ELEMENTS -> changed.setElements(elements.applyReorder(
          board, board.page(req.getReorderElements().getPageId()), req.getReorderElements(), ed));
      case LOCK_ELEMENTS -> changed.setElements(elements.applyLock(
          board, board.page(req.getLockElements().getPageId()), req.getLockElements(), ed));
      case REVERT -> changed.setElements(elements.applyRevert(board, req.getRevert(), ed));
      case OP_NOT_SET -> throw new IllegalStateException("validated board request has no operation");
    }
    if (boards.containsKey(req.getBoardId())) {
      board.history.trim(limits.maxHistoryChanges(), limits.maxHistoryBytes());
    }
    event.setBoardChanged(changed);
    return Outcome.PUBLIC;
  }
}
