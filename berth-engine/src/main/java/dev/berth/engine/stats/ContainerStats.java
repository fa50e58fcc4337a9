package dev.berth.engine.stats;

import dev.berth.runtime.cgroups.Stats;
import java.time.Instant;

/**
 * One sample of a container's resource usage, with what docker's arithmetic needs beside its
 * cgroup's counters: the host's CPU time and CPU count at the same moment, its memory, and the
 * container's network counters. A container that does not run has a sample of zeros ({@link #stats}
 * null).
 *
 * @param read when the sample was taken
 * @param stats the runtime's stats, or null when the container does not run
 * @param systemCpuNanos the host's total CPU time (all CPUs, every state, /proc/stat), as docker's
 *     system_cpu_usage
 * @param onlineCpus the CPUs the host has online
 * @param hostMemory the host's memory (MemTotal): the limit shown for a container without one, as
 *     docker does
 * @param netRx bytes received on the container's interfaces but loopback (0 with no network of its
 *     own)
 * @param netTx bytes sent on them
 */
public record ContainerStats(
    String id,
    String name,
    Instant read,
    Stats stats,
    long systemCpuNanos,
    int onlineCpus,
    long hostMemory,
    long netRx,
    long netTx) {

  public boolean running() {
    return stats != null;
  }

  /**
   * docker's CPU %: the container's share of the host's CPU time between {@code previous} and this
   * sample, times the CPUs (100% is one CPU busy). 0 without a previous sample of the same
   * container or when no time passed.
   */
  public double cpuPercent(ContainerStats previous) {
    if (stats == null || previous == null || previous.stats == null) return 0;
    double cpu = stats.cpu().usage().total() - previous.stats.cpu().usage().total();
    double system = systemCpuNanos - previous.systemCpuNanos;
    if (cpu <= 0 || system <= 0) return 0;
    int cpus = onlineCpus > 0 ? onlineCpus : Math.max(1, stats.cpu().usage().perCpu().size());
    return cpu / system * cpus * 100.0;
  }

  /**
   * docker's MEM USAGE: the cgroup's usage less its inactive file cache (v1: total_inactive_file;
   * v2: inactive_file), which the kernel reclaims first.
   */
  public long memoryUsage() {
    if (stats == null) return 0;
    long usage = stats.memory().usage().usage();
    Long inactive = stats.memory().raw().get("total_inactive_file");
    if (inactive == null) inactive = stats.memory().raw().get("inactive_file");
    return inactive != null && inactive < usage ? usage - inactive : usage;
  }

  /** The memory limit: the container's, or the host's memory when it has none (or one above it). */
  public long memoryLimit() {
    if (stats == null) return 0;
    long limit = stats.memory().usage().limit();
    return limit <= 0 || (hostMemory > 0 && limit > hostMemory) ? hostMemory : limit;
  }

  /** MEM %: usage over limit. */
  public double memoryPercent() {
    long limit = memoryLimit();
    return limit <= 0 ? 0 : 100.0 * memoryUsage() / limit;
  }

  /** Bytes read from block devices (the "Read" entries of io_service_bytes). */
  public long blockRead() {
    return block("read");
  }

  /** Bytes written to block devices. */
  public long blockWrite() {
    return block("write");
  }

  private long block(String op) {
    if (stats == null) return 0;
    long sum = 0;
    for (Stats.BlkioEntry e : stats.blkio().ioServiceBytesRecursive()) {
      if (e.op().equalsIgnoreCase(op)) sum += e.value();
    }
    return sum;
  }

  /** The container's processes (its pids cgroup's count). */
  public long pids() {
    return stats == null ? 0 : stats.pids().current();
  }
}
