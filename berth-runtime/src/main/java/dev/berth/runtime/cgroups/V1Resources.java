package dev.berth.runtime.cgroups;

import dev.berth.spec.runtime.BlockIO;
import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.DeviceRule;
import dev.berth.spec.runtime.HugepageLimit;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.NetPriority;
import dev.berth.spec.runtime.Network;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.ThrottleDevice;
import dev.berth.spec.runtime.WeightDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a spec's resources into cgroup v1 files, controller by controller in runc's order. Zero
 * means "not set" for the numbers, as in runc, because callers (containerd's CRI among them) send 0
 * for "no limit".
 */
final class V1Resources {
  private final CgroupFiles io;
  private final Map<String, Path> paths;
  private final Path sysHugepages;

  V1Resources(CgroupFiles io, Map<String, Path> paths, Path sysHugepages) {
    this.io = io;
    this.paths = paths;
    this.sysHugepages = sysHugepages;
  }

  void apply(Resources r) throws IOException {
    // Check everything before the first write: a host that cannot honour the spec fails with
    // nothing changed.
    List<String> deviceRules = deviceRules(r.devices());
    check(r);
    Cpu cpu = r.cpu();
    if (cpu != null) cpuset(paths.get("cpuset"), cpu);
    devices(paths.get("devices"), deviceRules);
    if (r.memory() != null) memory(paths.get("memory"), r.memory());
    if (cpu != null) cpu(paths.get("cpu"), cpu);
    if (r.pids() != null) {
      io.write(paths.get("pids"), "pids.max", ResourceValues.pidsMax(r.pids()));
    }
    if (r.blockIO() != null) blkio(paths.get("blkio"), r.blockIO());
    hugetlb(orEmpty(r.hugepageLimits()));
    if (r.network() != null) network(r.network());
    for (String line : ResourceValues.rdmaMax(r.rdma())) {
      io.write(paths.get("rdma"), "rdma.max", line);
    }
  }

  /**
   * The rules devices.allow and devices.deny get, in order: deny all, the spec's rules, then the
   * defaults.
   */
  static List<String> deviceRules(List<DeviceRule> specRules) throws CgroupException {
    List<String> rules = new ArrayList<>();
    // A spec that lists nothing still gets confined, as under runc: deny all, then allow what the
    // runtime makes.
    rules.add("deny a *:* rwm");
    List<DeviceRule> spec = orEmpty(specRules);
    for (int i = 0; i < spec.size(); i++) {
      DeviceRule d = spec.get(i);
      String rule = ResourceValues.deviceRule(d, i);
      if (rule != null) rules.add((d.allow() ? "allow " : "deny ") + rule);
    }
    for (String d : ResourceValues.defaultDeviceRules()) rules.add("allow " + d);
    return rules;
  }

  private void check(Resources r) throws IOException {
    Memory m = r.memory();
    if (m != null) {
      if (m.swappiness() != null && m.swappiness() > 100) {
        throw new CgroupException(
            "linux.resources.memory.swappiness: must be 0-100 (got " + m.swappiness() + ")");
      }
      // The kernel refuses memsw below the limit, but only after the limit was written: refuse it
      // before any write.
      if (set(m.limit())
          && m.limit() > 0
          && set(m.swap())
          && m.swap() > 0
          && m.swap() < m.limit()) {
        throw new CgroupException(
            "linux.resources.memory.swap: "
                + m.swap()
                + " is below memory.limit "
                + m.limit()
                + " (swap is memory+swap)");
      }
      if (set(m.limit())
          || set(m.reservation())
          || set(m.swap())
          || (m.swappiness() != null && m.swappiness() >= 0)
          || Boolean.TRUE.equals(m.disableOOMKiller())) {
        need("memory", "linux.resources.memory");
      }
    }
    Cpu c = r.cpu();
    if (c != null) {
      if (set(c.shares())
          || set(c.quota())
          || set(c.period())
          || c.burst() != null
          || set(c.realtimeRuntime())
          || set(c.realtimePeriod())
          || c.idle() != null) {
        need("cpu", "linux.resources.cpu");
      }
      if (notEmpty(c.cpus()) || notEmpty(c.mems())) need("cpuset", "linux.resources.cpu.cpus/mems");
    }
    if (r.pids() != null) need("pids", "linux.resources.pids");
    BlockIO b = r.blockIO();
    if (b != null
        && (set(b.weight())
            || set(b.leafWeight())
            || !orEmpty(b.weightDevice()).isEmpty()
            || !orEmpty(b.throttleReadBpsDevice()).isEmpty()
            || !orEmpty(b.throttleWriteBpsDevice()).isEmpty()
            || !orEmpty(b.throttleReadIOPSDevice()).isEmpty()
            || !orEmpty(b.throttleWriteIOPSDevice()).isEmpty())) {
      need("blkio", "linux.resources.blockIO");
    }
    List<HugepageLimit> huge = orEmpty(r.hugepageLimits());
    if (!huge.isEmpty()) {
      checkPageSizes(huge, sysHugepages);
      Path unified = paths.get(CgroupLayout.UNIFIED_KEY);
      if (!paths.containsKey("hugetlb")
          && (unified == null || !V2Resources.offered(io, unified, "hugetlb"))) {
        throw new CgroupException(
            "linux.resources.hugepageLimits: the hugetlb controller is not mounted, neither "
                + "as cgroup v1 nor in the cgroup2 hierarchy");
      }
    }
    Network n = r.network();
    if (n != null) {
      if (set(n.classID())) need("net_cls", "linux.resources.network.classID");
      if (!orEmpty(n.priorities()).isEmpty())
        need("net_prio", "linux.resources.network.priorities");
    }
    if (r.unified() != null && !r.unified().isEmpty()) {
      // runc's words, which callers grep for, with the field.
      throw new CgroupException(
          "linux.resources.unified: invalid configuration: cannot use unified on cgroup v1"
              + " (it needs cgroup v2, and this host's controllers are cgroup v1)");
    }
    // Without the controller runc fails too ("cannot set rdma limit"): the limits are not
    // dropped silently.
    if (!r.rdma().isEmpty()) need("rdma", "linux.resources.rdma");
    need("devices", "linux.resources.devices");
  }

  private void need(String controller, String field) throws CgroupException {
    if (!paths.containsKey(controller)) {
      throw new CgroupException(field + ": the " + controller + " controller is not mounted");
    }
  }

  static void checkPageSizes(List<HugepageLimit> limits, Path sysHugepages) throws IOException {
    List<String> sizes = ResourceValues.hugePageSizes(sysHugepages);
    for (int i = 0; i < limits.size(); i++) {
      String size = limits.get(i).pageSize();
      if (size == null || !sizes.contains(size)) {
        throw new CgroupException(
            "linux.resources.hugepageLimits["
                + i
                + "].pageSize: \""
                + size
                + "\" is not a huge page size of this host ("
                + (sizes.isEmpty() ? "none" : String.join(", ", sizes))
                + ")");
      }
    }
  }

  private void cpuset(Path dir, Cpu c) throws IOException {
    if (notEmpty(c.cpus())) io.write(dir, "cpuset.cpus", c.cpus());
    if (notEmpty(c.mems())) io.write(dir, "cpuset.mems", c.mems());
  }

  private void devices(Path dir, List<String> rules) throws IOException {
    for (String rule : rules) {
      int space = rule.indexOf(' ');
      io.write(dir, "devices." + rule.substring(0, space), rule.substring(space + 1));
    }
  }

  private void memory(Path dir, Memory m) throws IOException {
    // As runc 1.1: the kernel memory limit is deprecated and ignored; the TCP buffer limit still
    // works where the
    // kernel has the file (a value of 0 is "not set", as runc reads it).
    if (m.kernel() != null)
      Cgroups.warn("linux.resources.memory.kernel is ignored: kernel memory limits are deprecated");
    if (m.kernelTCP() != null && m.kernelTCP() != 0) {
      if (io.exists(dir, "memory.kmem.tcp.limit_in_bytes")) {
        io.write(dir, "memory.kmem.tcp.limit_in_bytes", Long.toString(m.kernelTCP()));
      } else {
        Cgroups.warn(
            "linux.resources.memory.kernelTCP is ignored: this kernel has no memory.kmem.tcp.limit_in_bytes");
      }
    }
    long limit = value(m.limit());
    long swap = value(m.swap());
    boolean memsw = io.exists(dir, "memory.memsw.limit_in_bytes");
    // Unlimited memory with no swap given is unlimited memory+swap too, else memsw would still cap
    // it.
    if (limit == -1 && swap == 0 && memsw) swap = -1;
    if (swap != 0 && !memsw) {
      Cgroups.warn(
          "linux.resources.memory.swap is ignored: this kernel does not account swap (no "
              + "memory.memsw.limit_in_bytes)");
      swap = 0;
    }
    if (limit > 0 && Boolean.TRUE.equals(m.checkBeforeUpdate())) {
      checkUsage(limit, dir, "memory.usage_in_bytes");
    }
    if (limit != 0 && swap != 0) {
      // The kernel keeps memory.limit <= memsw.limit at every step: when memory+swap grows past the
      // current limit,
      // raise it first; otherwise lower the limit first.
      long current = ResourceValues.parseCount(io.read(dir, "memory.limit_in_bytes"));
      if (swap == -1 || current < swap) {
        io.write(dir, "memory.memsw.limit_in_bytes", Long.toString(swap));
        writeLimit(dir, limit);
      } else {
        writeLimit(dir, limit);
        io.write(dir, "memory.memsw.limit_in_bytes", Long.toString(swap));
      }
    } else if (limit != 0) {
      writeLimit(dir, limit);
    } else if (swap != 0) {
      io.write(dir, "memory.memsw.limit_in_bytes", Long.toString(swap));
    }
    if (set(m.reservation()))
      io.write(dir, "memory.soft_limit_in_bytes", Long.toString(m.reservation()));
    if (Boolean.TRUE.equals(m.disableOOMKiller())) io.write(dir, "memory.oom_control", "1");
    if (m.swappiness() != null && m.swappiness() >= 0) {
      io.write(dir, "memory.swappiness", Long.toString(m.swappiness()));
    }
  }

  private void writeLimit(Path dir, long limit) throws IOException {
    try {
      io.write(dir, "memory.limit_in_bytes", Long.toString(limit));
    } catch (CgroupException e) {
      if (!"EBUSY".equals(e.errno())) throw e;
      // EBUSY: the container already uses more than the new limit and the kernel could not reclaim
      // it.
      String usage = io.readIfExists(dir, "memory.usage_in_bytes");
      String peak = io.readIfExists(dir, "memory.max_usage_in_bytes");
      throw new CgroupException(
          e.getMessage() + " (current usage " + usage + ", peak " + peak + ")", "EBUSY", e);
    }
  }

  void checkUsage(long limit, Path dir, String usageFile) throws IOException {
    long usage = ResourceValues.parseCount(io.read(dir, usageFile));
    if (usage > limit) {
      throw new CgroupException(
          "linux.resources.memory.limit: "
              + limit
              + " is below the current usage "
              + usage
              + " of "
              + dir);
    }
  }

  private void cpu(Path dir, Cpu c) throws IOException {
    if (set(c.shares())) {
      io.write(dir, "cpu.shares", Long.toString(c.shares()));
      // The kernel clamps out-of-range shares silently; say so instead of running with another
      // value.
      long got = ResourceValues.parseCount(io.read(dir, "cpu.shares"));
      if (got != c.shares()) {
        throw new CgroupException(
            "linux.resources.cpu.shares: "
                + c.shares()
                + " is outside the kernel's range "
                + ResourceValues.MIN_SHARES
                + "-"
                + ResourceValues.MAX_SHARES
                + " (it set "
                + got
                + ")");
      }
    }
    boolean periodPending = false;
    if (set(c.period())) {
      try {
        io.write(dir, "cpu.cfs_period_us", Long.toString(c.period()));
      } catch (CgroupException e) {
        // A shorter period with the old quota can exceed the parent's bandwidth (EINVAL): retry
        // after the quota.
        if (!"EINVAL".equals(e.errno()) || !set(c.quota())) throw e;
        periodPending = true;
      }
    }
    if (set(c.quota())) {
      io.write(dir, "cpu.cfs_quota_us", Long.toString(c.quota()));
      if (periodPending) io.write(dir, "cpu.cfs_period_us", Long.toString(c.period()));
    }
    if (c.burst() != null) io.write(dir, "cpu.cfs_burst_us", Long.toString(c.burst()));
    // The period first: the kernel checks runtime <= period.
    if (set(c.realtimePeriod()))
      io.write(dir, "cpu.rt_period_us", Long.toString(c.realtimePeriod()));
    if (set(c.realtimeRuntime()))
      io.write(dir, "cpu.rt_runtime_us", Long.toString(c.realtimeRuntime()));
    if (c.idle() != null) io.write(dir, "cpu.idle", Long.toString(c.idle()));
  }

  private void blkio(Path dir, BlockIO b) throws IOException {
    // Kernels without CFQ (all since 5.0) have only BFQ's files, under another name.
    String weight = io.exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    String weightDevice =
        io.exists(dir, "blkio.weight_device") ? "blkio.weight_device" : "blkio.bfq.weight_device";
    if (set(b.weight())) io.write(dir, weight, Integer.toString(b.weight()));
    if (set(b.leafWeight())) io.write(dir, "blkio.leaf_weight", Integer.toString(b.leafWeight()));
    for (WeightDevice d : orEmpty(b.weightDevice())) {
      if (d.weight() != null)
        io.write(dir, weightDevice, d.major() + ":" + d.minor() + " " + d.weight());
      if (d.leafWeight() != null) {
        io.write(
            dir, "blkio.leaf_weight_device", d.major() + ":" + d.minor() + " " + d.leafWeight());
      }
    }
    throttle(dir, "blkio.throttle.read_bps_device", b.throttleReadBpsDevice());
    throttle(dir, "blkio.throttle.write_bps_device", b.throttleWriteBpsDevice());
    throttle(dir, "blkio.throttle.read_iops_device", b.throttleReadIOPSDevice());
    throttle(dir, "blkio.throttle.write_iops_device", b.throttleWriteIOPSDevice());
  }

  private void throttle(Path dir, String file, List<ThrottleDevice> devices) throws IOException {
    for (ThrottleDevice d : orEmpty(devices))
      io.write(dir, file, d.major() + ":" + d.minor() + " " + d.rate());
  }

  private void hugetlb(List<HugepageLimit> limits) throws IOException {
    if (limits.isEmpty()) return;
    Path v1 = paths.get("hugetlb");
    if (v1 != null) {
      for (HugepageLimit h : limits) {
        io.write(v1, "hugetlb." + h.pageSize() + ".limit_in_bytes", Long.toString(h.limit()));
        // Reservations are charged separately (kernel 5.7+): cap them alike, or a mapping could
        // reserve past the limit.
        String rsvd = "hugetlb." + h.pageSize() + ".rsvd.limit_in_bytes";
        if (io.exists(v1, rsvd)) io.write(v1, rsvd, Long.toString(h.limit()));
      }
      return;
    }
    // A hybrid host whose hugetlb controller is in the cgroup2 hierarchy (as here on Debian's
    // kernels).
    Path unified = paths.get(CgroupLayout.UNIFIED_KEY);
    V2Resources.enableControllers(io, unified, List.of("hugetlb"));
    if (!List.of(io.read(unified, "cgroup.controllers").split(" ")).contains("hugetlb")) {
      throw new CgroupException(
          "linux.resources.hugepageLimits: cannot enable the cgroup2 hugetlb controller for "
              + unified
              + " (an ancestor with processes of its own cannot delegate it)");
    }
    new V2Resources(io, unified, sysHugepages).hugetlb(limits);
  }

  private void network(Network n) throws IOException {
    if (set(n.classID()))
      io.write(paths.get("net_cls"), "net_cls.classid", Long.toString(n.classID()));
    for (NetPriority p : orEmpty(n.priorities())) {
      io.write(paths.get("net_prio"), "net_prio.ifpriomap", p.name() + " " + p.priority());
    }
  }

  static boolean set(Long v) {
    return v != null && v != 0;
  }

  static boolean set(Integer v) {
    return v != null && v != 0;
  }

  static long value(Long v) {
    return v == null ? 0 : v;
  }

  static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
