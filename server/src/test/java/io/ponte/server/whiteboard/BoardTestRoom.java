package io.ponte.server.whiteboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.BoardBox;
import io.ponte.protocol.v1.BoardChanged;
import io.ponte.protocol.v1.BoardCreate;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.BoardStyle;
import io.ponte.protocol.v1.ElementPatch;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsDelete;
import io.ponte.protocol.v1.ElementsUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomCore;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A room core for whiteboard tests: settings, seq, bans and the end of the session, with the
 * room's pipeline in small (seq, validate at apply time, apply) and builders for requests.
 */
final class BoardTestRoom implements RoomCore {
  static final String ROOM = "room-1";
  static final Actor TEACHER = actor("teacher-1", Role.TEACHER);
  static final Actor ANA = actor("ana", Role.STUDENT);
  static final Actor BO = actor("bo", Role.STUDENT);
  static final Actor OBS = actor("obs", Role.OBSERVER);

  private final Whiteboard feature;
  private RoomSettings settings;
  private long seq;
  private boolean ended;
  private final TreeSet<String> banned = new TreeSet<>();
  private WhiteboardState state;
  /** Every operation sent, with its seq, for replaying into another state. */
  final List<SequencedOperation> log = new ArrayList<>();

  BoardTestRoom(BoardLimits limits, boolean studentWhiteboard) {
    this.feature = new Whiteboard(limits);
    this.settings = settings(studentWhiteboard);
    this.state = (WhiteboardState) feature.load(RoomStateRecord.getDefaultInstance());
  }

  BoardTestRoom() {
    this(BoardLimits.DEFAULT, true);
  }

  static RoomSettings settings(boolean studentWhiteboard) {
    return RoomSettings.newBuilder().setTitle("Room")
        .setStudentPermissions(Permissions.newBuilder().setChat(true).setWhiteboard(studentWhiteboard))
        .build();
  }

  static Actor actor(String id, Role role) {
    return Actor.newBuilder().setUserId(id).setDisplayName(id).setRole(role).build();
  }

  WhiteboardState state() {
    return state;
  }

  /** Replaces the state by one loaded from its own snapshot record. */
  void reload() {
    state = (WhiteboardState) feature.load(record());
  }

  RoomStateRecord record() {
    RoomStateRecord.Builder r = RoomStateRecord.newBuilder().setRoomId(ROOM).setSeq(seq);
    state.writeTo(r);
    return r.build();
  }

  void setStudentWhiteboard(boolean on) {
    settings = settings(on);
  }

  void endSession() {
    ended = true;
  }

  /** What sending the request gave: the event, or the error. */
  record Result(Event event, ErrorInfo error) {}

  Result send(Actor who, BoardRequest.Builder request) {
    Operation op = Operation.newBuilder()
        .setActor(who).setServerTimeMs(1_000 + seq).setClientMsgId("m" + (seq + 1))
        .setBoard(request.setRoomId(ROOM)).build();
    return apply(SequencedOperation.newBuilder().setSeq(seq + 1).setOperation(op).build());
  }

  Result apply(SequencedOperation sop) {
    seq = sop.getSeq();
    log.add(sop);
    ErrorInfo e = state.validate(sop.getOperation(), this);
    if (e != null) {
      return new Result(null, e);
    }
    Event.Builder event = Event.newBuilder().setRoomId(ROOM).setSeq(seq)
        .setActor(sop.getOperation().getActor());
    assertEquals(FeatureState.Outcome.PUBLIC, state.apply(sop.getOperation(), event, this));
    return new Result(event.build(), null);
  }

  BoardChanged ok(Actor who, BoardRequest.Builder request) {
    Result r = send(who, request);
    assertNull(r.error(), () -> "refused: " + r.error());
    assertEquals(Event.BodyCase.BOARD_CHANGED, r.event().getBodyCase());
    return r.event().getBoardChanged();
  }

