package dev.berth.runtime.cgroups;

import static dev.berth.runtime.cgroups.V1Resources.notEmpty;
import static dev.berth.runtime.cgroups.V1Resources.orEmpty;
import static dev.berth.runtime.cgroups.V1Resources.set;

import dev.berth.runtime.cgroups.devices.DeviceEmulator;
import dev.berth.runtime.cgroups.devices.DevicePolicy;
import dev.berth.spec.runtime.BlockIO;
import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.DeviceRule;
import dev.berth.spec.runtime.HugepageLimit;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.ThrottleDevice;
import dev.berth.spec.runtime.WeightDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a spec's resources into one cgroup v2 directory, converting the v1-shaped spec values as
 * runc does.
 */
final class V2Resources {
  private final CgroupFiles io;
  private final Path dir;
  private final Path sysHugepages;

  V2Resources(CgroupFiles io, Path dir, Path sysHugepages) {
    this.io = io;
    this.dir = dir;
    this.sysHugepages = sysHugepages;
  }

  void apply(Resources r) throws IOException {
    // Check everything before the first write: a host that cannot honour the spec fails with
    // nothing changed.
    check(r);
    if (r.pids() != null) io.write(dir, "pids.max", ResourceValues.pidsMax(r.pids()));
    if (r.memory() != null) memory(r.memory());
    if (r.blockIO() != null) blockIO(r.blockIO());
    if (r.cpu() != null) cpu(r.cpu());
    hugetlb(orEmpty(r.hugepageLimits()));
    for (String line : ResourceValues.rdmaMax(r.rdma())) io.write(dir, "rdma.max", line);
    // cgroup v2 has no devices.allow: V2CgroupManager attaches a device program compiled by
    // devicePolicy().
    if (r.network() != null
        && (set(r.network().classID()) || !orEmpty(r.network().priorities()).isEmpty())) {
      Cgroups.warn(
          "linux.resources.network is ignored: cgroup v2 has no net_cls or net_prio controller");
    }
    unified(r.unified());
  }

  private void check(Resources r) throws IOException {
    List<String> available = List.of(io.read(dir, "cgroup.controllers").split(" "));
    Memory m = r.memory();
    if (m != null) {
      ResourceValues.swapMax(m.swap(), m.limit());
      if (set(m.limit()) || set(m.reservation()) || set(m.swap())) {
        need(available, "memory", "linux.resources.memory");
      }
    }
    Cpu c = r.cpu();
    if (c != null) {
      if (set(c.realtimePeriod()) || set(c.realtimeRuntime())) {
        throw new CgroupException(
            "linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no real-time "
                + "bandwidth control");
      }
      if (set(c.shares())
          || set(c.quota())
          || set(c.period())
          || c.burst() != null
          || c.idle() != null) {
        need(available, "cpu", "linux.resources.cpu");
      }
      if (notEmpty(c.cpus()) || notEmpty(c.mems()))
        need(available, "cpuset", "linux.resources.cpu.cpus/mems");
    }
    if (r.pids() != null) need(available, "pids", "linux.resources.pids");
    BlockIO b = r.blockIO();
    if (b != null
        && (set(b.weight())
            || !orEmpty(b.weightDevice()).isEmpty()
            || !orEmpty(b.throttleReadBpsDevice()).isEmpty()
            || !orEmpty(b.throttleWriteBpsDevice()).isEmpty()
            || !orEmpty(b.throttleReadIOPSDevice()).isEmpty()
            || !orEmpty(b.throttleWriteIOPSDevice()).isEmpty())) {
      need(available, "io", "linux.resources.blockIO");
    }
    List<HugepageLimit> huge = orEmpty(r.hugepageLimits());
    if (!huge.isEmpty()) {
      V1Resources.checkPageSizes(huge, sysHugepages);
      need(available, "hugetlb", "linux.resources.hugepageLimits");
    }
    if (!r.rdma().isEmpty()) need(available, "rdma", "linux.resources.rdma");
    if (r.unified() != null) {
      for (String key : r.unified().keySet()) {
        // The keys are file names in this directory and nothing else: no path may walk out of it.
        if (key.isEmpty()
            || key.indexOf('/') >= 0
            || key.equals(".")
            || key.equals("..")
            || key.indexOf('.') <= 0) {
          throw new CgroupException(
              "linux.resources.unified[\""
                  + key
                  + "\"]: must be a cgroup file name such as "
                  + "\"memory.high\"");
        }
      }
    }
  }

  private void need(List<String> available, String controller, String field)
      throws CgroupException {
    if (!available.contains(controller)) {
      throw new CgroupException(
          field
              + ": the "
              + controller
              + " controller is not enabled for "
              + dir
              + " (cgroup.controllers: "
              + String.join(" ", available)
              + "); enable it in the parent's "
              + "cgroup.subtree_control");
    }
  }

