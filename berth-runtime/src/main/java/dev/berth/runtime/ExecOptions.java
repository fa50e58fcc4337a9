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
 */
public record ExecOptions(Process process, Path consoleSocket, Path pidFile, int preserveFds, boolean detach,
    boolean ignorePaused, PtyHandler pty) {

  public ExecOptions(Process process, Path consoleSocket, Path pidFile, int preserveFds, boolean detach,
      boolean ignorePaused) {
    this(process, consoleSocket, pidFile, preserveFds, detach, ignorePaused, null);
  }

  /** The same options with the pty master going to {@code handler}. */
  public ExecOptions withPty(PtyHandler handler) {
    return new ExecOptions(process, consoleSocket, pidFile, preserveFds, detach, ignorePaused, handler);
  }
}
