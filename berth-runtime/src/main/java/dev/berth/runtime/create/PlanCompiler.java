package dev.berth.runtime.create;

import static dev.berth.sys.LinuxConstants.*;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeLog;
import dev.berth.runtime.plan.Op;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.seccomp.SeccompCache;
import dev.berth.runtime.seccomp.SeccompProgram;
import dev.berth.spec.runtime.Capabilities;
import dev.berth.spec.runtime.CpuList;
import dev.berth.spec.runtime.Device;
import dev.berth.spec.runtime.Hook;
import dev.berth.spec.runtime.IdMapping;
import dev.berth.spec.runtime.IoPriority;
import dev.berth.spec.runtime.Linux;
import dev.berth.spec.runtime.MemoryPolicy;
import dev.berth.spec.runtime.Mount;
import dev.berth.spec.runtime.MountFlags;
import dev.berth.spec.runtime.MountOptions;
import dev.berth.spec.runtime.Namespace;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.Rlimit;
import dev.berth.spec.runtime.Scheduler;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecValidator;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Compiles a validated spec into the plan berth-init executes: every decision (defaults, order,
 * which mounts, devices, capabilities) is made here, in Java, so berth-init stays a policy-free
 * executor. The order follows what runc does, because peers and users observe it: namespaces,
 * rootfs and mounts, devices, createRuntime/createContainer hooks, pivot_root, masked and read-only
 * paths, sysctls, the scheduling fields (personality, memory policy, scheduler, I/O priority) while
 * still root and before seccomp, identity and capabilities, then the exec fifo and exec.
 */
public final class PlanCompiler {
  /**
   * Where the container goes on this host.
   *
   * @param cgroupPaths controller (or "unified") -> the container's cgroup directory on the host
   * @param seccompPrograms where compiled seccomp programs are kept ({@link SeccompCache#NONE}:
   *     compiled every time)
   */
  public record Context(
      String id,
      Path bundle,
      Path rootfs,
      Path fifo,
      boolean noPivot,
      boolean noNewKeyring,
      int preserveFds,
      Map<String, String> cgroupPaths,
      HostFacts host,
      SeccompCache seccompPrograms) {
    public Context {
      if (seccompPrograms == null) seccompPrograms = SeccompCache.NONE;
    }

    /** Without a cache of seccomp programs. */
    public Context(
        String id,
        Path bundle,
        Path rootfs,
        Path fifo,
        boolean noPivot,
        boolean noNewKeyring,
        int preserveFds,
        Map<String, String> cgroupPaths,
        HostFacts host) {
      this(
          id,
          bundle,
          rootfs,
          fifo,
          noPivot,
          noNewKeyring,
          preserveFds,
          cgroupPaths,
          host,
          SeccompCache.NONE);
    }
  }

  /**
   * What the plan depends on in the host: read once per create, and given fixed in tests so plans
   * are golden.
   *
   * @param capLastCap the highest capability the kernel knows (/proc/sys/kernel/cap_last_cap)
   * @param hasKcore whether /proc/kcore exists (the /dev/core link points there)
   * @param mountPoints the host's mount points in mount-table order (for the order of cgroup
   *     mounts)
   * @param euid the runtime's effective uid: not 0 when rootless
   * @param egid the runtime's effective gid
   * @param procSysMounts the mount points of whole (root "/") procfs and sysfs mounts: with
   *     --no-pivot they must go
   */
  public record HostFacts(
      int capLastCap,
      boolean hasKcore,
      List<String> mountPoints,
      int euid,
      int egid,
      List<String> procSysMounts) {
    /** The facts of a host where the runtime runs as root. */
    public HostFacts(int capLastCap, boolean hasKcore, List<String> mountPoints) {
      this(capLastCap, hasKcore, mountPoints, 0, 0);
    }

    public HostFacts(
        int capLastCap, boolean hasKcore, List<String> mountPoints, int euid, int egid) {
      this(capLastCap, hasKcore, mountPoints, euid, egid, List.of("/proc", "/sys"));
    }

    /** The facts of this host. */
    public static HostFacts probe() {
      String mountinfo = "";
      try {
        mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
      } catch (IOException e) {
        // no mount order: cgroup mounts sort by name
      }
      return probe(mountinfo);
    }

    /**
     * The facts of this host, given the text of /proc/self/mountinfo (create reads it once for the
     * cgroups too).
     */
    public static HostFacts probe(String mountinfo) {
      List<String> points = new ArrayList<>();
      List<String> procSys = new ArrayList<>();
      for (dev.berth.sys.MountInfo m : dev.berth.sys.MountInfo.parse(mountinfo)) {
        points.add(m.mountPoint());
        if (m.root().equals("/") && (m.fsType().equals("proc") || m.fsType().equals("sysfs")))
          procSys.add(m.mountPoint());
      }
      return new HostFacts(
          dev.berth.sys.Kernel.capLastCap(),
          Files.exists(Path.of("/proc/kcore"), LinkOption.NOFOLLOW_LINKS),
          points,
          dev.berth.sys.Linux.geteuid(),
          dev.berth.sys.Linux.getegid(),
          procSys);
    }
  }

  static final Map<String, Long> CLONE_FLAGS =
      Map.of(
          "pid",
          CLONE_NEWPID,
          "network",
          CLONE_NEWNET,
          "mount",
          CLONE_NEWNS,
          "ipc",
          CLONE_NEWIPC,
          "uts",
          CLONE_NEWUTS,
          "user",
          CLONE_NEWUSER,
          "cgroup",
          CLONE_NEWCGROUP,
          "time",
          CLONE_NEWTIME);

  /**
   * The order in which existing namespaces are joined: user first, so the others are owned by it;
   * mount last.
   */
  static final List<String> JOIN_ORDER =
      List.of("user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount");

  /** The devices every container gets (runtime-spec "Default Devices"). */
  static final List<Device> DEFAULT_DEVICES =
      List.of(
          new Device("c", "/dev/null", 1, 3, 0666, 0, 0),
          new Device("c", "/dev/zero", 1, 5, 0666, 0, 0),
          new Device("c", "/dev/full", 1, 7, 0666, 0, 0),
          new Device("c", "/dev/tty", 5, 0, 0666, 0, 0),
          new Device("c", "/dev/random", 1, 8, 0666, 0, 0),
          new Device("c", "/dev/urandom", 1, 9, 0666, 0, 0));

  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  private final Spec spec;
  private final Context ctx;
  private final Linux linux;
  private final Process process;
  private final List<Op> ops = new ArrayList<>();
  private final Map<String, Namespace> namespaces = new LinkedHashMap<>();
  private Op.Seccomp seccomp; // the compiled linux.seccomp, or null for none
  private boolean
      consoleMount; // a terminal's pty goes on /dev/console too: create, with a root of its own
  private int[]
      trees; // by mount index: its IdmapTree's number in the plan, or -1 for a mount that is not

  // idmapped

  private PlanCompiler(Spec spec, Context ctx) {
    this.spec = spec;
    this.ctx = ctx;
    this.linux = spec.linux();
    this.process = spec.process();
    if (linux != null) for (Namespace n : linux.namespaces()) namespaces.put(n.type(), n);
  }

