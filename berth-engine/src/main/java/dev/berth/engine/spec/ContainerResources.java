package dev.berth.engine.spec;

import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.container.HostOptions;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.Device;
import dev.berth.spec.runtime.DeviceRule;
import dev.berth.spec.runtime.HugepageLimit;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Pids;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.Rlimit;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * docker's resource limits, rlimits and device rules for a container, with its errors for bad
 * values.
 */
final class ContainerResources {
  private ContainerResources() {}

  /** The least memory limit docker allows. */
  static final long MIN_MEMORY = 6L << 20;

  static final long CPU_PERIOD = 100_000;

  /**
   * docker's device cgroup rules for an unprivileged container: nothing, then the character devices
   * every program expects (null, zero, full's siblings, random, urandom, tty, console) and an
   * explicit no for /dev/fuse; the runtime adds its own defaults (pts, ptmx, mknod of anything) as
   * runc does.
   */
  static final List<DeviceRule> DEVICE_RULES =
      List.of(
          new DeviceRule(false, "", null, null, "rwm"),
          new DeviceRule(true, "c", 1L, 5L, "rwm"),
          new DeviceRule(true, "c", 1L, 3L, "rwm"),
          new DeviceRule(true, "c", 1L, 9L, "rwm"),
          new DeviceRule(true, "c", 1L, 8L, "rwm"),
          new DeviceRule(true, "c", 5L, 0L, "rwm"),
          new DeviceRule(true, "c", 5L, 1L, "rwm"),
          new DeviceRule(false, "c", 10L, 229L, "rwm"));

  /** docker's --memory-reservation, --memory-swappiness and --oom-kill-disable, with its checks. */
  private static Memory memoryExtras(ResourceOptions r, Memory memory) throws BerthException {
    long reservation = r.memoryReservation();
    if (reservation != 0) {
      if (reservation < MIN_MEMORY)
        throw invalid(
            "Minimum memory reservation allowed is 6MB (got --memory-reservation "
                + reservation
                + ")");
      if (r.memory() != 0 && r.memory() < reservation)
        throw invalid(
            "Minimum memory limit can not be less than memory reservation limit, see usage");
    }
    Long swappiness = r.memorySwappiness();
    if (swappiness != null && swappiness == -1) swappiness = null; // docker's "unset"
    if (swappiness != null && (swappiness < 0 || swappiness > 100))
      throw invalid("Invalid value: " + swappiness + ", valid memory swappiness range is 0-100");
    if (reservation == 0 && swappiness == null && !r.oomKillDisable()) return memory;
    return new Memory(
        memory == null ? null : memory.limit(),
        reservation == 0 ? null : reservation,
        memory == null ? null : memory.swap(),
        null,
        null,
        swappiness,
        r.oomKillDisable() ? Boolean.TRUE : null,
        null,
        null);
  }

