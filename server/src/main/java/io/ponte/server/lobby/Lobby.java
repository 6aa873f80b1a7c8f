package io.ponte.server.lobby;

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
 * The lobby (waiting room) as a room feature: owns {@code Operation.lobby} and
 * {@code RoomStateRecord.lobby}, the join gate that holds the Joins needing a teacher's
 * admission, and the teachers' requests. Register it once with the room's features:
 * {@code new Lobby(new Lobby.Limits(...))}.
 */
public final class Lobby implements RoomFeature, RequestFeature {
  /**
   * @param maxWaiting users one room's lobby holds (LOBBY_FULL beyond)
   * @param leaveGraceMs how long after a user's last waiting connection closed they leave the queue
   * @param denyBlockMs how long a denied user may not knock again
   */
  public record Limits(int maxWaiting, long leaveGraceMs, long denyBlockMs) {
    public Limits {
      if (maxWaiting < 1 || leaveGraceMs < 0 || denyBlockMs < 0) {
        throw new IllegalArgumentException("lobby limits " + maxWaiting + "/" + leaveGraceMs + "/" + denyBlockMs);
      }
    }
  }

  private final Limits limits;

  public Lobby(Limits limits) {
    this.limits = limits;
  }

  @Override
  public String name() {
    return "lobby";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.LOBBY);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new LobbyState(record.getLobby());
  }

  @Override
  public FeatureRelay relay(Room room) {
    return new LobbyDoor(room, limits);
  }

  @Override
  public void register(Requests requests) {
    new LobbyRequests(limits).register(requests);
  }
}
