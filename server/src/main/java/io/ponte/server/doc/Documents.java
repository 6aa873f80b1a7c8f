package io.ponte.server.doc;

import com.google.protobuf.ByteString;
import io.ponte.protocol.ErrorCodes;
import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocAwareness;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocSync;
import io.ponte.protocol.v1.DocSyncReply;
import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.server.room.FeatureRelay;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.ResourceId;
import io.ponte.server.room.Room;
import io.ponte.server.room.RoomException;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.room.RoomMember;
import io.ponte.server.room.RoomState;
import io.ponte.server.session.Membership;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import io.ponte.server.session.Session;
import io.ponte.server.util.TokenBucket;
import io.ponte.yjs.YUpdates;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Map;
import java.util.Set;

/**
 * The co-created documents feature: Yjs documents in a room (state: {@link DocumentSet}; awareness:
 * {@link RoomDocuments}), and the room-side reads every document endpoint shares (/ws, /yjs,
 * /hocuspocus). Sequenced changes go through {@link Room#submit}.
 */
public final class Documents implements RoomFeature, RequestFeature {
  private static final Set<Operation.BodyCase> OPERATIONS = Set.of(
      Operation.BodyCase.DOC_CREATE, Operation.BodyCase.DOC_SET_READ_ONLY, Operation.BodyCase.DOC_UPDATE,
      Operation.BodyCase.DOC_REVERT_USER);

  private final DocumentSet.Limits limits;
  private final int awarenessMaxStateBytes;

  public Documents(DocumentSet.Limits limits, int awarenessMaxStateBytes) {
    this.limits = limits;
    this.awarenessMaxStateBytes = awarenessMaxStateBytes;
  }

  @Override
  public String name() {
    return "documents";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return OPERATIONS;
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new DocumentSet(limits, record);
  }

  /** Providers resend what a crashed server lost (sync steps 1 and 2): updates may go early. */
  @Override
  public boolean deliversBeforeDurable(Operation.BodyCase kind) {
    return kind == Operation.BodyCase.DOC_UPDATE;
  }

  @Override
  public FeatureRelay relay(Room room) {
    return new RoomDocuments(room, awarenessMaxStateBytes);
  }

  // ------------------------------------------------------------------------------------------
  // Requests on /ws (on the connection's context)
  // ------------------------------------------------------------------------------------------

  @Override
  public void register(Requests requests) {
    requests.on(ClientMessage.BodyCase.DOC_CREATE, (s, id, m) -> submit(s, id, m.getDocCreate().getRoomId(),
        m.getDocCreate().getClientMsgId(), Operation.newBuilder().setDocCreate(m.getDocCreate())));
    requests.on(ClientMessage.BodyCase.DOC_SET_READ_ONLY, (s, id, m) -> submit(s, id,
        m.getDocSetReadOnly().getRoomId(), m.getDocSetReadOnly().getClientMsgId(),
        Operation.newBuilder().setDocSetReadOnly(m.getDocSetReadOnly())));
    requests.on(ClientMessage.BodyCase.DOC_UPDATE, (s, id, m) -> submit(s, id, m.getDocUpdate().getRoomId(),
        m.getDocUpdate().getClientMsgId(), Operation.newBuilder().setDocUpdate(m.getDocUpdate())));
    requests.on(ClientMessage.BodyCase.DOC_REVERT_USER, (s, id, m) -> submit(s, id,
        m.getDocRevertUser().getRoomId(), m.getDocRevertUser().getClientMsgId(),
        Operation.newBuilder().setDocRevertUser(m.getDocRevertUser())));
    requests.on(ClientMessage.BodyCase.DOC_SYNC, (s, id, m) -> sync(s, id, m.getDocSync()));
    requests.on(ClientMessage.BodyCase.DOC_AWARENESS, (s, id, m) -> awareness(s, id, m.getDocAwareness()));
  }

  private static void submit(Session s, long requestId, String roomId, String clientMsgId,
      Operation.Builder op) {
    Membership m = s.member(requestId, roomId);
    String id = m == null ? null : s.clientMsgId(requestId, clientMsgId, roomId);
    if (id != null) {
      s.submit(requestId, m, id, op);
    }
  }

