package dev.berth.runtime.cgroups;

import static dev.berth.runtime.cgroups.RecordingFiles.cgroup;
import static dev.berth.runtime.cgroups.RecordingFiles.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatsTest {
  @TempDir Path root;
  Path hugepages;

  @BeforeEach
  void sizes() throws Exception {
    hugepages = Files.createDirectories(root.resolve("sys/hugepages-2048kB")).getParent();
  }

  Stats v1() throws Exception {
    Path cpu = cgroup(root.resolve("cpu/c1"));
    set(cpu, "cpu.stat", "nr_periods 20\nnr_throttled 3\nthrottled_time 4500000\nnr_bursts 0\n");
    Path acct = cgroup(root.resolve("cpuacct/c1"));
    set(acct, "cpuacct.usage", "13941260\n");
    set(acct, "cpuacct.usage_percpu", "13941260 0 \n");
    set(acct, "cpuacct.usage_all", "cpu user system\n0 2000 11902464\n1 0 0\n");
    set(acct, "cpuacct.stat", "user 3\nsystem 1\n");
    Path mem = cgroup(root.resolve("memory/c1"));
    set(mem, "memory.stat", "cache 4096\nrss 53248\ntotal_rss 53248\n");
    set(mem, "memory.usage_in_bytes", "331776\n");
    set(mem, "memory.max_usage_in_bytes", "2011136\n");
    set(mem, "memory.failcnt", "0\n");
    set(mem, "memory.limit_in_bytes", "99999744\n");
    set(mem, "memory.memsw.usage_in_bytes", "331776\n");
    set(mem, "memory.memsw.limit_in_bytes", "199999488\n");
    Path pids = cgroup(root.resolve("pids/c1"));
    set(pids, "pids.current", "1\n");
    set(pids, "pids.max", "max\n");
    Path blkio = cgroup(root.resolve("blkio/c1"));
    set(blkio, "blkio.bfq.io_service_bytes_recursive", "Total 0\n");
    set(
        blkio,
        "blkio.throttle.io_service_bytes_recursive",
        "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n");
    set(blkio, "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
    return new StatsReader(CgroupFiles.REAL, hugepages)
        .v1(Map.of("cpu", cpu, "cpuacct", acct, "memory", mem, "pids", pids, "blkio", blkio));
  }

  @Test
  void v1CountersAsRuncReportsThem() throws Exception {
    Stats s = v1();
    assertEquals(13941260, s.cpu().usage().total());
    assertEquals(List.of(13941260L, 0L), s.cpu().usage().perCpu());
    assertEquals(List.of(11902464L, 0L), s.cpu().usage().perCpuKernel());
    assertEquals(List.of(2000L, 0L), s.cpu().usage().perCpuUser());
    assertEquals(10_000_000, s.cpu().usage().kernel(), "cpuacct.stat ticks are 1/100 s");
    assertEquals(30_000_000, s.cpu().usage().user());
    assertEquals(new Stats.Throttling(20, 3, 4500000), s.cpu().throttling());
    assertEquals(new Stats.MemoryEntry(99999744, 331776, 2011136, 0), s.memory().usage());
    assertEquals(199999488, s.memory().swap().limit());
    assertEquals(4096, s.memory().cache());
    assertEquals(53248L, s.memory().raw().get("rss"));
    assertEquals(new Stats.Pids(1, 0), s.pids(), "no pids limit reads as 0");
    // BFQ has no counts here, the throttling layer has: its entries, without the Total line.
    assertEquals(
        List.of(
            new Stats.BlkioEntry(8, 0, "Read", 4096), new Stats.BlkioEntry(8, 0, "Write", 8192)),
        s.blkio().ioServiceBytesRecursive());
    assertEquals(2, s.blkio().ioServicedRecursive().size());
  }

  @Test
  void v2CountersInV1Units() throws Exception {
    Path dir = cgroup(root.resolve("c1"));
    set(
        dir,
        "cpu.stat",
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\n"
            + "throttled_usec 20\n");
    set(dir, "memory.current", "1000\n");
    set(dir, "memory.max", "4000\n");
    set(dir, "memory.peak", "3000\n");
    set(dir, "memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
    set(dir, "memory.swap.current", "100\n");
    set(dir, "memory.swap.max", "max\n");
    set(dir, "memory.stat", "anon 800\nfile 200\n");
    set(dir, "pids.current", "3\n");
    set(dir, "pids.max", "50\n");
    set(dir, "io.stat", "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
    set(dir, "hugetlb.2MB.current", "0\n");
    set(dir, "hugetlb.2MB.events", "max 2\n");
    Stats s = new StatsReader(CgroupFiles.REAL, hugepages).v2(dir);
    assertEquals(1_500_000, s.cpu().usage().total());
    assertEquals(500_000, s.cpu().usage().kernel());
    assertEquals(1_000_000, s.cpu().usage().user());
    assertEquals(new Stats.Throttling(4, 1, 20_000), s.cpu().throttling());
    assertEquals(new Stats.MemoryEntry(4000, 1000, 3000, 7), s.memory().usage());
    assertEquals(Long.MAX_VALUE, s.memory().swap().limit(), "unlimited swap");
    assertEquals(1100, s.memory().swap().usage(), "memory+swap, as v1's memsw");
    assertEquals(200, s.memory().cache());
    assertEquals(new Stats.Pids(3, 50), s.pids());
    assertEquals(
        List.of(new Stats.BlkioEntry(8, 0, "Read", 4096), new Stats.BlkioEntry(8, 0, "Write", 0)),
        s.blkio().ioServiceBytesRecursive());
    assertEquals(new Stats.Hugetlb(0, 0, 2), s.hugetlb().get("2MB"));
    assertTrue(new V2CgroupManager(CgroupFiles.REAL, dir, hugepages).oomKilled());
  }

  @Test
  void jsonUsesRuncsFieldNamesAndLeavesOutZeroCounters() throws Exception {
    dev.berth.spec.json.JsonWriter g =
        new dev.berth.spec.json.JsonWriter(dev.berth.spec.json.JsonWriter.COMPACT);
    StatsJson.write(g, v1());
    String json = g.toString();
    assertTrue(
        json.startsWith(
            "{\"cpu\":{\"usage\":{\"total\":13941260,\"percpu\":[13941260,0],"
                + "\"percpu_kernel\":[11902464,0],\"percpu_user\":[2000,0],\"kernel\":10000000,\"user\":30000000},"
                + "\"throttling\":{\"periods\":20,\"throttled_periods\":3,\"throttled_time\":4500000}}"),
        json);
    assertTrue(
        json.contains(
            "\"usage\":{\"limit\":99999744,\"usage\":331776,\"max\":2011136,\"failcnt\":0}"),
        json);
    assertTrue(json.contains("\"kernelTCP\":{\"limit\":0,\"failcnt\":0}"), json);
    assertTrue(json.contains("\"pids\":{\"current\":1,\"limit\":0}"), json);
    assertTrue(
        json.contains("\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\",\"value\":4096}"),
        json);
    assertFalse(
        json.contains("\"minor\":0"),
        "zero fields are left out, as runc's omitempty does: " + json);
    assertTrue(json.endsWith("\"hugetlb\":{}}"), json);
  }
}
