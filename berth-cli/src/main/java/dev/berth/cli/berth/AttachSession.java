package dev.berth.cli.berth;

import dev.berth.engine.container.DetachKeys;
import dev.berth.runtime.monitor.AttachClient;
import dev.berth.runtime.monitor.ExitFile;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import sun.misc.Signal;

/**
 * This terminal attached to a container through its monitor's attach socket: the container's output
 * to our stdout and stderr, our stdin to the container (with {@code -i}), and with a terminal
 * ({@code -t}) ours in raw mode and its size followed, and the detach keys end the session with the
 * container running (docker's: only with a terminal and stdin). Without a terminal, SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed to the container's init (docker's
 * sig-proxy).
 */
final class AttachSession implements AutoCloseable {
  private final AttachClient client;
  private final boolean tty;
  private final OutputStream out;
  private final OutputStream err;
  private byte[] savedTermios;
  private volatile int proxyPid;
  private volatile boolean detached;

  private AttachSession(AttachClient client, boolean tty, OutputStream out, OutputStream err) {
    this.client = client;
    this.tty = tty;
    this.out = out;
    this.err = err;
  }

  /** Attaches to {@code socket}; call before the container starts, so no output is missed. */
  static AttachSession open(Path socket, boolean tty, OutputStream out, OutputStream err)
      throws IOException {
    AttachSession s = new AttachSession(AttachClient.connect(socket), tty, out, err);
    // The size before the start: a container that asks at once (stty size, a shell's first prompt)
    // sees ours, not 0x0.
    if (tty) s.resize();
    return s;
  }

  /**
   * Starts forwarding: stdin (when {@code stdin}; with a terminal, watched for {@code detachKeys}),
   * the terminal's size, signals to {@code pid} (without a terminal, when {@code sigProxy}). The
   * end of our stdin closes the container's when {@code once} ({@link
   * dev.berth.engine.container.ContainerOptions#stdinEndsWithAttach}), else it ends this session's
   * output too, as docker's daemon does: {@link #pump} returns null.
   */
  void begin(boolean stdin, boolean once, int pid, boolean sigProxy, DetachKeys detachKeys)
      throws IOException {
    Fd in = new Fd(0);
    if (tty) {
      if (Linux.isatty(in)) savedTermios = Linux.makeRaw(in);
      resize();
      try {
        Signal.handle(new Signal("WINCH"), s -> resize());
      } catch (IllegalArgumentException e) {
        // no SIGWINCH here: the size stays as it was at start
      }
    } else if (sigProxy) {
      proxyPid = pid;
      SignalProxy.install(this::forward);
    }
    if (stdin) {
      DetachKeys.Watcher watcher = tty ? detachKeys.watcher() : null;
      Thread t = new Thread(() -> pumpStdin(watcher, once), "berth-attach-stdin");
      t.setDaemon(true);
      t.start();
    }
  }

  private void forward(int sig) {
    int pid = proxyPid;
    if (pid <= 0) return;
    try {
      Linux.kill(pid, sig);
    } catch (ErrnoException e) {
      // exiting
    }
  }

  private void resize() {
    try {
      Fd in = new Fd(0);
      Fd size = Linux.isatty(in) ? in : Linux.isatty(new Fd(1)) ? new Fd(1) : null;
      if (size == null) return;
      int[] rc = Linux.getWinsize(size);
      if (rc[0] > 0 && rc[1] > 0) client.resize(rc[0], rc[1]);
    } catch (ErrnoException e) {
      // the monitor is gone
    }
  }

  private void pumpStdin(DetachKeys.Watcher watcher, boolean once) {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(AttachClient.MAX_PAYLOAD);
    byte[] b = new byte[AttachClient.MAX_PAYLOAD];
    Fd in = new Fd(0);
    try {
      while (true) {
        buf.clear();
        int n = Linux.read(in, buf);
        if (n <= 0) break;
        buf.get(0, b, 0, n);
        if (watcher == null) {
          client.stdin(java.util.Arrays.copyOf(b, n));
          continue;
        }
        DetachKeys.Scan scan = watcher.scan(b, n);
        if (scan.pass().length > 0) client.stdin(scan.pass());
        if (scan.detach()) {
          // The container runs on; pump() sees the connection end.
          detached = true;
          client.shutdown();
          return;
        }
      }
      if (watcher != null) {
        byte[] held = watcher.held();
        if (held.length > 0) client.stdin(held);
      }
      client.closeStdin();
      if (!once) client.shutdown(); // the container's stdin stays open for the next attach
    } catch (ErrnoException e) {
      // the container exited, or our stdin went away
    }
  }

  /** Whether the user typed the detach keys: the session ended with the container running. */
  boolean detached() {
    return detached;
  }

  /**
   * Copies the container's output until it exits; returns its exit status, or null when the monitor
   * went away, the user detached ({@link #detached}) or our stdin ended without stdin once.
   */
  ExitFile.ExitStatus pump() throws IOException {
    while (true) {
      AttachClient.Frame f = client.read();
      if (f == null) return null;
      switch (f.kind()) {
        case STDOUT -> {
          out.write(f.data());
          out.flush();
        }
        case STDERR -> {
          (tty ? out : err).write(f.data());
          (tty ? out : err).flush();
        }
        case EXIT -> {
          try {
            return ExitFile.parse(f.data(), "the monitor's exit frame");
          } catch (dev.berth.spec.json.SpecException e) {
            throw new IOException(e.getMessage(), e);
          }
        }
      }
    }
  }

  @Override
  public void close() {
    proxyPid = 0;
    if (savedTermios != null) {
      try {
        Linux.restoreTermios(new Fd(0), savedTermios);
      } catch (ErrnoException e) {
        // our terminal went away
      }
    }
    client.close();
  }

  static final int SIGKILL = LinuxConstants.SIGKILL;
}
