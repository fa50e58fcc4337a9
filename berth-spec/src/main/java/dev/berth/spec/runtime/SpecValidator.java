package dev.berth.spec.runtime;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a {@link Spec} against the runtime-spec and runc's own rules, before anything touches the
 * kernel, so a bad config fails with every problem named at once rather than with an errno halfway
 * through a create.
 *
 * <p>Each problem is one lowercase line that starts with the field path: {@code process.cwd: must
 * be an absolute path, got "tmp"}. An empty list means valid.
 *
 * <p>The name tables are public and in kernel order (the index of a capability is its number, the
 * index of an rlimit is its resource number), so the runtime maps names with the same source of
 * truth.
 */
public final class SpecValidator {
  private SpecValidator() {}

  /** Namespace types of linux.namespaces. */
  public static final List<String> NAMESPACE_TYPES =
      List.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time");

  /**
   * Capability names; the index is the capability number (capability.h), up to
   * CAP_CHECKPOINT_RESTORE (40).
   */
  public static final List<String> CAPABILITIES =
      List.of(
          "CAP_CHOWN",
          "CAP_DAC_OVERRIDE",
          "CAP_DAC_READ_SEARCH",
          "CAP_FOWNER",
          "CAP_FSETID",
          "CAP_KILL",
          "CAP_SETGID",
          "CAP_SETUID",
          "CAP_SETPCAP",
          "CAP_LINUX_IMMUTABLE",
          "CAP_NET_BIND_SERVICE",
          "CAP_NET_BROADCAST",
          "CAP_NET_ADMIN",
          "CAP_NET_RAW",
          "CAP_IPC_LOCK",
          "CAP_IPC_OWNER",
          "CAP_SYS_MODULE",
          "CAP_SYS_RAWIO",
          "CAP_SYS_CHROOT",
          "CAP_SYS_PTRACE",
          "CAP_SYS_PACCT",
          "CAP_SYS_ADMIN",
          "CAP_SYS_BOOT",
          "CAP_SYS_NICE",
          "CAP_SYS_RESOURCE",
          "CAP_SYS_TIME",
          "CAP_SYS_TTY_CONFIG",
          "CAP_MKNOD",
          "CAP_LEASE",
          "CAP_AUDIT_WRITE",
          "CAP_AUDIT_CONTROL",
          "CAP_SETFCAP",
          "CAP_MAC_OVERRIDE",
          "CAP_MAC_ADMIN",
          "CAP_SYSLOG",
          "CAP_WAKE_ALARM",
          "CAP_BLOCK_SUSPEND",
          "CAP_AUDIT_READ",
          "CAP_PERFMON",
          "CAP_BPF",
          "CAP_CHECKPOINT_RESTORE");

  /** Rlimit names; the index is the resource number of setrlimit(2) (asm-generic/resource.h). */
  public static final List<String> RLIMITS =
      List.of(
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
          "RLIMIT_RTTIME");

  /** Values of linux.rootfsPropagation. */
  public static final List<String> ROOTFS_PROPAGATIONS =
      List.of(
          "shared",
          "slave",
          "private",
          "rshared",
          "rslave",
          "rprivate",
          "unbindable",
          "runbindable");

  public static final List<String> SECCOMP_ACTIONS =
      List.of(
          "SCMP_ACT_KILL",
          "SCMP_ACT_KILL_PROCESS",
          "SCMP_ACT_KILL_THREAD",
          "SCMP_ACT_TRAP",
          "SCMP_ACT_ERRNO",
          "SCMP_ACT_TRACE",
          "SCMP_ACT_ALLOW",
          "SCMP_ACT_LOG",
          "SCMP_ACT_NOTIFY");

  public static final List<String> SECCOMP_OPERATORS =
      List.of(
          "SCMP_CMP_NE",
          "SCMP_CMP_LT",
          "SCMP_CMP_LE",
          "SCMP_CMP_EQ",
          "SCMP_CMP_GE",
          "SCMP_CMP_GT",
          "SCMP_CMP_MASKED_EQ");

