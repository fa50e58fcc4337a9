package dev.berth.runtime.create;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.CreateOptions;
import dev.berth.runtime.PhaseTrace;
import dev.berth.runtime.Rollback;
import dev.berth.runtime.RuntimeLog;
import dev.berth.runtime.cgroups.CgroupClaim;
import dev.berth.runtime.cgroups.CgroupManager;
import dev.berth.runtime.cgroups.Cgroups;
import dev.berth.runtime.hooks.HookRunner;
import dev.berth.runtime.netdev.NetDevices;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.process.InitProcess;
import dev.berth.runtime.process.ProcStat;
import dev.berth.runtime.seccomp.ListenerHandoff;
import dev.berth.runtime.state.ContainerDir;
import dev.berth.runtime.state.ContainerRecord;
import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.IdMapping;
import dev.berth.spec.runtime.Namespace;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.SpecValidator;
import dev.berth.spec.runtime.SpecWriter;
import dev.berth.spec.runtime.State;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The steps of a container's life that touch the kernel: create (state dir, cgroups, berth-init,
 * hooks, state.json), release from the exec fifo, signal, and destroy. Every side effect of create
 * is pushed on a {@link Rollback} so a failure leaves nothing behind.
 */
public final class Creation {

  private Creation() {}

  /** Creates the container and returns what its state file records. */
  public static ContainerRecord create(
      ContainerRuntime rt, ContainerDir dir, String id, CreateOptions o) throws ContainerException {
    return create(rt, dir, id, o, false).record();
  }

  /**
   * A container just created, with the sync socket of its init still open when asked for: a caller
   * that starts it at once (run) follows the init through its startContainer hooks to its exec (see
   * {@link #awaitExec}).
   */
  public record Created(ContainerRecord record, InitProcess init) implements AutoCloseable {
    @Override
    public void close() {
      if (init != null) init.close();
    }
  }

