package io.ponte.server.export;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.micrometer.core.instrument.Counter;
import io.ponte.protocol.v1.AuditEntry;
import io.ponte.protocol.v1.BoardElement;
import io.ponte.protocol.v1.BoardPage;
import io.ponte.protocol.v1.BoardRecord;
import io.ponte.protocol.v1.BoardRequest;
import io.ponte.protocol.v1.ChatMessage;
import io.ponte.protocol.v1.DocClientAuthor;
import io.ponte.protocol.v1.DocumentRecord;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PollBallot;
import io.ponte.protocol.v1.PollRecord;
import io.ponte.protocol.v1.Reaction;
import io.ponte.protocol.v1.Report;
import io.ponte.protocol.v1.ReportTarget;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.SequencedOperation;
import io.ponte.server.chat.ChatState;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.poll.PollsState;
import io.ponte.server.report.ReportsState;
import io.ponte.server.room.AppliedOperation;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import io.ponte.server.store.AuditQuery;
import io.ponte.server.store.RoomRecord;
import io.ponte.server.store.Store;
import io.ponte.server.store.StoreException;
import io.ponte.server.whiteboard.WhiteboardState;
import io.ponte.yjs.YRevert;
import io.ponte.yjs.YStruct;
import io.ponte.yjs.YUpdate;
import io.ponte.yjs.YUpdateException;
import io.vertx.core.Future;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes everything the store holds about one user into a zip: {@code rooms/<room>.json} per room
 * where they appear, then {@code profile.json} and {@code summary.txt}. Blocking: runs on an
 * export thread of its own, never on an event loop; every store call is awaited there.
 *
 * <p>Memory is bounded by one room at a time: operations are read in pages of {@link #PAGE}, never
 * a room's whole history, and the JSON is written as it is produced. What is held per room is the
 * room's state rebuilt from its operations (what loading the room costs, within the features'
 * limits), the seqs of the learner's refused operations, the Yjs client ids of the room's
 * documents and the learner's board elements still present. Across rooms: a line per room for
 * the summary, and the learner's display names (at most {@link #MAX_NAMES}).
 *
 * <p>Cost: every room's operations are read once to find whether the learner appears (stopping at
 * the first sign, then the room's audit entries when no operation is theirs); a room where they
 * appear is read four more times (to rebuild its state; for their chat messages, reactions and
 * board elements), plus a short read after each edited message for its edits.
 */
