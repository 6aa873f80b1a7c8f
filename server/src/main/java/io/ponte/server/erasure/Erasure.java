package io.ponte.server.erasure;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.ponte.protocol.v1.BoardChangeRecord;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.BoardRecord;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.ChatLastEdit;
import io.ponte.protocol.v1.EraseParticipant;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.ReportedMessage;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.text.ChatText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What erasing one participant does to a room's records (see {@link EraseParticipant}): every
 * string naming the user (their user id, and the pseudonym once renamed) becomes the pseudonym,
 * with the display name beside it cleared; their chat texts are blanked; in the state their chat
 * messages become deleted placeholders, their reactions go, and (when asked) the board elements
 * they authored go.
 *
 * <p>Pure functions of the record and the {@link EraseParticipant}: every node and every replay
 * rewrites alike, and a second erasure changes nothing ({@code f(f(x)) == f(x)}).
 *
 * <p>Renaming is by reflection over every message type, so a feature added later is covered as
 * long as it names users the way the schema does: a field {@code user_id} or {@code *_user_id}
 * (the display name beside it, {@code display_name}, {@code *_display_name} or {@code *_name},
 * is cleared), or any other string field holding exactly the user id (ids of lists, maps,
 * {@code created_by}, {@code author_id}).
 */
public final class Erasure {
  private final String userId;
  private final String pseudonym;
  private final boolean removeBoardElements;
  private final byte[] userIdBytes;
  private final byte[] pseudonymBytes;

  public Erasure(EraseParticipant e) {
    this.userId = e.getUserId();
    this.pseudonym = e.getPseudonym();
    this.removeBoardElements = e.getRemoveBoardElements();
    this.userIdBytes = userId.getBytes(StandardCharsets.UTF_8);
    this.pseudonymBytes = pseudonym.getBytes(StandardCharsets.UTF_8);
    if (pseudonym.isEmpty()) {
      throw new IllegalArgumentException("an erasure needs a pseudonym");
    }
  }

  public String pseudonym() {
    return pseudonym;
  }

  /** Whether this string names the erased user (never the empty string). */
  boolean names(String s) {
    return !s.isEmpty() && (s.equals(userId) || s.equals(pseudonym));
  }

  /** Whether the encoded message may name the user at all (a cheap test before the walk). */
  private boolean mayName(Message m) {
    byte[] bytes = m.toByteArray();
    return (userIdBytes.length > 0 && contains(bytes, userIdBytes)) || contains(bytes, pseudonymBytes);
  }

  // ------------------------------------------------------------------------------------------
  // Stored operations and events (a Redaction's rewrites)
  // ------------------------------------------------------------------------------------------

  /**
   * A stored operation as the erasure leaves it: renamed, the user's chat texts blank; the
   * erasure itself (this one) without the user id.
   */
  public Operation operation(Operation op) {
    if (op.getBodyCase() == Operation.BodyCase.ERASE_PARTICIPANT
        && op.getEraseParticipant().getPseudonym().equals(pseudonym)) {
      return op.getEraseParticipant().getUserId().isEmpty() ? op : op.toBuilder()
          .setEraseParticipant(op.getEraseParticipant().toBuilder().clearUserId()).build();
    }
    if (!mayName(op)) {
      return op;
    }
    Operation.Builder b = rename(op).toBuilder();
    if (names(op.getActor().getUserId())) {
      switch (b.getBodyCase()) {
        case CHAT_POST -> b.setChatPost(b.getChatPost().toBuilder()
            .setText(blankedText(b.getChatPost().getText())));
        case CHAT_EDIT -> b.setChatEdit(b.getChatEdit().toBuilder()
            .setText(blankedText(b.getChatEdit().getText())));
        default -> { }
      }
    }
    return b.build();
  }

  /**
   * A chat text of the user as stored after the erasure: blank when it is a valid text (or blank
   * already: an earlier redaction's), else a marker that carries nothing and is refused as the
   * original was ({@link #REFUSED_TEXT}), so the replay of the rewritten copy, which skips the
   * checks of a blank text only, still refuses it. (Texts refused for their content are refused
   * before sequencing, so they are rarely stored at all.)
   */
  static String blankedText(String text) {
    return text.isEmpty() || ChatText.message(text).ok() ? "" : REFUSED_TEXT;
  }

  /** A text that carries nothing and that every check refuses (a control character). */
  static final String REFUSED_TEXT = "\u0000";

