package dev.berth.runtime;

import dev.berth.runtime.terminal.PtyHandler;
import dev.berth.spec.runtime.Process;
import java.nio.file.Path;

/**
 * What {@code exec} runs in a container, as runc's exec flags describe it.
 *
 * @param process the process (runc builds it from the container's config process and the flags, or --process)
 * @param consoleSocket receives the pty master when {@code process.terminal} is true, or null
 * @param pidFile receives the new process's pid, or null
 * @param preserveFds how many fds after stdio pass in
 * @param detach return once the process runs instead of waiting for its exit
 * @param ignorePaused exec even into a paused container (the process starts frozen)
 * @param pty takes the pty master instead of a console socket (a foreground exec's terminal proxy), or null; unused
 *     when the process has no terminal
 * @param subCgroups existing sub-cgroups of the container's to run the process in (runc's --cgroup): controller ->
 *     path relative to the container's cgroup of that controller ("unified" for cgroup2), or "" -> the path for all
 */
public record ExecOptions(Process process, Path consoleSocket, Path pidFile, int preserveFds, boolean detach,
    boolean ignorePaused, PtyHandler pty, java.util.Map<String, String> subCgroups) {

  public ExecOptions {
    subCgroups = subCgroups == null ? java.util.Map.of() : java.util.Map.copyOf(subCgroups);
  }

  public ExecOptions(Process process, Path consoleSocket, Path pidFile, int preserveFds, boolean detach,
      boolean ignorePaused) {
    this(process, consoleSocket, pidFile, preserveFds, detach, ignorePaused, null, null);
  }

  /** The same options with the pty master going to {@code handler}. */
  public ExecOptions withPty(PtyHandler handler) {
    return new ExecOptions(process, consoleSocket, pidFile, preserveFds, detach, ignorePaused, handler, subCgroups);
  }

  /** The same options, run in these sub-cgroups. */
  public ExecOptions withSubCgroups(java.util.Map<String, String> subs) {
    return new ExecOptions(process, consoleSocket, pidFile, preserveFds, detach, ignorePaused, pty, subs);
  }
}
