package io.ponte.server.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Sentinel setup of a test's own: a master {@code redis-server}, optionally one replica,
 * and one Sentinel ({@code redis-server sentinel.conf --sentinel}) monitoring the master as
 * {@link #MASTER}, each on its own ephemeral port and directory. Close it to kill them all.
 * When it cannot start the tests fail with the reason; they are never skipped.
 */
public final class RedisSentinelFixture implements AutoCloseable {
  /** The master name the Sentinel monitors. */
  public static final String MASTER = "ponte-master";

  private final int masterPort;
  private final int replicaPort;
  private final int sentinelPort;
  private final List<Process> processes;

  private RedisSentinelFixture(int masterPort, int replicaPort, int sentinelPort,
      List<Process> processes) {
    this.masterPort = masterPort;
    this.replicaPort = replicaPort;
    this.sentinelPort = sentinelPort;
    this.processes = processes;
  }

  /** Starts the master, the replica when asked, and the Sentinel; ready when the Sentinel knows them. */
  public static RedisSentinelFixture start(boolean withReplica) {
    List<Process> processes = new ArrayList<>();
    try {
      int master = RedisProcesses.freePort();
      Path masterDir = dir("master");
      processes.add(RedisProcesses.start(masterDir, server(master, masterDir)));
      RedisProcesses.await(master, "PONG", 10_000, processes.get(0), masterDir, "PING");
      int replica = -1;
      if (withReplica) {
        replica = RedisProcesses.freePort();
        Path replicaDir = dir("replica");
        List<String> args = new ArrayList<>(server(replica, replicaDir));
        args.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(master)));
        Process p = RedisProcesses.start(replicaDir, args);
        processes.add(p);
        RedisProcesses.await(replica, "master_link_status:up", 20_000, p, replicaDir,
            "INFO", "replication");
      }
      int sentinel = RedisProcesses.freePort();
      Path sentinelDir = dir("sentinel");
      Path conf = sentinelDir.resolve("sentinel.conf");
      Files.writeString(conf, String.join("\n",
          "port " + sentinel,
          "bind 127.0.0.1",
          "dir " + sentinelDir,
          "sentinel monitor " + MASTER + " 127.0.0.1 " + master + " 1",
          "sentinel down-after-milliseconds " + MASTER + " 2000",
          "sentinel failover-timeout " + MASTER + " 10000",
          ""));
      Process s = RedisProcesses.start(sentinelDir, List.of(conf.toString(), "--sentinel"));
      processes.add(s);
      RedisProcesses.await(sentinel, Integer.toString(master), 10_000, s, sentinelDir,
          "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER);
      if (withReplica) {
        RedisProcesses.await(sentinel, Integer.toString(replica), 30_000, s, sentinelDir,
            "SENTINEL", "REPLICAS", MASTER);
      }
      return new RedisSentinelFixture(master, replica, sentinel, processes);
    } catch (IOException | RuntimeException e) {
      processes.forEach(RedisProcesses::kill);
      throw new IllegalStateException("cannot start the Redis Sentinel setup: " + e.getMessage(), e);
    }
  }

  private static Path dir(String role) throws IOException {
    return Files.createTempDirectory("ponte-redis-sentinel-" + role + "-");
  }

  private static List<String> server(int port, Path dir) {
    return List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", dir.toString());
  }

  /** The Sentinel's URL (what redis-url lists in sentinel mode). */
  public String sentinelUrl() {
    return "redis://127.0.0.1:" + sentinelPort;
  }

  /** The setup as the broker and presence reach it. */
  public RedisTarget target() {
    return RedisTarget.sentinel(List.of(sentinelUrl()), MASTER);
  }

  public int masterPort() {
    return masterPort;
  }

  /** The replica's port; -1 without one. */
  public int replicaPort() {
    return replicaPort;
  }

  /** The port of the master as the Sentinel names it now. */
  public int currentMasterPort() {
    String[] answer = RedisProcesses.cli(sentinelPort, "SENTINEL", "GET-MASTER-ADDR-BY-NAME",
        MASTER).strip().split("\\s+");
    return Integer.parseInt(answer[answer.length - 1]);
  }

  /**
   * The master dies: waits until the replica has every write of the master, kills the master
   * (SIGKILL), and waits until the Sentinel has promoted the replica.
   */
  public void killMasterAndAwaitFailover() {
    if (replicaPort < 0) {
      throw new IllegalStateException("no replica to fail over to");
    }
    RedisProcesses.cli(masterPort, "WAIT", "1", "10000");
    RedisProcesses.kill(processes.get(0));
    long deadline = System.currentTimeMillis() + 60_000;
    while (currentMasterPort() != replicaPort) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the Sentinel did not promote the replica within 60 s");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    RedisProcesses.await(replicaPort, "role:master", 30_000, null, null, "INFO", "replication");
  }

  /** Runs a command on one of the processes through redis-cli. */
  public String cli(int port, String... command) {
    return RedisProcesses.cli(port, command);
  }

  @Override
  public void close() {
    processes.forEach(RedisProcesses::kill);
  }
}