  /** An event in the resume window as the erasure leaves it (as {@link #operation}). */
  public Event event(Event event) {
    if (!mayName(event)) {
      return event;
    }
    Event.Builder b = rename(event).toBuilder();
    if (names(event.getActor().getUserId())) {
      switch (b.getBodyCase()) {
        case CHAT_POSTED -> b.setChatPosted(b.getChatPosted().toBuilder().clearText());
        case CHAT_EDITED -> b.setChatEdited(b.getChatEdited().toBuilder().clearText());
        default -> { }
      }
    }
    return b.build();
  }

  /**
   * A snapshot taken before the erasure, as a replay of the rewritten operations up to its seq
   * gives it: renamed, the user's chat texts blank (their messages are not deleted yet then).
   */
  public RoomStateRecord snapshot(RoomStateRecord record) {
    if (!mayName(record)) {
      return record;
    }
    RoomStateRecord.Builder b = rename(record).toBuilder();
    for (int i = 0; i < b.getMessagesCount(); i++) {
      ChatMessage m = b.getMessages(i);
      ChatMessage.Builder mb = m.toBuilder();
      if (names(m.getAuthor().getUserId())) {
        mb.clearText();
      }
      mb.clearReactions().addAllReactions(sortedReactions(m.getReactionsList(), false));
      b.setMessages(i, mb);
    }
    return b.build();
  }

  // ------------------------------------------------------------------------------------------
  // The state (applying EraseParticipant)
  // ------------------------------------------------------------------------------------------

  /** The state after the erasure, and what it removed or anonymised. */
  public record Result(RoomStateRecord record, List<Long> messageSeqs, Counts counts) {}

  /** What an erasure did in one room (the receipt's counts). */
  public record Counts(int messagesRemoved, int reactionsRemoved, int boardElementsRemoved,
      int boardElementsAnonymised, int reportsAnonymised, int documentsAnonymised,
      int otherMentionsAnonymised) {
    public boolean none() {
      return messagesRemoved + reactionsRemoved + boardElementsRemoved + boardElementsAnonymised
          + reportsAnonymised + documentsAnonymised + otherMentionsAnonymised == 0;
    }
  }

  /** Applies the erasure to a room's whole state record. */
  public Result state(RoomStateRecord before) {
    int mentions = before == null ? 0 : countMentions(before);
    RoomStateRecord.Builder b = rename(before).toBuilder();
    List<Long> messageSeqs = new ArrayList<>();
    int reactions = 0;
    Set<Long> erasedMessages = new HashSet<>();
    for (int i = 0; i < b.getMessagesCount(); i++) {
      ChatMessage m = b.getMessages(i);
      ChatMessage.Builder mb = m.toBuilder();
      if (names(m.getAuthor().getUserId())) {
        messageSeqs.add(m.getSeq());
        if (!m.getDeleted()) {
          erasedMessages.add(m.getSeq());
          for (Reaction r : m.getReactionsList()) {
            reactions += r.getUserIdsList().stream().filter(this::names).count();
          }
          mb.clearText().clearLanguage().clearReactions().setDeleted(true);
        }
      } else {
        for (Reaction r : m.getReactionsList()) {
          reactions += r.getUserIdsList().stream().filter(this::names).count();
        }
        mb.clearReactions().addAllReactions(sortedReactions(m.getReactionsList(), true));
      }
      b.setMessages(i, mb);
    }
    List<ChatLastEdit> edits = new ArrayList<>(b.getChatLastEditsList());
    edits.removeIf(e -> erasedMessages.contains(e.getMessageSeq()));
    b.clearChatLastEdits().addAllChatLastEdits(edits);

    int removedElements = 0;
    int anonymisedElements = 0;
    for (int i = 0; i < b.getBoardsCount(); i++) {
      BoardRecord.Builder board = b.getBoards(i).toBuilder();
      for (int p = 0; p < board.getBoard().getPagesCount(); p++) {
        BoardPage page = board.getBoard().getPages(p);
        BoardPage.Builder pb = page.toBuilder().clearElements();
        for (BoardElement el : page.getElementsList()) {
          if (!names(el.getAuthorId())) {
            pb.addElements(el);
          } else if (removeBoardElements) {
            removedElements++;
          } else {
            anonymisedElements++;
            pb.addElements(el);
          }
        }
        board.getBoardBuilder().setPages(p, pb);
      }
      if (removeBoardElements) {
        // What the history remembers of their elements goes too; a revert must not reach back
        // over what was dropped.
        BoardRecord.Builder kept = board.clone().clearHistory();
        long forgotten = board.getForgottenThrough();
        for (BoardChangeRecord c : board.getHistoryList()) {
          if (names(c.getUserId()) || names(c.getBefore().getAuthorId())) {
            forgotten = Math.max(forgotten, c.getSeq());
          } else {
            kept.addHistory(c);
          }
        }
        board = kept.setForgottenThrough(forgotten);
      }
      b.setBoards(i, board);
    }
    int reports = 0;
    for (var r : before.getReportsList()) {
      if (names(r.getReporterUserId())) {
        reports++;
      }
    }
    int documents = 0;
    for (var d : before.getDocumentsList()) {
      if (d.getClientAuthorsList().stream().anyMatch(a -> names(a.getUserId()))
          || names(d.getCreatedBy())) {
        documents++;
      }
    }
    int reactionsRemoved = reactions;
    Counts counts = new Counts(erasedMessages.size(), reactionsRemoved, removedElements,
        anonymisedElements, reports, documents,
        Math.max(0, mentions - erasedMessages.size() - reactionsRemoved - removedElements
            - anonymisedElements - reports - documents));
    return new Result(b.build(), messageSeqs, counts);
  }

