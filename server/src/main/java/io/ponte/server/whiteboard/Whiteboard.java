package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.FeatureRelay;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import java.util.Set;

/**
 * The shared whiteboard as a room feature: owns {@code Operation.board} (every sequenced board
 * operation) and {@code RoomStateRecord.boards}. Register it once with the room's features:
 * {@code new Whiteboard(limits)}.
 */
public final class Whiteboard implements RoomFeature, RequestFeature {
  private final BoardLimits limits;

  public Whiteboard(BoardLimits limits) {
    this.limits = limits;
  }

  public Whiteboard() {
    this(BoardLimits.DEFAULT);
  }

  @Override
  public String name() {
    return "whiteboard";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.BOARD);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new WhiteboardState(limits, record.getBoardsList());
  }

  @Override
  public FeatureRelay relay(Room room) {
    return new WhiteboardRelay();
  }

  @Override
  public void register(Requests requests) {
    new WhiteboardRequests(limits).register(requests);
  }
}
