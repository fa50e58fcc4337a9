package dev.berth.spec.runtime;

/** CPU cgroup limits; null means absent. shares, burst, period and realtimePeriod are uint64. */
public record Cpu(
    Long shares,
    Long quota,
    Long burst,
    Long period,
    Long realtimeRuntime,
    Long realtimePeriod,
    String cpus,
    String mems,
    Long idle) {
  public Cpu {
    cpus = cpus == null ? "" : cpus;
    mems = mems == null ? "" : mems;
  }
}
