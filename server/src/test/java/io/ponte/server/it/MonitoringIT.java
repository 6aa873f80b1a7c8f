package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.protocol.CloseCode;
import io.ponte.protocol.v1.ChatPost;
import io.ponte.protocol.v1.ClientMessage;
import io.ponte.protocol.v1.DocCreate;
import io.ponte.protocol.v1.DocUpdate;
import io.ponte.protocol.v1.ErrorCode;
import io.ponte.protocol.v1.Hello;
import io.ponte.protocol.v1.Role;
import io.ponte.protocol.v1.ServerMessage;
import io.ponte.protocol.v1.Typing;
import io.ponte.server.doc.YTextUpdates;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring files in ops/: promtool checks and unit-tests the alert rules, and every series
 * an alert, an alert test or the Grafana dashboard names is one a real node exposes on /metrics.
 */
@Timeout(120)
class MonitoringIT {
  /** Series Prometheus makes itself, not the node. */
  private static final Set<String> PROMETHEUS_OWN = Set.of("up");

  @TempDir
  Path dir;

  static Path ops() {
    for (Path candidate : new Path[] {Path.of("..", "ops"), Path.of("ops")}) {
      if (Files.isDirectory(candidate.resolve("prometheus"))) {
        return candidate;
      }
    }
    throw new AssertionError("ops/prometheus not found from " + Path.of("").toAbsolutePath());
  }

  static Path alerts() {
    return ops().resolve("prometheus/ponte-alerts.yml");
  }

  static Path alertTests() {
    return ops().resolve("prometheus/ponte-alerts.test.yml");
  }

  static Path dashboard() {
    return ops().resolve("grafana/ponte-dashboard.json");
  }

  // ---------------------------------------------------------------------------------------------
  // promtool

