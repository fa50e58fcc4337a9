package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.HugepageLimit;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Pids;
import dev.berth.spec.runtime.Resources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cgroup manager contract on the v1 manager on the real host (legacy or hybrid), and what only
 * v1 does: each controller's own files, the tracking cgroup2 directory of a hybrid host, the v1
 * freezer's states.
 */
class CgroupV1IntegrationTest extends CgroupManagerContract {
  CgroupLayout layout;

  @BeforeEach
  void v1Host() throws Exception {
    layout = CgroupLayout.current();
    assumeTrue(
        layout.mode() != Cgroups.Mode.UNIFIED, "needs cgroup v1 controllers; this host is unified");
  }

  @Override
  CgroupManager manager(String cgroupsPath) throws IOException {
    return host.track(Cgroups.forContainer(cgroupsPath, host.id));
  }

  CgroupManager created(String cgroupsPath) throws Exception {
    CgroupManager cg = manager(cgroupsPath);
    cg.create();
    return cg;
  }

  static String read(Map<String, String> paths, String controller, String file) throws Exception {
    return Files.readString(Path.of(paths.get(controller), file)).trim();
  }

  @Test
  void limitsAreWrittenWhereTheKernelReadsThem() throws Exception {
    CgroupManager cg = created(null);
    Map<String, String> paths = cg.paths();
    for (String dir : paths.values()) assertTrue(Files.isDirectory(Path.of(dir)), dir);
    // Below the caller's own cgroup in each hierarchy, as runc places it.
    for (CgroupLayout.Hierarchy h : layout.v1()) {
      if (!h.controllers().contains("memory")) continue;
      Path own = h.mountPoint().resolve(h.own().substring(1));
      assertEquals(own.resolve(host.id), Path.of(paths.get("memory")));
    }
    cg.apply(
        new Resources(
            List.of(),
            new Memory(64 * MiB, 32 * MiB, 128 * MiB, null, null, null, null, null, null),
            new Cpu(512L, 20000L, null, 100000L, null, null, "0", "0", null),
            new Pids(32),
            null,
            List.of(),
            null,
            Map.of()));
    assertEquals(Long.toString(64 * MiB), read(paths, "memory", "memory.limit_in_bytes"));
    assertEquals(Long.toString(32 * MiB), read(paths, "memory", "memory.soft_limit_in_bytes"));
    if (Files.exists(Path.of(paths.get("memory"), "memory.memsw.limit_in_bytes"))) {
      assertEquals(Long.toString(128 * MiB), read(paths, "memory", "memory.memsw.limit_in_bytes"));
    }
    assertEquals("512", read(paths, "cpu", "cpu.shares"));
    assertEquals("20000", read(paths, "cpu", "cpu.cfs_quota_us"));
    assertEquals("100000", read(paths, "cpu", "cpu.cfs_period_us"));
    assertEquals("0", read(paths, "cpuset", "cpuset.cpus"));
    assertEquals("0", read(paths, "cpuset", "cpuset.mems"));
    assertEquals("32", read(paths, "pids", "pids.max"));
    List<String> devices = List.of(read(paths, "devices", "devices.list").split("\n"));
    assertFalse(devices.contains("a *:* rwm"), "device access is confined: " + devices);
    assertTrue(devices.contains("c 1:3 rwm"), "/dev/null is allowed: " + devices);

    // update: lowering memory below memory+swap works in either order.
    cg.apply(
        new Resources(
            List.of(),
            new Memory(16 * MiB, null, 24 * MiB, null, null, null, null, null, null),
            null,
            null,
            null,
            List.of(),
            null,
            Map.of()));
    assertEquals(Long.toString(16 * MiB), read(paths, "memory", "memory.limit_in_bytes"));
  }

  @Test
  void processesAreTrackedInCgroup2TooAndFrozenByTheV1Freezer() throws Exception {
    CgroupManager cg = created(null);
    cg.apply(new Resources(List.of(), null, null, new Pids(16), null, List.of(), null, Map.of()));
    Process p = host.sleeper();
    int pid = (int) p.pid();
    cg.addProcess(pid);
    assertEquals(List.of(pid), cg.pids());
    String procCgroup = Files.readString(Path.of("/proc/" + pid + "/cgroup"));
    assertTrue(
        procCgroup.contains(":pids:") && procCgroup.contains("/" + host.id + "\n"), procCgroup);
    if (cg.paths().containsKey("")) {
      assertEquals(
          Integer.toString(pid),
          read(cg.paths(), "", "cgroup.procs"),
          "tracked in cgroup2 too (hybrid)");
    }

    cg.freeze();
    assertTrue(cg.isFrozen());
    assertTrue(Cgroups.load(cg.paths()).isFrozen(), "another process sees it paused");
    assertEquals("FROZEN", read(cg.paths(), "freezer", "freezer.state"));
    assertTrue(state(pid).startsWith("D"), "a frozen task sleeps in the freezer: " + state(pid));
    cg.thaw();
    assertFalse(cg.isFrozen());
    assertEquals("THAWED", read(cg.paths(), "freezer", "freezer.state"));

    assertEquals(new Stats.Pids(1, 16), cg.stats().pids());
  }

  static String state(int pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("State:")) return line.substring(6).trim();
    }
    return "";
  }

  @Test
  void aValueTheKernelRefusesNamesFileValueDirectoryAndErrno() throws Exception {
    CgroupManager cg = created(null);
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                cg.apply(
                    new Resources(
                        List.of(),
                        null,
                        new Cpu(null, null, null, null, null, null, "1-0", null, null),
                        null,
                        null,
                        List.of(),
                        null,
                        Map.of())));
    assertEquals(
        "write cpuset.cpus=1-0 in " + cg.paths().get("cpuset") + ": EINVAL", e.getMessage());
    assertEquals("EINVAL", e.errno());
  }

  @Test
  void hugetlbLimitsReachTheCgroup2HierarchyOnAHybridHost() throws Exception {
    CgroupLayout.Hierarchy unified = layout.unified();
    assumeTrue(layout.mode() == Cgroups.Mode.HYBRID, "hybrid host only");
    assumeTrue(
        layout.v1().stream().noneMatch(h -> h.controllers().contains("hugetlb")),
        "hugetlb is v1 here");
    Path root = unified.mountPoint();
    assumeTrue(
        Files.readString(root.resolve("cgroup.controllers")).contains("hugetlb"),
        "no v2 hugetlb either");
    assumeTrue(unified.own().equals("/"), "needs to delegate from the cgroup2 root");
    List<String> sizes = ResourceValues.hugePageSizes(Cgroups.SYS_HUGEPAGES);
    assumeTrue(!sizes.isEmpty(), "no huge pages");
    host.restoreDelegation(root);
    CgroupManager cg = created(null);
    cg.apply(
        new Resources(
            List.of(),
            null,
            null,
            null,
            null,
            List.of(new HugepageLimit(sizes.getFirst(), 0)),
            null,
            Map.of()));
    assertEquals("0", read(cg.paths(), "", "hugetlb." + sizes.getFirst() + ".max"));
  }
}
