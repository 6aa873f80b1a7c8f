package io.ponte.server.breakout;

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
 * Breakout rooms as a room feature: owns {@code Operation.breakout} and
 * {@code RoomStateRecord.breakouts}. In a parent room, the rounds of breakouts and who is placed
 * where; in a breakout room, its end. Register it once with the room's features:
 * {@code new Breakouts(limits)}; admission to breakout rooms is {@link BreakoutAccess}.
 */
public final class Breakouts implements RoomFeature, RequestFeature {
  private final BreakoutLimits limits;

  public Breakouts(BreakoutLimits limits) {
    this.limits = limits;
  }

  @Override
  public String name() {
    return "breakouts";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.BREAKOUT);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new BreakoutState(record.getBreakouts(), limits);
  }

  @Override
  public FeatureRelay relay(Room room) {
    return new BreakoutWatch(room);
  }

  @Override
  public void register(Requests requests) {
    new BreakoutRequests().register(requests);
  }
}