  private void memory(Memory m) throws IOException {
    if (m.kernel() != null || m.kernelTCP() != null) {
      Cgroups.warn(
          "linux.resources.memory.kernel and kernelTCP are ignored: cgroup v2 has no kernel memory limit");
    }
    if (m.swappiness() != null && m.swappiness() >= 0) {
      Cgroups.warn(
          "linux.resources.memory.swappiness is ignored: cgroup v2 has no per-cgroup swappiness");
    }
    if (Boolean.TRUE.equals(m.disableOOMKiller())) {
      Cgroups.warn(
          "linux.resources.memory.disableOOMKiller is ignored: cgroup v2 cannot disable the OOM killer");
    }
    if (m.limit() != null && m.limit() > 0 && Boolean.TRUE.equals(m.checkBeforeUpdate())) {
      long usage = ResourceValues.parseCount(io.read(dir, "memory.current"));
      if (usage > m.limit()) {
        throw new CgroupException(
            "linux.resources.memory.limit: "
                + m.limit()
                + " is below the current usage "
                + usage
                + " of "
                + dir);
      }
    }
    Long swapMax = ResourceValues.swapMax(m.swap(), m.limit());
    if (swapMax != null) {
      if (io.exists(dir, "memory.swap.max")) {
        io.write(dir, "memory.swap.max", ResourceValues.limit(swapMax));
      } else if (swapMax > 0) {
        Cgroups.warn(
            "linux.resources.memory.swap is ignored: this kernel does not account swap (no memory.swap.max)");
      }
    }
    if (set(m.limit())) io.write(dir, "memory.max", ResourceValues.limit(m.limit()));
    if (set(m.reservation())) io.write(dir, "memory.low", ResourceValues.limit(m.reservation()));
  }

  private void blockIO(BlockIO b) throws IOException {
    // With BFQ the weight keeps blkio's 1-1000 scale in io.bfq.weight; io.weight is 1-10000.
    boolean bfq = io.exists(dir, "io.bfq.weight");
    if (set(b.weight())) {
      if (bfq) {
        io.write(dir, "io.bfq.weight", Integer.toString(b.weight()));
      } else {
        io.write(dir, "io.weight", Long.toString(ResourceValues.ioWeight(b.weight())));
      }
    }
    if (set(b.leafWeight()))
      Cgroups.warn("linux.resources.blockIO.leafWeight is ignored: cgroup v2 has no leaf weight");
    for (WeightDevice d : orEmpty(b.weightDevice())) {
      if (d.weight() == null) continue;
      String dev = d.major() + ":" + d.minor() + " ";
      if (bfq) {
        io.write(dir, "io.bfq.weight", dev + d.weight());
      } else {
        io.write(dir, "io.weight", dev + ResourceValues.ioWeight(d.weight()));
      }
    }
    ioMax("rbps", b.throttleReadBpsDevice());
    ioMax("wbps", b.throttleWriteBpsDevice());
    ioMax("riops", b.throttleReadIOPSDevice());
    ioMax("wiops", b.throttleWriteIOPSDevice());
  }

  private void ioMax(String key, List<ThrottleDevice> devices) throws IOException {
    for (ThrottleDevice d : orEmpty(devices)) {
      // On v1 a rate of 0 removes the rule; v2 says that with "max".
      String rate = d.rate() > 0 ? Long.toString(d.rate()) : "max";
      io.write(dir, "io.max", d.major() + ":" + d.minor() + " " + key + "=" + rate);
    }
  }

  private void cpu(Cpu c) throws IOException {
    if (c.idle() != null) io.write(dir, "cpu.idle", Long.toString(c.idle()));
    // An idle cgroup has the minimum weight by definition, and the kernel refuses to change it.
    if (set(c.shares()) && (c.idle() == null || c.idle() == 0)) {
      io.write(dir, "cpu.weight", Long.toString(ResourceValues.cpuWeight(c.shares())));
    }
    String max = ResourceValues.cpuMax(c.quota(), c.period());
    boolean burstPending = false;
    if (c.burst() != null) {
      try {
        io.write(dir, "cpu.max.burst", Long.toString(c.burst()));
      } catch (CgroupException e) {
        // The burst may not exceed the quota: a burst raised along with the quota has to wait for
        // it.
        if (!"EINVAL".equals(e.errno()) || max == null) throw e;
        burstPending = true;
      }
    }
    if (max != null) io.write(dir, "cpu.max", max);
    if (burstPending) io.write(dir, "cpu.max.burst", Long.toString(c.burst()));
    if (notEmpty(c.cpus())) io.write(dir, "cpuset.cpus", c.cpus());
    if (notEmpty(c.mems())) io.write(dir, "cpuset.mems", c.mems());
  }