  /**
   * The plan that creates this container; errors name the field of the spec that cannot be
   * honoured.
   */
  public static Plan compile(Spec spec, Context ctx) throws ContainerException {
    PlanCompiler c = new PlanCompiler(spec, ctx);
    c.cgroups();
    c.idmapTrees();
    c.namespaces();
    c.ops.add(new Op.WaitGo());
    // As runc (1.3): the container does not inherit the runtime's CPU affinity (a `taskset -c 0
    // runc run`); every CPU its cpuset allows.
    c.ops.add(new Op.SchedAffinity(List.of(), ""));
    boolean ownMounts = c.newNs("mount") || c.joinsNs("mount");
    if (c.rootlessMaps() && !c.staysDumpable()) c.ops.add(new Op.SetDumpable(false));
    // Before becoming the user namespace's root, which may not reach root.path (a 0700 parent, as
    // the engine's store has): every later path resolves from the root fd.
    c.enterRootfs(ownMounts);
    if (c.entersUserNs()) c.becomeNamespaceRoot();
    if (ownMounts) {
      c.rootfs();
      c.consoleMount = true;
    } else {
      c.chrootOnly();
    }
    c.hostIdentity();
    c.rlimits();
    c.session();
    c.ops.addAll(c.afterConsole);
    c.seccomp = seccomp(c.linux, ctx.seccompPrograms());
    c.privileges();
    c.exec();
    return new Plan(c.ops);
  }

  /** The names of the namespace files under /proc/<pid>/ns, by runtime-spec type. */
  static final Map<String, String> PROC_NS =
      Map.of(
          "pid", "pid", "network", "net", "mount", "mnt", "ipc", "ipc", "uts", "uts", "user",
          "user", "cgroup", "cgroup", "time", "time");

  /**
   * The plan of {@code exec}: join every namespace of the running container through its init's
   * /proc entries (user first; mount last, since after it /proc is the container's), clone into the
   * pid namespace, then the process's identity, limits and privileges as at create; no rootfs work,
   * no fifo.
   *
   * @param spec the container's config with {@code process} replaced by the process to run
   * @param namespaces the namespace types the container has (runtime-spec names)
   */
  public static Plan compileExec(Spec spec, Context ctx, int initPid, List<String> namespaces) {
    return compileExec(spec, ctx, initPid, namespaces, true, null);
  }

