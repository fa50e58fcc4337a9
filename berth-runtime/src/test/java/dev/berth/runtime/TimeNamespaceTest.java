package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.User;
import dev.berth.testkit.Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * linux.timeOffsets: the container's boottime and monotonic clocks run ahead (or behind) the
 * host's.
 */
@ContainerTest(id = "t")
class TimeNamespaceTest {
  static final long DAY = 86400;

  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  @BeforeEach
  void setUp() {
    bundle.namespace("time", null);
  }

  private static double hostUptime() throws Exception {
    return Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
  }

  /**
   * An uptime as /proc/uptime prints it (seconds with two decimals) in hundredths: compared as
   * doubles, an uptime equal to the bound plus the offset could fall a rounding below it.
   */
  private static long hundredths(String uptime) {
    return new java.math.BigDecimal(uptime.strip()).movePointRight(2).longValueExact();
  }

  private static long hostHundredths() throws Exception {
    return hundredths(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
  }

  @Test
  void procUptimeInsideIsBoottimePlusTheOffset() throws Exception {
    bundle
        .linux()
        .put(
            "timeOffsets",
            Bundle.map(
                "boottime",
                Bundle.map("secs", 10 * DAY, "nanosecs", 0),
                "monotonic",
                Bundle.map("secs", DAY, "nanosecs", 500)));
    bundle
        .sh(
            "cut -d' ' -f1 /proc/uptime > /out/uptime; cat /proc/self/timens_offsets > /out/offsets")
        .write();
    long before = hostHundredths();
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.dir()), false, false, null));
    long after = hostHundredths();
    long inside = hundredths(Files.readString(out.resolve("uptime")));
    assertTrue(
        inside >= before + 10 * DAY * 100 && inside <= after + 10 * DAY * 100,
        before + " " + inside + " " + after);
    assertEquals(
        "monotonic 86400 500\nboottime 864000 0\n",
        Files.readString(out.resolve("offsets")).replaceAll("[ ]+", " "));
  }

  @Test
  void execEntersTheSameTimeNamespace() throws Exception {
    bundle
        .linux()
        .put("timeOffsets", Bundle.map("boottime", Bundle.map("secs", 3 * DAY, "nanosecs", 0)));
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    Process base = rt.configuredProcess(id);
    Process p =
        new Process(
            false,
            null,
            new User(0, 0, null, List.of(), ""),
            List.of("sh", "-c", "cut -d' ' -f1 /proc/uptime > /out/exec-uptime"),
            "",
            base.env(),
            "/",
            base.capabilities(),
            base.rlimits(),
            base.noNewPrivileges(),
            "",
            null,
            "");
    assertEquals(0, rt.exec(id, new ExecOptions(p, null, null, 0, false, false), null));
    double inside = Double.parseDouble(Files.readString(out.resolve("exec-uptime")).strip());
    assertTrue(inside >= hostUptime() + 3 * DAY - 5, Double.toString(inside));
  }

  @Test
  void anOffsetTheKernelRefusesFailsAndLeavesNothing() throws Exception {
    // A boottime that would be negative inside: the kernel refuses the offset.
    bundle
        .linux()
        .put(
            "timeOffsets",
            Bundle.map("boottime", Bundle.map("secs", -1000L * 365 * DAY, "nanosecs", 0)));
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(
        e.getMessage().startsWith("linux.timeOffsets: write /proc/self/timens_offsets"),
        e.getMessage());
    assertTrue(e.getMessage().contains("ERANGE"), e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
    assertTrue(rt.list().isEmpty());
  }
}
