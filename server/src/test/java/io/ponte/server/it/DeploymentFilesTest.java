package io.ponte.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ponte.server.config.ConfigException;
import io.ponte.server.config.PonteConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files (ops/kubernetes, the Dockerfile, ops/docker/ponte-http) agree with the
 * server: every PONTE_* variable they name is a setting and every setting has its line, the
 * shipped settings pass the server's own validation, ports and probe paths are the server's (and
 * answer on a real node), the image tag is the project's version, and the pieces reference each
 * other correctly. Rendering with {@code kubectl kustomize} is checked where kubectl is installed.
 */
class DeploymentFilesTest {
  private static final Pattern PONTE_VAR = Pattern.compile("PONTE_[A-Z0-9_]+");
  private static final Pattern ENV_LINE = Pattern.compile("^(#\\s*)?(PONTE_[A-Z0-9_]+)=(.*)$");
  private static final String SECRET = "ponte-secrets";
  private static final List<String> OVERLAYS = List.of("overlays/cluster", "overlays/single-node");
  /** Stand-ins for the Secret's values, for validating the settings a pod gets. */
  private static final Map<String, String> SECRET_VALUES = Map.of(
      "PONTE_JWT_SECRET", "k8s-test-secret-0123456789-0123456789-abcdef",
      "PONTE_ADMIN_TOKEN", "k8s-test-admin-token-0123456789",
      "PONTE_REDIS_URL", "redis://redis-master:6379",
      "PONTE_STORE_URL", "jdbc:postgresql://postgresql:5432/ponte?user=ponte&password=x",
      "PONTE_NODE_ID", "ponte-7d9c8b6f5-x2x4q");

  @TempDir
  Path dir;

  // ---------------------------------------------------------------------------------------------
  // Settings

  @Test
  void everyPonteVariableNamedInTheDeploymentFilesIsASetting() throws IOException {
    Set<String> known = new LinkedHashSet<>(settingDefaults().keySet());
    known.add("PONTE_CONFIG");
    Map<String, Set<String>> unknown = new LinkedHashMap<>();
    List<Path> files = new ArrayList<>(deploymentFiles());
    assertTrue(files.size() >= 10, files::toString);
    for (Path file : files) {
      Matcher m = PONTE_VAR.matcher(Files.readString(file));
      while (m.find()) {
        if (!known.contains(m.group())) {
          unknown.computeIfAbsent(root().relativize(file).toString(), k -> new TreeSet<>()).add(m.group());
        }
      }
    }
    assertEquals(Map.of(), unknown, "PONTE_* names that are no setting");
  }