  void refused(Actor who, BoardRequest.Builder request, ErrorCode code) {
    Result r = send(who, request);
    assertNotNull(r.error(), () -> "accepted, expected " + code + ": " + r.event());
    assertEquals(code, r.error().getCode(), r.error().getMessage());
    assertEquals(ROOM, r.error().getRoomId());
  }

  // ------------------------------------------------------------------------------------------
  // RoomCore
  // ------------------------------------------------------------------------------------------

  @Override
  public String roomId() {
    return ROOM;
  }

  @Override
  public long seq() {
    return seq;
  }

  @Override
  public RoomSettings settings() {
    return settings;
  }

  @Override
  public boolean locked() {
    return false;
  }

  @Override
  public boolean ended() {
    return ended;
  }

  @Override
  public boolean isBanned(String userId) {
    return banned.contains(userId);
  }

  @Override
  public <T extends FeatureState> T feature(Class<T> type) {
    return type.cast(state);
  }

  @Override
  public ErrorInfo error(ErrorCode code, String message) {
    return ErrorCodes.error(code, message, ROOM);
  }

  @Override
  public void ban(String userId) {
    banned.add(userId);
  }

  @Override
  public void liftBan(String userId) {
    banned.remove(userId);
  }

  @Override
  public void lock(boolean locked) {}

  @Override
  public void end() {
    ended = true;
  }

  @Override
  public void setStudentPermissions(Permissions defaults) {
    settings = settings.toBuilder().setStudentPermissions(defaults).build();
  }

  // ------------------------------------------------------------------------------------------
  // Request builders
  // ------------------------------------------------------------------------------------------

  static BoardRequest.Builder on(String boardId) {
    return BoardRequest.newBuilder().setBoardId(boardId);
  }

  static BoardRequest.Builder create(String boardId, String firstPageId) {
    return on(boardId).setCreateBoard(BoardCreate.newBuilder().setTitle("Board " + boardId)
        .setFirstPageId(firstPageId));
  }

  static BoardRequest.Builder add(String boardId, String pageId, BoardElement... elements) {
    return on(boardId).setAddElements(ElementsAdd.newBuilder().setPageId(pageId)
        .addAllElements(List.of(elements)));
  }

  static BoardRequest.Builder update(String boardId, String pageId, ElementPatch... patches) {
    return on(boardId).setUpdateElements(ElementsUpdate.newBuilder().setPageId(pageId)
        .addAllPatches(List.of(patches)));
  }

  static BoardRequest.Builder delete(String boardId, String pageId, String... ids) {
    return on(boardId).setDeleteElements(ElementsDelete.newBuilder().setPageId(pageId)
        .addAllElementIds(List.of(ids)));
  }

  static BoardElement rect(String id, int x, int y, int w, int h) {
    return BoardElement.newBuilder().setElementId(id).setZ("a0")
        .setRectangle(BoardBox.newBuilder().setX(x).setY(y).setWidth(w).setHeight(h)).build();
  }

  static ElementPatch move(String id, int x, int y, int w, int h) {
    return ElementPatch.newBuilder().setElementId(id)
        .setRectangle(BoardBox.newBuilder().setX(x).setY(y).setWidth(w).setHeight(h)).build();
  }

  static ElementPatch stroke(String id, String colour) {
    return ElementPatch.newBuilder().setElementId(id)
        .setStyle(BoardStyle.newBuilder().setStroke(colour)).build();
  }

  /** The element as the board holds it now, or null. */
  BoardElement element(String boardId, String pageId, String elementId) {
    return state.board(boardId).getPagesList().stream()
        .filter(p -> p.getPageId().equals(pageId)).findFirst().orElseThrow()
        .getElementsList().stream().filter(e -> e.getElementId().equals(elementId))
        .findFirst().orElse(null);
  }

  int elementCount(String boardId, String pageId) {
    return state.board(boardId).getPagesList().stream()
        .filter(p -> p.getPageId().equals(pageId)).findFirst().orElseThrow().getElementsCount();
  }
}
