package io.ponte.server.room;

/**
 * The limits and policies rooms run with (from the server configuration).
 *
 * @param nodeId this node's id, stamped on operations it originates
 * @param resumeWindow applied events kept in memory per room for resume
 * @param snapshotInterval operations between snapshots
 * @param snapshotsKept snapshots kept per room in the store
 * @param idleUnloadMs how long a room without participants stays in memory
 * @param maxParticipantsCap server-wide upper bound of a room's participants
 * @param recentMessages chat messages in a join snapshot
 * @param docLimits document update, size and count limits
 * @param maxReactionsPerMessage distinct (user, reaction) pairs a chat message may carry
 * @param awarenessMaxStateBytes largest awareness state of one Yjs client
 */
public record RoomOptions(
    String nodeId,
    int resumeWindow,
    int snapshotInterval,
    int snapshotsKept,
    long idleUnloadMs,
    int maxParticipantsCap,
    int recentMessages,
    DocumentSet.Limits docLimits,
    int maxReactionsPerMessage,
    int awarenessMaxStateBytes) {

  public static final int DEFAULT_MAX_REACTIONS_PER_MESSAGE = 200;
  public static final int DEFAULT_AWARENESS_MAX_STATE_BYTES = 8192;

  public RoomOptions(String nodeId, int resumeWindow, int snapshotInterval, int snapshotsKept,
      long idleUnloadMs, int maxParticipantsCap, int recentMessages, DocumentSet.Limits docLimits) {
    this(nodeId, resumeWindow, snapshotInterval, snapshotsKept, idleUnloadMs, maxParticipantsCap,
        recentMessages, docLimits, DEFAULT_MAX_REACTIONS_PER_MESSAGE,
        DEFAULT_AWARENESS_MAX_STATE_BYTES);
  }
}
