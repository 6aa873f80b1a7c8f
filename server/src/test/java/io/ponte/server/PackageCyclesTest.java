package io.ponte.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No cycles between the server's packages, and no package depends on the root package (the
 * wiring: {@code Main}, {@code PonteServer}, {@code StandardFeatures}).
 *
 * <p>Reads the sources, not the classes: a dependency is an {@code import} (static ones too) or a
 * fully qualified name {@code io.ponte.server.x.Y} in code; comments and string literals do not
 * count. Cycles are the strongly connected components of the package graph (Tarjan).
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class PackageCyclesTest {
  private static final String ROOT = "io.ponte.server";
  /** A reference to a type of the server: its package is what precedes the first capitalised name. */
  private static final Pattern REFERENCE =
      Pattern.compile("(?<![\\w$.])io\\.ponte\\.server((?:\\.[a-z_][\\w$]*)*)\\.(?:[A-Z][\\w$]*|\\*)");
  private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);

  /** from package → to package → where ("room/Room.java:28: import ..."). */
  private static final class Dependencies {
    final Map<String, Map<String, List<String>>> edges = new TreeMap<>();
    final Set<String> packages = new TreeSet<>();

    void add(String from, String to, String where) {
      packages.add(from);
      if (!from.equals(to)) {
        edges.computeIfAbsent(from, k -> new TreeMap<>()).computeIfAbsent(to, k -> new ArrayList<>()).add(where);
      }
    }

    Map<String, Set<String>> graph() {
      Map<String, Set<String>> g = new TreeMap<>();
      edges.forEach((from, tos) -> g.put(from, tos.keySet()));
      return g;
    }
  }

  @Test
  void theServersPackagesHaveNoCycles() {
    Dependencies deps = scan(sourceRoot());
    // guards the scan itself: it must have found the packages and a dependency everyone knows of
    assertTrue(deps.packages.size() >= 15, "packages found: " + deps.packages);
    assertTrue(deps.edges.getOrDefault(ROOT + ".transport", Map.of()).containsKey(ROOT + ".room"),
        "transport → room not found; edges: " + deps.edges.keySet());

    String cycles = describeCycles(deps);
    if (!cycles.isEmpty()) {
      fail("package cycles in server/src/main/java (move the type that closes the cycle to the lower"
          + " package, or invert the dependency through an interface):\n" + cycles);
    }
  }

  @Test
  void noPackageDependsOnTheRootPackage() {
    Dependencies deps = scan(sourceRoot());
    StringBuilder out = new StringBuilder();
    deps.edges.forEach((from, tos) -> {
      List<String> where = tos.get(ROOT);
      if (where != null) {
        out.append(from).append(" → ").append(ROOT).append('\n');
        where.forEach(w -> out.append("    ").append(w).append('\n'));
      }
    });
    if (out.length() > 0) {
      fail("the root package " + ROOT + " wires the server; nothing may depend on it:\n" + out);
    }
  }

  @Test
  void theDetectorReportsACycleAndEveryEdgeOfIt() {
    Dependencies deps = new Dependencies();
    deps.add("p.a", "p.b", "a/A.java:3: import p.b.B;");
    deps.add("p.b", "p.c", "b/B.java:4: import p.c.C;");
    deps.add("p.c", "p.a", "c/C.java:5: import p.a.A;");
    deps.add("p.d", "p.a", "d/D.java:6: import p.a.A;"); // into the cycle, not part of it
    deps.add("p.e", "p.f", "e/E.java:7: import p.f.F;");
    deps.add("p.f", "p.e", "f/F.java:8: p.e.E.x()");

    assertEquals(Set.of(Set.of("p.a", "p.b", "p.c"), Set.of("p.e", "p.f")), new HashSet<>(cycles(deps.graph())));
    String report = describeCycles(deps);
    for (String where : List.of("a/A.java:3", "b/B.java:4", "c/C.java:5", "e/E.java:7", "f/F.java:8")) {
      assertTrue(report.contains(where), where + " missing from\n" + report);
    }
    assertFalse(report.contains("d/D.java"), "an edge into a cycle is not part of it:\n" + report);

    deps.edges.get("p.c").remove("p.a");
    deps.edges.get("p.f").remove("p.e");
    assertEquals(List.of(), cycles(deps.graph()), "without the closing edges nothing is left");
  }

  @Test
  void theScanCountsImportsStaticImportsAndQualifiedNamesButNotCommentsOrStrings(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("a").resolve("A.java");
    Files.createDirectories(file.getParent());
    Files.writeString(file, String.join("\n",
        "package io.ponte.server.a;",
        "import io.ponte.server.b.B;",
        "import static io.ponte.server.c.C.value;",
        "import io.ponte.server.d.*;",
        "// io.ponte.server.x.InAComment",
        "/** {@link io.ponte.server.y.InJavadoc} */",
        "class A {",
        "  String s = \"io.ponte.server.z.InAString // /*\";",
        "  char q = '\"';",
        "  Object o = new io.ponte.server.e.f.E();",
        "  Object r = io.ponte.server.Main.class;",
        "}"));
    Dependencies deps = scan(dir);
    assertEquals(Set.of("io.ponte.server.b", "io.ponte.server.c", "io.ponte.server.d", "io.ponte.server.e.f", ROOT),
        deps.edges.get("io.ponte.server.a").keySet());
    assertEquals(List.of("a/A.java:10: Object o = new io.ponte.server.e.f.E();"),
        deps.edges.get("io.ponte.server.a").get("io.ponte.server.e.f"));
  }

  /** The cycles of {@code deps}: each one's packages, a shortest way round, and every edge inside it. */
  private static String describeCycles(Dependencies deps) {
    StringBuilder out = new StringBuilder();
    Map<String, Set<String>> graph = deps.graph();
    for (Set<String> scc : cycles(graph)) {
      out.append("cycle among ").append(new TreeSet<>(scc)).append(": ")
          .append(String.join(" → ", shortestCycle(graph, scc))).append('\n');
      for (String from : new TreeSet<>(scc)) {
        deps.edges.getOrDefault(from, Map.of()).forEach((to, where) -> {
          if (scc.contains(to)) {
            out.append("  ").append(from).append(" → ").append(to).append('\n');
            where.forEach(w -> out.append("      ").append(w).append('\n'));
          }
        });
      }
    }
    return out.toString();
  }

  /** Strongly connected components with more than one package, or a package that reaches itself (Tarjan). */
  static List<Set<String>> cycles(Map<String, Set<String>> graph) {
    Tarjan t = new Tarjan(graph);
    for (String v : graph.keySet()) {
      if (!t.index.containsKey(v)) {
        t.connect(v);
      }
    }
    return t.cycles;
  }

  private static final class Tarjan {
    final Map<String, Set<String>> graph;
    final Map<String, Integer> index = new HashMap<>();
    final Map<String, Integer> low = new HashMap<>();
    final Deque<String> stack = new ArrayDeque<>();
    final Set<String> onStack = new TreeSet<>();
    final List<Set<String>> cycles = new ArrayList<>();

    Tarjan(Map<String, Set<String>> graph) {
      this.graph = graph;
    }

    void connect(String v) {
      index.put(v, index.size());
      low.put(v, index.get(v));
      stack.push(v);
      onStack.add(v);
      for (String w : graph.getOrDefault(v, Set.of())) {
        if (!index.containsKey(w)) {
          connect(w);
          low.put(v, Math.min(low.get(v), low.get(w)));
        } else if (onStack.contains(w)) {
          low.put(v, Math.min(low.get(v), index.get(w)));
        }
      }
      if (low.get(v).equals(index.get(v))) {
        Set<String> scc = new TreeSet<>();
        String w;
        do {
          w = stack.pop();
          onStack.remove(w);
          scc.add(w);
        } while (!w.equals(v));
        if (scc.size() > 1 || graph.getOrDefault(v, Set.of()).contains(v)) {
          cycles.add(scc);
        }
      }
    }
  }

  /** A shortest path from the first package of {@code scc} back to itself, inside {@code scc}. */
  private static List<String> shortestCycle(Map<String, Set<String>> graph, Set<String> scc) {
    String start = new TreeSet<>(scc).first();
    Map<String, String> parent = new HashMap<>();
    Deque<String> queue = new ArrayDeque<>(List.of(start));
    while (!queue.isEmpty()) {
      String v = queue.poll();
      for (String w : graph.getOrDefault(v, Set.of())) {
        if (w.equals(start)) {
          List<String> path = new ArrayList<>(List.of(start));
          for (String p = v; !p.equals(start); p = parent.get(p)) {
            path.add(1, p);
          }
          path.add(start);
          return path;
        }
        if (scc.contains(w) && !parent.containsKey(w)) {
          parent.put(w, v);
          queue.add(w);
        }
      }
    }
    return List.of(start);
  }

  private static Path sourceRoot() {
    for (Path p : List.of(Path.of("src", "main", "java"), Path.of("server", "src", "main", "java"))) {
      Path dir = p.resolve(ROOT.replace('.', '/'));
      if (Files.isDirectory(dir)) {
        return p.toAbsolutePath();
      }
    }
    throw new AssertionError("cannot find server/src/main/java from " + Path.of("").toAbsolutePath());
  }

  /** The dependencies between io.ponte.server packages of every .java file under {@code root}. */
  private static Dependencies scan(Path root) {
    Dependencies deps = new Dependencies();
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path file : files) {
      String source;
      try {
        source = Files.readString(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      String code = codeOnly(source);
      Matcher pkg = PACKAGE.matcher(code);
      if (!pkg.find()) {
        fail(file + " has no package declaration");
      }
      String from = pkg.group(1);
      deps.packages.add(from);
      String[] lines = code.split("\n", -1);
      String[] original = source.split("\n", -1);
      for (int i = 0; i < lines.length; i++) {
        Matcher m = REFERENCE.matcher(lines[i]);
        while (m.find()) {
          String where = root.relativize(file).toString().replace('\\', '/') + ":" + (i + 1) + ": " + original[i].trim();
          deps.add(from, ROOT + m.group(1), where);
        }
      }
    }
    return deps;
  }

  /**
   * {@code source} with comments and the contents of string, text-block and char literals blanked
   * out; line breaks stay where they were, so line numbers still match.
   */
  static String codeOnly(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int n = source.length();
    int i = 0;
    while (i < n) {
      char c = source.charAt(i);
      if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/') {
        while (i < n && source.charAt(i) != '\n') {
          out.append(' ');
          i++;
        }
      } else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*') {
        int end = source.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        blank(source, i, end, out);
        i = end;
      } else if (source.startsWith("\"\"\"", i)) {
        int end = i + 3;
        while (end < n && !source.startsWith("\"\"\"", end)) {
          end += source.charAt(end) == '\\' ? 2 : 1;
        }
        end = Math.min(n, end + 3);
        blank(source, i, end, out);
        i = end;
      } else if (c == '"' || c == '\'') {
        int end = i + 1;
        while (end < n && source.charAt(end) != c && source.charAt(end) != '\n') {
          end += source.charAt(end) == '\\' ? 2 : 1;
        }
        end = Math.min(n, end + 1);
        blank(source, i, end, out);
        i = end;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static void blank(String source, int from, int to, StringBuilder out) {
    for (int j = from; j < to; j++) {
      out.append(source.charAt(j) == '\n' ? '\n' : ' ');
    }
  }
}
