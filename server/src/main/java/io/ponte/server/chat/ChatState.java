package io.ponte.server.chat;

import com.google.protobuf.CodedOutputStream;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.ChatDelete;
import io.ponte.protocol.v1.ChatDeleted;
import io.ponte.protocol.v1.ChatEdit;
import io.ponte.protocol.v1.ChatEdited;
import io.ponte.protocol.v1.ChatLastEdit;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ChatReact;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.ReactionChanged;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.moderation.ModerationState;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RecordPart;
import io.ponte.server.room.Redaction;
import io.ponte.server.room.RoomCore;
import io.ponte.server.text.ChatText;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * A room's chat: messages by seq (posts, edits, deletions, reactions), private "ask the teacher"
 * messages, and the checks deciding whether a chat operation takes effect. Mutes and the student
 * chat switch are moderation's; chat reads them.
 */
public final class ChatState implements FeatureState {
  private final ChatLog messages = new ChatLog();
  /** The seq of each edited message's latest edit, by message seq: the one text kept stored. */
  private final java.util.TreeMap<Long, Long> lastEdits = new java.util.TreeMap<>();
  private final int maxReactionsPerMessage;
  private final int recentMessages;

  ChatState(RoomStateRecord record, int maxReactionsPerMessage, int recentMessages) {
    this.maxReactionsPerMessage = maxReactionsPerMessage;
    this.recentMessages = recentMessages;
    for (ChatMessage m : record.getMessagesList()) {
      messages.put(m);
    }
    for (ChatLastEdit e : record.getChatLastEditsList()) {
      lastEdits.put(e.getMessageSeq(), e.getEditSeq());
    }
  }

  /** The message at this seq as the room holds it now (deleted ones without text), or null. */
  public ChatMessage message(long seq) {
    return messages.get(seq);
  }

  /** Whether a viewer may see a message: private ones only for the author and teachers. */
  public static boolean visibleTo(ChatMessage m, String viewerId, Role viewerRole) {
    return !m.getToTeachers()
        || viewerRole == Role.TEACHER
        || m.getAuthor().getUserId().equals(viewerId);
  }

  /** Messages visible to the viewer with seq below beforeSeq (0: newest), oldest first. */
  public HistorySlice history(String viewerId, Role viewerRole, long beforeSeq, int limit) {
    ChatLog.Page newest =
        messages.newestFirst(beforeSeq, limit, m -> visibleTo(m, viewerId, viewerRole));
    ArrayList<ChatMessage> page = new ArrayList<>(newest.newestFirst());
    Collections.reverse(page);
    return new HistorySlice(page, newest.more());
  }

