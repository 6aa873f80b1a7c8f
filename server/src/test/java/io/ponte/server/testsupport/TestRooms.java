package io.ponte.server.testsupport;

import io.ponte.protocol.v1.DocumentInfo;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSettings;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.chat.Chat;
import io.ponte.server.chat.ChatState;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.doc.Documents;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.moderation.ModerationState;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomState;
import io.ponte.server.whiteboard.BoardLimits;
import io.ponte.server.whiteboard.Whiteboard;
import java.util.List;

/** Room states with the standard features, and reads of their parts, for state-machine tests. */
public final class TestRooms {
  public static final int MAX_REACTIONS = 200;
  public static final int RECENT = 10;

  private TestRooms() {}

  public static RoomFeatures features(DocumentSet.Limits limits, int maxReactions) {
    return new RoomFeatures(List.of(new Moderation(), new Chat(maxReactions, RECENT),
        new Documents(limits, 8192)));
  }

  /** The features with whiteboards too (small limits make a test reach them). */
  public static RoomFeatures featuresWithBoards(BoardLimits boardLimits) {
    return new RoomFeatures(List.of(new Moderation(), new Chat(MAX_REACTIONS, RECENT),
        new Documents(DocumentSet.Limits.DEFAULT, 8192), new Whiteboard(boardLimits)));
  }

  public static RoomState create(String roomId, RoomSettings settings) {
    return create(roomId, settings, DocumentSet.Limits.DEFAULT);
  }

  public static RoomState create(String roomId, RoomSettings settings, DocumentSet.Limits limits) {
    return create(roomId, settings, limits, MAX_REACTIONS);
  }

  public static RoomState create(String roomId, RoomSettings settings, DocumentSet.Limits limits,
      int maxReactions) {
    return RoomState.create(roomId, settings, features(limits, maxReactions));
  }

  public static RoomState fromRecord(RoomStateRecord record) {
    return fromRecord(record, DocumentSet.Limits.DEFAULT);
  }

  public static RoomState fromRecord(RoomStateRecord record, DocumentSet.Limits limits) {
    return RoomState.fromRecord(record, features(limits, MAX_REACTIONS));
  }

  public static ChatState.HistorySlice history(RoomState s, String viewer, Role role, long before, int limit) {
    return s.feature(ChatState.class).history(viewer, role, before, limit);
  }

  /** The join snapshot with the newest {@code recent} messages. */
  public static RoomSnapshot snapshotFor(RoomState s, String viewer, Role role, int recent) {
    ChatState.HistorySlice slice = history(s, viewer, role, 0, recent);
    return s.snapshotFor(viewer, role).toBuilder().clearRecentMessages()
        .addAllRecentMessages(slice.messages()).setMoreHistory(slice.more()).build();
  }

  public static boolean isMuted(RoomState s, String userId) {
    return s.feature(ModerationState.class).isMuted(userId);
  }

  public static byte[] documentState(RoomState s, String docId) {
    return s.feature(DocumentSet.class).state(docId);
  }

  public static DocumentInfo documentInfo(RoomState s, String docId) {
    return s.feature(DocumentSet.class).info(docId);
  }
}
