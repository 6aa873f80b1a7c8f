package io.ponte.server.room;

import io.ponte.protocol.v1.Operation;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The features rooms run with, and which one owns each operation kind. Immutable. */
public final class RoomFeatures {
  private final List<RoomFeature> features;
  private final Map<Operation.BodyCase, RoomFeature> byOperation = new EnumMap<>(Operation.BodyCase.class);

  public RoomFeatures(List<RoomFeature> features) {
    this.features = List.copyOf(features);
    for (RoomFeature f : this.features) {
      for (Operation.BodyCase kind : f.operations()) {
        RoomFeature earlier = byOperation.put(kind, f);
        if (earlier != null) {
          throw new IllegalArgumentException(
              kind + " is claimed by both " + earlier.name() + " and " + f.name());
        }
      }
    }
  }

  public List<RoomFeature> all() {
    return features;
  }

  /** The feature applying this kind of operation, or null. */
  public RoomFeature owner(Operation.BodyCase kind) {
    return byOperation.get(kind);
  }
}
