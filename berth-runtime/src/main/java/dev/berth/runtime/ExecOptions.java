package dev.berth.runtime;

import dev.berth.runtime.process.InitLauncher;
import dev.berth.runtime.terminal.PtyHandler;
import dev.berth.spec.runtime.Process;
import java.nio.file.Path;

/**
 * What {@code exec} runs in a container, as runc's exec flags describe it.
 *
 * @param process the process (runc builds it from the container's config process and the flags, or
 *     --process)
 * @param consoleSocket receives the pty master when {@code process.terminal} is true, or null
 * @param pidFile receives the new process's pid, or null
 * @param preserveFds how many fds after stdio pass in
 * @param detach return once the process runs instead of waiting for its exit
 * @param ignorePaused exec even into a paused container (the process starts frozen)
 * @param pty takes the pty master instead of a console socket (a foreground exec's terminal proxy),
 *     or null; unused when the process has no terminal
 * @param subCgroups existing sub-cgroups of the container's to run the process in (runc's
 *     --cgroup): controller -> path relative to the container's cgroup of that controller
 *     ("unified" for cgroup2), or "" -> the path for all
 * @param launcher starts berth-init, whose fds 0-2 the process gets; null: this process's own stdio
 *     ({@link InitLauncher#SPAWN})
 * @param waitFifo a fifo (runc's --exec-wait-fifo): the process, set up, waits before its execve
 *     until the fifo is opened for reading, and exec returns once it waits; null: none
 */
public record ExecOptions(
    Process process,
    Path consoleSocket,
    Path pidFile,
    int preserveFds,
    boolean detach,
    boolean ignorePaused,
    PtyHandler pty,
    java.util.Map<String, String> subCgroups,
    InitLauncher launcher,
    Path waitFifo) {

  public ExecOptions {
    subCgroups = subCgroups == null ? java.util.Map.of() : java.util.Map.copyOf(subCgroups);
  }

  public ExecOptions(
      Process process,
      Path consoleSocket,
      Path pidFile,
      int preserveFds,
      boolean detach,
      boolean ignorePaused) {
    this(
        process, consoleSocket, pidFile, preserveFds, detach, ignorePaused, null, null, null, null);
  }

  /** The same options with the pty master going to {@code handler}. */
  public ExecOptions withPty(PtyHandler handler) {
    return new ExecOptions(
        process,
        consoleSocket,
        pidFile,
        preserveFds,
        detach,
        ignorePaused,
        handler,
        subCgroups,
        launcher,
        waitFifo);
  }

  /** The same options, run in these sub-cgroups. */
  public ExecOptions withSubCgroups(java.util.Map<String, String> subs) {
    return new ExecOptions(
        process,
        consoleSocket,
        pidFile,
        preserveFds,
        detach,
        ignorePaused,
        pty,
        subs,
        launcher,
        waitFifo);
  }

  /** The same options, berth-init started by {@code l} (e.g. {@link InitLauncher#withStdio}). */
  public ExecOptions withLauncher(InitLauncher l) {
    return new ExecOptions(
        process,
        consoleSocket,
        pidFile,
        preserveFds,
        detach,
        ignorePaused,
        pty,
        subCgroups,
        l,
        waitFifo);
  }

  /** The same options, the process waiting on {@code fifo} before its execve. */
  public ExecOptions withWaitFifo(Path fifo) {
    return new ExecOptions(
        process,
        consoleSocket,
        pidFile,
        preserveFds,
        detach,
        ignorePaused,
        pty,
        subCgroups,
        launcher,
        fifo);
  }
}
