package dev.berth.engine.network.cni;

import static dev.berth.sys.LinuxConstants.EAGAIN;
import static dev.berth.sys.LinuxConstants.ECHILD;
import static dev.berth.sys.LinuxConstants.EPIPE;
import static dev.berth.sys.LinuxConstants.ESRCH;
import static dev.berth.sys.LinuxConstants.F_GETFL;
import static dev.berth.sys.LinuxConstants.F_SETFL;
import static dev.berth.sys.LinuxConstants.O_NONBLOCK;
import static dev.berth.sys.LinuxConstants.POLLHUP;
import static dev.berth.sys.LinuxConstants.POLLIN;
import static dev.berth.sys.LinuxConstants.POLLOUT;
import static dev.berth.sys.LinuxConstants.SIGKILL;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.WaitStatus;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the host-side helpers of the network layer, CNI plugins and {@code ip}/{@code iptables}:
 * stdin fed, stdout and stderr captured, killed at a deadline.
 *
 * <p>posix_spawn through berth-sys, not {@link ProcessBuilder}: networking sits on {@code berth
 * run}'s path (the bridge plugin and its IPAM per network, portmap for published ports), and
 * ProcessBuilder's first use loads its process classes, a reaper thread and {@code jspawnhelper}'s
 * extra exec; here one poll loop over three pipes and a pidfd does it all on the calling thread.
 * Measured in a fresh JVM (berth-sys loaded, C1 only), five VERSION runs of the bridge plugin: the
 * first took 20 ms here and 31 ms through ProcessBuilder (its classes and reaper thread), the next
 * ones 13-15 ms against 15-18 ms; a plugin's own start (a Go binary) is most of the rest, so an ADD
 * of a four-plugin chain costs about 60-80 ms either way, and ProcessBuilder would add about 10-20
 * ms to it on a cold CLI.
 *
 * <p>The {@link #prefix} is put before every command: empty in production; tests set {@code nsenter
 * --net=<ns> --} so the plugins, and the bridges and iptables rules they make, live in a namespace
 * the test created, never the host's.
 */
public final class Launcher {
  /**
   * How a run ended: its exit status (128+signal when killed), what it wrote, and whether the
   * deadline killed it.
   */
  public record Outcome(int status, byte[] stdout, byte[] stderr, boolean timedOut) {
    public String stderrText() {
      return new String(stderr, java.nio.charset.StandardCharsets.UTF_8).strip();
    }
  }

  private final List<String> prefix;
  private final Duration timeout;

  public Launcher(List<String> prefix, Duration timeout) {
    this.prefix = List.copyOf(prefix);
    this.timeout = timeout;
  }

  /** No prefix: commands run in this process' namespaces. */
  public static Launcher direct(Duration timeout) {
    return new Launcher(List.of(), timeout);
  }

  public List<String> prefix() {
    return prefix;
  }

  public Duration timeout() {
    return timeout;
  }

  /**
   * Runs {@code path} with {@code args} (argv[0] is {@code path}) and exactly the environment
   * {@code env}, feeding it {@code stdin}. Throws when it cannot be started (ENOENT for a missing
   * binary, or the prefix's).
   */
  public Outcome run(String path, List<String> args, List<String> env, byte[] stdin)
      throws ErrnoException {
    List<String> argv = new ArrayList<>(prefix);
    argv.add(path);
    argv.addAll(args);
    String exe = prefix.isEmpty() ? path : prefix.get(0);
    Fd[] in = null;
    Fd[] out = null;
    Fd[] err = null;
    Fd pidfd = null;
    int pid = -1;
    try {
      in = Linux.pipe2(0);
      out = Linux.pipe2(0);
      err = Linux.pipe2(0);
      int[] fdMap = {0, in[0].fd(), 1, out[1].fd(), 2, err[1].fd()};
      pid = Linux.spawn(exe, argv.toArray(new String[0]), env.toArray(new String[0]), fdMap, false);
      in[0].close();
      out[1].close();
      err[1].close();
      pidfd = Linux.pidfdOpen(pid, 0);
      Linux.fcntl(in[1], F_SETFL, Linux.fcntl(in[1], F_GETFL, 0) | O_NONBLOCK);
      Pumped p = pump(in[1], stdin == null ? new byte[0] : stdin, out[0], err[0], pidfd);
      if (!p.finished()) kill(pidfd);
      WaitStatus ws = Linux.wait4(pid, 0);
      pid = -1;
      int status = ws.signaled() ? 128 + ws.termSig() : ws.exitCode();
      return new Outcome(status, p.stdout(), p.stderr(), !p.finished());
    } finally {
      if (pid > 0) { // an exception after the spawn: never leave a child behind
        if (pidfd != null) kill(pidfd);
        try {
          Linux.wait4(pid, 0);
        } catch (ErrnoException e) {
          if (e.errno() != ECHILD) throw e;
        }
      }
      for (Fd[] p : new Fd[][] {in, out, err}) {
        if (p == null) continue;
        p[0].close();
        p[1].close();
      }
      if (pidfd != null) pidfd.close();
    }
  }

