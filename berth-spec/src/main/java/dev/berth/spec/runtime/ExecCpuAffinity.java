package dev.berth.spec.runtime;

/**
 * The CPUs an exec'd process runs on (runtime-spec 1.2 {@code execCPUAffinity}; not for the
 * container's init): {@code initial} before it enters the container's cgroup, {@code finalCpus}
 * after; CPU lists ("0-3,7"), empty when absent.
 */
public record ExecCpuAffinity(String initial, String finalCpus) {
  public ExecCpuAffinity {
    initial = initial == null ? "" : initial;
    finalCpus = finalCpus == null ? "" : finalCpus;
  }
}
