package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.runtime.cgroups.devices.DeviceEmulator;
import dev.berth.runtime.cgroups.devices.DeviceFilter;
import dev.berth.runtime.cgroups.devices.DeviceProgram;
import dev.berth.spec.runtime.DeviceRule;
import dev.berth.spec.runtime.Resources;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.RequiresRoot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device programs on a real cgroup2 directory: the whole host on a unified host, the tracking
 * hierarchy at /sys/fs/cgroup/unified on a hybrid one, where the kernel runs them too (before the
 * v1 devices controller). A child shell waits on a fifo until it is in the cgroup, then opens a
 * device and says whether it could.
 */
@RequiresRoot
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CgroupV2DevicesIntegrationTest {
  final CgroupHost host = new CgroupHost();
  @TempDir Path tmp;

  @AfterEach
  void cleanUp() throws Exception {
    host.close();
  }

  Path cgroup2Dir() throws IOException {
    CgroupLayout layout = CgroupLayout.current();
    assumeTrue(layout.unified() != null, "no cgroup2 hierarchy on this host");
    return layout.resolve(null, host.id).get("");
  }

  /**
   * A shell that, each time a line arrives on its fifo, runs {@code open} and prints "ok" or "no"
   * and the error.
   */
  final class Child implements AutoCloseable {
    final Process process;
    final Fd fifo;
    final BufferedReader out;

    Child(String name, String open) throws IOException {
      Path f = tmp.resolve(name);
      Linux.mkfifo(f.toString(), 0600);
      // Read-write: never blocks, and the line written stays in the pipe until the shell opens it
      // to read.
      fifo = Linux.open(f.toString(), LinuxConstants.O_RDWR, 0);
      String script =
          "while read x < \"$0\"; do if " + open + "; then echo ok; else echo no; fi; done";
      process =
          host.track(
              new ProcessBuilder("sh", "-c", script, f.toString())
                  .redirectErrorStream(true)
                  .start());
      out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Lets the shell try once; returns "ok", or what it printed before "no". */
    String attempt() throws IOException {
      Linux.writeAll(fifo, "go\n".getBytes(StandardCharsets.US_ASCII));
      StringBuilder said = new StringBuilder();
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.equals("ok")) return said.isEmpty() ? "ok" : said.toString();
        if (line.equals("no")) return said.toString();
        said.append(line);
      }
      throw new IOException("the child shell exited: " + said);
    }

    @Override
    public void close() {
      CgroupHost.kill(process);
      fifo.close();
    }
  }

  static long[] program(DeviceRule... rules) throws Exception {
    DeviceEmulator e = new DeviceEmulator();
    for (DeviceRule r : rules) e.apply(r, "test");
    return DeviceProgram.compile(e.policy());
  }

  @Test
  void deniedDeviceFailsWithEpermUntilTheProgramIsReplaced() throws Exception {
    Path dir = cgroup2Dir();
    host.removeLater(dir);
    Files.createDirectories(dir);
    DeviceFilter.install(
        dir,
        program(
            new DeviceRule(true, "a", null, null, "rwm"),
            new DeviceRule(false, "c", 1L, 3L, "rw")));
    int[] first = DeviceFilter.attached(dir);
    assertEquals(1, first.length);

    try (Child child = new Child("null", "head -c1 /dev/null")) {
      Files.writeString(dir.resolve("cgroup.procs"), Long.toString(child.process.pid()));
      String denied = child.attempt();
      assertTrue(
          denied.contains("Operation not permitted"),
          "reading /dev/null (c 1:3) is denied: " + denied);

      DeviceFilter.install(dir, program(new DeviceRule(true, "a", null, null, "rwm")));
      int[] second = DeviceFilter.attached(dir);
      assertEquals(1, second.length, "the new program replaced the old one");
      assertNotEquals(first[0], second[0]);
      assertEquals(
          "ok", child.attempt(), "reading /dev/null is allowed once the program is replaced");
    }
  }

  @Test
  void v2ManagerConfinesTheContainerToItsRulesAndTheDefaults() throws Exception {
    Path dir = cgroup2Dir();
    host.restoreDelegation(CgroupLayout.current().unified().mountPoint());
    CgroupManager cg =
        host.track(new V2CgroupManager(CgroupFiles.REAL, dir, Cgroups.SYS_HUGEPAGES));
    cg.create();
    cg.apply(null);
    assertEquals(1, DeviceFilter.attached(dir).length);

    try (Child kmsg = new Child("kmsg", "true </dev/kmsg");
        Child nul = new Child("null", "head -c1 /dev/null")) {
      cg.addProcess((int) kmsg.process.pid());
      cg.addProcess((int) nul.process.pid());
      assertTrue(
          kmsg.attempt().contains("Operation not permitted"),
          "/dev/kmsg is not in the default devices");
      assertEquals("ok", nul.attempt(), "/dev/null is a default device");

      // update, as runc update re-applies the config's rules: now c 1:11 may be read
      cg.apply(
          new Resources(
              List.of(new DeviceRule(true, "c", 1L, 11L, "r")),
              null,
              null,
              null,
              null,
              List.of(),
              null,
              Map.of()));
      assertEquals(1, DeviceFilter.attached(dir).length);
      assertEquals("ok", kmsg.attempt(), "/dev/kmsg may be read once a rule allows it");
    }
  }
}
