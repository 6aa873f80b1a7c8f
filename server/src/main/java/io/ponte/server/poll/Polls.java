package io.ponte.server.poll;

import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import java.util.Set;

/**
 * Polls and quick quizzes as a room feature: owns {@code Operation.poll} and
 * {@code RoomStateRecord.polls}. Register it once with the room's features:
 * {@code new Polls(limits)}.
 */
public final class Polls implements RoomFeature, RequestFeature {
  private final PollLimits limits;

  public Polls(PollLimits limits) {
    this.limits = limits;
  }

  public Polls() {
    this(PollLimits.DEFAULT);
  }

  @Override
  public String name() {
    return "polls";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.POLL);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new PollsState(limits, record.getPollsList());
  }

  @Override
  public void register(Requests requests) {
    new PollRequests(limits).register(requests);
  }
}