  private static void sync(Session s, long requestId, DocSync sync) {
    Membership m = s.member(requestId, sync.getRoomId());
    if (m == null) {
      return;
    }
    long waitMs = s.trySyncRequest();
    if (waitMs > 0) {
      s.replyError(requestId, ErrorCodes.error(ErrorCode.RATE_LIMITED, "at most "
          + s.config().syncRequestsPerSecond() + " document syncs per second", sync.getRoomId(), waitMs));
      return;
    }
    sync(m.room(), sync.getDocId(), sync.getStateVector().toByteArray()).onComplete(ar -> {
      if (ar.failed()) {
        s.replyFailure(requestId, ar.cause(), sync.getRoomId());
      } else {
        s.reply(requestId, ServerMessage.newBuilder().setDocSyncReply(ar.result()));
      }
    });
  }

  /** A connection's awareness budget (awareness-per-second, bursts of twice that). */
  private static final class AwarenessBudget {
    final TokenBucket bucket;

    AwarenessBudget(int perSecond) {
      bucket = new TokenBucket(perSecond, 2.0 * perSecond, System.nanoTime());
    }
  }

  private static void awareness(Session s, long requestId, DocAwareness awareness) {
    Membership m = s.member(requestId, awareness.getRoomId());
    if (m == null) {
      return;
    }
    TokenBucket bucket = s.attachment(AwarenessBudget.class,
        () -> new AwarenessBudget(s.config().awarenessPerSecond())).bucket;
    if (bucket.tryTake(1, System.nanoTime()) > 0) {
      s.metrics().dropped("awareness_rate");
      return;
    }
    publishAwareness(m.room(), s.member(), m.role(), awareness.getDocId(),
        awareness.getAwareness().toByteArray())
        .onFailure(err -> s.replyFailure(requestId, err, awareness.getRoomId()));
  }

  // ------------------------------------------------------------------------------------------
  // Room-side reads and ephemera (any thread; they run on the room's context)
  // ------------------------------------------------------------------------------------------

  /** What a peer with this state vector (empty: nothing) lacks of a document, and the room's view. */
  public static Future<DocSyncReply> sync(Room room, String docId, byte[] stateVector) {
    return room.call(state -> {
      byte[] doc = documents(state).state(docId);
      if (doc == null) {
        return failed(room, ErrorCode.DOC_NOT_FOUND, "no such document");
      }
      byte[] diff;
      try {
        diff = stateVector.length == 0 ? doc : YUpdates.diffUpdate(doc, stateVector);
      } catch (RuntimeException e) {
        return failed(room, ErrorCode.INVALID_REQUEST, "state_vector is not a Yjs state vector");
      }
      return Future.succeededFuture(DocSyncReply.newBuilder()
          .setRoomId(room.roomId())
          .setDocId(docId)
          .setUpdate(ByteString.copyFrom(diff))
          .setStateVector(ByteString.copyFrom(YUpdates.encodeStateVectorFromUpdate(doc)))
          .setSeq(state.seq())
          .build());
    });
  }

  /**
   * Whether applying the update would change nothing in the document (false when the document
   * does not exist or the update is malformed: let the operation's checks answer those).
   */
  public static Future<Boolean> covers(Room room, String docId, byte[] update) {
    return room.read(state -> documents(state).covers(docId, update));
  }

  /** The document's info (null when the room has none by that id). */
  public static Future<DocumentInfo> info(Room room, String docId) {
    return room.read(state -> documents(state).info(docId));
  }

  /** Whether the role may change the document now. */
  public static boolean mayWrite(DocumentInfo info, Role role) {
    return DocumentSet.mayWrite(info, role);
  }