  /**
   * Creates the container; with {@code holdInit}, the result keeps the init's sync socket open
   * (close it).
   */
  public static Created create(
      ContainerRuntime rt, ContainerDir dir, String id, CreateOptions o, boolean holdInit)
      throws ContainerException {
    Path bundle = o.bundle().toAbsolutePath().normalize();
    Path configFile = bundle.resolve("config.json");
    byte[] config;
    Spec loaded;
    if (o.config() != null) {
      config = o.config().json();
      loaded = validated(o.config().spec(), configFile);
    } else {
      config = readConfig(configFile);
      loaded = load(config, configFile);
    }
    if (loaded.process() == null)
      throw ContainerException.invalid("config.json: process: required to create a container");
    Path rootfs = bundle.resolve(loaded.root().path()).normalize();
    Spec spec = MountTargets.rootfsPrefixStripped(loaded, rootfs);
    if (!Files.isDirectory(rootfs)) {
      throw ContainerException.invalid(
          "rootfs (" + rootfs + ") does not exist or is not a directory");
    }
    notThroughASymlink(bundle, spec.root().path(), rootfs);
    if (spec.process().terminal() && o.consoleSocket() == null && o.pty() == null) {
      throw ContainerException.invalid(
          "cannot allocate tty if runc will detach without setting console socket");
    }
    if (o.consoleSocket() != null && o.pty() != null) {
      throw ContainerException.invalid("console socket and pty handler: give one, not both");
    }
    if (!spec.process().terminal() && o.consoleSocket() != null) {
      throw ContainerException.invalid(
          "cannot use console socket if runc will not detach or allocate tty");
    }
    SecurityModules.check(spec.process(), spec.linux());
    UserIds.check(spec.process().user());
    MountTargets.check(spec, bundle, rootfs);
    if (spec.linux() != null) {
      refuseIntelRdtWithoutResctrl(spec.linux());
      NetDevices.check(spec.linux().netDevices(), spec.linux().namespaces());
    }
    RuntimeLog.debug("create container", "id", id, "bundle", bundle);
    PhaseTrace.mark("load spec");
    CgroupClaim claim = null;
    try (Rollback rb = new Rollback()) {
      boolean made;
      try {
        made = dir.create();
      } catch (IOException e) {
        throw ContainerException.invalid(
            "create the state directory of " + id + " in " + rt.root() + ": " + e.getMessage());
      }
      if (!made)
        throw new ContainerException(
            ErrorCategory.ALREADY_EXISTS, "container with id exists: " + id);
      rb.push(dir::remove);
      try (Fd lock = dir.lock()) {
        // berth-init starts now and waits for its plan: its exec (and a monitor's, which starts
        // it) runs on the other core while this thread makes the cgroups and compiles the plan.
        InitProcess started = InitProcess.start(o.preserveFds(), o.initLauncher());
        String created;
        CgroupManager cg;
        Resources resources;
        Plan plan;
        try {
          String mountinfo = readMountinfo();
          String cgroupsPath = spec.linux() == null ? null : spec.linux().cgroupsPath();
          resources = spec.linux() == null ? null : spec.linux().resources();
          created = Rfc3339.format(Instant.now());
          // The owner token names this container's state: whoever finds the stamp on a cgroup
          // knows whose it is.
          claim = cgroups(rt, resources, cgroupsPath, id, mountinfo, dir.path() + " " + created);
          cg = claim.manager();
          rb.push(claim::undo);
          RuntimeLog.debug("cgroups claimed", "paths", cg.paths());
          PhaseTrace.mark("cgroups");
          // berth-init joins the cgroups itself, before it clones the container's init (see
          // PlanCompiler#cgroups).
          plan =
              PlanCompiler.compile(
                  spec,
                  new PlanCompiler.Context(
                      id,
                      bundle,
                      rootfs,
                      dir.fifo(),
                      o.noPivot(),
                      o.noNewKeyring(),
                      o.preserveFds(),
                      cg.paths(),
                      PlanCompiler.HostFacts.probe(mountinfo),
                      rt.seccompPrograms()));
          RuntimeLog.debug("plan compiled", "ops", plan.ops().size());
          PhaseTrace.mark("compile plan");
          writeFile(dir.config(), config);
          Linux.mkfifo(dir.fifo().toString(), 0622);
          // Past the umask, as runc: the init reopens it for writing as the container's user.
          Linux.chmod(dir.fifo().toString(), 0622);
        } catch (Throwable t) {
          started.abandon(); // it exits without its plan, having done nothing
          throw t;
        }
        Fd[] consoleFd = {null};
        InitProcess init = started;
        try {
          try {
            init.sendPlan(plan);
          } catch (IOException | RuntimeException e) {
            // Not sent: berth-init, started before the plan was compiled, exits having done
            // nothing, reaped when ours (a zombie per failed create in a daemon otherwise).
            init.abandon();
            init = null;
            if (e instanceof IllegalArgumentException) {
              // over the protocol's bound (megabytes of environment or arguments): the spec's
              throw new ContainerException(ErrorCategory.INVALID_ARGUMENT, e.getMessage(), e);
            }
            throw e;
          }
          int pid = init.awaitPid();
          rb.push(() -> killAndReap(pid));
          // Connected once berth-init runs: a monitor that starts it makes the console socket
          // first.
          if (o.consoleSocket() != null) {
            consoleFd[0] =
                Linux.connectUnix(o.consoleSocket().toString(), LinuxConstants.SOCK_STREAM);
          }
          Fd console = consoleFd[0];
          // Debug lines name the stage as runc's do (nsexec, init()): tools and runc's own tests
          // look for them in --debug output; berth-init does the work of both.
          RuntimeLog.debug(
              "container init cloned: nsexec started, nsexec container setup (berth-init)",
              "pid",
              pid);
          PhaseTrace.mark("spawn, await pid");
          // berth-init, which forked the init inside the cgroups, has exited and been reaped: the
          // pids limit can hold.
          if (resources != null && !cg.paths().isEmpty()) cg.limitPids(resources.pids());
          writeIdMaps(spec, pid);
          // As runc: the devices are in the container's namespace before its hooks and its
          // process run. Their undo runs before the kill above, while the namespace is there.
          Fd movedInto =
              spec.linux() == null ? null : NetDevices.moveInto(spec.linux().netDevices(), pid, rb);
          if (spec.process().oomScoreAdj() != null) {
            Files.writeString(
                Path.of("/proc/" + pid + "/oom_score_adj"),
                spec.process().oomScoreAdj().toString());
          }
          ProcStat st = ProcStat.of(pid);
          State state =
              new State(
                  ContainerRuntime.OCI_VERSION,
                  id,
                  "creating",
                  pid,
                  bundle.toString(),
                  spec.annotations());
          byte[] creatingState = SpecWriter.writeState(state);
          byte[] createdState =
              SpecWriter.writeState(
                  new State(
                      state.ociVersion(),
                      id,
                      "created",
                      pid,
                      bundle.toString(),
                      spec.annotations()));
          init.go(List.of(creatingState, createdState));
          init.awaitReady(
              new InitProcess.Listener() {
                @Override
                public void hooks() throws IOException {
                  RuntimeLog.debug("running prestart and createRuntime hooks");
                  HookRunner.run("prestart", spec.hooks().prestart(), creatingState);
                  HookRunner.run("createRuntime", spec.hooks().createRuntime(), creatingState);
                }

                @Override
                public void pty(Fd master) throws IOException {
                  if (o.pty() != null) {
                    o.pty().master(master, spec.process().consoleSize());
                    return;
                  }
                  try (master) {
                    // The requested size is the pty's before anyone reads it, as runc sets it
                    // before sending the master.
                    var size = spec.process().consoleSize();
                    if (size != null) Linux.setWinsize(master, size.height(), size.width());
                    if (console == null)
                      throw new IOException(
                          "container sent a terminal but no console socket is set");
                    // runc sends the master's name with it; receivers use the fd.
                    Linux.sendmsg(
                        console,
                        ByteBuffer.wrap("/dev/ptmx".getBytes(StandardCharsets.UTF_8)),
                        new int[] {master.fd()});
                  }
                }

                @Override
                public void seccomp(int loader, Fd notifyFd) throws IOException {
                  Seccomp sc = spec.linux().seccomp();
                  ListenerHandoff.send(
                      sc.listenerPath(),
                      ListenerHandoff.processState(loader, sc.listenerMetadata(), creatingState),
                      notifyFd);
                }
              });
          RuntimeLog.debug(
              "container init ready: child process in init() waits on the exec fifo", "pid", pid);
          PhaseTrace.mark("await ready");
          List<String> namespaces = new ArrayList<>();
          if (spec.linux() != null)
            for (Namespace n : spec.linux().namespaces()) namespaces.add(n.type());
          List<String> laterHooks = new ArrayList<>();
          if (!spec.hooks().poststart().isEmpty()) laterHooks.add("poststart");
          if (!spec.hooks().poststop().isEmpty()) laterHooks.add("poststop");
          ContainerRecord record =
              new ContainerRecord(
                  id,
                  pid,
                  st == null ? 0 : st.startTime(),
                  bundle.toString(),
                  rootfs.toString(),
                  created,
                  "",
                  spec.annotations(),
                  cg.paths(),
                  claim.owner(),
                  namespaces,
                  laterHooks,
                  false);
          dir.write(record);
          if (o.pidFile() != null) writePidFile(o.pidFile(), pid);
          rb.commit();
          if (movedInto != null) movedInto.close();
          RuntimeLog.debug("state written", "dir", dir.path());
          PhaseTrace.mark("write state");
          Created result = new Created(record, holdInit ? init : null);
          if (holdInit) init = null;
          return result;
        } finally {
          if (consoleFd[0] != null) consoleFd[0].close();
          if (init != null) init.close();
        }
      }
    } catch (ContainerException e) {
      throw e;
    } catch (IOException e) {
      if (e instanceof InitProcess.InitFailure
          && String.valueOf(e.getMessage()).contains("/proc/self/timens_offsets")) {
        throw new ContainerException(
            ErrorCategory.INVALID_ARGUMENT,
            "linux.timeOffsets: "
                + e.getMessage()
                + " (the kernel refuses an offset that takes a clock below zero or out of its range)",
            e);
      }
      throw new ContainerException(
          ErrorCategory.INTERNAL, e.getMessage() + userNamespaceHint(spec, e), e);
    } finally {
      // Held until the init is in the cgroups (or the rollback has run): a second create of them
      // waits, then sees it.
      if (claim != null) claim.close();
    }
  }

