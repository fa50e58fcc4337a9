package dev.berth.api.cri.streaming;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * TCP connections to a port on the loopback of another network namespace. A socket belongs to the
 * namespace of the thread that made it, for its whole life: so a short-lived thread of ours
 * setns()es into the namespace, makes and connects the socket, and goes back to its own namespace
 * (the thread ends either way, so a failed return strands nothing). No process is spawned.
 */
final class NetnsDialer {
  private NetnsDialer() {}

  /** A connected socket to 127.0.0.1:{@code port} in the namespace of {@code netns}. */
  static SocketChannel connect(Path netns, int port) throws BerthException, IOException {
    CompletableFuture<SocketChannel> done = new CompletableFuture<>();
    Thread.ofPlatform()
        .name("berth-netns-dial")
        .daemon(true)
        .start(
            () -> {
              try (Fd own =
                      Linux.open(
                          "/proc/thread-self/ns/net",
                          LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC,
                          0);
                  Fd target =
                      Linux.open(
                          netns.toString(),
                          LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC,
                          0)) {
                Linux.setns(target, LinuxConstants.CLONE_NEWNET);
                SocketChannel s = null;
                try {
                  s = SocketChannel.open();
                  s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                  done.complete(s);
                } catch (IOException | RuntimeException e) {
                  if (s != null) s.close();
                  done.completeExceptionally(e);
                } finally {
                  Linux.setns(own, LinuxConstants.CLONE_NEWNET);
                }
              } catch (IOException | RuntimeException e) {
                done.completeExceptionally(e);
              }
            });
    try {
      return done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted connecting to port " + port + " in " + netns);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof ErrnoException errno) {
        throw new BerthException(
            ErrorCategory.NOT_FOUND,
            "network namespace " + netns + ": " + errno.getMessage(),
            errno);
      }
      throw new IOException(
          "connect to 127.0.0.1:" + port + " in " + netns + ": " + c.getMessage(), c);
    }
  }
}
