package io.ponte.server.room;

import com.google.protobuf.CodedOutputStream;
import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.AppliedClientMessage;
import io.ponte.protocol.v1.BanLifted;
import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ChatDeleted;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatEdited;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.DocCreated;
import io.ponte.protocol.v1.DocReadOnlyChanged;
import io.ponte.protocol.v1.DocUpdated;
import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.ParticipantMuted;
import io.ponte.protocol.v1.ParticipantRemoved;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.ReactionChanged;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomClosed;
import io.ponte.protocol.v1.RoomLocked;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.protocol.v1.SessionEnded;
import io.ponte.protocol.v1.Skipped;
import io.ponte.protocol.v1.StudentChatChanged;
import io.ponte.protocol.v1.TeacherAction;
import io.ponte.server.chat.ChatText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The deterministic state machine of one room: the same operations applied in the same seq order
 * give the same state and the same events on every node.
 *
 * <p>Every check that decides whether an operation takes effect (role, permission, mute, ban,
 * lock, text rules, message ownership) happens in {@link #apply}, from the operation and the state
 * alone; {@link #check} runs the same checks without changing anything, as the early filter
 * before sequencing. Nothing here reads the clock or depends on which node runs it.
 *
 * <p>Not thread-safe: a room's state is touched only on its room context.
 */
public final class RoomState {
  /** How many client message ids are remembered for exactly-once effect. */
  static final int APPLIED_IDS_KEPT = 10_000;

  private final String roomId;
  private long seq;
  private RoomSettings settings;
  private boolean locked;
  private boolean studentChatEnabled = true;
  private boolean ended;
  private boolean closed;
  private final TreeSet<String> muted = new TreeSet<>();
  private final TreeSet<String> banned = new TreeSet<>();
  private final ChatLog messages = new ChatLog();
  private final AppliedIds appliedClientMessages = new AppliedIds(APPLIED_IDS_KEPT);
  private final DocumentSet documents;
  /** Distinct (user, reaction) pairs a message may carry ({@code chat-max-reactions-per-message}). */
  private final int maxReactionsPerMessage;

  private RoomState(String roomId, RoomSettings settings, DocumentSet.Limits docLimits,
      int maxReactionsPerMessage) {
    this.roomId = roomId;
    this.settings = settings;
    this.documents = new DocumentSet(docLimits);
    this.maxReactionsPerMessage = maxReactionsPerMessage;
  }

  public static RoomState create(String roomId, RoomSettings settings) {
    return create(roomId, settings, DocumentSet.Limits.DEFAULT);
  }

  public static RoomState create(String roomId, RoomSettings settings, DocumentSet.Limits docLimits) {
    return create(roomId, settings, docLimits, RoomOptions.DEFAULT_MAX_REACTIONS_PER_MESSAGE);
  }

  public static RoomState create(String roomId, RoomSettings settings, DocumentSet.Limits docLimits,
      int maxReactionsPerMessage) {
    return new RoomState(roomId, settings, docLimits, maxReactionsPerMessage);
  }

  public static RoomState fromRecord(RoomStateRecord r) {
    return fromRecord(r, DocumentSet.Limits.DEFAULT);
  }

  public static RoomState fromRecord(RoomStateRecord r, DocumentSet.Limits docLimits) {
    return fromRecord(r, docLimits, RoomOptions.DEFAULT_MAX_REACTIONS_PER_MESSAGE);
  }

  public static RoomState fromRecord(RoomStateRecord r, DocumentSet.Limits docLimits,
      int maxReactionsPerMessage) {
    RoomState s = new RoomState(r.getRoomId(), r.getSettings(), docLimits, maxReactionsPerMessage);
    s.documents.load(r.getDocumentsList());
    s.seq = r.getSeq();
    s.locked = r.getLocked();
    s.studentChatEnabled = r.getStudentChatEnabled();
    s.ended = r.getEnded();
    s.closed = r.getClosed();
    s.muted.addAll(r.getMutedUserIdsList());
    s.banned.addAll(r.getBannedUserIdsList());
    for (ChatMessage m : r.getMessagesList()) {
      s.messages.put(m);
    }
    for (AppliedClientMessage a : r.getAppliedList()) {
      s.appliedClientMessages.put(a.getUserId(), a.getClientMsgId(), a.getSeq());
    }
    return s;
  }

  public RoomStateRecord toRecord() {
    return snapshotSource().build();
  }

  /**
   * The state as it is now, to be turned into a record later and on any thread: everything but
   * the chat is captured at once (small), the chat as a frozen view of its encoded messages,
   * decoded only by {@link SnapshotSource#build()} and copied as bytes by
   * {@link SnapshotSource#encode()}. A room with a long chat thereby snapshots without holding
   * its thread for the encoding.
   */
  public SnapshotSource snapshotSource() {
    RoomStateRecord.Builder b = RoomStateRecord.newBuilder()
        .setRoomId(roomId)
        .setSeq(seq)
        .setSettings(settings)
        .setLocked(locked)
        .setStudentChatEnabled(studentChatEnabled)
        .setEnded(ended)
        .setClosed(closed)
        .addAllMutedUserIds(muted)
        .addAllBannedUserIds(banned)
        .addAllDocuments(documents.records());
    b.addAllApplied(appliedClientMessages.all());
    return new SnapshotSource(b.build(), messages.frozen());
  }

  /** See {@link #snapshotSource()}. Immutable. */
  public static final class SnapshotSource {
    private final RoomStateRecord withoutChat;
    private final ChatLog.Frozen chat;

    private SnapshotSource(RoomStateRecord withoutChat, ChatLog.Frozen chat) {
      this.withoutChat = withoutChat;
      this.chat = chat;
    }

    public long seq() {
      return withoutChat.getSeq();
    }

    /** The whole record (decodes the chat). */
    public RoomStateRecord build() {
      return withoutChat.toBuilder().addAllMessages(chat.decodeAll()).build();
    }

    /**
     * The whole record encoded, as {@link #build()}{@code .toByteArray()} would parse back, but
     * without decoding the chat: its messages are copied as the bytes they are kept as.
     */
    public byte[] encode() {
      int field = RoomStateRecord.MESSAGES_FIELD_NUMBER;
      byte[] out = new byte[withoutChat.getSerializedSize() + chat.serializedSize(field)];
      try {
        CodedOutputStream stream = CodedOutputStream.newInstance(out);
        withoutChat.writeTo(stream);
        chat.writeTo(stream, field);
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

  public String roomId() {
    return roomId;
  }

  public long seq() {
    return seq;
  }

  public RoomSettings settings() {
    return settings;
  }

  public boolean locked() {
    return locked;
  }

  public boolean ended() {
    return ended;
  }

  public boolean closed() {
    return closed;
  }

  public boolean isBanned(String userId) {
    return banned.contains(userId);
  }

  public boolean isMuted(String userId) {
    return muted.contains(userId);
  }

  /** The seq an earlier operation with this client message id got, or 0. */
  public long appliedSeq(String userId, String clientMsgId) {
    if (clientMsgId.isEmpty()) {
      return 0;
    }
    return appliedClientMessages.seqOf(userId, clientMsgId);
  }

  /** The document's info, or null when the room has no such document. */
  public DocumentInfo documentInfo(String docId) {
    DocumentSet.Doc d = documents.get(docId);
    return d == null ? null : d.info();
  }

  /**
   * The whole document as one Yjs update (null: no such document). Merges the pending updates
   * when needed (memoised) without changing the state.
   */
  public byte[] documentState(String docId) {
    DocumentSet.Doc d = documents.get(docId);
    return d == null ? null : d.mergedState();
  }

  /**
   * Whether applying the update would change nothing in the document (false when there is no
   * such document or the update is malformed: the operation's checks answer those).
   */
  public boolean documentCovers(String docId, byte[] update) {
    DocumentSet.Doc d = documents.get(docId);
    if (d == null) {
      return false;
    }
    try {
      return d.covers(update);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Every document's info, by id. */
  public List<DocumentInfo> documentInfos() {
    return documents.infos();
  }

  /** Whether the role may create documents in this room now (teachers; students when allowed). */
  public boolean mayCreateDocument(Role role) {
    return DocumentSet.mayCreate(role, settings);
  }

  /** Whether the role may change the document now. */
  public static boolean mayWriteDocument(DocumentInfo info, Role role) {
    return DocumentSet.mayWrite(info, role);
  }

  /** Whether a viewer may see a message: private ones only for the author and teachers. */
  public static boolean visibleTo(ChatMessage m, String viewerId, Role viewerRole) {
    return !m.getToTeachers()
        || viewerRole == Role.TEACHER
        || m.getAuthor().getUserId().equals(viewerId);
  }

  /** The snapshot a joiner sees: settings, moderation state and the newest visible messages. */
  public RoomSnapshot snapshotFor(String viewerId, Role viewerRole, int recentMessages) {
    HistorySlice slice = history(viewerId, viewerRole, 0, recentMessages);
    return RoomSnapshot.newBuilder()
        .setSettings(settings)
        .setLocked(locked)
        .setStudentChatEnabled(studentChatEnabled)
        .setEnded(ended || closed)
        .addAllMutedUserIds(muted)
        .addAllBannedUserIds(viewerRole == Role.TEACHER ? banned : List.of())
        .addAllRecentMessages(slice.messages())
        .setMoreHistory(slice.more())
        .addAllDocuments(documents.infos())
        .build();
  }

  /** Messages visible to the viewer with seq below beforeSeq (0: newest), oldest first. */
  public HistorySlice history(String viewerId, Role viewerRole, long beforeSeq, int limit) {
    ChatLog.Page newest =
        messages.newestFirst(beforeSeq, limit, m -> visibleTo(m, viewerId, viewerRole));
    ArrayList<ChatMessage> page = new ArrayList<>(newest.newestFirst());
    java.util.Collections.reverse(page);
    return new HistorySlice(page, newest.more());
  }

  /** A page of chat history. */
  public record HistorySlice(List<ChatMessage> messages, boolean more) {}

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

    String userId = op.getActor().getUserId();
    long earlier = appliedSeq(userId, op.getClientMsgId());
    if (earlier != 0) {
      return AppliedOperation.duplicate(sop, skipped(event), earlier);
    }
    ErrorInfo rejection = validate(op);
    if (rejection != null) {
      return AppliedOperation.rejected(sop, skipped(event), rejection);
    }
    String privateTo = "";
    Effect effect = Effect.NONE;
    String affectedUser = "";
    switch (op.getBodyCase()) {
      case CHAT_POST -> {
        ChatPost p = op.getChatPost();
        ChatMessage m = ChatMessage.newBuilder()
            .setSeq(seq)
            .setAuthor(op.getActor())
            .setText(ChatText.message(p.getText()).value())
            .setLanguage(ChatText.language(p.getLanguage()).value())
            .setReplyTo(p.getReplyTo())
            .setToTeachers(p.getToTeachers())
            .setPostedMs(op.getServerTimeMs())
            .setClientMsgId(op.getClientMsgId())
            .build();
        messages.put(m);
        event.setChatPosted(m);
        privateTo = privateTo(m);
      }
      case CHAT_EDIT -> {
        ChatEdit e = op.getChatEdit();
        ChatMessage m = messages.get(e.getMessageSeq());
        String text = ChatText.message(e.getText()).value();
        messages.put(m.toBuilder().setText(text).setEditedMs(op.getServerTimeMs()).build());
        event.setChatEdited(ChatEdited.newBuilder().setMessageSeq(m.getSeq()).setText(text));
        privateTo = privateTo(m);
      }
      case CHAT_DELETE -> {
        ChatDelete d = op.getChatDelete();
        ChatMessage m = messages.get(d.getMessageSeq());
        // Deleted text is gone from the state (and so from later snapshots): data minimisation.
        messages.put(m.toBuilder()
            .setText("").setLanguage("").clearReactions().setDeleted(true)
            .setEditedMs(op.getServerTimeMs()).build());
        event.setChatDeleted(ChatDeleted.newBuilder().setMessageSeq(m.getSeq()));
        privateTo = privateTo(m);
      }
      case CHAT_REACT -> {
        ChatReact r = op.getChatReact();
        ChatMessage m = messages.get(r.getMessageSeq());
        String reaction = ChatText.reaction(r.getReaction()).value();
        messages.put(withReaction(m, reaction, userId, r.getAdd()));
        event.setReactionChanged(ReactionChanged.newBuilder()
            .setMessageSeq(m.getSeq()).setReaction(reaction).setAdded(r.getAdd()).setUserId(userId));
        privateTo = privateTo(m);
      }
      case TEACHER_ACTION -> {
        TeacherAction t = op.getTeacherAction();
        switch (t.getActionCase()) {
          case MUTE -> {
            affectedUser = t.getMute().getUserId();
            if (t.getMute().getMuted()) {
              muted.add(affectedUser);
            } else {
              muted.remove(affectedUser);
            }
            event.setParticipantMuted(ParticipantMuted.newBuilder()
                .setUserId(affectedUser).setMuted(t.getMute().getMuted()));
          }
          case REMOVE -> {
            affectedUser = t.getRemove().getUserId();
            banned.add(affectedUser);
            event.setParticipantRemoved(ParticipantRemoved.newBuilder().setUserId(affectedUser));
            effect = Effect.USER_REMOVED;
          }
          case LIFT_BAN -> {
            affectedUser = t.getLiftBan().getUserId();
            banned.remove(affectedUser);
            event.setBanLifted(BanLifted.newBuilder().setUserId(affectedUser));
          }
          case LOCK -> {
            locked = t.getLock().getLocked();
            event.setRoomLocked(RoomLocked.newBuilder().setLocked(locked));
          }
          case STUDENT_CHAT -> {
            studentChatEnabled = t.getStudentChat().getEnabled();
            event.setStudentChatChanged(StudentChatChanged.newBuilder().setEnabled(studentChatEnabled));
          }
          case END_SESSION -> {
            ended = true;
            event.setSessionEnded(SessionEnded.getDefaultInstance());
            effect = Effect.SESSION_ENDED;
          }
          default -> throw new IllegalStateException("validated action has no case");
        }
      }
      case DOC_CREATE -> event.setDocCreated(DocCreated.newBuilder()
          .setDocument(documents.create(op.getDocCreate(), userId)));
      case DOC_SET_READ_ONLY -> {
        documents.setReadOnly(op.getDocSetReadOnly());
        event.setDocReadOnlyChanged(DocReadOnlyChanged.newBuilder()
            .setDocId(op.getDocSetReadOnly().getDocId())
            .setStudentsReadOnly(op.getDocSetReadOnly().getStudentsReadOnly()));
      }
      case DOC_UPDATE -> {
        documents.update(roomId, op.getDocUpdate());
        event.setDocUpdated(DocUpdated.newBuilder()
            .setDocId(op.getDocUpdate().getDocId()).setUpdate(op.getDocUpdate().getUpdate()));
      }
      case CLOSE_ROOM -> {
        closed = true;
        ended = true;
        event.setRoomClosed(RoomClosed.getDefaultInstance());
        effect = Effect.ROOM_CLOSED;
      }
      default -> throw new IllegalStateException("validated operation has no body");
    }
    remember(userId, op.getClientMsgId());
    return AppliedOperation.accepted(sop, event.build(), privateTo, effect, affectedUser);
  }

  private ErrorInfo validate(Operation op) {
    Actor actor = op.getActor();
    Role role = actor.getRole();
    String userId = actor.getUserId();
    if (role == Role.ROLE_UNSPECIFIED && op.getBodyCase() != Operation.BodyCase.CLOSE_ROOM) {
      return error(ErrorCode.PERMISSION_DENIED, "operation without a role");
    }
    if (closed) {
      return error(ErrorCode.ROOM_ENDED, "the room is closed");
    }
    switch (op.getBodyCase()) {
      case CHAT_POST -> {
        ChatPost p = op.getChatPost();
        ErrorInfo e = canChat(userId, role);
        if (e != null) {
          return e;
        }
        e = checked(ChatText.message(p.getText()));
        if (e == null) {
          e = checked(ChatText.language(p.getLanguage()));
        }
        if (e == null && p.getReplyTo() != 0) {
          ChatMessage target = messages.get(p.getReplyTo());
          if (target == null || target.getDeleted() || !visibleTo(target, userId, role)) {
            e = error(ErrorCode.MESSAGE_NOT_FOUND, "reply_to names no message");
          }
        }
        return e;
      }
      case CHAT_EDIT -> {
        ChatEdit ed = op.getChatEdit();
        ErrorInfo e = canChat(userId, role);
        if (e != null) {
          return e;
        }
        ChatMessage m = messages.get(ed.getMessageSeq());
        if (m == null || m.getDeleted() || !visibleTo(m, userId, role)) {
          return error(ErrorCode.MESSAGE_NOT_FOUND, "no such message");
        }
        if (!m.getAuthor().getUserId().equals(userId)) {
          return error(ErrorCode.PERMISSION_DENIED, "only the author can edit a message");
        }
        return checked(ChatText.message(ed.getText()));
      }
      case CHAT_DELETE -> {
        if (role == Role.OBSERVER) {
          return error(ErrorCode.READ_ONLY, "observers cannot delete messages");
        }
        if (banned.contains(userId)) {
          return error(ErrorCode.BANNED, "removed from this room");
        }
        ChatMessage m = messages.get(op.getChatDelete().getMessageSeq());
        if (m == null || m.getDeleted() || !visibleTo(m, userId, role)) {
          return error(ErrorCode.MESSAGE_NOT_FOUND, "no such message");
        }
        if (role != Role.TEACHER && !m.getAuthor().getUserId().equals(userId)) {
          return error(ErrorCode.PERMISSION_DENIED, "only the author or a teacher can delete a message");
        }
        return null;
      }
      case CHAT_REACT -> {
        ErrorInfo e = canChat(userId, role);
        if (e != null) {
          return e;
        }
        ChatMessage m = messages.get(op.getChatReact().getMessageSeq());
        if (m == null || m.getDeleted() || !visibleTo(m, userId, role)) {
          return error(ErrorCode.MESSAGE_NOT_FOUND, "no such message");
        }
        ChatText.Checked reaction = ChatText.reaction(op.getChatReact().getReaction());
        if (!reaction.ok()) {
          return checked(reaction);
        }
        if (op.getChatReact().getAdd()
            && addsReaction(m, reaction.value(), userId)
            && reactionCount(m) >= maxReactionsPerMessage) {
          return error(ErrorCode.TOO_MANY_REACTIONS,
              "the message already has " + maxReactionsPerMessage + " reactions");
        }
        return null;
      }
      case TEACHER_ACTION -> {
        return validateTeacherAction(op.getTeacherAction(), userId, role);
      }
      case DOC_CREATE, DOC_SET_READ_ONLY, DOC_UPDATE -> {
        return validateDocument(op, userId, role);
      }
      case CLOSE_ROOM -> {
        return null;
      }
      default -> {
        return error(ErrorCode.INVALID_REQUEST, "operation has no body");
      }
    }
  }

  private ErrorInfo validateTeacherAction(TeacherAction t, String userId, Role role) {
    if (role != Role.TEACHER) {
      return error(ErrorCode.PERMISSION_DENIED, "only teachers can do this");
    }
    if (ended) {
      return error(ErrorCode.ROOM_ENDED, "the session has ended");
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
        return error(ErrorCode.INVALID_REQUEST, "teacher action has no action");
      }
    }
    if (!ChatText.validUserId(target)) {
      return error(ErrorCode.INVALID_REQUEST, "user_id is missing or invalid");
    }
    if (target.equals(userId) && t.getActionCase() != TeacherAction.ActionCase.LIFT_BAN) {
      return error(ErrorCode.INVALID_REQUEST, "a teacher cannot mute or remove themselves");
    }
    return null;
  }

  private ErrorInfo validateDocument(Operation op, String userId, Role role) {
    if (role == Role.OBSERVER) {
      return error(ErrorCode.READ_ONLY, "observers are read-only");
    }
    if (banned.contains(userId)) {
      return error(ErrorCode.BANNED, "removed from this room");
    }
    if (ended) {
      return error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    DocumentSet.Verdict v = switch (op.getBodyCase()) {
      case DOC_CREATE -> documents.validateCreate(op.getDocCreate(), role, settings);
      case DOC_SET_READ_ONLY -> documents.validateSetReadOnly(op.getDocSetReadOnly(), role);
      default -> documents.validateUpdate(op.getDocUpdate(), role);
    };
    return v.ok() ? null : error(v.code(), v.reason());
  }

  /** Whether a user may write chat now (post, edit, react). */
  private ErrorInfo canChat(String userId, Role role) {
    if (role == Role.OBSERVER) {
      return error(ErrorCode.READ_ONLY, "observers are read-only");
    }
    if (banned.contains(userId)) {
      return error(ErrorCode.BANNED, "removed from this room");
    }
    if (ended) {
      return error(ErrorCode.ROOM_ENDED, "the session has ended");
    }
    if (role == Role.TEACHER) {
      return null;
    }
    if (!settings.getStudentPermissions().getChat()) {
      return error(ErrorCode.PERMISSION_DENIED, "students may not chat in this room");
    }
    if (!studentChatEnabled) {
      return error(ErrorCode.CHAT_DISABLED, "the teacher has switched student chat off");
    }
    if (muted.contains(userId)) {
      return error(ErrorCode.MUTED, "you are muted in this room");
    }
    return null;
  }

  private ErrorInfo checked(ChatText.Checked c) {
    return c.ok() ? null : error(c.error(), c.reason());
  }

  private ErrorInfo error(ErrorCode code, String message) {
    return ErrorCodes.error(code, message, roomId);
  }

  private static Event skipped(Event.Builder event) {
    return event.setSkipped(Skipped.getDefaultInstance()).build();
  }

  private static String privateTo(ChatMessage m) {
    return m.getToTeachers() ? m.getAuthor().getUserId() : "";
  }

  /** Whether adding the reaction would add a (user, reaction) pair the message does not have. */
  private static boolean addsReaction(ChatMessage m, String reaction, String userId) {
    for (Reaction r : m.getReactionsList()) {
      if (r.getReaction().equals(reaction)) {
        return !r.getUserIdsList().contains(userId);
      }
    }
    return true;
  }

  private static int reactionCount(ChatMessage m) {
    int n = 0;
    for (Reaction r : m.getReactionsList()) {
      n += r.getUserIdsCount();
    }
    return n;
  }

  private static ChatMessage withReaction(ChatMessage m, String reaction, String userId, boolean add) {
    ChatMessage.Builder b = m.toBuilder().clearReactions();
    boolean found = false;
    for (Reaction r : m.getReactionsList()) {
      if (!r.getReaction().equals(reaction)) {
        b.addReactions(r);
        continue;
      }
      found = true;
      TreeSet<String> users = new TreeSet<>(r.getUserIdsList());
      if (add) {
        users.add(userId);
      } else {
        users.remove(userId);
      }
      if (!users.isEmpty()) {
        b.addReactions(Reaction.newBuilder().setReaction(reaction).addAllUserIds(users));
      }
    }
    if (!found && add) {
      b.addReactions(Reaction.newBuilder().setReaction(reaction).addUserIds(userId));
    }
    return b.build();
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
