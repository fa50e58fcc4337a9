package dev.berth.sys;

import java.nio.charset.StandardCharsets;

/**
 * What this kernel offers, probed on first use and then remembered (STYLE rule 11): the {@code
 * features} command, code paths and test gates all read these. Nothing is probed until asked; each
 * answer has its own holder class so asking one costs nothing for the others.
 */
public final class Kernel {
  private Kernel() {}

  /** How cgroups are mounted at /sys/fs/cgroup. */
  public enum CgroupMode {
    /** Only cgroup v1 hierarchies. */
    V1,
    /** v1 hierarchies, with the v2 one at /sys/fs/cgroup/unified (systemd's "hybrid"). */
    HYBRID,
    /** Only the v2 unified hierarchy. */
    V2,
    /** Nothing recognisable is mounted there. */
    NONE
  }

  /** Whether openat2(2) works (Linux 5.6+, and not filtered out by a seccomp profile around us). */
  public static boolean hasOpenat2() {
    return Openat2.WHY_NOT == null;
  }

  /** Why openat2 is not available ("openat2 /: syscall not implemented..."), or null when it is. */
  public static String whyNoOpenat2() {
    return Openat2.WHY_NOT;
  }

  /** The cgroup layout, from the statfs magic of /sys/fs/cgroup and /sys/fs/cgroup/unified. */
  public static CgroupMode cgroupMode() {
    return Cgroup.MODE;
  }

  /**
   * The highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap), e.g. 40 on
   * Linux 5.9+.
   */
  public static int capLastCap() {
    return CapLastCap.VALUE;
  }

  private static final class Openat2 {
    static final String WHY_NOT = probe();

    private static String probe() {
      try (Fd fd = Linux.openat2(null, "/", LinuxConstants.O_PATH, 0, 0)) {
        return null;
      } catch (ErrnoException e) {
        return e.getMessage();
      }
    }
  }

  private static final class Cgroup {
    static final CgroupMode MODE = probe();

    private static CgroupMode probe() {
      long root = magic("/sys/fs/cgroup");
      if (root == LinuxConstants.CGROUP2_SUPER_MAGIC) return CgroupMode.V2;
      if (root != LinuxConstants.TMPFS_MAGIC) return CgroupMode.NONE;
      return magic("/sys/fs/cgroup/unified") == LinuxConstants.CGROUP2_SUPER_MAGIC
          ? CgroupMode.HYBRID
          : CgroupMode.V1;
    }

    private static long magic(String path) {
      try {
        return Linux.statfsType(path);
      } catch (ErrnoException e) {
        return 0;
      }
    }
  }

  private static final class CapLastCap {
    static final int VALUE = read();

    private static int read() {
      try (Fd fd = Linux.open("/proc/sys/kernel/cap_last_cap", LinuxConstants.O_RDONLY, 0)) {
        return Integer.parseInt(new String(Linux.readAll(fd), StandardCharsets.US_ASCII).trim());
      } catch (ErrnoException | NumberFormatException e) {
        throw new IllegalStateException("read /proc/sys/kernel/cap_last_cap: " + e.getMessage(), e);
      }
    }
  }
}
