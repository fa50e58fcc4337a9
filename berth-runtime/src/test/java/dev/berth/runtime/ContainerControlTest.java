package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Pids;
import dev.berth.spec.runtime.Resources;
import dev.berth.testkit.Bundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * pause, resume, update, stats and events on real containers, checked through the kernel's own
 * files.
 */
@ContainerTest(id = "ctl", out = false)
class ContainerControlTest {
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  private int startSleeper() throws ContainerException {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    return rt.state(id).pid();
  }

  private static char procState(int pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("State:")) return line.substring(6).trim().charAt(0);
    }
    throw new AssertionError("no State line for " + pid);
  }

  /**
   * The state once the process had a moment to reach its sleep (a fresh or thawed task is briefly
   * runnable).
   */
  private static char settledState(int pid) throws Exception {
    char c = procState(pid);
    for (int i = 0; i < 100 && c == 'R'; i++) {
      Thread.sleep(10);
      c = procState(pid);
    }
    return c;
  }

  private String cgroupFile(String controller, String file) throws IOException {
    return Files.readString(Path.of(rt.dir(id).read().cgroupPaths().get(controller), file)).trim();
  }

  @Test
  void pauseFreezesEveryProcessAndResumeThawsThem() throws Exception {
    int pid = startSleeper();
    assertEquals('S', settledState(pid));
    rt.pause(id);
    assertEquals(Status.PAUSED, rt.state(id).status());
    // A frozen task sleeps uninterruptibly in the freezer (v1) until thawed.
    assertEquals('D', procState(pid));
    ContainerException again = assertThrows(ContainerException.class, () -> rt.pause(id));
    assertEquals("container not running", again.getMessage());
    rt.resume(id);
    assertEquals(Status.RUNNING, rt.state(id).status());
    assertEquals('S', settledState(pid));
    ContainerException notPaused = assertThrows(ContainerException.class, () -> rt.resume(id));
    assertEquals("container not paused", notPaused.getMessage());
  }

  @Test
  void aCreatedContainerCanBePausedAndResumedAsInRunc() throws Exception {
    bundle.args("sleep", "60").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.pause(id);
    assertEquals(Status.PAUSED, rt.state(id).status());
    rt.resume(id);
    assertEquals(Status.CREATED, rt.state(id).status());
  }

  @Test
  void missingOrStoppedContainersAreRefused() throws Exception {
    for (ThrowingCall call :
        List.<ThrowingCall>of(
            () -> rt.pause("nope"),
            () -> rt.resume("nope"),
            () -> rt.update("nope", none()),
            () -> rt.stats("nope"))) {
      ContainerException e = assertThrows(ContainerException.class, call::run);
      assertEquals(ErrorCategory.NOT_FOUND, e.category());
      assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
    bundle.args("true").write();
    rt.run(id, CreateOptions.of(bundle.dir()), false, true, null);
    assertEquals(
        "container not running",
        assertThrows(ContainerException.class, () -> rt.pause(id)).getMessage());
    assertEquals(
        "container not running",
        assertThrows(ContainerException.class, () -> rt.update(id, none())).getMessage());
    assertTrue(
        assertThrows(ContainerException.class, () -> rt.stats(id))
            .getMessage()
            .contains("is not running"));
  }

  interface ThrowingCall {
    void run() throws Exception;
  }

  private static Resources none() {
    return new Resources(List.of(), null, null, null, null, List.of(), null, Map.of());
  }

  @Test
  void updateChangesTheLimitsOfARunningContainerAndKeepsWhatItDoesNotName() throws Exception {
    bundle
        .linux()
        .put(
            "resources",
            Bundle.map(
                "memory",
                Bundle.map("limit", 64L << 20),
                "cpu",
                Bundle.map("shares", 512),
                "devices",
                Bundle.list(
                    Bundle.map(
                        "allow", true, "type", "c", "major", 10, "minor", 229, "access", "rwm"))));
    startSleeper();
    assertEquals(Long.toString(64L << 20), cgroupFile("memory", "memory.limit_in_bytes"));
    rt.update(
        id,
        new Resources(
            List.of(),
            new Memory(96L << 20, null, null, null, null, null, null, null, null),
            null,
            new Pids(42),
            null,
            List.of(),
            null,
            Map.of()));
    assertEquals(Long.toString(96L << 20), cgroupFile("memory", "memory.limit_in_bytes"));
    assertEquals("42", cgroupFile("pids", "pids.max"));
    assertEquals("512", cgroupFile("cpu", "cpu.shares"));
    // A second update that names only cpu leaves the first update's memory limit and pids alone.
    rt.update(
        id,
        new Resources(
            List.of(),
            null,
            new Cpu(1024L, null, null, null, null, null, "", "", null),
            null,
            null,
            List.of(),
            null,
            Map.of()));
    assertEquals("1024", cgroupFile("cpu", "cpu.shares"));
    assertEquals(Long.toString(96L << 20), cgroupFile("memory", "memory.limit_in_bytes"));
    assertEquals("42", cgroupFile("pids", "pids.max"));
    // update rewrites the device rules: the config's own rule must survive it.
    assertTrue(
        cgroupFile("devices", "devices.list").contains("c 10:229 rwm"),
        cgroupFile("devices", "devices.list"));
  }

  @Test
  void updateRefusesAnInvalidValueNamingTheField() throws Exception {
    startSleeper();
    ContainerException e =
        assertThrows(
            ContainerException.class,
            () ->
                rt.update(
                    id,
                    new Resources(
                        List.of(),
                        new Memory(null, null, null, null, null, 200L, null, null, null),
                        null,
                        null,
                        null,
                        List.of(),
                        null,
                        Map.of())));
    assertTrue(e.getMessage().contains("memory.swappiness"), e.getMessage());
  }

  @Test
  void statsReportTheContainersMemoryAndPids() throws Exception {
    startSleeper();
    Stats s = rt.stats(id);
    assertTrue(s.memory().usage().usage() > 0, s.toString());
    assertEquals(1, s.pids().current());
  }

  @Test
  void eventsReportStatsEachIntervalAndEndWhenTheContainerStops() throws Exception {
    bundle.args("sleep", "1").write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    List<Stats> seen = new ArrayList<>();
    long t0 = System.nanoTime();
    rt.events(
        id,
        Duration.ofMillis(200),
        new ContainerRuntime.EventListener() {
          @Override
          public void stats(Stats stats) {
            seen.add(stats);
          }

          @Override
          public void oom() {
            throw new AssertionError("no oom expected");
          }
        });
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(millis < 3000, "events should end with the container, took " + millis + " ms");
    assertTrue(
        seen.size() >= 2 && seen.size() <= 6, "stats every 200ms for about 1s: " + seen.size());
  }

  @Test
  void eventsReportAnOomKill() throws Exception {
    long limit = 16L << 20;
    // memsw at the same limit: the hog cannot escape into swap, so the kernel must kill it.
    bundle
        .linux()
        .put("resources", Bundle.map("memory", Bundle.map("limit", limit, "swap", limit)));
    bundle
        .sh("exec 2>/dev/null; sleep 0.5; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1")
        .write();
    rt.create(id, CreateOptions.of(bundle.dir()));
    rt.start(id);
    int[] ooms = {0};
    rt.events(
        id,
        Duration.ofSeconds(10),
        new ContainerRuntime.EventListener() {
          @Override
          public void stats(Stats stats) {}

          @Override
          public void oom() {
            ooms[0]++;
          }
        });
    assertEquals(1, ooms[0]);
  }

  @Test
  void eventsRefuseAZeroInterval() throws Exception {
    startSleeper();
    assertThrows(ContainerException.class, () -> rt.events(id, Duration.ZERO, null));
  }
}