  static Resources resources(ResourceOptions r, boolean privileged, int hostCpus)
      throws BerthException {
    Memory memory = null;
    if (r.memory() != 0) {
      if (r.memory() < MIN_MEMORY)
        throw invalid("Minimum memory limit allowed is 6MB (got --memory " + r.memory() + ")");
      long swap = r.memorySwap() == 0 ? 2 * r.memory() : r.memorySwap();
      if (swap < -1)
        throw invalid(
            "invalid --memory-swap " + swap + ": want -1 (unlimited) or at least --memory");
      if (swap > 0 && swap < r.memory()) {
        throw invalid(
            "Minimum memoryswap limit should be larger than memory limit, see usage (--memory "
                + r.memory()
                + ", --memory-swap "
                + swap
                + ")");
      }
      memory = new Memory(r.memory(), null, swap, null, null, null, null, null, null);
    } else if (r.memorySwap() != 0 && r.memorySwap() != -1) {
      throw invalid(
          "You should always set the Memory limit when using Memoryswap limit, see usage");
    }
    memory = memoryExtras(r, memory);
    if (r.memory() < 0) throw invalid("invalid --memory " + r.memory() + ": must not be negative");

    Cpu cpu = null;
    Long shares = null;
    Long quota = null;
    Long period = null;
    String cpuset = "";
    if (r.nanoCpus() != 0) {
      if (r.nanoCpus() < 10_000_000L || r.nanoCpus() > hostCpus * 1_000_000_000L) {
        throw invalid(
            "Range of CPUs is from 0.01 to "
                + hostCpus
                + ".00, as there are only "
                + hostCpus
                + " CPUs available");
      }
      period = CPU_PERIOD;
      quota = r.nanoCpus() * CPU_PERIOD / 1_000_000_000L;
    }
    if (r.cpuShares() < 0)
      throw invalid("invalid --cpu-shares " + r.cpuShares() + ": must not be negative");
    if (r.cpuShares() > 0) shares = r.cpuShares();
    if (r.cpusetCpus() != null && !r.cpusetCpus().isEmpty()) {
      cpuset = cpuset(r.cpusetCpus());
      available(cpuset, ONLINE_CPUS, "CPUs");
    }
    if (r.cpuPeriod() != 0 || r.cpuQuota() != 0) {
      if (r.nanoCpus() != 0) {
        throw invalid(
            "conflicting options: --cpus and --cpu-period/--cpu-quota cannot both be set");
      }
      if (r.cpuPeriod() != 0 && (r.cpuPeriod() < 1000 || r.cpuPeriod() > 1_000_000))
        throw invalid("invalid --cpu-period " + r.cpuPeriod() + ": want 1000 to 1000000");
      if (r.cpuQuota() != 0 && r.cpuQuota() != -1 && r.cpuQuota() < 1000)
        throw invalid("invalid --cpu-quota " + r.cpuQuota() + ": want at least 1000 (or -1)");
      if (r.cpuPeriod() != 0) period = r.cpuPeriod();
      if (r.cpuQuota() != 0) quota = r.cpuQuota();
    }
    String mems = "";
    if (r.cpusetMems() != null) {
      mems = cpuset(r.cpusetMems());
      available(mems, ONLINE_NODES, "memory nodes");
    }
    if (shares != null || quota != null || period != null || !cpuset.isEmpty() || !mems.isEmpty()) {
      cpu = new Cpu(shares, quota, null, period, null, null, cpuset, mems, null);
    }
    List<HugepageLimit> hugepages = new ArrayList<>();
    for (Map.Entry<String, Long> e : r.hugepageLimits().entrySet()) {
      if (!e.getKey().matches("[0-9]+[KMG]B") || e.getValue() < 0)
        throw invalid("invalid hugepage limit " + e.getKey() + "=" + e.getValue());
      hugepages.add(new HugepageLimit(e.getKey(), e.getValue()));
    }

    Pids pids = r.pidsLimit() > 0 ? new Pids(r.pidsLimit()) : null;
    if (r.pidsLimit() < -1)
      throw invalid("invalid --pids-limit " + r.pidsLimit() + " (want a number > 0, or -1)");

    List<DeviceRule> devices =
        privileged ? List.of(new DeviceRule(true, "", null, null, "rwm")) : DEVICE_RULES;
    // cgroup v2 files by name (the CRI's unified): checked and written by the runtime, which
    // refuses them on cgroup v1 as runc does.
    return new Resources(
        devices,
        memory,
        cpu,
        pids,
        null,
        hugepages,
        null,
        r.unified().isEmpty() ? null : r.unified());
  }

  /**
   * {@code --device}s: each host device node (followed through symlinks, as docker does) made at
   * its container path, and a cgroup rule allowing it.
   */
  static List<Device> devices(List<HostOptions.DeviceOption> options, List<DeviceRule> rules)
      throws BerthException {
    List<Device> out = new ArrayList<>();
    for (HostOptions.DeviceOption d : options) {
      if (!d.containerPath().startsWith("/"))
        throw invalid(
            "invalid --device "
                + d.hostPath()
                + ":"
                + d.containerPath()
                + ": the container path must be absolute");
      if (!d.permissions().matches("[rwm]{1,3}"))
        throw invalid("invalid --device " + d.hostPath() + ": bad permissions " + d.permissions());
      Stat st;
      try {
        st = Linux.stat(d.hostPath());
      } catch (ErrnoException e) {
        throw invalid(
            "error gathering device information while adding custom device \""
                + d.hostPath()
                + "\": "
                + e.getMessage());
      }
      if (!st.isCharDevice() && !st.isBlockDevice())
        throw invalid("invalid --device " + d.hostPath() + ": not a device node");
      String type = st.isCharDevice() ? "c" : "b";
      out.add(
          new Device(
              type,
              d.containerPath(),
              st.rdevMajor(),
              st.rdevMinor(),
              st.permissions(),
              st.uid(),
              st.gid()));
      rules.add(
          new DeviceRule(
              true, type, (long) st.rdevMajor(), (long) st.rdevMinor(), d.permissions()));
    }
    return out;
  }

