package io.ponte.load.chaos;

import io.ponte.load.LoadMain;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The chaos soak's command line: {@code java -cp <load-tests and server classpath>
 * io.ponte.load.chaos.ChaosMain --seed 7 --duration 10m}. Exit status 0: no violation; 1: the
 * checker found violations (printed with the seed to replay); 2: the run itself failed.
 */
@Command(name = "ponte-chaos", mixinStandardHelpOptions = true,
    description = "Chaos soak: 3 Ponte nodes, Redis and PostgreSQL as local processes, faults from a seed,"
        + " then a history checker.")
public final class ChaosMain implements Callable<Integer> {
  @Option(names = "--seed", description = "fault schedule seed (default ${DEFAULT-VALUE})", defaultValue = "1")
  long seed;

  @Option(names = "--duration", description = "time with faults, e.g. 3m, 1h (default ${DEFAULT-VALUE})",
      defaultValue = "3m")
  Duration duration;

  @Option(names = "--rooms", defaultValue = "3", description = "rooms (default ${DEFAULT-VALUE})")
  int rooms;

  @Option(names = "--clients-per-room", defaultValue = "4",
      description = "clients per room: a teacher, students, every other one typing (default ${DEFAULT-VALUE})")
  int clientsPerRoom;

  @Option(names = "--rate", defaultValue = "4", description = "requests per second per client (default ${DEFAULT-VALUE})")
  double rate;

  @Option(names = "--fault-gap", defaultValue = "3s", description = "mean pause between faults (default ${DEFAULT-VALUE})")
  Duration faultGap;

  @Option(names = "--faults", split = ",", description = "fault kinds to draw from (default: all): ${COMPLETION-CANDIDATES}")
  List<ChaosRun.Fault> faults;

  @Option(names = "--server-classpath", description = "classpath of the Ponte server (default: this JVM's)")
  String serverClasspath;

  @Option(names = "--sentinel", description = "Redis through a Sentinel (master, replica; failover faults)")
  boolean sentinel;

  @Option(names = "--plant-delete-acked", description = "delete one acknowledged row after the run, before the check (the checker must fail)")
  boolean plant;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Durations read as the load generator reads them (30s, 2m, 500ms, 1h). */
  static CommandLine commandLine() {
    return new CommandLine(new ChaosMain()).registerConverter(Duration.class, LoadMain::duration);
  }

  @Override
  public Integer call() throws Exception {
    ChaosRun.Options o = new ChaosRun.Options();
    o.seed = seed;
    o.duration = duration;
    o.rooms = rooms;
    o.clientsPerRoom = clientsPerRoom;
    o.rate = rate;
    o.faultGap = faultGap;
    if (faults != null) {
      o.faults = faults;
    }
    if (serverClasspath != null) {
      o.serverClasspath = serverClasspath;
    }
    o.plantDeleteAcked = plant;
    o.sentinel = sentinel;
    try {
      return new ChaosRun(o, System.out).run().result().ok() ? 0 : 1;
    } catch (Exception e) {
      e.printStackTrace();
      return 2;
    }
  }
}
