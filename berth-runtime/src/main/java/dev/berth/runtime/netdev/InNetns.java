package dev.berth.runtime.netdev;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;

/**
 * Runs work in another network namespace on a short-lived platform thread that joins it, so no
 * thread of the runtime (a virtual thread's carrier least of all) ever changes namespace.
 */
final class InNetns {
  /** The work; it may throw anything, which the caller gets back. */
  @FunctionalInterface
  interface Work<T> {
    T run() throws Exception;
  }

  private InNetns() {}

  static <T> T call(Fd netns, String what, Work<T> work) throws IOException {
    Object[] result = new Object[1];
    Throwable[] failed = new Throwable[1];
    Thread t =
        Thread.ofPlatform()
            .name("berth-netns")
            .unstarted(
                () -> {
                  try {
                    Linux.setns(netns, LinuxConstants.CLONE_NEWNET);
                    result[0] = work.run();
                  } catch (Throwable e) {
                    failed[0] = e;
                  }
                });
    t.start();
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        // The thread holds kernel state half done: wait it out, then say we were interrupted.
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    if (failed[0] instanceof IOException e) throw e;
    if (failed[0] != null) throw new IOException(what + ": " + failed[0].getMessage(), failed[0]);
    @SuppressWarnings("unchecked")
    T r = (T) result[0];
    return r;
  }

  /** The network namespace of the calling thread (not of the process's main thread). */
  static Fd own() throws IOException {
    return Linux.open(
        "/proc/thread-self/ns/net", LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC, 0);
  }
}
