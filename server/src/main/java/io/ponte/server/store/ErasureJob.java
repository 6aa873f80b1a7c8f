package io.ponte.server.store;

/**
 * An erasure of one learner as the store keeps it (see erasure.ErasureJobs).
 *
 * @param userId the user erased; "" once the job is done (the pseudonym alone is kept)
 * @param state "running" or "done"
 * @param progress JSON: the rooms to erase, those done with their counts (the receipt)
 * @param claimedBy the node running it while {@code claimedUntilMs} is in the future
 */
public record ErasureJob(String jobId, String userId, String pseudonym, String state,
    long createdMs, long finishedMs, String claimedBy, long claimedUntilMs, String progress) {
  public static final String RUNNING = "running";
  public static final String DONE = "done";

  public boolean done() {
    return DONE.equals(state);
  }
}