final class LearnerArchive {
  private static final Logger log = LoggerFactory.getLogger(LearnerArchive.class);
  static final int PAGE = 500;
  private static final int AUDIT_PAGE = 200;
  static final int MAX_NAMES = 50;
  private static final long STORE_TIMEOUT_S = 60;
  /** Edits after a message's last known edit time still read (nodes' clocks differ a little). */
  private static final long EDIT_SLACK_MS = 60_000;
  private static final JsonFactory JSON = JsonFactory.builder()
      .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET).build();
  private static final JsonFormat.Printer PROTO_JSON = JsonFormat.printer().omittingInsignificantWhitespace();

  private final Store store;
  private final RoomFeatures features;
  private final String userId;
  private final Counter pages;
  private final BooleanSupplier stop;
  private final long nowMs;

  private final LinkedHashSet<String> names = new LinkedHashSet<>();
  private final TreeSet<String> roles = new TreeSet<>();
  private long firstSeenMs;
  private long lastSeenMs;
  private final List<RoomLine> rooms = new ArrayList<>();

  /** A room's line in the summary. */
  private record RoomLine(String roomId, String file, String title, Map<String, Integer> counts) { }

  /** Stops the export (the client went away). */
  static final class Stopped extends IOException {
    Stopped() {
      super("export stopped");
    }
  }

  /** The store failed or did not answer. */
  static final class StoreFailed extends IOException {
    StoreFailed(Throwable cause) {
      super("store: " + cause, cause);
    }
  }

  /** The room was erased while it was being exported (retention). */
  private static final class RoomGone extends IOException {
    RoomGone() {
      super("room erased");
    }
  }

  /**
   * @param pages counts the pages of operations read (ponte.export.pages)
   * @param stop true once the export must stop
   */
  LearnerArchive(Store store, RoomFeatures features, String userId, Counter pages,
      BooleanSupplier stop, long nowMs) {
    this.store = store;
    this.features = features;
    this.userId = userId;
    this.pages = pages;
    this.stop = stop;
    this.nowMs = nowMs;
  }

  /**
   * Writes the archive. Returns how many rooms it holds; with 0 nothing at all was written to
   * {@code out} (the user is unknown), else the zip is complete.
   */
  int write(OutputStream out) throws IOException {
    List<RoomRecord> all = await(store.rooms());
    ZipOutputStream zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
    for (RoomRecord room : all) {
      checkStop();
      try {
        if (appears(room.roomId())) {
          writeRoom(zip, room);
        }
      } catch (RoomGone e) {
        log.info("export: room {} was erased meanwhile; left out", room.roomId());
      }
    }
    if (rooms.isEmpty()) {
      return 0;
    }
    zip.putNextEntry(new ZipEntry("profile.json"));
    writeProfile(zip);
    zip.closeEntry();
    zip.putNextEntry(new ZipEntry("summary.txt"));
    zip.write(summary().getBytes(StandardCharsets.UTF_8));
    zip.closeEntry();
    zip.finish();
    return rooms.size();
  }

  // ------------------------------------------------------------------------------------------
  // Finding the learner
  // ------------------------------------------------------------------------------------------

  private boolean mine(Operation op) {
    return op.getActor().getUserId().equals(userId);
  }

  /** Whether anything in the room is theirs or about them: an operation, a report, an audit entry. */
  private boolean appears(String roomId) throws IOException {
    boolean[] found = {false};
    scan(roomId, 0, sop -> {
      Operation op = sop.getOperation();
      if (mine(op) || op.getReport().getParticipant().getUserId().equals(userId)) {
        found[0] = true;
        return false;
      }
      return true;
    });
    if (found[0]) {
      return true;
    }
    auditScan(roomId, e -> {
      found[0] = true;
      return false;
    });
    return found[0];
  }

  // ------------------------------------------------------------------------------------------
  // Rebuilding the room
  // ------------------------------------------------------------------------------------------

  /** The room replayed from its first operation, with what the learner did in it. */
  private final class Replay {
    RoomState state;
    /** The learner's operations that took no effect (refused, or a retried duplicate). */
    final Set<Long> noEffect = new HashSet<>();
    /** Per document: Yjs client id → the user whose update first carried it. */
    final Map<String, Map<Long, String>> docClients = new HashMap<>();
    final TreeSet<String> roomRoles = new TreeSet<>();
    final LinkedHashSet<String> roomNames = new LinkedHashSet<>();
    long first;
    long last;
    final Map<String, Integer> counts = new LinkedHashMap<>();
    /** The room's polls as created (bounded by poll-max-per-room), for the questions answered. */
    final Map<String, io.ponte.protocol.v1.PollCreate> polls = new HashMap<>();
  }

  /**
   * Replays the room, writing the learner's answers to named polls as it goes (each with the poll
   * as created, so answers to polls deleted since are there too).
   */
  private Replay replay(RoomRecord room, JsonGenerator g) throws IOException {
    Replay r = new Replay();
    r.state = RoomState.create(room.roomId(), room.settings(), features);
    g.writeArrayFieldStart("pollAnswerHistory");
    scan(room.roomId(), 0, sop -> {
      Operation op = sop.getOperation();
      boolean accepted = true;
      if (r.state != null) {
        try {
          AppliedOperation applied = r.state.apply(sop);
          accepted = applied.accepted();
        } catch (RuntimeException e) {
          // A gap or an operation that no longer applies: go on with what the operations say.
          log.warn("export: room {} does not replay at seq {}: {}", room.roomId(), sop.getSeq(),
              e.getMessage());
          r.state = null;
        }
      }
      if (accepted && op.hasDocUpdate()) {
        noteClients(r, op);
      }
      if (accepted && op.getPoll().getRequest().hasCreate()) {
        r.polls.put(op.getPoll().getRequest().getPollId(), op.getPoll().getRequest().getCreate());
      }
      if (!mine(op)) {
        return true;
      }
      if (!accepted) {
        r.noEffect.add(sop.getSeq());
        return true;
      }
      if (op.getPoll().getRequest().hasAnswer()) {
        writeAnswer(g, sop, r.polls.get(op.getPoll().getRequest().getPollId()));
      }
      String role = Room.roleName(op.getActor().getRole());
      r.roomRoles.add(role);
      roles.add(role);
      String name = op.getActor().getDisplayName();
      if (!name.isEmpty() && r.roomNames.size() < MAX_NAMES) {
        r.roomNames.add(name);
      }
      if (!name.isEmpty() && names.size() < MAX_NAMES) {
        names.add(name);
      }
      long t = op.getServerTimeMs();
      r.first = r.first == 0 ? t : Math.min(r.first, t);
      r.last = Math.max(r.last, t);
      firstSeenMs = firstSeenMs == 0 ? t : Math.min(firstSeenMs, t);
      lastSeenMs = Math.max(lastSeenMs, t);
      r.counts.merge(kind(op), 1, Integer::sum);
      return true;
    });
    g.writeEndArray();
    return r;
  }

  /** One answer of theirs (named polls only: an anonymous poll's answers carry a voter key, not them). */
  private static void writeAnswer(JsonGenerator g, SequencedOperation sop,
      io.ponte.protocol.v1.PollCreate poll) throws IOException {
    if (poll != null && poll.getAnonymous()) {
      return;
    }
    io.ponte.protocol.v1.PollRequest request = sop.getOperation().getPoll().getRequest();
    g.writeStartObject();
    g.writeNumberField("seq", sop.getSeq());
    g.writeNumberField("timeMs", sop.getOperation().getServerTimeMs());
    g.writeStringField("pollId", request.getPollId());
    if (poll != null) {
      g.writeStringField("question", poll.getQuestion());
    }
    g.writeArrayFieldStart("chosen");
    for (int c : request.getAnswer().getChoicesList()) {
      g.writeNumber(c);
    }
    g.writeEndArray();
    if (poll != null) {
      g.writeArrayFieldStart("chosenOptions");
      for (int c : request.getAnswer().getChoicesList()) {
        if (c >= 0 && c < poll.getOptionsCount()) {
          g.writeString(poll.getOptions(c));
        }
      }
      g.writeEndArray();
    }
    g.writeEndObject();
  }

  /** The client ids an update carries, each belonging to whoever carried it first (as DocAuthorship). */
  private static void noteClients(Replay r, Operation op) {
    Map<Long, String> clients = r.docClients.computeIfAbsent(op.getDocUpdate().getDocId(), d -> new HashMap<>());
    try {
      for (YStruct s : YUpdate.decode(op.getDocUpdate().getUpdate().toByteArray()).structs()) {
        if (s instanceof YStruct.Item && s.client() != YRevert.SERVER_CLIENT) {
          clients.putIfAbsent(s.client(), op.getActor().getUserId());
        }
      }
    } catch (YUpdateException e) {
      // applied updates decode; nothing to note otherwise
    }
  }

  private static String kind(Operation op) {
    return switch (op.getBodyCase()) {
      case CHAT_POST -> "chat messages";
      case CHAT_EDIT -> "chat edits";
      case CHAT_DELETE -> "chat deletions";
      case CHAT_REACT -> "reactions";
      case BOARD -> "whiteboard operations";
      case DOC_UPDATE -> "document updates";
      case DOC_CREATE -> "documents created";
      case POLL -> op.getPoll().getRequest().hasAnswer() ? "poll answers" : "poll operations";
      case REPORT -> op.getReport().getRequest().hasFile() ? "reports filed" : "report operations";
      case HAND -> "hand raising";
      default -> "other operations";
    };
  }

  // ------------------------------------------------------------------------------------------
  // One room's file
  // ------------------------------------------------------------------------------------------

  static String fileName(String roomId) {
    String safe = roomId.replaceAll("[^A-Za-z0-9._-]", "_");
    return "rooms/" + (safe.startsWith(".") ? "_" + safe : safe) + ".json";
  }

  private void writeRoom(ZipOutputStream zip, RoomRecord room) throws IOException {
    String roomId = room.roomId();
    String file = fileName(roomId);
    zip.putNextEntry(new ZipEntry(file));
    JsonGenerator g = generator(zip);
    g.writeStartObject();
    g.writeStringField("roomId", roomId);
    g.writeStringField("title", room.settings().getTitle());
    g.writeNumberField("exportedAtMs", nowMs);
    try {
      Replay r = replay(room, g);
      RoomStateRecord.Builder now = RoomStateRecord.newBuilder();
      ChatState chat = null;
      if (r.state != null) {
        chat = r.state.feature(ChatState.class);
        r.state.feature(WhiteboardState.class).writeTo(now);
        r.state.feature(DocumentSet.class).writeTo(now);
        r.state.feature(PollsState.class).writeTo(now);
        r.state.feature(ReportsState.class).writeTo(now);
      }
      g.writeBooleanField("currentStateAvailable", r.state != null);
      writeChat(g, roomId, r, chat);
      writeReactions(g, roomId, r, chat);
      writeBoard(g, roomId, r, now);
      writeDocuments(g, r, now);
      writePolls(g, now);
      writeReports(g, now);
      writeAudit(g, roomId);
      g.writeArrayFieldStart("roles");
      for (String role : r.roomRoles) {
        g.writeString(role);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("displayNames");
      for (String name : r.roomNames) {
        g.writeString(name);
      }
      g.writeEndArray();
      if (r.first > 0) {
        g.writeNumberField("firstSeenMs", r.first);
        g.writeNumberField("lastSeenMs", r.last);
      }
      g.writeObjectFieldStart("operations");
      for (Map.Entry<String, Integer> e : r.counts.entrySet()) {
        g.writeNumberField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeEndObject();
      g.close();
      zip.closeEntry();
      rooms.add(new RoomLine(roomId, file, room.settings().getTitle(), r.counts));
    } catch (RoomGone e) {
      // Retention erased it meanwhile: end the file where it is (the generator closes what is open).
      g.close();
      zip.closeEntry();
      rooms.add(new RoomLine(roomId, file, room.settings().getTitle() + " (erased during the export)", Map.of()));
    }
  }

  /** Their chat messages, oldest first: as posted, every edit, and as the room holds them now. */
  private void writeChat(JsonGenerator g, String roomId, Replay r, ChatState chat) throws IOException {
    g.writeArrayFieldStart("chatMessages");
    scan(roomId, 0, sop -> {
      Operation op = sop.getOperation();
      if (!op.hasChatPost() || !mine(op) || r.noEffect.contains(sop.getSeq())) {
        return true;
      }
      g.writeStartObject();
      g.writeNumberField("seq", sop.getSeq());
      g.writeNumberField("postedMs", op.getServerTimeMs());
      g.writeStringField("text", op.getChatPost().getText());
      if (!op.getChatPost().getLanguage().isEmpty()) {
        g.writeStringField("language", op.getChatPost().getLanguage());
      }
      if (op.getChatPost().getReplyTo() != 0) {
        g.writeNumberField("replyTo", op.getChatPost().getReplyTo());
      }
      if (op.getChatPost().getToTeachers()) {
        g.writeStringField("to", "teachers");
      }
      ChatMessage m = chat == null ? null : chat.message(sop.getSeq());
      if (m != null) {
        g.writeBooleanField("deleted", m.getDeleted());
        if (m.getDeleted()) {
          g.writeNumberField("deletedMs", m.getEditedMs()); // a deletion stamps the edit time
        } else {
          g.writeStringField("currentText", m.getText());
          if (m.getEditedMs() > 0) {
            g.writeNumberField("lastEditedMs", m.getEditedMs());
          }
        }
      }
      g.writeArrayFieldStart("edits");
      if (m == null || m.getEditedMs() > 0) {
        long until = m == null ? Long.MAX_VALUE : m.getEditedMs() + EDIT_SLACK_MS;
        writeEdits(g, roomId, sop.getSeq(), until, r);
      }
      g.writeEndArray();
      g.writeEndObject();
      return true;
    });
    g.writeEndArray();
  }

  /** The learner's edits of one message, reading on from it until {@code untilMs}. */
  private void writeEdits(JsonGenerator g, String roomId, long messageSeq, long untilMs, Replay r)
      throws IOException {
    scan(roomId, messageSeq, sop -> {
      Operation op = sop.getOperation();
      if (op.getServerTimeMs() > untilMs) {
        return false;
      }
      if (op.hasChatEdit() && op.getChatEdit().getMessageSeq() == messageSeq && mine(op)
          && !r.noEffect.contains(sop.getSeq())) {
        g.writeStartObject();
        g.writeNumberField("seq", sop.getSeq());
        g.writeNumberField("timeMs", op.getServerTimeMs());
        g.writeStringField("text", op.getChatEdit().getText());
        g.writeEndObject();
      }
      return true;
    });
  }

  /** Their reactions, added and removed, with whether each is on the message now. No message author. */
  private void writeReactions(JsonGenerator g, String roomId, Replay r, ChatState chat) throws IOException {
    g.writeArrayFieldStart("reactions");
    scan(roomId, 0, sop -> {
      Operation op = sop.getOperation();
      if (!op.hasChatReact() || !mine(op) || r.noEffect.contains(sop.getSeq())) {
        return true;
      }
      g.writeStartObject();
      g.writeNumberField("seq", sop.getSeq());
      g.writeNumberField("timeMs", op.getServerTimeMs());
      g.writeNumberField("messageSeq", op.getChatReact().getMessageSeq());
      g.writeStringField("reaction", op.getChatReact().getReaction());
      g.writeBooleanField("added", op.getChatReact().getAdd());
      if (chat != null) {
        ChatMessage m = chat.message(op.getChatReact().getMessageSeq());
        boolean present = false;
        if (m != null) {
          for (Reaction reaction : m.getReactionsList()) {
            present |= reaction.getReaction().equals(op.getChatReact().getReaction())
                && reaction.getUserIdsList().contains(userId);
          }
        }
        g.writeBooleanField("stillPresent", present);
      }
      g.writeEndObject();
      return true;
    });
    g.writeEndArray();
  }

  /** The board elements they created, with each one's current data while it is still there. */
  private void writeBoard(JsonGenerator g, String roomId, Replay r, RoomStateRecord.Builder now)
      throws IOException {
    Map<String, BoardElement> present = new HashMap<>(); // board/page/element → element
    for (BoardRecord b : now.getBoardsList()) {
      for (BoardPage p : b.getBoard().getPagesList()) {
        for (BoardElement e : p.getElementsList()) {
          if (e.getAuthorId().equals(userId)) {
            present.put(b.getBoard().getBoardId() + "/" + p.getPageId() + "/" + e.getElementId(), e);
          }
        }
      }
    }
    g.writeArrayFieldStart("boardElements");
    scan(roomId, 0, sop -> {
      Operation op = sop.getOperation();
      if (!op.hasBoard() || !op.getBoard().hasAddElements() || !mine(op)
          || r.noEffect.contains(sop.getSeq())) {
        return true;
      }
      BoardRequest board = op.getBoard();
      for (BoardElement added : board.getAddElements().getElementsList()) {
        String key = board.getBoardId() + "/" + board.getAddElements().getPageId() + "/" + added.getElementId();
        BoardElement current = present.get(key);
        if (current != null && current.getCreatedSeq() != sop.getSeq()) {
          current = null; // an element of the same id added again later
        }
        g.writeStartObject();
        g.writeNumberField("seq", sop.getSeq());
        g.writeNumberField("timeMs", op.getServerTimeMs());
        g.writeStringField("boardId", board.getBoardId());
        g.writeStringField("pageId", board.getAddElements().getPageId());
        g.writeStringField("elementId", added.getElementId());
        g.writeStringField("kind", added.getShapeCase().name().toLowerCase(java.util.Locale.ROOT));
        if (r.state != null) {
          g.writeBooleanField("stillPresent", current != null);
        }
        g.writeFieldName("data");
        BoardElement shown = current != null ? current : added;
        boolean changedByOthers = current != null && !current.getChangedBy().isEmpty()
            && !current.getChangedBy().equals(userId);
        g.writeRawValue(protoJson(shown.toBuilder().clearAuthorId().clearChangedBy().build()));
        if (changedByOthers) {
          g.writeBooleanField("changedBySomeoneElse", true);
        }
        g.writeEndObject();
      }
      return true;
    });
    g.writeEndArray();
  }

  /** Per document, the text they inserted that is still there. */
  private void writeDocuments(JsonGenerator g, Replay r, RoomStateRecord.Builder now) throws IOException {
    g.writeArrayFieldStart("documents");
    for (DocumentRecord d : now.getDocumentsList()) {
      String docId = d.getInfo().getDocId();
      Set<Long> clients = new HashSet<>();
      r.docClients.getOrDefault(docId, Map.of()).forEach((client, user) -> {
        if (user.equals(userId)) {
          clients.add(client);
        }
      });
      for (DocClientAuthor a : d.getClientAuthorsList()) {
        if (a.getUserId().equals(userId)) {
          clients.add(a.getClient());
        }
      }
      if (clients.isEmpty() && !d.getCreatedBy().equals(userId)) {
        continue;
      }
      List<String> pieces = DocText.stillPresent(d, clients);
      g.writeStartObject();
      g.writeStringField("docId", docId);
      g.writeStringField("title", d.getInfo().getTitle());
      g.writeBooleanField("createdByLearner", d.getCreatedBy().equals(userId));
      long chars = 0;
      g.writeArrayFieldStart("textStillPresent");
      for (String piece : pieces) {
        g.writeString(piece);
        chars += piece.length();
      }
      g.writeEndArray();
      g.writeNumberField("characters", chars);
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** Their answers to named polls (an anonymous poll's answers name nobody: none is here). */
  private void writePolls(JsonGenerator g, RoomStateRecord.Builder now) throws IOException {
    g.writeArrayFieldStart("pollAnswers");
    for (PollRecord p : now.getPollsList()) {
      if (p.getPoll().getAnonymous()) {
        continue;
      }
      for (PollBallot b : p.getBallotsList()) {
        if (!b.getUserId().equals(userId)) {
          continue;
        }
        g.writeStartObject();
        g.writeStringField("pollId", p.getPoll().getPollId());
        g.writeStringField("question", p.getPoll().getQuestion());
        g.writeArrayFieldStart("options");
        for (String o : p.getPoll().getOptionsList()) {
          g.writeString(o);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("chosen");
        for (int c : b.getChoicesList()) {
          g.writeNumber(c);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("chosenOptions");
        for (int c : b.getChoicesList()) {
          if (c >= 0 && c < p.getPoll().getOptionsCount()) {
            g.writeString(p.getPoll().getOptions(c));
          }
        }
        g.writeEndArray();
        g.writeNumberField("answeredSeq", b.getAnsweredSeq());
        g.writeStringField("status", shortName(p.getPoll().getStatus().name(), "POLL_STATUS_"));
        g.writeEndObject();
      }
    }
    g.writeEndArray();
  }

  /**
   * Reports they filed (in full, but not whom a participant report named) and reports about
   * them (that one exists, why, when and its status: never who filed it or their text).
   */
  private void writeReports(JsonGenerator g, RoomStateRecord.Builder now) throws IOException {
    g.writeArrayFieldStart("reportsMade");
    for (Report rep : now.getReportsList()) {
      if (rep.getReporterUserId().equals(userId)) {
        g.writeStartObject();
        reportCommon(g, rep);
        g.writeStringField("text", rep.getText());
        g.writeEndObject();
      }
    }
    g.writeEndArray();
    g.writeArrayFieldStart("reportsAbout");
    for (Report rep : now.getReportsList()) {
      if (rep.getReportedUserId().equals(userId) && !rep.getReporterUserId().equals(userId)) {
        g.writeStartObject();
        reportCommon(g, rep);
        g.writeEndObject();
      }
    }
    g.writeEndArray();
  }

  private static void reportCommon(JsonGenerator g, Report rep) throws IOException {
    g.writeNumberField("reportSeq", rep.getReportSeq());
    g.writeNumberField("filedMs", rep.getFiledMs());
    g.writeStringField("reason", rep.getReason().name().toLowerCase(java.util.Locale.ROOT));
    g.writeStringField("status", shortName(rep.getStatus().name(), "REPORT_"));
    ReportTarget t = rep.getTarget();
    switch (t.getKindCase()) {
      case MESSAGE_SEQ -> {
        g.writeStringField("targetKind", "message");
        g.writeNumberField("messageSeq", t.getMessageSeq());
      }
      case ELEMENT -> {
        g.writeStringField("targetKind", "element");
        g.writeStringField("boardId", t.getElement().getBoardId());
        g.writeStringField("elementId", t.getElement().getElementId());
      }
      case DOC_ID -> {
        g.writeStringField("targetKind", "document");
        g.writeStringField("docId", t.getDocId());
      }
      case USER_ID -> g.writeStringField("targetKind", "participant");
      default -> g.writeStringField("targetKind", "unknown");
    }
  }

  /** Audit entries of the room by them or about them, newest first; others' names left out. */
  private void writeAudit(JsonGenerator g, String roomId) throws IOException {
    g.writeArrayFieldStart("audit");
    auditScan(roomId, e -> {
      g.writeStartObject();
      g.writeNumberField("id", e.getId());
      g.writeNumberField("seq", e.getSeq());
      g.writeNumberField("timeMs", e.getTimeMs());
      g.writeStringField("action", e.getAction());
      g.writeBooleanField("byLearner", e.getActorUserId().equals(userId));
      g.writeStringField("actorRole", e.getActorRole());
      g.writeBooleanField("aboutLearner", e.getTargetUserId().equals(userId));
      g.writeStringField("target", e.getTarget());
      g.writeStringField("detail", e.getDetail());
      g.writeEndObject();
      return true;
    });
    g.writeEndArray();
  }

  // ------------------------------------------------------------------------------------------
  // Profile and summary
  // ------------------------------------------------------------------------------------------

  private void writeProfile(OutputStream out) throws IOException {
    JsonGenerator g = generator(out);
    g.writeStartObject();
    g.writeStringField("userId", userId);
    g.writeNumberField("exportedAtMs", nowMs);
    g.writeArrayFieldStart("displayNames");
    for (String n : names) {
      g.writeString(n);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("roles");
    for (String role : roles) {
      g.writeString(role);
    }
    g.writeEndArray();
    if (firstSeenMs > 0) {
      g.writeNumberField("firstSeenMs", firstSeenMs);
      g.writeNumberField("lastSeenMs", lastSeenMs);
    }
    g.writeArrayFieldStart("rooms");
    for (RoomLine line : rooms) {
      g.writeStartObject();
      g.writeStringField("roomId", line.roomId());
      g.writeStringField("file", line.file());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
    g.close();
  }

  private String summary() {
    StringBuilder s = new StringBuilder();
    s.append("Ponte: export of the data of one user\n\n");
    s.append("User id:     ").append(userId).append('\n');
    s.append("Exported at: ").append(Instant.ofEpochMilli(nowMs)).append(" (UTC)\n");
    if (!names.isEmpty()) {
      s.append("Names seen:  ").append(String.join(", ", names)).append('\n');
    }
    if (!roles.isEmpty()) {
      s.append("Roles seen:  ").append(String.join(", ", roles)).append('\n');
    }
    if (firstSeenMs > 0) {
      s.append("First seen:  ").append(Instant.ofEpochMilli(firstSeenMs)).append('\n');
      s.append("Last seen:   ").append(Instant.ofEpochMilli(lastSeenMs)).append('\n');
    }
    s.append("\nRooms (").append(rooms.size()).append("):\n");
    for (RoomLine line : rooms) {
      s.append("\n- ").append(line.roomId());
      if (!line.title().isEmpty()) {
        s.append(" \"").append(line.title()).append('"');
      }
      s.append(" -> ").append(line.file()).append('\n');
      if (line.counts().isEmpty()) {
        s.append("    (no operations of their own; reports or audit entries about them)\n");
      }
      line.counts().forEach((k, v) -> s.append("    ").append(v).append(' ').append(k).append('\n'));
    }
    s.append("\nEach room file holds the user's chat messages (as posted, every edit, and as the room\n"
        + "holds them now), reactions, whiteboard elements, the text they wrote in documents that is\n"
        + "still there, answers to named polls, reports they filed and reports about them (without\n"
        + "who filed them), and audit entries by or about them. Answers to anonymous polls name\n"
        + "nobody and are not included. Rooms erased by their retention period are gone.\n");
    return s.toString();
  }

  // ------------------------------------------------------------------------------------------
  // Store access (blocking, on the export thread)
  // ------------------------------------------------------------------------------------------

  @FunctionalInterface
  private interface Visitor<T> {
    /** False stops the scan. */
    boolean visit(T item) throws IOException;
  }

  /** The room's operations after {@code afterSeq}, a page at a time, until the visitor says stop. */
  private void scan(String roomId, long afterSeq, Visitor<SequencedOperation> visitor) throws IOException {
    long after = afterSeq;
    while (true) {
      checkStop();
      List<SequencedOperation> page = awaitRoom(store.operations(roomId, after, PAGE));
      pages.increment();
      for (SequencedOperation sop : page) {
        if (!visitor.visit(sop)) {
          return;
        }
      }
      if (page.size() < PAGE) {
        return;
      }
      after = page.get(page.size() - 1).getSeq();
    }
  }

  /** The room's audit entries by or about the learner, newest first. */
  private void auditScan(String roomId, Visitor<AuditEntry> visitor) throws IOException {
    long before = 0;
    while (true) {
      checkStop();
      List<AuditEntry> page = await(store.audit(new AuditQuery(roomId, null, 0, 0, before, AUDIT_PAGE)));
      for (AuditEntry e : page) {
        if ((e.getActorUserId().equals(userId) || e.getTargetUserId().equals(userId))
            && !visitor.visit(e)) {
          return;
        }
      }
      if (page.size() < AUDIT_PAGE) {
        return;
      }
      before = page.get(page.size() - 1).getId();
    }
  }

  private void checkStop() throws Stopped {
    if (stop.getAsBoolean()) {
      throw new Stopped();
    }
  }

  private <T> T awaitRoom(Future<T> f) throws IOException {
    try {
      return await(f);
    } catch (StoreFailed e) {
      if (e.getCause() instanceof StoreException se && se.kind() == StoreException.Kind.ROOM_NOT_FOUND) {
        throw new RoomGone();
      }
      throw e;
    }
  }

  private static <T> T await(Future<T> f) throws IOException {
    try {
      return f.toCompletionStage().toCompletableFuture().get(STORE_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new StoreFailed(e.getCause());
    } catch (TimeoutException e) {
      throw new StoreFailed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Stopped();
    }
  }

  /** An enum value's name without its prefix, in lower case: POLL_STATUS_OPEN → open. */
  private static String shortName(String name, String prefix) {
    return (name.startsWith(prefix) ? name.substring(prefix.length()) : name).toLowerCase(java.util.Locale.ROOT);
  }

  private static String protoJson(com.google.protobuf.MessageOrBuilder m) {
    try {
      return PROTO_JSON.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }

  /** Through a Writer: Jackson's byte generator escapes characters beyond the BMP (emoji). */
  private static JsonGenerator generator(OutputStream out) throws IOException {
    JsonGenerator g = JSON.createGenerator(
        new java.io.OutputStreamWriter(new Unclosable(out), StandardCharsets.UTF_8));
    g.useDefaultPrettyPrinter();
    return g;
  }

  /** Lets a JSON generator close without closing the zip entry's stream under it. */
  private static final class Unclosable extends FilterOutputStream {
    Unclosable(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
