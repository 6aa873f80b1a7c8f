package io.ponte.server.poll;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PollBallot;
import io.ponte.protocol.v1.PollChanged;
import io.ponte.protocol.v1.PollClosed;
import io.ponte.protocol.v1.PollCountsChanged;
import io.ponte.protocol.v1.PollDeleted;
import io.ponte.protocol.v1.PollOperation;
import io.ponte.protocol.v1.PollRecord;
import io.ponte.protocol.v1.PollRequest;
import io.ponte.protocol.v1.PollResults;
import io.ponte.protocol.v1.PollStatus;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.RoomCore;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The polls of one room, in creation order, as part of its deterministic state. Teachers create,
 * open, close, share and delete; students answer open polls (and change their answer until the
 * poll closes). Drafts and live counts are for teachers only; results reach everyone when shared.
 *
 * <p>Anonymous polls: an answer arrives with a pseudonymous actor ({@code anon:<voter key>}, no
 * name) and its voter key, computed by the submitting node from the poll's salt; it is counted
 * under that key and its event (counts only) has no actor. Nothing here ever sees the user behind
 * it. See PollRequests for how the request becomes such an operation.
 *
 * <p>Not thread-safe: touched only on the room's context.
 */
public final class PollsState implements FeatureState {
  private final PollLimits limits;
  private final LinkedHashMap<String, PollState> polls = new LinkedHashMap<>();

  PollsState(PollLimits limits, List<PollRecord> records) {
    this.limits = limits;
    for (PollRecord r : records) {
      polls.put(r.getPoll().getPollId(), PollState.fromRecord(r));
    }
  }

  /** What an answer of this user to the poll must carry (see PollRequests). */
  record Voter(boolean anonymous, String key, String messageId) {}

  /**
   * How the user answers the poll: by name, or (an open or draft anonymous poll) by voter key, with
   * the pseudonymous client message id; null when the poll is anonymous and forgot its voters
   * (closed), so that no answer naming the user is ever made for it.
   */
  Voter voter(String pollId, String userId, String clientMsgId) {
    PollState p = polls.get(pollId);
    if (p == null || !p.anonymous()) {
      return new Voter(false, "", clientMsgId);
    }
    if (!p.hasSalt()) {
      return null;
    }
    String key = p.voterKey(userId);
    return new Voter(true, key, p.anonymousMessageId(key, clientMsgId));
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.clearPolls();
    polls.values().forEach(p -> record.addPolls(p.toRecord()));
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    for (PollState p : polls.values()) {
      if (viewerRole == Role.TEACHER) {
        snapshot.addPolls(p.teacherView(true));
      } else if (p.status() != PollStatus.POLL_STATUS_DRAFT) {
        snapshot.addPolls(p.viewFor(viewerId, viewerRole));
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Validating
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    Actor actor = op.getActor();
    if (actor.getRole() == Role.ROLE_UNSPECIFIED) {
      return room.error(ErrorCode.PERMISSION_DENIED, "operation without a role");
    }
    PollOperation po = op.getPoll();
    PollRequest r = po.getRequest();
    if (!ResourceId.valid(r.getPollId())) {
      return room.error(ErrorCode.INVALID_REQUEST, "poll_id is missing or invalid");
    }
    if (r.getOpCase() == PollRequest.OpCase.ANSWER) {
      return validateAnswer(po, actor, room);
    }
    if (r.getOpCase() == PollRequest.OpCase.OP_NOT_SET) {
      return room.error(ErrorCode.INVALID_REQUEST, "poll request without an op");
    }
    if (actor.getRole() != Role.TEACHER) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only teachers manage polls");
    }
    ErrorInfo mayWrite = room.mayWrite(actor.getUserId(), actor.getRole());
    if (mayWrite != null) {
      return mayWrite;
    }
    PollState p = polls.get(r.getPollId());
    if (r.getOpCase() == PollRequest.OpCase.CREATE) {
      if (p != null) {
        return room.error(ErrorCode.POLL_EXISTS, "the room has a poll " + r.getPollId());
      }
      if (polls.size() >= limits.maxPolls()) {
        return room.error(ErrorCode.TOO_MANY_POLLS, "at most " + limits.maxPolls() + " polls per room");
      }
      PollRules.Refusal bad = PollRules.create(r.getCreate(), limits);
      if (bad != null) {
        return room.error(bad.code(), bad.reason());
      }
      boolean salted = po.getVoterSalt().size() == VoterKeys.SALT_BYTES;
      if (r.getCreate().getAnonymous() != salted) {
        return room.error(ErrorCode.INVALID_REQUEST, "an anonymous poll needs its salt, a named one none");
      }
      return null;
    }
    if (p == null) {
      return room.error(ErrorCode.POLL_NOT_FOUND, "no poll " + r.getPollId());
    }
    PollStatus s = p.status();
    return switch (r.getOpCase()) {
      case OPEN -> s == PollStatus.POLL_STATUS_OPEN
          ? room.error(ErrorCode.POLL_ALREADY_OPEN, "the poll is open")
          : s == PollStatus.POLL_STATUS_CLOSED ? room.error(ErrorCode.POLL_CLOSED, "the poll is closed") : null;
      case CLOSE -> s == PollStatus.POLL_STATUS_DRAFT
          ? room.error(ErrorCode.POLL_NOT_OPEN, "the poll was never opened")
          : s == PollStatus.POLL_STATUS_CLOSED ? room.error(ErrorCode.POLL_CLOSED, "the poll is closed") : null;
      case SHARE -> s != PollStatus.POLL_STATUS_CLOSED
          ? room.error(ErrorCode.POLL_NOT_CLOSED, "close the poll before sharing its results")
          : p.shared() ? room.error(ErrorCode.POLL_ALREADY_SHARED, "the results are shared") : null;
      default -> null; // DELETE: in any state
    };
  }

  private ErrorInfo validateAnswer(PollOperation po, Actor actor, RoomCore room) {
    ErrorInfo mayWrite = room.mayUse(actor.getUserId(), actor.getRole(), Capability.CAPABILITY_POLL_ANSWER);
    if (mayWrite != null) {
      return mayWrite;
    }
    if (actor.getRole() != Role.STUDENT) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only students answer polls");
    }
    PollRequest r = po.getRequest();
    PollState p = polls.get(r.getPollId());
    if (p == null) {
      return room.error(ErrorCode.POLL_NOT_FOUND, "no poll " + r.getPollId());
    }
    if (p.status() == PollStatus.POLL_STATUS_DRAFT) {
      return room.error(ErrorCode.POLL_NOT_OPEN, "the poll is not open yet");
    }
    if (p.status() == PollStatus.POLL_STATUS_CLOSED) {
      return room.error(ErrorCode.POLL_CLOSED, "the poll is closed");
    }
    PollRules.Refusal bad = PollRules.answer(r.getAnswer().getChoicesList(), p.options(), p.multipleChoice());
    if (bad != null) {
      return room.error(bad.code(), bad.reason());
    }
    String key = po.getVoterKey();
    boolean pseudonymous = !key.isEmpty() && actor.getUserId().equals(VoterKeys.ACTOR_PREFIX + key)
        && actor.getDisplayName().isEmpty();
    if (p.anonymous() != pseudonymous) {
      // The poll was deleted and made again, anonymous or not, while the answer was on its way.
      return room.error(ErrorCode.INVALID_REQUEST, "the poll changed; answer it again");
    }
    return null;
  }

