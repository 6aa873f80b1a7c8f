package io.ponte.server.moderation;

import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import java.util.Set;

/** The teacher's controls: mute, remove, lift a ban, lock, student chat, end the session. */
public final class Moderation implements RoomFeature, RequestFeature {
  @Override
  public String name() {
    return "moderation";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.TEACHER_ACTION);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new ModerationState(record);
  }

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.TEACHER_ACTION, (s, requestId, message) -> {
      TeacherAction action = message.getTeacherAction();
      Membership m = s.member(requestId, action.getRoomId());
      if (m == null) {
        return;
      }
      if (m.role() != Role.TEACHER) {
        s.replyError(requestId, ErrorCode.PERMISSION_DENIED, "only teachers can do this", action.getRoomId());
        return;
      }
      if (action.getActionCase() == TeacherAction.ActionCase.ACTION_NOT_SET) {
        s.replyError(requestId, ErrorCode.INVALID_REQUEST, "teacher action has no action", action.getRoomId());
        return;
      }
      String id = s.clientMsgId(requestId, action.getClientMsgId(), action.getRoomId());
      if (id != null) {
        s.submit(requestId, m, id, Operation.newBuilder().setTeacherAction(action));
      }
    });
  }
}
