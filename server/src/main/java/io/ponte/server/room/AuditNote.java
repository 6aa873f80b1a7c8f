package io.ponte.server.room;

/**
 * What the audit log records about one applied teacher or admin action, as the feature that owns
 * the operation describes it ({@link FeatureState#audit}). The room adds who, when, the room and
 * the seq. Never holds message contents, nor anything that tells who answered an anonymous poll.
 *
 * @param action dotted, owned by the feature: "moderation.mute", "poll.open", ...
 * @param targetUserId the participant the action was about ("" when none)
 * @param target what else it was about ("poll:&lt;id&gt;", "doc:&lt;id&gt;"; "" when nothing)
 * @param detail a short value ("on", "off", "all"; "" when none)
 */
public record AuditNote(String action, String targetUserId, String target, String detail) {
  public AuditNote {
    if (action == null || action.isEmpty()) {
      throw new IllegalArgumentException("an audit note needs an action");
    }
    targetUserId = targetUserId == null ? "" : targetUserId;
    target = target == null ? "" : target;
    detail = detail == null ? "" : detail;
  }

  public static AuditNote of(String action, String targetUserId) {
    return new AuditNote(action, targetUserId, "", "");
  }

  public static AuditNote about(String action, String target, String detail) {
    return new AuditNote(action, "", target, detail);
  }
}
