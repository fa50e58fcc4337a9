package dev.berth.cli.runc;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeLog;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.IntConsumer;

/**
 * runc's {@code --pidfd-socket}: a pidfd of the container's init (create, run) or of the exec'd
 * process, sent as SCM_RIGHTS over a connection to an AF_UNIX socket, so that the caller can signal
 * that process without racing pid reuse.
 */
final class PidfdSocket {
  private PidfdSocket() {}

  /** The flag's value, or null when not given. */
  static String of(dev.berth.cli.flags.ParsedCommand c) {
    String path = c.flags().getString("pidfd-socket");
    return path.isEmpty() ? null : path;
  }

  /** Sends a pidfd of {@code pid} to the socket at {@code path}. */
  static void send(String path, int pid) throws ContainerException {
    try (Fd pidfd = Linux.pidfdOpen(pid, 0);
        Fd sock = Linux.connectUnix(path, LinuxConstants.SOCK_STREAM)) {
      // The payload names what the fd is; the receiver only needs the fd.
      byte[] name = ("pidfd:" + pid).getBytes(StandardCharsets.UTF_8);
      Linux.sendmsg(sock, ByteBuffer.wrap(name), new int[] {pidfd.fd()});
    } catch (ErrnoException e) {
      throw ContainerException.invalid("--pidfd-socket " + path + ": " + e.getMessage());
    }
  }

  /**
   * A start callback that first sends the started process's pidfd to {@code path} (null: nothing to
   * send), then goes on to {@code next} (may be null). The process already runs, so a failure to
   * send is a warning, not a reason to kill it.
   */
  static IntConsumer then(String path, IntConsumer next) {
    if (path == null) return next;
    return pid -> {
      try {
        send(path, pid);
      } catch (ContainerException e) {
        RuntimeLog.warn(e.getMessage());
      }
      if (next != null) next.accept(pid);
    };
  }
}
