package io.ponte.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class UnitsTest {
  @Test
  void roomViewCountsGapsAndDuplicates() {
    RoomView v = new RoomView("r");
    v.reset(10, "e1");
    assertTrue(v.onSeq(11));
    assertFalse(v.onSeq(11), "a repeated seq");
    assertEquals(1, v.duplicates);
    assertTrue(v.onSeq(14), "a seq after a gap still advances");
    assertEquals(2, v.missed, "12 and 13 never came");
    assertFalse(v.onSeq(5));
    assertEquals(2, v.duplicates);
    assertEquals(14, v.lastSeq);
  }

  @Test
  void resumeThatDoesNotFillTheGapCountsAsMissed() {
    RoomView v = new RoomView("r");
    v.reset(3, "e");
    v.onSeq(4);
    v.resumedAt(7, "e");
    assertEquals(3, v.missed, "Joined.seq 7 but missed events stopped at 4");
    assertEquals(7, v.lastSeq);
    v.resumedAt(7, "e");
    assertEquals(3, v.missed, "an exact resume adds nothing");
  }

  @Test
  void sendTimeIsReadFromTheTextPrefixOnly() {
    assertEquals(123456789L, Participant.sentNanos("t123456789 4.2 xxxx"));
    assertEquals(-42L, Participant.sentNanos("t-42 0.1 x"));
    assertEquals(0, Participant.sentNanos("hello"));
    assertEquals(0, Participant.sentNanos("t12a3 x"));
    assertEquals(0, Participant.sentNanos("t"));
  }

  @Test
  void durationsParse() {
    assertEquals(Duration.ofSeconds(30), LoadMain.duration("30s"));
    assertEquals(Duration.ofMinutes(2), LoadMain.duration("2m"));
    assertEquals(Duration.ofMillis(500), LoadMain.duration("500ms"));
    assertEquals(Duration.ofMillis(1500), LoadMain.duration("1.5"));
    assertThrows(RuntimeException.class, () -> LoadMain.duration("soon"));
  }

  @Test
  void mintedTokensAreHs256JwtsWithTheRoomClaim() throws Exception {
    LoadOptions o = new LoadOptions();
    o.jwtSecret = "unit-secret-0123456789-0123456789-abcdef";
    String token = Tokens.forOptions(o).token("u-1", "Ana \"A\"", "load-*", "teacher");
    String[] parts = token.split("\\.");
    assertEquals(3, parts.length);
    String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    assertTrue(header.contains("\"alg\":\"HS256\""), header);
    assertTrue(payload.contains("\"sub\":\"u-1\""), payload);
    assertTrue(payload.contains("\"name\":\"Ana \\\"A\\\"\""), payload);
    assertTrue(payload.contains("\"rooms\":{\"load-*\":\"teacher\"}"), payload);
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(o.jwtSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String expected = Base64.getUrlEncoder().withoutPadding().encodeToString(
        mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII)));
    assertEquals(expected, parts[2]);
  }

  @Test
  void optionsNeedExactlyOneTokenSource() {
    LoadOptions o = new LoadOptions();
    assertThrows(IllegalArgumentException.class, o::validate);
    o.jwtSecret = "short";
    assertThrows(IllegalArgumentException.class, o::validate);
    o.jwtSecret = "long-enough-secret-0123456789-0123456789";
    o.validate();
    o.tokenFile = java.nio.file.Path.of("tokens.txt");
    assertThrows(IllegalArgumentException.class, o::validate);
  }

  @Test
  void metricsParseThePrometheusText() {
    String text = """
        # HELP process_cpu_usage The "recent cpu usage" for the JVM process
        process_cpu_usage 0.25
        system_cpu_usage 0.5
        jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1000.0
        jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 24.0
        jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 99999.0
        jvm_memory_max_bytes{area="heap",id="G1 Eden Space"} -1.0
        jvm_memory_max_bytes{area="heap",id="G1 Old Gen"} 4096.0
        ponte_connections 42.0
        ponte_frames_out_total 7.0
        ponte_messages_dropped_total{reason="ink_rate"} 3.0
        ponte_messages_dropped_total{reason="slow_consumer"} 2.0
        """;
    MetricsScraper.Sample s = MetricsScraper.parse(1.5, text);
    assertEquals(0.25, s.processCpu());
    assertEquals(0.5, s.systemCpu());
    assertEquals(1024.0, s.heapUsedBytes());
    assertEquals(4096.0, s.heapMaxBytes());
    assertEquals(42.0, s.connections());
    assertEquals(7.0, s.framesOut());
    assertEquals(Map.of("ink_rate", 3.0, "slow_consumer", 2.0), s.dropped());
  }

  @Test
  void strokeChunksArePackedFromAnAbsolutePointThenDeltas() {
    PenStroke s = new PenStroke("s1", new int[] {100, 105, 103, 110, 120}, new int[] {50, 48, 48, 60, 61},
        new int[] {2, 3});
    assertEquals(5, s.points());
    assertEquals(2, s.chunks());
    assertEquals(0, s.chunkStart(0));
    assertEquals(2, s.chunkStart(1), "first_index of the second chunk");
    assertEquals(List.of(100, 50, 5, -2), s.chunk(0));
    assertEquals(List.of(103, 48, 7, 12, 10, 1), s.chunk(1), "each chunk starts absolute again");
    assertEquals(List.of(100, 50, 5, -2, -2, 0, 7, 12, 10, 1), s.whole(), "the committed path: one start");
    assertEquals(List.of(100, 50, 105, 48, 103, 48, 110, 60, 120, 61),
        java.util.Arrays.stream(PenStroke.unpack(s.whole())).boxed().toList());
    assertThrows(IllegalArgumentException.class,
        () -> new PenStroke("s", new int[] {1, 2}, new int[] {1, 2}, new int[] {1}), "chunks must cover the stroke");
    assertThrows(IllegalArgumentException.class,
        () -> new PenStroke("s", new int[] {1, 2}, new int[] {1, 2}, new int[] {2, 0}), "no empty chunk");
  }

  @Test
  void randomStrokesChunkAsAskedAndRoundTrip() {
    java.util.Random rnd = new java.util.Random(42);
    for (int n = 0; n < 50; n++) {
      PenStroke s = PenStroke.random("s" + n, 25 + n % 26, 4, 8, 40, rnd);
      assertEquals(25 + n % 26, s.chunks());
      int[] all = PenStroke.unpack(s.whole());
      assertEquals(2 * s.points(), all.length);
      for (int i = 0; i < s.chunks(); i++) {
        int size = s.chunk(i).size() / 2;
        assertTrue(size >= 4 && size <= 8, "4-8 new points per chunk, got " + size);
        int[] chunk = PenStroke.unpack(s.chunk(i));
        int from = 2 * s.chunkStart(i);
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(all, from, from + chunk.length), chunk),
            "chunk " + i + " decodes to the same points as the whole stroke");
      }
      for (int i = 2; i < all.length; i++) {
        int delta = Math.abs(all[i] - all[i - 2]);
        // At most 600 px/s over one 40 ms chunk of 4 points: deltas of at most 6 px (60 units).
        assertTrue(delta <= 61, "a hand's step, not a jump: " + delta);
      }
    }
  }

  @Test
  void pointsPerChunkIsACountOrARange() {
    assertTrue(java.util.Arrays.equals(new int[] {4, 8}, LoadMain.pointRange("4-8")));
    assertTrue(java.util.Arrays.equals(new int[] {6, 6}, LoadMain.pointRange("6")));
    assertThrows(IllegalArgumentException.class, () -> LoadMain.pointRange("8-4"));
    assertThrows(IllegalArgumentException.class, () -> LoadMain.pointRange("0"));
    assertThrows(IllegalArgumentException.class, () -> LoadMain.pointRange("many"));
  }

  @Test
  void jsonAndSvgAreWellFormed() {
    String json = Json.write(Map.of("a", List.of(1, 2.5, Double.NaN), "b", "x\"y\n"));
    assertTrue(json.contains("[1, 2.5, null]"), json);
    assertTrue(json.contains("\"x\\\"y\\n\""), json);
    String svg = Report.chart("T <1>", "ms", List.of(new Report.Line("p99", "#000",
        new double[] {1, 2, 3}, new double[] {1, Double.NaN, 3})));
    assertTrue(svg.startsWith("<svg") && svg.endsWith("</svg>"));
    assertTrue(svg.contains("T &lt;1&gt;"));
    assertEquals(2, svg.split(" M").length - 1 + (svg.contains("d=\"M") ? 1 : 0),
        "the NaN breaks the line into two pieces");
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }

  /**
   * Bytes checked once by applying them with yjs 13.6.33 ({@code Y.applyUpdate} in order, no
   * pending structs; the text reads "XYa\u00e9\ud83d\ude00b").
   */
  @Test
  void yjsTextUpdatesAreYjsV1Bytes() {
    assertEquals("01010700040107636f6e74656e74015800",
        hex(YjsText.insert(7, 0, 7, -1, "content", "X")), "first keystroke: parent is the root type");
    assertEquals("01010701840700015900", hex(YjsText.insert(7, 1, 7, 0, "content", "Y")),
        "next keystroke: left origin is the previous character");
    long big = 4_000_000_000L; // client ids are unsigned 32-bit
    assertEquals("010180d0acf30e028480d0acf30e0104f09f988000",
        hex(YjsText.insert(big, 2, big, 1, "content", "\ud83d\ude00")), "an emoji: 4 UTF-8 bytes");
    assertEquals("010180d0acf30e048480d0acf30e03016200", hex(YjsText.insert(big, 4, big, 3, "content", "b")),
        "the clock moved on by the emoji's two UTF-16 units");
    long[] id = YjsText.firstId(YjsText.insert(big, 300, big, 299, "content", "z"));
    assertEquals(big, id[0]);
    assertEquals(300, id[1]);
    assertEquals(null, YjsText.firstId(new byte[] {0, 0}), "no structs");
    assertEquals(null, YjsText.firstId(new byte[] {1, 1, (byte) 0x80}), "cut short");
  }
}