  /**
   * The container's cgroups, created, claimed (see {@link CgroupClaim}: another container's cgroup
   * is refused) and limited but for the pids limit (see {@link CgroupManager#limitPids}). A
   * rootless runtime (runc's {@code --rootless}) usually may not create cgroups: then, as runc
   * does, a permission error leaves the container without cgroups of its own.
   */
  private static CgroupClaim cgroups(
      ContainerRuntime rt,
      Resources resources,
      String cgroupsPath,
      String id,
      String mountinfo,
      String owner)
      throws IOException, ContainerException {
    CgroupClaim claim;
    var manager = Cgroups.forContainer(cgroupsPath, id, mountinfo);
    try {
      claim = CgroupClaim.create(manager, owner);
    } catch (CgroupClaim.InUse e) {
      // A rootless runtime that may not write the busy cgroup could never have used it: it runs
      // without cgroups, as when it may not create them (root's container of the same name).
      if (rt.rootless() && !writable(manager.paths()))
        return withoutCgroups(resources, cgroupsPath, e);
      throw new ContainerException(ErrorCategory.FAILED_PRECONDITION, e.getMessage(), e);
    } catch (IOException e) {
      if (!rt.rootless() || !isPermissionError(e)) throw e;
      return withoutCgroups(resources, cgroupsPath, e);
    }
    try {
      if (resources != null) {
        claim
            .manager()
            .apply(
                new Resources(
                    resources.devices(),
                    resources.memory(),
                    resources.cpu(),
                    null,
                    resources.blockIO(),
                    resources.hugepageLimits(),
                    resources.network(),
                    resources.unified(),
                    resources.rdma()));
      }
      return claim;
    } catch (IOException e) {
      undoQuietly(claim);
      if (!rt.rootless() || !isPermissionError(e)) throw e;
      return withoutCgroups(resources, cgroupsPath, e);
    }
  }

