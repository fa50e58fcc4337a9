package dev.berth.runtime.terminal;

import dev.berth.spec.runtime.ConsoleSize;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Proxies a process's pty to the caller's stdio, as a foreground {@code run} or {@code exec} of a
 * process with a terminal does without a console socket: input to the master, the master to output.
 * While it runs, a caller's terminal on input is in raw mode, so keys (Ctrl-C included) reach the
 * container's line discipline as bytes; the pty starts with the caller's window size (or {@code
 * process.consoleSize}) and follows it on {@link #resize()}.
 *
 * <p>Two platform threads, each blocked in poll(2) beside a wake-up pipe, so {@link #close()} can
 * stop them. Use: pass the proxy as the {@link PtyHandler}, wait for the process, then {@link
 * #close()}: that drains what the process wrote (until EIO on the master, i.e. every holder of the
 * slave is gone, or output stays quiet for a moment) and puts the caller's terminal back as it was.
 */
public final class TerminalProxy implements PtyHandler, AutoCloseable {
  /**
   * After the process exits, output that pauses this long is taken as finished: a leftover child
   * may hold the slave.
   */
  private static final int QUIET_MS = 200;

  /** After the process exits, the most time spent draining output. */
  private static final long DRAIN_LIMIT_NS = 2_000_000_000L;

  private static final byte VEOF = 4; // the default c_cc[VEOF], ^D

  private final Fd in;
  private final Fd out;
  private final boolean inIsTty;
  private final Fd sizeSource;
  private final boolean asRunc;
  private volatile Fd master;
  private Fd[] wake;
  private byte[] savedTermios;
  private Thread input;
  private Thread output;
  private volatile boolean exited;
  private boolean closed;

  /**
   * A proxy between {@code in} and {@code out}, which it borrows (it never closes them).
   *
   * @throws ErrnoException if {@code in} or {@code out} is not an open fd
   */
  public TerminalProxy(Fd in, Fd out) throws ErrnoException {
    this(in, out, false);
  }

  /**
   * A proxy between {@code in} and {@code out}; with {@code asRunc}, newlines pass as runc's
   * foreground run and exec pass them: the pty's ONLCR is turned off (so {@code out} gets "\n", not
   * "\r\n", e.g. when it is a pipe) and the caller's terminal keeps its output processing in raw
   * mode (so it still shows "\r\n").
   */
  public TerminalProxy(Fd in, Fd out, boolean asRunc) throws ErrnoException {
    this.asRunc = asRunc;
    this.in = in;
    this.out = out;
    this.inIsTty = Linux.isatty(in);
    this.sizeSource = inIsTty ? in : Linux.isatty(out) ? out : null;
  }

  /** A proxy between this process's stdin and stdout. */
  public static TerminalProxy stdio() throws ErrnoException {
    return new TerminalProxy(new Fd(0), new Fd(1));
  }

  /** A proxy between this process's stdin and stdout that passes newlines as runc does. */
  public static TerminalProxy runcStdio() throws ErrnoException {
    return new TerminalProxy(new Fd(0), new Fd(1), true);
  }

  /** Whether input is a terminal, which the proxy then puts in raw mode while it runs. */
  public boolean inputIsTerminal() {
    return inIsTty;
  }

  @Override
  public synchronized void master(Fd m, ConsoleSize requested) throws IOException {
    if (master != null || closed) {
      m.close();
      throw new IOException("attach pty master: this proxy already has one");
    }
    master = m; // ours from here on, so close() releases it whatever fails below
    // Non-blocking, so a process that stops reading its input cannot wedge the input thread in
    // write(2).
    Linux.fcntl(
        m,
        LinuxConstants.F_SETFL,
        Linux.fcntl(m, LinuxConstants.F_GETFL, 0) | LinuxConstants.O_NONBLOCK);
    if (sizeSource != null) {
      copySize();
    } else if (requested != null && requested.height() > 0 && requested.width() > 0) {
      Linux.setWinsize(m, requested.height(), requested.width());
    }
    if (asRunc) Linux.clearOnlcr(m);
    wake = Linux.pipe2(0);
    if (inIsTty) savedTermios = Linux.makeRaw(in, asRunc);
    output = start("berth-pty-output", this::pumpOutput);
    input = start("berth-pty-input", this::pumpInput);
  }

  /**
   * Copies the caller's window size onto the pty (on SIGWINCH); the kernel then signals the
   * process.
   */
  public void resize() {
    Fd m = master;
    if (m == null || sizeSource == null) return;
    try {
      copySize();
    } catch (ErrnoException | IllegalStateException e) {
      // the pty is gone: the process has exited
    }
  }

  private void copySize() throws ErrnoException {
    int[] rc = Linux.getWinsize(sizeSource);
    if (rc[0] > 0 && rc[1] > 0) Linux.setWinsize(master, rc[0], rc[1]);
  }

  /**
   * Call once the process has exited: drains its last output, stops both threads, restores the
   * caller's terminal and closes the master. Idempotent; does nothing more if no master was
   * attached.
   */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    if (master == null) return;
    exited = true;
    try {
      if (wake != null) Linux.writeAll(wake[1], new byte[] {1});
    } catch (ErrnoException e) {
      // the threads still end: output at EIO or quiet, input at its next wake-up
    }
    join(output);
    join(input);
    try {
      if (savedTermios != null) Linux.restoreTermios(in, savedTermios);
    } catch (ErrnoException e) {
      // the caller's terminal went away (hangup): nothing to restore
    } finally {
      master.close();
      if (wake != null) {
        wake[0].close();
        wake[1].close();
      }
    }
  }

  private static Thread start(String name, Runnable body) {
    Thread t = Thread.ofPlatform().name(name).daemon(true).unstarted(body);
    t.start();
    return t;
  }

  private static void join(Thread t) {
    if (t == null) return;
    try {
      // Bounded: the output thread stops within DRAIN_LIMIT_NS, the input thread at the wake-up;
      // never hang an exit.
      t.join(DRAIN_LIMIT_NS / 1_000_000 + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * master -> out, until EIO (every holder of the slave closed it) or, once the process has exited,
   * quiet.
   */
  private void pumpOutput() {
    Fd[] fds = {master, wake[0]};
    short[] events = {LinuxConstants.POLLIN, LinuxConstants.POLLIN};
    short[] revents = new short[2];
    ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
    long drainEnd = 0;
    try {
      while (true) {
        int timeout = -1;
        if (exited) {
          if (drainEnd == 0) drainEnd = System.nanoTime() + DRAIN_LIMIT_NS;
          long left = drainEnd - System.nanoTime();
          if (left <= 0) return;
          timeout = (int) Math.min(QUIET_MS, left / 1_000_000 + 1);
          fds[1] = null; // it stays readable from now on
        }
        if (Linux.poll(fds, events, revents, timeout) == 0) {
          if (exited) return;
          continue;
        }
        if (revents[0] == 0) continue; // the wake-up: loop to switch to draining
        buf.clear();
        int n;
        try {
          n = Linux.read(master, buf);
        } catch (ErrnoException e) {
          if (e.errno() == LinuxConstants.EAGAIN) continue;
          return; // EIO: the slave side is closed, nothing more will come
        }
        if (n == 0) return;
        buf.flip();
        writeFully(out, buf, null);
      }
    } catch (ErrnoException | IllegalStateException e) {
      // out is closed or the master was closed under us: stop copying
    }
  }

  /** in -> master, until end of input, a hangup of the caller's terminal, or close(). */
  private void pumpInput() {
    Fd[] fds = {in, wake[0]};
    short[] events = {LinuxConstants.POLLIN, LinuxConstants.POLLIN};
    short[] revents = new short[2];
    ByteBuffer buf = ByteBuffer.allocateDirect(4096);
    byte last = '\n';
    try {
      while (!exited) {
        Linux.poll(fds, events, revents, -1);
        if (revents[1] != 0) return;
        if (revents[0] == 0) continue;
        buf.clear();
        int n;
        try {
          n = Linux.read(in, buf);
        } catch (ErrnoException e) {
          if (e.errno() == LinuxConstants.EAGAIN) continue;
          return; // EIO: the caller's terminal hung up
        }
        if (n == 0) {
          // End of piped input: give the pty an end of file too (^D ends a partial line first, then
          // reads as EOF
          // in canonical mode), so `echo cmd | run` of a shell ends. A terminal in raw mode never
          // reads 0.
          if (!inIsTty)
            writeFully(
                master,
                ByteBuffer.wrap(last == '\n' ? new byte[] {VEOF} : new byte[] {VEOF, VEOF}),
                wake[0]);
          return;
        }
        last = buf.get(n - 1);
        buf.flip();
        if (!writeFully(master, buf, wake[0])) return;
      }
    } catch (ErrnoException | IllegalStateException e) {
      // EIO on the master once the process is gone, or the master closed under us: stop copying
    }
  }

  /**
   * Writes all of {@code buf}, waiting in poll(2) when {@code to} is non-blocking and full; false
   * if {@code stop} became readable first.
   */
  private static boolean writeFully(Fd to, ByteBuffer buf, Fd stop) throws ErrnoException {
    Fd[] fds = {to, stop};
    short[] events = {LinuxConstants.POLLOUT, LinuxConstants.POLLIN};
    short[] revents = new short[2];
    while (buf.hasRemaining()) {
      try {
        Linux.write(to, buf);
      } catch (ErrnoException e) {
        if (e.errno() != LinuxConstants.EAGAIN) throw e;
        Linux.poll(fds, events, revents, -1);
        if (revents[1] != 0) return false;
      }
    }
    return true;
  }
}
