package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CgroupLayoutTest {
  /**
   * A hybrid host as Debian 12 mounts it, the caller's memory cgroup nested (this project's test
   * machines).
   */
  static final String HYBRID_CGROUP =
      """
      9:name=systemd:/
      8:pids:/
      7:blkio:/
      6:freezer:/
      5:devices:/
      4:memory:/process_api/c3f8
      3:cpuset:/
      2:cpuacct:/
      1:cpu:/
      0::/
      """;

  static final String HYBRID_MOUNTINFO =
      """
      22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
      31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
      32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
      33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
      34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
      35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
      36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
      37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
      38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
      39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
      40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
      41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
      """;

  /** A systemd host in unified mode, the caller in a login session. */
  static final String UNIFIED_CGROUP = "0::/user.slice/user-1000.slice/session-3.scope\n";

  static final String UNIFIED_MOUNTINFO =
      """
      24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
      29 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
      """;

  /**
   * Inside a Docker container on a v1 host: each mount shows the container's own subtree,
   * cpu,cpuacct co-mounted.
   */
  static final String NESTED_CGROUP =
      """
      12:devices:/docker/abc
      11:cpu,cpuacct:/docker/abc
      10:memory:/docker/abc/inner
      9:net_cls,net_prio:/docker/abc
      8:freezer:/docker/abc
      1:name=systemd:/docker/abc
      """;

  static final String NESTED_MOUNTINFO =
      """
      700 699 0:50 /docker/abc /sys/fs/cgroup/devices ro,nosuid - cgroup cgroup rw,devices
      701 699 0:51 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
      702 699 0:52 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
      703 699 0:53 /docker/abc /sys/fs/cgroup/net_cls,net_prio ro,nosuid - cgroup cgroup rw,net_cls,net_prio
      704 699 0:54 /docker/abc /sys/fs/cgroup/freezer ro,nosuid - cgroup cgroup rw,freezer
      705 699 0:55 /docker/abc /sys/fs/cgroup/systemd ro,nosuid - cgroup cgroup rw,xattr,name=systemd
      """;

  @Test
  void hybridHostWithoutCgroupsPathPutsTheContainerBelowTheCallersCgroupInEveryHierarchy()
      throws Exception {
    CgroupLayout layout = CgroupLayout.parse(HYBRID_CGROUP, HYBRID_MOUNTINFO);
    assertEquals(Cgroups.Mode.HYBRID, layout.mode());
    Map<String, Path> paths = layout.resolve(null, "t1");
    // What runc 1.1.5 records for "t1" on that host, keys in its subsystem order.
    assertEquals(
        List.of(
            "cpuset",
            "devices",
            "memory",
            "cpu",
            "cpuacct",
            "pids",
            "blkio",
            "freezer",
            "name=systemd",
            ""),
        List.copyOf(paths.keySet()));
    assertEquals(Path.of("/sys/fs/cgroup/memory/process_api/c3f8/t1"), paths.get("memory"));
    assertEquals(Path.of("/sys/fs/cgroup/cpu/t1"), paths.get("cpu"));
    assertEquals(Path.of("/sys/fs/cgroup/systemd/t1"), paths.get("name=systemd"));
    assertEquals(Path.of("/sys/fs/cgroup/unified/t1"), paths.get(""));
  }

  @Test
  void relativeCgroupsPathGoesBelowTheCallersCgroup() throws Exception {
    Map<String, Path> paths =
        CgroupLayout.parse(HYBRID_CGROUP, HYBRID_MOUNTINFO).resolve("pods/./p1//c1", "c1");
    assertEquals(Path.of("/sys/fs/cgroup/memory/process_api/c3f8/pods/p1/c1"), paths.get("memory"));
    assertEquals(Path.of("/sys/fs/cgroup/pids/pods/p1/c1"), paths.get("pids"));
  }

  @Test
  void absoluteCgroupsPathIsBelowEachMountPointNotTheCallersCgroup() throws Exception {
    Map<String, Path> paths =
        CgroupLayout.parse(HYBRID_CGROUP, HYBRID_MOUNTINFO).resolve("/default/c1", "c1");
    assertEquals(Path.of("/sys/fs/cgroup/memory/default/c1"), paths.get("memory"));
    assertEquals(Path.of("/sys/fs/cgroup/unified/default/c1"), paths.get(""));
  }

  @Test
  void unifiedHostGetsOneCgroup2Path() throws Exception {
    CgroupLayout layout = CgroupLayout.parse(UNIFIED_CGROUP, UNIFIED_MOUNTINFO);
    assertEquals(Cgroups.Mode.UNIFIED, layout.mode());
    assertEquals(
        Map.of("", Path.of("/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/c1")),
        layout.resolve(null, "c1"));
    assertEquals(
        Map.of("", Path.of("/sys/fs/cgroup/machine.slice/c1")),
        layout.resolve("/machine.slice/c1", "c1"));
  }

  @Test
  void nestedMountRootsAndCoMountedControllers() throws Exception {
    CgroupLayout layout = CgroupLayout.parse(NESTED_CGROUP, NESTED_MOUNTINFO);
    assertEquals(Cgroups.Mode.LEGACY, layout.mode());
    Map<String, Path> paths = layout.resolve(null, "c1");
    // The mount shows /docker/abc at its mount point: our own cgroup is the mount point itself.
    assertEquals(Path.of("/sys/fs/cgroup/devices/c1"), paths.get("devices"));
    assertEquals(Path.of("/sys/fs/cgroup/memory/inner/c1"), paths.get("memory"));
    assertEquals(paths.get("cpu"), paths.get("cpuacct"));
    assertEquals(Path.of("/sys/fs/cgroup/cpu,cpuacct/c1"), paths.get("cpu"));
    assertEquals(Path.of("/sys/fs/cgroup/net_cls,net_prio/c1"), paths.get("net_prio"));
    assertEquals(Path.of("/sys/fs/cgroup/systemd/c1"), paths.get("name=systemd"));
    assertFalse(paths.containsKey(""), "no cgroup2 hierarchy on a legacy host");
    assertFalse(paths.containsKey("pids"), "pids is not mounted");
  }

  @Test
  void callerOutsideTheMountedSubtreeIsAnError() throws Exception {
    CgroupLayout layout =
        CgroupLayout.parse(
            "5:devices:/elsewhere\n",
            "700 699 0:50 /docker/abc /sys/fs/cgroup/devices ro - cgroup cgroup rw,devices\n");
    CgroupException e = assertThrows(CgroupException.class, () -> layout.resolve(null, "c1"));
    assertTrue(
        e.getMessage()
            .contains("/elsewhere is outside the cgroup mounted at /sys/fs/cgroup/devices"),
        e.getMessage());
  }

  @Test
  void pathsThatWouldEscapeOrNameTheRootAreRefused() throws Exception {
    CgroupLayout layout = CgroupLayout.parse(HYBRID_CGROUP, HYBRID_MOUNTINFO);
    assertEquals(
        "linux.cgroupsPath: must not contain \"..\" (../../etc)",
        assertThrows(CgroupException.class, () -> layout.resolve("../../etc", "c1")).getMessage());
    assertThrows(CgroupException.class, () -> layout.resolve("/a/../../b", "c1"));
    assertTrue(
        assertThrows(CgroupException.class, () -> layout.resolve("/", "c1"))
            .getMessage()
            .startsWith("linux.cgroupsPath: must name a cgroup below"));
    assertThrows(CgroupException.class, () -> layout.resolve(null, "a/b"));
    assertThrows(CgroupException.class, () -> layout.resolve(null, ".."));
  }

  @Test
  void mountinfoEscapesAreDecoded() throws Exception {
    CgroupLayout layout =
        CgroupLayout.parse(
            "3:devices:/\n",
            "36 31 0:33 / /mnt/my\\040cgroups/devices rw - cgroup cgroup rw,devices\n");
    assertEquals(Path.of("/mnt/my cgroups/devices/c1"), layout.resolve(null, "c1").get("devices"));
  }

  @Test
  void noCgroupFileSystemIsAnError() {
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () -> CgroupLayout.parse("0::/\n", "22 1 253:1 / / rw - ext4 /dev/vda1 rw\n"));
    assertTrue(e.getMessage().contains("no cgroup file system is mounted"), e.getMessage());
  }

  @Test
  void loadPicksTheDriverFromTheSavedPaths() {
    CgroupManager v2 = Cgroups.load(Map.of("", "/sys/fs/cgroup/c1"));
    assertTrue(v2 instanceof V2CgroupManager);
    assertEquals(Map.of("", "/sys/fs/cgroup/c1"), v2.paths());
    CgroupManager v1 =
        Cgroups.load(Map.of("memory", "/sys/fs/cgroup/memory/c1", "", "/sys/fs/cgroup/unified/c1"));
    assertTrue(v1 instanceof V1CgroupManager);
    assertEquals(2, v1.paths().size());
  }

  @Test
  void aManagerWithNoPathsHasNothingToShow() throws Exception {
    CgroupManager none = Cgroups.load(Map.of());
    assertEquals(List.of(), none.pids());
    assertFalse(none.isFrozen());
    none.destroy();
  }
}
