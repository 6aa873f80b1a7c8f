package io.ponte.server.doc;

import com.google.protobuf.ByteString;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocCreated;
import io.ponte.protocol.v1.DocReadOnlyChanged;
import io.ponte.protocol.v1.DocRevertUser;
import io.ponte.protocol.v1.DocSetReadOnly;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.DocUpdated;
import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.DocumentRecord;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.RoomCore;
import io.ponte.yjs.YDeleteSet;
import io.ponte.yjs.YRevert;
import io.ponte.yjs.YStruct;
import io.ponte.yjs.YUpdate;
import io.ponte.yjs.YUpdates;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The co-created documents of one room: the documents feature's part of the room's deterministic
 * state.
 *
 * <p>Each document keeps a merged Yjs update ({@code state}) and the updates applied since the
 * last merge ({@code pending}). Pending updates are merged into the state in batches, when their
 * count or bytes reach a threshold: the decision depends only on the operations applied, so every
 * node merges at the same seq and holds byte-identical documents (snapshots carry both parts).
 * Merging costs time proportional to the document, which is why it is not done per update.
 *
 * <p>The document size limit is checked against {@code state + pending} bytes, an upper bound of
 * the merged size; only when that bound is exceeded is the exact merged size computed (and, at
 * apply time, adopted as the new state). Either way the outcome is the same on every node.
 */
public final class DocumentSet implements FeatureState {
  private static final Logger log = LoggerFactory.getLogger(DocumentSet.class);

  /** Pending updates per document that trigger a batch merge. */
  static final int MERGE_PENDING_COUNT = 64;
  /** Pending bytes per document that trigger a batch merge. */
  static final long MERGE_PENDING_BYTES = 256 * 1024;
  static final int MAX_TITLE_CHARS = 200;

  /**
   * Document limits (from the configuration; the same on every node, so checks at apply time
   * decide alike everywhere).
   *
   * @param maxUpdateBytes largest update ({@code doc-max-update-bytes})
   * @param maxDocBytes largest merged document ({@code doc-max-bytes})
   * @param maxDocs documents per room ({@code doc-max-per-room})
   */
  public record Limits(int maxUpdateBytes, int maxDocBytes, int maxDocs) {
    public static final int DEFAULT_MAX_DOCS = 100;
    public static final Limits DEFAULT = new Limits(1 << 20, 16 << 20, DEFAULT_MAX_DOCS);

    public Limits(int maxUpdateBytes, int maxDocBytes) {
      this(maxUpdateBytes, maxDocBytes, DEFAULT_MAX_DOCS);
    }
  }

  private final Limits limits;
  private final TreeMap<String, Doc> docs = new TreeMap<>();

  DocumentSet(Limits limits) {
    this.limits = limits;
  }

  DocumentSet(Limits limits, RoomStateRecord record) {
    this(limits);
    load(record.getDocumentsList());
  }

