package dev.berth.runtime.cgroups;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@link Stats} from cgroup files. Only {@code events --stats} and the engine's stats need
 * it, so it is kept out of the managers: the create/state/ps paths never load it. A file the host
 * lacks reads as zero.
 */
final class StatsReader {
  /**
   * USER_HZ, the unit of cpuacct.stat: 100 on every Linux ABI (the kernel converts to it for user
   * space).
   */
  private static final long NANOS_PER_TICK = 1_000_000_000L / 100;

  private final CgroupFiles io;
  private final Path sysHugepages;

  StatsReader(CgroupFiles io, Path sysHugepages) {
    this.io = io;
    this.sysHugepages = sysHugepages;
  }

  Stats v1(Map<String, Path> paths) throws IOException {
    Path cpuacct = paths.get("cpuacct");
    Path cpu = paths.get("cpu");
    Stats.CpuUsage usage;
    if (cpuacct != null) {
      Map<String, Long> ticks = io.keyValues(cpuacct, "cpuacct.stat");
      List<Long> kernel = new ArrayList<>(), user = new ArrayList<>();
      // cpuacct.usage_all: a "cpu user system" header, then one line per cpu, in nanoseconds.
      String all = io.readIfExists(cpuacct, "cpuacct.usage_all");
      if (all != null) {
        String[] lines = all.split("\n");
        for (int i = 1; i < lines.length; i++) {
          String[] f = lines[i].trim().split("\\s+");
          if (f.length < 3) continue;
          user.add(Long.parseLong(f[1]));
          kernel.add(Long.parseLong(f[2]));
        }
      }
      usage =
          new Stats.CpuUsage(
              number(cpuacct, "cpuacct.usage"),
              numbers(cpuacct, "cpuacct.usage_percpu"),
              kernel,
              user,
              ticks.getOrDefault("system", 0L) * NANOS_PER_TICK,
              ticks.getOrDefault("user", 0L) * NANOS_PER_TICK);
    } else {
      usage = new Stats.CpuUsage(0, List.of(), List.of(), List.of(), 0, 0);
    }
    Map<String, Long> cpuStat = cpu == null ? Map.of() : io.keyValues(cpu, "cpu.stat");
    Stats.Throttling throttling =
        new Stats.Throttling(
            cpuStat.getOrDefault("nr_periods", 0L),
            cpuStat.getOrDefault("nr_throttled", 0L),
            cpuStat.getOrDefault("throttled_time", 0L));

    Path mem = paths.get("memory");
    Stats.Memory memory;
    if (mem != null) {
      Map<String, Long> raw = io.keyValues(mem, "memory.stat");
      memory =
          new Stats.Memory(
              raw.getOrDefault("cache", 0L),
              v1Memory(mem, "memory"),
              v1Memory(mem, "memory.memsw"),
              v1Memory(mem, "memory.kmem"),
              v1Memory(mem, "memory.kmem.tcp"),
              raw);
    } else {
      memory = noMemory();
    }

    Path pids = paths.get("pids");
    Stats.Pids p = pids == null ? new Stats.Pids(0, 0) : pids(pids);

    Path blkio = paths.get("blkio");
    Stats.Blkio b = new Stats.Blkio(List.of(), List.of());
    if (blkio != null) {
      // CFQ's counters (kernels before 5.0), else BFQ's, else the throttling layer's, which sees
      // all I/O: the
      // first that has anything, as runc reads them.
      for (String prefix : new String[] {"blkio.", "blkio.bfq.", "blkio.throttle."}) {
        List<Stats.BlkioEntry> bytes = blkioEntries(blkio, prefix + "io_service_bytes_recursive");
        if (!bytes.isEmpty()) {
          b = new Stats.Blkio(bytes, blkioEntries(blkio, prefix + "io_serviced_recursive"));
          break;
        }
      }
    }

    Map<String, Stats.Hugetlb> huge = new LinkedHashMap<>();
    Path hugetlb = paths.get("hugetlb");
    if (hugetlb != null) {
      for (String size : ResourceValues.hugePageSizes(sysHugepages)) {
        String f = "hugetlb." + size + ".";
        huge.put(
            size,
            new Stats.Hugetlb(
                number(hugetlb, f + "usage_in_bytes"),
                number(hugetlb, f + "max_usage_in_bytes"),
                number(hugetlb, f + "failcnt")));
      }
    } else if (paths.containsKey(CgroupLayout.UNIFIED_KEY)) {
      huge = v2Hugetlb(paths.get(CgroupLayout.UNIFIED_KEY));
    }
    return new Stats(new Stats.Cpu(usage, throttling), memory, p, b, huge);
  }

