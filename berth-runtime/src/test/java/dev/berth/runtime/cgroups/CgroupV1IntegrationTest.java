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
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The v1 manager on the real host (legacy or hybrid): files written, processes tracked, frozen, removed. */
@RequiresRoot
class CgroupV1IntegrationTest {
  static final long MiB = 1024 * 1024;

  final CgroupHost host = new CgroupHost();
  CgroupLayout layout;

  @BeforeEach
  void v1Host() throws Exception {
    layout = CgroupLayout.current();
    assumeTrue(layout.mode() != Cgroups.Mode.UNIFIED, "needs cgroup v1 controllers; this host is unified");
  }

  @AfterEach
  void cleanUp() throws Exception {
    host.close();
  }

  CgroupManager created(String cgroupsPath) throws Exception {
    CgroupManager cg = host.track(Cgroups.forContainer(cgroupsPath, host.id));
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
    cg.apply(new Resources(List.of(), new Memory(64 * MiB, 32 * MiB, 128 * MiB, null, null, null, null, null, null),
        new Cpu(512L, 20000L, null, 100000L, null, null, "0", "0", null), new Pids(32), null, List.of(), null,
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
    cg.apply(new Resources(List.of(), new Memory(16 * MiB, null, 24 * MiB, null, null, null, null, null, null), null,
        null, null, List.of(), null, Map.of()));
    assertEquals(Long.toString(16 * MiB), read(paths, "memory", "memory.limit_in_bytes"));
  }

  @Test
  void processesAreTrackedFrozenThawedAndCounted() throws Exception {
    CgroupManager cg = created(null);
    cg.apply(new Resources(List.of(), null, null, new Pids(16), null, List.of(), null, Map.of()));
    Process p = host.sleeper();
    int pid = (int) p.pid();
    cg.addProcess(pid);
    assertEquals(List.of(pid), cg.pids());
    String procCgroup = Files.readString(Path.of("/proc/" + pid + "/cgroup"));
    assertTrue(procCgroup.contains(":pids:") && procCgroup.contains("/" + host.id + "\n"), procCgroup);
    if (cg.paths().containsKey("")) {
      assertEquals(Integer.toString(pid), read(cg.paths(), "", "cgroup.procs"), "tracked in cgroup2 too (hybrid)");
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
    assertFalse(cg.oomKilled());
  }

  @Test
  void statsCountWhatTheContainerUses() throws Exception {
    CgroupManager cg = created(null);
    cg.apply(new Resources(List.of(), new Memory(64 * MiB, null, null, null, null, null, null, null, null), null,
        null, null, List.of(), null, Map.of()));
    // Joins first, then works: the shell keeps 4 MB of output in memory and waits.
    Process p = host.track(new ProcessBuilder("sh", "-c",
        "read go; x=$(head -c 4000000 /dev/zero | tr '\\0' a); echo ${#x}; read wait").start());
    cg.addProcess((int) p.pid());
    p.getOutputStream().write('\n');
    p.getOutputStream().flush();
    assertEquals("4000000", new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine());
    Stats s = cg.stats();
    assertEquals(64 * MiB, s.memory().usage().limit());
    assertTrue(s.memory().usage().usage() > 4_000_000, s.memory().usage().toString());
    assertTrue(s.memory().usage().max() >= s.memory().usage().usage(), s.memory().usage().toString());
    assertTrue(s.cpu().usage().total() > 0, s.cpu().toString());
    assertTrue(s.cpu().usage().total() >= s.cpu().usage().perCpu().stream().mapToLong(Long::longValue).max()
        .orElse(0), s.cpu().toString());
    assertEquals(1, s.pids().current());
  }

  static String state(int pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("State:")) return line.substring(6).trim();
    }
    return "";
  }

  @Test
  void destroyRefusesLiveTasksThenRemovesEveryDirectoryIncludingChildCgroups() throws Exception {
    CgroupManager cg = created(null);
    Process p = host.sleeper();
    cg.addProcess((int) p.pid());
    // The container made a cgroup of its own (as systemd inside a container does) and moved into it.
    Path sub = Path.of(cg.paths().get("devices"), "inner");
    Files.createDirectory(sub);
    Files.writeString(sub.resolve("cgroup.procs"), Long.toString(p.pid()));
    assertEquals(List.of((int) p.pid()), cg.pids(), "ps sees processes in child cgroups");

    long start = System.nanoTime();
    CgroupException busy = assertThrows(CgroupException.class, cg::destroy);
    assertEquals("EBUSY", busy.errno());
    assertTrue(System.nanoTime() - start < 3_000_000_000L, "gives up after about a second, not per hierarchy");
    assertTrue(Files.isDirectory(Path.of(cg.paths().get("memory"))), "a cgroup with tasks stays");

    CgroupHost.kill(p);
    cg.destroy();
    for (String dir : cg.paths().values()) assertFalse(Files.exists(Path.of(dir)), dir + " is gone");
    cg.destroy();
    assertEquals(List.of(), cg.pids());
  }

  @Test
  void absoluteCgroupsPathIsFromTheHierarchyRoot() throws Exception {
    String parent = "/" + host.id + "-parent";
    for (CgroupLayout.Hierarchy h : layout.v1()) host.removeLater(h.mountPoint().resolve(parent.substring(1)));
    if (layout.unified() != null) host.removeLater(layout.unified().mountPoint().resolve(parent.substring(1)));
    CgroupManager cg = created(parent + "/c");
    assertEquals(Path.of("/sys/fs/cgroup/memory" + parent + "/c"), Path.of(cg.paths().get("memory")));
    Process p = host.sleeper();
    cg.addProcess((int) p.pid());
    CgroupHost.kill(p);
    cg.destroy();
    assertFalse(Files.exists(Path.of(cg.paths().get("memory"))));
    assertTrue(Files.isDirectory(Path.of("/sys/fs/cgroup/memory" + parent)), "only the container's own cgroup goes");
  }

  @Test
  void aValueTheKernelRefusesNamesFileValueDirectoryAndErrno() throws Exception {
    CgroupManager cg = created(null);
    CgroupException e = assertThrows(CgroupException.class, () -> cg.apply(new Resources(List.of(), null,
        new Cpu(null, null, null, null, null, null, "1-0", null, null), null, null, List.of(), null, Map.of())));
    assertEquals("write cpuset.cpus=1-0 in " + cg.paths().get("cpuset") + ": EINVAL", e.getMessage());
    assertEquals("EINVAL", e.errno());
  }

  @Test
  void anOomKillIsReported() throws Exception {
    CgroupManager cg = created(null);
    cg.apply(new Resources(List.of(), new Memory(16 * MiB, null, 16 * MiB, null, null, null, null, null, null), null,
        null, null, List.of(), null, Map.of()));
    // Joins first, then eats memory: tail keeps the never-ending "line" of /dev/zero in memory.
    Process p = host.track(new ProcessBuilder("sh", "-c", "read go; exec tail /dev/zero").start());
    cg.addProcess((int) p.pid());
    p.getOutputStream().write('\n');
    p.getOutputStream().flush();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the OOM killer ends it");
    assertEquals(137, p.exitValue(), "killed by SIGKILL");
    assertTrue(cg.oomKilled());
  }

  @Test
  void hugetlbLimitsReachTheCgroup2HierarchyOnAHybridHost() throws Exception {
    CgroupLayout.Hierarchy unified = layout.unified();
    assumeTrue(layout.mode() == Cgroups.Mode.HYBRID, "hybrid host only");
    assumeTrue(layout.v1().stream().noneMatch(h -> h.controllers().contains("hugetlb")), "hugetlb is v1 here");
    Path root = unified.mountPoint();
    assumeTrue(Files.readString(root.resolve("cgroup.controllers")).contains("hugetlb"), "no v2 hugetlb either");
    assumeTrue(unified.own().equals("/"), "needs to delegate from the cgroup2 root");
    List<String> sizes = ResourceValues.hugePageSizes(Cgroups.SYS_HUGEPAGES);
    assumeTrue(!sizes.isEmpty(), "no huge pages");
    host.restoreDelegation(root);
    CgroupManager cg = created(null);
    cg.apply(new Resources(List.of(), null, null, null, null, List.of(new HugepageLimit(sizes.getFirst(), 0)), null,
        Map.of()));
    assertEquals("0", read(cg.paths(), "", "hugetlb." + sizes.getFirst() + ".max"));
  }
}
