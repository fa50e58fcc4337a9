package dev.berth.runtime.plan;

import dev.berth.sys.LinuxConstants;

/** Names of the flag bits and numbers that appear in ops, for descriptions and {@link PlanText}. */
final class Flags {
  private Flags() {}

  // The numbers are berth-sys's; this class only names them.
  static final long MS_RDONLY = LinuxConstants.MS_RDONLY,
      MS_NOSUID = LinuxConstants.MS_NOSUID,
      MS_NODEV = LinuxConstants.MS_NODEV,
      MS_NOEXEC = LinuxConstants.MS_NOEXEC,
      MS_REMOUNT = LinuxConstants.MS_REMOUNT,
      MS_BIND = LinuxConstants.MS_BIND,
      MS_MOVE = LinuxConstants.MS_MOVE,
      MS_REC = LinuxConstants.MS_REC,
      MS_UNBINDABLE = LinuxConstants.MS_UNBINDABLE,
      MS_PRIVATE = LinuxConstants.MS_PRIVATE,
      MS_SLAVE = LinuxConstants.MS_SLAVE,
      MS_SHARED = LinuxConstants.MS_SHARED;
  static final long PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;

  private static final long[] MOUNT_BITS = {
    MS_RDONLY,
    MS_NOSUID,
    MS_NODEV,
    MS_NOEXEC,
    16,
    32,
    64,
    128,
    1024,
    2048,
    MS_BIND,
    MS_MOVE,
    MS_REC,
    32768,
    MS_UNBINDABLE,
    MS_PRIVATE,
    MS_SLAVE,
    MS_SHARED,
    1 << 21,
    1 << 22,
    1 << 23,
    1 << 24,
    1 << 25
  };
  private static final String[] MOUNT_NAMES = {
    "MS_RDONLY",
    "MS_NOSUID",
    "MS_NODEV",
    "MS_NOEXEC",
    "MS_SYNCHRONOUS",
    "MS_REMOUNT",
    "MS_MANDLOCK",
    "MS_DIRSYNC",
    "MS_NOATIME",
    "MS_NODIRATIME",
    "MS_BIND",
    "MS_MOVE",
    "MS_REC",
    "MS_SILENT",
    "MS_UNBINDABLE",
    "MS_PRIVATE",
    "MS_SLAVE",
    "MS_SHARED",
    "MS_RELATIME",
    "MS_KERNMOUNT",
    "MS_I_VERSION",
    "MS_STRICTATIME",
    "MS_LAZYTIME"
  };

  /** The mount(8) option of each bit, for short descriptions ("remount /x ro,nosuid"). */
  private static final String[] MOUNT_OPTIONS = {
    "ro",
    "nosuid",
    "nodev",
    "noexec",
    "sync",
    "remount",
    "mand",
    "dirsync",
    "noatime",
    "nodiratime",
    "bind",
    "move",
    "rec",
    "silent",
    "unbindable",
    "private",
    "slave",
    "shared",
    "relatime",
    "kernmount",
    "iversion",
    "strictatime",
    "lazytime"
  };

  private static final long[] CLONE_BITS = {
    0x80L, 0x00020000L, 0x02000000L, 0x04000000L, 0x08000000L, 0x10000000L, 0x20000000L, 0x40000000L
  };
  private static final String[] CLONE_NAMES = {
    "CLONE_NEWTIME",
    "CLONE_NEWNS",
    "CLONE_NEWCGROUP",
    "CLONE_NEWUTS",
    "CLONE_NEWIPC",
    "CLONE_NEWUSER",
    "CLONE_NEWPID",
    "CLONE_NEWNET"
  };
  private static final String[] NAMESPACES = {
    "time", "mount", "cgroup", "uts", "ipc", "user", "pid", "network"
  };

  private static final String[] RLIMITS = {
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME"
  };

  static String mountFlags(long flags) {
    return names(flags, MOUNT_BITS, MOUNT_NAMES, "|", "0");
  }

  /** The options of a remount, without the bits that make it one: "ro,nosuid". */
  static String mountOptions(long flags) {
    return names(flags & ~(MS_BIND | MS_REMOUNT), MOUNT_BITS, MOUNT_OPTIONS, ",", "");
  }

  static String cloneFlags(long flags) {
    return names(flags, CLONE_BITS, CLONE_NAMES, "|", "0");
  }

