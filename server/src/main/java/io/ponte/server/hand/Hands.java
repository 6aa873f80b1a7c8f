package io.ponte.server.hand;

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
 * Hand raising as a room feature: owns {@code Operation.hand} and {@code RoomStateRecord.raised_hands},
 * the durable queue of raised hands in raise order. Register it once with the room's features:
 * {@code new Hands(leaveGraceMs)}.
 */
public final class Hands implements RoomFeature, RequestFeature {
  private final long leaveGraceMs;

  /** @param leaveGraceMs how long a user may be gone from the room before their hand is lowered */
  public Hands(long leaveGraceMs) {
    if (leaveGraceMs < 0) {
      throw new IllegalArgumentException("leaveGraceMs " + leaveGraceMs);
    }
    this.leaveGraceMs = leaveGraceMs;
  }

  @Override
  public String name() {
    return "hands";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.HAND);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new HandState(record.getRaisedHandsList());
  }

  @Override
  public FeatureRelay relay(Room room) {
    return new HandLeaveWatch(room, leaveGraceMs);
  }

  @Override
  public void register(Requests requests) {
    new HandRequests().register(requests);
  }
}