  private record Pumped(boolean finished, byte[] stdout, byte[] stderr) {}

  /**
   * Writes stdin and reads stdout and stderr until both are at end of file, or the deadline passes
   * (not finished). The pidfd ends the wait a second after the command exits while a descendant
   * still holds its pipes.
   */
  private Pumped pump(Fd stdinFd, byte[] stdin, Fd stdoutFd, Fd stderrFd, Fd pidfd)
      throws ErrnoException {
    long deadline = System.nanoTime() + timeout.toNanos();
    ByteArrayOutputStream outBuf = new ByteArrayOutputStream();
    ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
    ByteBuffer chunk = ByteBuffer.allocate(16 * 1024);
    int written = 0;
    Fd in = stdinFd;
    if (stdin.length == 0) {
      in.close();
      in = null;
    }
    Fd out = stdoutFd;
    Fd errFd = stderrFd;
    boolean exited = false;
    long exitedAt = 0;
    try {
      while (out != null || errFd != null) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) return new Pumped(false, outBuf.toByteArray(), errBuf.toByteArray());
        if (exited)
          left = Math.min(left, Math.max(1, 1000 - (System.nanoTime() - exitedAt) / 1_000_000));
        Fd[] fds = {in, out, errFd, exited ? null : pidfd};
        short[] events = {POLLOUT, POLLIN, POLLIN, POLLIN};
        short[] revents = new short[4];
        int ready = Linux.poll(fds, events, revents, (int) Math.min(left, Integer.MAX_VALUE));
        if (ready == 0 && exited)
          break; // exited, and a descendant holds the pipes: what came is what counts
        if (in != null && revents[0] != 0) {
          try {
            written += Linux.write(in, ByteBuffer.wrap(stdin, written, stdin.length - written));
          } catch (ErrnoException e) {
            if (e.errno() == EPIPE) written = stdin.length; // it does not read its stdin: fine
            else if (e.errno() != EAGAIN) throw e;
          }
          if (written >= stdin.length) {
            in.close();
            in = null;
          }
        }
        if (out != null && (revents[1] & (POLLIN | POLLHUP)) != 0 && !drain(out, chunk, outBuf))
          out = null;
        if (errFd != null && (revents[2] & (POLLIN | POLLHUP)) != 0 && !drain(errFd, chunk, errBuf))
          errFd = null;
        if (!exited && revents[3] != 0) {
          exited = true;
          exitedAt = System.nanoTime();
        }
      }
      return new Pumped(true, outBuf.toByteArray(), errBuf.toByteArray());
    } finally {
      if (in != null) in.close();
    }
  }

  /** Reads what is there into {@code to}; false at end of file. */
  private static boolean drain(Fd fd, ByteBuffer chunk, ByteArrayOutputStream to)
      throws ErrnoException {
    chunk.clear();
    int n = Linux.read(fd, chunk);
    if (n <= 0) return false;
    to.write(chunk.array(), 0, n);
    return true;
  }

  private static void kill(Fd pidfd) {
    try {
      Linux.pidfdSendSignal(pidfd, SIGKILL);
    } catch (ErrnoException e) {
      if (e.errno() != ESRCH)
        throw new IllegalStateException("kill a timed-out command: " + e.getMessage(), e);
    }
  }
}