  /** "mount, uts, pid" for CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWPID. */
  static String namespaces(long flags) {
    return names(flags & cloneMask(), CLONE_BITS, NAMESPACES, ", ", "");
  }

  /** The namespace type of one CLONE_NEW* bit ("network"), or its hex value. */
  static String namespace(long nstype) {
    for (int i = 0; i < CLONE_BITS.length; i++) if (CLONE_BITS[i] == nstype) return NAMESPACES[i];
    return nstype == 0 ? "any" : "0x" + Long.toHexString(nstype);
  }

  static String rlimit(int resource) {
    return resource >= 0 && resource < RLIMITS.length ? RLIMITS[resource] : "rlimit " + resource;
  }

  /** "rslave", "private": the name of a propagation-only mount's flags. */
  static String propagation(long flags) {
    String r = (flags & MS_REC) != 0 ? "r" : "";
    if ((flags & MS_SHARED) != 0) return r + "shared";
    if ((flags & MS_SLAVE) != 0) return r + "slave";
    if ((flags & MS_PRIVATE) != 0) return r + "private";
    return r + "unbindable";
  }

  /** "LINUX", "LINUX32": the execution domain of a persona, or its hex value. */
  static String persona(int persona) {
    return switch (persona) {
      case 0 -> "LINUX";
      case 8 -> "LINUX32";
      default -> "0x" + Integer.toHexString(persona);
    };
  }

  private static final String[] IOPRIO_CLASSES = {
    "IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"
  };

  static String ioprioClass(int ioClass) {
    return ioClass >= 0 && ioClass < IOPRIO_CLASSES.length
        ? IOPRIO_CLASSES[ioClass]
        : "class " + ioClass;
  }

  private static final String[] SCHED_POLICIES = {
    "SCHED_OTHER",
    "SCHED_FIFO",
    "SCHED_RR",
    "SCHED_BATCH",
    "SCHED_ISO",
    "SCHED_IDLE",
    "SCHED_DEADLINE"
  };

  static String schedPolicy(int policy) {
    return policy >= 0 && policy < SCHED_POLICIES.length
        ? SCHED_POLICIES[policy]
        : "policy " + policy;
  }

  private static final long[] SCHED_FLAG_BITS = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40};
  private static final String[] SCHED_FLAG_NAMES = {
    "SCHED_FLAG_RESET_ON_FORK",
    "SCHED_FLAG_RECLAIM",
    "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",
    "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX"
  };

  static String schedFlags(long flags) {
    return names(flags, SCHED_FLAG_BITS, SCHED_FLAG_NAMES, "|", "0");
  }

  private static final String[] MPOL_MODES = {
    "MPOL_DEFAULT",
    "MPOL_PREFERRED",
    "MPOL_BIND",
    "MPOL_INTERLEAVE",
    "MPOL_LOCAL",
    "MPOL_PREFERRED_MANY",
    "MPOL_WEIGHTED_INTERLEAVE"
  };
  private static final long[] MPOL_FLAG_BITS = {1 << 13, 1 << 14, 1 << 15};
  private static final String[] MPOL_FLAG_NAMES = {
    "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"
  };

  /** "MPOL_BIND|MPOL_F_STATIC_NODES": a mode with its flags, as set_mempolicy takes them. */
  static String mpolMode(int modeAndFlags) {
    int mode = modeAndFlags & 0xff;
    String name = mode < MPOL_MODES.length ? MPOL_MODES[mode] : "mode " + mode;
    long flags = modeAndFlags & ~0xffL;
    return flags == 0 ? name : name + "|" + names(flags, MPOL_FLAG_BITS, MPOL_FLAG_NAMES, "|", "");
  }

  private static long cloneMask() {
    long m = 0;
    for (long b : CLONE_BITS) m |= b;
    return m;
  }

  private static String names(long flags, long[] bits, String[] names, String sep, String none) {
    StringBuilder sb = new StringBuilder();
    long rest = flags;
    // The tables are in ascending bit order, so the text is stable.
    for (int i = 0; i < bits.length; i++) {
      if ((rest & bits[i]) == 0) continue;
      if (!sb.isEmpty()) sb.append(sep);
      sb.append(names[i]);
      rest &= ~bits[i];
    }
    if (rest != 0) {
      if (!sb.isEmpty()) sb.append(sep);
      sb.append("0x").append(Long.toHexString(rest));
    }
    return sb.isEmpty() ? none : sb.toString();
  }
}
