package dev.berth.runtime.cgroups;

import static dev.berth.runtime.cgroups.RecordingFiles.cgroup;
import static dev.berth.runtime.cgroups.RecordingFiles.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.runtime.BlockIO;
import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.HugepageLimit;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Pids;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.ThrottleDevice;
import dev.berth.spec.runtime.WeightDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class V2ResourcesTest {
  @TempDir Path root;
  final RecordingFiles io = new RecordingFiles();
  Path dir;
  Path hugepages;

  @BeforeEach
  void fakeCgroup() throws Exception {
    dir =
        cgroup(
            root.resolve("c1"),
            "cgroup.controllers",
            "memory.max",
            "memory.low",
            "memory.swap.max",
            "memory.current",
            "cpu.weight",
            "cpu.max",
            "cpu.max.burst",
            "cpu.idle",
            "cpuset.cpus",
            "cpuset.mems",
            "pids.max",
            "io.weight",
            "io.max",
            "hugetlb.2MB.max",
            "memory.high");
    set(dir, "cgroup.controllers", "cpuset cpu io memory hugetlb pids");
    hugepages = Files.createDirectories(root.resolve("sys/hugepages/hugepages-2048kB")).getParent();
  }

  void apply(Resources r) throws Exception {
    new V2Resources(io, dir, hugepages).apply(r);
  }

  @Test
  void v1ShapedValuesAreConverted() throws Exception {
    Map<String, String> unified = new LinkedHashMap<>();
    unified.put("memory.high", "300000");
    apply(
        new Resources(
            List.of(),
            new Memory(200000L, 100000L, 500000L, null, null, null, null, null, null),
            new Cpu(1024L, 20000L, null, 100000L, null, null, "0", "0", null),
            new Pids(-1),
            null,
            List.of(new HugepageLimit("2MB", 0)),
            null,
            unified));
    assertEquals(
        List.of(
            "pids.max=max",
            "memory.swap.max=300000",
            "memory.max=200000",
            "memory.low=100000",
            "cpu.weight=39",
            "cpu.max=20000 100000",
            "cpuset.cpus=0",
            "cpuset.mems=0",
            "hugetlb.2MB.max=0",
            "memory.high=300000"),
        io.writes);
  }

  @Test
  void ioWeightAndThrottles() throws Exception {
    apply(
        new Resources(
            List.of(),
            null,
            null,
            null,
            new BlockIO(
                500,
                null,
                List.of(new WeightDevice(8, 0, 1000, null)),
                List.of(new ThrottleDevice(8, 0, 1048576)),
                List.of(new ThrottleDevice(8, 0, 0)),
                List.of(),
                List.of(new ThrottleDevice(8, 16, 300))),
            List.of(),
            null,
            Map.of()));
    assertEquals(
        List.of(
            "io.weight=4950",
            "io.weight=8:0 10000",
            "io.max=8:0 rbps=1048576",
            "io.max=8:0 wbps=max",
            "io.max=8:16 wiops=300"),
        io.writes);
  }

  @Test
  void aBurstAboveTheOldQuotaIsRetriedAfterTheNewQuota() throws Exception {
    io.failOnce("cpu.max.burst", "EINVAL");
    apply(
        new Resources(
            List.of(),
            null,
            new Cpu(null, 50000L, 40000L, 100000L, null, null, null, null, null),
            null,
            null,
            List.of(),
            null,
            Map.of()));
    assertEquals(List.of("cpu.max=50000 100000", "cpu.max.burst=40000"), io.writes);
  }

  @Test
  void anIdleCgroupKeepsItsWeight() throws Exception {
    apply(
        new Resources(
            List.of(),
            null,
            new Cpu(2048L, null, null, null, null, null, null, null, 1L),
            null,
            null,
            List.of(),
            null,
            Map.of()));
    assertEquals(List.of("cpu.idle=1"), io.writes);
  }

  @Test
  void aControllerTheParentDoesNotDelegateIsNamedBeforeAnyWrite() throws Exception {
    set(dir, "cgroup.controllers", "cpu");
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                apply(
                    new Resources(
                        List.of(),
                        null,
                        new Cpu(1024L, null, null, null, null, null, null, null, null),
                        new Pids(10),
                        null,
                        List.of(),
                        null,
                        Map.of())));
    assertEquals(
        "linux.resources.pids: the pids controller is not enabled for "
            + dir
            + " (cgroup.controllers: cpu);"
            + " enable it in the parent's cgroup.subtree_control",
        e.getMessage());
    assertEquals(List.of(), io.writes);
  }

  @Test
  void realtimeIsRefused() {
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                apply(
                    new Resources(
                        List.of(),
                        null,
                        new Cpu(null, null, null, null, 1000L, 10000L, null, null, null),
                        null,
                        null,
                        List.of(),
                        null,
                        Map.of())));
    assertTrue(
        e.getMessage().startsWith("linux.resources.cpu.realtimeRuntime/realtimePeriod:"),
        e.getMessage());
  }

  @Test
  void unifiedKeysCannotLeaveTheDirectory() {
    for (String key : new String[] {"../memory.max", "a/b", "..", "max", ""}) {
      CgroupException e =
          assertThrows(
              CgroupException.class,
              () ->
                  apply(
                      new Resources(
                          List.of(), null, null, null, null, List.of(), null, Map.of(key, "1"))));
      assertTrue(
          e.getMessage()
              .startsWith("linux.resources.unified[\"" + key + "\"]: must be a cgroup file name"),
          e.getMessage());
    }
    assertEquals(List.of(), io.writes);
  }

  @Test
  void aUnifiedFileThatDoesNotExistNamesItsController() {
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                apply(
                    new Resources(
                        List.of(),
                        null,
                        null,
                        null,
                        null,
                        List.of(),
                        null,
                        Map.of("rdma.max", "mlx4_0 hca_handle=2"))));
    assertEquals(
        "linux.resources.unified[\"rdma.max\"]: no such file in "
            + dir
            + " (is the rdma controller "
            + "enabled?)",
        e.getMessage());
  }

  @Test
  void controllersAreDelegatedDownFromTheHierarchyRoot() throws Exception {
    Path top = cgroup(root.resolve("fs"), "cgroup.controllers", "cgroup.subtree_control");
    set(top, "cgroup.controllers", "cpu memory pids");
    Path mid = cgroup(top.resolve("mid"), "cgroup.controllers", "cgroup.subtree_control");
    set(mid, "cgroup.controllers", "cpu memory");
    set(mid, "cgroup.subtree_control", "cpu");
    V2Resources.enableControllers(io, mid.resolve("c1"), null);
    assertEquals(
        List.of("cgroup.subtree_control=+cpu +memory +pids", "cgroup.subtree_control=+memory"),
        io.writes);
  }

  @Test
  void aRefusedDelegationFallsBackToOneControllerAtATime() throws Exception {
    Path top = cgroup(root.resolve("fs"), "cgroup.controllers", "cgroup.subtree_control");
    set(top, "cgroup.controllers", "cpu memory");
    io.failOnce("cgroup.subtree_control", "EBUSY");
    V2Resources.enableControllers(io, top.resolve("c1"), null);
    assertEquals(
        List.of("cgroup.subtree_control=+cpu", "cgroup.subtree_control=+memory"), io.writes);
  }
}