  void hugetlb(List<HugepageLimit> limits) throws IOException {
    for (HugepageLimit h : limits) {
      String value = ResourceValues.limit(h.limit());
      io.write(dir, "hugetlb." + h.pageSize() + ".max", value);
      // Reservations are charged separately (kernel 5.7+): cap them alike, or a mapping could
      // reserve past the limit.
      String rsvd = "hugetlb." + h.pageSize() + ".rsvd.max";
      if (io.exists(dir, rsvd)) io.write(dir, rsvd, value);
    }
  }

  private void unified(Map<String, String> unified) throws IOException {
    if (unified == null) return;
    // Last, so that an explicit file value wins over the one converted from a v1-shaped field.
    for (Map.Entry<String, String> e : unified.entrySet()) {
      try {
        io.write(dir, e.getKey(), e.getValue());
      } catch (CgroupException x) {
        if (!"ENOENT".equals(x.errno())) throw x;
        String controller = e.getKey().substring(0, e.getKey().indexOf('.'));
        throw new CgroupException(
            "linux.resources.unified[\""
                + e.getKey()
                + "\"]: no such file in "
                + dir
                + " (is the "
                + controller
                + " controller enabled?)",
            "ENOENT",
            x);
      }
    }
  }

  /**
   * What the device rules add up to, taken in the order {@link V1Resources#deviceRules} writes them
   * on v1 (deny all, the spec's rules, then the defaults every container gets), so a container may
   * use the same devices on either cgroup version.
   */
  static DevicePolicy devicePolicy(List<DeviceRule> specRules) throws CgroupException {
    DeviceEmulator e = new DeviceEmulator();
    e.apply(new DeviceRule(false, "a", null, null, "rwm"), "linux.resources.devices");
    List<DeviceRule> spec = orEmpty(specRules);
    for (int i = 0; i < spec.size(); i++)
      e.apply(spec.get(i), "linux.resources.devices[" + i + "]");
    for (String d : ResourceValues.defaultDeviceRules()) {
      // "c 1:3 rwm", "c 136:* rwm"
      String[] f = d.split(" ");
      String[] n = f[1].split(":");
      e.apply(
          new DeviceRule(
              true,
              f[0],
              n[0].equals("*") ? null : Long.valueOf(n[0]),
              n[1].equals("*") ? null : Long.valueOf(n[1]),
              f[2]),
          "default device rule \"" + d + "\"");
    }
    return e.policy();
  }

  /** True if the cgroup2 hierarchy holding {@code dir} has {@code controller} at its root. */
  static boolean offered(CgroupFiles io, Path dir, String controller) throws IOException {
    Path root = null;
    for (Path p = dir.getParent();
        p != null && io.exists(p, "cgroup.controllers");
        p = p.getParent()) root = p;
    return root != null
        && List.of(io.read(root, "cgroup.controllers").split(" ")).contains(controller);
  }

  /**
   * Enables {@code controllers} (all the available ones when null) in the cgroup.subtree_control of
   * every ancestor of {@code dir}, from the hierarchy's root down, so that {@code dir} gets their
   * files. Best effort, as runc: an ancestor with processes of its own cannot delegate (EBUSY), and
   * {@link #apply} then names the controller that is missing.
   */
  static void enableControllers(CgroupFiles io, Path dir, List<String> controllers)
      throws IOException {
    List<Path> ancestors = new ArrayList<>();
    for (Path p = dir.getParent();
        p != null && io.exists(p, "cgroup.controllers");
        p = p.getParent()) {
      ancestors.addFirst(p);
    }
    for (Path a : ancestors) {
      List<String> available = List.of(io.read(a, "cgroup.controllers").split(" "));
      List<String> enabled = List.of(io.read(a, "cgroup.subtree_control").split(" "));
      List<String> wanted = new ArrayList<>();
      for (String c : controllers == null ? available : controllers) {
        if (!c.isEmpty() && available.contains(c) && !enabled.contains(c)) wanted.add("+" + c);
      }
      if (wanted.isEmpty()) continue;
      try {
        io.write(a, "cgroup.subtree_control", String.join(" ", wanted));
      } catch (CgroupException e) {
        // One refusal fails the whole write: enable what can be enabled, one by one.
        for (String w : wanted) {
          try {
            io.write(a, "cgroup.subtree_control", w);
          } catch (CgroupException ignored) {
            // reported by apply() if the container needs it
          }
        }
      }
    }
  }
}
