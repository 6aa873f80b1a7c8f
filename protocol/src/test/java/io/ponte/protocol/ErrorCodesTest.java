package io.ponte.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.ErrorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Keeps ERRORS.md and CLOSE_CODES.md in step with {@link ErrorCode}, {@link ErrorCodes} and
 * {@link CloseCode}: every code must have a table row with the right number, name and advice,
 * and no row may describe a code that does not exist.
 */
class ErrorCodesTest {
  /** Surefire runs with the module directory as the working directory. */
  private static final Path DOCS = Path.of("src/main/proto/ponte/v1");

  private static final Set<ErrorCode> NOT_SENT =
      EnumSet.of(ErrorCode.ERROR_CODE_UNSPECIFIED, ErrorCode.UNRECOGNIZED);

  /** The cells of every Markdown table row whose first cell is a number, keyed by that number. */
  private static Map<Integer, List<String>> numberedRows(String file) throws IOException {
    Path path = DOCS.resolve(file);
    assertTrue(Files.isRegularFile(path), path.toAbsolutePath() + " missing");
    Map<Integer, List<String>> rows = new HashMap<>();
    for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
      String t = line.trim();
      if (!t.startsWith("|")) {
        continue;
      }
      String[] raw = t.substring(1).split("\\|");
      List<String> cells = new ArrayList<>();
      for (String c : raw) {
        cells.add(c.trim().replace("`", "").replace("*", ""));
      }
      if (cells.isEmpty() || !cells.get(0).matches("\\d+")) {
        continue;
      }
      int number = Integer.parseInt(cells.get(0));
      assertFalse(rows.containsKey(number), file + " documents " + number + " twice");
      rows.put(number, cells);
    }
    return rows;
  }

  @Test
  void everyErrorCodeIsDocumentedWithItsRetryAdvice() throws IOException {
    Map<Integer, List<String>> rows = numberedRows("ERRORS.md");
    for (ErrorCode code : ErrorCode.values()) {
      if (NOT_SENT.contains(code)) {
        continue;
      }
      List<String> row = rows.get(code.getNumber());
      assertNotNull(row, "ERRORS.md has no row for " + code.getNumber() + " " + code);
      assertEquals(5, row.size(), "ERRORS.md row for " + code + ": " + row);
      assertEquals(code.name(), row.get(1), "ERRORS.md name for " + code.getNumber());
      assertFalse(row.get(2).isBlank(), "ERRORS.md: when is " + code + " sent?");
      assertEquals(
          ErrorCodes.retryable(code) ? "yes" : "no",
          row.get(3).toLowerCase(Locale.ROOT),
          "ERRORS.md retryable column for " + code);
      assertFalse(row.get(4).isBlank(), "ERRORS.md: what should a client do on " + code + "?");
    }
  }

  @Test
  void errorsDocumentsNoCodeThatDoesNotExist() throws IOException {
    for (int number : numberedRows("ERRORS.md").keySet()) {
      ErrorCode code = ErrorCode.forNumber(number);
      assertNotNull(code, "ERRORS.md documents " + number + ", which is not an ErrorCode");
      assertFalse(NOT_SENT.contains(code), "ERRORS.md documents " + code);
    }
  }

  @Test
  void errorCodeNumbersFollowTheDocumentedRanges() throws IOException {
    // The "Ranges" table's rows: | 1000-1099 | group | ... |
    List<int[]> ranges = new ArrayList<>();
    for (String line : Files.readAllLines(DOCS.resolve("ERRORS.md"), StandardCharsets.UTF_8)) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\|\\s*(\\d+)-(\\d+)\\s*\\|").matcher(line.trim());
      if (m.find()) {
        ranges.add(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
      }
    }
    assertFalse(ranges.isEmpty(), "ERRORS.md has a table of ranges");
    for (ErrorCode code : ErrorCode.values()) {
      if (NOT_SENT.contains(code)) {
        continue;
      }
      int n = code.getNumber();
      assertTrue(ranges.stream().anyMatch(r -> n >= r[0] && n <= r[1]), code + " is in no documented range");
    }
  }

  @Test
  void everyCloseCodeIsDocumentedWithItsClientAction() throws IOException {
    Map<Integer, List<String>> rows = numberedRows("CLOSE_CODES.md");
    for (CloseCode code : CloseCode.values()) {
      List<String> row = rows.get(code.code());
      assertNotNull(row, "CLOSE_CODES.md has no row for " + code.code() + " " + code);
      assertEquals(4, row.size(), "CLOSE_CODES.md row for " + code + ": " + row);
      assertEquals(code.name(), row.get(1), "CLOSE_CODES.md name for " + code.code());
      assertEquals(
          code.action().name().toLowerCase(Locale.ROOT).replace('_', ' '),
          row.get(2).toLowerCase(Locale.ROOT),
          "CLOSE_CODES.md client action for " + code);
      assertFalse(row.get(3).isBlank(), "CLOSE_CODES.md: when is " + code + " used?");
    }
    for (int number : rows.keySet()) {
      assertNotNull(CloseCode.of(number), "CLOSE_CODES.md documents " + number + ", which is not a CloseCode");
    }
  }

  @Test
  void retryableCodes() {
    Set<ErrorCode> retryable = EnumSet.noneOf(ErrorCode.class);
    for (ErrorCode code : ErrorCode.values()) {
      if (code != ErrorCode.UNRECOGNIZED && ErrorCodes.retryable(code)) {
        retryable.add(code);
      }
    }
    assertEquals(
        EnumSet.of(
            ErrorCode.TOKEN_KEYS_UNAVAILABLE,
            ErrorCode.RATE_LIMITED,
            ErrorCode.TOO_MANY_CONNECTIONS,
            ErrorCode.LOBBY_FULL,
            ErrorCode.EXPORT_BUSY,
            ErrorCode.INTERNAL,
            ErrorCode.UNAVAILABLE,
            ErrorCode.SHUTTING_DOWN,
            ErrorCode.ROOM_FULL,
            ErrorCode.ROOM_LOCKED),
        retryable);
    assertFalse(ErrorCodes.retryable(ErrorCode.UNRECOGNIZED));
  }

  @Test
  void errorFillsEveryFieldAndClampsRetryAfter() {
    ErrorInfo e = ErrorCodes.error(ErrorCode.RATE_LIMITED, "slow down", "room-1", 2500);
    assertEquals(ErrorCode.RATE_LIMITED, e.getCode());
    assertEquals("slow down", e.getMessage());
    assertTrue(e.getRetryable());
    assertEquals(2500, e.getRetryAfterMs());
    assertEquals("room-1", e.getRoomId());

    ErrorInfo noRoom = ErrorCodes.error(ErrorCode.MUTED, "muted", null);
    assertFalse(noRoom.getRetryable());
    assertEquals("", noRoom.getRoomId());
    assertEquals(0, noRoom.getRetryAfterMs());

    assertEquals(0, ErrorCodes.error(ErrorCode.INTERNAL, "x", "r", -5).getRetryAfterMs());
    assertEquals(
        Integer.MAX_VALUE, ErrorCodes.error(ErrorCode.INTERNAL, "x", "r", Long.MAX_VALUE).getRetryAfterMs());
  }
}