  /**
   * Opens a document the way a stock Yjs provider expects: its info, after creating it (one
   * sequenced DocCreate, titled with its id) when it does not exist and the actor may create
   * documents in the room. Concurrent opens of one missing document on this node share one
   * DocCreate; across nodes the loser's DocCreate is rejected at apply time with DOC_EXISTS, which
   * reads as success (the document exists). Fails with a {@link RoomException}: DOC_NOT_FOUND when
   * the actor may not create it (observers; students without CAPABILITY_DOCUMENT_CREATE: the
   * endpoints answer as for any missing document, so nothing about the room leaks),
   * TOO_MANY_DOCUMENTS at doc-max-per-room, or whatever the DocCreate was rejected with.
   */
  public static Future<DocumentInfo> open(Room room, String docId, Actor actor) {
    return room.call(state -> {
      DocumentInfo info = documents(state).info(docId);
      if (info != null) {
        return Future.succeededFuture(info);
      }
      if (!state.allows(actor.getUserId(), actor.getRole(), Capability.CAPABILITY_DOCUMENT_CREATE)
          || !ResourceId.valid(docId)) {
        return failed(room, ErrorCode.DOC_NOT_FOUND, "no such document");
      }
      Map<String, Future<DocumentInfo>> opening = room.relay(RoomDocuments.class).opening;
      Future<DocumentInfo> creating = opening.get(docId);
      if (creating == null) {
        creating = createOnOpen(room, docId, actor);
        opening.put(docId, creating);
        creating.onComplete(x -> room.call(s -> {
          opening.remove(docId);
          return Future.succeededFuture();
        }));
      }
      return creating;
    });
  }

  private static Future<DocumentInfo> createOnOpen(Room room, String docId, Actor actor) {
    Operation create = Operation.newBuilder()
        .setActor(actor)
        .setDocCreate(DocCreate.newBuilder().setRoomId(room.roomId()).setDocId(docId).setTitle(docId))
        .build();
    Promise<DocumentInfo> opened = Promise.promise();
    room.submit(create).onComplete(ar -> room.call(state -> {
      // Once the DocCreate's seq applied, the state answers for it (whoever created it).
      ErrorInfo refused = ar.succeeded() ? ar.result().rejection()
          : ar.cause() instanceof RoomException re ? re.error() : null;
      DocumentInfo now = documents(state).info(docId);
      if (now != null && (refused == null || refused.getCode() == ErrorCode.DOC_EXISTS)) {
        opened.complete(now);
      } else if (refused != null) {
        opened.fail(new RoomException(refused));
      } else {
        opened.fail(ar.failed() ? ar.cause()
            : new RoomException(ErrorCode.UNAVAILABLE, "the document cannot be opened now, retry"));
      }
      return Future.succeededFuture();
    }));
    return opened.future();
  }

  /** The current awareness of a document as one y-protocols awareness update (null: none). */
  public static Future<byte[]> awareness(Room room, String docId) {
    return room.read(state -> room.relay(RoomDocuments.class).current(docId));
  }

  /**
   * Relays a member's awareness update for a document to everyone in the room (ephemeral).
   * Fails with DOC_NOT_FOUND, UPDATE_MALFORMED, NOT_IN_ROOM, AWARENESS_TOO_LARGE or
   * AWARENESS_CLIENT_TAKEN (see {@link RoomDocuments}); a refused update is not relayed.
   */
  public static Future<Void> publishAwareness(Room room, RoomMember member, Role role, String docId,
      byte[] update) {
    return room.call(state -> {
      if (!room.hasMember(member)) {
        return failed(room, ErrorCode.NOT_IN_ROOM, "not in this room");
      }
      if (documents(state).info(docId) == null) {
        return failed(room, ErrorCode.DOC_NOT_FOUND, "no such document");
      }
      try {
        room.relay(RoomDocuments.class).publish(member.sessionId(), Actor.newBuilder()
            .setUserId(member.userId()).setDisplayName(member.displayName()).setRole(role).build(),
            docId, update);
        return Future.succeededFuture();
      } catch (RoomException e) {
        return Future.failedFuture(e);
      } catch (IllegalArgumentException e) {
        return failed(room, ErrorCode.UPDATE_MALFORMED, "not a y-protocols awareness update");
      }
    });
  }

  private static DocumentSet documents(RoomState state) {
    return state.feature(DocumentSet.class);
  }

  private static <T> Future<T> failed(Room room, ErrorCode code, String message) {
    return Future.failedFuture(new RoomException(ErrorCodes.error(code, message, room.roomId())));
  }
}
