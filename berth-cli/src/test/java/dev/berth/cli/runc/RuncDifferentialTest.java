package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same bundle run by runc and by berth-runc must look the same from inside: each probe prints
 * what a workload can observe, normalised only where the values are per-run (mount ids, device
 * numbers, the container id).
 */
@RequiresCommand("runc")
class RuncDifferentialTest {
  @TempDir Path tmp;

  static final String[] PROBES = {
    "grep -E '^(Cap|NoNewPrivs|Seccomp:|Uid|Gid|Groups)' /proc/self/status",
    "cat /proc/self/mountinfo",
    "cat /proc/self/limits",
    "hostname; cat /proc/sys/kernel/domainname",
    "env | sort",
    "id",
    "ls -ln /dev /dev/pts /dev/shm /dev/mqueue",
    "cat /proc/self/cgroup",
    "ls -l /sys/fs/cgroup",
    "stat -c '%n %a' /proc/kcore /proc/sys /proc/acpi 2>&1; true",
    "cat /proc/self/stat | cut -d' ' -f4-8; umask; pwd; ls /proc/self/fd",
  };

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void probeLooksTheSame(int probe) {
    String berth = BerthRunc.launcher().toString();
    String script = PROBES[probe];
    String a = observe("runc", script);
    String b = observe(berth, script);
    assertEquals(a, b, "probe: " + script);
  }

  /**
   * A cwd the rootfs lacks is made, as runc makes it: root's, 0755, even for another user and under
   * a read-only root.
   */
  @Test
  void aMissingCwdIsMadeAsRuncMakesIt() {
    String berth = BerthRunc.launcher().toString();
    String script = "pwd; stat -c '%n %u:%g %a' /made /made/here; touch /made/x 2>&1 | wc -l";
    java.util.function.Consumer<Bundle> edit =
        b -> {
          b.process().put("cwd", "/made/./here");
          b.process().put("user", Bundle.map("uid", 1000, "gid", 1000));
          b.config().put("root", Bundle.map("path", "rootfs", "readonly", true));
        };
    String a = observe("runc", script, edit);
    assertEquals("/made/here\n/made 0:0 755\n/made/here 0:0 755\n1\n", a);
    assertEquals(a, observe(berth, script, edit));
  }

  /**
   * A capability name neither runtime knows (runtime-tools' process_capabilities_fail asks for
   * CAP_TEST): runc warns, leaves it out and runs the container with the rest; so does berth-runc.
   */
  @Test
  void anUnknownCapabilityIsLeftOutWithAWarningAsRuncDoes() {
    String berth = BerthRunc.launcher().toString();
    String script = "grep CapBnd /proc/self/status";
    java.util.function.Consumer<Bundle> edit =
        b -> {
          List<String> set = List.of("CAP_KILL", "CAP_TEST");
          b.process()
              .put(
                  "capabilities",
                  Bundle.map(
                      "bounding", set, "effective", set, "permitted", set, "inheritable", set));
        };
    String a = observe("runc", script, edit);
    assertEquals("CapBnd:\t0000000000000020\n", a);
    assertEquals(a, observe(berth, script, edit));
    Path dir = tmp.resolve("warn");
    Bundle bundle = Bundle.busybox(dir.resolve("bundle")).sh("true");
    edit.accept(bundle);
    bundle.write();
    Exec.Result r =
        BerthRunc.run(
            berth, bundle.dir(), "--root", dir.resolve("state").toString(), "run", "warn");
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(
        r.stderr().contains("ignoring unknown or unavailable capabilities: [CAP_TEST]"),
        r.stderr());
  }

  private String observe(String runtime, String script) {
    return observe(runtime, script, b -> {});
  }

  private String observe(String runtime, String script, java.util.function.Consumer<Bundle> edit) {
    Path dir = tmp.resolve(runtime.equals("runc") ? "runc" : "berth");
    Bundle bundle = Bundle.busybox(dir.resolve("bundle")).sh(script);
    edit.accept(bundle);
    bundle.write();
    String id = "diff" + ProcessHandle.current().pid();
    Exec.Result r =
        BerthRunc.run(runtime, bundle.dir(), "--root", dir.resolve("state").toString(), "run", id);
    if (r.exitCode() != 0) throw new AssertionError(runtime + " failed: " + r);
    return normalise(r.stdout(), id, dir);
  }

  private static final Pattern MOUNT_IDS = Pattern.compile("(?m)^\\d+ \\d+ \\d+:\\d+ ");

  static String normalise(String s, String id, Path dir) {
    s = MOUNT_IDS.matcher(s).replaceAll("M M D:D ");
    s = s.replace(dir.toString(), "<dir>").replace(id, "<id>");
    // Timestamps in ls -l and sizes that differ with timing.
    s = s.replaceAll("(?m)(\\w{3} +\\d+ \\d\\d:\\d\\d)", "<time>");
    return s;
  }
}
