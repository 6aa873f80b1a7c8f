package io.ponte.server.permission;

import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import java.util.Set;

/**
 * Permissions per capability as a room feature: owns {@code Operation.permissions} (a teacher
 * changing the room's defaults for students or one participant's overrides) and
 * {@code RoomStateRecord.permission_overrides}. Features do not call it: they ask the room core
 * ({@code RoomCore.mayUse}), which reads the overrides through {@code CapabilityOverrides}.
 * Register it once with the room's features: {@code new PermissionControls()}.
 */
public final class PermissionControls implements RoomFeature, RequestFeature {
  @Override
  public String name() {
    return "permissions";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.PERMISSIONS);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new PermissionsState(record.getPermissionOverridesList());
  }

  @Override
  public void register(Requests requests) {
    new PermissionRequests().register(requests);
  }
}
