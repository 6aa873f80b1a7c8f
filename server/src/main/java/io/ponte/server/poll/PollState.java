package io.ponte.server.poll;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.AnonymousBallot;
import io.ponte.protocol.v1.Poll;
import io.ponte.protocol.v1.PollBallot;
import io.ponte.protocol.v1.PollCounts;
import io.ponte.protocol.v1.PollCreate;
import io.ponte.protocol.v1.PollRecord;
import io.ponte.protocol.v1.PollStatus;
import io.ponte.protocol.v1.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One poll: its definition, its step (draft, open, closed; shared), its counts and its answers.
 * A named poll keeps each answer under its user; an anonymous one keeps them under voter keys
 * while it is open and, once closed, forgets them and its salt, keeping only the counts.
 */
final class PollState {
  final String pollId;
  private final PollCreate definition;
  private final String createdBy;
  private final long createdSeq;
  private PollStatus status;
  private boolean shared;
  private final int[] counts;
  private int voters;
  /** Named polls: by user id, in the order of their last answer. */
  private final LinkedHashMap<String, PollBallot> named = new LinkedHashMap<>();
  /** Anonymous polls while open: choices by voter key (sorted by key, so no order of answering). */
  private final TreeMap<String, List<Integer>> anonymous = new TreeMap<>();
  /** Anonymous polls until they close; null otherwise. */
  private byte[] salt;

  private PollState(String pollId, PollCreate definition, String createdBy, long createdSeq,
      PollStatus status) {
    this.pollId = pollId;
    this.definition = definition;
    this.createdBy = createdBy;
    this.createdSeq = createdSeq;
    this.status = status;
    this.counts = new int[definition.getOptionsCount()];
  }

  static PollState created(String pollId, PollCreate definition, byte[] salt, String createdBy, long seq) {
    PollState p = new PollState(pollId, definition, createdBy, seq, PollStatus.POLL_STATUS_DRAFT);
    p.salt = definition.getAnonymous() ? salt.clone() : null;
    return p;
  }

  static PollState fromRecord(PollRecord r) {
    Poll poll = r.getPoll();
    PollCreate definition = PollCreate.newBuilder().setQuestion(poll.getQuestion())
        .addAllOptions(poll.getOptionsList()).setMultipleChoice(poll.getMultipleChoice())
        .addAllCorrectOptions(poll.getCorrectOptionsList()).setAnonymous(poll.getAnonymous()).build();
    PollState p = new PollState(poll.getPollId(), definition, poll.getCreatedBy(), poll.getCreatedSeq(),
        poll.getStatus());
    p.shared = poll.getResultsShared();
    for (int i = 0; i < p.counts.length && i < poll.getCounts().getPerOptionCount(); i++) {
      p.counts[i] = poll.getCounts().getPerOption(i);
    }
    p.voters = poll.getCounts().getVoters();
    for (PollBallot b : r.getBallotsList()) {
      p.named.put(b.getUserId(), b);
    }
    for (AnonymousBallot b : r.getAnonymousBallotsList()) {
      p.anonymous.put(b.getVoterKey(), List.copyOf(b.getChoicesList()));
    }
    p.salt = r.getVoterSalt().isEmpty() ? null : r.getVoterSalt().toByteArray();
    return p;
  }

  PollRecord toRecord() {
    PollRecord.Builder r = PollRecord.newBuilder().setPoll(teacherView(false))
        .addAllBallots(named.values());
    for (Map.Entry<String, List<Integer>> e : anonymous.entrySet()) {
      r.addAnonymousBallots(AnonymousBallot.newBuilder().setVoterKey(e.getKey()).addAllChoices(e.getValue()));
    }
    if (salt != null) {
      r.setVoterSalt(ByteString.copyFrom(salt));
    }
    return r.build();
  }

  // ------------------------------------------------------------------------------------------
  // Reading
  // ------------------------------------------------------------------------------------------

  PollStatus status() {
    return status;
  }

  boolean shared() {
    return shared;
  }

  boolean anonymous() {
    return definition.getAnonymous();
  }

  boolean multipleChoice() {
    return definition.getMultipleChoice();
  }

  int options() {
    return counts.length;
  }

