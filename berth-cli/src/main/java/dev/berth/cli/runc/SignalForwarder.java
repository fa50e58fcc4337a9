package dev.berth.cli.runc;

import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import sun.misc.Signal;

/**
 * Forwards the signals a foreground {@code run} receives to the container's init, as runc does, so
 * that Ctrl-C or a supervisor's SIGTERM reaches the workload rather than ending berth-runc.
 */
final class SignalForwarder implements AutoCloseable {
  private static final String[] FORWARDED = {
    "INT", "TERM", "HUP", "QUIT", "USR1", "USR2", "WINCH", "CONT", "ALRM"
  };
  private volatile int target;
  private volatile Runnable onResize;

  SignalForwarder() {
    for (String name : FORWARDED) {
      try {
        Signal.handle(new Signal(name), s -> forward(s.getNumber()));
      } catch (IllegalArgumentException e) {
        // The JVM reserves this one (e.g. QUIT without -Xrs): it stays with the JVM.
      }
    }
  }

  /** From now on, signals go to {@code pid}. */
  void forwardTo(int pid) {
    target = pid;
  }

  /**
   * From now on, SIGWINCH runs {@code resize} instead of being forwarded: with a pty of ours,
   * resizing it is what tells the process (the kernel signals the pty's foreground process group).
   */
  void onResize(Runnable resize) {
    onResize = resize;
  }

  private void forward(int sig) {
    Runnable resize = onResize;
    if (sig == LinuxConstants.SIGWINCH && resize != null) {
      resize.run();
      return;
    }
    int pid = target;
    if (pid <= 0) return;
    try {
      Linux.kill(pid, sig);
    } catch (Exception e) {
      // The container is exiting: nothing to forward to.
    }
  }

  @Override
  public void close() {
    target = 0;
    onResize = null;
  }
}
