package dev.berth.engine;

import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Signals from the caller of a foreground exec to its process (docker's sig-proxy): passed to
 * {@link Engine#exec}, which tells it where the runtime writes the process's pid; {@link #send}
 * delivers once the process runs, and does nothing before or after.
 */
public final class ExecSignals {
  private volatile Path pidFile;

  /**
   * Sends {@code signal} to the exec'd process; false when it does not run (not yet, or no more).
   */
  public boolean send(int signal) {
    Path p = pidFile;
    if (p == null) return false;
    try {
      int pid = Integer.parseInt(Files.readString(p).trim());
      if (pid <= 0) return false;
      Linux.kill(pid, signal);
      return true;
    } catch (IOException | NumberFormatException e) {
      // not written yet (the process is starting), or it has ended (kill's ESRCH)
      return false;
    }
  }

  /** The process's pid once it runs, else 0 (not yet, or it has ended). */
  public int pid() {
    Path p = pidFile;
    if (p == null) return 0;
    try {
      return Integer.parseInt(Files.readString(p).trim());
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  void bind(Path file) {
    pidFile = file;
  }

  void unbind() {
    pidFile = null;
  }
}