  @Test
  void everySettingHasItsLineWithItsDefault() throws IOException {
    Map<String, String> defaults = settingDefaults();
    EnvFile env = envFile();
    Set<String> fromDeployment = deploymentEnvNames();
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, String> d : defaults.entrySet()) {
      String name = d.getKey();
      boolean inFile = env.set.containsKey(name) || env.commented.containsKey(name);
      if (inFile == fromDeployment.contains(name)) {
        missing.add(name + (inFile ? " (both in ponte.env and deployment.yaml)" : ""));
      }
      if (env.commented.containsKey(name)) {
        String shown = env.commented.get(name);
        String expected = d.getValue().equals("(not set)") || d.getValue().equals("(random)") ? "" : d.getValue();
        assertEquals(expected, shown, name + ": ponte.env shows another default than the server's");
        if (!shown.isEmpty()) {
          try {
            PonteConfig.load(List.of(), Map.of(name, shown));
          } catch (ConfigException e) {
            fail(name + "=" + shown + " does not validate: " + e.getMessage());
          }
        }
      }
    }
    if (!missing.isEmpty()) {
      // A new setting: say what to add, so that keeping the file complete is one paste.
      StringBuilder lines = new StringBuilder();
      for (String line : PonteConfig.helpText().lines().toList()) {
        for (String name : missing) {
          if (line.contains(" " + name + " ")) {
            String d = defaults.get(name);
            lines.append("\n# ").append(line.substring(line.indexOf(d, line.indexOf(name) + name.length()) + d.length()).strip())
                .append("\n# ").append(name).append('=')
                .append(d.equals("(not set)") || d.equals("(random)") ? "" : d).append('\n');
          }
        }
      }
      fail("settings without exactly one line in ops/kubernetes/base/ponte.env (or deployment.yaml): "
          + missing + "; add to ponte.env:\n" + lines);
    }
    for (String name : env.set.keySet()) {
      assertFalse(env.commented.containsKey(name), name + " twice in ponte.env");
    }
  }

  @Test
  void theSettingsEveryPodGetsPassTheServersValidation() throws IOException {
    for (String target : OVERLAYS) {
      Map<String, String> podEnv = podEnvironment(target);
      PonteConfig config;
      try {
        config = PonteConfig.load(List.of(), podEnv);
      } catch (ConfigException e) {
        throw new AssertionError(target + ": the pods' settings do not validate: " + e.getMessage(), e);
      }
      assertEquals(containerPort(), config.httpPort(), target + ": PONTE_HTTP_PORT vs containerPort");
      assertEquals(Path.of(mountPath("data")), config.dataDir(), target + ": data-dir vs the data volume");
    }
    // The cluster shares Redis and PostgreSQL; the single node has neither (SQLite in /data).
    assertTrue(podEnvironment("overlays/cluster").containsKey("PONTE_REDIS_URL"));
    assertTrue(podEnvironment("overlays/cluster").containsKey("PONTE_STORE_URL"));
    assertFalse(podEnvironment("overlays/single-node").containsKey("PONTE_REDIS_URL"));
    assertFalse(podEnvironment("overlays/single-node").containsKey("PONTE_STORE_URL"));
  }

  // ---------------------------------------------------------------------------------------------
  // The manifests

  @Test
  void theDeploymentProbesDrainsAndRunsAsTheServerNeeds() throws IOException {
    Map<String, Object> deployment = base("deployment.yaml");
    assertEquals("Deployment", deployment.get("kind"));
    Map<String, Object> pod = map(at(deployment, "spec", "template", "spec"));
    Map<String, Object> container = ponteContainer(deployment);

    Map<String, Object> port = map(list(container.get("ports")).get(0));
    assertEquals("http", port.get("name"));
    assertEquals(envFile().set.get("PONTE_HTTP_PORT"), String.valueOf(port.get("containerPort")));
    assertEquals(String.valueOf(containerPort()),
        at(deployment, "spec", "template", "metadata", "annotations", "prometheus.io/port"));
    assertEquals("/metrics", at(deployment, "spec", "template", "metadata", "annotations", "prometheus.io/path"));
    assertEquals("/health/ready", at(container, "readinessProbe", "httpGet", "path"));
    assertEquals("/health/live", at(container, "livenessProbe", "httpGet", "path"));
    assertEquals("/health/live", at(container, "startupProbe", "httpGet", "path"));
    for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
      assertEquals("http", at(container, probe, "httpGet", "port"), probe);
    }

    Map<String, String[]> secretRefs = secretRefs(container);
    assertEquals(List.of(SECRET, "jwt-secret"), List.of(secretRefs.get("PONTE_JWT_SECRET")));
    assertEquals(List.of(SECRET, "admin-token"), List.of(secretRefs.get("PONTE_ADMIN_TOKEN")));
    assertEquals(List.of(SECRET, "redis-url"), List.of(secretRefs.get("PONTE_REDIS_URL")));
    assertEquals(List.of(SECRET, "store-url"), List.of(secretRefs.get("PONTE_STORE_URL")));
    assertEquals("ponte-settings", at(container, "envFrom", 0, "configMapRef", "name"));

    // preStop: drain through the admin API, with a fallback; the grace period covers it all.
    List<Object> command = list(at(container, "lifecycle", "preStop", "exec", "command"));
    String script = String.valueOf(command.get(command.size() - 1));
    assertTrue(script.contains("ponte-http POST /admin/drain"), script);
    int preStopMax = 0;
    Matcher waits = Pattern.compile("\\b(?:sleep|timeout) (\\d+)").matcher(script);
    while (waits.find()) {
      preStopMax += Integer.parseInt(waits.group(1));
    }
    assertTrue(preStopMax > 0, script);
    // The drain answers within drain-timeout-ms: the hook must wait longer than that for it.
    Matcher drainWait = Pattern.compile("timeout (\\d+) ponte-http POST /admin/drain").matcher(script);
    assertTrue(drainWait.find(), "preStop bounds the drain with timeout N: " + script);
    int drainTimeoutS = (Integer.parseInt(effectiveSetting("PONTE_DRAIN_TIMEOUT_MS")) + 999) / 1000;
    assertTrue(Integer.parseInt(drainWait.group(1)) >= drainTimeoutS + 5,
        "preStop waits " + drainWait.group(1) + " s for a drain of up to " + drainTimeoutS + " s");
    int shutdownGraceS = (Integer.parseInt(effectiveSetting("PONTE_SHUTDOWN_GRACE_MS")) + 999) / 1000;
    int grace = ((Number) pod.get("terminationGracePeriodSeconds")).intValue();
    assertTrue(grace >= preStopMax + shutdownGraceS + 10,
        "terminationGracePeriodSeconds " + grace + " < preStop " + preStopMax + " s + shutdown "
            + shutdownGraceS + " s + 10 s");

    Map<String, Object> requests = map(at(container, "resources", "requests"));
    assertNotNull(requests.get("cpu"));
    assertNotNull(requests.get("memory"));
    assertEquals(requests.get("memory"), at(container, "resources", "limits", "memory"));

    // Non-root on a read-only root filesystem, with the data directory and /tmp as volumes.
    assertEquals(Boolean.TRUE, at(pod, "securityContext", "runAsNonRoot"));
    assertEquals(Boolean.TRUE, at(container, "securityContext", "readOnlyRootFilesystem"));
    assertEquals("/data", mountPath("data"));
    assertEquals("/tmp", mountPath("tmp"));
  }

  @Test
  void serviceIngressAndDisruptionBudgetReachThePods() throws IOException {
    Map<String, Object> deployment = base("deployment.yaml");
    Map<String, Object> podLabels = map(at(deployment, "spec", "template", "metadata", "labels"));
    assertEquals(podLabels, at(deployment, "spec", "selector", "matchLabels"));

    Map<String, Object> service = base("service.yaml");
    assertEquals("Service", service.get("kind"));
    assertTrue(podLabels.entrySet().containsAll(map(at(service, "spec", "selector")).entrySet()));
    assertEquals("http", at(service, "spec", "ports", 0, "targetPort"));
    assertEquals("http", at(service, "spec", "ports", 0, "name"));

    Map<String, Object> pdb = base("pdb.yaml");
    assertEquals("PodDisruptionBudget", pdb.get("kind"));
    assertEquals(podLabels, at(pdb, "spec", "selector", "matchLabels"));
    assertEquals(1, at(pdb, "spec", "maxUnavailable"));

    Map<String, Object> ingress = base("ingress.yaml");
    assertEquals("Ingress", ingress.get("kind"));
    Map<String, Object> backend = map(at(ingress, "spec", "rules", 0, "http", "paths", 0, "backend", "service"));
    assertEquals(at(service, "metadata", "name"), backend.get("name"));
    assertEquals("http", at(backend, "port", "name"));
    Map<String, Object> annotations = map(at(ingress, "metadata", "annotations"));
    int idleTimeoutS = Integer.parseInt(effectiveSetting("PONTE_IDLE_TIMEOUT_MS")) / 1000;
    for (String timeout : List.of("proxy-read-timeout", "proxy-send-timeout")) {
      Object value = annotations.get("nginx.ingress.kubernetes.io/" + timeout);
      assertNotNull(value, timeout);
      assertTrue(Integer.parseInt(value.toString()) > idleTimeoutS, timeout + " must outlast idle-timeout-ms");
    }
  }

  @Test
  void kustomizationsNameRealFilesAndTheProjectVersion() throws IOException {
    Map<String, Object> base = kustomization("base");
    for (Object resource : list(base.get("resources"))) {
      assertTrue(Files.isRegularFile(k8s().resolve("base").resolve(resource.toString())), resource.toString());
    }
    assertEquals("ponte-server", at(base, "images", 0, "name"));
    assertEquals(projectVersion(), at(base, "images", 0, "newTag"), "image tag vs the pom's version");
    assertEquals("ponte-server", at(ponteContainer(base("deployment.yaml")), "image"));
    assertEquals("ponte-settings", at(base, "configMapGenerator", 0, "name"));
    for (String overlay : OVERLAYS) {
      Map<String, Object> k = kustomization(overlay);
      Path folder = k8s().resolve(overlay);
      for (Object resource : list(k.get("resources"))) {
        assertTrue(Files.exists(folder.resolve(resource.toString()).normalize()), overlay + ": " + resource);
      }
      for (Object patch : list(k.getOrDefault("patches", List.of()))) {
        Path file = folder.resolve(String.valueOf(map(patch).get("path")));
        assertTrue(Files.isRegularFile(file), overlay + ": " + file);
        Map<String, Object> p = yaml(file).get(0);
        assertEquals("ponte", at(p, "metadata", "name"));
        assertEquals("ponte", at(p, "spec", "template", "spec", "containers", 0, "name"));
      }
      for (Object generator : list(k.getOrDefault("configMapGenerator", List.of()))) {
        assertEquals("ponte-settings", map(generator).get("name"), overlay);
        assertEquals("merge", map(generator).get("behavior"), overlay);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The image

  @Test
  void theDockerfileAgreesWithTheManifestsAndThePom() throws IOException {
    String dockerfile = Files.readString(root().resolve("Dockerfile"));
    assertTrue(dockerfile.matches("(?s).*\\nFROM [^\\n]+ AS build\\n.*\\nFROM eclipse-temurin:17-jre\\n.*"), "multi-stage build");
    assertTrue(dockerfile.contains("EXPOSE " + containerPort() + "\n"), "EXPOSE");
    assertTrue(dockerfile.contains("PONTE_HTTP_PORT=" + containerPort()), "PONTE_HTTP_PORT");
    assertTrue(dockerfile.contains("PONTE_DATA_DIR=" + mountPath("data")), "PONTE_DATA_DIR");
    assertTrue(dockerfile.contains("VOLUME [\"" + mountPath("data") + "\", \"" + mountPath("tmp") + "\"]"), "VOLUME");
    assertTrue(dockerfile.contains("org.opencontainers.image.version=\"" + projectVersion() + "\""), "version label");
    assertTrue(dockerfile.contains("docker build -t ponte-server:" + projectVersion() + " ."), "build command");
    Object uid = at(base("deployment.yaml"), "spec", "template", "spec", "securityContext", "runAsUser");
    assertTrue(dockerfile.contains("\nUSER " + uid + ":"), "USER vs runAsUser");
    assertTrue(dockerfile.contains("CMD [\"ponte-http\", \"GET\", \"/health/live\"]"), "HEALTHCHECK");
    assertTrue(dockerfile.contains("COPY ops/docker/ponte-http /usr/local/bin/ponte-http"));
    assertTrue(Files.isExecutable(root().resolve("ops/docker/ponte-http")));
    // The jar the build stage makes is the one the server module names.
    assertTrue(Files.readString(root().resolve("server/pom.xml")).contains("<finalName>ponte-server</finalName>"));
    assertTrue(dockerfile.contains("/src/server/target/ponte-server.jar"));
    assertTrue(Files.readString(root().resolve(".dockerignore")).contains("**/node_modules"));
  }

  /** The probe paths answer on a real node, and ponte-http (HEALTHCHECK, preStop) speaks to it. */
  @Test
  void probePathsAnswerAndPonteHttpTalksToARealNode() throws Exception {
    Map<String, Object> container = ponteContainer(base("deployment.yaml"));
    try (TestServer s = new TestServer(dir)) {
      for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
        String path = String.valueOf(at(container, probe, "httpGet", "path"));
        assertEquals(200, s.http("GET", path, null, null).statusCode(), probe + " " + path);
        assertEquals(0, ponteHttp(s.port(), null, "GET", path), "ponte-http GET " + path);
      }
      assertEquals(200, s.http("GET", "/metrics", null, null).statusCode());
      assertNotEquals(0, ponteHttp(s.port(), null, "GET", "/health/nothing-here"));
      // /admin/ paths carry the admin token from the environment.
      assertEquals(0, ponteHttp(s.port(), TestServer.ADMIN_TOKEN, "GET", "/admin/rooms"));
      assertNotEquals(0, ponteHttp(s.port(), "not-the-admin-token-at-all", "GET", "/admin/rooms"));
      // The preStop hook's call: drains the node, which then is no longer ready.
      assertEquals(0, ponteHttp(s.port(), TestServer.ADMIN_TOKEN, "POST", "/admin/drain"));
      assertEquals(503, s.http("GET", "/health/ready", null, null).statusCode());
    }
    // No node listening: a failure, not a hang.
    assertNotEquals(0, ponteHttp(1, null, "GET", "/health/live"));
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering with the real tool

  @Test
  void overlaysRenderWithKubectlKustomize() throws Exception {
    // CI machines have kubectl: there a missing tool is a failure, never a silent pass.
    if (System.getenv("CI") != null) {
      org.junit.jupiter.api.Assertions.assertTrue(kustomizeAvailable(),
          "CI is set but kubectl with kustomize v4 or later is not on the PATH");
    }
    Assumptions.assumeTrue(kustomizeAvailable(),
        "kubectl with kustomize v4 or later is not on the PATH: rendering not checked here"
            + " (the other tests read the same files directly)");
    for (String target : List.of("base", "overlays/cluster", "overlays/single-node")) {
      List<Map<String, Object>> docs = new ArrayList<>();
      for (Object doc : new Yaml().loadAll(kubectl("kustomize", k8s().resolve(target).toString()))) {
        docs.add(map(doc));
      }
      Map<String, Map<String, Object>> byKind = new HashMap<>();
      for (Map<String, Object> doc : docs) {
        byKind.put(String.valueOf(doc.get("kind")), doc);
      }
      assertEquals(Set.of("ConfigMap", "Service", "Deployment", "Ingress", "PodDisruptionBudget")
              .stream().filter(k -> !byKind.containsKey(k)).toList(), List.of(), target + ": missing kinds");
      Map<String, Object> deployment = byKind.get("Deployment");
      Map<String, Object> container = ponteContainer(deployment);
      assertTrue(String.valueOf(container.get("image")).endsWith("ponte-server:" + projectVersion()), target);
      Map<String, Object> configMap = byKind.get("ConfigMap");
      assertEquals(at(configMap, "metadata", "name"), at(container, "envFrom", 0, "configMapRef", "name"));
      Map<String, String> rendered = new HashMap<>();
      map(configMap.get("data")).forEach((k, v) -> rendered.put(k, String.valueOf(v)));
      for (Object e : list(container.get("env"))) {
        Map<String, Object> entry = map(e);
        if (String.valueOf(entry.get("name")).startsWith("PONTE_")) {
          rendered.put(String.valueOf(entry.get("name")), SECRET_VALUES.get(entry.get("name")));
        }
      }
      if (!target.equals("base")) {
        assertEquals(podEnvironment(target), rendered, target + ": what this test reads vs what kustomize renders");
      }
      PonteConfig.load(List.of(), rendered);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading the files

  private static Path root() {
    for (Path candidate : new Path[] {Path.of(".."), Path.of(".")}) {
      if (Files.isDirectory(candidate.resolve("ops/kubernetes"))) {
        return candidate.toAbsolutePath().normalize();
      }
    }
    throw new AssertionError("ops/kubernetes not found from " + Path.of("").toAbsolutePath());
  }

  private static Path k8s() {
    return root().resolve("ops/kubernetes");
  }

  private static List<Path> deploymentFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(k8s())) {
      walk.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    try (Stream<Path> walk = Files.walk(root().resolve("ops/docker"))) {
      walk.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    files.add(root().resolve("Dockerfile"));
    return files;
  }

  /** PONTE_* variable to its default as the server's help prints it, in table order. */
  private static Map<String, String> settingDefaults() {
    List<String> lines = PonteConfig.helpText().lines().toList();
    String header = lines.stream().filter(l -> l.startsWith("FLAG / FILE KEY")).findFirst().orElseThrow();
    int env = header.indexOf("ENVIRONMENT");
    int def = header.indexOf("DEFAULT");
    int desc = header.indexOf("DESCRIPTION");
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : lines) {
      if (line.startsWith("--") && line.length() > desc) {
        String name = line.substring(env, def).strip();
        if (!name.isEmpty() && !name.equals("PONTE_CONFIG")) {
          out.put(name, line.substring(def, desc).strip());
        }
      }
    }
    Set<String> fromNames = new LinkedHashSet<>();
    for (String name : PonteConfig.settingNames()) {
      fromNames.add("PONTE_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
    assertEquals(fromNames, out.keySet(), "help table vs settingNames()");
    return out;
  }

  private record EnvFile(Map<String, String> set, Map<String, String> commented) {}

  private static EnvFile envFile() throws IOException {
    Map<String, String> set = new LinkedHashMap<>();
    Map<String, String> commented = new LinkedHashMap<>();
    for (String line : Files.readAllLines(k8s().resolve("base/ponte.env"))) {
      Matcher m = ENV_LINE.matcher(line);
      if (m.matches()) {
        Map<String, String> into = m.group(1) == null ? set : commented;
        if (into.putIfAbsent(m.group(2), m.group(3)) != null) {
          fail("ponte.env: " + m.group(2) + " twice");
        }
      } else {
        assertTrue(line.isEmpty() || line.startsWith("# "), "ponte.env: neither a setting nor a comment: " + line);
      }
    }
    return new EnvFile(set, commented);
  }

  /** A setting as the base gives it: set in ponte.env, else the server's default. */
  private static String effectiveSetting(String name) throws IOException {
    String set = envFile().set.get(name);
    return set != null ? set : settingDefaults().get(name);
  }

  private static Set<String> deploymentEnvNames() throws IOException {
    Set<String> names = new LinkedHashSet<>();
    for (Object e : list(ponteContainer(base("deployment.yaml")).get("env"))) {
      names.add(String.valueOf(map(e).get("name")));
    }
    return names;
  }

  /** The PONTE_* environment of a pod of an overlay (ConfigMap, then env), with stand-in secrets. */
  private static Map<String, String> podEnvironment(String overlay) throws IOException {
    Map<String, String> env = new HashMap<>(envFile().set);
    Map<String, Object> k = kustomization(overlay);
    for (Object generator : list(k.getOrDefault("configMapGenerator", List.of()))) {
      for (Object literal : list(map(generator).getOrDefault("literals", List.of()))) {
        String[] kv = literal.toString().split("=", 2);
        env.put(kv[0], kv[1]);
      }
    }
    Set<String> deleted = new LinkedHashSet<>();
    for (Object patch : list(k.getOrDefault("patches", List.of()))) {
      Map<String, Object> p = yaml(k8s().resolve(overlay).resolve(String.valueOf(map(patch).get("path")))).get(0);
      Object patchedEnv = at(p, "spec", "template", "spec", "containers", 0, "env");
      for (Object e : patchedEnv == null ? List.of() : list(patchedEnv)) {
        if ("delete".equals(map(e).get("$patch"))) {
          deleted.add(String.valueOf(map(e).get("name")));
        }
      }
    }
    for (String name : deploymentEnvNames()) {
      if (name.startsWith("PONTE_") && !deleted.contains(name)) {
        env.put(name, SECRET_VALUES.get(name));
      }
    }
    return env;
  }

  private static int containerPort() throws IOException {
    return ((Number) at(ponteContainer(base("deployment.yaml")), "ports", 0, "containerPort")).intValue();
  }

  private static String mountPath(String volume) throws IOException {
    for (Object m : list(ponteContainer(base("deployment.yaml")).get("volumeMounts"))) {
      if (volume.equals(map(m).get("name"))) {
        return String.valueOf(map(m).get("mountPath"));
      }
    }
    throw new AssertionError("no volume mount " + volume);
  }

  private static Map<String, String[]> secretRefs(Map<String, Object> container) {
    Map<String, String[]> out = new HashMap<>();
    for (Object e : list(container.get("env"))) {
      Object ref = at(e, "valueFrom", "secretKeyRef");
      if (ref != null) {
        out.put(String.valueOf(map(e).get("name")),
            new String[] {String.valueOf(map(ref).get("name")), String.valueOf(map(ref).get("key"))});
      }
    }
    return out;
  }

  private static Map<String, Object> ponteContainer(Map<String, Object> deployment) {
    for (Object c : list(at(deployment, "spec", "template", "spec", "containers"))) {
      if ("ponte".equals(map(c).get("name"))) {
        return map(c);
      }
    }
    throw new AssertionError("no container named ponte");
  }

  private static Map<String, Object> base(String file) throws IOException {
    List<Map<String, Object>> docs = yaml(k8s().resolve("base").resolve(file));
    assertEquals(1, docs.size(), file);
    return docs.get(0);
  }

  private static Map<String, Object> kustomization(String folder) throws IOException {
    Map<String, Object> k = yaml(k8s().resolve(folder).resolve("kustomization.yaml")).get(0);
    assertEquals("Kustomization", k.get("kind"), folder);
    return k;
  }

  private static List<Map<String, Object>> yaml(Path file) throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      for (Object doc : new Yaml().loadAll(in)) {
        if (doc != null) {
          docs.add(map(doc));
        }
      }
    }
    return docs;
  }

  private static String projectVersion() {
    try {
      Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(root().resolve("pom.xml").toFile()).getDocumentElement();
      for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
        if (n instanceof Element e && e.getTagName().equals("version")) {
          return e.getTextContent().strip();
        }
      }
    } catch (Exception e) {
      throw new AssertionError("cannot read the root pom.xml", e);
    }
    throw new AssertionError("no <version> in the root pom.xml");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node) {
    assertTrue(node instanceof Map, () -> "not a mapping: " + node);
    return (Map<String, Object>) node;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object node) {
    assertTrue(node instanceof List, () -> "not a list: " + node);
    return (List<Object>) node;
  }

  /** Follows map keys (String) and list indexes (Integer); null when a step is missing. */
  private static Object at(Object node, Object... path) {
    Object cur = node;
    for (Object step : path) {
      if (step instanceof Integer i && cur instanceof List<?> l && i < l.size()) {
        cur = l.get(i);
      } else if (step instanceof String s && cur instanceof Map<?, ?> m) {
        cur = m.get(s);
      } else {
        return null;
      }
    }
    return cur;
  }

  // ---------------------------------------------------------------------------------------------
  // Running tools

  /** Exit status of ops/docker/ponte-http against 127.0.0.1:port. */
  private static int ponteHttp(int port, String adminToken, String method, String path) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", root().resolve("ops/docker/ponte-http").toString(), method, path)
        .redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("PONTE_"));
    pb.environment().put("PONTE_HTTP_PORT", Integer.toString(port));
    pb.environment().put("PONTE_DATA_DIR", "/nonexistent");
    if (adminToken != null) {
      pb.environment().put("PONTE_ADMIN_TOKEN", adminToken);
    }
    Process p = pb.start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("ponte-http " + method + " " + path + " did not finish");
    }
    return p.exitValue();
  }

  private static boolean kustomizeAvailable() {
    try {
      String version = kubectl("version", "--client");
      Matcher m = Pattern.compile("Kustomize Version: v(\\d+)").matcher(version);
      return m.find() && Integer.parseInt(m.group(1)) >= 4;
    } catch (Exception e) {
      return false;
    }
  }

  private static String kubectl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("kubectl");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed");
    }
    return new String(out, StandardCharsets.UTF_8);
  }
}
