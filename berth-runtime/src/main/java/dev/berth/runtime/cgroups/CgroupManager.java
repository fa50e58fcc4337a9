package dev.berth.runtime.cgroups;

import dev.berth.spec.runtime.Resources;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * One container's cgroups: made by {@link Cgroups#forContainer} at create, found again by {@link
 * #load} from the {@link #paths()} its state file keeps, in any later process (delete, ps, pause,
 * events, update).
 *
 * <p>The create sequence is {@code create()}, {@code apply(resources)} without the pids limit,
 * {@code addProcess(pid)} of berth-init before it clones the container's init, then {@code
 * limitPids} once berth-init has exited. Nothing here signals processes: the caller kills what
 * {@link #pids()} lists, waits, then calls {@link #destroy()}.
 */
public interface CgroupManager {
  /**
   * Makes the container's directory in every hierarchy (missing parents included), ready for tasks;
   * on failure removes what it made. Fails if the host lacks the devices controller (cgroup v1).
   */
  void create() throws IOException;

  /**
   * Writes the resource limits (null is the same as none). Checks first that every controller the
   * resources need is there and every value is valid, naming the spec field if not, and only then
   * writes; a write the kernel refuses names the file, the value and the errno. Also serves {@code
   * update} on a running container. Device rules go to the v1 devices controller, or on a unified
   * host to an eBPF device program (see devices/).
   */
  void apply(Resources resources) throws IOException;

  /** Moves process {@code pid} into the container's cgroups (cgroup.procs of every hierarchy). */
  void addProcess(int pid) throws IOException;

  /**
   * Writes the pids limit alone (pids.max; "max" for a limit of 0 or less, nothing for null),
   * checking first that the pids controller is there. Create writes it after the other limits:
   * berth-init forks the container's init from inside the cgroup and counts against pids.max until
   * it exits, so a limit of 1 would refuse that clone.
   */
  void limitPids(dev.berth.spec.runtime.Pids pids) throws IOException;

  /**
   * Freezes every process of the container and returns once the kernel reports them frozen (pause).
   */
  void freeze() throws IOException;

  /** Thaws the container and returns once the kernel reports it thawed (resume). */
  void thaw() throws IOException;

  /** True if the container is frozen (paused); false if it is not, or its cgroup is gone. */
  boolean isFrozen() throws IOException;

  /**
   * Every process in the container's cgroup and the cgroups below it (what {@code ps} lists); none
   * if gone.
   */
  List<Integer> pids() throws IOException;

  /**
   * Removes the container's directories and any cgroups made below them. Kills nothing: a cgroup
   * that still has tasks after about a second of retries fails with EBUSY. Idempotent: what is
   * already gone is fine.
   */
  void destroy() throws IOException;

  /**
   * Controller name to absolute directory ("memory" -> "/sys/fs/cgroup/memory/c1"); "" is the
   * cgroup2 directory (the only key on a unified host). Keep it in the container's state and hand
   * it to {@link #load}.
   */
  Map<String, String> paths();

  /** Resource usage now, as {@code events --stats} reports it. */
  Stats stats() throws IOException;

  /**
   * True if the kernel's OOM killer has killed a process of the container (or it is out of memory
   * right now).
   */
  boolean oomKilled() throws IOException;

  /** The manager of a container whose cgroups were made earlier, maybe by another process. */
  static CgroupManager load(Map<String, String> paths) {
    return Cgroups.load(paths);
  }
}