  static final Path ONLINE_CPUS = Path.of("/sys/devices/system/cpu/online");
  static final Path ONLINE_NODES = Path.of("/sys/devices/system/node/online");

  /**
   * docker's check at create: every CPU (or memory node) of {@code set} is online on this host;
   * else the cgroup write at start fails with ERANGE or EINVAL. A host without the file is not
   * checked.
   */
  private static void available(String set, Path online, String what) throws BerthException {
    String have;
    try {
      have = Files.readString(online).trim();
    } catch (IOException e) {
      return;
    }
    java.util.BitSet on = bits(have);
    java.util.BitSet asked = bits(set);
    asked.andNot(on);
    if (!asked.isEmpty()) {
      throw invalid(
          "Requested " + what + " are not available - requested " + set + ", available: " + have);
    }
  }

  /** The members of a checked cpuset list ("0-2,4"). */
  private static java.util.BitSet bits(String set) {
    java.util.BitSet b = new java.util.BitSet();
    if (set.isEmpty()) return b;
    for (String part : set.split(",")) {
      String[] ends = part.split("-");
      int from = Integer.parseInt(ends[0].trim());
      b.set(from, (ends.length == 2 ? Integer.parseInt(ends[1].trim()) : from) + 1);
    }
    return b;
  }

  /** docker's cpuset syntax: comma-separated numbers and ranges ("0-2,4"). */
  private static String cpuset(String s) throws BerthException {
    for (String part : s.split(",", -1)) {
      String[] ends = part.split("-", -1);
      boolean ok = ends.length <= 2;
      for (String e : ends)
        ok &= !e.isEmpty() && e.length() < 6 && e.chars().allMatch(Character::isDigit);
      if (ok && ends.length == 2) ok = Integer.parseInt(ends[0]) <= Integer.parseInt(ends[1]);
      if (!ok)
        throw invalid(
            "Invalid value " + s + " for cpuset cpus (want numbers and ranges, e.g. 0-2,4)");
    }
    return s;
  }

  /** {@code --ulimit}s as rlimits; a later one for the same name wins. */
  static List<Rlimit> rlimits(List<UlimitOption> ulimits) throws BerthException {
    Map<String, Rlimit> byName = new LinkedHashMap<>();
    for (UlimitOption u : ulimits) {
      String name = u.name().toLowerCase(Locale.ROOT);
      if (!DockerFlags.ULIMIT_NAMES.contains(name)) {
        throw invalid(
            "invalid ulimit type: "
                + u.name()
                + " (want one of "
                + String.join(", ", DockerFlags.ULIMIT_NAMES.stream().sorted().toList())
                + ")");
      }
      if (Long.compareUnsigned(u.soft(), u.hard()) > 0) {
        throw invalid(
            "ulimit soft limit must be less than or equal to hard limit: "
                + Long.toUnsignedString(u.soft())
                + " > "
                + Long.toUnsignedString(u.hard())
                + " (--ulimit "
                + name
                + ")");
      }
      String type = "RLIMIT_" + name.toUpperCase(Locale.ROOT);
      byName.remove(type);
      byName.put(type, new Rlimit(type, u.hard(), u.soft()));
    }
    return List.copyOf(byName.values());
  }

  /**
   * Directories of /dev whose nodes are the container's own or the kernel's, and nodes the runtime
   * makes.
   */
  private static final Set<String> SKIPPED_DEV =
      Set.of("pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev", "console", "ptmx");

  /**
   * The character and block devices under {@code dev} (a privileged container gets them all), by
   * container path.
   */
  static List<Device> hostDevices(Path dev) throws BerthException {
    List<Device> out = new ArrayList<>();
    try {
      walk(dev, "/dev", out);
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "list the host's devices in " + dev + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static void walk(Path dir, String inContainer, List<Device> out) throws IOException {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) entries.add(p);
    }
    entries.sort(null);
    for (Path p : entries) {
      String name = p.getFileName().toString();
      if (SKIPPED_DEV.contains(name)) continue;
      Stat st;
      try {
        st = Linux.lstat(p.toString());
      } catch (ErrnoException e) {
        continue; // gone since the listing
      }
      String path = inContainer + "/" + name;
      if (st.isDirectory()) {
        walk(p, path, out);
      } else if (st.isCharDevice() || st.isBlockDevice()) {
        out.add(
            new Device(
                st.isCharDevice() ? "c" : "b",
                path,
                st.rdevMajor(),
                st.rdevMinor(),
                st.permissions(),
                st.uid(),
                st.gid()));
      }
    }
  }

  private static BerthException invalid(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, message);
  }
}
