package io.ponte.server.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster for the tests, one per test JVM: three masters (no replicas), each a local
 * {@code redis-server --cluster-enabled yes} on its own ephemeral ports and directory, joined
 * with {@code redis-cli --cluster create} and ready once every node reports
 * {@code cluster_state:ok}. Killed when the JVM exits. When it cannot start the tests fail with
 * the reason; they are never skipped.
 */
public final class RedisClusterFixture {
  private static RedisClusterFixture instance;

  private final List<Integer> ports;

  private RedisClusterFixture(List<Integer> ports) {
    this.ports = List.copyOf(ports);
  }

  /** The shared cluster, started on first use. */
  public static synchronized RedisClusterFixture get() {
    if (instance == null) {
      instance = start(3);
    }
    return instance;
  }

  /** The nodes' ports. */
  public List<Integer> ports() {
    return ports;
  }

  /** Seed URLs of every node. */
  public List<String> urls() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).toList();
  }

  /** The cluster as the broker and presence reach it. */
  public RedisTarget target() {
    return RedisTarget.cluster(urls());
  }

  /** The port of the master owning the slot, as the first node sees it ({@code CLUSTER NODES}). */
  public int portOfSlot(int slot) {
    String nodes = RedisProcesses.cli(ports.get(0), "CLUSTER", "NODES");
    for (String line : nodes.split("\n")) {
      String[] f = line.strip().split(" ");
      if (f.length < 9 || !f[2].contains("master")) {
        continue;
      }
      for (int i = 8; i < f.length; i++) {
        String range = f[i];
        if (range.startsWith("[")) {
          continue; // a slot being migrated
        }
        int dash = range.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
        int to = Integer.parseInt(dash < 0 ? range : range.substring(dash + 1));
        if (slot >= from && slot <= to) {
          String addr = f[1];
          return Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1, addr.indexOf('@')));
        }
      }
    }
    throw new IllegalStateException("no master owns slot " + slot + ": " + nodes);
  }

  /** Runs a command on one node through redis-cli and returns its output. */
  public String cli(int port, String... command) {
    return RedisProcesses.cli(port, command);
  }

  private static RedisClusterFixture start(int masters) {
    List<Integer> ports = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < masters; i++) {
      int port = RedisProcesses.freePort();
      int bus = RedisProcesses.freePort();
      Path dir;
      try {
        dir = Files.createTempDirectory("ponte-redis-cluster-");
      } catch (IOException e) {
        throw new IllegalStateException("cannot create a directory for redis-server", e);
      }
      processes.add(RedisProcesses.start(dir, List.of("--port", Integer.toString(port),
          "--cluster-port", Integer.toString(bus), "--bind", "127.0.0.1",
          "--cluster-enabled", "yes", "--cluster-config-file", dir.resolve("nodes.conf").toString(),
          "--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no",
          "--dir", dir.toString())));
      ports.add(port);
      dirs.add(dir);
      addresses.add("127.0.0.1:" + port);
    }
    for (int i = 0; i < masters; i++) {
      RedisProcesses.await(ports.get(i), "PONG", 10_000, processes.get(i), dirs.get(i), "PING");
    }
    List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    create.addAll(addresses);
    create.add("--cluster-yes");
    RedisProcesses.run(create, 120);
    for (int i = 0; i < masters; i++) {
      RedisProcesses.await(ports.get(i), "cluster_state:ok", 60_000, processes.get(i), dirs.get(i),
          "CLUSTER", "INFO");
      RedisProcesses.await(ports.get(i), "cluster_known_nodes:" + masters, 60_000,
          processes.get(i), dirs.get(i), "CLUSTER", "INFO");
    }
    return new RedisClusterFixture(ports);
  }
}