  Stats v2(Path dir) throws IOException {
    Map<String, Long> cpuStat = io.keyValues(dir, "cpu.stat");
    Stats.CpuUsage usage =
        new Stats.CpuUsage(
            cpuStat.getOrDefault("usage_usec", 0L) * 1000,
            List.of(),
            List.of(),
            List.of(),
            cpuStat.getOrDefault("system_usec", 0L) * 1000,
            cpuStat.getOrDefault("user_usec", 0L) * 1000);
    Stats.Throttling throttling =
        new Stats.Throttling(
            cpuStat.getOrDefault("nr_periods", 0L),
            cpuStat.getOrDefault("nr_throttled", 0L),
            cpuStat.getOrDefault("throttled_usec", 0L) * 1000);

    Stats.Memory memory = noMemory();
    if (io.exists(dir, "memory.current")) {
      Map<String, Long> raw = io.keyValues(dir, "memory.stat");
      Stats.MemoryEntry mem =
          new Stats.MemoryEntry(
              number(dir, "memory.max"),
              number(dir, "memory.current"),
              number(dir, "memory.peak"),
              io.keyValues(dir, "memory.events").getOrDefault("max", 0L));
      Stats.MemoryEntry swap =
          new Stats.MemoryEntry(
              number(dir, "memory.swap.max"),
              number(dir, "memory.swap.current"),
              number(dir, "memory.swap.peak"),
              io.keyValues(dir, "memory.swap.events").getOrDefault("max", 0L));
      // Report memory+swap as v1's memsw does, so one reader works on both.
      long swapLimit =
          swap.limit() == Long.MAX_VALUE || mem.limit() == Long.MAX_VALUE
              ? Long.MAX_VALUE
              : swap.limit() + mem.limit();
      swap =
          new Stats.MemoryEntry(swapLimit, swap.usage() + mem.usage(), swap.max(), swap.failcnt());
      memory =
          new Stats.Memory(
              raw.getOrDefault("file", 0L),
              mem,
              swap,
              Stats.MemoryEntry.NONE,
              Stats.MemoryEntry.NONE,
              raw);
    }

    Stats.Pids pids = io.exists(dir, "pids.current") ? pids(dir) : new Stats.Pids(0, 0);

    // io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device.
    List<Stats.BlkioEntry> bytes = new ArrayList<>(), ios = new ArrayList<>();
    String ioStat = io.readIfExists(dir, "io.stat");
    if (ioStat != null) {
      for (String line : ioStat.split("\n")) {
        String[] f = line.trim().split("\\s+");
        int colon = f[0].indexOf(':');
        if (colon < 0) continue;
        long major = Long.parseLong(f[0].substring(0, colon)),
            minor = Long.parseLong(f[0].substring(colon + 1));
        for (int i = 1; i < f.length; i++) {
          int eq = f[i].indexOf('=');
          if (eq < 0) continue;
          long v = Long.parseLong(f[i].substring(eq + 1));
          switch (f[i].substring(0, eq)) {
            case "rbytes" -> bytes.add(new Stats.BlkioEntry(major, minor, "Read", v));
            case "wbytes" -> bytes.add(new Stats.BlkioEntry(major, minor, "Write", v));
            case "rios" -> ios.add(new Stats.BlkioEntry(major, minor, "Read", v));
            case "wios" -> ios.add(new Stats.BlkioEntry(major, minor, "Write", v));
            default -> {}
          }
        }
      }
    }
    return new Stats(
        new Stats.Cpu(usage, throttling),
        memory,
        pids,
        new Stats.Blkio(bytes, ios),
        v2Hugetlb(dir));
  }

  private Map<String, Stats.Hugetlb> v2Hugetlb(Path dir) throws IOException {
    Map<String, Stats.Hugetlb> huge = new LinkedHashMap<>();
    for (String size : ResourceValues.hugePageSizes(sysHugepages)) {
      String f = "hugetlb." + size + ".";
      if (!io.exists(dir, f + "current")) continue;
      huge.put(
          size,
          new Stats.Hugetlb(
              number(dir, f + "current"),
              0,
              io.keyValues(dir, f + "events").getOrDefault("max", 0L)));
    }
    return huge;
  }

  private Stats.Pids pids(Path dir) throws IOException {
    long limit = number(dir, "pids.max");
    return new Stats.Pids(number(dir, "pids.current"), limit == Long.MAX_VALUE ? 0 : limit);
  }

  private Stats.MemoryEntry v1Memory(Path dir, String prefix) throws IOException {
    if (!io.exists(dir, prefix + ".usage_in_bytes")) return Stats.MemoryEntry.NONE;
    return new Stats.MemoryEntry(
        number(dir, prefix + ".limit_in_bytes"),
        number(dir, prefix + ".usage_in_bytes"),
        number(dir, prefix + ".max_usage_in_bytes"),
        number(dir, prefix + ".failcnt"));
  }

  private static Stats.Memory noMemory() {
    Stats.MemoryEntry none = Stats.MemoryEntry.NONE;
    return new Stats.Memory(0, none, none, none, none, Map.of());
  }

  /** "8:0 Read 4096" lines; the device-less "Total" line is dropped. */
  private List<Stats.BlkioEntry> blkioEntries(Path dir, String file) throws IOException {
    String text = io.readIfExists(dir, file);
    List<Stats.BlkioEntry> entries = new ArrayList<>();
    if (text == null) return entries;
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length != 3) continue;
      int colon = f[0].indexOf(':');
      if (colon < 0) continue;
      entries.add(
          new Stats.BlkioEntry(
              Long.parseLong(f[0].substring(0, colon)),
              Long.parseLong(f[0].substring(colon + 1)),
              f[1],
              Long.parseLong(f[2])));
    }
    return entries;
  }

  private long number(Path dir, String file) throws IOException {
    return ResourceValues.parseCount(io.readIfExists(dir, file));
  }

  private List<Long> numbers(Path dir, String file) throws IOException {
    String text = io.readIfExists(dir, file);
    List<Long> values = new ArrayList<>();
    if (text == null || text.isEmpty()) return values;
    for (String v : text.split("\\s+")) values.add(ResourceValues.parseCount(v));
    return values;
  }
}
