package dev.berth.api.io;

import dev.berth.engine.container.DetachKeys;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * The threads that move a process's stdio between its fds (pipes, a pty master) and a client's
 * streams, for the Docker API's exec and the CRI's streaming sessions alike.
 */
public final class FdPumps {
  private FdPumps() {}

  /**
   * Copies what {@code from} reads to {@code to} until its end (EOF, or EIO: a pty whose other side
   * closed). When the client goes ({@code to} fails, or is null), the rest is read and dropped, so
   * the process never blocks on a full pipe.
   */
  public static Thread out(String name, Fd from, OutputStream to) {
    return Thread.ofPlatform()
        .name(name)
        .daemon(true)
        .start(
            () -> {
              ByteBuffer buf = ByteBuffer.allocateDirect(32 << 10);
              byte[] b = new byte[32 << 10];
              OutputStream sink = to;
              try {
                while (true) {
                  buf.clear();
                  int n = Linux.read(from, buf);
                  if (n <= 0) return;
                  if (sink == null) continue;
                  buf.get(0, b, 0, n);
                  try {
                    sink.write(b, 0, n);
                  } catch (IOException gone) {
                    sink = null;
                  }
                }
              } catch (ErrnoException e) {
                // the pipe broke, or the pty's other side is gone
              }
            });
  }

  /**
   * Copies the client's input to {@code to} (a pipe's write end or a pty master) until the input
   * ends, through {@code detach} when not null (its keys end the copy and are not passed on); with
   * {@code closeAtEnd}, {@code to} is closed then: the process reads EOF.
   */
  public static Thread in(
      String name, InputStream from, Fd to, DetachKeys.Watcher detach, boolean closeAtEnd) {
    return in(name, from, to, detach, closeAtEnd, null);
  }

  /** {@link #in}, and {@code detached} runs when the detach keys ended the copy. */
  public static Thread in(
      String name,
      InputStream from,
      Fd to,
      DetachKeys.Watcher detach,
      boolean closeAtEnd,
      Runnable detached) {
    return Thread.ofPlatform()
        .name(name)
        .daemon(true)
        .start(
            () -> {
              byte[] b = new byte[8192];
              ByteBuffer buf = ByteBuffer.allocateDirect(8192);
              try {
                for (int n; (n = from.read(b)) > 0; ) {
                  byte[] pass = b;
                  int len = n;
                  if (detach != null) {
                    DetachKeys.Scan scan = detach.scan(b, n);
                    pass = scan.pass();
                    len = pass.length;
                    if (scan.detach()) {
                      if (detached != null) detached.run();
                      return;
                    }
                  }
                  // Under the fd's lock: whoever closes it takes the lock too, so a write never
                  // reaches a number the kernel has given to another file meanwhile.
                  synchronized (to) {
                    if (!to.isOpen()) return;
                    for (int at = 0; at < len; ) {
                      buf.clear();
                      buf.put(pass, at, len - at).flip();
                      at += Linux.write(to, buf);
                    }
                  }
                }
              } catch (IOException e) {
                // the client or the process went away
              } finally {
                if (closeAtEnd) {
                  synchronized (to) {
                    to.close();
                  }
                }
              }
            });
  }
}
