package dev.berth.runtime.cgroups;

import dev.berth.spec.runtime.DeviceRule;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The spec's resource values as cgroup files want them: the v1 to v2 conversions every runtime
 * agrees on (so a container gets the same share of a host under runc, crun or us), device rules,
 * huge page size names.
 */
final class ResourceValues {
  private ResourceValues() {}

  /**
   * The rdma.max lines of linux.resources.rdma, one per device as runc writes them ("mlx5_1
   * hca_handle=3 hca_object=10000"); an unset limit is left out (the kernel keeps "max").
   */
  static List<String> rdmaMax(java.util.Map<String, dev.berth.spec.runtime.Rdma> rdma) {
    List<String> lines = new ArrayList<>();
    for (var e : rdma.entrySet()) {
      StringBuilder b = new StringBuilder(e.getKey());
      if (e.getValue().hcaHandles() != null)
        b.append(" hca_handle=").append(e.getValue().hcaHandles());
      if (e.getValue().hcaObjects() != null)
        b.append(" hca_object=").append(e.getValue().hcaObjects());
      lines.add(b.toString());
    }
    return lines;
  }

  /** pids.max for the spec's pids limit: 0 or less is no limit. */
  static String pidsMax(dev.berth.spec.runtime.Pids pids) {
    return pids.limit() > 0 ? Long.toString(pids.limit()) : "max";
  }

  /**
   * The kernel's cpu.shares range (v1); values outside it are clamped by the kernel, so clamp
   * before converting.
   */
  static final long MIN_SHARES = 2, MAX_SHARES = 262144;

  /**
   * cpu.weight (1-10000, default 100) for v1 cpu.shares (2-262144, default 1024): the linear map of
   * the OCI runtime-spec's cgroup v2 conversion table, so shares 1024 gives weight 39 as under runc
   * and crun.
   */
  static long cpuWeight(long shares) {
    long s = Math.clamp(shares, MIN_SHARES, MAX_SHARES);
    return 1 + ((s - 2) * 9999) / 262142;
  }

  /** io.weight (1-10000) for a v1 blkio weight (10-1000), by the same linear map. */
  static long ioWeight(long blkioWeight) {
    long w = Math.clamp(blkioWeight, 10, 1000);
    return 1 + ((w - 10) * 9999) / 990;
  }

  /**
   * cpu.max's "quota period" ("max" for no quota; the period alone is left as is when not given),
   * or null.
   */
  static String cpuMax(Long quota, Long period) {
    boolean q = quota != null && quota != 0;
    boolean p = period != null && period != 0;
    if (!q && !p) return null;
    String value = q && quota > 0 ? Long.toString(quota) : "max";
    return p ? value + " " + period : value;
  }

  /**
   * memory.swap.max for the spec's swap, which is memory+swap (the v1 memsw meaning), given the
   * memory limit: -1 for "max", null to leave it alone. An unlimited memory with no swap given
   * means unlimited swap too, as on v1 where memsw then follows the limit.
   */
  static Long swapMax(Long swap, Long limit) throws CgroupException {
    long s = swap == null ? 0 : swap;
    long l = limit == null ? 0 : limit;
    if (s == 0) return l == -1 ? Long.valueOf(-1) : null;
    if (s < 0) return -1L;
    if (l <= 0) {
      throw new CgroupException(
          "linux.resources.memory.swap: needs memory.limit on cgroup v2 (swap is memory+swap)");
    }
    if (s < l) {
      throw new CgroupException(
          "linux.resources.memory.swap: "
              + s
              + " is below memory.limit "
              + l
              + " (swap is memory+swap)");
    }
    return s - l;
  }

  /** A limit as cgroup files write it: "max" for unlimited (negative). */
  static String limit(long value) {
    return value < 0 ? "max" : Long.toString(value);
  }

  /**
   * A device rule as devices.allow and devices.deny take it ("c 1:3 rwm"); a missing type is every
   * type, a missing major or minor every number, a missing access all of "rwm". Null for a rule
   * that grants or takes nothing.
   */
  static String deviceRule(DeviceRule r, int index) throws CgroupException {
    String type = r.type() == null || r.type().isEmpty() ? "a" : r.type();
    if (!type.equals("a") && !type.equals("b") && !type.equals("c")) {
      throw new CgroupException(
          "linux.resources.devices[" + index + "].type: must be a, b or c (got \"" + type + "\")");
    }
    String access = r.access() == null || r.access().isEmpty() ? "rwm" : deviceAccess(r.access());
    if (access.isEmpty()) return null;
    return type + " " + number(r.major()) + ":" + number(r.minor()) + " " + access;
  }

  /**
   * The letters of an access string the kernel knows (r, w, m), in that order; others are ignored,
   * as runc reads them ("rwa" is "rw"), so a spec that runs under runc runs here.
   */
  public static String deviceAccess(String access) {
    StringBuilder out = new StringBuilder(3);
    if (access.indexOf('r') >= 0) out.append('r');
    if (access.indexOf('w') >= 0) out.append('w');
    if (access.indexOf('m') >= 0) out.append('m');
    return out.toString();
  }

  private static String number(Long n) {
    return n == null || n < 0 ? "*" : n.toString();
  }

  /**
   * The devices every container may use whatever its spec says (/dev/null, zero, full, random,
   * urandom, tty, the console's pts and ptmx, tun; mknod of any node), as runc grants them: the
   * nodes the runtime itself creates.
   */
  static List<String> defaultDeviceRules() {
    return List.of(
        "c *:* m",
        "b *:* m",
        "c 1:3 rwm",
        "c 1:8 rwm",
        "c 1:7 rwm",
        "c 5:0 rwm",
        "c 1:5 rwm",
        "c 1:9 rwm",
        "c 136:* rwm",
        "c 5:2 rwm",
        "c 10:200 rwm");
  }

  /**
   * The names cgroup files use for this host's huge page sizes ("2MB", "1GB"), from
   * /sys/kernel/mm/hugepages ("hugepages-2048kB"); empty without huge page support.
   */
  static List<String> hugePageSizes(Path sysHugepages) throws IOException {
    List<String> sizes = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(sysHugepages, "hugepages-*kB")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        sizes.add(pageSizeName(Long.parseLong(n.substring("hugepages-".length(), n.length() - 2))));
      }
    } catch (NoSuchFileException e) {
      return List.of();
    }
    return sizes;
  }

  /**
   * 2048 -> "2MB", 1048576 -> "1GB", 64 -> "64KB": the kernel's names in hugetlb.<size>.* files.
   */
  static String pageSizeName(long kiB) {
    String[] units = {"KB", "MB", "GB", "TB", "PB"};
    int u = 0;
    long v = kiB;
    while (v >= 1024 && v % 1024 == 0 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return v + units[u];
  }

  /** A byte count of a cgroup file: "max" (v2) as unlimited, Long.MAX_VALUE. */
  static long parseCount(String value) {
    if (value == null || value.isEmpty()) return 0;
    if (value.equals("max")) return Long.MAX_VALUE;
    // Unsigned values past Long.MAX_VALUE (some v1 files) are unlimited too.
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return value.chars().allMatch(Character::isDigit) ? Long.MAX_VALUE : 0;
    }
  }
}
