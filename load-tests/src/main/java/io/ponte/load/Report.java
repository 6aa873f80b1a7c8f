package io.ponte.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Renders a {@link LoadResult}: a one-screen text summary, a JSON file and a self-contained HTML file. */
public final class Report {
  private Report() {}

  /** Writes {@code <scenario>-<time>.{txt,json,html}} into {@code dir} and records the paths. */
  public static void write(LoadResult r, Path dir) throws IOException {
    Files.createDirectories(dir);
    String base = r.scenario + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
    r.jsonReport = dir.resolve(base + ".json");
    r.htmlReport = dir.resolve(base + ".html");
    r.textReport = dir.resolve(base + ".txt");
    Files.writeString(r.jsonReport, json(r), StandardCharsets.UTF_8);
    Files.writeString(r.htmlReport, html(r), StandardCharsets.UTF_8);
    Files.writeString(r.textReport, text(r), StandardCharsets.UTF_8);
  }

  private static String f(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
  }

  private static String pct(LoadResult.Percentiles p) {
    if (p == null || p.count() == 0) {
      return "none";
    }
    return "p50 " + f(p.p50()) + "  p90 " + f(p.p90()) + "  p99 " + f(p.p99()) + "  p99.9 "
        + f(p.p999()) + "  max " + f(p.max()) + " ms  (n=" + p.count() + ")";
  }

