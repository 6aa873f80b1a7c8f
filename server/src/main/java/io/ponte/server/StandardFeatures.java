package io.ponte.server;

import io.ponte.server.audit.AuditRequests;
import io.ponte.server.breakout.BreakoutAccess;
import io.ponte.server.breakout.BreakoutLimits;
import io.ponte.server.breakout.Breakouts;
import io.ponte.server.chat.Chat;
import io.ponte.server.config.PonteConfig;
import io.ponte.server.doc.DocumentSet;
import io.ponte.server.doc.Documents;
import io.ponte.server.hand.Hands;
import io.ponte.server.lobby.Lobby;
import io.ponte.server.moderation.Moderation;
import io.ponte.server.permission.PermissionControls;
import io.ponte.server.poll.PollLimits;
import io.ponte.server.poll.Polls;
import io.ponte.server.report.ReportLimits;
import io.ponte.server.report.Reports;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.room.RoomFeatures;
import io.ponte.server.room.RoomRegistry;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import io.ponte.server.session.RoomAccess;
import io.ponte.server.store.Store;
import io.ponte.server.whiteboard.BoardLimits;
import io.ponte.server.whiteboard.Whiteboard;
import java.util.List;

/** The features a Ponte room runs: the one place a new feature is registered. */
public final class StandardFeatures {
  /** Chat messages in a join snapshot. */
  public static final int RECENT_MESSAGES = 50;

  private StandardFeatures() {}

  private static List<Object> all(PonteConfig config) {
    return List.of(
        new Moderation(),
        new Chat(config.chatMaxReactionsPerMessage(), RECENT_MESSAGES),
        new Documents(new DocumentSet.Limits(config.docMaxUpdateBytes(), config.docMaxBytes(),
            config.docMaxPerRoom()), config.awarenessMaxStateBytes()),
        new Whiteboard(boardLimits(config)),
        new Hands(config.handLeaveGraceMs()),
        new Polls(pollLimits(config)),
        new PermissionControls(),
        new Lobby(new Lobby.Limits(config.lobbyMaxWaiting(), config.lobbyLeaveGraceMs(),
            config.lobbyDenyBlockMs())),
        new Reports(new ReportLimits(config.reportMaxPerRoom(), config.reportPerUserPerMinute(),
            config.reportMaxTextChars(), config.reportMaxDocumentBytes())),
        new AuditRequests(),
        new Breakouts(new BreakoutLimits(config.breakoutMaxPerRoom())));
  }

  static BoardLimits boardLimits(PonteConfig config) {
    return new BoardLimits(config.boardMaxPerRoom(), config.boardMaxPages(),
        config.boardMaxElementsPerPage(), config.boardMaxPathPoints(), config.boardMaxTextChars(),
        config.boardMaxBytes(), config.boardHistoryMaxChanges(), config.boardHistoryMaxBytes());
  }

  static PollLimits pollLimits(PonteConfig config) {
    return new PollLimits(config.pollMaxPerRoom(), config.pollMaxOptions(),
        config.pollMaxQuestionChars(), config.pollMaxOptionChars());
  }

  /** Their state in rooms. */
  public static RoomFeatures of(PonteConfig config) {
    return new RoomFeatures(all(config).stream()
        .filter(RoomFeature.class::isInstance).map(RoomFeature.class::cast).toList());
  }

  /** Their client requests on /ws. */
  public static Requests requests(PonteConfig config) {
    return new Requests(all(config).stream()
        .filter(RequestFeature.class::isInstance).map(RequestFeature.class::cast).toList());
  }

  /** Who may enter which room: the token's grants, and a parent's grant for its breakouts. */
  public static RoomAccess access(RoomRegistry rooms, Store store) {
    return new BreakoutAccess(rooms, store);
  }

  /** With the configuration's defaults (tests and tools). */
  public static RoomFeatures defaults() {
    return of(PonteConfig.defaults());
  }
}