  public static final List<String> SECCOMP_FLAGS =
      List.of(
          "SECCOMP_FILTER_FLAG_TSYNC",
          "SECCOMP_FILTER_FLAG_LOG",
          "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");

  public static final List<String> SECCOMP_ARCHITECTURES =
      List.of(
          "SCMP_ARCH_X86",
          "SCMP_ARCH_X86_64",
          "SCMP_ARCH_X32",
          "SCMP_ARCH_ARM",
          "SCMP_ARCH_AARCH64",
          "SCMP_ARCH_MIPS",
          "SCMP_ARCH_MIPS64",
          "SCMP_ARCH_MIPS64N32",
          "SCMP_ARCH_MIPSEL",
          "SCMP_ARCH_MIPSEL64",
          "SCMP_ARCH_MIPSEL64N32",
          "SCMP_ARCH_PPC",
          "SCMP_ARCH_PPC64",
          "SCMP_ARCH_PPC64LE",
          "SCMP_ARCH_S390",
          "SCMP_ARCH_S390X",
          "SCMP_ARCH_PARISC",
          "SCMP_ARCH_PARISC64",
          "SCMP_ARCH_RISCV64",
          "SCMP_ARCH_LOONGARCH64",
          "SCMP_ARCH_M68K",
          "SCMP_ARCH_SH",
          "SCMP_ARCH_SHEB");

  /** True if {@code type} is a namespace type of the runtime-spec. */
  public static boolean isNamespaceType(String type) {
    return NAMESPACE_TYPES.contains(type);
  }

  /** The capability number of {@code name} ({@code CAP_KILL} is 5), or -1 if unknown. */
  public static int capabilityNumber(String name) {
    return CAPABILITIES.indexOf(name);
  }

  /**
   * The setrlimit(2) resource number of {@code name} ({@code RLIMIT_NOFILE} is 7), or -1 if
   * unknown.
   */
  public static int rlimitNumber(String name) {
    return RLIMITS.indexOf(name);
  }

  /**
   * Every problem of {@code spec}; empty if it is valid. {@code forCreate}: the spec will start a
   * container, so a process is required (a spec that only describes, say for {@code spec} or {@code
   * update}, may omit it).
   */
  public static List<String> validate(Spec spec, boolean forCreate) {
    List<String> problems = new ArrayList<>();
    version(spec.ociVersion(), problems);
    if (spec.root() == null) {
      problems.add("root: must be present");
    } else if (spec.root().path().isEmpty()) {
      problems.add("root.path: must not be empty");
    }
    if (spec.process() != null) {
      process(spec.process(), "process", problems);
    } else if (forCreate) {
      problems.add("process: must be present");
    }

    Linux linux = spec.linux();
    List<Namespace> namespaces = linux == null ? List.of() : linux.namespaces();
    if (!spec.hostname().isEmpty() && !hasNamespace(namespaces, "uts")) {
      problems.add("hostname: needs a uts namespace in linux.namespaces");
    }
    if (!spec.domainname().isEmpty() && !hasNamespace(namespaces, "uts")) {
      problems.add("domainname: needs a uts namespace in linux.namespaces");
    }

    for (int i = 0; i < spec.mounts().size(); i++) {
      Mount m = spec.mounts().get(i);
      String at = "mounts[" + i + "]";
      if (m.destination().isEmpty()) {
        problems.add(at + ".destination: must not be empty");
      }
      idMappings(m.uidMappings(), at + ".uidMappings", problems);
      idMappings(m.gidMappings(), at + ".gidMappings", problems);
    }

    Hooks h = spec.hooks();
    hooks(h.prestart(), "hooks.prestart", problems);
    hooks(h.createRuntime(), "hooks.createRuntime", problems);
    hooks(h.createContainer(), "hooks.createContainer", problems);
    hooks(h.startContainer(), "hooks.startContainer", problems);
    hooks(h.poststart(), "hooks.poststart", problems);
    hooks(h.poststop(), "hooks.poststop", problems);

    if (linux != null) {
      linux(linux, problems);
    }
    return problems;
  }