  // ------------------------------------------------------------------------------------------
  // The feature contract
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    Role role = op.getActor().getRole();
    ErrorInfo refused = switch (op.getBodyCase()) {
      case DOC_CREATE -> room.mayUse(op.getActor().getUserId(), role, Capability.CAPABILITY_DOCUMENT_CREATE);
      case DOC_UPDATE -> room.mayUse(op.getActor().getUserId(), role, Capability.CAPABILITY_DOCUMENT_EDIT);
      default -> room.mayWrite(op.getActor().getUserId(), role);
    };
    if (refused != null) {
      return refused;
    }
    Verdict v = switch (op.getBodyCase()) {
      case DOC_CREATE -> validateCreate(op.getDocCreate());
      case DOC_SET_READ_ONLY -> validateSetReadOnly(op.getDocSetReadOnly(), role);
      case DOC_UPDATE -> validateUpdate(op.getDocUpdate(), role);
      case DOC_REVERT_USER -> validateRevert(op, role);
      default -> throw new IllegalArgumentException("not a document operation: " + op.getBodyCase());
    };
    return v.ok() ? null : room.error(v.code(), v.reason());
  }

  /** A teacher making a document read-only for students (or writable), or reverting a learner. */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    if (op.getBodyCase() == Operation.BodyCase.DOC_REVERT_USER) {
      DocRevertUser r = op.getDocRevertUser();
      return new AuditNote("doc.revert", r.getUserId(), "doc:" + r.getDocId(),
          "since " + r.getSinceMs());
    }
    if (op.getBodyCase() != Operation.BodyCase.DOC_SET_READ_ONLY) {
      return null;
    }
    DocSetReadOnly r = op.getDocSetReadOnly();
    return AuditNote.about("doc.read_only", "doc:" + r.getDocId(), r.getStudentsReadOnly() ? "on" : "off");
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    switch (op.getBodyCase()) {
      case DOC_CREATE -> event.setDocCreated(DocCreated.newBuilder()
          .setDocument(create(op.getDocCreate(), op.getActor().getUserId())));
      case DOC_SET_READ_ONLY -> {
        setReadOnly(op.getDocSetReadOnly());
        event.setDocReadOnlyChanged(DocReadOnlyChanged.newBuilder()
            .setDocId(op.getDocSetReadOnly().getDocId())
            .setStudentsReadOnly(op.getDocSetReadOnly().getStudentsReadOnly()));
      }
      case DOC_UPDATE -> {
        update(room.roomId(), op.getDocUpdate(), op.getActor().getUserId(), op.getServerTimeMs());
        event.setDocUpdated(DocUpdated.newBuilder()
            .setDocId(op.getDocUpdate().getDocId()).setUpdate(op.getDocUpdate().getUpdate()));
      }
      case DOC_REVERT_USER -> {
        DocRevertUser r = op.getDocRevertUser();
        byte[] inverse = revert(room.roomId(), op);
        event.setDocUpdated(DocUpdated.newBuilder()
            .setDocId(r.getDocId()).setUpdate(ByteString.copyFrom(inverse))
            .setRevertedUserId(r.getUserId()).setRevertedSinceMs(r.getSinceMs()));
      }
      default -> throw new IllegalArgumentException("not a document operation: " + op.getBodyCase());
    }
    return Outcome.PUBLIC;
  }

  @Override
  public boolean changesNothing(Operation op) {
    return op.getBodyCase() == Operation.BodyCase.DOC_UPDATE
        && covers(op.getDocUpdate().getDocId(), op.getDocUpdate().getUpdate().toByteArray());
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.addAllDocuments(records());
  }

  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    snapshot.addAllDocuments(infos());
  }

  /** The document's info, or null when the room has no such document. */
  public DocumentInfo info(String docId) {
    Doc d = docs.get(docId);
    return d == null ? null : d.info();
  }

  /**
   * The whole document as one Yjs update (null: no such document). Merges the pending updates
   * when needed (memoised) without changing the state.
   */
  public byte[] state(String docId) {
    Doc d = docs.get(docId);
    return d == null ? null : d.mergedState();
  }

  /**
   * Whether applying the update would change nothing in the document (false when there is no
   * such document or the update is malformed: the operation's checks answer those).
   */
  public boolean covers(String docId, byte[] update) {
    Doc d = docs.get(docId);
    if (d == null) {
      return false;
    }
    try {
      return d.covers(update);
    } catch (RuntimeException e) {
      return false;
    }
  }

  static final class Doc {
    DocumentInfo info;
    final String createdBy;
    byte[] state;
    final ArrayList<byte[]> pending = new ArrayList<>();
    long pendingBytes;
    /** Memoised merge of state and pending (not part of the state). */
    private byte[] merged;
    /** What the document has seen, built on first use (not part of the state). */
    private io.ponte.server.doc.YCoverageIndex coverage;
    /** Who wrote what (part of the state), for reverting a participant. */
    final DocAuthorship authorship;

    Doc(DocumentInfo info, String createdBy, byte[] state) {
      this(info, createdBy, state, new DocAuthorship());
    }

    Doc(DocumentInfo info, String createdBy, byte[] state, DocAuthorship authorship) {
      this.info = info;
      this.createdBy = createdBy;
      this.state = state;
      this.authorship = authorship;
    }

    DocumentInfo info() {
      return info;
    }

    /** Upper bound of the merged size. */
    long boundBytes() {
      return state.length + pendingBytes;
    }

    /** The whole document as one update (memoised; the state itself is not changed). */
    byte[] mergedState() {
      if (pending.isEmpty()) {
        return state;
      }
      if (merged == null) {
        List<byte[]> all = new ArrayList<>(pending.size() + 1);
        all.add(state);
        all.addAll(pending);
        merged = YUpdates.mergeUpdates(all);
      }
      return merged;
    }

    /** Merges the pending updates into the state. */
    void mergeNow(String roomId) {
      if (pending.isEmpty()) {
        return;
      }
      try {
        state = mergedState();
        pending.clear();
        pendingBytes = 0;
        merged = null;
      } catch (RuntimeException e) {
        // Every update was validated, so this is an engine bug; it happens alike on every node.
        // Keep the updates unmerged: nothing is lost.
        merged = null;
        log.error("room {}: cannot merge document {}: {}", roomId, info.getDocId(), e.toString());
      }
    }

    void add(byte[] update) {
      pending.add(update);
      pendingBytes += update.length;
      merged = null;
      if (coverage != null) {
        coverage.add(update);
      }
    }

    /**
     * Whether the update would change nothing in the document: costs the update's size for a
     * live edit (see {@link io.ponte.server.doc.YCoverageIndex}). Throws when it is malformed.
     */
    boolean covers(byte[] update) {
      return coverage().covers(update, this::mergedState);
    }

    /** The coverage index (derived from the state alone, so the same on every node). */
    io.ponte.server.doc.YCoverageIndex coverage() {
      if (coverage == null) {
        io.ponte.server.doc.YCoverageIndex index = new io.ponte.server.doc.YCoverageIndex(state);
        for (byte[] p : pending) {
          index.add(p);
        }
        coverage = index;
      }
      return coverage;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Records
  // ------------------------------------------------------------------------------------------

  void load(List<DocumentRecord> records) {
    for (DocumentRecord r : records) {
      Doc d = new Doc(r.getInfo(), r.getCreatedBy(), r.getState().toByteArray(), DocAuthorship.of(r));
      for (ByteString p : r.getPendingList()) {
        d.add(p.toByteArray());
      }
      docs.put(r.getInfo().getDocId(), d);
    }
  }

  List<DocumentRecord> records() {
    List<DocumentRecord> out = new ArrayList<>(docs.size());
    for (Doc d : docs.values()) {
      DocumentRecord.Builder b = DocumentRecord.newBuilder()
          .setInfo(d.info)
          .setCreatedBy(d.createdBy)
          .setState(ByteString.copyFrom(d.state));
      for (byte[] p : d.pending) {
        b.addPending(ByteString.copyFrom(p));
      }
      d.authorship.writeTo(b);
      out.add(b.build());
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Reading
  // ------------------------------------------------------------------------------------------

  Doc get(String docId) {
    return docs.get(docId);
  }

  public List<DocumentInfo> infos() {
    List<DocumentInfo> out = new ArrayList<>(docs.size());
    for (Doc d : docs.values()) {
      out.add(d.info);
    }
    return out;
  }

  Collection<Doc> all() {
    return docs.values();
  }

  /** Whether the role may change the document (observers never; students unless read-only). */
  public static boolean mayWrite(DocumentInfo info, Role role) {
    return role == Role.TEACHER || (role == Role.STUDENT && !info.getStudentsReadOnly());
  }

  // ------------------------------------------------------------------------------------------
  // Validating (no side effects on the state)
  // ------------------------------------------------------------------------------------------

  /** A verdict: null code means accepted. */
  record Verdict(ErrorCode code, String reason) {
    static final Verdict OK = new Verdict(null, null);

    boolean ok() {
      return code == null;
    }
  }

  /** The checks of a DocCreate after the capability (RoomCore#mayUse). */
  Verdict validateCreate(DocCreate c) {
    if (!ResourceId.valid(c.getDocId())) {
      return new Verdict(ErrorCode.INVALID_REQUEST, "doc_id is missing or invalid");
    }
    if (c.getTitle().length() > MAX_TITLE_CHARS) {
      return new Verdict(ErrorCode.INVALID_REQUEST, "title is longer than " + MAX_TITLE_CHARS);
    }
    if (docs.containsKey(c.getDocId())) {
      return new Verdict(ErrorCode.DOC_EXISTS, "the room already has a document with this id");
    }
    // After DOC_EXISTS: a provider opening an existing document at the cap must not read a refusal.
    if (docs.size() >= limits.maxDocs()) {
      return new Verdict(ErrorCode.TOO_MANY_DOCUMENTS,
          "the room already has " + limits.maxDocs() + " documents");
    }
    return Verdict.OK;
  }

  Verdict validateSetReadOnly(DocSetReadOnly s, Role role) {
    if (role != Role.TEACHER) {
      return new Verdict(ErrorCode.PERMISSION_DENIED, "only teachers can make a document read-only");
    }
    if (!docs.containsKey(s.getDocId())) {
      return new Verdict(ErrorCode.DOC_NOT_FOUND, "no such document");
    }
    return Verdict.OK;
  }

  Verdict validateUpdate(DocUpdate u, Role role) {
    Doc d = docs.get(u.getDocId());
    if (d == null) {
      return new Verdict(ErrorCode.DOC_NOT_FOUND, "no such document");
    }
    if (!mayWrite(d.info, role)) {
      return new Verdict(ErrorCode.DOC_READ_ONLY, "the document is read-only for students");
    }
    int size = u.getUpdate().size();
    if (size > limits.maxUpdateBytes()) {
      return new Verdict(ErrorCode.UPDATE_TOO_LARGE,
          "update of " + size + " bytes exceeds " + limits.maxUpdateBytes());
    }
    String malformed = malformed(u.getUpdate().toByteArray());
    if (malformed != null) {
      return new Verdict(ErrorCode.UPDATE_MALFORMED, "not a Yjs update: " + malformed);
    }
    if (d.boundBytes() + size > limits.maxDocBytes()) {
      long exact;
      try {
        exact = d.mergedState().length;
      } catch (RuntimeException e) {
        exact = d.boundBytes();
      }
      if (exact + size > limits.maxDocBytes()) {
        return new Verdict(ErrorCode.DOC_TOO_LARGE,
            "the document would exceed " + limits.maxDocBytes() + " bytes");
      }
    }
    return Verdict.OK;
  }

  /** Why the bytes are not a Yjs V1 update, or null when they are. */
  static String malformed(byte[] update) {
    try {
      YUpdate.decode(update);
      return null;
    } catch (RuntimeException e) {
      // YUpdateException, or anything else the decoder trips over: the same on every node.
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Applying (validated operations only)
  // ------------------------------------------------------------------------------------------

  DocumentInfo create(DocCreate c, String userId) {
    DocumentInfo info = DocumentInfo.newBuilder()
        .setDocId(c.getDocId())
        .setTitle(c.getTitle())
        .setStudentsReadOnly(c.getStudentsReadOnly())
        .build();
    docs.put(c.getDocId(), new Doc(info, userId, YUpdates.emptyUpdate()));
    return info;
  }

  void setReadOnly(DocSetReadOnly s) {
    Doc d = docs.get(s.getDocId());
    d.info = d.info.toBuilder().setStudentsReadOnly(s.getStudentsReadOnly()).build();
  }

  void update(String roomId, DocUpdate u, String userId, long timeMs) {
    Doc d = docs.get(u.getDocId());
    byte[] update = u.getUpdate().toByteArray();
    record(d, update, userId, timeMs);
    add(roomId, d, update);
  }

  private void add(String roomId, Doc d, byte[] update) {
    if (d.boundBytes() + update.length > limits.maxDocBytes()) {
      // validation computed the exact merged size to accept this: adopt it.
      d.mergeNow(roomId);
    }
    d.add(update);
    if (d.pending.size() >= MERGE_PENDING_COUNT || d.pendingBytes >= MERGE_PENDING_BYTES) {
      d.mergeNow(roomId);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Authorship and reverting a participant
  // ------------------------------------------------------------------------------------------

  /** The operation whose inverse was computed last, and that inverse (validate, then apply). */
  private Operation revertOp;
  private YRevert.Result revertResult;

  /** Records who wrote the update's structs and what it newly deletes (before it is added). */
  private static void record(Doc d, byte[] update, String userId, long timeMs) {
    YUpdate u = YUpdate.decode(update);
    Map<Long, Long> ends = new TreeMap<>();
    for (YStruct s : u.structs()) {
      if (!(s instanceof YStruct.Skip)) {
        ends.merge(s.client(), s.end(), Math::max);
      }
    }
    for (Map.Entry<Long, Long> e : ends.entrySet()) {
      d.authorship.inserted(userId, e.getKey(), e.getValue(), timeMs);
    }
    if (u.deleteSet().isEmpty()) {
      return;
    }
    YCoverageIndex coverage = d.coverage();
    for (Map.Entry<Long, List<YDeleteSet.Range>> e : u.deleteSet().clients().entrySet()) {
      for (YDeleteSet.Range r : e.getValue()) {
        if (r.len() <= 0) {
          continue;
        }
        for (long[] p : coverage.notDeleted(e.getKey(), r.clock(), r.clock() + r.len())) {
          d.authorship.deleted(userId, e.getKey(), p[0], p[1] - p[0], timeMs);
        }
      }
    }
  }

  Verdict validateRevert(Operation op, Role role) {
    DocRevertUser r = op.getDocRevertUser();
    if (role != Role.TEACHER) {
      return new Verdict(ErrorCode.PERMISSION_DENIED, "only teachers can revert a participant's edits");
    }
    Doc d = docs.get(r.getDocId());
    if (d == null) {
      return new Verdict(ErrorCode.DOC_NOT_FOUND, "no such document");
    }
    if (r.getUserId().isEmpty()) {
      return new Verdict(ErrorCode.INVALID_REQUEST, "user_id is missing");
    }
    // The early check runs before the operation is stamped (server_time_ms 0): only the apply-time
    // check, against the stamped time, can tell a future time, alike on every node.
    if (r.getSinceMs() < 0 || (op.getServerTimeMs() != 0 && r.getSinceMs() > op.getServerTimeMs())) {
      return new Verdict(ErrorCode.REVERT_SINCE_INVALID, "since_ms is negative or in the future");
    }
    if (r.getSinceMs() < d.authorship.completeSinceMs()) {
      return new Verdict(ErrorCode.REVERT_HISTORY_INCOMPLETE,
          "the document's edit history is complete only since " + d.authorship.completeSinceMs());
    }
    if (op.getServerTimeMs() == 0) {
      // The early check: whether there is anything to revert depends on the time, which only the
      // sequenced operation has; the apply-time check computes the inverse (once, for apply too).
      return Verdict.OK;
    }
    YRevert.Result res;
    try {
      res = inverse(op, d);
    } catch (RuntimeException e) {
      // Every update was validated, so this is an engine bug; it happens alike on every node.
      log.error("document {}: cannot compute a revert: {}", r.getDocId(), e.toString());
      return new Verdict(ErrorCode.INTERNAL, "cannot compute the revert");
    }
    if (res.isEmpty()) {
      return new Verdict(ErrorCode.REVERT_NOTHING, "the user made no edits to revert since then");
    }
    int size = res.update().length;
    if (size > limits.maxUpdateBytes()) {
      return new Verdict(ErrorCode.REVERT_TOO_LARGE,
          "the revert update of " + size + " bytes exceeds " + limits.maxUpdateBytes());
    }
    if (d.boundBytes() + size > limits.maxDocBytes() && d.mergedState().length + size > limits.maxDocBytes()) {
      return new Verdict(ErrorCode.REVERT_TOO_LARGE,
          "the document would exceed " + limits.maxDocBytes() + " bytes");
    }
    return Verdict.OK;
  }

  /** The inverse of the operation's user's edits (memoised for the operation being applied). */
  private YRevert.Result inverse(Operation op, Doc d) {
    if (op == revertOp) {
      return revertResult;
    }
    DocRevertUser r = op.getDocRevertUser();
    YRevert.Result res = YRevert.inverse(d.mergedState(),
        d.authorship.insertedSince(r.getUserId(), r.getSinceMs()),
        d.authorship.deletedSince(r.getUserId(), r.getSinceMs()), YRevert.SERVER_CLIENT);
    revertOp = op;
    revertResult = res;
    return res;
  }

  /** Applies a validated revert: adds the inverse to the document and returns it. */
  byte[] revert(String roomId, Operation op) {
    DocRevertUser r = op.getDocRevertUser();
    Doc d = docs.get(r.getDocId());
    byte[] inverse = inverse(op, d).update();
    revertOp = null;
    revertResult = null;
    // The user's deletions since then are undone now: a second revert must not write them again.
    d.authorship.forgetDeletions(r.getUserId(), r.getSinceMs());
    add(roomId, d, inverse);
    return inverse;
  }
}