  /** A page of chat history. */
  public record HistorySlice(List<ChatMessage> messages, boolean more) {}

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    HistorySlice slice = history(viewerId, viewerRole, 0, recentMessages);
    snapshot.addAllRecentMessages(slice.messages()).setMoreHistory(slice.more());
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.addAllMessages(messages.frozen().decodeAll());
    record.addAllChatLastEdits(lastEditsRecord().getChatLastEditsList());
  }

  private RoomStateRecord lastEditsRecord() {
    RoomStateRecord.Builder b = RoomStateRecord.newBuilder();
    lastEdits.forEach((message, edit) ->
        b.addChatLastEdits(ChatLastEdit.newBuilder().setMessageSeq(message).setEditSeq(edit)));
    return b.build();
  }

  /** The messages as the bytes they are kept as, not decoded (see {@link ChatLog}). */
  @Override
  public RecordPart snapshot() {
    ChatLog.Frozen frozen = messages.frozen();
    RoomStateRecord edits = lastEditsRecord();
    int field = RoomStateRecord.MESSAGES_FIELD_NUMBER;
    return new RecordPart() {
      @Override
      public int serializedSize() {
        return frozen.serializedSize(field) + edits.getSerializedSize();
      }

      @Override
      public void writeTo(CodedOutputStream out) throws IOException {
        frozen.writeTo(out, field);
        edits.writeTo(out);
      }
    };
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    String userId = op.getActor().getUserId();
    Role role = op.getActor().getRole();
    switch (op.getBodyCase()) {
      case CHAT_POST -> {
        ChatPost p = op.getChatPost();
        ErrorInfo e = canChat(userId, role, room, p.getToTeachers()
            ? Capability.CAPABILITY_PRIVATE_TO_TEACHERS : Capability.CAPABILITY_CHAT);
        if (e != null) {
          return e;
        }
        e = blanked(p.getText(), room) ? null : checked(ChatText.message(p.getText()), room);
        if (e == null) {
          e = checked(ChatText.language(p.getLanguage()), room);
        }
        if (e == null && p.getReplyTo() != 0) {
          ChatMessage target = messages.get(p.getReplyTo());
          if (target == null || target.getDeleted() || !visibleTo(target, userId, role)) {
            e = room.error(ErrorCode.MESSAGE_NOT_FOUND, "reply_to names no message");
          }
        }
        return e;
      }
      case CHAT_EDIT -> {
        ChatEdit ed = op.getChatEdit();
        ChatMessage m = messages.get(ed.getMessageSeq());
        ErrorInfo e = canChat(userId, role, room, m != null && m.getToTeachers()
            ? Capability.CAPABILITY_PRIVATE_TO_TEACHERS : Capability.CAPABILITY_CHAT);
        if (e != null) {
          return e;
        }
        if (m == null || m.getDeleted() || !visibleTo(m, userId, role)) {
          return room.error(ErrorCode.MESSAGE_NOT_FOUND, "no such message");
        }
        if (!m.getAuthor().getUserId().equals(userId)) {
          return room.error(ErrorCode.PERMISSION_DENIED, "only the author can edit a message");
        }
        return blanked(ed.getText(), room) ? null : checked(ChatText.message(ed.getText()), room);
      }
      case CHAT_DELETE -> {
        if (role == Role.OBSERVER) {
          return room.error(ErrorCode.READ_ONLY, "observers cannot delete messages");
        }
        if (room.isBanned(userId)) {
          return room.error(ErrorCode.BANNED, "removed from this room");
        }
        ChatMessage m = messages.get(op.getChatDelete().getMessageSeq());
        if (m == null || m.getDeleted() || !visibleTo(m, userId, role)) {
          return room.error(ErrorCode.MESSAGE_NOT_FOUND, "no such message");
        }
        if (role != Role.TEACHER && !m.getAuthor().getUserId().equals(userId)) {
          return room.error(ErrorCode.PERMISSION_DENIED, "only the author or a teacher can delete a message");
        }
        return null;
      }
      case CHAT_REACT -> {
        ErrorInfo e = canChat(userId, role, room, Capability.CAPABILITY_REACTIONS);
        if (e != null) {
          return e;
        }
        ChatMessage m = messages.get(op.getChatReact().getMessageSeq());
        if (m == null || m.getDeleted() || !visibleTo(m, userId, role)) {
          return room.error(ErrorCode.MESSAGE_NOT_FOUND, "no such message");
        }
        ChatText.Checked reaction = ChatText.reaction(op.getChatReact().getReaction());
        if (!reaction.ok()) {
          return checked(reaction, room);
        }
        if (op.getChatReact().getAdd()
            && addsReaction(m, reaction.value(), userId)
            && reactionCount(m) >= maxReactionsPerMessage) {
          return room.error(ErrorCode.TOO_MANY_REACTIONS,
              "the message already has " + maxReactionsPerMessage + " reactions");
        }
        return null;
      }
      default -> throw new IllegalArgumentException("not a chat operation: " + op.getBodyCase());
    }
  }

  /** A teacher deleting someone else's message is a moderation action; the text is not kept. */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    if (op.getBodyCase() != Operation.BodyCase.CHAT_DELETE) {
      return null;
    }
    ChatMessage m = messages.get(op.getChatDelete().getMessageSeq());
    String author = m == null ? "" : m.getAuthor().getUserId();
    if (op.getActor().getRole() != Role.TEACHER || author.equals(op.getActor().getUserId())) {
      return null;
    }
    return new AuditNote("chat.delete", author, "message:" + op.getChatDelete().getMessageSeq(), "");
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    long seq = room.seq();
    String userId = op.getActor().getUserId();
    ChatMessage m;
    switch (op.getBodyCase()) {
      case CHAT_POST -> {
        ChatPost p = op.getChatPost();
        m = ChatMessage.newBuilder()
            .setSeq(seq)
            .setAuthor(op.getActor())
            .setText(text(p.getText(), room))
            .setLanguage(ChatText.language(p.getLanguage()).value())
            .setReplyTo(p.getReplyTo())
            .setToTeachers(p.getToTeachers())
            .setPostedMs(op.getServerTimeMs())
            .setClientMsgId(op.getClientMsgId())
            .build();
        messages.put(m);
        event.setChatPosted(m);
      }
      case CHAT_EDIT -> {
        ChatEdit e = op.getChatEdit();
        m = messages.get(e.getMessageSeq());
        String text = text(e.getText(), room);
        messages.put(m.toBuilder().setText(text).setEditedMs(op.getServerTimeMs()).build());
        lastEdits.put(m.getSeq(), seq);
        event.setChatEdited(ChatEdited.newBuilder().setMessageSeq(m.getSeq()).setText(text));
      }
      case CHAT_DELETE -> {
        ChatDelete d = op.getChatDelete();
        m = messages.get(d.getMessageSeq());
        // Deleted text is gone from the state (and so from later snapshots): data minimisation.
        messages.put(m.toBuilder()
            .setText("").setLanguage("").clearReactions().setDeleted(true)
            .setEditedMs(op.getServerTimeMs()).build());
        event.setChatDeleted(ChatDeleted.newBuilder().setMessageSeq(m.getSeq()));
        lastEdits.remove(m.getSeq());
      }
      case CHAT_REACT -> {
        ChatReact r = op.getChatReact();
        m = messages.get(r.getMessageSeq());
        String reaction = ChatText.reaction(r.getReaction()).value();
        messages.put(withReaction(m, reaction, userId, r.getAdd()));
        event.setReactionChanged(ReactionChanged.newBuilder()
            .setMessageSeq(m.getSeq()).setReaction(reaction).setAdded(r.getAdd()).setUserId(userId));
      }
      default -> throw new IllegalArgumentException("not a chat operation: " + op.getBodyCase());
    }
    return m.getToTeachers() ? Outcome.privateTo(m.getAuthor().getUserId()) : Outcome.PUBLIC;
  }

  /**
   * Whether a text was blanked by a redaction: then it took effect as it was and is not checked
   * again. A redacted copy with a text left in is checked: an erasure (erasure.Erasure) leaves an
   * invalid marker in place of a text that was refused, so it is refused again.
   */
  private static boolean blanked(String text, RoomCore room) {
    return room.redacted() && text.isEmpty();
  }

  /** A message's text as applied: a redacted copy's is blank. */
  private static String text(String submitted, RoomCore room) {
    return room.redacted() ? "" : ChatText.message(submitted).value();
  }

  /**
   * Deleting a message blanks its text in the stored post and its edits; editing it blanks the
   * post's and the earlier edits' (the new text lives in the edit). Seqs, authors and message ids
   * stay, so a replay gives the same messages.
   */
  @Override
  public Redaction redaction(Operation op, RoomCore room) {
    long target = switch (op.getBodyCase()) {
      case CHAT_EDIT -> op.getChatEdit().getMessageSeq();
      case CHAT_DELETE -> op.getChatDelete().getMessageSeq();
      default -> 0;
    };
    if (target == 0) {
      return null;
    }
    Long edit = lastEdits.get(target);
    return new Redaction(edit == null ? List.of(target) : List.of(target, edit),
        ChatState::blankText, ChatState::blankText, record -> blankText(record, target));
  }

  /** The snapshot with the message's text blank (as replaying its redacted post gives it). */
  static RoomStateRecord blankText(RoomStateRecord record, long messageSeq) {
    for (int i = 0; i < record.getMessagesCount(); i++) {
      ChatMessage m = record.getMessages(i);
      if (m.getSeq() == messageSeq) {
        return m.getText().isEmpty() ? record
            : record.toBuilder().setMessages(i, m.toBuilder().clearText()).build();
      }
    }
    return record;
  }

  /** The operation with its chat text blank (other operations as they are). */
  static Operation blankText(Operation op) {
    return switch (op.getBodyCase()) {
      case CHAT_POST -> op.getChatPost().getText().isEmpty() ? op
          : op.toBuilder().setChatPost(op.getChatPost().toBuilder().clearText()).build();
      case CHAT_EDIT -> op.getChatEdit().getText().isEmpty() ? op
          : op.toBuilder().setChatEdit(op.getChatEdit().toBuilder().clearText()).build();
      default -> op;
    };
  }

  /** The event with its chat text blank (other events as they are). */
  static Event blankText(Event event) {
    return switch (event.getBodyCase()) {
      case CHAT_POSTED -> event.getChatPosted().getText().isEmpty() ? event
          : event.toBuilder().setChatPosted(event.getChatPosted().toBuilder().clearText()).build();
      case CHAT_EDITED -> event.getChatEdited().getText().isEmpty() ? event
          : event.toBuilder().setChatEdited(event.getChatEdited().toBuilder().clearText()).build();
      default -> event;
    };
  }

  /**
   * Whether a user may write chat now (post, edit, react): the capability, then moderation's
   * student chat switch and mute, each one more "no" over every chat write.
   */
  private static ErrorInfo canChat(String userId, Role role, RoomCore room, Capability capability) {
    ErrorInfo e = room.mayUse(userId, role, capability);
    if (e != null || role == Role.TEACHER) {
      return e;
    }
    ModerationState moderation = room.feature(ModerationState.class);
    if (!moderation.studentChatEnabled()) {
      return room.error(ErrorCode.CHAT_DISABLED, "the teacher has switched student chat off");
    }
    if (moderation.isMuted(userId)) {
      return room.error(ErrorCode.MUTED, "you are muted in this room");
    }
    return null;
  }

  private static ErrorInfo checked(ChatText.Checked c, RoomCore room) {
    return c.ok() ? null : room.error(c.error(), c.reason());
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
}
