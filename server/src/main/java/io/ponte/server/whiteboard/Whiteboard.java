package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeature;
import java.util.Set;

/**
 * The shared whiteboard as a room feature: owns {@code Operation.board} (every sequenced board
 * operation) and {@code RoomStateRecord.boards}. Register it once with the room's features:
 * {@code new Whiteboard(limits)}.
 */
public final class Whiteboard implements RoomFeature {
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
}
