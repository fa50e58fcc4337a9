package dev.berth.runtime;

import dev.berth.runtime.cgroups.CgroupManager;
import dev.berth.runtime.cgroups.Cgroups;
import dev.berth.runtime.create.Creation;
import dev.berth.runtime.create.Execution;
import dev.berth.runtime.process.ProcStat;
import dev.berth.runtime.seccomp.SeccompCache;
import dev.berth.runtime.state.ContainerDir;
import dev.berth.runtime.state.ContainerRecord;
import dev.berth.runtime.state.StateRoot;
import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The OCI runtime as a library: the runc verbs on one root directory of container states ({@code
 * --root}). Every verb is a short-lived call that acts on the state directory and the kernel
 * objects; nothing stays running in this process except during a foreground {@link #run}.
 */
public final class ContainerRuntime {

  public static final String OCI_VERSION = "1.2.0";

  private final Path root;
  private final boolean rootless;
  private final SeccompCache seccompPrograms;

  /**
   * A runtime on {@code root}; rootless (cgroup permission errors ignored) when not running as
   * root.
   */
  public ContainerRuntime(Path root) {
    this(root, dev.berth.sys.Linux.geteuid() != 0);
  }

  /**
   * @param rootless runc's {@code --rootless}: a container whose cgroups cannot be created for lack
   *     of permission runs without cgroups of its own
   */
  public ContainerRuntime(Path root, boolean rootless) {
    this(root, rootless, SeccompCache.NONE);
  }

  /**
   * @param seccompPrograms where the seccomp programs of creates and execs are kept (see {@link
   *     SeccompCache}: its directory must be this user's alone)
   */
  public ContainerRuntime(Path root, boolean rootless, SeccompCache seccompPrograms) {
    this.root = root.toAbsolutePath();
    this.rootless = rootless;
    this.seccompPrograms = seccompPrograms == null ? SeccompCache.NONE : seccompPrograms;
  }

  /** A runtime on {@code root} that keeps its compiled seccomp programs in {@code programs}. */
  public ContainerRuntime withSeccompPrograms(SeccompCache programs) {
    return new ContainerRuntime(root, rootless, programs);
  }

  public SeccompCache seccompPrograms() {
    return seccompPrograms;
  }

  /** Whether cgroup permission errors are ignored at create. */
  public boolean rootless() {
    return rootless;
  }

  public Path root() {
    return root;
  }

  ContainerDir dir(String id) {
    return new ContainerDir(root.resolve(id));
  }

  public static void checkId(String id) throws ContainerException {
    if (id == null || id.isEmpty())
      throw ContainerException.invalid("container id cannot be empty");
    if (!validIdChars(id) || id.equals(".") || id.equals("..")) {
      throw ContainerException.invalid("invalid container id format: " + id);
    }
  }

  /**
   * runc's rule for container ids: letters, digits, '_', '+', '-' and '.' (checked without regex:
   * start-up cost).
   */
  private static boolean validIdChars(String id) {
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '+'
              || c == '-'
              || c == '.';
      if (!ok) return false;
    }
    return true;
  }

  /** Creates container {@code id} from a bundle: its init waits, set up, for {@link #start}. */
  public void create(String id, CreateOptions options) throws ContainerException {
    checkId(id);
    Creation.create(this, dir(id), id, options);
  }

  /** Lets a created container run its process; then runs the poststart hooks. */
  public void start(String id) throws ContainerException {
    ContainerDir dir = existing(id);
    try (Fd lock = dir.lockExisting(id)) {
      ContainerRecord r = dir.readExisting(id);
      Status s = status(dir, r);
      switch (s) {
        case CREATED -> Creation.release(dir, r);
        case STOPPED ->
            throw ContainerException.precondition("cannot start a container that has stopped");
        default ->
            throw ContainerException.precondition("cannot start an already running container");
      }
      Creation.runPoststart(dir, r);
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "start container " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs another process in a running container (runc's {@code exec}); in the foreground, waits for
   * it and returns its exit status.
   *
   * @param onStarted told the process's pid once it runs, e.g. to forward signals to it
   */
  public int exec(String id, ExecOptions options, IntConsumer onStarted) throws ContainerException {
    ContainerDir dir = existing(id);
    ContainerRecord r = dir.readExisting(id);
    return Execution.exec(dir, r, status(dir, r), options, seccompPrograms, onStarted);
  }

  /** The process of the container's config, which {@code exec} starts from. */
  public dev.berth.spec.runtime.Process configuredProcess(String id) throws ContainerException {
    return Execution.configuredProcess(existing(id));
  }

  /**
   * Creates and starts; in the foreground, waits for the container's process (our child: berth-init
   * clones it with CLONE_PARENT), deletes the container unless {@code keep}, and returns the exit
   * status (128+signal when killed).
   *
   * @param onStarted told the init's pid once it runs, e.g. to forward signals to it
   */
  public int run(
      String id, CreateOptions options, boolean detach, boolean keep, IntConsumer onStarted)
      throws ContainerException {
    checkId(id);
    ContainerDir dir = dir(id);
    // Straight on with the record create returns: a second read of state.json and of the init's
    // status would
    // only tell what this call has just made. The init's sync socket stays open: a startContainer
    // hook that fails
    // after the release is reported here, where `start` could only let the init exit.
    Creation.Created created = Creation.create(this, dir, id, options, true);
    ContainerRecord r = created.record();
    try (created) {
      try (Fd lock = dir.lockExisting(id)) {
        Creation.release(dir, r);
      }
      // Signals reach the init from here on: a startContainer hook may take its time.
      if (onStarted != null) onStarted.accept(r.pid());
      Creation.awaitExec(created.init(), r);
      try (Fd lock = dir.lockExisting(id)) {
        Creation.runPoststart(dir, r);
      }
    } catch (ContainerException | IOException e) {
      try {
        delete(id, true);
      } catch (ContainerException ignored) {
        // the start error is the one to report
      }
      if (e instanceof ContainerException c) throw c;
      throw new ContainerException(
          ErrorCategory.INTERNAL, "start container " + id + ": " + e.getMessage(), e);
    }
    PhaseTrace.mark("start");
    if (detach) return 0;
    int code;
    try {
      code = Creation.waitForExit(r.pid());
    } catch (ErrnoException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "wait for container " + id + ": " + e.getMessage(), e);
    }
    RuntimeLog.debug("process exited", "pid", r.pid(), "status", code);
    PhaseTrace.mark("wait for exit");
    if (!keep) delete(id, true);
    PhaseTrace.mark("delete");
    return code;
  }

  /** The state of one container. */
  public ContainerState state(String id) throws ContainerException {
    ContainerDir dir = existing(id);
    return view(dir, dir.readExisting(id));
  }

  /**
   * Whether the container's init is still the process it started as: {@link #state} is anything but
   * stopped. Without the freezer's and the exec fifo's looks, which only tell the live states
   * apart.
   */
  public boolean alive(String id) throws ContainerException {
    return initLives(existing(id).readExisting(id));
  }

  /**
   * Every container under the root, sorted by id; none in a missing root (made then, as runc makes
   * it).
   */
  public List<ContainerState> list() throws ContainerException {
    ensureRoot();
    List<ContainerState> out = new ArrayList<>();
    List<String> names;
    try (Fd fd =
        Linux.open(root.toString(), LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY, 0)) {
      names = Linux.readdir(fd);
    } catch (ErrnoException e) {
      // Unreadable (a root of another user's): an error naming it, as runc's "open ROOT: permission
      // denied".
      throw new ContainerException(ErrorCategory.INTERNAL, e.getMessage(), e);
    }
    names.sort(null);
    for (String name : names) {
      ContainerDir dir = new ContainerDir(root.resolve(name));
      try {
        out.add(view(dir, dir.read()));
      } catch (IOException e) {
        // A container being created or deleted right now: not listed, as runc skips it.
      }
    }
    return out;
  }

  /**
   * Sends {@code signal} to the container's init, or with {@code all} to every process of its
   * cgroup; SIGKILL to a container without a pid namespace of its own goes to every process.
   */
  public void kill(String id, int signal, boolean all) throws ContainerException {
    ContainerDir dir = existing(id);
    try {
      ContainerRecord r = dir.readExisting(id);
      Status s = status(dir, r);
      // Without a pid namespace of its own, the init's death does not take the container's other
      // processes with it: SIGKILL goes to every process of its cgroups, whether or not the init is
      // still there (as runc does from 1.2 on; 1.1 left them running).
      if (signal == LinuxConstants.SIGKILL && !r.namespaces().contains("pid")) all = true;
      // With --all a stopped container is no error, as under runc: what is left in its cgroups (a
      // container without a pid namespace of its own may outlive its init) is signalled, if
      // anything.
      if (s == Status.STOPPED && !all)
        throw ContainerException.precondition("container not running");
      if (all) {
        // Every process of the cgroups, if they are still the container's own; else its init alone.
        CgroupManager cg = Creation.ownCgroups(r);
        if (cg == null) {
          if (s != Status.STOPPED) Creation.signalInit(r, signal);
          return;
        }
        List<Integer> pids = cg.pids();
        RuntimeLog.debug(
            "sending signal to every process of the container", "signal", signal, "pids", pids);
        for (int pid : pids) {
          try {
            Linux.kill(pid, signal);
          } catch (ErrnoException e) {
            if (e.errno() != LinuxConstants.ESRCH) throw e;
          }
        }
        return;
      }
      Creation.signalInit(r, signal);
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "kill container " + id + ": " + e.getMessage(), e);
    }
  }

  /** Deletes a stopped or created container; {@code force} kills a running one first. */
  public void delete(String id, boolean force) throws ContainerException {
    checkId(id);
    ensureRoot();
    ContainerDir dir = dir(id);
    boolean there;
    try {
      there = Linux.lstat(dir.path().toString()).isDirectory();
    } catch (ErrnoException e) {
      // Missing is "does not exist" (nothing to do with force); unreadable is an error, never a
      // silent success.
      if (e.errno() != LinuxConstants.ENOENT) {
        throw new ContainerException(ErrorCategory.INTERNAL, e.getMessage(), e);
      }
      there = false;
    }
    if (!there) {
      if (force) return;
      throw ContainerException.notFound(id);
    }
    try (Fd lock = dir.lock()) {
      ContainerRecord r;
      try {
        r = dir.read();
      } catch (NoSuchFileException e) {
        // A create that died before writing its state: nothing runs, remove what is there.
        dir.remove();
        return;
      }
      Status s = status(dir, r);
      if ((s == Status.RUNNING || s == Status.PAUSED) && !force) {
        throw ContainerException.precondition(
            "cannot delete container " + id + " that is not stopped: " + s);
      }
      Creation.destroy(dir, r, s);
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT) {
        if (force) return;
        throw ContainerException.notFound(id);
      }
      throw new ContainerException(
          ErrorCategory.INTERNAL, "delete container " + id + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "delete container " + id + ": " + e.getMessage(), e);
    }
  }

  /** The pids of every process in the container's cgroup. */
  public List<Integer> pids(String id) throws ContainerException {
    ContainerDir dir = existing(id);
    try {
      ContainerRecord r = dir.readExisting(id);
      return Cgroups.load(r.cgroupPaths()).pids();
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "list processes of " + id + ": " + e.getMessage(), e);
    }
  }

  private ContainerDir existing(String id) throws ContainerException {
    checkId(id);
    ensureRoot();
    ContainerDir dir = dir(id);
    boolean exists;
    try {
      exists = dir.exists();
    } catch (ErrnoException e) {
      throw new ContainerException(ErrorCategory.INTERNAL, e.getMessage(), e);
    }
    if (!exists) throw ContainerException.notFound(id);
    return dir;
  }

  /**
   * Makes the root as runc does before every verb (0700, parents too); a root that is a file, a
   * dangling symlink or out of reach fails naming it, so that no verb mistakes it for an empty
   * root.
   */
  private void ensureRoot() throws ContainerException {
    try {
      StateRoot.ensure(root.toString());
    } catch (ErrnoException e) {
      throw ContainerException.invalid(e.getMessage());
    }
  }

  private static ContainerState view(ContainerDir dir, ContainerRecord r) {
    Status s = status(dir, r);
    return new ContainerState(
        OCI_VERSION,
        r.id(),
        s == Status.STOPPED ? 0 : r.pid(),
        s,
        r.bundle(),
        r.rootfs(),
        r.created(),
        r.owner(),
        r.annotations());
  }

  /**
   * A container's status from the kernel: stopped when its init is gone (or the pid now names
   * another process), paused when its cgroup is frozen (a created container can be paused too, as
   * in runc, and must then read as paused so that resume accepts it), created while the exec fifo
   * still exists, else running.
   */
  static Status status(ContainerDir dir, ContainerRecord r) {
    if (!initLives(r)) return Status.STOPPED;
    try {
      if (!r.cgroupPaths().isEmpty() && Cgroups.load(r.cgroupPaths()).isFrozen())
        return Status.PAUSED;
    } catch (IOException e) {
      // An unreadable freezer is not a paused container.
    }
    if (Files.exists(dir.fifo())) return Status.CREATED;
    return Status.RUNNING;
  }

  /** The init's pid still names the process it started as (not gone, not reused). */
  private static boolean initLives(ContainerRecord r) {
    ProcStat st = ProcStat.of(r.pid());
    return st != null && !st.isGone() && st.startTime() == r.pidStartTime();
  }

  // --- pause, resume, update, stats, events (runc's control verbs) ---

  /**
   * How often {@link #events} looks for a new OOM kill between two stats: it has no kernel
   * notification (yet).
   */
  private static final long OOM_POLL_MILLIS = 250;

  /**
   * Freezes every process of a running (or created, as runc allows) container; {@link #state} then
   * reports it paused.
   */
  public void pause(String id) throws ContainerException {
    ContainerDir dir = existing(id);
    try (Fd lock = dir.lockExisting(id)) {
      ContainerRecord r = dir.readExisting(id);
      Status s = status(dir, r);
      if (s != Status.RUNNING && s != Status.CREATED)
        throw ContainerException.precondition("container not running");
      Cgroups.load(r.cgroupPaths()).freeze();
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "pause container " + id + ": " + e.getMessage(), e);
    }
  }

  /** Thaws a paused container. */
  public void resume(String id) throws ContainerException {
    ContainerDir dir = existing(id);
    try (Fd lock = dir.lockExisting(id)) {
      ContainerRecord r = dir.readExisting(id);
      if (status(dir, r) != Status.PAUSED)
        throw ContainerException.precondition("container not paused");
      Cgroups.load(r.cgroupPaths()).thaw();
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "resume container " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * Changes the resource limits of a container that has not stopped, as runc's {@code update}: only
   * memory, cpu, pids, blockIO and unified are taken from {@code changes} (devices, hugepages and
   * network are not updatable); a null or zero number leaves that limit as it is. Nothing is
   * written to the state: the kernel keeps the limits.
   */
  public void update(String id, dev.berth.spec.runtime.Resources changes)
      throws ContainerException {
    ContainerDir dir = existing(id);
    try (Fd lock = dir.lockExisting(id)) {
      ContainerRecord r = dir.readExisting(id);
      if (status(dir, r) == Status.STOPPED)
        throw ContainerException.precondition("container not running");
      // apply() always rewrites the device rules; hand it the config's own, so an update never
      // widens or narrows
      // what the container may open.
      List<dev.berth.spec.runtime.DeviceRule> devices = List.of();
      dev.berth.spec.runtime.Spec spec = dev.berth.spec.runtime.SpecReader.read(dir.config());
      if (spec.linux() != null && spec.linux().resources() != null)
        devices = spec.linux().resources().devices();
      // pids.limit 0 means "unchanged" to runc's update, while apply() reads it as "unlimited".
      dev.berth.spec.runtime.Pids pids =
          changes.pids() != null && changes.pids().limit() != 0 ? changes.pids() : null;
      dev.berth.spec.runtime.Resources effective =
          new dev.berth.spec.runtime.Resources(
              devices,
              changes.memory(),
              changes.cpu(),
              pids,
              changes.blockIO(),
              List.of(),
              null,
              changes.unified());
      Cgroups.load(r.cgroupPaths()).apply(effective);
    } catch (dev.berth.runtime.cgroups.CgroupException e) {
      throw ContainerException.invalid("update container " + id + ": " + e.getMessage());
    } catch (dev.berth.spec.json.SpecException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "update container " + id + ": read config: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "update container " + id + ": " + e.getMessage(), e);
    }
  }

  /**
   * The container's resource usage now ({@code events --stats}); refused once it has stopped, as
   * runc does.
   */
  public dev.berth.runtime.cgroups.Stats stats(String id) throws ContainerException {
    ContainerDir dir = existing(id);
    try {
      ContainerRecord r = dir.readExisting(id);
      if (status(dir, r) == Status.STOPPED) throw notRunning(id);
      return Cgroups.load(r.cgroupPaths()).stats();
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "stats of container " + id + ": " + e.getMessage(), e);
    }
  }

  /** What {@link #events} reports; a listener that throws ends the stream with that error. */
  public interface EventListener {
    /** Resource usage, once per interval. */
    void stats(dev.berth.runtime.cgroups.Stats stats) throws IOException;

    /**
     * The kernel's OOM killer killed a process of the container (or, with it disabled, the
     * container hit OOM).
     */
    void oom() throws IOException;
  }

  /**
   * Reports the container's stats every {@code interval} (the first after one interval, as runc
   * does) and its OOM kills as they are seen, until the container's init exits; then returns.
   * Blocks the calling thread.
   */
  public void events(String id, java.time.Duration interval, EventListener listener)
      throws ContainerException {
    if (interval.isNegative() || interval.isZero()) {
      throw ContainerException.invalid("duration interval must be greater than 0");
    }
    ContainerDir dir = existing(id);
    ContainerRecord r = dir.readExisting(id);
    if (status(dir, r) == Status.STOPPED) throw notRunning(id);
    CgroupManager cg = Cgroups.load(r.cgroupPaths());
    try (Fd pidfd = Linux.pidfdOpen(r.pid(), 0)) {
      // The pid may have exited and been reused between the check above and pidfd_open: check
      // again.
      if (status(dir, r) == Status.STOPPED) return;
      Fd[] fds = {pidfd};
      short[] want = {LinuxConstants.POLLIN};
      short[] got = new short[1];
      long[] oomSeen = oomCounters(r.cgroupPaths());
      long intervalNanos = interval.toNanos();
      long next = System.nanoTime() + intervalNanos;
      while (true) {
        long waitMillis =
            Math.max(0, Math.min(OOM_POLL_MILLIS, (next - System.nanoTime()) / 1_000_000));
        // The pidfd turns readable when the init exits: the stream ends at once, not an interval
        // later.
        if (Linux.poll(fds, want, got, (int) waitMillis) > 0) return;
        long[] oom = oomCounters(r.cgroupPaths());
        if (oom[0] > oomSeen[0] || (oom[1] > 0 && oomSeen[1] == 0)) listener.oom();
        oomSeen = oom;
        if (System.nanoTime() - next >= 0) {
          listener.stats(cg.stats());
          next += intervalNanos;
        }
      }
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ESRCH) return; // exited before pidfd_open
      throw new ContainerException(
          ErrorCategory.INTERNAL, "events of container " + id + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "events of container " + id + ": " + e.getMessage(), e);
    }
  }

  private static ContainerException notRunning(String id) {
    return ContainerException.precondition("container with id " + id + " is not running");
  }

  /**
   * {oom kills so far, under OOM now (1/0)} of a container's memory cgroup: v1's memory.oom_control
   * (oom_kill since Linux 4.13), else cgroup2's memory.events. Read directly here because
   * CgroupManager only tells "ever killed".
   */
  private static long[] oomCounters(java.util.Map<String, String> cgroupPaths) {
    String v1 = cgroupPaths.get("memory");
    String v2 = cgroupPaths.get("");
    Path file =
        v1 != null
            ? Path.of(v1, "memory.oom_control")
            : v2 != null ? Path.of(v2, "memory.events") : null;
    long[] out = new long[2];
    if (file == null) return out;
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      return out; // the cgroup is going away with the container: no OOM to report
    }
    for (String line : text.split("\n")) {
      int sp = line.indexOf(' ');
      if (sp <= 0) continue;
      String key = line.substring(0, sp);
      try {
        long v = Long.parseLong(line.substring(sp + 1).trim());
        if (key.equals("oom_kill")) out[0] = v;
        else if (key.equals("under_oom")) out[1] = v;
      } catch (NumberFormatException e) {
        // not a counter
      }
    }
    return out;
  }
}
