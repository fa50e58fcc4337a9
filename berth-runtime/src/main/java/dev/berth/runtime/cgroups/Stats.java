package dev.berth.runtime.cgroups;

import java.util.List;
import java.util.Map;

/**
 * A container's resource usage, shaped as runc's {@code events --stats} reports it (see {@link
 * StatsJson}). Times are nanoseconds, sizes bytes. A controller the host lacks reads as zeros; an
 * unlimited limit as {@link Long#MAX_VALUE} on cgroup v2 and as the kernel's page-aligned maximum
 * on v1.
 */
public record Stats(Cpu cpu, Memory memory, Pids pids, Blkio blkio, Map<String, Hugetlb> hugetlb) {
  public Stats {
    hugetlb = Map.copyOf(hugetlb);
  }

  public record Cpu(CpuUsage usage, Throttling throttling) {}

  /**
   * @param perCpu total per cpu (v1 only; empty on v2)
   * @param kernel time in the kernel, all cpus
   * @param user time in user space, all cpus
   */
  public record CpuUsage(
      long total,
      List<Long> perCpu,
      List<Long> perCpuKernel,
      List<Long> perCpuUser,
      long kernel,
      long user) {
    public CpuUsage {
      perCpu = List.copyOf(perCpu);
      perCpuKernel = List.copyOf(perCpuKernel);
      perCpuUser = List.copyOf(perCpuUser);
    }
  }

  /**
   * @param throttledTime total time the cgroup's tasks were throttled
   */
  public record Throttling(long periods, long throttledPeriods, long throttledTime) {}

  /**
   * @param swap memory+swap, as v1's memsw reports it (on v2 the sum of the two, as runc reports it
   *     there too)
   * @param raw memory.stat as the kernel names its counters
   */
  public record Memory(
      long cache,
      MemoryEntry usage,
      MemoryEntry swap,
      MemoryEntry kernel,
      MemoryEntry kernelTcp,
      Map<String, Long> raw) {
    public Memory {
      raw = Map.copyOf(raw);
    }
  }

  /**
   * @param max the peak usage
   * @param failcnt how often the limit was hit
   */
  public record MemoryEntry(long limit, long usage, long max, long failcnt) {
    static final MemoryEntry NONE = new MemoryEntry(0, 0, 0, 0);
  }

  /**
   * @param limit 0 when unlimited, as runc reports it
   */
  public record Pids(long current, long limit) {}

  public record Blkio(
      List<BlkioEntry> ioServiceBytesRecursive, List<BlkioEntry> ioServicedRecursive) {
    public Blkio {
      ioServiceBytesRecursive = List.copyOf(ioServiceBytesRecursive);
      ioServicedRecursive = List.copyOf(ioServicedRecursive);
    }
  }

  /**
   * @param op "Read", "Write", "Sync", "Async", "Discard" or "Total"
   */
  public record BlkioEntry(long major, long minor, String op, long value) {}

  /**
   * @param max the peak usage (v1 only)
   */
  public record Hugetlb(long usage, long max, long failcnt) {}
}
