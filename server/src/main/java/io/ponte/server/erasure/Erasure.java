package io.ponte.server.erasure;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Message;
import io.ponte.protocol.v1.BoardChanged;
import io.ponte.protocol.v1.BoardChangeRecord;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.BoardRecord;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.ElementPatch;
import io.ponte.protocol.v1.ElementsAdd;
import io.ponte.protocol.v1.ElementsChanged;
import io.ponte.protocol.v1.ElementsUpdate;
import io.ponte.protocol.v1.PageElements;
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
 * they authored go, their content blanked in the stored copies too ({@link #keepingBoardContentOf}).
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
  /**
   * The board elements (keys, {@link #elementKey}) whose content the state after the erasure
   * holds; null: the stored board content is left as it is (anonymise mode, or not known here).
   */
  private final Set<String> keptElements;

  public Erasure(EraseParticipant e) {
    this(e, null);
  }

  private Erasure(EraseParticipant e, Set<String> keptElements) {
    this.keptElements = keptElements;
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

  /**
   * This erasure, blanking in the stored copies (when it removes board elements) the content of
   * every element that {@code after}, the room's state after it, no longer holds: the removed
   * elements' strokes, texts and images leave the stored operations, events and older snapshots
   * too, not only the state. Which elements is decided by element, not by who sent the
   * operation: an element's content then comes only from blanked copies, so a replay, and an
   * older snapshot rewritten alike, give the same state (the teachers' edits of an erased
   * learner's element go too, and so does the stored content of elements deleted before; what
   * the boards or their revert history still hold is kept).
   */
  public Erasure keepingBoardContentOf(RoomStateRecord after) {
    if (!removeBoardElements) {
      return this;
    }
    Set<String> kept = new HashSet<>();
    for (BoardRecord board : after.getBoardsList()) {
      String boardId = board.getBoard().getBoardId();
      for (BoardPage page : board.getBoard().getPagesList()) {
        for (BoardElement el : page.getElementsList()) {
          kept.add(elementKey(boardId, page.getPageId(), el.getElementId()));
        }
      }
      for (BoardChangeRecord c : board.getHistoryList()) {
        if (c.hasBefore()) {
          kept.add(elementKey(boardId, c.getPageId(), c.getElementId()));
        }
      }
    }
    return new Erasure(EraseParticipant.newBuilder().setUserId(userId).setPseudonym(pseudonym)
        .setRemoveBoardElements(true).build(), Set.copyOf(kept));
  }

  private static String elementKey(String boardId, String pageId, String elementId) {
    return boardId + "/" + pageId + "/" + elementId;
  }

  private boolean blanks(String boardId, String pageId, String elementId) {
    return keptElements != null && !keptElements.contains(elementKey(boardId, pageId, elementId));
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
    op = blankBoard(op);
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
    event = blankBoard(event);
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
    record = blankBoards(record);
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
  // Board content (remove mode: see keepingBoardContentOf)
  // ------------------------------------------------------------------------------------------

  /** A board operation with the content of the elements it adds or patches blanked. */
  private Operation blankBoard(Operation op) {
    if (keptElements == null || op.getBodyCase() != Operation.BodyCase.BOARD) {
      return op;
    }
    BoardRequest req = op.getBoard();
    String boardId = req.getBoardId();
    BoardRequest.Builder b = req.toBuilder();
    switch (req.getOpCase()) {
      case ADD_ELEMENTS -> {
        ElementsAdd.Builder add = b.getAddElementsBuilder();
        for (int i = 0; i < add.getElementsCount(); i++) {
          BoardElement el = add.getElements(i);
          if (blanks(boardId, add.getPageId(), el.getElementId())) {
            add.setElements(i, blankShape(el));
          }
        }
      }
      case UPDATE_ELEMENTS -> {
        ElementsUpdate.Builder update = b.getUpdateElementsBuilder();
        for (int i = 0; i < update.getPatchesCount(); i++) {
          ElementPatch p = update.getPatches(i);
          if (blanks(boardId, update.getPageId(), p.getElementId())) {
            update.setPatches(i, blankShape(p));
          }
        }
      }
      default -> {
        return op;
      }
    }
    BoardRequest blanked = b.build();
    return blanked.equals(req) ? op : op.toBuilder().setBoard(blanked).build();
  }

  /** A board event with the content of the elements it carries blanked. */
  private Event blankBoard(Event event) {
    if (keptElements == null || event.getBodyCase() != Event.BodyCase.BOARD_CHANGED
        || !event.getBoardChanged().hasElements()) {
      return event;
    }
    BoardChanged changed = event.getBoardChanged();
    ElementsChanged.Builder elements = changed.getElements().toBuilder();
    for (int p = 0; p < elements.getPagesCount(); p++) {
      PageElements page = elements.getPages(p);
      PageElements.Builder pb = page.toBuilder();
      for (int i = 0; i < pb.getUpsertedCount(); i++) {
        if (blanks(changed.getBoardId(), page.getPageId(), pb.getUpserted(i).getElementId())) {
          pb.setUpserted(i, blankShape(pb.getUpserted(i)));
        }
      }
      elements.setPages(p, pb);
    }
    ElementsChanged blanked = elements.build();
    return blanked.equals(changed.getElements()) ? event : event.toBuilder()
        .setBoardChanged(changed.toBuilder().setElements(blanked)).build();
  }

  /** A snapshot with the content of the elements on its boards and in their history blanked. */
  private RoomStateRecord blankBoards(RoomStateRecord record) {
    if (keptElements == null || record.getBoardsCount() == 0) {
      return record;
    }
    RoomStateRecord.Builder b = record.toBuilder();
    for (int i = 0; i < b.getBoardsCount(); i++) {
      BoardRecord.Builder board = b.getBoards(i).toBuilder();
      String boardId = board.getBoard().getBoardId();
      for (int p = 0; p < board.getBoard().getPagesCount(); p++) {
        BoardPage.Builder page = board.getBoardBuilder().getPagesBuilder(p);
        for (int e = 0; e < page.getElementsCount(); e++) {
          if (blanks(boardId, page.getPageId(), page.getElements(e).getElementId())) {
            page.setElements(e, blankShape(page.getElements(e)));
          }
        }
      }
      for (int h = 0; h < board.getHistoryCount(); h++) {
        BoardChangeRecord c = board.getHistory(h);
        if (c.hasBefore() && blanks(boardId, c.getPageId(), c.getElementId())) {
          board.setHistory(h, c.toBuilder().setBefore(blankShape(c.getBefore())));
        }
      }
      b.setBoards(i, board);
    }
    RoomStateRecord blanked = b.build();
    return blanked.equals(record) ? record : blanked;
  }

  /**
   * The element (or patch) with every value of its shape (the {@code shape} oneof: points,
   * pressures, coordinates, texts, asset ids) replaced by a filler of the same encoded size, its
   * kind kept. The size is kept because the boards' limits and their history's bound count
   * encoded bytes: a replay of blanked copies must accept, refuse and forget exactly as the
   * originals did. The filler depends on the size only, so blanking twice changes nothing.
   */
  @SuppressWarnings("unchecked")
  static <T extends Message> T blankShape(T m) {
    OneofDescriptor shape = shapeOf(m.getDescriptorForType());
    FieldDescriptor f = shape == null ? null : m.getOneofFieldDescriptor(shape);
    if (f == null) {
      return m;
    }
    Message value = (Message) m.getField(f);
    Message filled = fill(value);
    return filled.equals(value) ? m : (T) m.toBuilder().setField(f, filled).build();
  }

  /** The {@code shape} oneof of BoardElement and ElementPatch, or null. */
  static OneofDescriptor shapeOf(com.google.protobuf.Descriptors.Descriptor type) {
    return type.getOneofs().stream().filter(o -> o.getName().equals("shape")).findFirst().orElse(null);
  }

  private static Message fill(Message m) {
    Message.Builder b = m.toBuilder();
    for (var e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.isRepeated()) {
        List<?> values = (List<?>) e.getValue();
        for (int i = 0; i < values.size(); i++) {
          b.setRepeatedField(f, i, filler(f, values.get(i)));
        }
      } else {
        b.setField(f, filler(f, e.getValue()));
      }
    }
    return b.build();
  }

  private static Object filler(FieldDescriptor f, Object v) {
    return switch (f.getType()) {
      case STRING -> " ".repeat(((String) v).getBytes(StandardCharsets.UTF_8).length);
      // Zigzag varints: the smallest value of each encoded size (0 stays 0; a set field stays set).
      case SINT32 -> switch (CodedOutputStream.computeSInt32SizeNoTag((Integer) v)) {
        case 1 -> (Integer) v == 0 ? 0 : 1;
        case 2 -> 64;
        case 3 -> 1 << 13;
        case 4 -> 1 << 20;
        default -> 1 << 27;
      };
      case UINT32 -> switch (CodedOutputStream.computeUInt32SizeNoTag((Integer) v)) {
        case 1 -> (Integer) v == 0 ? 0 : 1;
        case 2 -> 1 << 7;
        case 3 -> 1 << 14;
        case 4 -> 1 << 21;
        default -> 1 << 28;
      };
      case MESSAGE -> fill((Message) v);
      // No shape has other kinds today (EraseParticipantTest checks every shape is blanked).
      default -> v;
    };
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