  /** Whether the poll can still tell voter keys (anonymous, not closed). */
  boolean hasSalt() {
    return salt != null;
  }

  /** The user's voter key in this poll; only while {@link #hasSalt()}. */
  String voterKey(String userId) {
    return VoterKeys.key(salt, pollId, userId);
  }

  /** The stored client message id of an anonymous answer; only while {@link #hasSalt()}. */
  String anonymousMessageId(String voterKey, String clientMsgId) {
    return VoterKeys.messageId(salt, voterKey, clientMsgId);
  }

  /** The voter's current choices (user id for named polls, voter key for anonymous ones), or null. */
  List<Integer> choicesOf(String voter) {
    if (anonymous()) {
      return anonymous.get(voter);
    }
    PollBallot b = named.get(voter);
    return b == null ? null : b.getChoicesList();
  }

  PollCounts counts() {
    PollCounts.Builder c = PollCounts.newBuilder().setVoters(voters);
    for (int n : counts) {
      c.addPerOption(n);
    }
    return c.build();
  }

  List<Integer> correctOptions() {
    return definition.getCorrectOptionsList();
  }

  /** The whole poll, as teachers see it. */
  Poll teacherView(boolean withBallots) {
    Poll.Builder p = base().addAllCorrectOptions(definition.getCorrectOptionsList()).setCounts(counts());
    if (withBallots) {
      p.addAllBallots(named.values());
    }
    return p.build();
  }

  /** The poll as a student or observer sees it: results only once shared, their own answer. */
  Poll viewFor(String viewerId, Role viewerRole) {
    Poll.Builder p = base();
    if (shared) {
      p.addAllCorrectOptions(definition.getCorrectOptionsList()).setCounts(counts());
    }
    if (viewerRole == Role.STUDENT && viewerId != null) {
      List<Integer> mine = anonymous() ? (hasSalt() ? anonymous.get(voterKey(viewerId)) : null)
          : choicesOf(viewerId);
      if (mine != null) {
        p.addAllMyChoices(mine);
      }
    }
    return p.build();
  }

  private Poll.Builder base() {
    return Poll.newBuilder().setPollId(pollId).setQuestion(definition.getQuestion())
        .addAllOptions(definition.getOptionsList()).setMultipleChoice(definition.getMultipleChoice())
        .setAnonymous(definition.getAnonymous()).setQuiz(definition.getCorrectOptionsCount() > 0)
        .setStatus(status).setResultsShared(shared).setCreatedBy(createdBy).setCreatedSeq(createdSeq);
  }

  // ------------------------------------------------------------------------------------------
  // Changing
  // ------------------------------------------------------------------------------------------

  void open() {
    status = PollStatus.POLL_STATUS_OPEN;
  }

  /** Answers are final: an anonymous poll forgets who is behind each (data minimisation). */
  void close() {
    status = PollStatus.POLL_STATUS_CLOSED;
    anonymous.clear();
    salt = null;
  }

  void share() {
    shared = true;
  }

  /** Records a named answer; returns the ballot as teachers see it. */
  PollBallot answerNamed(String userId, String displayName, List<Integer> choices, long seq) {
    PollBallot earlier = named.remove(userId);
    if (earlier != null) {
      uncount(earlier.getChoicesList());
    }
    PollBallot b = PollBallot.newBuilder().setUserId(userId).setDisplayName(displayName)
        .addAllChoices(choices).setAnsweredSeq(seq).build();
    named.put(userId, b);
    count(choices);
    voters = named.size();
    return b;
  }

  void answerAnonymous(String voterKey, List<Integer> choices) {
    List<Integer> earlier = anonymous.put(voterKey, List.copyOf(choices));
    if (earlier != null) {
      uncount(earlier);
    } else {
      voters++;
    }
    count(choices);
  }

  private void count(List<Integer> choices) {
    for (int i : choices) {
      counts[i]++;
    }
  }

  private void uncount(List<Integer> choices) {
    for (int i : choices) {
      counts[i]--;
    }
  }

  static List<Integer> sorted(List<Integer> choices) {
    List<Integer> s = new ArrayList<>(choices);
    s.sort(null);
    return s;
  }
}
