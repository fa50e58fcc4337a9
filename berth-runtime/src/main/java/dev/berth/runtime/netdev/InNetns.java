package dev.berth.runtime.netdev;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.NamespaceThread;
import java.io.IOException;

/** Runs work in another network namespace, on a {@link NamespaceThread} that joins it. */
final class InNetns {
  private InNetns() {}

  static <T> T call(Fd netns, String what, NamespaceThread.Work<T> work) throws IOException {
    NamespaceThread.Outcome<T> o =
        NamespaceThread.run(
            "berth-netns",
            () -> {
              Linux.setns(netns, LinuxConstants.CLONE_NEWNET);
              return work.run();
            });
    if (o.failure() instanceof IOException e) throw e;
    if (o.failure() != null)
      throw new IOException(what + ": " + o.failure().getMessage(), o.failure());
    return o.value();
  }

  /** The network namespace of the calling thread (not of the process's main thread). */
  static Fd own() throws IOException {
    return Linux.open(
        "/proc/thread-self/ns/net", LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC, 0);
  }
}