  /** Runs promtool; a missing promtool fails the test (Debian package prometheus). */
  static String promtool(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add("promtool");
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).directory(ops().resolve("prometheus").toFile())
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("promtool is not installed (Debian: apt-get install prometheus);"
          + " the alert rules cannot be checked: " + e.getMessage(), e);
    }
    String out;
    try (var in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
    assertEquals(0, p.exitValue(), () -> "promtool " + String.join(" ", args) + " failed:\n" + out);
    return out;
  }

  @Test
  void promtoolAcceptsTheRules() throws Exception {
    String out = promtool("check", "rules", alerts().getFileName().toString());
    assertTrue(out.contains("SUCCESS"), out);
  }

  @Test
  void promtoolAcceptsTheExampleConfig() throws Exception {
    String out = promtool("check", "config", "prometheus.yml");
    assertTrue(out.contains("SUCCESS"), out);
  }

  @Test
  void promtoolUnitTestsOfTheAlertsPass() throws Exception {
    String out = promtool("test", "rules", alertTests().getFileName().toString());
    assertTrue(out.contains("SUCCESS"), out);
  }

  /**
   * Every dashboard query is valid PromQL: promtool checks them as recording rules, with the
   * dashboard's variables given values.
   */
  @Test
  void promtoolParsesEveryDashboardQuery(@TempDir Path tmp) throws Exception {
    List<String> queries = dashboardQueries(new JsonObject(Files.readString(dashboard())));
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    int n = 0;
    for (String q : queries) {
      if (q.startsWith("label_values(")) {
        q = q.substring("label_values(".length(), q.lastIndexOf(',')); // its series selector
      }
      String expr = q.replace("$__rate_interval", "5m").replace("$job", "ponte")
          .replace("$instance", ".*");
      assertFalse(expr.contains("$"), () -> "a dashboard variable this test does not know: " + expr);
      rules.append("      - record: dashboard_query_").append(n++).append('\n')
          .append("        expr: '").append(expr.replace("'", "''").replace("\n", " ")).append("'\n");
    }
    Path file = tmp.resolve("dashboard-queries.yml");
    Files.writeString(file, rules);
    String out = promtool("check", "rules", file.toAbsolutePath().toString());
    assertTrue(out.contains("SUCCESS: " + n + " rules found"), out);
  }

  /** Every alert of the rules file has a unit test that expects it to fire. */
  @Test
  void everyAlertIsUnitTested() throws IOException {
    Set<String> alerts = matches(Files.readString(alerts()), "(?m)^\\s*-?\\s*alert:\\s*(\\w+)");
    Set<String> tested = matches(Files.readString(alertTests()), "(?m)^\\s*alertname:\\s*(\\w+)");
    assertTrue(alerts.size() >= 10, () -> "alerts found: " + alerts);
    Set<String> untested = new TreeSet<>(alerts);
    untested.removeAll(tested);
    assertTrue(untested.isEmpty(), () -> "alerts without a promtool test: " + untested);
  }

  // ---------------------------------------------------------------------------------------------
  // Series names

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^{}]*\\}");
  private static final Pattern LABEL_LISTS = Pattern.compile(
      "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)");
  private static final Pattern RANGES = Pattern.compile("\\[[^\\[\\]]*\\]");
  private static final Pattern GRAFANA_VARIABLES = Pattern.compile("\\$\\{[^}]*\\}|\\$\\w+");
  private static final Pattern LABEL_VALUES = Pattern.compile("\\blabel_values\\s*\\(([^,()]*(?:\\{\\})?)\\s*,[^()]*\\)");
  private static final Pattern TOKEN = Pattern.compile(
      "\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?[smhdwy]?|[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on",
      "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan", "Inf", "NaN", "atan2");

  /**
   * The series names a PromQL expression (or a Grafana query) reads: identifiers that are not
   * functions, aggregations, keywords, label names or label values.
   */
  static Set<String> seriesNames(String promql) {
    String s = STRING.matcher(promql).replaceAll(" \"\" ");
    s = MATCHERS.matcher(s).replaceAll(" {} ");
    s = RANGES.matcher(s).replaceAll(" [] ");
    s = GRAFANA_VARIABLES.matcher(s).replaceAll(" ");
    s = LABEL_VALUES.matcher(s).replaceAll(" $1 ");
    // Repeat: a label list may follow another (sum by (a) (x) / ignoring (b) group_left (c) y).
    String before;
    do {
      before = s;
      s = LABEL_LISTS.matcher(s).replaceAll(" ");
    } while (!s.equals(before));
    Set<String> names = new TreeSet<>();
    Matcher m = TOKEN.matcher(s);
    while (m.find()) {
      String token = m.group();
      if (Character.isDigit(token.charAt(0)) || KEYWORDS.contains(token)) {
        continue;
      }
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
        next++;
      }
      if (next < s.length() && s.charAt(next) == '(') {
        continue; // a function or an aggregation
      }
      names.add(token);
    }
    return names;
  }

  /** The expressions of a Prometheus rules file: every {@code expr:}, one line or a block. */
  static List<String> ruleExpressions(String yaml) {
    return yamlValues(yaml, "expr");
  }

  /** The values of {@code key:} in YAML written as this repository writes it (no library). */
  static List<String> yamlValues(String yaml, String key) {
    List<String> out = new ArrayList<>();
    String[] lines = yaml.split("\n", -1);
    Pattern start = Pattern.compile("^(\\s*)(?:-\\s+)?" + Pattern.quote(key) + ":\\s*(.*)$");
    for (int i = 0; i < lines.length; i++) {
      Matcher m = start.matcher(lines[i]);
      if (!m.matches()) {
        continue;
      }
      String value = m.group(2).trim();
      if (value.startsWith("|") || value.startsWith(">")) {
        int indent = m.group(1).length();
        StringBuilder block = new StringBuilder();
        while (i + 1 < lines.length && (lines[i + 1].isBlank()
            || lines[i + 1].length() - lines[i + 1].stripLeading().length() > indent)) {
          block.append(lines[++i].trim()).append('\n');
        }
        out.add(block.toString());
      } else {
        if (value.length() >= 2 && (value.startsWith("'") && value.endsWith("'")
            || value.startsWith("\"") && value.endsWith("\""))) {
          value = value.substring(1, value.length() - 1);
        }
        out.add(value);
      }
    }
    return out;
  }

  /** The queries of a Grafana dashboard: every target's expr and every variable's query. */
  static List<String> dashboardQueries(JsonObject dashboard) {
    List<String> out = new ArrayList<>();
    collect(dashboard, out);
    return out;
  }

  private static void collect(Object node, List<String> out) {
    if (node instanceof JsonObject o) {
      for (String key : o.fieldNames()) {
        Object v = o.getValue(key);
        if (v instanceof String str && (key.equals("expr") || key.equals("definition"))) {
          out.add(str);
        } else if (v instanceof JsonObject q && key.equals("query") && q.containsKey("query")) {
          out.add(q.getString("query"));
        } else if (v instanceof String str && key.equals("query")
            && !"datasource".equals(o.getString("type"))) {
          out.add(str);
        } else {
          collect(v, out);
        }
      }
    } else if (node instanceof JsonArray a) {
      for (Object each : a) {
        collect(each, out);
      }
    }
  }

  /** Names of the series in the input of the promtool tests (they must be real ones too). */
  static List<String> testSeries(String yaml) {
    return yamlValues(yaml, "series");
  }

  /** Every sample name of a Prometheus text exposition. */
  static Set<String> exposed(String scrape) {
    Set<String> names = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        end++;
      }
      names.add(line.substring(0, end));
    }
    return names;
  }

  /** Names read by the monitoring files that the scrape lacks, each with where it is read. */
  static List<String> missing(Set<String> exposed, List<String> queries, String where) {
    List<String> out = new ArrayList<>();
    for (String q : queries) {
      for (String name : seriesNames(q)) {
        if (!exposed.contains(name) && !PROMETHEUS_OWN.contains(name)) {
          out.add(name + " (" + where + ": " + q.strip().replaceAll("\\s+", " ") + ")");
        }
      }
    }
    return out;
  }

  @Test
  void theExtractorFindsSeriesNamesAndOnlyThose() {
    assertEquals(Set.of("ponte_store_commit_seconds_bucket"), seriesNames(
        "histogram_quantile(0.99, sum by (instance, le) (rate(ponte_store_commit_seconds_bucket{job=\"ponte\"}[5m]))) > 0.1"));
    assertEquals(Set.of("ponte_errors_total", "ponte_messages_in_total"), seriesNames(
        "sum by (instance, code) (rate(ponte_errors_total{code!~\"INTERNAL|x\"}[$__rate_interval]))\n"
            + "  / ignoring (code) group_left sum by (instance) (rate(ponte_messages_in_total[5m])) > 0.05"));
    assertEquals(Set.of("up"), seriesNames("up{job=~\"$job\"} == 0"));
    assertEquals(Set.of("ponte_ready"), seriesNames("label_values(ponte_ready{job=\"$job\"}, instance)"));
    assertEquals(Set.of("a_b", "c:d"), seriesNames("max without (code) (a_b offset 5m) * on (x) bool c:d"));
    assertEquals(Set.of("jvm_gc_pause_seconds_sum"), seriesNames("sum(rate(jvm_gc_pause_seconds_sum[1m:10s])) > 1e-3"));
    // A planted unknown name is reported, a real one is not.
    Set<String> exposed = exposed("# TYPE ponte_ready gauge\nponte_ready 1.0\nponte_errors_total{code=\"X\"} 2\n");
    assertEquals(Set.of("ponte_ready", "ponte_errors_total"), exposed);
    List<String> missing = missing(exposed,
        List.of("ponte_ready == 0 and rate(ponte_no_such_series_total[5m]) > 0 or up == 0"), "planted");
    assertEquals(1, missing.size(), missing::toString);
    assertTrue(missing.get(0).startsWith("ponte_no_such_series_total"), missing::toString);
    // The YAML reader finds one-line and block expressions.
    List<String> exprs = ruleExpressions("- alert: A\n  expr: ponte_ready == 0\n  for: 1m\n"
        + "- alert: B\n  expr: |\n    rate(x_total[5m])\n      > 1\n  for: 2m\n");
    assertEquals(List.of("ponte_ready == 0", "rate(x_total[5m])\n> 1\n"), exprs);
    assertEquals(List.of("ponte_ready{instance=\"n1\"}"),
        testSeries("  - series: 'ponte_ready{instance=\"n1\"}'\n    values: '1x10'\n"));
  }

  @Test
  void theMonitoringFilesReadEnoughSeries() throws IOException {
    List<String> exprs = ruleExpressions(Files.readString(alerts()));
    List<String> panels = dashboardQueries(new JsonObject(Files.readString(dashboard())));
    assertTrue(exprs.size() >= 10, () -> "alert expressions: " + exprs);
    assertTrue(panels.size() >= 15, () -> "dashboard queries: " + panels);
    for (String q : exprs) {
      assertFalse(seriesNames(q).isEmpty(), () -> "no series found in alert expression " + q);
    }
  }

  /**
   * A real node, exercised over chat, documents and the limits, then scraped: each series the
   * alerts, their tests and the dashboard read must be among the scrape's.
   */
  @Test
  void everySeriesTheMonitoringReadsIsExposedByANode() throws Exception {
    List<String> exprs = ruleExpressions(Files.readString(alerts()));
    List<String> tests = testSeries(Files.readString(alertTests()));
    List<String> panels = dashboardQueries(new JsonObject(Files.readString(dashboard())));
    try (TestServer s = new TestServer(dir, b -> b.set("max-connections-per-user", "2"))) {
      exercise(s);
      String scrape = scrapeAfterGc(s);
      Files.createDirectories(Path.of("target"));
      Files.writeString(Path.of("target", "monitoring-scrape.txt"), scrape);
      Set<String> exposed = exposed(scrape);
      List<String> missing = new ArrayList<>();
      missing.addAll(missing(exposed, exprs, "alert"));
      missing.addAll(missing(exposed, tests, "alert test input"));
      missing.addAll(missing(exposed, panels, "dashboard"));
      if (!missing.isEmpty()) {
        fail("series the monitoring reads but the node does not expose (scrape in"
            + " server/target/monitoring-scrape.txt):\n  " + String.join("\n  ", missing));
      }
      // The gauges the availability alerts rest on say what they should on a healthy node.
      assertEquals(1, OperabilityIT.metric(scrape, "ponte_ready", null));
      assertEquals(1, OperabilityIT.metric(scrape, "ponte_broker_up", "broker=\"memory\""));
      assertEquals(1, OperabilityIT.metric(scrape, "ponte_store_up", "store=\"sqlite\""));
      assertEquals(2, OperabilityIT.metric(scrape, "ponte_limit_connections_per_user", null));
      assertTrue(OperabilityIT.metric(scrape, "process_files_max_files", null) > 0);
    }
  }

  /** Chat, an error, dropped typing, a document, and a user past the connection limit. */
  private static void exercise(TestServer s) {
    s.createRoom("r1");
    try (TestClient ana = s.user("ana", "r1", Role.TEACHER);
        TestClient bo = s.user("bo", "r1", Role.STUDENT)) {
      ana.join("r1");
      bo.join("r1");
      for (int i = 0; i < 3; i++) {
        ana.post("r1", "message " + i);
        bo.nextEvent("r1");
      }
      ServerMessage refused = bo.request(ClientMessage.newBuilder()
          .setChatPost(ChatPost.newBuilder().setRoomId("r2").setText("wrong room")));
      assertEquals(ErrorCode.NOT_IN_ROOM, TestClient.error(refused).getCode());
      for (int i = 0; i < 8; i++) {
        bo.send(ClientMessage.newBuilder().setRequestId(bo.nextRequestId())
            .setTyping(Typing.newBuilder().setRoomId("r1").setTyping(i % 2 == 0)).build());
      }
      OperabilityIT.roundTrip(bo);
      TestClient.ack(ana.request(ClientMessage.newBuilder().setDocCreate(
          DocCreate.newBuilder().setRoomId("r1").setDocId("notes").setTitle("Notes"))));
      TestClient.ack(bo.request(ClientMessage.newBuilder().setDocUpdate(DocUpdate.newBuilder()
          .setRoomId("r1").setDocId("notes").setUpdate(com.google.protobuf.ByteString.copyFrom(
              new YTextUpdates(7, "t").append("Hello"))))));
      // bo's second socket is at the limit (2), the third is refused and closed.
      String token = s.token("bo", "Bo", "r1", Role.STUDENT);
      try (TestClient second = s.client(); TestClient third = s.client()) {
        assertTrue(second.request(ClientMessage.newBuilder().setHello(Hello.newBuilder().setToken(token))).hasWelcome());
        ServerMessage m = third.request(ClientMessage.newBuilder().setHello(Hello.newBuilder().setToken(token)));
        assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, TestClient.error(m).getCode());
        assertEquals(CloseCode.TOO_MANY_CONNECTIONS.code(), third.awaitClose());
        String scrape = OperabilityIT.scrape(s);
        assertEquals(2, OperabilityIT.metric(scrape, "ponte_connections_user_max", null), "bo's two sockets");
      }
    }
  }

  /** Scrapes once the JVM has reported a collection (the GC pause timer appears with the first). */
  private static String scrapeAfterGc(TestServer s) throws InterruptedException {
    String scrape = OperabilityIT.scrape(s);
    for (int i = 0; i < 50 && !scrape.contains("jvm_gc_pause_seconds_count"); i++) {
      System.gc();
      Thread.sleep(100);
      scrape = OperabilityIT.scrape(s);
    }
    return scrape;
  }

  private static Set<String> matches(String text, String regex) {
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
