package dev.berth.spec.runtime;

import java.util.List;
import java.util.Map;

/** Cgroup resource limits. The sub-objects are null when absent. */
public record Resources(
    List<DeviceRule> devices,
    Memory memory,
    Cpu cpu,
    Pids pids,
    BlockIO blockIO,
    List<HugepageLimit> hugepageLimits,
    Network network,
    Map<String, String> unified,
    Map<String, Rdma> rdma) {
  public Resources {
    devices = Copies.list(devices);
    hugepageLimits = Copies.list(hugepageLimits);
    unified = Copies.map(unified);
    rdma = Copies.map(rdma);
  }

  /** Without rdma limits. */
  public Resources(
      List<DeviceRule> devices,
      Memory memory,
      Cpu cpu,
      Pids pids,
      BlockIO blockIO,
      List<HugepageLimit> hugepageLimits,
      Network network,
      Map<String, String> unified) {
    this(devices, memory, cpu, pids, blockIO, hugepageLimits, network, unified, Map.of());
  }
}
