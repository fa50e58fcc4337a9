package dev.berth.runtime.cgroups;

import static dev.berth.runtime.cgroups.RecordingFiles.cgroup;
import static dev.berth.runtime.cgroups.RecordingFiles.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.runtime.BlockIO;
import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.DeviceRule;
import dev.berth.spec.runtime.HugepageLimit;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Pids;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.ThrottleDevice;
import dev.berth.spec.runtime.WeightDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class V1ResourcesTest {
  @TempDir Path root;
  final RecordingFiles io = new RecordingFiles();
  final Map<String, Path> paths = new LinkedHashMap<>();
  Path hugepages;

  @BeforeEach
  void fakeHierarchies() throws Exception {
    paths.put("cpuset", cgroup(root.resolve("cpuset/c1"), "cpuset.cpus", "cpuset.mems"));
    paths.put("devices", cgroup(root.resolve("devices/c1"), "devices.allow", "devices.deny"));
    Path memory =
        cgroup(
            root.resolve("memory/c1"),
            "memory.limit_in_bytes",
            "memory.memsw.limit_in_bytes",
            "memory.soft_limit_in_bytes",
            "memory.swappiness",
            "memory.oom_control",
            "memory.usage_in_bytes");
    set(memory, "memory.limit_in_bytes", "9223372036854771712");
    paths.put("memory", memory);
    Path cpu =
        cgroup(
            root.resolve("cpu/c1"),
            "cpu.shares",
            "cpu.cfs_period_us",
            "cpu.cfs_quota_us",
            "cpu.cfs_burst_us",
            "cpu.rt_period_us",
            "cpu.rt_runtime_us",
            "cpu.idle");
    paths.put("cpu", cpu);
    paths.put("cpuacct", cgroup(root.resolve("cpuacct/c1")));
    paths.put("pids", cgroup(root.resolve("pids/c1"), "pids.max"));
    paths.put(
        "blkio",
        cgroup(
            root.resolve("blkio/c1"),
            "blkio.bfq.weight",
            "blkio.bfq.weight_device",
            "blkio.throttle.read_bps_device",
            "blkio.throttle.write_iops_device"));
    paths.put("freezer", cgroup(root.resolve("freezer/c1")));
    hugepages = Files.createDirectories(root.resolve("sys/hugepages/hugepages-2048kB")).getParent();
  }

  void apply(Resources r) throws Exception {
    new V1Resources(io, paths, hugepages).apply(r);
  }

  static Resources with(Memory m, Cpu c, Pids p) {
    return new Resources(List.of(), m, c, p, null, List.of(), null, Map.of());
  }

  static Memory memory(Long limit, Long swap) {
    return new Memory(limit, null, swap, null, null, null, null, null, null);
  }

  /** The writes to files whose name starts with {@code prefix}, in order. */
  List<String> writes(String prefix) {
    List<String> out = new ArrayList<>();
    for (String w : io.writes) if (w.startsWith(prefix)) out.add(w);
    return out;
  }

  @Test
  void growingMemoryRaisesMemoryPlusSwapFirst() throws Exception {
    set(paths.get("memory"), "memory.limit_in_bytes", "100000");
    apply(with(memory(200000L, 400000L), null, null));
    assertEquals(
        List.of("memory.memsw.limit_in_bytes=400000", "memory.limit_in_bytes=200000"),
        writes("memory."));
  }

  @Test
  void shrinkingMemoryLowersTheLimitFirst() throws Exception {
    set(paths.get("memory"), "memory.limit_in_bytes", "1000000");
    apply(with(memory(200000L, 300000L), null, null));
    assertEquals(
        List.of("memory.limit_in_bytes=200000", "memory.memsw.limit_in_bytes=300000"),
        writes("memory."));
  }

  @Test
  void unlimitedMemoryLiftsMemoryPlusSwapToo() throws Exception {
    apply(with(memory(-1L, null), null, null));
    assertEquals(
        List.of("memory.memsw.limit_in_bytes=-1", "memory.limit_in_bytes=-1"), writes("memory."));
  }

  @Test
  void swapIsSkippedWhenTheKernelDoesNotAccountIt() throws Exception {
    Files.delete(paths.get("memory").resolve("memory.memsw.limit_in_bytes"));
    apply(with(memory(200000L, 400000L), null, null));
    assertEquals(List.of("memory.limit_in_bytes=200000"), writes("memory."));
  }

  @Test
  void otherMemorySettings() throws Exception {
    apply(with(new Memory(null, 1000L, null, 5L, null, 30L, true, null, null), null, null));
    assertEquals(
        List.of("memory.soft_limit_in_bytes=1000", "memory.oom_control=1", "memory.swappiness=30"),
        writes("memory."));
  }

  @Test
  void kernelTcpIsAppliedWhereTheKernelHasItAndKernelMemoryIsNot() throws Exception {
    // As runc 1.1: memory.kmem.limit_in_bytes is deprecated and left alone; the TCP buffer limit is
    // written.
    Path memory = paths.get("memory");
    Files.writeString(memory.resolve("memory.kmem.limit_in_bytes"), "");
    Files.writeString(memory.resolve("memory.kmem.tcp.limit_in_bytes"), "");
    apply(
        with(new Memory(null, null, null, 1L << 20, 1L << 21, null, null, null, null), null, null));
    assertEquals(List.of("memory.kmem.tcp.limit_in_bytes=2097152"), writes("memory."));
  }

  @Test
  void kernelTcpOnAKernelWithoutTheFileIsIgnored() throws Exception {
    apply(with(new Memory(null, null, null, null, 1L << 21, null, null, null, null), null, null));
    assertEquals(List.of(), writes("memory."));
  }

  @Test
  void aLimitBelowTheUsageIsRefusedWhenAskedToCheck() throws Exception {
    set(paths.get("memory"), "memory.usage_in_bytes", "5000000");
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                apply(
                    with(
                        new Memory(1000000L, null, null, null, null, null, null, null, true),
                        null,
                        null)));
    assertTrue(
        e.getMessage()
            .startsWith("linux.resources.memory.limit: 1000000 is below the current usage 5000000"),
        e.getMessage());
  }

  @Test
  void swappinessAbove100IsRefusedBeforeAnyWrite() {
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                apply(
                    with(
                        new Memory(100L, null, null, null, null, 200L, null, null, null),
                        null,
                        null)));
    assertEquals("linux.resources.memory.swappiness: must be 0-100 (got 200)", e.getMessage());
    assertEquals(List.of(), io.writes);
  }

  @Test
  void cpuSettingsInTheOrderTheKernelAccepts() throws Exception {
    apply(with(null, new Cpu(512L, 20000L, 1000L, 100000L, 5000L, 1000000L, "0-1", "0", 0L), null));
    assertEquals(List.of("cpuset.cpus=0-1", "cpuset.mems=0"), writes("cpuset."));
    assertEquals(
        List.of(
            "cpu.shares=512",
            "cpu.cfs_period_us=100000",
            "cpu.cfs_quota_us=20000",
            "cpu.cfs_burst_us=1000",
            "cpu.rt_period_us=1000000",
            "cpu.rt_runtime_us=5000",
            "cpu.idle=0"),
        writes("cpu."));
  }

  @Test
  void aPeriodTheKernelRefusesWithTheOldQuotaIsRetriedAfterTheQuota() throws Exception {
    io.failOnce("cpu.cfs_period_us", "EINVAL");
    apply(with(null, new Cpu(null, 5000L, null, 10000L, null, null, null, null, null), null));
    assertEquals(List.of("cpu.cfs_quota_us=5000", "cpu.cfs_period_us=10000"), writes("cpu."));
  }

  @Test
  void sharesTheKernelClampedAreAnError() {
    RecordingFiles clamping =
        new RecordingFiles() {
          @Override
          void write(Path dir, String file, String value) throws java.io.IOException {
            super.write(dir, file, file.equals("cpu.shares") ? "262144" : value);
          }
        };
    CgroupException e =
        assertThrows(
            CgroupException.class,
            () ->
                new V1Resources(clamping, paths, hugepages)
                    .apply(
                        with(
                            null,
                            new Cpu(1000000L, null, null, null, null, null, null, null, null),
                            null)));
    assertEquals(
        "linux.resources.cpu.shares: 1000000 is outside the kernel's range 2-262144 (it set 262144)",
        e.getMessage());
  }

  @Test
  void pidsWithoutALimitIsMax() throws Exception {
    apply(with(null, null, new Pids(0)));
    apply(with(null, null, new Pids(64)));
    assertEquals(List.of("pids.max=max", "pids.max=64"), writes("pids."));
  }

  @Test
  void devicesDenyAllThenTheSpecRulesThenTheDefaults() throws Exception {
    apply(
        new Resources(
            List.of(
                new DeviceRule(false, null, null, null, "rwm"),
                new DeviceRule(true, "c", 10L, 229L, "rw"),
                new DeviceRule(false, "c", 1L, 9L, "w")),
            null,
            null,
            null,
            null,
            List.of(),
            null,
            Map.of()));
    List<String> d = writes("devices.");
    assertEquals(
        List.of(
            "devices.deny=a *:* rwm",
            "devices.deny=a *:* rwm",
            "devices.allow=c 10:229 rw",
            "devices.deny=c 1:9 w"),
        d.subList(0, 4));
    assertTrue(d.contains("devices.allow=c 1:3 rwm"), "/dev/null stays usable: " + d);
    assertTrue(d.contains("devices.allow=c 136:* rwm"), "the console's pts stay usable: " + d);
    assertEquals(4 + ResourceValues.defaultDeviceRules().size(), d.size());
  }

  @Test
  void noResourcesStillConfinesDevices() throws Exception {
    apply(Cgroups.noResources());
    assertEquals("devices.deny=a *:* rwm", io.writes.getFirst());
    assertEquals(1 + ResourceValues.defaultDeviceRules().size(), io.writes.size());
  }

  @Test
  void blkioFallsBackToBfqFilesAndWritesOneRuleAtATime() throws Exception {
    apply(
        new Resources(
            List.of(),
            null,
            null,
            null,
            new BlockIO(
                300,
                null,
                List.of(new WeightDevice(8, 0, 500, null)),
                List.of(new ThrottleDevice(8, 0, 1048576), new ThrottleDevice(8, 16, 2097152)),
                List.of(),
                List.of(),
                List.of(new ThrottleDevice(8, 0, 100))),
            List.of(),
            null,
            Map.of()));
    assertEquals(
        List.of(
            "blkio.bfq.weight=300",
            "blkio.bfq.weight_device=8:0 500",
            "blkio.throttle.read_bps_device=8:0 1048576",
            "blkio.throttle.read_bps_device=8:16 2097152",
            "blkio.throttle.write_iops_device=8:0 100"),
        writes("blkio."));
  }

  @Test
  void aMissingControllerFailsBeforeAnyWrite() {
    paths.remove("pids");
    CgroupException e =
        assertThrows(
            CgroupException.class, () -> apply(with(memory(1000L, null), null, new Pids(5))));
    assertEquals("linux.resources.pids: the pids controller is not mounted", e.getMessage());
    assertEquals(List.of(), io.writes);
  }

  @Test
  void hugePageSizesOfAnotherHostAreRefused() {
    paths.put("hugetlb", root.resolve("hugetlb/c1"));
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
                        List.of(new HugepageLimit("1GB", 0)),
                        null,
                        Map.of())));
    assertEquals(
        "linux.resources.hugepageLimits[0].pageSize: \"1GB\" is not a huge page size of this host (2MB)",
        e.getMessage());
  }

  @Test
  void hugetlbLimitsGoToV1WhenMounted() throws Exception {
    paths.put(
        "hugetlb",
        cgroup(
            root.resolve("hugetlb/c1"),
            "hugetlb.2MB.limit_in_bytes",
            "hugetlb.2MB.rsvd.limit_in_bytes"));
    apply(
        new Resources(
            List.of(),
            null,
            null,
            null,
            null,
            List.of(new HugepageLimit("2MB", 0)),
            null,
            Map.of()));
    assertEquals(
        List.of("hugetlb.2MB.limit_in_bytes=0", "hugetlb.2MB.rsvd.limit_in_bytes=0"),
        writes("hugetlb."));
  }

  @Test
  void hugetlbLimitsGoToTheCgroup2HierarchyOnAHybridHost() throws Exception {
    // The tracking cgroup2 dir has the hugetlb files once the root delegates the controller.
    Path unifiedRoot =
        cgroup(root.resolve("unified"), "cgroup.controllers", "cgroup.subtree_control");
    set(unifiedRoot, "cgroup.controllers", "hugetlb");
    Path c1 = cgroup(unifiedRoot.resolve("c1"), "cgroup.controllers", "hugetlb.2MB.max");
    RecordingFiles kernel =
        new RecordingFiles() {
          @Override
          void write(Path dir, String file, String value) throws java.io.IOException {
            super.write(dir, file, value);
            if (file.equals("cgroup.subtree_control")) set(c1, "cgroup.controllers", "hugetlb");
          }
        };
    paths.put("", c1);
    new V1Resources(kernel, paths, hugepages)
        .apply(
            new Resources(
                List.of(),
                null,
                null,
                null,
                null,
                List.of(new HugepageLimit("2MB", 4194304)),
                null,
                Map.of()));
    assertTrue(kernel.writes.contains("cgroup.subtree_control=+hugetlb"), kernel.writes.toString());
    assertEquals("4194304", Files.readString(c1.resolve("hugetlb.2MB.max")));
  }

  @Test
  void unifiedResourcesNeedCgroupV2() {
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
                        Map.of("memory.high", "1000"))));
    assertEquals(
        "linux.resources.unified: invalid configuration: cannot use unified on cgroup v1 (it needs cgroup"
            + " v2, and this host's controllers are cgroup v1)",
        e.getMessage());
  }

  @Test
  void rdmaLimitsAreWrittenPerDeviceAndRefusedWithoutTheController() throws Exception {
    Resources rdma =
        new Resources(
            List.of(),
            null,
            null,
            null,
            null,
            List.of(),
            null,
            Map.of(),
            Map.of(
                "mlx5_1",
                new dev.berth.spec.runtime.Rdma(3L, 10000L),
                "mlx5_2",
                new dev.berth.spec.runtime.Rdma(null, 7L)));
    CgroupException e = assertThrows(CgroupException.class, () -> apply(rdma));
    assertEquals("linux.resources.rdma: the rdma controller is not mounted", e.getMessage());
    assertTrue(writes("").isEmpty(), "nothing written before the refusal");

    paths.put("rdma", cgroup(root.resolve("rdma/c1"), "rdma.max"));
    apply(rdma);
    assertEquals(
        List.of("rdma.max=mlx5_1 hca_handle=3 hca_object=10000", "rdma.max=mlx5_2 hca_object=7"),
        writes("rdma."));
  }
}
