package dev.berth.api.cri;

import static dev.berth.sys.LinuxConstants.EAGAIN;
import static dev.berth.sys.LinuxConstants.O_CLOEXEC;
import static dev.berth.sys.LinuxConstants.O_NONBLOCK;
import static dev.berth.sys.LinuxConstants.POLLIN;

import com.google.protobuf.ByteString;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One output stream of an exec'd process through a pipe this process drains while it runs: the
 * first {@code max} bytes kept, the rest read and dropped, as containerd bounds ExecSync's output
 * since CVE-2022-31030. So a process that writes without end (a probe gone wrong, a hostile image)
 * grows neither the daemon's memory nor a file on the run directory's tmpfs (host memory too), and
 * is never blocked on a full pipe. The runtime opens the pipe by its {@link #path()}, {@code
 * /proc/self/fd/N} of this process.
 */
final class BoundedOutput implements AutoCloseable {
  private final Fd read;
  private final Fd write;
  private final int max;
  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private final Thread drainer;
  private volatile boolean ended;
  private IOException failure;

  BoundedOutput(String name, int max) throws IOException {
    Fd[] pipe = Linux.pipe2(O_CLOEXEC | O_NONBLOCK);
    this.read = pipe[0];
    this.write = pipe[1];
    this.max = max;
    this.drainer = Thread.ofPlatform().name(name).daemon(true).start(this::drain);
  }

  /** The path the runtime opens as the process's stream. */
  Path path() {
    return Path.of("/proc/self/fd/" + write.fd());
  }

  /**
   * What the process wrote, up to {@code max} bytes, once it has ended: reads what is left in the
   * pipe and stops (a child it left running and still holding the pipe is not waited for).
   */
  ByteString finish() throws IOException {
    write.close();
    ended = true;
    try {
      drainer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading the output", e);
    }
    if (failure != null) throw failure;
    return ByteString.copyFrom(kept.toByteArray());
  }

  private void drain() {
    ByteBuffer buf = ByteBuffer.allocateDirect(64 << 10);
    byte[] chunk = new byte[buf.capacity()];
    Fd[] fds = {read};
    short[] events = {POLLIN};
    short[] revents = new short[1];
    // Once the process has ended: what is left in the pipe, at most a pipe's largest capacity (1
    // MiB)
    // twice over, so a child still writing cannot hold the call.
    int readsAfterEnd = 32;
    try {
      while (true) {
        int n;
        try {
          buf.clear();
          n = Linux.read(read, buf);
        } catch (ErrnoException e) {
          if (e.errno() != EAGAIN) throw e;
          if (ended) return;
          // A short wait: a finished process is noticed without a wake-up fd of its own.
          Linux.poll(fds, events, revents, 100);
          continue;
        }
        if (n <= 0) return; // every writer closed its end
        if (ended && --readsAfterEnd < 0) return;
        int keep = Math.min(n, max - kept.size());
        if (keep > 0) {
          buf.flip();
          buf.get(chunk, 0, keep);
          kept.write(chunk, 0, keep);
        }
      }
    } catch (ErrnoException e) {
      failure = e;
    }
  }

  @Override
  public void close() {
    write.close();
    ended = true;
    try {
      drainer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    read.close();
  }
}
