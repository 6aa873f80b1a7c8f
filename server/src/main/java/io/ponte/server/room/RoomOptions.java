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
 * @param features the features every room runs (each with its own limits)
 * @param maxRetentionDays the node's cap on a room's retention (max-retention-days)
 * @param gapSkipAfterMs how long a room waits for a seq no node can recover before filling it
 *     with a skipped placeholder (gap-skip-after-ms)
 */
public record RoomOptions(
    String nodeId,
    int resumeWindow,
    int snapshotInterval,
    int snapshotsKept,
    long idleUnloadMs,
    int maxParticipantsCap,
    RoomFeatures features,
    int maxRetentionDays,
    long gapSkipAfterMs) {
}
