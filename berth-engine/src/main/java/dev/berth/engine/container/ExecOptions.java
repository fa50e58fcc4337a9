package dev.berth.engine.container;

import java.util.List;

/**
 * What {@code docker exec} asks for: a command to run in a running container, with the container's
 * process as the base (its env, user, cwd, capabilities, no_new_privs, rlimits; its seccomp profile
 * always applies).
 *
 * @param command the command and its arguments (looked up in the container's PATH)
 * @param env {@code KEY=VALUE} over the container's environment (bare {@code KEY}s resolved by the
 *     front door)
 * @param user {@code user[:group]} resolved in the container's /etc/passwd and /etc/group, or null
 *     for the container's
 * @param workingDir an absolute directory, or null for the container's
 * @param tty allocate a terminal ({@code -t})
 * @param rows the terminal's rows at start (0: unknown), so the process sees its size from its
 *     first instruction
 * @param columns the terminal's columns at start (0: unknown)
 * @param detach return once the process runs; its output is discarded ({@code -d})
 * @param privileged every capability for this process ({@code --privileged})
 */
public record ExecOptions(
    List<String> command,
    List<String> env,
    String user,
    String workingDir,
    boolean tty,
    int rows,
    int columns,
    boolean detach,
    boolean privileged) {

  public ExecOptions {
    command = command == null ? List.of() : List.copyOf(command);
    env = env == null ? List.of() : List.copyOf(env);
    if (user != null && user.isEmpty()) user = null;
    if (workingDir != null && workingDir.isEmpty()) workingDir = null;
  }

  /** {@code command} in the foreground, with the container's user, cwd and environment. */
  public static ExecOptions of(String... command) {
    return new ExecOptions(List.of(command), List.of(), null, null, false, 0, 0, false, false);
  }

  public ExecOptions withEnv(List<String> e) {
    return new ExecOptions(command, e, user, workingDir, tty, rows, columns, detach, privileged);
  }

  public ExecOptions withUser(String u) {
    return new ExecOptions(command, env, u, workingDir, tty, rows, columns, detach, privileged);
  }

  public ExecOptions withWorkingDir(String dir) {
    return new ExecOptions(command, env, user, dir, tty, rows, columns, detach, privileged);
  }

  public ExecOptions withTty(int r, int c) {
    return new ExecOptions(command, env, user, workingDir, true, r, c, detach, privileged);
  }

  public ExecOptions detached() {
    return new ExecOptions(command, env, user, workingDir, tty, rows, columns, true, privileged);
  }

  public ExecOptions withPrivileged(boolean p) {
    return new ExecOptions(command, env, user, workingDir, tty, rows, columns, detach, p);
  }
}