  /**
   * The plan of an exec'd process. With {@code bornInCgroups}, berth-init joins the container's
   * cgroups before it clones, as for create (no RCU wait); the caller passes false for a paused
   * container, whose frozen cgroup would freeze berth-init itself before it could report the pid.
   * With {@code waitFifo} (a host path, runc's --exec-wait-fifo), the process, set up, reports
   * ready and waits on that fifo before its execve, as a created container's init waits for start.
   */
  public static Plan compileExec(
      Spec spec,
      Context ctx,
      int initPid,
      List<String> namespaces,
      boolean bornInCgroups,
      String waitFifo) {
    PlanCompiler c = new PlanCompiler(spec, ctx);
    // execCPUAffinity (runtime-spec 1.2, runc 1.3): initial is berth-init's own, before it enters
    // the container's cgroups; final the process's once inside. Without final, the process gets
    // every CPU its cpuset allows, not the runtime's affinity.
    var affinity = c.process.execCpuAffinity();
    if (affinity != null && !affinity.initial().isEmpty())
      c.ops.add(new Op.SchedAffinity(cpus(affinity.initial()), "process.execCPUAffinity.initial"));
    if (bornInCgroups) c.cgroups();
    // Opened while berth-init still sees the host's files; the clone inherits it.
    if (waitFifo != null) c.ops.add(new Op.OpenFifo(waitFifo));
    for (String type : c.joinOrder()) {
      if (!namespaces.contains(type)) continue;
      c.ops.add(
          new Op.Setns(
              CLONE_FLAGS.get(type).intValue(), "/proc/" + initPid + "/ns/" + PROC_NS.get(type)));
    }
    c.ops.add(new Op.Clone(0));
    c.ops.add(new Op.WaitGo());
    if (affinity != null && !affinity.finalCpus().isEmpty())
      c.ops.add(new Op.SchedAffinity(cpus(affinity.finalCpus()), "process.execCPUAffinity.final"));
    else c.ops.add(new Op.SchedAffinity(List.of(), ""));
    // The container's root, which the joined mount namespace made ours: CHDIR resolves the cwd
    // inside it.
    c.ops.add(new Op.SetRoot("/"));
    // The fifo is reopened through the process's own /proc/self/fd (the container's /proc): the
    // host's that OpenFifo kept is berth-init's, which does not wait for it.
    if (waitFifo != null) c.ops.add(new Op.FifoDir());
    try {
      c.rlimits();
      c.seccomp = seccomp(c.linux, ctx.seccompPrograms());
      c.session();
      c.privileges();
    } catch (ContainerException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    try {
      fitsBerthInit(c.process.args(), "process.args");
      fitsBerthInit(c.environment(), "process.env");
    } catch (ContainerException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (waitFifo != null) {
      c.ops.add(new Op.Ready());
      c.ops.add(new Op.WaitFifo());
    }
    c.ops.add(new Op.Exec(c.process.args(), c.environment()));
    return new Plan(c.ops);
  }

  /**
   * Puts the container process in its cgroups from birth: berth-init joins every v1 hierarchy
   * itself, then clones into the cgroup2 directory (key ""). First in the plan, while berth-init
   * still sees the host's /sys/fs/cgroup with the host's credentials. Moving a running process
   * there instead, by writing its pid to cgroup.procs, makes the kernel wait for an RCU grace
   * period: 10 ms and more on every create.
   */
  private void cgroups() {
    java.util.Set<String> joined = new java.util.HashSet<>();
    String unified = null;
    // Sorted: a plan does not depend on the map's order.
    for (var e : new TreeMap<>(ctx.cgroupPaths()).entrySet()) {
      if (e.getKey().isEmpty()) unified = e.getValue();
      else if (joined.add(e.getValue())) ops.add(new Op.JoinCgroup(e.getValue() + "/tasks"));
    }
    if (unified != null) ops.add(new Op.IntoCgroup(unified));
  }

  private boolean newNs(String type) {
    Namespace n = namespaces.get(type);
    return n != null && (n.path() == null || n.path().isEmpty());
  }

  /** Whether the container process lives in a user namespace, its own or one it joins. */
  private boolean entersUserNs() {
    return newNs("user") || joinsNs("user");
  }

  private boolean joinsNs(String type) {
    Namespace n = namespaces.get(type);
    return n != null && n.path() != null && !n.path().isEmpty();
  }

  private void namespaces() throws ContainerException {
    for (String type : joinOrder()) {
      if (!joinsNs(type)) continue;
      String path = namespaces.get(type).path();
      if (!Files.exists(Path.of(path))) {
        throw ContainerException.invalid(
            "linux.namespaces: " + type + " namespace path " + path + " does not exist");
      }
      ops.add(new Op.Setns(CLONE_FLAGS.get(type).intValue(), path));
    }
    if (joinsNs("network") && hasNetSysctl() && isHostNetwork(namespaces.get("network").path())) {
      throw ContainerException.invalid(
          "linux.sysctl: net.* sysctls are not allowed in the host's network namespace"
              + " (linux.namespaces names it: "
              + namespaces.get("network").path()
              + ")");
    }
    if (newNs("time")) timeNamespace();
    long flags = 0;
    for (var e : namespaces.entrySet()) {
      if (!newNs(e.getKey()) || e.getKey().equals("time")) continue;
      Long f = CLONE_FLAGS.get(e.getKey());
      if (f == null)
        throw ContainerException.invalid(
            "linux.namespaces: " + e.getKey() + " namespace is not supported yet");
      flags |= f;
    }
    // Without root the runtime can write the clone's maps only while the clone is dumpable (its
    // /proc files are then the caller's). berth-init turns it on before the clone, so the clone is
    // born dumpable: turned on by the clone itself, the runtime (told the pid by berth-init at
    // once) could write the maps first and fail with EACCES. compile turns it back off once the
    // maps are written (WaitGo), before the rootfs is opened. berth-init, the caller's own process
    // here, exits right after the clone.
    if (rootlessMaps()) ops.add(new Op.SetDumpable(true));
    ops.add(new Op.Clone(flags));
  }

  /**
   * {@link #JOIN_ORDER}, except that a runtime with root joins a user namespace last (on create and
   * exec): joined first, it would leave berth-init without capabilities over a namespace another
   * user namespace owns (the host's network namespace, say: EPERM), while the host root may join
   * every namespace, whoever owns it, and then the user namespace too.
   */
  private List<String> joinOrder() {
    if (ctx.host().euid() != 0) return JOIN_ORDER;
    List<String> order = new ArrayList<>(JOIN_ORDER);
    order.remove("user");
    order.add("user");
    return order;
  }

  private boolean hasNetSysctl() {
    if (linux == null) return false;
    for (String key : linux.sysctl().keySet()) {
      String path = SpecValidator.sysctlPath(key);
      if (path != null && path.startsWith("net/")) return true;
    }
    return false;
  }

  /**
   * Whether a network namespace file is the runtime's own (the host's): joining it isolates
   * nothing.
   */
  private static boolean isHostNetwork(String path) throws ContainerException {
    try {
      var ns = dev.berth.sys.Linux.stat(path);
      var own = dev.berth.sys.Linux.stat("/proc/self/ns/net");
      return ns.dev() == own.dev() && ns.ino() == own.ino();
    } catch (dev.berth.sys.ErrnoException e) {
      throw ContainerException.invalid(
          "linux.namespaces: network namespace path " + path + ": " + e.getMessage());
    }
  }

  private boolean rootlessMaps() {
    return newNs("user") && ctx.host().euid() != 0;
  }

  /**
   * Whether a rootless container process stays dumpable (berth-init is not; the plan turns the
   * clone's flag on for its maps): as under runc, whose init is non-dumpable only when it joins a
   * namespace by path, so that its caller may open the /proc/PID/ns files of a created container
   * and exec into it. Only with a mount namespace of its own and proc at /proc, so that {@link
   * Op.FifoDir} swaps the host's /proc/self/fd it keeps for the exec fifo for the container's, and
   * nothing a process exec'd into the container reaches through /proc/1/fd leads out of it.
   */
  private boolean staysDumpable() {
    if (!rootlessMaps() || !newNs("mount")) return false;
    for (Namespace n : namespaces.values())
      if (n.path() != null && !n.path().isEmpty()) return false;
    for (Mount m : spec.mounts())
      if ("proc".equals(m.type()) && !isBind(m) && dest(m).equals("/proc")) return true;
    return false;
  }

  /**
   * A time namespace takes its offsets only before a process is in it, and clone3's CLONE_NEWTIME
   * would give the offsets no window; so berth-init unshares it (it applies to berth-init's
   * children only), writes its own /proc/self/timens_offsets, then clones the container process
   * into it.
   */
  private void timeNamespace() {
    ops.add(new Op.Unshare(CLONE_NEWTIME));
    if (linux.timeOffsets().isEmpty()) return;
    StringBuilder text = new StringBuilder();
    for (var e : new TreeMap<>(linux.timeOffsets()).entrySet()) {
      text.append(e.getKey())
          .append(' ')
          .append(e.getValue().secs())
          .append(' ')
          .append(e.getValue().nanosecs())
          .append('\n');
    }
    ops.add(new Op.WriteFile("/proc/self/timens_offsets", text.toString()));
  }

  /**
   * In a user namespace, new or joined, the child starts as the unmapped host root; once Java has
   * written the maps (or setns has joined) and the rootfs is entered, it becomes root of its
   * namespace (as runc's init does), so the files it creates on filesystems mounted inside (the
   * /dev tmpfs) have an owner there: the unmapped host root gets EOVERFLOW. A namespace that does
   * not map 0 gets the process's own ids if they are mapped, else the first mapped ones; the
   * capabilities stay, the namespace being the child's (a uid change drops them only when it leaves
   * the namespace's root). The exec fifo is opened first: the state directory is the host root's,
   * and after the switch the child acts on host files as the mapped root. Root.path and its parent
   * directories were reached before, and a root runtime takes bind sources before the clone ({@link
   * #idmapTrees}); what the mapped root must still reach is the rootfs' content (runc does not
   * chown the rootfs either: the caller maps its owner or uses an idmapped mount) and, without
   * root, the bind sources.
   */
  private void becomeNamespaceRoot() throws ContainerException {
    ops.add(new Op.OpenFifo(ctx.fifo().toString()));
    List<IdMapping> uids, gids;
    String path = namespaces.get("user").path();
    if (joinsNs("user") && isProcUserNs(path)) {
      uids = joinedMappings(path, "uid_map");
      gids = joinedMappings(path, "gid_map");
    } else {
      // A pinned namespace (a bind-mounted nsfs file) has no map file to read: the spec's
      // mappings, if it repeats them (containerd does), say which ids it has.
      uids = linux.uidMappings();
      gids = linux.gidMappings();
    }
    ops.add(new Op.Setresgid(namespaceRootId(gids, process.user().gid())));
    ops.add(new Op.Setresuid(namespaceRootId(uids, process.user().uid())));
  }

  /** 0 if the mappings give it, else {@code own} if they give that, else their first id. */
  static int namespaceRootId(List<IdMapping> mappings, long own) {
    if (mappings.isEmpty() || maps(mappings, 0)) return 0;
    if (maps(mappings, own)) return (int) own;
    return (int) mappings.get(0).containerID();
  }

  private static boolean maps(List<IdMapping> mappings, long id) {
    for (IdMapping m : mappings)
      if (id >= m.containerID() && id - m.containerID() < m.size()) return true;
    return false;
  }

  private static final Pattern PROC_USER_NS =
      Pattern.compile("/proc/(\\d+)/(?:task/\\d+/)?ns/user");

  private static boolean isProcUserNs(String nsPath) {
    return PROC_USER_NS.matcher(nsPath).matches();
  }

  /**
   * The mappings of a joined user namespace named by /proc/PID/ns/user, read from that process's
   * map file (its first column is the id inside).
   */
  private static List<IdMapping> joinedMappings(String nsPath, String file)
      throws ContainerException {
    var m = PROC_USER_NS.matcher(nsPath);
    if (!m.matches()) throw new IllegalArgumentException(nsPath);
    Path map = Path.of("/proc", m.group(1), file);
    try {
      List<IdMapping> out = new ArrayList<>();
      for (String line : Files.readAllLines(map)) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 3)
          out.add(new IdMapping(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])));
      }
      return out;
    } catch (IOException | NumberFormatException e) {
      throw ContainerException.invalid(
          "linux.namespaces: user namespace path " + nsPath + ": cannot read " + map + ": " + e);
    }
  }

  // ---- root filesystem ----

  /**
   * Without a mount namespace of its own (the spec allows it) the container shares the runtime's
   * mounts, so nothing may be mounted or moved: the process is only chrooted into root.path (runc
   * 1.1.5 mounts the spec's mounts in the host's namespace here and leaves them behind). Mounts and
   * devices are not set up; SpecValidator refused masked and read-only paths. Sysctls are written
   * before the chroot, through the runtime's /proc (they are namespaced, and /proc/sys shows the
   * writer's namespaces).
   */
  private void chrootOnly() {
    if (!entersUserNs()) ops.add(new Op.OpenFifo(ctx.fifo().toString()));
    hooksBeforePivot();
    sysctls();
    ops.add(new Op.PivotRoot(Op.PivotRoot.Mode.CHROOT));
  }

  private void sysctls() {
    if (linux == null) return;
    // SpecValidator allowed only names of the container's own namespaces.
    for (var e : new TreeMap<>(linux.sysctl()).entrySet()) {
      ops.add(new Op.WriteFile("/proc/sys/" + SpecValidator.sysctlPath(e.getKey()), e.getValue()));
    }
  }

  /**
   * The mount the rootfs sits on, from the host's mount table: the longest mount point that is the
   * rootfs or one of its parents.
   */
  private String rootfsParentMount() {
    Path rootfs = ctx.rootfs();
    try {
      rootfs = rootfs.toRealPath();
    } catch (IOException e) {
      // the create fails later with a clearer error
    }
    String best = "/";
    for (String p : ctx.host().mountPoints()) {
      if (p.length() > best.length() && rootfs.startsWith(Path.of(p))) best = p;
    }
    return best;
  }

  /** linux.rootfsPropagation as mount flags; 0 when not given. */
  private long rootfsPropagationFlags() throws ContainerException {
    return linux == null || linux.rootfsPropagation() == null || linux.rootfsPropagation().isEmpty()
        ? 0
        : propagationFlag(linux.rootfsPropagation());
  }

  /**
   * The steps that reach root.path by its host path, ending with the root fd every in-root path
   * resolves from: with a mount namespace, the propagation of "/", a private parent mount when
   * needed and the rootfs bound onto itself (pivot_root wants a mount); without one, the root fd
   * alone. They run before {@link #becomeNamespaceRoot}, with the runtime's credentials.
   */
  private void enterRootfs(boolean ownMounts) throws ContainerException {
    String rootfs = ctx.rootfs().toString();
    if (ownMounts) {
      long given = rootfsPropagationFlags();
      long propagation = given == 0 ? MS_SLAVE | MS_REC : given;
      ops.add(new Op.Mount(false, false, "", "/", "", propagation, ""));
      if (propagation != (MS_SLAVE | MS_REC)
          && propagation != (MS_PRIVATE | MS_REC)
          && propagation != (MS_UNBINDABLE | MS_REC)) {
        // The mount under the rootfs may still be shared: then the bind below would propagate to
        // the host's peers and pivot_root refuses a new root whose parent is shared (EINVAL). runc
        // makes it private too.
        ops.add(new Op.Mount(false, false, "", rootfsParentMount(), "", MS_PRIVATE, ""));
      }
      ops.add(new Op.Mount(false, false, rootfs, rootfs, "", MS_BIND | MS_REC, ""));
    }
    ops.add(new Op.SetRoot(rootfs));
  }

  /** The container's mounts, devices and pivot_root, inside the root {@link #enterRootfs} set. */
  private void rootfs() throws ContainerException {
    boolean devBound = false;
    for (int i = 0; i < spec.mounts().size(); i++) {
      Mount m = spec.mounts().get(i);
      mount(m, i, trees[i]);
      if (dest(m).equals("/dev") && isBind(m)) devBound = true;
    }
    if (!devBound) devices();
    hooksBeforePivot();
    if (!entersUserNs()) ops.add(new Op.OpenFifo(ctx.fifo().toString()));
    if (ctx.noPivot()) hideHostProcAndSys();
    ops.add(new Op.PivotRoot(ctx.noPivot()));
    if (staysDumpable()) ops.add(new Op.FifoDir());
    // The rootfs was bound under a private parent (pivot_root needs it): a shared
    // rootfsPropagation is given to the new root now, as runc 1.2+ does (a peer group of the
    // container's own: the bind it comes from was private).
    long rootPropagation = rootfsPropagationFlags();
    if ((rootPropagation & MS_SHARED) != 0)
      ops.add(new Op.Mount(false, false, "", "/", "", rootPropagation, ""));
    // As runc: a cwd the image lacks is made (root's, 0755) inside the new root, before it or
    // anything above it can turn read-only.
    if (process != null && process.cwd() != null && !process.cwd().equals("/"))
      ops.add(new Op.Mkdirs(process.cwd(), 0755));
    // Sysctls first: /proc/sys is one of the read-only paths.
    sysctls();
    if (linux != null) {
      for (String p : linux.readonlyPaths()) ops.add(new Op.Readonly(p));
      for (String p : linux.maskedPaths()) ops.add(new Op.Mask(p));
    }
    // Read-only /dev and tmpfs mounts were mounted writable so that devices, /dev/pts and copied-up
    // content could be
    // made in them; they turn read-only now, as runc does at the end of the rootfs (paths are the
    // container's now).
    for (Op op : lateRemounts) {
      // A read-only /dev turns read-only only once the console's pty is on /dev/console (runc
      // mounts the console before it finalizes the rootfs).
      if (process != null
          && process.terminal()
          && op instanceof Op.Remount r
          && r.target().equals("/dev")) afterConsole.add(op);
      else ops.add(op);
    }
    if (spec.root().readonly())
      ops.add(new Op.Remount(false, "/", MS_BIND | MS_REMOUNT | MS_RDONLY));
  }

  private final List<Op> lateRemounts = new ArrayList<>();
  private final List<Op> afterConsole = new ArrayList<>();

  /**
   * With --no-pivot the host's root stays in the mount namespace under the chroot, and a whole
   * procfs or sysfs mount of the host is what lets the kernel allow a fresh proc mount in a user
   * namespace the container creates (it checks that an unobstructed one is already visible). So
   * they go, as under runc 1.1.5: detached (each made a slave first, so the detach does not reach
   * the host), or covered where the kernel refuses.
   */
  private void hideHostProcAndSys() {
    String rootfs = ctx.rootfs().toString();
    for (String p : ctx.host().procSysMounts()) {
      if (p.equals(rootfs) || p.startsWith(rootfs + "/")) continue;
      ops.add(new Op.Mount(false, false, "", p, "", MS_SLAVE | MS_REC, ""));
      ops.add(new Op.Umount(p, true));
    }
  }

  /**
   * A tmpfs over a directory the rootfs already has takes that directory's mode (setuid, setgid and
   * sticky bits too) unless its options give one, as under runc: /tmp stays 1777. The directory is
   * looked up inside the rootfs (its links resolved there), before anything is mounted.
   */
  private String withDirectoryMode(String dest, String data) {
    if (dest.equals("/")) return data;
    for (String opt : data.split(",")) if (opt.startsWith("mode=")) return data;
    int mode;
    try (Fd root =
            dev.berth.sys.Linux.open(ctx.rootfs().toString(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        Fd dir =
            dev.berth.sys.Linux.openat2(
                root, dest.substring(1), O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT)) {
      Stat st = dev.berth.sys.Linux.fstat(dir);
      if (!st.isDirectory()) return data;
      mode = st.mode() & 07777;
    } catch (ErrnoException e) {
      return data; // not there yet: made 0755 as runc makes it
    }
    String m = "mode=" + Integer.toOctalString(mode);
    return data.isEmpty() ? m : data + "," + m;
  }

  private static String dest(Mount m) {
    String d = m.destination();
    if (!d.startsWith("/")) d = "/" + d;
    return Path.of(d).normalize().toString();
  }

  /** A sysfs the container cannot mount itself, without a network namespace of its user's. */
  private boolean sysfsFromHost(Mount m) {
    return "sysfs".equals(m.type()) && !isBind(m) && newNs("user") && !newNs("network");
  }

  private static boolean isBind(Mount m) {
    return "bind".equals(m.type()) || m.options().contains("bind") || m.options().contains("rbind");
  }

  private Path bindSource(Mount m) throws ContainerException {
    return bindSource(m, 0);
  }

  /**
   * The host path of a bind mount's source. One inside the rootfs may not exist yet: an earlier
   * mount of the spec ({@code before} is this mount's index) makes it, as under runc, which
   * resolves each source when its turn comes.
   */
  private Path bindSource(Mount m, int before) throws ContainerException {
    Path src = Path.of(m.source());
    if (!src.isAbsolute()) src = ctx.bundle().resolve(src);
    if (!Files.exists(throughEarlierMounts(src, before))) {
      throw ContainerException.invalid(
          "mounts: bind source " + src + " for " + dest(m) + " does not exist");
    }
    return src;
  }

  /**
   * A bind's target that passes through a symlink of the rootfs pointing nowhere yet ("/etc/hosts"
   * -> "/tmp/hosts", /tmp/hosts missing): the path the link names, resolved inside the root, so
   * that the missing directories and file are made there and the bind lands there, as runc 1.2+
   * does. Any other target is returned as it is (berth-init resolves it in the root).
   */
  static String throughDanglingLinks(Path rootfs, String dest) {
    java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(dest.split("/")));
    List<String> done = new ArrayList<>();
    boolean followed = false;
    for (int links = 0; !todo.isEmpty(); ) {
      String c = todo.pollFirst();
      if (c.isEmpty() || c.equals(".")) continue;
      if (c.equals("..")) {
        if (!done.isEmpty()) done.remove(done.size() - 1);
        continue;
      }
      Path host = rootfs.resolve(String.join("/", done)).resolve(c);
      if (Files.isSymbolicLink(host)) {
        if (++links > 40) return dest; // a loop: berth-init reports it
        String target;
        try {
          target = Files.readSymbolicLink(host).toString();
        } catch (java.io.IOException e) {
          return dest;
        }
        if (target.startsWith("/")) done.clear();
        List<String> parts = List.of(target.split("/"));
        for (int i = parts.size() - 1; i >= 0; i--) todo.addFirst(parts.get(i));
        followed = true;
        continue;
      }
      done.add(c);
    }
    String resolved = "/" + String.join("/", done);
    return followed
            && !Files.exists(rootfs.resolve(String.join("/", done)), LinkOption.NOFOLLOW_LINKS)
        ? resolved
        : dest;
  }

  /**
   * Where {@code src}, a host path, will lead once the bind mounts before index {@code before} are
   * in place: a path inside the rootfs under an earlier bind's destination is that bind's source
   * plus the rest. Paths outside the rootfs, or already there, are their own.
   */
  private Path throughEarlierMounts(Path src, int before) {
    Path root = ctx.rootfs();
    for (int hops = 0; hops < 64 && src.startsWith(root) && !Files.exists(src); hops++) {
      String inside = "/" + root.relativize(src);
      Path next = null;
      for (int j = before - 1; j >= 0 && next == null; j--) {
        Mount e = spec.mounts().get(j);
        String d = dest(e);
        if (!isBind(e) || !(inside.equals(d) || inside.startsWith(d + "/"))) continue;
        Path s = Path.of(e.source());
        if (!s.isAbsolute()) s = ctx.bundle().resolve(s);
        next = inside.equals(d) ? s : s.resolve(inside.substring(d.length() + 1));
        before = j;
      }
      if (next == null) break;
      src = next;
    }
    return src;
  }

  /**
   * Idmapped bind mounts (mounts[i].uidMappings/gidMappings, or the idmap/ridmap option alone for
   * the container's own mappings): berth-init makes them first, as host root in the host's
   * namespaces, since only the owner of the source's mount namespace may idmap it; the container
   * process attaches them where {@link #mount} puts the bind. The maps are written as the spec
   * gives them ("containerID hostID size"), as runc does: a file the source's filesystem owns by
   * containerID shows as hostID through the mount.
   */
  private void idmapTrees() throws ContainerException {
    List<Mount> mounts = spec.mounts();
    trees = new int[mounts.size()];
    int n = 0;
    for (int i = 0; i < mounts.size(); i++) {
      trees[i] = -1;
      Mount m = mounts.get(i);
      MountOptions o = MountOptions.of(m);
      List<IdMapping> uids = m.uidMappings(), gids = m.gidMappings();
      String at = "mounts[" + i + "]";
      if (uids.isEmpty() && gids.isEmpty() && !o.idmap()) {
        if (sysfsFromHost(m) && ctx.host().euid() == 0) {
          // The host's sysfs mount without the mounts under it: see mount.
          if (n >= MAX_TREES)
            throw ContainerException.invalid(
                at + ": more than " + MAX_TREES + " bind mounts with a" + " user namespace");
          ops.add(new Op.IdmapTree("/sys", false, false, "", "", at));
          trees[i] = n++;
        } else if (isBind(m)
            && entersUserNs()
            && ctx.host().euid() == 0
            && madeByEarlierMount(bindSource(m, i), i) < 0) {
          // In its user namespace, new or joined, the container's root may not reach the source's
          // path (a 0700 parent): the runtime takes it with its own credentials before the clone,
          // as runc opens bind sources before the namespace.
          if (n >= MAX_TREES)
            throw ContainerException.invalid(
                at + ": more than " + MAX_TREES + " bind mounts with a" + " user namespace");
          ops.add(
              new Op.IdmapTree(
                  hostSource(bindSource(m, i), i).toString(),
                  o.isRecursiveBind(),
                  false,
                  "",
                  "",
                  at));
          trees[i] = n++;
        }
        continue;
      }
      if (!isBind(m)) throw ContainerException.invalid(at + ": only bind mounts can be idmapped");
      if (uids.isEmpty() && gids.isEmpty()) {
        // runtime-spec: idmap/ridmap without mappings of their own take the container's user
        // namespace mappings.
        uids = linux == null ? List.of() : linux.uidMappings();
        gids = linux == null ? List.of() : linux.gidMappings();
        if (uids.isEmpty() || gids.isEmpty()) {
          throw ContainerException.invalid(
              at
                  + ".uidMappings: required for idmap without linux.uidMappings and"
                  + " linux.gidMappings");
        }
      }
      if (uids.isEmpty())
        throw ContainerException.invalid(at + ".uidMappings: required with " + at + ".gidMappings");
      if (gids.isEmpty())
        throw ContainerException.invalid(at + ".gidMappings: required with " + at + ".uidMappings");
      if (ctx.host().euid() != 0) {
        throw ContainerException.invalid(at + ": idmapped mounts need a runtime running as root");
      }
      Path src = Path.of(m.source());
      if (!src.isAbsolute()) src = ctx.bundle().resolve(src);
      int madeBy = madeByEarlierMount(src, i);
      if (madeBy >= 0) {
        Mount e = mounts.get(madeBy);
        throw ContainerException.invalid(
            at
                + ": the idmapped source "
                + src
                + " is on mounts["
                + madeBy
                + "] ("
                + e.type()
                + " on "
                + dest(e)
                + "), which exists only in the container's mount namespace: an idmapped"
                + " mount is made from the host's, so its source must be a host path or"
                + " under bind mounts of host paths");
      }
      src = hostSource(bindSource(m, i), i);
      if (n >= MAX_TREES)
        throw ContainerException.invalid(at + ": more than " + MAX_TREES + " idmapped mounts");
      ops.add(
          new Op.IdmapTree(
              src.toString(),
              o.isRecursiveBind(),
              o.idmapRecursive(),
              IdMapping.mapText(uids),
              IdMapping.mapText(gids),
              at));
      trees[i] = n++;
    }
  }

  /**
   * The mount of the spec before index {@code before} that a host path inside the rootfs is on in
   * the container's mount namespace: the latest one whose destination holds it (later mounts cover
   * earlier ones); -1 when none does, or the path is outside the rootfs.
   */
  private int coveringMount(Path src, int before) {
    Path root = ctx.rootfs();
    if (!src.startsWith(root)) return -1;
    String inside = "/" + root.relativize(src);
    for (int j = before - 1; j >= 0; j--) {
      String d = dest(spec.mounts().get(j));
      if (inside.equals(d) || inside.startsWith(d.equals("/") ? "/" : d + "/")) return j;
    }
    return -1;
  }

  /**
   * A detached tree is taken in the host's mount namespace, before the clone: a source inside the
   * rootfs that an earlier bind mount of the spec covers is that bind's source plus the rest (as
   * the container would see it), through every such bind.
   */
  private Path hostSource(Path src, int before) {
    for (int hops = 0; hops < 64; hops++) {
      int j = coveringMount(src, before);
      if (j < 0 || !isBind(spec.mounts().get(j))) return src;
      Mount e = spec.mounts().get(j);
      String d = dest(e), inside = "/" + ctx.rootfs().relativize(src);
      Path s = Path.of(e.source());
      if (!s.isAbsolute()) s = ctx.bundle().resolve(s);
      src = inside.equals(d) ? s : s.resolve(inside.substring(d.length() + 1));
      before = j;
    }
    return src;
  }

  /**
   * The index of the earlier mount that is not a bind (a tmpfs, say) whose content a source is in,
   * once followed through earlier binds ({@link #hostSource}); -1 for none. Such a source exists
   * only in the container's mount namespace.
   */
  private int madeByEarlierMount(Path src, int before) {
    for (int hops = 0; hops < 64; hops++) {
      int j = coveringMount(src, before);
      if (j < 0) return -1;
      if (!isBind(spec.mounts().get(j))) return j;
      Mount e = spec.mounts().get(j);
      String d = dest(e), inside = "/" + ctx.rootfs().relativize(src);
      Path s = Path.of(e.source());
      if (!s.isAbsolute()) s = ctx.bundle().resolve(s);
      src = inside.equals(d) ? s : s.resolve(inside.substring(d.length() + 1));
      before = j;
    }
    return -1;
  }

  /** berth-init's table of detached mounts (IDMAP_TREE). */
  static final int MAX_TREES = 512;

  private void mount(Mount m, int index, int tree) throws ContainerException {
    String dest = dest(m);
    MountOptions o = MountOptions.of(m);
    if (isBind(m)) {
      dest = throughDanglingLinks(ctx.rootfs(), dest);
      Path src = bindSource(m, index);
      ops.add(
          Files.isDirectory(throughEarlierMounts(src, index))
              ? new Op.Mkdirs(dest, 0755)
              : new Op.Mkfile(dest, 0644));
      long bind = MS_BIND | (o.isRecursiveBind() ? MS_REC : 0);
      if (tree >= 0) ops.add(new Op.MoveMount(tree, dest));
      else ops.add(new Op.Mount(false, true, src.toString(), dest, "", bind, ""));
      long extra = o.flags() & ~(MS_BIND | MS_REC | MS_REMOUNT);
      if (dest.equals("/dev") && (extra & MS_RDONLY) != 0) {
        lateRemounts.add(new Op.Remount(false, dest, MS_BIND | MS_REMOUNT | extra));
        extra &= ~MS_RDONLY;
      }
      if (extra != 0) ops.add(new Op.Remount(true, dest, MS_BIND | MS_REMOUNT | extra));
      // In a user namespace, new or joined, a read-only rbind is read-only all the way down: the
      // host's mounts
      // under it (the /sys/fs/cgroup hierarchies under a rootless spec's /sys) are not the
      // container's to write (CVE-2023-25809).
      if (entersUserNs() && o.isRecursiveBind() && (extra & MS_RDONLY) != 0)
        ops.add(new Op.MountSetattr(true, dest, MountFlags.MOUNT_ATTR_RDONLY, 0));
    } else if ("cgroup".equals(m.type())) {
      cgroupMount(dest, o);
    } else {
      String type = m.type() == null ? "" : m.type();
      String source = m.source() == null || m.source().isEmpty() ? type : m.source();
      if (sysfsFromHost(m)) {
        // A sysfs mount needs a network namespace owned by our user namespace: the host's instead,
        // as runc does, but never the host's mounts under it (CVE-2023-25809: the host's
        // /sys/fs/cgroup hierarchies stayed writable below a read-only /sys, and a container root
        // may unmount what covers them). As root, the sysfs mount alone (taken before the clone);
        // without root, the whole tree, each mount of it read-only when /sys is.
        ops.add(new Op.Mkdirs(dest, 0755));
        if (tree >= 0) ops.add(new Op.MoveMount(tree, dest));
        else ops.add(new Op.Mount(false, true, "/sys", dest, "", MS_BIND | MS_REC, ""));
        if ((o.flags() & ~MS_REC) != 0)
          ops.add(new Op.Remount(true, dest, MS_BIND | MS_REMOUNT | o.flags()));
        if (tree < 0 && (o.flags() & MS_RDONLY) != 0)
          ops.add(new Op.MountSetattr(true, dest, MountFlags.MOUNT_ATTR_RDONLY, 0));
      } else {
        long flags = o.flags() & ~MS_REMOUNT;
        if ((flags & MS_RDONLY) != 0 && (dest.equals("/dev") || type.equals("tmpfs"))) {
          // Mounted writable, made read-only at the end: see lateRemounts.
          flags &= ~MS_RDONLY;
          lateRemounts.add(new Op.Remount(false, dest, MS_REMOUNT | MS_RDONLY | (flags & ~MS_REC)));
        }
        String data = o.data();
        if (type.equals("tmpfs")) data = withDirectoryMode(dest, data);
        ops.add(new Op.Mkdirs(dest, 0755));
        // tmpcopyup (podman gives it to every tmpfs): the new tmpfs gets what the rootfs has there.
        // berth-init opens the directory before the mount covers it and copies from that fd after,
        // link by link inside the covered tree. As under runc, other filesystems ignore the option.
        boolean copyUp = o.tmpcopyup() && type.equals("tmpfs");
        if (copyUp) ops.add(new Op.CopySource(dest));
        ops.add(new Op.Mount(false, true, source, dest, type, flags, data));
        if (copyUp) ops.add(new Op.CopyTree(dest));
      }
    }
    if (o.hasRecursiveAttrs())
      ops.add(new Op.MountSetattr(true, dest, o.recAttrSet(), o.recAttrClr()));
    for (int p : o.propagations()) ops.add(new Op.Mount(false, true, "", dest, "", p, ""));
  }

  /**
   * A cgroup v1 mount: a tmpfs holding one read-only bind of the container's own directory per
   * hierarchy, as runc does, so the container sees its cgroups and nothing above them.
   */
  private void cgroupMount(String dest, MountOptions o) {
    long flags = o.flags() & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    ops.add(new Op.Mkdirs(dest, 0755));
    Map<String, String> byDir = new TreeMap<>(hostMountOrder);
    for (var c : ctx.cgroupPaths().entrySet()) {
      if (c.getKey().isEmpty()) continue; // the cgroup2 directory
      String path = c.getValue();
      String rel =
          path.startsWith("/sys/fs/cgroup/") ? path.substring("/sys/fs/cgroup/".length()) : null;
      if (rel == null) continue;
      String dir = rel.contains("/") ? rel.substring(0, rel.indexOf('/')) : rel;
      if (dir.equals("unified"))
        continue; // runc leaves the hybrid cgroup2 tree out of v1 containers
      byDir.put(dir, path);
    }
    if (ctx.cgroupPaths().isEmpty()) {
      // Rootless, without cgroups of its own: the host's tree read-only, as a cgroup mount needs
      // privilege.
      ops.add(new Op.Mount(false, true, "/sys/fs/cgroup", dest, "", MS_BIND | MS_REC, ""));
      ops.add(new Op.Remount(true, dest, MS_BIND | MS_REMOUNT | MS_RDONLY | o.flags()));
      // Every hierarchy under it too (a v1 host's are mounts of their own): the caller's delegated
      // cgroups must not be writable from the container (CVE-2023-25809).
      ops.add(new Op.MountSetattr(true, dest, MountFlags.MOUNT_ATTR_RDONLY, 0));
      return;
    }
    if (byDir.isEmpty()) {
      // Unified host: the container's cgroup namespace (or its own directory) under one cgroup2
      // mount.
      ops.add(new Op.Mount(false, true, "cgroup", dest, "cgroup2", o.flags(), ""));
      return;
    }
    ops.add(new Op.Mount(false, true, "tmpfs", dest, "tmpfs", flags, "mode=755"));
    for (var e : byDir.entrySet()) {
      String d = dest + "/" + e.getKey();
      ops.add(new Op.Mkdirs(d, 0755));
      ops.add(new Op.Mount(false, true, e.getValue(), d, "", MS_BIND | MS_REC, ""));
      ops.add(new Op.Remount(true, d, MS_BIND | MS_REMOUNT | o.flags()));
      if (e.getKey().contains(",")) {
        for (String part : e.getKey().split(","))
          ops.add(new Op.Symlink(e.getKey(), dest + "/" + part));
      }
    }
  }

  /**
   * In the host's mount order, as runc lists them (a plain comparator: no lambda to spin up on the
   * start path).
   */
  private final Comparator<String> hostMountOrder =
      new Comparator<>() {
        @Override
        public int compare(String a, String b) {
          int c = Integer.compare(hostMountIndex(a), hostMountIndex(b));
          return c != 0 ? c : a.compareTo(b);
        }
      };

  /** Where /sys/fs/cgroup/{@code dir} stands in the host's mount table. */
  private int hostMountIndex(String dir) {
    int i = ctx.host().mountPoints().indexOf("/sys/fs/cgroup/" + dir);
    return i < 0 ? Integer.MAX_VALUE : i;
  }

  private void devices() {
    List<Device> all = new ArrayList<>(DEFAULT_DEVICES);
    if (linux != null) all.addAll(linux.devices());
    Map<String, Device> byPath = new LinkedHashMap<>();
    for (Device d : all) byPath.put(Path.of(d.path()).normalize().toString(), d);
    boolean userns = newNs("user") || joinsNs("user");
    for (Device d : byPath.values()) {
      String path = Path.of(d.path()).normalize().toString();
      String parent = Path.of(path).getParent().toString();
      if (!parent.equals("/dev")) ops.add(new Op.Mkdirs(parent, 0755));
      if (userns) {
        // mknod is refused in a user namespace: bind the host's node, as runc does.
        ops.add(new Op.Mkfile(path, 0000));
        ops.add(new Op.Mount(false, true, path, path, "", MS_BIND, ""));
      } else {
        int mode = (d.fileMode() == null ? 0666 : d.fileMode()) | typeBits(d.type());
        ops.add(
            new Op.Mknod(
                path,
                mode,
                (int) d.major(),
                (int) d.minor(),
                d.uid() == null ? 0 : d.uid(),
                d.gid() == null ? 0 : d.gid()));
      }
    }
    ops.add(new Op.Symlink("/proc/self/fd", "/dev/fd"));
    ops.add(new Op.Symlink("/proc/self/fd/0", "/dev/stdin"));
    ops.add(new Op.Symlink("/proc/self/fd/1", "/dev/stdout"));
    ops.add(new Op.Symlink("/proc/self/fd/2", "/dev/stderr"));
    if (ctx.host().hasKcore()) {
      ops.add(new Op.Symlink("/proc/kcore", "/dev/core"));
    }
    for (Mount m : spec.mounts()) {
      if (dest(m).equals("/dev/pts")) {
        ops.add(new Op.Symlink("pts/ptmx", "/dev/ptmx"));
        break;
      }
    }
  }

  private static int typeBits(String type) {
    return switch (type) {
      case "b" -> 0060000;
      case "p" -> 0010000;
      default -> 0020000; // c and u
    };
  }

  private void hooksBeforePivot() {
    if (!spec.hooks().prestart().isEmpty() || !spec.hooks().createRuntime().isEmpty())
      ops.add(new Op.SyncHooks());
    // createContainer hooks start in the container's root, as runc's do: never in a directory of
    // the host's.
    if (!spec.hooks().createContainer().isEmpty()) ops.add(new Op.Chdir("/"));
    for (Hook h : spec.hooks().createContainer()) ops.add(runHook(0, h));
  }

  private static Op runHook(int blob, Hook h) {
    List<String> args = h.args().isEmpty() ? List.of(h.path()) : h.args();
    int timeoutMs = h.timeout() == null ? 0 : h.timeout() * 1000;
    return new Op.RunHook(blob, timeoutMs, h.path(), args, h.env());
  }

  // ---- the rest of the container's identity ----

  private void hostIdentity() throws ContainerException {
    if (spec.hostname() != null && !spec.hostname().isEmpty()) {
      if (!newNs("uts") && !joinsNs("uts")) {
        throw ContainerException.invalid(
            "hostname: unable to set hostname without a UTS namespace");
      }
      ops.add(new Op.Sethostname(spec.hostname()));
    }
    if (spec.domainname() != null && !spec.domainname().isEmpty()) {
      if (!newNs("uts") && !joinsNs("uts")) {
        throw ContainerException.invalid(
            "domainname: unable to set domainname without a UTS namespace");
      }
      ops.add(new Op.Setdomainname(spec.domainname()));
    }
  }

  private void rlimits() throws ContainerException {
    for (Rlimit r : process.rlimits()) {
      int res = SpecValidator.rlimitNumber(r.type());
      if (res < 0)
        throw ContainerException.invalid("process.rlimits: unknown rlimit type " + r.type());
      ops.add(new Op.Setrlimit(res, r.soft(), r.hard()));
    }
  }

  private void session() {
    ops.add(new Op.Setsid());
    if (!ctx.noNewKeyring()) ops.add(new Op.JoinKeyring("_ses." + ctx.id()));
    // The console of a container is also /dev/console, as under runc; an exec'd process gets only
    // its pty.
    if (process.terminal()) ops.add(new Op.OpenPty(consoleMount ? "/dev/console" : ""));
  }

  private static Op.Seccomp seccomp(Linux linux, SeccompCache programs) throws ContainerException {
    SeccompProgram p = linux == null ? null : programs.compile(linux.seccomp());
    return p == null ? null : new Op.Seccomp(p.flags(), p.bpf());
  }

  private void privileges() throws ContainerException {
    ops.add(new Op.CloseFds(3 + ctx.preserveFds()));
    // The cwd is entered as root first, as runc does (a directory the runtime reaches but the user
    // cannot is fine), and
    // before a filter that may deny what CHDIR needs; only if root is denied is it retried as the
    // user, below.
    ops.add(new Op.Chdir(process.cwd(), Op.Chdir.Attempt.TRY));
    scheduling();
    // As runc: without no_new_privs loading a filter needs CAP_SYS_ADMIN, so before the
    // capabilities go; with it, as
    // late as create allows (a failure still reaches create), so the fewest of our own syscalls run
    // filtered.
    if (seccomp != null && !process.noNewPrivileges()) ops.add(seccomp);
    Capabilities caps = process.capabilities();
    int lastCap = ctx.host().capLastCap();
    if (caps != null)
      ops.add(new Op.CapsBounding(CapabilityNames.mask(caps.bounding(), lastCap), lastCap));
    ops.add(new Op.Keepcaps(true));
    var user = process.user();
    List<Integer> groups = user.additionalGids();
    // Root writes gid_map before the child runs, so setgroups stays allowed in a new user
    // namespace; a rootless
    // runtime that maps only its own gid must deny setgroups first (user_namespaces(7)): then leave
    // groups alone.
    if (!setgroupsDenied()) ops.add(new Op.Setgroups(groups));
    else if (!groups.isEmpty()) {
      throw ContainerException.invalid(
          "process.user.additionalGids: cannot be set without root when"
              + " linux.gidMappings maps only the caller's own gid (setgroups is denied); map more through newgidmap");
    }
    ops.add(new Op.ChownStdio(user.uid()));
    ops.add(new Op.Setresgid(user.gid()));
    ops.add(new Op.Setresuid(user.uid()));
    ops.add(new Op.Keepcaps(false));
    if (caps != null) {
      long permitted = CapabilityNames.mask(caps.permitted(), lastCap);
      long inheritable = CapabilityNames.mask(caps.inheritable(), lastCap);
      ops.add(
          new Op.Capset(CapabilityNames.mask(caps.effective(), lastCap), permitted, inheritable));
      // The kernel raises an ambient capability only if it is permitted and inheritable; runc skips
      // the others
      // (with a warning), and so does this plan, so the default spec's ambient list is harmless.
      long ambient = CapabilityNames.mask(caps.ambient(), lastCap);
      // runc 1.2+ warns of each one it cannot raise. Not when the config has no inheritable set
      // at all: the default spec (runc's and ours) lists ambient capabilities without inheritable
      // ones, and every such container would warn.
      if (!caps.inheritable().isEmpty()) {
        for (String name : caps.ambient()) {
          long bit = CapabilityNames.mask(List.of(name), lastCap);
          if (bit != 0 && (bit & permitted & inheritable) == 0)
            RuntimeLog.warn("can't raise ambient capability " + name + ": operation not permitted");
        }
      }
      ops.add(new Op.Ambient(ambient & permitted & inheritable));
    } else {
      ops.add(new Op.Capset(0, 0, 0));
    }
    ops.add(new Op.Chdir(process.cwd(), Op.Chdir.Attempt.RETRY));
    ops.add(new Op.Umask(user.umask() == null ? 0022 : user.umask()));
    if (process.noNewPrivileges()) ops.add(new Op.NoNewPrivs());
    // The executable is looked up as the user (its access check is the user's) and, with
    // no_new_privs, before the
    // filter: a profile may deny what the lookup needs (faccessat2, missing from profiles older
    // than glibc 2.33).
    ops.add(new Op.ResolveExec(candidates(process.args().get(0), environment())));
    if (seccomp != null && process.noNewPrivileges()) ops.add(seccomp);
  }

  /**
   * The execution domain, NUMA policy, scheduler and I/O priority: while still root (raising a
   * priority needs CAP_SYS_NICE, as with runc, which sets them before finalizing the namespace) and
   * before any seccomp filter, which may deny the syscalls.
   */
  private void scheduling() {
    if (linux != null && linux.personality() != null) {
      // runc ignores the flags (with a warning): no personality flag is supported.
      ops.add(new Op.Personality(linux.personality().domain().equals("LINUX32") ? 0x0008 : 0));
    }
    MemoryPolicy mp = linux == null ? null : linux.memoryPolicy();
    if (mp != null && !mp.isEmpty()) {
      int flags = 0;
      for (String f : mp.flags()) flags |= SpecValidator.MPOL_FLAGS.get(f);
      ops.add(
          new Op.SetMempolicy(
              SpecValidator.MPOL_MODES.get(mp.mode()),
              flags,
              CpuList.parse(mp.nodes(), SpecValidator.MAX_NODES).stream().boxed().toList()));
    }
    Scheduler s = process.scheduler();
    if (s != null) {
      long flags = 0;
      for (String f : s.flags()) flags |= SpecValidator.SCHED_FLAGS.get(f);
      boolean cpusRestricted =
          linux != null
              && linux.resources() != null
              && linux.resources().cpu() != null
              && linux.resources().cpu().cpus() != null
              && !linux.resources().cpu().cpus().isEmpty();
      ops.add(
          new Op.SchedSetattr(
              SpecValidator.SCHED_POLICIES.get(s.policy()),
              flags,
              s.nice(),
              s.priority(),
              s.runtime(),
              s.deadline(),
              s.period(),
              cpusRestricted));
    }
    IoPriority io = process.ioPriority();
    if (io != null)
      ops.add(new Op.IoprioSet(SpecValidator.IOPRIO_CLASSES.get(io.ioClass()), io.priority()));
  }

  private static List<Integer> cpus(String list) {
    return CpuList.parse(list, SpecValidator.MAX_CPUS).stream().boxed().toList();
  }

  /** Whether the runtime writes gid_map itself without privilege, which needs setgroups denied. */
  private boolean setgroupsDenied() {
    return (newNs("user") || joinsNs("user"))
        && ctx.host().euid() != 0
        && linux != null
        && Creation.isOwnId(linux.gidMappings(), ctx.host().egid());
  }

  /** berth-init's bound on the strings of one array (argv, env): MAX_STRS in berth-init.c. */
  static final int MAX_STRINGS = 65535;

  private static void fitsBerthInit(List<String> strings, String field) throws ContainerException {
    if (strings.size() > MAX_STRINGS) {
      throw ContainerException.invalid(
          field + ": " + strings.size() + " entries, more than the " + MAX_STRINGS + " supported");
    }
  }

  private void exec() throws ContainerException {
    fitsBerthInit(process.args(), "process.args");
    fitsBerthInit(environment(), "process.env");
    ops.add(new Op.Ready());
    ops.add(new Op.WaitFifo());
    // A startContainer hook without env of its own gets the process's, as under runc, whose init
    // runs it with the environment it has already switched to the process's.
    for (Hook h : spec.hooks().startContainer()) {
      ops.add(
          runHook(
              1, h.env().isEmpty() ? new Hook(h.path(), h.args(), environment(), h.timeout()) : h));
    }
    ops.add(new Op.Exec(process.args(), environment()));
  }

  /**
   * The process env as runc hands it over: one entry per name, the last value given winning at the
   * place of the first (as setenv does), and HOME from the container's passwd when the spec leaves
   * it out or empty.
   */
  private List<String> environment() {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String e : process.env()) {
      int eq = e.indexOf('=');
      byName.put(eq < 0 ? e : e.substring(0, eq), e);
    }
    String home = byName.get("HOME");
    if (home == null || home.equals("HOME="))
      byName.put("HOME", "HOME=" + home(process.user().uid()));
    return new ArrayList<>(byName.values());
  }

  private String home(int uid) {
    Path passwd = ctx.rootfs().resolve("etc/passwd");
    try {
      // Never follow a link out of the rootfs: read only a plain file under plain directories.
      if (Files.isSymbolicLink(ctx.rootfs().resolve("etc")) || Files.isSymbolicLink(passwd))
        return "/";
      for (String line : Files.readAllLines(passwd)) {
        String[] f = line.split(":", -1);
        if (f.length >= 6 && f[2].equals(Integer.toUnsignedString(uid)) && !f[5].isEmpty())
          return f[5];
      }
    } catch (IOException | RuntimeException e) {
      // No passwd: "/" as runc does.
    }
    return "/";
  }

  /**
   * Where execve may find argv[0]: itself when it has a '/', else each PATH entry of the
   * container's env.
   */
  static List<String> candidates(String arg0, List<String> env) {
    if (arg0.contains("/")) return List.of(arg0);
    String path = DEFAULT_PATH;
    for (String e : env) if (e.startsWith("PATH=")) path = e.substring(5);
    List<String> out = new ArrayList<>();
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) dir = ".";
      out.add(dir.endsWith("/") ? dir + arg0 : dir + "/" + arg0);
    }
    return out;
  }

  static long propagationFlag(String p) throws ContainerException {
    return switch (p) {
      case "private" -> MS_PRIVATE;
      case "rprivate" -> MS_PRIVATE | MS_REC;
      case "slave" -> MS_SLAVE;
      case "rslave" -> MS_SLAVE | MS_REC;
      case "shared" -> MS_SHARED;
      case "rshared" -> MS_SHARED | MS_REC;
      case "unbindable" -> MS_UNBINDABLE;
      case "runbindable" -> MS_UNBINDABLE | MS_REC;
      default ->
          throw ContainerException.invalid("linux.rootfsPropagation: unknown propagation " + p);
    };
  }
}