  /** A teacher's steps of a poll; an answer never (nobody's vote is recorded anywhere else). */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    PollRequest r = op.getPoll().getRequest();
    String action = switch (r.getOpCase()) {
      case CREATE -> "poll.create";
      case OPEN -> "poll.open";
      case CLOSE -> "poll.close";
      case SHARE -> "poll.share";
      case DELETE -> "poll.delete";
      default -> null;
    };
    return action == null ? null : AuditNote.about(action, "poll:" + r.getPollId(), "");
  }

  @Override
  public boolean changesNothing(Operation op) {
    PollOperation po = op.getPoll();
    if (po.getRequest().getOpCase() != PollRequest.OpCase.ANSWER) {
      return false;
    }
    PollState p = polls.get(po.getRequest().getPollId());
    if (p == null) {
      return false;
    }
    String voter = p.anonymous() ? po.getVoterKey() : op.getActor().getUserId();
    List<Integer> earlier = p.choicesOf(voter);
    return earlier != null && earlier.equals(PollState.sorted(po.getRequest().getAnswer().getChoicesList()));
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    PollOperation po = op.getPoll();
    PollRequest r = po.getRequest();
    String id = r.getPollId();
    PollChanged.Builder changed = PollChanged.newBuilder().setPollId(id);
    switch (r.getOpCase()) {
      case CREATE -> {
        PollState p = PollState.created(id, r.getCreate(), po.getVoterSalt().toByteArray(),
            op.getActor().getUserId(), room.seq());
        polls.put(id, p);
        event.setPollChanged(changed.setCreated(p.teacherView(true)));
        return Outcome.teachersOnly();
      }
      case OPEN -> {
        PollState p = polls.get(id);
        p.open();
        event.setPollChanged(changed.setOpened(p.viewFor(null, Role.OBSERVER)));
      }
      case CLOSE -> {
        polls.get(id).close();
        event.setPollChanged(changed.setClosed(PollClosed.getDefaultInstance()));
      }
      case SHARE -> {
        PollState p = polls.get(id);
        p.share();
        event.setPollResults(PollResults.newBuilder().setPollId(id).setCounts(p.counts())
            .addAllCorrectOptions(p.correctOptions()));
      }
      case DELETE -> {
        PollState p = polls.remove(id);
        event.setPollChanged(changed.setDeleted(PollDeleted.getDefaultInstance()));
        if (p.status() == PollStatus.POLL_STATUS_DRAFT) {
          return Outcome.teachersOnly();
        }
      }
      case ANSWER -> {
        return answer(op, event, room);
      }
      default -> throw new IllegalStateException("validated poll request has no op");
    }
    return Outcome.PUBLIC;
  }

  private Outcome answer(Operation op, Event.Builder event, RoomCore room) {
    PollOperation po = op.getPoll();
    PollState p = polls.get(po.getRequest().getPollId());
    List<Integer> choices = PollState.sorted(po.getRequest().getAnswer().getChoicesList());
    PollCountsChanged.Builder counts = PollCountsChanged.newBuilder().setPollId(p.pollId);
    if (p.anonymous()) {
      p.answerAnonymous(po.getVoterKey(), choices);
      // Not even the pseudonym: teachers see counts move, nothing about who moved them.
      event.clearActor();
    } else {
      Actor a = op.getActor();
      PollBallot ballot = p.answerNamed(a.getUserId(), a.getDisplayName(), choices, room.seq());
      counts.setBallot(ballot);
    }
    event.setPollCounts(counts.setCounts(p.counts()));
    return Outcome.teachersOnly();
  }
}
