package io.ponte.server.report;

import io.ponte.protocol.v1.Operation;
import io.ponte.protocol.v1.RoomStateRecord;
import io.ponte.server.room.FeatureState;
import io.ponte.server.room.RoomFeature;
import io.ponte.server.session.RequestFeature;
import io.ponte.server.session.Requests;
import java.util.Set;

/**
 * Reports to a room's teachers as a room feature: owns {@code Operation.report} and
 * {@code RoomStateRecord.reports}. Register it once with the room's features:
 * {@code new Reports(limits)}.
 */
public final class Reports implements RoomFeature, RequestFeature {
  private final ReportLimits limits;

  public Reports(ReportLimits limits) {
    this.limits = limits;
  }

  public Reports() {
    this(ReportLimits.DEFAULT);
  }

  @Override
  public String name() {
    return "reports";
  }

  @Override
  public Set<Operation.BodyCase> operations() {
    return Set.of(Operation.BodyCase.REPORT);
  }

  @Override
  public FeatureState load(RoomStateRecord record) {
    return new ReportsState(limits, record.getReportsList());
  }

  @Override
  public void register(Requests requests) {
    new ReportRequests(limits).register(requests);
  }
}
