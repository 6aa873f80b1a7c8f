package io.ponte.server.whiteboard;

import io.ponte.protocol.v1.BoardInkEvent;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Role;
import io.ponte.server.room.FeatureRelay;
import io.ponte.server.room.RoomMember;
import java.util.HashSet;
import java.util.Set;

/**
 * Live ink, laser and follow-me in one room on this node: relayed to everyone but the drawer;
 * live strokes not to connections in low-bandwidth mode. Room context only.
 */
final class WhiteboardRelay implements FeatureRelay {
  /** Sessions of this node that switched live strokes off in this room. */
  private final Set<String> liveInkOff = new HashSet<>();

  @Override
  public Set<Event.BodyCase> events() {
    return Set.of(Event.BodyCase.BOARD_INK);
  }

  @Override
  public boolean deliverTo(Event event, RoomMember member, Role role) {
    if (member.userId().equals(event.getActor().getUserId())) {
      return false;
    }
    return event.getBoardInk().getKindCase() != BoardInkEvent.KindCase.STROKE
        || !liveInkOff.contains(member.sessionId());
  }

  @Override
  public void left(RoomMember member, Role role) {
    liveInkOff.remove(member.sessionId());
  }

  void liveInk(RoomMember member, boolean on) {
    if (on) {
      liveInkOff.remove(member.sessionId());
    } else {
      liveInkOff.add(member.sessionId());
    }
  }
}