  /** The one-screen summary. */
  public static String text(LoadResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append("==== ponte-load ").append(r.scenario).append(" ====  ").append(r.startedAt).append('\n');
    sb.append("settings     ").append(r.settings.get("rooms")).append(" rooms x ")
        .append(r.settings.get("roomSize")).append(", rate ").append(r.settings.get("rate"))
        .append("/s per participant, ").append(r.settings.get("format")).append(", measured ")
        .append(f(r.measuredSeconds)).append(" s\n");
    sb.append("connections  ").append(r.readyParticipants).append(" of ").append(r.participants)
        .append(" ready; connect failures ").append(r.connectFailures).append(", join failures ")
        .append(r.joinFailures).append('\n');
    sb.append("throughput   sent ").append(f(r.sentPerSecond)).append("/s, delivered ")
        .append(f(r.deliveredPerSecond)).append("/s (measured window); totals: sent ").append(r.sent)
        .append(", acked ").append(r.acked).append(", delivered ").append(r.delivered).append('\n');
    sb.append("latency      ").append(pct(r.latency)).append('\n');
    sb.append("connect      ").append(pct(r.connect)).append('\n');
    sb.append("  upgrade    ").append(pct(r.upgrade)).append('\n');
    sb.append("  hello      ").append(pct(r.hello)).append('\n');
    sb.append("join         ").append(pct(r.join)).append('\n');
    if (r.resume != null && r.resume.count() > 0) {
      sb.append("resume       ").append(pct(r.resume)).append('\n');
    }
    for (int i = 0; i < r.storms.size(); i++) {
      LoadResult.Storm s = r.storms.get(i);
      sb.append("storm ").append(i + 1).append("      ").append(s.resumed()).append(" of ")
          .append(s.participants()).append(" resumed, all within ").append(f(s.allResumedMs()))
          .append(" ms (p50 ").append(f(s.p50Ms())).append(", p99 ").append(f(s.p99Ms()))
          .append(" ms), resets ").append(s.resets()).append('\n');
    }
    sb.append("seqs         missed ").append(r.missed).append(", duplicated ").append(r.duplicates)
        .append(", stray ").append(r.strayEvents).append(", laggards ").append(r.laggards)
        .append(", resumes ok ").append(r.resumesOk).append(", resumes reset ").append(r.resumeResets)
        .append(r.consistent() ? "  [OK]" : "  [FAILED]").append('\n');
    if (r.resent + r.retried > 0) {
      sb.append("outbox       resent after a close ").append(r.resent).append(" (acked as duplicates ")
          .append(r.resentDuplicates).append("), retried after a refusal ").append(r.retried).append('\n');
    }
    if (r.teacherActions + r.typingSent + r.leaves > 0) {
      sb.append("classroom    typing ").append(r.typingSent).append(", teacher actions ")
          .append(r.teacherActions).append(", leaves ").append(r.leaves).append(", rejoins ")
          .append(r.rejoins).append(", skipped seqs ").append(r.skippedEvents).append(", replayed ")
          .append(r.replayed).append(", ephemeral events ").append(r.ephemeralEvents).append('\n');
    }
    if (r.docs != null) {
      LoadResult.Docs d = r.docs;
      sb.append("documents    ").append(d.documents).append(" (").append(d.created).append(" created, ")
          .append(d.existed).append(" existed, ").append(d.createFailures).append(" failed), ")
          .append(d.typists).append(" typists\n");
      sb.append("doc updates  sent ").append(f(d.sentPerSecond)).append("/s, delivered ")
          .append(f(d.deliveredPerSecond)).append("/s (measured window); totals: sent ").append(d.sent)
          .append(", acked ").append(d.acked).append(", delivered ").append(d.delivered)
          .append(d.replayed > 0 ? ", replayed " + d.replayed : "").append('\n');
      sb.append("doc latency  ").append(pct(d.latency)).append('\n');
      if (!Double.isNaN(d.heapBeforeBytes) && !Double.isNaN(d.heapAfterBytes)) {
        double diff = d.heapAfterBytes - d.heapBeforeBytes;
        sb.append("doc memory   server heap in use ").append(f(d.heapBeforeBytes / (1 << 20)))
            .append(" MiB before the documents, ").append(f(d.heapAfterBytes / (1 << 20)))
            .append(" MiB with ").append(d.documents).append(": ")
            .append(f(diff / Math.max(1, d.documents) / 1024))
            .append(" KiB per document (not after a GC: garbage included, noisy)\n");
      }
    }
    if (r.ink != null) {
      LoadResult.Ink k = r.ink;
      sb.append("boards       ").append(k.boards).append(" (").append(k.boardsCreated).append(" created, ")
          .append(k.boardsExisted).append(" existed, ").append(k.boardFailures).append(" failed), ")
          .append(k.drawers).append(" drawers, ink every ").append(r.settings.get("inkIntervalMs"))
          .append(" ms, ").append(r.settings.get("pointsPerChunk")).append(" points per chunk\n");
      sb.append("live ink     sent ").append(f(k.sentPerSecond)).append(" batches/s, delivered ")
          .append(f(k.deliveredPerSecond)).append("/s (measured window); totals: sent ").append(k.sent)
          .append(", delivered ").append(k.delivered).append(", not delivered ")
          .append(k.notDelivered < 0 ? "-" : Long.toString(k.notDelivered)).append(", gaps ").append(k.gaps)
          .append(", reordered ").append(k.reordered).append('\n');
      sb.append("ink latency  ").append(pct(k.latency)).append('\n');
      sb.append("commits      ").append(f(k.commitsPerSecond)).append("/s (measured window); totals: sent ")
          .append(k.commitsSent).append(", acked ").append(k.commitsAcked).append(", delivered ")
          .append(k.commitsDelivered).append('\n');
      sb.append("commit lat.  ").append(pct(k.commitLatency)).append('\n');
      sb.append("ink server   dropped by the server ").append(k.serverDropped.isEmpty() ? "none" : k.serverDropped)
          .append(Double.isNaN(k.serverCpuMicrosPerInkDelivery) ? ""
              : "; CPU " + f(k.serverCpuMicrosPerInkDelivery) + " µs per delivered ink batch")
          .append('\n');
    }
    if (r.classRun != null) {
      LoadResult.ClassRun c = r.classRun;
      if (c.lobby) {
        sb.append("lobby        ").append(c.lobbyStatuses).append(" waiting statuses; wait until admitted ")
            .append(pct(c.lobbyWaits)).append('\n');
      }
      if (c.polls > 0) {
        sb.append("polls        ").append(c.polls).append(" run; answers (send to ack) ").append(pct(c.pollAnswers))
            .append('\n');
      }
      if (c.breakoutRounds > 0) {
        sb.append("breakouts    ").append(c.breakoutRounds).append(" rounds of ").append(c.breakoutsPerRound)
            .append("; into them (create sent to each learner's Joined) ").append(pct(c.breakoutIn)).append('\n');
        sb.append("             back (close sent to each learner's Left) ").append(pct(c.breakoutOut)).append('\n');
      }
      sb.append("teacher ops  lobby/poll/breakout requests (send to ack) ").append(pct(c.teacherOps)).append('\n');
    }
    sb.append("compression  ").append("off".equals(r.settings.get("compression")) ? "not offered" : "offered")
        .append("; permessage-deflate negotiated on ").append(r.compressedSockets).append(" of ")
        .append(r.compressedSockets + r.uncompressedSockets).append(" sockets\n");
    if (!Double.isNaN(r.serverCpuSeconds) || !Double.isNaN(r.serverRssAfterBytes)) {
      sb.append("server proc  pid ").append(r.settings.get("serverPid")).append(": CPU ")
          .append(f(r.serverCpuSeconds)).append(" s over the measured window, ")
          .append(f(r.serverCpuMicrosPerDelivery)).append(" µs per delivery; RSS ")
          .append(f(r.serverRssBeforeBytes / (1 << 20))).append(" -> ")
          .append(f(r.serverRssAfterBytes / (1 << 20))).append(" MiB, ")
          .append(f(r.serverRssPerConnectionBytes / 1024)).append(" KiB per connection\n");
    }
    sb.append(benchLine(r)).append('\n');
    sb.append("errors       ").append(r.errors.isEmpty() ? "none" : r.errors)
        .append(r.expectedErrors.isEmpty() ? "" : "; expected: " + r.expectedErrors).append('\n');
    sb.append("closes       ").append(r.closes.isEmpty() ? "none unexpected" : r.closes).append('\n');
    if (!r.connectErrors.isEmpty()) {
      sb.append("conn errors  ").append(r.connectErrors).append('\n');
    }
    r.server.forEach((server, samples) -> {
      if (samples.isEmpty()) {
        return;
      }
      double cpu = max(samples, MetricsScraper.Sample::processCpu);
      double heap = max(samples, MetricsScraper.Sample::heapUsedBytes);
      double conns = max(samples, MetricsScraper.Sample::connections);
      sb.append("server       ").append(server).append(": process CPU max ").append(f(cpu * 100))
          .append("%, heap used max ").append(f(heap / (1 << 20))).append(" MiB, connections max ")
          .append(f(conns));
      if (conns > 0) {
        sb.append(", heap/connection ").append(f(heap / conns / 1024)).append(" KiB (upper bound)");
      }
      sb.append('\n');
    });
    r.scrapeFailures.forEach((s, why) -> sb.append("scrape       ").append(s).append(" failed: ").append(why).append('\n'));
    for (String n : r.notes) {
      sb.append("note         ").append(n).append('\n');
    }
    if (r.jsonReport != null) {
      sb.append("reports      ").append(r.jsonReport).append("\n             ").append(r.htmlReport).append('\n');
    }
    return sb.toString();
  }

