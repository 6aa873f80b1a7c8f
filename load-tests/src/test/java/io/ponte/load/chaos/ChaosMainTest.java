package io.ponte.load.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The chaos soak's options: names, defaults, and durations read like the load generator's. */
class ChaosMainTest {
  private static ChaosMain parse(String... args) {
    CommandLine cl = ChaosMain.commandLine();
    cl.parseArgs(args);
    return cl.getCommand();
  }

  @Test
  void defaults() {
    ChaosMain m = parse();
    assertEquals(1, m.seed);
    assertEquals(Duration.ofMinutes(3), m.duration);
    assertEquals(3, m.rooms);
    assertEquals(4, m.clientsPerRoom);
    assertEquals(4.0, m.rate);
    assertEquals(Duration.ofSeconds(3), m.faultGap);
    assertNull(m.faults);
    assertNull(m.serverClasspath);
    assertFalse(m.sentinel);
    assertFalse(m.plant);
    String usage = ChaosMain.commandLine().getUsageMessage();
    assertTrue(usage.contains("(default 3m)") && usage.contains("(default 3s)"), usage);
  }

  @Test
  void everyOptionByName() {
    ChaosMain m = parse("--seed", "11", "--duration", "20m", "--rooms", "2", "--clients-per-room", "5",
        "--rate", "2.5", "--fault-gap", "500ms", "--faults", "NODE_KILL,PROXY_CUT", "--server-classpath", "cp",
        "--sentinel", "--plant-delete-acked");
    assertEquals(11, m.seed);
    assertEquals(Duration.ofMinutes(20), m.duration);
    assertEquals(2, m.rooms);
    assertEquals(5, m.clientsPerRoom);
    assertEquals(2.5, m.rate);
    assertEquals(Duration.ofMillis(500), m.faultGap);
    assertEquals(List.of(ChaosRun.Fault.NODE_KILL, ChaosRun.Fault.PROXY_CUT), m.faults);
    assertEquals("cp", m.serverClasspath);
    assertTrue(m.sentinel);
    assertTrue(m.plant);
  }

  @Test
  void durationsInEveryUnit() {
    assertEquals(Duration.ofSeconds(90), parse("--duration", "90s").duration);
    assertEquals(Duration.ofSeconds(90), parse("--duration", "90").duration);
    assertEquals(Duration.ofHours(1), parse("--duration", "1h").duration);
    assertEquals(Duration.ofMinutes(2), parse("--duration", " 2m ").duration);
    assertEquals(Duration.ofMillis(250), parse("--fault-gap", "250ms").faultGap);
  }

  @Test
  void aWrongDurationIsRefusedByName() {
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
        () -> parse("--duration", "soon"));
    assertTrue(e.getMessage().contains("--duration") && e.getMessage().contains("not a duration: 'soon'"),
        e.getMessage());
  }
}
