package io.ponte.server.moderation;

import io.ponte.protocol.v1.BanLifted;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.ParticipantMuted;
import io.ponte.protocol.v1.ParticipantRemoved;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomLocked;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SessionEnded;
import io.ponte.protocol.v1.StudentChatChanged;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomCore;
import io.ponte.server.room.RoomState;
import io.ponte.server.text.ChatText;
import java.util.TreeSet;

/**
 * A teacher's controls: mute, remove (ban) and lift a ban, lock the room, switch student chat,
 * end the session. Mutes and the chat switch are kept here; bans, the lock and the end are the
 * room's (every feature checks them).
 */
public final class ModerationState implements FeatureState {
  private final TreeSet<String> muted = new TreeSet<>();
  private boolean studentChatEnabled = true;

  ModerationState(RoomStateRecord record) {
    muted.addAll(record.getMutedUserIdsList());
    // Every stored record names its room; an empty one is a new room, where student chat is on.
    studentChatEnabled = record.getRoomId().isEmpty() || record.getStudentChatEnabled();
  }

  public boolean isMuted(String userId) {
    return muted.contains(userId);
  }

  public boolean studentChatEnabled() {
    return studentChatEnabled;
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.addAllMutedUserIds(muted).setStudentChatEnabled(studentChatEnabled);
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    snapshot.setStudentChatEnabled(studentChatEnabled).addAllMutedUserIds(muted);
  }

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    TeacherAction t = op.getTeacherAction();
    String userId = op.getActor().getUserId();
    if (op.getActor().getRole() != Role.TEACHER) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only teachers can do this");
    }
    if (room.ended()) {
      return room.error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    String target;
    switch (t.getActionCase()) {
      case MUTE -> target = t.getMute().getUserId();
      case REMOVE -> target = t.getRemove().getUserId();
      case LIFT_BAN -> target = t.getLiftBan().getUserId();
      case LOCK, STUDENT_CHAT, END_SESSION -> {
        return null;
      }
      default -> {
        return room.error(ErrorCode.INVALID_REQUEST, "teacher action has no action");
      }
    }
    if (!ChatText.validUserId(target)) {
      return room.error(ErrorCode.INVALID_REQUEST, "user_id is missing or invalid");
    }
    if (target.equals(userId) && t.getActionCase() != TeacherAction.ActionCase.LIFT_BAN) {
      return room.error(ErrorCode.INVALID_REQUEST, "a teacher cannot mute or remove themselves");
    }
    return null;
  }

  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    TeacherAction t = op.getTeacherAction();
    return switch (t.getActionCase()) {
      case MUTE -> AuditNote.of(t.getMute().getMuted() ? "moderation.mute" : "moderation.unmute",
          t.getMute().getUserId());
      case REMOVE -> AuditNote.of("moderation.remove", t.getRemove().getUserId());
      case LIFT_BAN -> AuditNote.of("moderation.ban_lift", t.getLiftBan().getUserId());
      case LOCK -> AuditNote.of(t.getLock().getLocked() ? "moderation.lock" : "moderation.unlock", "");
      case STUDENT_CHAT -> AuditNote.about("moderation.student_chat", "",
          t.getStudentChat().getEnabled() ? "on" : "off");
      case END_SESSION -> AuditNote.of("moderation.end", "");
      default -> null;
    };
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    TeacherAction t = op.getTeacherAction();
    switch (t.getActionCase()) {
      case MUTE -> {
        String user = t.getMute().getUserId();
        if (t.getMute().getMuted()) {
          muted.add(user);
        } else {
          muted.remove(user);
        }
        event.setParticipantMuted(ParticipantMuted.newBuilder()
            .setUserId(user).setMuted(t.getMute().getMuted()));
        return new Outcome("", RoomState.Effect.NONE, user);
      }
      case REMOVE -> {
        String user = t.getRemove().getUserId();
        room.ban(user);
        event.setParticipantRemoved(ParticipantRemoved.newBuilder().setUserId(user));
        return new Outcome("", RoomState.Effect.USER_REMOVED, user);
      }
      case LIFT_BAN -> {
        String user = t.getLiftBan().getUserId();
        room.liftBan(user);
        event.setBanLifted(BanLifted.newBuilder().setUserId(user));
        return new Outcome("", RoomState.Effect.NONE, user);
      }
      case LOCK -> {
        room.lock(t.getLock().getLocked());
        event.setRoomLocked(RoomLocked.newBuilder().setLocked(t.getLock().getLocked()));
      }
      case STUDENT_CHAT -> {
        studentChatEnabled = t.getStudentChat().getEnabled();
        event.setStudentChatChanged(StudentChatChanged.newBuilder().setEnabled(studentChatEnabled));
      }
      case END_SESSION -> {
        room.end();
        event.setSessionEnded(SessionEnded.getDefaultInstance());
        return new Outcome("", RoomState.Effect.SESSION_ENDED, "");
      }
      default -> throw new IllegalStateException("validated action has no case");
    }
    return Outcome.PUBLIC;
  }
}
