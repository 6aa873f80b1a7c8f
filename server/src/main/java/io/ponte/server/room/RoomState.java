package io.ponte.server.room;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.AppliedClientMessage;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.EraseParticipant;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.ParticipantErased;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomClosed;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.protocol.v1.Skipped;
import io.ponte.server.erasure.Erasure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The deterministic state machine of one room: the same operations applied in the same seq order
 * give the same state and the same events on every node.
 *
 * <p>It keeps what every feature shares (seq, settings, lock, end, bans, the client message ids
 * applied) and hands each operation to the feature that owns its kind ({@link RoomFeatures}).
 * Every check that decides whether an operation takes effect happens in {@link #apply}, from the
 * operation and the state alone; {@link #check} runs the same checks without changing anything,
 * as the early filter before sequencing. Nothing here reads the clock or depends on the node.
 *
 * <p>Not thread-safe: a room's state is touched only on its room context.
 */
public final class RoomState implements RoomCore {
  /** How many client message ids are remembered for exactly-once effect. */
  static final int APPLIED_IDS_KEPT = 10_000;

  private final String roomId;
  private final RoomFeatures features;
  private long seq;
  private RoomSettings settings;
  private boolean locked;
  private boolean ended;
  private boolean closed;
  private final TreeSet<String> banned = new TreeSet<>();
  private AppliedIds appliedClientMessages = new AppliedIds(APPLIED_IDS_KEPT);
  /** Each feature's state, in registration order. */
  private final Map<RoomFeature, FeatureState> states = new LinkedHashMap<>();
  private final Map<Class<?>, FeatureState> byType = new IdentityHashMap<>();
  /** The feature keeping participants' overrides, or null when the room runs none. */
  private CapabilityOverrides overrides;
  /** The operation being applied is a redacted copy (see {@link Redaction}). */
  private boolean applyingRedacted;

  private RoomState(String roomId, RoomSettings settings, RoomFeatures features, RoomStateRecord record) {
    this.roomId = roomId;
    this.settings = settings;
    this.features = features;
    loadFeatures(record);
  }

  private void loadFeatures(RoomStateRecord record) {
    states.clear();
    byType.clear();
    overrides = null;
    for (RoomFeature f : features.all()) {
      FeatureState s = f.load(record);
      states.put(f, s);
      byType.put(s.getClass(), s);
      if (s instanceof CapabilityOverrides o && overrides == null) {
        overrides = o;
      }
    }
  }

  public static RoomState create(String roomId, RoomSettings settings, RoomFeatures features) {
    return new RoomState(roomId, settings, features, RoomStateRecord.getDefaultInstance());
  }

  public static RoomState fromRecord(RoomStateRecord r, RoomFeatures features) {
    RoomState s = new RoomState(r.getRoomId(), r.getSettings(), features, r);
    s.loadShared(r);
    return s;
  }

  private void loadShared(RoomStateRecord r) {
    seq = r.getSeq();
    settings = r.getSettings();
    locked = r.getLocked();
    ended = r.getEnded();
    closed = r.getClosed();
    banned.clear();
    banned.addAll(r.getBannedUserIdsList());
    appliedClientMessages = new AppliedIds(APPLIED_IDS_KEPT);
    for (AppliedClientMessage a : r.getAppliedList()) {
      appliedClientMessages.put(a.getUserId(), a.getClientMsgId(), a.getSeq());
    }
  }

  /**
   * Erases a participant (see {@link Erasure}): the whole state goes through the erasure's
   * rewrite of its record and is loaded again from it, the way a node loading the room from a
   * snapshot would. Rare (an administrator's request), so the cost of a full record is fine.
   */
  private FeatureState.Outcome erase(EraseParticipant e, Event.Builder event) {
    Erasure erasure = new Erasure(e);
    Erasure.Result r = erasure.state(toRecord());
    loadShared(r.record());
    loadFeatures(r.record());
    Erasure.Counts c = r.counts();
    event.setParticipantErased(ParticipantErased.newBuilder()
        .setPseudonym(e.getPseudonym()).addAllMessageSeqs(r.messageSeqs())
        .setMessagesRemoved(c.messagesRemoved()).setReactionsRemoved(c.reactionsRemoved())
        .setBoardElementsRemoved(c.boardElementsRemoved())
        .setBoardElementsAnonymised(c.boardElementsAnonymised())
        .setReportsAnonymised(c.reportsAnonymised()).setDocumentsAnonymised(c.documentsAnonymised())
        .setOtherMentions(c.otherMentionsAnonymised()));
    return FeatureState.Outcome.PUBLIC;
  }

  /**
   * The erasure's redaction: every earlier seq and its own (its stored copy loses the user id);
   * rewrites that leave an operation as it is change nothing in the store or the broker.
   */
  private Redaction erasureRedaction(EraseParticipant e) {
    // Called after erase(): the state is the one after the erasure.
    Erasure erasure = new Erasure(e).keepingBoardContentOf(toRecord());
    List<Long> seqs = new ArrayList<>((int) Math.min(seq, Integer.MAX_VALUE));
    for (long s = 1; s <= seq; s++) {
      seqs.add(s);
    }
    return new Redaction(seqs, erasure::operation, erasure::event, erasure::snapshot);
  }

  public RoomStateRecord toRecord() {
    return snapshotSource().build();
  }

  /**
   * The state as it is now, to be turned into a record later and on any thread: the shared part
   * is captured at once, each feature's as its {@link FeatureState#snapshot() part} (the chat as
   * a frozen view of its encoded messages). A room with a long chat thereby snapshots without
   * holding its thread for the encoding.
   */
  public SnapshotSource snapshotSource() {
    RoomStateRecord.Builder b = RoomStateRecord.newBuilder()
        .setRoomId(roomId)
        .setSeq(seq)
        .setSettings(settings)
        .setLocked(locked)
        .setEnded(ended)
        .setClosed(closed)
        .addAllBannedUserIds(banned)
        .addAllApplied(appliedClientMessages.all());
    List<RecordPart> parts = new ArrayList<>(states.size() + 1);
    parts.add(RecordPart.of(b.build()));
    for (FeatureState s : states.values()) {
      parts.add(s.snapshot());
    }
    return new SnapshotSource(seq, parts);
  }

  /** See {@link #snapshotSource()}. Immutable. */
  public static final class SnapshotSource {
    private final long seq;
    private final List<RecordPart> parts;

    private SnapshotSource(long seq, List<RecordPart> parts) {
      this.seq = seq;
      this.parts = List.copyOf(parts);
    }

    public long seq() {
      return seq;
    }

    /** The whole record. */
    public RoomStateRecord build() {
      try {
        return RoomStateRecord.parseFrom(encode());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("a snapshot's own encoding does not parse", e);
      }
    }

    /** The whole record encoded: every part's fields, one after the other. */
    public byte[] encode() {
      int size = 0;
      for (RecordPart p : parts) {
        size += p.serializedSize();
      }
      byte[] out = new byte[size];
      try {
        CodedOutputStream stream = CodedOutputStream.newInstance(out);
        for (RecordPart p : parts) {
          p.writeTo(stream);
        }
        stream.checkNoSpaceLeft();
      } catch (IOException e) {
        // Writing into an array of exactly the computed size cannot fail.
        throw new UncheckedIOException(e);
      }
      return out;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reading
  // ------------------------------------------------------------------------------------------

  @Override
  public String roomId() {
    return roomId;
  }

  @Override
  public long seq() {
    return seq;
  }

  @Override
  public RoomSettings settings() {
    return settings;
  }

  @Override
  public boolean locked() {
    return locked;
  }

  @Override
  public boolean ended() {
    return ended || closed;
  }

  public boolean closed() {
    return closed;
  }

  /** Whether a teacher ended the session (a closed room is also ended). */
  public boolean sessionEnded() {
    return ended;
  }

  @Override
  public boolean isBanned(String userId) {
    return banned.contains(userId);
  }

  /** Banned user ids, sorted. */
  public List<String> banned() {
    return List.copyOf(banned);
  }

  @Override
  public boolean allows(String userId, Role role, Capability capability) {
    Boolean own = overrides == null ? null : overrides.override(userId, capability);
    return Capabilities.allowed(role, own, settings.getStudentPermissions(), capability);
  }

  @Override
  public <T extends FeatureState> T feature(Class<T> type) {
    FeatureState s = byType.get(type);
    if (s == null) {
      throw new IllegalStateException("room " + roomId + " runs no feature with state " + type.getSimpleName());
    }
    return type.cast(s);
  }

  @Override
  public ErrorInfo error(ErrorCode code, String message) {
    return ErrorCodes.error(code, message, roomId);
  }

  /** The seq an earlier operation with this client message id got, or 0. */
  public long appliedSeq(String userId, String clientMsgId) {
    if (clientMsgId.isEmpty()) {
      return 0;
    }
    return appliedClientMessages.seqOf(userId, clientMsgId);
  }

  /** Whether the operation (valid) would change nothing: see {@link FeatureState#changesNothing}. */
  public boolean changesNothing(Operation op) {
    RoomFeature owner = features.owner(op.getBodyCase());
    return owner != null && states.get(owner).changesNothing(op);
  }

  /** Whether the room, ended (not closed), admits a joiner in this role: when a feature says so. */
  public boolean admitsAfterEnd(Role role) {
    if (closed) {
      return false;
    }
    for (FeatureState s : states.values()) {
      if (s.admitsAfterEnd(role)) {
        return true;
      }
    }
    return false;
  }

  /** The snapshot a joiner sees: settings, lock and end, and each feature's part. */
  public RoomSnapshot snapshotFor(String viewerId, Role viewerRole) {
    RoomSnapshot.Builder b = RoomSnapshot.newBuilder()
        .setSettings(settings)
        .setLocked(locked)
        .setEnded(ended || closed)
        .addAllBannedUserIds(viewerRole == Role.TEACHER ? banned : List.of());
    for (FeatureState s : states.values()) {
      s.addTo(b, viewerId, viewerRole);
    }
    return b.build();
  }

  // ------------------------------------------------------------------------------------------
  // Shared state, changed by the feature owning the operation (moderation)
  // ------------------------------------------------------------------------------------------

  @Override
  public void ban(String userId) {
    banned.add(userId);
    for (FeatureState s : states.values()) {
      s.userRemoved(userId, this);
    }
  }

  @Override
  public void liftBan(String userId) {
    banned.remove(userId);
  }

  @Override
  public void lock(boolean locked) {
    this.locked = locked;
  }

  @Override
  public void end() {
    ended = true;
  }

  @Override
  public void setStudentPermissions(Permissions defaults) {
    settings = settings.toBuilder().setStudentPermissions(defaults).build();
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  /** Runs the apply-time checks without changing the state: null when the operation would apply. */
  public ErrorInfo check(Operation op) {
    return validate(op);
  }

  /**
   * Applies the operation at the next seq. Fails loudly if seqs are not consecutive: the caller
   * must hand operations in order.
   */
  public AppliedOperation apply(SequencedOperation sop) {
    if (sop.getSeq() != seq + 1) {
      throw new IllegalStateException(
          "room " + roomId + " at seq " + seq + " cannot apply seq " + sop.getSeq());
    }
    Operation op = sop.getOperation();
    seq = sop.getSeq();
    Event.Builder event = Event.newBuilder()
        .setRoomId(roomId)
        .setSeq(seq)
        .setServerTimeMs(op.getServerTimeMs())
        .setActor(op.getActor());

    if (op.getBodyCase() == Operation.BodyCase.SEQ_SKIPPED) {
      // A lost seq's placeholder: the seq advances and nothing else happens.
      return AppliedOperation.accepted(sop, skipped(event), "", Effect.NONE, "");
    }
    String userId = op.getActor().getUserId();
    long earlier = appliedSeq(userId, op.getClientMsgId());
    if (earlier != 0) {
      return AppliedOperation.duplicate(sop, skipped(event), earlier);
    }
    applyingRedacted = sop.getRedacted();
    try {
      ErrorInfo rejection = validate(op);
      if (rejection != null) {
        return AppliedOperation.rejected(sop, skipped(event), rejection);
      }
      FeatureState.Outcome outcome;
      Redaction redaction = null;
      if (op.getBodyCase() == Operation.BodyCase.ERASE_PARTICIPANT) {
        outcome = erase(op.getEraseParticipant(), event);
        redaction = erasureRedaction(op.getEraseParticipant());
      } else if (op.getBodyCase() == Operation.BodyCase.CLOSE_ROOM) {
        closed = true;
        ended = true;
        event.setRoomClosed(RoomClosed.getDefaultInstance());
        outcome = new FeatureState.Outcome("", Effect.ROOM_CLOSED, "");
      } else {
        FeatureState owner = states.get(features.owner(op.getBodyCase()));
        redaction = owner.redaction(op, this);
        outcome = owner.apply(op, event, this);
      }
      remember(userId, op.getClientMsgId());
      return AppliedOperation.accepted(sop, event.build(), outcome.privateTo(), outcome.effect(),
          outcome.affectedUser()).withRedaction(redaction);
    } finally {
      applyingRedacted = false;
    }
  }

  @Override
  public boolean redacted() {
    return applyingRedacted;
  }

  private ErrorInfo validate(Operation op) {
    Operation.BodyCase kind = op.getBodyCase();
    if (op.getActor().getRole() == Role.ROLE_UNSPECIFIED && kind != Operation.BodyCase.CLOSE_ROOM
        && kind != Operation.BodyCase.ERASE_PARTICIPANT) {
      return error(ErrorCode.PERMISSION_DENIED, "operation without a role");
    }
    if (kind == Operation.BodyCase.ERASE_PARTICIPANT) {
      // An administrator's erasure reaches ended and closed rooms too: what they keep until
      // their retention ends is erased like the rest.
      return op.getActor().getRole() == Role.ROLE_UNSPECIFIED
          && !op.getEraseParticipant().getPseudonym().isEmpty()
          ? null : error(ErrorCode.PERMISSION_DENIED, "only the admin API erases a participant");
    }
    if (closed) {
      return error(ErrorCode.ROOM_ENDED, "the room is closed");
    }
    if (kind == Operation.BodyCase.CLOSE_ROOM) {
      return null;
    }
    RoomFeature owner = features.owner(kind);
    if (owner == null) {
      return error(ErrorCode.INVALID_REQUEST, "operation has no body this server applies");
    }
    return states.get(owner).validate(op, this);
  }

  /**
   * The audit log's note of an operation {@link #apply} just accepted (call it right after, before
   * the next apply), or null when it is no teacher's or admin's action. See
   * {@link FeatureState#audit}.
   */
  public AuditNote audit(AppliedOperation applied) {
    if (!applied.accepted()) {
      return null;
    }
    Operation op = applied.operation().getOperation();
    if (op.getBodyCase() == Operation.BodyCase.CLOSE_ROOM) {
      return AuditNote.of("room.close", "");
    }
    if (op.getBodyCase() == Operation.BodyCase.ERASE_PARTICIPANT) {
      // The receipt (admin.ErasureJobs) is the audit entry; one per room would name nobody.
      return null;
    }
    RoomFeature owner = features.owner(op.getBodyCase());
    return owner == null ? null : states.get(owner).audit(op, applied.event(), this);
  }

  private static Event skipped(Event.Builder event) {
    return event.setSkipped(Skipped.getDefaultInstance()).build();
  }

  private void remember(String userId, String clientMsgId) {
    if (clientMsgId.isEmpty()) {
      return;
    }
    appliedClientMessages.put(userId, clientMsgId, seq);
  }

  /** What an applied operation means beyond its event, for the room runtime to carry out. */
  public enum Effect {
    NONE,
    USER_REMOVED,
    SESSION_ENDED,
    ROOM_CLOSED
  }
}
