package io.ponte.server.permission;

import io.ponte.protocol.v1.Actor;
import io.ponte.protocol.v1.Capability;
import io.ponte.protocol.v1.CapabilityGrant;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import io.ponte.protocol.v1.Event;
import io.ponte.protocol.v1.Grant;
import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.PermissionOverride;
import io.ponte.protocol.v1.Permissions;
import io.ponte.protocol.v1.PermissionsChanged;
import io.ponte.protocol.v1.PermissionsRequest;
import io.ponte.protocol.v1.PermissionsView;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.RoomSnapshot;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.AuditNote;
import io.ponte.server.room.Capabilities;
import io.ponte.server.room.CapabilityOverrides;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomCore;
import io.ponte.server.text.ChatText;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Participants' overrides of the room's defaults for students, as part of the room's
 * deterministic state, and the teachers' changes of both. The defaults themselves are the room's
 * settings ({@code student_permissions}), changed through {@link RoomCore#setStudentPermissions};
 * what a participant may do is the room core's one question, {@link RoomCore#allows}.
 *
 * <p>Not thread-safe: touched only on the room's context.
 */
public final class PermissionsState implements FeatureState, CapabilityOverrides {
  /** By user id, then capability: true allows, false denies. No empty maps. */
  private final TreeMap<String, EnumMap<Capability, Boolean>> overrides = new TreeMap<>();

  PermissionsState(List<PermissionOverride> record) {
    for (PermissionOverride o : record) {
      EnumMap<Capability, Boolean> own = new EnumMap<>(Capability.class);
      for (CapabilityGrant g : o.getGrantsList()) {
        own.put(g.getCapability(), g.getGrant() == Grant.GRANT_ALLOW);
      }
      if (!own.isEmpty()) {
        overrides.put(o.getUserId(), own);
      }
    }
  }

  @Override
  public Boolean override(String userId, Capability capability) {
    EnumMap<Capability, Boolean> own = overrides.get(userId);
    return own == null ? null : own.get(capability);
  }

  /** Whether the participant has an override of any capability. */
  public boolean hasOverride(String userId) {
    return overrides.containsKey(userId);
  }

  /** The participant's overrides, in capability order (no grants: none). */
  public PermissionOverride overrideOf(String userId) {
    PermissionOverride.Builder b = PermissionOverride.newBuilder().setUserId(userId);
    EnumMap<Capability, Boolean> own = overrides.get(userId);
    if (own != null) {
      own.forEach((c, allowed) -> b.addGrants(grant(c, allowed)));
    }
    return b.build();
  }

  /** Every capability's default for students, in capability order. */
  public static List<CapabilityGrant> defaults(Permissions p) {
    return Capabilities.ALL.stream().map(c -> grant(c, Capabilities.studentDefault(p, c))).toList();
  }

  private static CapabilityGrant grant(Capability c, boolean allowed) {
    return CapabilityGrant.newBuilder().setCapability(c)
        .setGrant(allowed ? Grant.GRANT_ALLOW : Grant.GRANT_DENY).build();
  }

  @Override
  public void writeTo(RoomStateRecord.Builder record) {
    record.clearPermissionOverrides();
    overrides.keySet().forEach(u -> record.addPermissionOverrides(overrideOf(u)));
  }

  /** Reads the room's defaults from the snapshot's settings, which the room core sets first. */
  @Override
  public void addTo(RoomSnapshot.Builder snapshot, String viewerId, Role viewerRole) {
    Permissions defaults = snapshot.getSettings().getStudentPermissions();
    PermissionsView.Builder view = PermissionsView.newBuilder().addAllStudentDefaults(defaults(defaults));
    for (Capability c : Capabilities.ALL) {
      if (Capabilities.allowed(viewerRole, override(viewerId, c), defaults, c)) {
        view.addEffective(c);
      }
    }
    if (viewerRole == Role.TEACHER) {
      overrides.keySet().forEach(u -> view.addOverrides(overrideOf(u)));
    } else if (viewerRole == Role.STUDENT && hasOverride(viewerId)) {
      view.addOverrides(overrideOf(viewerId));
    }
    snapshot.setPermissions(view);
  }

  @Override
  public void userRemoved(String userId, RoomCore room) {
    // Kept on purpose: a teacher who lifts the ban lets the user back with the limits set before.
  }

  // ------------------------------------------------------------------------------------------
  // Validating
  // ------------------------------------------------------------------------------------------

  @Override
  public ErrorInfo validate(Operation op, RoomCore room) {
    Actor actor = op.getActor();
    if (actor.getRole() != Role.TEACHER) {
      return room.error(ErrorCode.PERMISSION_DENIED, "only teachers change permissions");
    }
    ErrorInfo mayWrite = room.mayWrite(actor.getUserId(), actor.getRole());
    if (mayWrite != null) {
      return mayWrite;
    }
    return check(op.getPermissions(), room);
  }

  /** Why a request is unusable: its code and reason. */
  record Refusal(ErrorCode code, String reason) {}

  /** The checks of the request itself (also the early filter on the connection): null when usable. */
  static ErrorInfo check(PermissionsRequest r, RoomCore room) {
    Refusal bad = refusal(r);
    return bad == null ? null : room.error(bad.code(), bad.reason());
  }

  static Refusal refusal(PermissionsRequest r) {
    boolean defaults = r.getUserId().isEmpty();
    if (!defaults && !ChatText.validUserId(r.getUserId())) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "user_id is invalid");
    }
    if (r.getGrantsCount() == 0) {
      return new Refusal(ErrorCode.INVALID_REQUEST, "grants is empty");
    }
    EnumSet<Capability> seen = EnumSet.noneOf(Capability.class);
    for (CapabilityGrant g : r.getGrantsList()) {
      if (!Capabilities.known(g.getCapability())) {
        return new Refusal(ErrorCode.CAPABILITY_UNKNOWN, "unknown capability " + g.getCapabilityValue());
      }
      if (!seen.add(g.getCapability())) {
        return new Refusal(ErrorCode.INVALID_REQUEST, g.getCapability() + " is named twice");
      }
      if (g.getGrant() == Grant.UNRECOGNIZED) {
        return new Refusal(ErrorCode.INVALID_REQUEST, "grant " + g.getGrantValue() + " is not ALLOW, DENY or INHERIT");
      }
      if (defaults && g.getGrant() == Grant.GRANT_INHERIT) {
        return new Refusal(ErrorCode.INVALID_REQUEST, "the room's defaults are ALLOW or DENY, not INHERIT");
      }
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------
  // Applying
  // ------------------------------------------------------------------------------------------

  /** A teacher changing the students' defaults (no target user) or one participant's override. */
  @Override
  public AuditNote audit(Operation op, Event event, RoomCore room) {
    PermissionsRequest r = op.getPermissions();
    // "chat=deny,hand_raise=inherit": capabilities and grants only, never anything a user wrote.
    String detail = r.getGrantsList().stream()
        .map(g -> g.getCapability().name().replace("CAPABILITY_", "").toLowerCase(Locale.ROOT) + "="
            + g.getGrant().name().replace("GRANT_", "").toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(","));
    return r.getUserId().isEmpty()
        ? AuditNote.about("permission.defaults", "", detail)
        : new AuditNote("permission.override", r.getUserId(), "", detail);
  }

  @Override
  public Outcome apply(Operation op, Event.Builder event, RoomCore room) {
    PermissionsRequest r = op.getPermissions();
    String user = r.getUserId();
    if (user.isEmpty()) {
      Permissions p = room.settings().getStudentPermissions();
      for (CapabilityGrant g : r.getGrantsList()) {
        p = Capabilities.withDefault(p, g.getCapability(), g.getGrant() == Grant.GRANT_ALLOW);
      }
      room.setStudentPermissions(p);
      event.setPermissionsChanged(PermissionsChanged.newBuilder().addAllStudentDefaults(defaults(p)));
      return Outcome.PUBLIC;
    }
    EnumMap<Capability, Boolean> own = overrides.computeIfAbsent(user, u -> new EnumMap<>(Capability.class));
    for (CapabilityGrant g : r.getGrantsList()) {
      switch (g.getGrant()) {
        case GRANT_ALLOW -> own.put(g.getCapability(), true);
        case GRANT_DENY -> own.put(g.getCapability(), false);
        default -> own.remove(g.getCapability());
      }
    }
    if (own.isEmpty()) {
      overrides.remove(user);
    }
    event.setPermissionsChanged(PermissionsChanged.newBuilder().setUserId(user).setOverride(overrideOf(user)));
    // Whom a teacher restricts is between them and that participant (like a private message).
    return Outcome.privateTo(user);
  }
}