  /**
   * A rootless container goes without cgroups only when it asked for none, as under runc: a
   * cgroupsPath or a limit it may not have is an error, not a limit silently dropped.
   */
  private static CgroupClaim withoutCgroups(Resources resources, String cgroupsPath, IOException e)
      throws ContainerException {
    if (cgroupsPath != null && !cgroupsPath.isEmpty()) {
      throw ContainerException.invalid(
          "unable to apply cgroup configuration: " + e.getMessage() + " (permission denied)");
    }
    if (resources != null
        && (resources.memory() != null
            || resources.cpu() != null
            || resources.pids() != null
            || resources.blockIO() != null
            || !resources.hugepageLimits().isEmpty()
            || resources.network() != null
            || !resources.unified().isEmpty())) {
      throw ContainerException.invalid(
          "rootless needs no limits + no cgrouppath when no permission is granted for cgroups");
    }
    return CgroupClaim.none();
  }

  /** Whether this process may move a process into any of the cgroup directories. */
  private static boolean writable(java.util.Map<String, String> paths) {
    for (String dir : paths.values()) {
      if (Files.isWritable(Path.of(dir, "cgroup.procs"))) return true;
    }
    return false;
  }

  private static boolean isPermissionError(IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) return true;
    String m =
        String.valueOf(e.getMessage())
            + (e.getCause() == null ? "" : " " + e.getCause().getMessage());
    return m.contains("EACCES")
        || m.contains("EPERM")
        || m.contains("EROFS")
        || m.contains("Permission denied")
        || m.contains("Operation not permitted")
        || m.contains("Read-only file system");
  }

  private static void undoQuietly(CgroupClaim claim) {
    try {
      claim.undo();
    } catch (IOException | RuntimeException e) {
      // the error that made us undo is the one to report
    }
  }

  /**
   * Why a path the runtime can reach may be out of reach of the container's root in its user
   * namespace: the rootfs is entered and (as root) bind sources are taken with the runtime's
   * credentials, but what the rootfs holds is reached as that root.
   */
  static String userNamespaceHint(Spec spec, IOException e) {
    if (!(e instanceof InitProcess.InitFailure f)
        || f.errno() != LinuxConstants.EACCES
        || spec.linux() == null
        || spec.linux().uidMappings().isEmpty()) {
      return "";
    }
    long root = spec.linux().uidMappings().get(0).hostID();
    for (IdMapping m : spec.linux().uidMappings()) if (m.containerID() == 0) root = m.hostID();
    return " (in its user namespace the container's root is host uid "
        + root
        + ": it must be able to reach what the rootfs holds"
        + (Linux.geteuid() == 0 ? "" : " and every bind source")
        + "; map their owner or use an idmapped mount)";
  }

  /**
   * runc refuses linux.intelRdt where the kernel has no resctrl filesystem mounted, rather than run
   * the container outside the class of service it asked for; so does berth, which has no resctrl
   * support yet either way.
   */
  private static void refuseIntelRdtWithoutResctrl(dev.berth.spec.runtime.Linux linux)
      throws ContainerException {
    if (linux.intelRdt() == null) return;
    boolean mounted;
    try {
      mounted = readMountinfo().contains(" - resctrl ");
    } catch (ErrnoException e) {
      mounted = false;
    }
    throw ContainerException.invalid(
        mounted
            ? "linux.intelRdt: Intel RDT (resctrl) is not supported by berth-runc yet"
            : "linux.intelRdt: intelRdt is specified in config, but Intel RDT is not supported or"
                + " enabled (no resctrl filesystem is mounted)");
  }

  /** The bundle's config.json, read once: what is validated is what the state directory keeps. */
  private static byte[] readConfig(Path config) throws ContainerException {
    try (Fd fd = Linux.open(config.toString(), LinuxConstants.O_RDONLY, 0)) {
      return Linux.readAll(fd);
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT) {
        throw ContainerException.invalid("open " + config + ": no such file or directory");
      }
      throw ContainerException.invalid("read " + config + ": " + e.getMessage());
    }
  }

  /** Parses and validates the bundle's config; every problem names the field. */
  public static Spec load(byte[] json, Path config) throws ContainerException {
    Spec spec;
    try {
      spec = SpecReader.parse(json, config.toString());
    } catch (SpecException e) {
      throw ContainerException.invalid(e.getMessage());
    }
    return validated(spec, config);
  }

  /** {@code spec}, checked as the bundle's config {@code config}; every problem names the field. */
  private static Spec validated(Spec spec, Path config) throws ContainerException {
    List<String> problems = SpecValidator.validate(spec, true);
    if (!problems.isEmpty()) {
      throw ContainerException.invalid("invalid " + config + ": " + String.join("; ", problems));
    }
    if (spec.process() != null) warnUnknownCapabilities(spec.process());
    // As runc: the domain is applied, the flags (none of which it supports) only warned about.
    if (spec.linux() != null
        && spec.linux().personality() != null
        && !spec.linux().personality().flags().isEmpty()) {
      RuntimeLog.warn(
          "ignoring unsupported personality flags: " + spec.linux().personality().flags());
    }
    return spec;
  }

  /** runc's warning for capability names it leaves out (the plan's masks drop them). */
  static void warnUnknownCapabilities(dev.berth.spec.runtime.Process p) {
    List<String> unknown = SpecValidator.unknownCapabilities(p);
    if (!unknown.isEmpty())
      RuntimeLog.warn("ignoring unknown or unavailable capabilities: " + unknown);
  }

  /**
   * root.path may not lead through a symlink, as runc refuses it ("invalid rootfs: not an absolute
   * path, or a symlink"): a bundle's rootfs link can name any directory of the host, "/" too. A
   * relative root.path is checked from the bundle's real path, so a bundle reached through a link
   * of the host's (a /var/lib on another disk) still works.
   */
  private static void notThroughASymlink(Path bundle, String rootPath, Path rootfs)
      throws ContainerException {
    try {
      Path within =
          Path.of(rootPath).isAbsolute()
              ? rootfs
              : bundle.toRealPath().resolve(rootPath).normalize();
      Path real = within.toRealPath();
      if (!real.equals(within)) {
        throw ContainerException.invalid(
            "root.path: invalid rootfs "
                + rootfs
                + ": not an absolute path, or a symlink (it leads to "
                + real
                + ")");
      }
    } catch (IOException e) {
      throw ContainerException.invalid("root.path: invalid rootfs " + rootfs + ": " + e);
    }
  }

  /** The text of /proc/self/mountinfo, which both the cgroup layout and the plan need. */
  private static String readMountinfo() throws ErrnoException {
    try (Fd fd = Linux.open("/proc/self/mountinfo", LinuxConstants.O_RDONLY, 0)) {
      return new String(Linux.readAll(fd), StandardCharsets.UTF_8);
    }
  }

  /** Creates or truncates {@code file} with {@code bytes} (mode 0644 before the umask). */
  private static void writeFile(Path file, byte[] bytes) throws ErrnoException {
    try (Fd fd =
        Linux.open(
            file.toString(),
            LinuxConstants.O_WRONLY | LinuxConstants.O_CREAT | LinuxConstants.O_TRUNC,
            0644)) {
      Linux.writeAll(fd, bytes);
    }
  }

  /**
   * Writes the uid/gid maps of a new user namespace from outside, as runc's parent does (the child
   * cannot). As root the maps are written directly and setgroups stays "allow". Without privilege
   * (rootless) the kernel lets a process map only its own uid and gid, and only once setgroups is
   * "deny"; any other map goes through the setuid helpers newuidmap/newgidmap (which check
   * /etc/subuid and /etc/subgid), as runc does.
   */
  static void writeIdMaps(Spec spec, int pid) throws ContainerException {
    if (spec.linux() == null) return;
    boolean newUserNs = false;
    for (Namespace n : spec.linux().namespaces()) {
      if (n.type().equals("user") && (n.path() == null || n.path().isEmpty())) newUserNs = true;
    }
    if (!newUserNs) return;
    List<IdMapping> uids = spec.linux().uidMappings();
    List<IdMapping> gids = spec.linux().gidMappings();
    if (Linux.geteuid() == 0) {
      writeMap(pid, "uid_map", "linux.uidMappings", uids);
      writeMap(pid, "gid_map", "linux.gidMappings", gids);
      return;
    }
    if (isOwnId(uids, Linux.geteuid())) writeMap(pid, "uid_map", "linux.uidMappings", uids);
    else runMapHelper("newuidmap", pid, "linux.uidMappings", uids);
    if (isOwnId(gids, Linux.getegid())) {
      writeMap(pid, "setgroups", "linux.gidMappings", null);
      writeMap(pid, "gid_map", "linux.gidMappings", gids);
    } else {
      runMapHelper("newgidmap", pid, "linux.gidMappings", gids);
    }
  }

  /** The one map an unprivileged process may write itself: a single id, its own. */
  static boolean isOwnId(List<IdMapping> maps, int id) {
    return maps.size() == 1
        && maps.get(0).size() == 1
        && maps.get(0).hostID() == Integer.toUnsignedLong(id);
  }

  /**
   * Writes /proc/pid/{file} in one write (the kernel takes a map only whole, and only once); null:
   * "deny" setgroups.
   */
  private static void writeMap(int pid, String file, String field, List<IdMapping> maps)
      throws ContainerException {
    String path = "/proc/" + pid + "/" + file;
    String text = maps == null ? "deny" : IdMapping.mapText(maps);
    try (Fd fd = Linux.open(path, LinuxConstants.O_WRONLY | LinuxConstants.O_CLOEXEC, 0)) {
      Linux.writeAll(fd, text.getBytes(StandardCharsets.US_ASCII));
    } catch (ErrnoException e) {
      String shown =
          maps == null
              ? text
              : maps.size()
                  + " ranges starting "
                  + maps.get(0).containerID()
                  + " "
                  + maps.get(0).hostID()
                  + " "
                  + maps.get(0).size();
      throw ContainerException.invalid(
          field + ": write " + path + " (" + shown + "): " + e.errnoName() + mapHint(e.errno()));
    }
  }

  private static String mapHint(int errno) {
    if (errno == LinuxConstants.EPERM) {
      return " (the ranges must lie within the ids mapped to the caller; without root only the caller's own id)";
    }
    if (errno == LinuxConstants.EINVAL) {
      return " (the kernel refused the map: overlapping ranges, or more than 340 of them)";
    }
    return "";
  }

  /**
   * Runs newuidmap/newgidmap {@code pid containerID hostID size ...}; its stderr becomes the error.
   */
  private static void runMapHelper(String helper, int pid, String field, List<IdMapping> maps)
      throws ContainerException {
    List<String> cmd = new ArrayList<>();
    cmd.add(helper);
    cmd.add(Integer.toString(pid));
    for (IdMapping m : maps) {
      cmd.add(Long.toString(m.containerID()));
      cmd.add(Long.toString(m.hostID()));
      cmd.add(Long.toString(m.size()));
    }
    try {
      java.lang.Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      int code = p.waitFor();
      if (code != 0) {
        throw ContainerException.invalid(
            field
                + ": "
                + String.join(" ", cmd)
                + " exited with status "
                + code
                + (out.isEmpty() ? "" : ": " + out.replace('\n', ' ')));
      }
    } catch (IOException e) {
      throw ContainerException.invalid(
          field
              + ": more than the caller's own id needs "
              + helper
              + " (package uidmap): "
              + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ContainerException.invalid(field + ": interrupted while " + helper + " ran");
    }
  }

  static void writePidFile(Path pidFile, int pid) throws IOException {
    Path abs = pidFile.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
    Files.writeString(tmp, Integer.toString(pid));
    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Lets the init blocked on the exec fifo go on to exec the container's process: as runc's start,
   * opens it for reading (which lets the init's open for writing return) and reads the init's byte.
   * Non-blocking, and waiting in poll on the fifo and the init's pidfd, so the byte is read as soon
   * as it is written and an init that died meanwhile is noticed instead of waited for.
   */
  public static void release(ContainerDir dir, ContainerRecord r)
      throws ContainerException, IOException {
    Fd pidfd = null;
    try (Fd fifo =
        Linux.open(
            dir.fifo().toString(),
            LinuxConstants.O_RDONLY | LinuxConstants.O_NONBLOCK | LinuxConstants.O_CLOEXEC,
            0)) {
      ByteBuffer one = ByteBuffer.allocateDirect(1);
      short[] revents = new short[2];
      while (true) {
        int n;
        try {
          n = Linux.read(fifo, one);
        } catch (ErrnoException e) {
          if (e.errno() != LinuxConstants.EAGAIN) throw e;
          n = -1; // the init opened its end and is about to write
        }
        if (n == 1) break;
        if (pidfd == null) pidfd = initPidfd(r.pid());
        ProcStat st = ProcStat.of(r.pid());
        if (st == null || st.isGone() || st.startTime() != r.pidStartTime()) {
          // Between the read above and this look the init may have written its byte, exec'ed and
          // its process ended (a short command, a failed execve): that start happened.
          if (readOne(fifo, one)) break;
          throw ContainerException.precondition("cannot start a container that has stopped");
        }
        // EOF (n == 0: the init closed its end without writing) keeps the fifo readable: poll
        // would not wait then, so that case only sleeps until the init is seen gone.
        Linux.poll(
            new Fd[] {n == 0 ? null : fifo, pidfd},
            new short[] {LinuxConstants.POLLIN, LinuxConstants.POLLIN},
            revents,
            pidfd == null || n == 0 ? 1 : 1000);
      }
    } finally {
      if (pidfd != null) pidfd.close();
    }
    Files.deleteIfExists(dir.fifo());
    RuntimeLog.debug("exec fifo read: the container process goes on to its exec", "pid", r.pid());
  }

  /** Whether the init's byte is in the fifo now (read without waiting). */
  private static boolean readOne(Fd fifo, ByteBuffer one) throws ErrnoException {
    one.clear();
    try {
      return Linux.read(fifo, one) == 1;
    } catch (ErrnoException e) {
      if (e.errno() != LinuxConstants.EAGAIN) throw e;
      return false;
    }
  }

  /** The init's pidfd (readable once it exits), or null where pidfd_open is not available. */
  private static Fd initPidfd(int pid) {
    try {
      return Linux.pidfdOpen(pid, 0);
    } catch (ErrnoException e) {
      return null; // ESRCH: gone, which the caller sees in /proc; else poll with a short timeout
    }
  }

  /**
   * Follows a just released init (see {@link Created}) to its exec: EOF on the sync socket, which
   * is close-on-exec. A startContainer hook runs in between, in the container; its failure comes as
   * an ERROR and is thrown here, as runc's "error running hook" (the init then exits 127).
   */
  public static void awaitExec(InitProcess init, ContainerRecord r) throws ContainerException {
    try {
      init.awaitExec(
          new InitProcess.Listener() {
            // The init made its requests before READY; one now breaks the protocol.
            @Override
            public void hooks() throws IOException {
              throw new IOException("container init asked for hooks after it was started");
            }

            @Override
            public void pty(Fd master) throws IOException {
              master.close();
              throw new IOException("container init sent a terminal after it was started");
            }

            @Override
            public void seccomp(int pid, Fd notifyFd) throws IOException {
              notifyFd.close();
              throw new IOException("container init sent a seccomp fd after it was started");
            }
          });
    } catch (InitProcess.InitFailure e) {
      throw new ContainerException(ErrorCategory.FAILED_PRECONDITION, e.getMessage(), e);
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "start container " + r.id() + ": " + e.getMessage(), e);
    }
    RuntimeLog.debug("container process started", "pid", r.pid());
  }

  /**
   * Runs the poststart hooks; a failing one is reported and the rest still run, the container keeps
   * running (runtime-spec).
   */
  public static void runPoststart(ContainerDir dir, ContainerRecord r) throws ContainerException {
    if (!r.hooks().contains("poststart")) return;
    Spec spec = savedSpec(dir);
    RuntimeLog.debug("running poststart hooks");
    for (String failure :
        HookRunner.runEach("poststart", spec.hooks().poststart(), stateBytes(r, "running"))) {
      RuntimeLog.warn(failure);
    }
  }

  static Spec savedSpec(ContainerDir dir) throws ContainerException {
    try {
      return SpecReader.read(dir.config());
    } catch (SpecException | IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "read saved config " + dir.config() + ": " + e.getMessage(), e);
    }
  }

  private static byte[] stateBytes(ContainerRecord r, String status) {
    return SpecWriter.writeState(
        new State(
            ContainerRuntime.OCI_VERSION, r.id(), status, r.pid(), r.bundle(), r.annotations()));
  }

  /**
   * Signals the init, through a pidfd checked against the recorded start time so a reused pid is
   * never hit.
   */
  public static void signalInit(ContainerRecord r, int signal) throws IOException {
    try (Fd pidfd = Linux.pidfdOpen(r.pid(), 0)) {
      ProcStat st = ProcStat.of(r.pid());
      if (st == null || st.startTime() != r.pidStartTime())
        throw new IOException("container not running");
      RuntimeLog.debug("sending signal to the container's init", "signal", signal, "pid", r.pid());
      Linux.pidfdSendSignal(pidfd, signal);
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ESRCH) throw new IOException("container not running");
      throw e;
    }
  }

  /**
   * Waits for our child {@code pid} (the container init, cloned with CLONE_PARENT) and returns its
   * exit code.
   */
  public static int waitForExit(int pid) throws ErrnoException {
    while (true) {
      try {
        return Linux.wait4(pid, 0).shellExitCode();
      } catch (ErrnoException e) {
        if (e.errno() != LinuxConstants.EINTR) throw e;
      }
    }
  }

  /**
   * The manager of the container's cgroups if they are all still its own (see {@link CgroupClaim}),
   * else null: an empty cgroup that a stopped container left may have been taken by a newer
   * container since, and the processes there are then not this container's to signal.
   */
  public static CgroupManager ownCgroups(ContainerRecord r) {
    Map<String, String> ours = CgroupClaim.owned(r.cgroupPaths(), r.cgroupOwner());
    if (ours.size() == r.cgroupPaths().size()) return Cgroups.load(ours);
    warnClaimed(r, ours);
    return null;
  }

  private static void warnClaimed(ContainerRecord r, Map<String, String> ours) {
    for (Map.Entry<String, String> e : r.cgroupPaths().entrySet()) {
      if (!ours.containsKey(e.getKey())) {
        RuntimeLog.warn(
            "cgroup "
                + e.getValue()
                + " is no longer container "
                + r.id()
                + "'s (another container has claimed it): left alone with its processes");
        return;
      }
    }
  }

  /**
   * Kills what is left, removes the cgroups and the state directory, then runs the poststop hooks.
   * Only the init (checked by its start time) and the processes of cgroups that are all still the
   * container's own are killed, and only the cgroups still its own removed.
   */
  public static void destroy(ContainerDir dir, ContainerRecord r, Status s)
      throws IOException, ContainerException {
    RuntimeLog.debug("destroy container", "id", r.id(), "status", s);
    Map<String, String> ours = CgroupClaim.owned(r.cgroupPaths(), r.cgroupOwner());
    boolean whole = ours.size() == r.cgroupPaths().size();
    if (!whole) warnClaimed(r, ours);
    CgroupManager cg = ours.isEmpty() || !whole ? null : Cgroups.load(ours);
    if (s != Status.STOPPED) {
      if (s == Status.PAUSED && cg != null) cg.thaw();
      try {
        signalInit(r, LinuxConstants.SIGKILL);
      } catch (IOException e) {
        // already gone
      }
    }
    if (cg != null) {
      // Without a pid namespace of its own, the init's death does not end its children: end them
      // all.
      for (int i = 0; i < 500; i++) {
        List<Integer> pids = cg.pids();
        if (pids.isEmpty()) break;
        for (int p : pids) {
          try {
            Linux.kill(p, LinuxConstants.SIGKILL);
          } catch (ErrnoException e) {
            // raced with its exit
          }
          reapIfOurs(p);
        }
        if (cg.pids().isEmpty()) break;
        sleep(10);
      }
    }
    reapIfOurs(r.pid());
    waitGone(r);
    Spec spec = r.hooks().contains("poststop") ? savedSpec(dir) : null;
    if (!ours.isEmpty()) Cgroups.load(ours).destroy();
    dir.remove();
    if (spec != null) {
      RuntimeLog.debug("running poststop hooks");
      for (String failure :
          HookRunner.runEach("poststop", spec.hooks().poststop(), stateBytes(r, "stopped"))) {
        RuntimeLog.warn(failure);
      }
    }
  }

  /**
   * Reaps {@code pid} if it is a child of this process that has exited. Embedded in a long-running
   * program, the runtime is the parent of the inits and exec'd processes it starts (CLONE_PARENT);
   * their zombies would otherwise stay in the cgroup.
   */
  static void reapIfOurs(int pid) {
    try {
      Linux.wait4(pid, LinuxConstants.WNOHANG);
    } catch (ErrnoException e) {
      // ECHILD: not ours, someone else reaps it
    }
  }

  private static void waitGone(ContainerRecord r) {
    for (int i = 0; i < 1000; i++) {
      ProcStat st = ProcStat.of(r.pid());
      if (st == null || st.isGone() || st.startTime() != r.pidStartTime()) return;
      sleep(5);
    }
  }

  private static void killAndReap(int pid) {
    try {
      Linux.kill(pid, LinuxConstants.SIGKILL);
      Linux.wait4(pid, 0);
    } catch (ErrnoException e) {
      // gone already
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
