package io.ponte.server.report;

/**
 * How much reports may hold in a room.
 *
 * @param maxPerRoom reports a room keeps; when full, a new report pushes out the oldest resolved
 *     one, and with none resolved it is refused (TOO_MANY_REPORTS)
 * @param perUserPerMinute reports one user may file within a minute of operation time
 *     (REPORTS_TOO_FREQUENT)
 * @param maxTextChars code points of a report's text (REPORT_TEXT_TOO_LONG)
 * @param maxDocumentBytes the largest document state a report copies whole
 */
public record ReportLimits(int maxPerRoom, int perUserPerMinute, int maxTextChars, int maxDocumentBytes) {
  public static final ReportLimits DEFAULT = new ReportLimits(200, 5, 1000, 256 * 1024);

  public ReportLimits {
    if (maxPerRoom < 1 || perUserPerMinute < 1 || maxTextChars < 1 || maxDocumentBytes < 0) {
      throw new IllegalArgumentException("report limits must be positive");
    }
  }
}