  /**
   * One machine-readable line (bench-browser.sh reads it): key=value pairs, no spaces in values,
   * "-" when not measured. Deliveries and latency are of document updates in the docs scenario,
   * of live ink chunks in the ink scenario.
   */
  static String benchLine(LoadResult r) {
    boolean docs = r.docs != null && "docs".equals(r.scenario);
    boolean ink = r.ink != null && "ink".equals(r.scenario);
    LoadResult.Percentiles p = docs ? r.docs.latency : ink ? r.ink.latency : r.latency;
    double perSecond = docs ? r.docs.deliveredPerSecond : ink ? r.ink.deliveredPerSecond : r.deliveredPerSecond;
    return "bench        deliveries_per_s=" + f(perSecond)
        + " cpu_us_per_delivery=" + f(r.serverCpuMicrosPerDelivery)
        + " cpu_s=" + f(r.serverCpuSeconds)
        + " p50_ms=" + (p == null || p.count() == 0 ? "-" : f(p.p50()))
        + " p99_ms=" + (p == null || p.count() == 0 ? "-" : f(p.p99()))
        + " p999_ms=" + (p == null || p.count() == 0 ? "-" : f(p.p999()))
        + " rss_kib_per_conn=" + f(r.serverRssPerConnectionBytes / 1024)
        + " deflate=" + r.compressedSockets + "/" + (r.compressedSockets + r.uncompressedSockets)
        + " ready=" + r.readyParticipants + "/" + r.participants
        + " consistent=" + r.consistent()
        + " errors=" + r.unexpectedErrors();
  }