  /**
   * The reactions with the user's taken out ({@code remove}) or only re-sorted (a rename moves
   * the pseudonym where the user id was; the state keeps user ids sorted).
   */
  private List<Reaction> sortedReactions(List<Reaction> reactions, boolean remove) {
    List<Reaction> out = new ArrayList<>(reactions.size());
    for (Reaction r : reactions) {
      TreeSet<String> users = new TreeSet<>(r.getUserIdsList());
      if (remove) {
        users.removeIf(this::names);
      }
      if (!users.isEmpty()) {
        out.add(r.toBuilder().clearUserIds().addAllUserIds(users).build());
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Renaming by reflection
  // ------------------------------------------------------------------------------------------

  /** The message with every mention of the user renamed (see the class comment). */
  @SuppressWarnings("unchecked")
  public <T extends Message> T rename(T m) {
    if (!mayName(m)) {
      return m;
    }
    return (T) walk(m);
  }

  private Message walk(Message m) {
    Message.Builder b = m.toBuilder();
    List<String> clearedPrefixes = new ArrayList<>();
    for (FieldDescriptor f : m.getDescriptorForType().getFields()) {
      if (f.isRepeated()) {
        int n = m.getRepeatedFieldCount(f);
        for (int i = 0; i < n; i++) {
          Object v = m.getRepeatedField(f, i);
          Object w = renamed(f, v);
          if (w != v) {
            b.setRepeatedField(f, i, w);
          }
        }
      } else if (m.hasField(f) || f.getJavaType() == FieldDescriptor.JavaType.STRING) {
        Object v = m.getField(f);
        Object w = renamed(f, v);
        if (w != v) {
          b.setField(f, w);
        }
        if (f.getJavaType() == FieldDescriptor.JavaType.STRING && names((String) v)) {
          String name = f.getName();
          if (name.equals("user_id")) {
            clearedPrefixes.add("");
          } else if (name.endsWith("_user_id")) {
            clearedPrefixes.add(name.substring(0, name.length() - "user_id".length()));
          }
        }
      }
    }
    for (String prefix : clearedPrefixes) {
      for (String suffix : prefix.isEmpty() ? List.of("display_name") : List.of("display_name", "name")) {
        FieldDescriptor f = m.getDescriptorForType().findFieldByName(prefix + suffix);
        if (f != null && !f.isRepeated() && f.getJavaType() == FieldDescriptor.JavaType.STRING) {
          b.clearField(f);
        }
      }
    }
    if (m instanceof ReportedMessage rm && names(rm.getAuthorUserId())) {
      // A report quotes the message it is about: the quote of an erased author's text goes.
      ((ReportedMessage.Builder) b).clearText();
    }
    return b.build();
  }

  private Object renamed(FieldDescriptor f, Object v) {
    return switch (f.getJavaType()) {
      case STRING -> names((String) v) && !v.equals(pseudonym) ? pseudonym : v;
      case MESSAGE -> {
        Message m = (Message) v;
        Message w = mayName(m) ? walk(m) : m;
        yield w.equals(m) ? v : w;
      }
      default -> v;
    };
  }

  /** How many strings name the user (for the receipt's count of other mentions). */
  private int countMentions(Message m) {
    if (!mayName(m)) {
      return 0;
    }
    int n = 0;
    for (var e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      List<?> values = f.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
      for (Object v : values) {
        if (v instanceof String s && names(s)) {
          n++;
        } else if (v instanceof Message sub) {
          n += countMentions(sub);
        }
      }
    }
    return n;
  }

  public static boolean contains(byte[] haystack, byte[] needle) {
    if (needle.length == 0) {
      return false;
    }
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
