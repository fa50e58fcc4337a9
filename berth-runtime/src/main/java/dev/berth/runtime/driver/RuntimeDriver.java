package dev.berth.runtime.driver;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.spec.runtime.Resources;
import java.io.IOException;
import java.time.Duration;

/**
 * The runtime contract the engine stands on: the OCI runtime verbs on containers of one state root,
 * with typed options and results. {@link InProcessDriver} runs berth's runtime in this JVM; {@link
 * OciCliDriver} runs any runc-compatible binary. Both pass {@code RuntimeDriverContract}
 * (berth-runtime's tests).
 *
 * <p>Every verb acts on the kernel's truth at the time of the call (no state is cached here) and
 * fails with a {@link ContainerException} whose category means the same whichever driver threw it:
 * a missing container is "not found", a second create of an id "already exists", a verb the
 * container's state forbids (start of a running one, delete of a running one without force) "failed
 * precondition". Which verb a state allows is decided once, in {@link Container}; the drivers check
 * again under their own lock, since the state may change in between.
 */
public interface RuntimeDriver {

  /** The handler name this driver is registered under ("berth", "runc", ...). */
  String name();

  /** Creates the container: its init is set up in its namespaces and waits for {@link #start}. */
  void create(CreateRequest request) throws ContainerException;

  /** Lets a created container's init exec the process of its config. */
  void start(String id) throws ContainerException;

  /** The container's state now. */
  ContainerStatus state(String id) throws ContainerException;

  /**
   * Whether the container's init still runs (created, running or paused: any state but stopped);
   * false for a container this runtime does not know. What {@link #state} says of it, told as
   * cheaply as the driver can ({@code ps} asks it of every running container).
   */
  default boolean alive(String id) throws ContainerException {
    try {
      return state(id).status() != dev.berth.runtime.state.Status.STOPPED;
    } catch (ContainerException e) {
      if (e.category() == dev.berth.spec.error.ErrorCategory.NOT_FOUND) return false;
      throw e;
    }
  }

  /**
   * Sends {@code signal} to the container's init, or with {@code all} to every process of its
   * cgroup.
   */
  void kill(String id, int signal, boolean all) throws ContainerException;

  /**
   * Removes a created or stopped container with its cgroups and state; {@code force} kills a
   * running or paused one first and makes a missing container no error.
   */
  void delete(String id, boolean force) throws ContainerException;

  /** Runs another process in a running container. */
  ExecResult exec(String id, ExecRequest request) throws ContainerException;

  /**
   * The host pids of every process in the container's cgroups (its init, exec'd processes, their
   * children).
   */
  java.util.List<Integer> pids(String id) throws ContainerException;

  /** Freezes every process of the container. */
  void pause(String id) throws ContainerException;

  /** Thaws a paused container. */
  void resume(String id) throws ContainerException;

  /**
   * Changes the resource limits of a container that has not stopped (memory, cpu, pids, blockIO,
   * unified: what runc's {@code update -r} takes); absent values stay as they are.
   */
  void update(String id, Resources resources) throws ContainerException;

  /** The container's resource usage now. */
  Stats stats(String id) throws ContainerException;

  /**
   * Reports the container's stats every {@code interval} and its OOM kills as they happen, until
   * its init exits; blocks the calling thread. A listener that throws ends the stream with that
   * error.
   */
  void events(String id, Duration interval, EventListener listener) throws ContainerException;

  /** What {@link #events} reports. */
  interface EventListener {
    void stats(Stats stats) throws IOException;

    /** The OOM killer killed a process of the container. */
    void oom() throws IOException;
  }
}