  static double max(List<MetricsScraper.Sample> samples, ToDoubleFunction<MetricsScraper.Sample> f) {
    return samples.stream().mapToDouble(f).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
  }

  private static Map<String, Object> pctMap(LoadResult.Percentiles p) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (p == null) {
      return m;
    }
    m.put("count", p.count());
    m.put("p50Ms", p.p50());
    m.put("p90Ms", p.p90());
    m.put("p99Ms", p.p99());
    m.put("p999Ms", p.p999());
    m.put("maxMs", p.max());
    m.put("meanMs", p.mean());
    return m;
  }

  static String json(LoadResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenario", r.scenario);
    m.put("startedAt", r.startedAt);
    m.put("settings", r.settings);
    if (r.docs != null) {
      LoadResult.Docs d = r.docs;
      Map<String, Object> dm = new LinkedHashMap<>();
      dm.put("documents", d.documents);
      dm.put("created", d.created);
      dm.put("existed", d.existed);
      dm.put("createFailures", d.createFailures);
      dm.put("typists", d.typists);
      dm.put("sent", d.sent);
      dm.put("acked", d.acked);
      dm.put("delivered", d.delivered);
      dm.put("replayed", d.replayed);
      dm.put("deliveredMeasured", d.deliveredMeasured);
      dm.put("sentPerSecond", d.sentPerSecond);
      dm.put("deliveredPerSecond", d.deliveredPerSecond);
      dm.put("latency", pctMap(d.latency));
      dm.put("serverHeapBeforeBytes", d.heapBeforeBytes);
      dm.put("serverHeapAfterBytes", d.heapAfterBytes);
      m.put("documents", dm);
    }
    if (r.ink != null) {
      LoadResult.Ink k = r.ink;
      Map<String, Object> km = new LinkedHashMap<>();
      km.put("boards", k.boards);
      km.put("boardsCreated", k.boardsCreated);
      km.put("boardsExisted", k.boardsExisted);
      km.put("boardFailures", k.boardFailures);
      km.put("drawers", k.drawers);
      km.put("sent", k.sent);
      km.put("delivered", k.delivered);
      km.put("deliveredMeasured", k.deliveredMeasured);
      km.put("sentPerSecond", k.sentPerSecond);
      km.put("deliveredPerSecond", k.deliveredPerSecond);
      km.put("latency", pctMap(k.latency));
      km.put("notDelivered", k.notDelivered);
      km.put("gaps", k.gaps);
      km.put("reordered", k.reordered);
      km.put("commitsSent", k.commitsSent);
      km.put("commitsAcked", k.commitsAcked);
      km.put("commitsDelivered", k.commitsDelivered);
      km.put("commitsPerSecond", k.commitsPerSecond);
      km.put("commitLatency", pctMap(k.commitLatency));
      km.put("serverCpuMicrosPerInkDelivery", k.serverCpuMicrosPerInkDelivery);
      km.put("serverDropped", k.serverDropped);
      m.put("ink", km);
    }
    if (r.classRun != null) {
      LoadResult.ClassRun c = r.classRun;
      Map<String, Object> cm = new LinkedHashMap<>();
      cm.put("lobby", c.lobby);
      cm.put("lobbyStatuses", c.lobbyStatuses);
      cm.put("lobbyWaits", pctMap(c.lobbyWaits));
      cm.put("polls", c.polls);
      cm.put("pollAnswers", pctMap(c.pollAnswers));
      cm.put("teacherOps", pctMap(c.teacherOps));
      cm.put("breakoutRounds", c.breakoutRounds);
      cm.put("breakoutsPerRound", c.breakoutsPerRound);
      cm.put("breakoutIn", pctMap(c.breakoutIn));
      cm.put("breakoutOut", pctMap(c.breakoutOut));
      m.put("classRun", cm);
    }
    Map<String, Object> comp = new LinkedHashMap<>();
    comp.put("offered", !"off".equals(r.settings.get("compression")));
    comp.put("negotiatedSockets", r.compressedSockets);
    comp.put("declinedSockets", r.uncompressedSockets);
    m.put("compression", comp);
    Map<String, Object> proc = new LinkedHashMap<>();
    proc.put("cpuSeconds", r.serverCpuSeconds);
    proc.put("cpuMicrosPerDelivery", r.serverCpuMicrosPerDelivery);
    proc.put("rssBeforeBytes", r.serverRssBeforeBytes);
    proc.put("rssAfterBytes", r.serverRssAfterBytes);
    proc.put("rssPerConnectionBytes", r.serverRssPerConnectionBytes);
    m.put("serverProcess", proc);
    m.put("participants", r.participants);
    m.put("readyParticipants", r.readyParticipants);
    m.put("measuredSeconds", r.measuredSeconds);
    m.put("sent", r.sent);
    m.put("acked", r.acked);
    m.put("delivered", r.delivered);
    m.put("deliveredMeasured", r.deliveredMeasured);
    m.put("sentPerSecond", r.sentPerSecond);
    m.put("deliveredPerSecond", r.deliveredPerSecond);
    m.put("latency", pctMap(r.latency));
    m.put("connect", pctMap(r.connect));
    m.put("upgrade", pctMap(r.upgrade));
    m.put("hello", pctMap(r.hello));
    m.put("join", pctMap(r.join));
    m.put("resume", pctMap(r.resume));
    List<Object> storms = new ArrayList<>();
    for (LoadResult.Storm s : r.storms) {
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("participants", s.participants());
      sm.put("resumed", s.resumed());
      sm.put("failed", s.failed());
      sm.put("allResumedMs", s.allResumedMs());
      sm.put("p50Ms", s.p50Ms());
      sm.put("p99Ms", s.p99Ms());
      sm.put("resets", s.resets());
      storms.add(sm);
    }
    m.put("storms", storms);
    Map<String, Object> seqs = new LinkedHashMap<>();
    seqs.put("missed", r.missed);
    seqs.put("duplicated", r.duplicates);
    seqs.put("stray", r.strayEvents);
    seqs.put("laggards", r.laggards);
    seqs.put("resumesOk", r.resumesOk);
    seqs.put("resumeResets", r.resumeResets);
    seqs.put("resent", r.resent);
    seqs.put("resentDuplicates", r.resentDuplicates);
    seqs.put("retried", r.retried);
    seqs.put("replayed", r.replayed);
    seqs.put("skipped", r.skippedEvents);
    seqs.put("consistent", r.consistent());
    m.put("seqs", seqs);
    Map<String, Object> traffic = new LinkedHashMap<>();
    traffic.put("otherEvents", r.otherEvents);
    traffic.put("ephemeralEvents", r.ephemeralEvents);
    traffic.put("typingSent", r.typingSent);
    traffic.put("teacherActions", r.teacherActions);
    traffic.put("leaves", r.leaves);
    traffic.put("rejoins", r.rejoins);
    traffic.put("sendsSkipped", r.sendsSkipped);
    m.put("traffic", traffic);
    m.put("connectFailures", r.connectFailures);
    m.put("joinFailures", r.joinFailures);
    m.put("errors", r.errors);
    m.put("expectedErrors", r.expectedErrors);
    m.put("closes", r.closes);
    m.put("connectErrors", r.connectErrors);
    List<Object> series = new ArrayList<>();
    for (LoadResult.Point p : r.series) {
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("t", p.t());
      pm.put("measuring", p.measuring());
      pm.put("connections", p.connections());
      pm.put("sentPerSecond", p.sentPerSecond());
      pm.put("deliveredPerSecond", p.deliveredPerSecond());
      pm.put("p50Ms", p.p50());
      pm.put("p90Ms", p.p90());
      pm.put("p99Ms", p.p99());
      pm.put("p999Ms", p.p999());
      pm.put("maxMs", p.max());
      series.add(pm);
    }
    m.put("series", series);
    Map<String, Object> server = new LinkedHashMap<>();
    r.server.forEach((k, samples) -> {
      List<Object> list = new ArrayList<>();
      for (MetricsScraper.Sample s : samples) {
        Map<String, Object> sm = new LinkedHashMap<>();
        sm.put("t", s.t());
        sm.put("processCpu", s.processCpu());
        sm.put("systemCpu", s.systemCpu());
        sm.put("heapUsedBytes", s.heapUsedBytes());
        sm.put("heapMaxBytes", s.heapMaxBytes());
        sm.put("connections", s.connections());
        sm.put("framesOut", s.framesOut());
        list.add(sm);
      }
      server.put(k, list);
    });
    m.put("server", server);
    m.put("scrapeFailures", r.scrapeFailures);
    m.put("notes", r.notes);
    return Json.write(m);
  }

  // ------------------------------------------------------------------------------------------
  // HTML with inline SVG
  // ------------------------------------------------------------------------------------------

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  record Line(String name, String color, double[] xs, double[] ys) {}

  /** A line chart as inline SVG; NaN values break the line. */
  static String chart(String title, String unit, List<Line> lines) {
    int w = 760;
    int h = 240;
    int left = 60;
    int right = 150;
    int top = 24;
    int bottom = 30;
    double xmax = 0;
    double ymax = 0;
    for (Line l : lines) {
      for (double x : l.xs()) {
        xmax = Math.max(xmax, x);
      }
      for (double y : l.ys()) {
        if (!Double.isNaN(y)) {
          ymax = Math.max(ymax, y);
        }
      }
    }
    xmax = xmax <= 0 ? 1 : xmax;
    ymax = niceCeil(ymax <= 0 ? 1 : ymax);
    int pw = w - left - right;
    int ph = h - top - bottom;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"sans-serif\" font-size=\"11\">", w, h, w, h));
    sb.append("<text x=\"").append(left).append("\" y=\"15\" font-size=\"13\" font-weight=\"bold\">")
        .append(esc(title)).append("</text>");
    for (int i = 0; i <= 4; i++) {
      double v = ymax * i / 4;
      double y = top + ph - ph * i / 4.0;
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
              + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
          left, y, left + pw, y, left - 4, y + 4, esc(f(v))));
    }
    for (int i = 0; i <= 5; i++) {
      double v = xmax * i / 5;
      double x = left + pw * i / 5.0;
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%ss</text>",
          x, h - 10, esc(f(v))));
    }
    sb.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>", left, top, pw, ph));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-90 12 %d)\">%s</text>",
        12, top + ph / 2 + 20, top + ph / 2 + 20, esc(unit)));
    int li = 0;
    for (Line l : lines) {
      StringBuilder path = new StringBuilder();
      boolean pen = false;
      for (int i = 0; i < l.xs().length; i++) {
        double y = l.ys()[i];
        if (Double.isNaN(y)) {
          pen = false;
          continue;
        }
        double px = left + pw * l.xs()[i] / xmax;
        double py = top + ph - ph * Math.min(y, ymax) / ymax;
        path.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
        pen = true;
      }
      if (path.length() > 0) {
        sb.append("<path d=\"").append(path.toString().trim()).append("\" fill=\"none\" stroke=\"")
            .append(l.color()).append("\" stroke-width=\"1.5\"/>");
      }
      int ly = top + 12 + li * 16;
      sb.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>"
              + "<text x=\"%d\" y=\"%d\">%s</text>",
          left + pw + 10, ly - 4, left + pw + 28, ly - 4, l.color(), left + pw + 32, ly, esc(l.name())));
      li++;
    }
    return sb.append("</svg>").toString();
  }

  private static double niceCeil(double v) {
    double e = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * e >= v) {
        return m * e;
      }
    }
    return 10 * e;
  }

  private static double[] col(List<LoadResult.Point> ps, ToDoubleFunction<LoadResult.Point> f) {
    return ps.stream().mapToDouble(f).toArray();
  }

  private static double[] scol(List<MetricsScraper.Sample> ps, ToDoubleFunction<MetricsScraper.Sample> f) {
    return ps.stream().mapToDouble(f).toArray();
  }

  static String html(LoadResult r) {
    List<LoadResult.Point> ps = r.series;
    double[] t = col(ps, LoadResult.Point::t);
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ponte-load ")
        .append(esc(r.scenario)).append("</title><style>body{font-family:sans-serif;margin:24px;color:#222}"
            + "pre{background:#f6f6f6;padding:12px;font-size:12px;overflow-x:auto}"
            + "h2{font-size:16px;margin-top:28px}svg{display:block;margin:8px 0}</style></head><body>");
    sb.append("<h1>ponte-load: ").append(esc(r.scenario)).append("</h1>");
    sb.append("<pre>").append(esc(text(r))).append("</pre>");
    sb.append("<h2>Throughput (client side)</h2>");
    sb.append(chart("Messages per second", "per second", List.of(
        new Line("delivered/s", "#1f77b4", t, col(ps, LoadResult.Point::deliveredPerSecond)),
        new Line("sent/s", "#ff7f0e", t, col(ps, LoadResult.Point::sentPerSecond)))));
    sb.append(chart("Open connections", "connections", List.of(
        new Line("connections", "#2ca02c", t, col(ps, p -> p.connections())))));
    sb.append("<h2>Send-to-receipt latency per second</h2>");
    sb.append(chart("Latency percentiles", "ms", List.of(
        new Line("p50", "#2ca02c", t, col(ps, LoadResult.Point::p50)),
        new Line("p90", "#1f77b4", t, col(ps, LoadResult.Point::p90)),
        new Line("p99", "#ff7f0e", t, col(ps, LoadResult.Point::p99)),
        new Line("p99.9", "#d62728", t, col(ps, LoadResult.Point::p999)))));
    sb.append(chart("Latency maximum", "ms", List.of(
        new Line("max", "#9467bd", t, col(ps, LoadResult.Point::max)))));
    r.server.forEach((server, samples) -> {
      if (samples.isEmpty()) {
        return;
      }
      double[] st = scol(samples, MetricsScraper.Sample::t);
      sb.append("<h2>Server ").append(esc(server)).append(" (from /metrics)</h2>");
      sb.append(chart("CPU", "%", List.of(
          new Line("process", "#d62728", st, scol(samples, s -> s.processCpu() * 100)),
          new Line("system", "#7f7f7f", st, scol(samples, s -> s.systemCpu() * 100)))));
      sb.append(chart("Heap used", "MiB", List.of(
          new Line("heap used", "#8c564b", st, scol(samples, s -> s.heapUsedBytes() / (1 << 20))))));
      sb.append(chart("Server connections", "connections", List.of(
          new Line("ponte_connections", "#17becf", st, scol(samples, MetricsScraper.Sample::connections)))));
    });
    sb.append("</body></html>\n");
    return sb.toString();
  }
}