  /**
   * Problems of a process on its own, as {@code exec --process} gives one; fields are named {@code
   * process.*}.
   */
  public static List<String> validateProcess(Process process) {
    List<String> problems = new ArrayList<>();
    process(process, "process", problems);
    return problems;
  }

  /**
   * Problems of a resources document, as {@code update -r} gives one; fields are named {@code
   * linux.resources.*}.
   */
  public static List<String> validateResources(Resources resources) {
    List<String> problems = new ArrayList<>();
    resources(resources, "linux.resources", problems);
    return problems;
  }

  // ---- parts ----

  private static void version(String v, List<String> problems) {
    if (v.isEmpty()) {
      problems.add("ociVersion: must not be empty");
      return;
    }
    // SemVer with major 1: "1.0.2-dev", "1.1.0", "1.2.0+dev"; "1.0" is tolerated as older tools
    // write it.
    int end = v.length();
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) == '-' || v.charAt(i) == '+') {
        end = i;
        break;
      }
    }
    String[] parts = v.substring(0, end).split("\\.", -1);
    boolean ok = parts.length >= 2 && parts.length <= 3 && parts[0].equals("1");
    for (int i = 1; ok && i < parts.length; i++) {
      ok = !parts[i].isEmpty() && isDigits(parts[i]);
    }
    if (!ok) {
      problems.add("ociVersion: unsupported version " + quote(v) + ", want 1.x");
    }
  }

  private static void process(Process p, String at, List<String> problems) {
    if (p.args().isEmpty()) {
      problems.add(at + ".args: must not be empty");
    }
    if (!p.cwd().startsWith("/")) {
      problems.add(at + ".cwd: must be an absolute path, got " + quote(p.cwd()));
    }
    for (int i = 0; i < p.env().size(); i++) {
      String e = p.env().get(i);
      if (e.indexOf('=') <= 0) {
        problems.add(at + ".env[" + i + "]: must be NAME=VALUE, got " + quote(e));
      }
    }
    if (p.oomScoreAdj() != null && (p.oomScoreAdj() < -1000 || p.oomScoreAdj() > 1000)) {
      problems.add(at + ".oomScoreAdj: must be between -1000 and 1000, got " + p.oomScoreAdj());
    }
    // Unknown capability names are no problem: the runtime warns and leaves them out, as runc does
    // (a spec written for a newer kernel still runs); see unknownCapabilities.
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < p.rlimits().size(); i++) {
      Rlimit r = p.rlimits().get(i);
      String ra = at + ".rlimits[" + i + "]";
      if (rlimitNumber(r.type()) < 0) {
        problems.add(ra + ".type: unknown rlimit " + quote(r.type()));
      } else if (!seen.add(r.type())) {
        problems.add(ra + ".type: duplicate rlimit " + quote(r.type()));
      }
      if (Long.compareUnsigned(r.soft(), r.hard()) > 0) {
        problems.add(
            ra
                + ": soft limit "
                + Long.toUnsignedString(r.soft())
                + " exceeds hard limit "
                + Long.toUnsignedString(r.hard()));
      }
    }
    scheduling(p, at, problems);
  }

  /** The I/O priority classes of runtime-spec, by name: their IOPRIO_CLASS_* numbers. */
  public static final Map<String, Integer> IOPRIO_CLASSES =
      Map.of("IOPRIO_CLASS_RT", 1, "IOPRIO_CLASS_BE", 2, "IOPRIO_CLASS_IDLE", 3);

  /** The scheduling policies of runtime-spec, by name: their SCHED_* numbers. */
  public static final Map<String, Integer> SCHED_POLICIES =
      Map.of(
          "SCHED_OTHER", 0,
          "SCHED_FIFO", 1,
          "SCHED_RR", 2,
          "SCHED_BATCH", 3,
          "SCHED_ISO", 4,
          "SCHED_IDLE", 5,
          "SCHED_DEADLINE", 6);

  /** The scheduler flags of runtime-spec, by name: their SCHED_FLAG_* bits. */
  public static final Map<String, Integer> SCHED_FLAGS =
      Map.of(
          "SCHED_FLAG_RESET_ON_FORK", 0x01,
          "SCHED_FLAG_RECLAIM", 0x02,
          "SCHED_FLAG_DL_OVERRUN", 0x04,
          "SCHED_FLAG_KEEP_POLICY", 0x08,
          "SCHED_FLAG_KEEP_PARAMS", 0x10,
          "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20,
          "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40);

  /** The memory policy modes of runtime-spec, by name: their MPOL_* numbers. */
  public static final Map<String, Integer> MPOL_MODES =
      Map.of(
          "MPOL_DEFAULT", 0,
          "MPOL_PREFERRED", 1,
          "MPOL_BIND", 2,
          "MPOL_INTERLEAVE", 3,
          "MPOL_LOCAL", 4,
          "MPOL_PREFERRED_MANY", 5,
          "MPOL_WEIGHTED_INTERLEAVE", 6);

  /** The memory policy mode flags of runtime-spec, by name: their MPOL_F_* bits. */
  public static final Map<String, Integer> MPOL_FLAGS =
      Map.of(
          "MPOL_F_NUMA_BALANCING", 1 << 13,
          "MPOL_F_RELATIVE_NODES", 1 << 14,
          "MPOL_F_STATIC_NODES", 1 << 15);

  /** CPU numbers in execCPUAffinity are below this (the kernel's largest NR_CPUS). */
  public static final int MAX_CPUS = 8192;

  /** NUMA node numbers in linux.memoryPolicy are below this (the kernel's largest MAX_NUMNODES). */
  public static final int MAX_NODES = 1024;

  // ioPriority, scheduler and execCPUAffinity, refused as runc refuses them (in runc's words where
  // callers grep them).
  private static void scheduling(Process p, String at, List<String> problems) {
    IoPriority io = p.ioPriority();
    if (io != null) {
      if (!IOPRIO_CLASSES.containsKey(io.ioClass())) {
        problems.add(
            at
                + ".ioPriority.class: invalid io priority class "
                + quote(io.ioClass())
                + ", want IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE");
      }
      if (io.priority() < 0 || io.priority() > 7) {
        problems.add(at + ".ioPriority.priority: must be between 0 and 7, got " + io.priority());
      }
    }
    Scheduler s = p.scheduler();
    if (s != null) {
      String sa = at + ".scheduler";
      if (s.policy().isEmpty()) {
        problems.add(sa + ".policy: scheduler policy is required");
      } else if (!SCHED_POLICIES.containsKey(s.policy())) {
        problems.add(sa + ".policy: invalid scheduler policy " + quote(s.policy()));
      }
      if (s.nice() < -20 || s.nice() > 19) {
        problems.add(sa + ".nice: invalid scheduler.nice: " + s.nice() + ", want -20 to 19");
      }
      if (s.priority() != 0 && !s.policy().equals("SCHED_FIFO") && !s.policy().equals("SCHED_RR")) {
        problems.add(
            sa
                + ".priority: scheduler.priority can only be specified for SchedFIFO or SchedRR policy");
      }
      if (SCHED_POLICIES.containsKey(s.policy())
          && !s.policy().equals("SCHED_DEADLINE")
          && (s.runtime() != 0 || s.deadline() != 0 || s.period() != 0)) {
        problems.add(
            sa
                + ": scheduler runtime/deadline/period can only be specified for SchedDeadline policy");
      }
      for (String f : s.flags()) {
        if (!SCHED_FLAGS.containsKey(f))
          problems.add(sa + ".flags: invalid scheduler flag " + quote(f));
      }
    }
    ExecCpuAffinity a = p.execCpuAffinity();
    if (a != null) {
      cpuList(a.initial(), at + ".execCPUAffinity.initial", problems);
      cpuList(a.finalCpus(), at + ".execCPUAffinity.final", problems);
    }
  }

  private static void cpuList(String list, String at, List<String> problems) {
    try {
      CpuList.parse(list, MAX_CPUS);
    } catch (IllegalArgumentException e) {
      problems.add(at + ": invalid CPU list " + quote(list) + ": " + e.getMessage());
    }
  }

  private static void memoryPolicy(MemoryPolicy m, List<String> problems) {
    if (m.isEmpty()) return;
    if (!MPOL_MODES.containsKey(m.mode())) {
      problems.add("linux.memoryPolicy.mode: invalid memory policy mode " + quote(m.mode()));
    }
    try {
      CpuList.parse(m.nodes(), MAX_NODES);
    } catch (IllegalArgumentException e) {
      problems.add(
          "linux.memoryPolicy.nodes: invalid memory policy nodes "
              + quote(m.nodes())
              + ": "
              + e.getMessage());
    }
    for (String f : m.flags()) {
      if (!MPOL_FLAGS.containsKey(f)) {
        problems.add("linux.memoryPolicy.flags: invalid memory policy flag " + quote(f));
      }
    }
  }

  /**
   * The names in {@code p}'s capability sets that are no capability this runtime knows, each once,
   * in the order of the sets (bounding, effective, inheritable, permitted, ambient). runc ignores
   * them with a warning ("ignoring unknown or unavailable capabilities"), and so does berth's
   * runtime; the engine refuses them in its users' options.
   */
  public static List<String> unknownCapabilities(Process p) {
    java.util.LinkedHashSet<String> unknown = new java.util.LinkedHashSet<>();
    Capabilities c = p.capabilities();
    if (c == null) return List.of();
    for (List<String> set :
        List.of(c.bounding(), c.effective(), c.inheritable(), c.permitted(), c.ambient())) {
      for (String n : set) if (capabilityNumber(n) < 0) unknown.add(n);
    }
    return List.copyOf(unknown);
  }

  private static void hooks(List<Hook> hooks, String at, List<String> problems) {
    for (int i = 0; i < hooks.size(); i++) {
      Hook h = hooks.get(i);
      if (!h.path().startsWith("/")) {
        problems.add(at + "[" + i + "].path: must be an absolute path, got " + quote(h.path()));
      }
      if (h.timeout() != null && h.timeout() <= 0) {
        problems.add(at + "[" + i + "].timeout: must be greater than 0, got " + h.timeout());
      }
    }
  }

  private static void linux(Linux l, List<String> problems) {
    Set<String> seen = new HashSet<>();
    boolean createsUserns = false;
    boolean hasUserns = false;
    for (int i = 0; i < l.namespaces().size(); i++) {
      Namespace n = l.namespaces().get(i);
      String at = "linux.namespaces[" + i + "]";
      if (!isNamespaceType(n.type())) {
        problems.add(at + ".type: unknown namespace type " + quote(n.type()));
      } else if (!seen.add(n.type())) {
        problems.add(at + ".type: duplicate namespace " + quote(n.type()));
      }
      if (!n.path().isEmpty() && !n.path().startsWith("/")) {
        problems.add(at + ".path: must be an absolute path, got " + quote(n.path()));
      }
      if (n.type().equals("user")) {
        hasUserns = true;
        createsUserns = n.path().isEmpty();
      }
    }

    idMappings(l.uidMappings(), "linux.uidMappings", problems);
    idMappings(l.gidMappings(), "linux.gidMappings", problems);
    // runc's rule: mappings belong to a user namespace; one that is created (not joined) needs
    // them.
    if (createsUserns) {
      if (l.uidMappings().isEmpty()) {
        problems.add("linux.uidMappings: required when a user namespace is created");
      }
      if (l.gidMappings().isEmpty()) {
        problems.add("linux.gidMappings: required when a user namespace is created");
      }
    } else if (!hasUserns) {
      if (!l.uidMappings().isEmpty()) {
        problems.add("linux.uidMappings: needs a user namespace in linux.namespaces");
      }
      if (!l.gidMappings().isEmpty()) {
        problems.add("linux.gidMappings: needs a user namespace in linux.namespaces");
      }
    }

    if (!l.timeOffsets().isEmpty() && !hasNamespace(l.namespaces(), "time")) {
      problems.add("linux.timeOffsets: needs a time namespace in linux.namespaces");
    }
    for (String clock : l.timeOffsets().keySet()) {
      if (!clock.equals("monotonic") && !clock.equals("boottime")) {
        problems.add(
            "linux.timeOffsets: unknown clock " + quote(clock) + ", want monotonic or boottime");
      }
    }

    for (int i = 0; i < l.devices().size(); i++) {
      Device d = l.devices().get(i);
      String at = "linux.devices[" + i + "]";
      switch (d.type()) {
        case "c", "b", "u", "p" -> {}
        default ->
            problems.add(
                at + ".type: unknown device type " + quote(d.type()) + ", want c, b, u or p");
      }
      if (!d.path().startsWith("/")) {
        problems.add(at + ".path: must be an absolute path, got " + quote(d.path()));
      }
    }

    if (l.resources() != null) {
      resources(l.resources(), "linux.resources", problems);
    }

    for (String key : new java.util.TreeSet<>(l.sysctl().keySet())) {
      sysctl(key, l.namespaces(), problems);
    }

    if (!l.rootfsPropagation().isEmpty() && !ROOTFS_PROPAGATIONS.contains(l.rootfsPropagation())) {
      problems.add(
          "linux.rootfsPropagation: unknown propagation "
              + quote(l.rootfsPropagation())
              + ", want one of "
              + String.join(" ", ROOTFS_PROPAGATIONS));
    }

    if (!hasNamespace(l.namespaces(), "mount")) {
      // They would change the host's mounts (runc's words).
      if (!l.maskedPaths().isEmpty()) {
        problems.add(
            "linux.maskedPaths: unable to restrict sys entries without a private MNT namespace");
      }
      if (!l.readonlyPaths().isEmpty()) {
        problems.add(
            "linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace");
      }
    }
    absolutePaths(l.maskedPaths(), "linux.maskedPaths", problems);
    absolutePaths(l.readonlyPaths(), "linux.readonlyPaths", problems);

    if (l.seccomp() != null) {
      seccomp(l.seccomp(), problems);
    }

    netDevices(l, problems);
    if (l.intelRdt() != null) {
      String clos = l.intelRdt().closID();
      if (clos.equals(".") || clos.equals("..") || clos.contains("/")) {
        problems.add("linux.intelRdt.closID: invalid intelRdt.ClosID " + quote(clos));
      }
    }

    if (l.personality() != null) {
      String domain = l.personality().domain();
      if (!domain.equals("LINUX") && !domain.equals("LINUX32")) {
        problems.add(
            "linux.personality.domain: unknown domain "
                + quote(domain)
                + ", want LINUX or LINUX32");
      }
    }
    if (l.memoryPolicy() != null) memoryPolicy(l.memoryPolicy(), problems);
  }

  /**
   * runc's rules for linux.netDevices: a network namespace of the container's own (whether it is
   * the host's, which a path may name, is the runtime's check), names the kernel accepts, and no
   * two devices ending up with one name in the container.
   */
  private static void netDevices(Linux l, List<String> problems) {
    if (l.netDevices().isEmpty()) return;
    if (!hasNamespace(l.namespaces(), "network")) {
      problems.add(
          "linux.netDevices: unable to move network devices without a private NET namespace");
    }
    java.util.Map<String, String> byTarget = new java.util.HashMap<>();
    for (var e : l.netDevices().entrySet()) {
      String at = "linux.netDevices[" + e.getKey() + "]";
      if (!isNetDeviceName(e.getKey())) {
        problems.add(at + ": invalid network device name " + quote(e.getKey()));
      }
      String target = e.getValue().name().isEmpty() ? e.getKey() : e.getValue().name();
      if (!e.getValue().name().isEmpty() && !isNetDeviceName(target)) {
        problems.add(at + ".name: invalid network device name " + quote(target));
      }
      String other = byTarget.putIfAbsent(target, e.getKey());
      if (other != null) {
        problems.add(
            at
                + ": network device name "
                + quote(target)
                + " is already taken in the container by "
                + quote(other));
      }
    }
  }

  /**
   * The kernel's dev_valid_name: 1 to 15 bytes (IFNAMSIZ with its NUL), not "." or "..", no '/',
   * ':' or whitespace.
   */
  public static boolean isNetDeviceName(String name) {
    byte[] b = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (b.length == 0 || b.length > 15 || name.equals(".") || name.equals("..")) return false;
    for (byte c : b) {
      if (c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r')) return false;
    }
    return true;
  }

  /**
   * The sysctls of the ipc namespace that are not under fs.mqueue (ipc_namespaces(7)), as runc
   * lists them.
   */
  private static final Set<String> IPC_SYSCTLS =
      Set.of(
          "kernel/msgmax",
          "kernel/msgmnb",
          "kernel/msgmni",
          "kernel/sem",
          "kernel/shmall",
          "kernel/shmmax",
          "kernel/shmmni",
          "kernel/shm_rmid_forced");

  /**
   * The file of a sysctl under /proc/sys: {@code net.ipv4.ip_forward} is {@code
   * net/ipv4/ip_forward}; a key written with slashes is taken as it is, so its dots are literal
   * ({@code net/ipv4/conf/eth0.100/forwarding}), as sysctl(8) reads it. Null when a component is
   * empty, "." or "..": such a key names no sysctl.
   */
  public static String sysctlPath(String key) {
    String path = key.indexOf('/') >= 0 ? key : key.replace('.', '/');
    for (String part : path.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return null;
      }
    }
    return path;
  }

  /**
   * A sysctl is written inside the container, so it must belong to a namespace the container has:
   * otherwise the write changes the host (kernel.core_pattern runs a program as host root). ipc
   * sysctls need an ipc namespace, uts ones a uts namespace, net.* a network namespace (the runtime
   * also refuses a network namespace path that is the host's own); everything else is refused, as
   * runc does.
   */
  private static void sysctl(String key, List<Namespace> namespaces, List<String> problems) {
    String at = "linux.sysctl[" + quote(key) + "]";
    String path = sysctlPath(key);
    if (path == null) {
      problems.add(at + ": not a sysctl name");
    } else if (IPC_SYSCTLS.contains(path) || path.startsWith("fs/mqueue/")) {
      if (!hasNamespace(namespaces, "ipc")) {
        problems.add(
            at
                + ": not allowed in the host's ipc namespace: needs an ipc namespace in"
                + " linux.namespaces");
      }
    } else if (path.startsWith("net/")) {
      if (!hasNamespace(namespaces, "network")) {
        problems.add(
            at
                + ": not allowed in the host's network namespace: needs a network namespace in"
                + " linux.namespaces");
      }
    } else if (path.equals("kernel/hostname") && hasNamespace(namespaces, "uts")) {
      problems.add(at + ": not allowed: set the hostname field instead");
    } else if (!(path.equals("kernel/domainname") && hasNamespace(namespaces, "uts"))) {
      problems.add(at + ": not in a separate kernel namespace: it would change the host");
    }
  }

  private static void resources(Resources r, String at, List<String> problems) {
    for (int i = 0; i < r.devices().size(); i++) {
      DeviceRule d = r.devices().get(i);
      String da = at + ".devices[" + i + "]";
      switch (d.type()) {
        case "", "a", "b", "c" -> {}
        default ->
            problems.add(da + ".type: unknown device type " + quote(d.type()) + ", want a, b or c");
      }
      // The access string is not checked: runc ignores letters other than r, w and m, and so does
      // the runtime.
    }
  }

  private static void seccomp(Seccomp s, List<String> problems) {
    // No default action and no rules: seccomp is off, as runc reads it.
    if (s.defaultAction().isEmpty() && s.syscalls().isEmpty()) {
      return;
    }
    boolean notify = false;
    if (!SECCOMP_ACTIONS.contains(s.defaultAction())) {
      problems.add("linux.seccomp.defaultAction: unknown action " + quote(s.defaultAction()));
    } else if (s.defaultAction().equals("SCMP_ACT_NOTIFY")) {
      // Every syscall, including those the runtime still makes, would wait for the listener: a
      // deadlock.
      problems.add("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
    }
    for (int i = 0; i < s.architectures().size(); i++) {
      if (!SECCOMP_ARCHITECTURES.contains(s.architectures().get(i))) {
        problems.add(
            "linux.seccomp.architectures["
                + i
                + "]: unknown architecture "
                + quote(s.architectures().get(i)));
      }
    }
    for (int i = 0; i < s.flags().size(); i++) {
      if (!SECCOMP_FLAGS.contains(s.flags().get(i))) {
        problems.add("linux.seccomp.flags[" + i + "]: unknown flag " + quote(s.flags().get(i)));
      }
    }
    for (int i = 0; i < s.syscalls().size(); i++) {
      SeccompSyscall sc = s.syscalls().get(i);
      String at = "linux.seccomp.syscalls[" + i + "]";
      if (sc.names().isEmpty()) {
        problems.add(at + ".names: must not be empty");
      }
      if (!SECCOMP_ACTIONS.contains(sc.action())) {
        problems.add(at + ".action: unknown action " + quote(sc.action()));
      }
      notify |= sc.action().equals("SCMP_ACT_NOTIFY");
      for (int j = 0; j < sc.args().size(); j++) {
        SeccompArg a = sc.args().get(j);
        if (!SECCOMP_OPERATORS.contains(a.op())) {
          problems.add(at + ".args[" + j + "].op: unknown operator " + quote(a.op()));
        }
        if (Integer.compareUnsigned(a.index(), 6) >= 0) {
          problems.add(
              at
                  + ".args["
                  + j
                  + "].index: must be below 6, got "
                  + Integer.toUnsignedString(a.index()));
        }
      }
    }
    if (notify && s.listenerPath().isEmpty()) {
      problems.add("linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY");
    }
  }

  private static void idMappings(List<IdMapping> mappings, String at, List<String> problems) {
    for (int i = 0; i < mappings.size(); i++) {
      IdMapping m = mappings.get(i);
      String ma = at + "[" + i + "]";
      if (m.size() <= 0) {
        problems.add(ma + ".size: must be greater than 0");
        continue;
      }
      if (m.containerID() + m.size() > 0x1_0000_0000L || m.hostID() + m.size() > 0x1_0000_0000L) {
        problems.add(ma + ": range exceeds the 32-bit id space");
        continue;
      }
      // The kernel refuses a map whose ranges overlap on either side (user_namespaces(7)).
      for (int j = 0; j < i; j++) {
        IdMapping o = mappings.get(j);
        if (o.size() <= 0) {
          continue;
        }
        if (overlaps(m.containerID(), m.size(), o.containerID(), o.size())) {
          problems.add(
              ma
                  + ": container ids "
                  + range(m.containerID(), m.size())
                  + " overlap "
                  + at
                  + "["
                  + j
                  + "]");
        }
        if (overlaps(m.hostID(), m.size(), o.hostID(), o.size())) {
          problems.add(
              ma + ": host ids " + range(m.hostID(), m.size()) + " overlap " + at + "[" + j + "]");
        }
      }
    }
  }

  private static void absolutePaths(List<String> paths, String at, List<String> problems) {
    for (int i = 0; i < paths.size(); i++) {
      if (!paths.get(i).startsWith("/")) {
        problems.add(at + "[" + i + "]: must be an absolute path, got " + quote(paths.get(i)));
      }
    }
  }

  private static boolean overlaps(long a, long aSize, long b, long bSize) {
    return a < b + bSize && b < a + aSize;
  }

  private static String range(long first, long size) {
    return first + "-" + (first + size - 1);
  }

  private static boolean hasNamespace(List<Namespace> namespaces, String type) {
    for (Namespace n : namespaces) {
      if (n.type().equals(type)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code s} in double quotes with quotes, backslashes and control characters escaped, for
   * messages.
   */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
