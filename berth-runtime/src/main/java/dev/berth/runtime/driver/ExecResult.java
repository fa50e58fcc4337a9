package dev.berth.runtime.driver;

/**
 * What {@link RuntimeDriver#exec} returns.
 *
 * @param pid the process's pid in the host's pid namespace
 * @param exitCode its exit status (128+signal when killed) in the foreground; -1 when detached (it
 *     may still run)
 */
public record ExecResult(int pid, int exitCode) {
  public boolean detached() {
    return exitCode < 0;
  }
}
