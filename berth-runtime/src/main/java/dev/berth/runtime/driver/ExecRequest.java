package dev.berth.runtime.driver;

import dev.berth.spec.runtime.Process;
import java.nio.file.Path;

/**
 * What {@link RuntimeDriver#exec} runs in a container: runc's {@code exec -p process.json} and its
 * flags as types.
 *
 * @param process the whole process (args, env, cwd, user, capabilities, ...): nothing is inherited
 *     from the container's config
 * @param stdio the process's fds 0-2 when it has no terminal
 * @param consoleSocket receives the pty master when {@code process.terminal} is true, or null
 * @param pidFile where the new process's pid is written, or null
 * @param detach return once the process runs instead of waiting for its exit
 * @param preserveFds how many of the caller's fds after stdio pass in
 */
public record ExecRequest(
    Process process,
    Stdio stdio,
    Path consoleSocket,
    Path pidFile,
    boolean detach,
    int preserveFds) {

  public ExecRequest {
    if (process == null) throw new IllegalArgumentException("process: required");
    if (stdio == null) stdio = Stdio.INHERIT;
    if (preserveFds < 0)
      throw new IllegalArgumentException("preserveFds: " + preserveFds + " (must be >= 0)");
  }

  /** {@code process} in the foreground with the caller's stdio. */
  public static ExecRequest of(Process process) {
    return new ExecRequest(process, Stdio.INHERIT, null, null, false, 0);
  }

  /** The same request, detached. */
  public ExecRequest detached() {
    return new ExecRequest(process, stdio, consoleSocket, pidFile, true, preserveFds);
  }

  /** The same request, its pid written to {@code file} once the process runs. */
  public ExecRequest withPidFile(Path file) {
    return new ExecRequest(process, stdio, consoleSocket, file, detach, preserveFds);
  }

  public ExecRequest withStdio(Stdio s) {
    return new ExecRequest(process, s, consoleSocket, pidFile, detach, preserveFds);
  }
}
