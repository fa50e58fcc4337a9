package dev.berth.cli.runc;

import dev.berth.sys.Linux;
import sun.misc.Signal;

/**
 * Forwards the signals a foreground {@code run} receives to the container's init, as runc does, so that Ctrl-C or a
 * supervisor's SIGTERM reaches the workload rather than ending berth-runc.
 */
final class SignalForwarder implements AutoCloseable {
  private static final String[] FORWARDED = {"INT", "TERM", "HUP", "QUIT", "USR1", "USR2", "WINCH", "CONT", "ALRM"};
  private volatile int target;

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

  private void forward(int sig) {
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
  }
}
