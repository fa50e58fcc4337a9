package dev.berth.sys;

/**
 * What wait4(2) reported: the pid (0 when WNOHANG found no change) and the raw status word, decoded
 * as the W* macros of wait(2) do.
 */
public record WaitStatus(int pid, int rawStatus) {
  /** The process called exit(2) or returned from main. */
  public boolean exited() {
    return (rawStatus & 0x7f) == 0;
  }

  /** The exit code; meaningful when {@link #exited()}. */
  public int exitCode() {
    return (rawStatus >> 8) & 0xff;
  }

  /** A signal killed the process. */
  public boolean signaled() {
    int sig = rawStatus & 0x7f;
    return sig != 0 && sig != 0x7f;
  }

  /** The signal that killed the process; meaningful when {@link #signaled()}. */
  public int termSig() {
    return rawStatus & 0x7f;
  }

  /** The process dumped core as it died. */
  public boolean coreDumped() {
    return signaled() && (rawStatus & 0x80) != 0;
  }

  /** Stopped by a signal (only reported with WUNTRACED). */
  public boolean stopped() {
    return (rawStatus & 0xff) == 0x7f;
  }

  /**
   * The status a shell would report: the exit code, or 128 + the signal that killed the process.
   */
  public int shellExitCode() {
    if (exited()) return exitCode();
    if (signaled()) return 128 + termSig();
    return 255;
  }

  @Override
  public String toString() {
    if (pid == 0) return "no change";
    if (exited()) return "pid " + pid + " exited with " + exitCode();
    if (signaled()) {
      return "pid "
          + pid
          + " killed by "
          + Signals.name(termSig())
          + (coreDumped() ? " (core dumped)" : "");
    }
    return "pid " + pid + " status 0x" + Integer.toHexString(rawStatus);
  }
}
