package dev.berth.runtime.monitor;

import dev.berth.runtime.process.EmbeddedBinary;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.WaitStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Java end of one container's monitor (berth-monitor, docs/monitor.md) while the container is
 * being created: {@link #spawn} starts the monitor detached (its own session, reparented away from
 * this JVM) with the child command that creates the container (berth-init, or an OCI runtime's
 * {@code create}); {@link #container} hands it the container init's pid once the create succeeded,
 * {@link #abort} tells it the create failed. After either, the monitor goes on alone: this JVM may
 * exit.
 */
public final class Monitor implements AutoCloseable {
  private final Fd control;
  private final String what;
  private final int spawnedPid;
  private int monitorPid;
  private int childPid;
  private IOException failed;
  private ChildExit childExit;
  private boolean done;

  private Monitor(Fd control, String what, int spawnedPid) {
    this.control = control;
    this.what = what;
    this.spawnedPid = spawnedPid;
  }

  /**
   * How the monitor's direct child (the create command) ended: its exit code (128+signal) and
   * signal (0 if none).
   */
  public record ChildExit(int pid, int exitCode, int signal) {}

  /**
   * Starts a monitor whose child runs the executable at {@code path} (on the host) with {@code
   * argv}; the fds of this process in {@code fds} are the child's 3, 4, ...
   */
  public static Monitor spawn(MonitorConfig config, String path, String[] argv, int[] fds)
      throws IOException {
    return start(config, null, path, argv, fds);
  }

  /**
   * As {@link #spawn(MonitorConfig, String, String[], int[])}, the executable being an fd of this
   * process (a memfd).
   */
  public static Monitor spawn(MonitorConfig config, Fd executable, String[] argv, int[] fds)
      throws IOException {
    return start(config, executable, null, argv, fds);
  }

  /**
   * As {@link #spawn(MonitorConfig, Fd, String[], int[])}, but returns once the monitor's process
   * is spawned, before it has started its child: {@link #awaitReady} waits for that (every other
   * method does it first), so the caller's work runs beside the monitor's start.
   */
  public static Monitor begin(MonitorConfig config, Fd executable, String[] argv, int[] fds)
      throws IOException {
    return launch(config, executable, null, argv, fds);
  }

  private static Monitor start(
      MonitorConfig config, Fd executable, String path, String[] argv, int[] fds)
      throws IOException {
    Monitor m = launch(config, executable, path, argv, fds);
    m.awaitReady();
    return m;
  }

  private static Monitor launch(
      MonitorConfig config, Fd executable, String path, String[] argv, int[] fds)
      throws IOException {
    String what = "start the monitor of " + config.containerId();
    Fd[] pair = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_SEQPACKET, 0);
    Fd control = pair[0];
    try {
      // The monitor's fds: 3 the control socket, then the child's executable (if an fd), then the
      // child's fds.
      int next = 4;
      List<Integer> map = new ArrayList<>(List.of(3, pair[1].fd()));
      List<String> args = new ArrayList<>(List.of("berth-monitor"));
      args.addAll(config.flags());
      String childPath = path;
      if (executable != null) {
        map.add(next);
        map.add(executable.fd());
        childPath = "/proc/self/fd/" + next++;
        args.addAll(List.of("--argv0", argv[0]));
      }
      for (int fd : fds) {
        map.add(next);
        map.add(fd);
        args.addAll(List.of("--pass-fd", Integer.toString(next++)));
      }
      args.add("--");
      args.add(childPath);
      for (int i = 1; i < argv.length; i++) args.add(argv[i]);
      int[] fdMap = new int[map.size()];
      for (int i = 0; i < fdMap.length; i++) fdMap[i] = map.get(i);
      Map<String, String> env = System.getenv();
      String[] envp = new String[env.size()];
      int k = 0;
      for (Map.Entry<String, String> e : env.entrySet())
        envp[k++] = e.getKey() + "=" + e.getValue();
      int pid;
      try (Fd exe = EmbeddedBinary.MONITOR.sealed();
          Fd child = pair[1]) {
        pid =
            Linux.spawn(
                "/proc/" + Linux.getpid() + "/fd/" + exe.fd(),
                args.toArray(new String[0]),
                envp,
                fdMap,
                true);
      }
      return new Monitor(control, what, pid);
    } catch (IOException | RuntimeException e) {
      control.close();
      throw e;
    }
  }

  /**
   * Waits until the monitor has started its child ("READY"), or throws why it could not (the
   * control socket is then closed). Once done, returns at once.
   */
  public void awaitReady() throws IOException {
    if (monitorPid != 0) return;
    if (failed != null) throw failed;
    try {
      // The process spawned forks the monitor and exits at once: the monitor is no child of this
      // JVM.
      WaitStatus ws = Linux.wait4(spawnedPid, 0);
      String first = receive(control);
      if (first != null && first.startsWith("READY ")) {
        String[] f = first.split(" ");
        childPid = Integer.parseInt(f[2]);
        monitorPid = Integer.parseInt(f[1]);
        return;
      }
      if (first != null && first.startsWith("ERROR "))
        throw new IOException(what + ": " + first.substring(6));
      throw new IOException(
          what
              + ": it exited with status "
              + (ws.signaled() ? 128 + ws.termSig() : ws.exitCode())
              + (first == null ? "" : " after \"" + first + "\""));
    } catch (IOException | RuntimeException e) {
      failed = e instanceof IOException io ? io : new IOException(what + ": " + e, e);
      done = true;
      control.close();
      throw failed;
    }
  }

  /** One message from the monitor, or null when it closed its end. */
  private static String receive(Fd control) throws ErrnoException {
    ByteBuffer b = ByteBuffer.allocateDirect(1024);
    int n = Linux.recvmsg(control, b, 0).bytes();
    if (n == 0) return null;
    b.flip();
    byte[] bytes = new byte[n];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private String next() throws IOException {
    String m = receive(control);
    if (m != null && m.startsWith("CHILD ")) {
      String[] f = m.split(" ");
      childExit =
          new ChildExit(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]));
    }
    return m;
  }

  /**
   * The pid of the monitor's child, the create command (it is the monitor's to reap, not ours),
   * once the monitor has started it.
   */
  public int ready() throws IOException {
    awaitReady();
    return childPid;
  }

  /** The monitor's own pid (0 until {@link #awaitReady} returned). */
  public int pid() {
    return monitorPid;
  }

  /** Waits until the monitor's child (the create command) exited, and tells how. */
  public ChildExit awaitChild() throws IOException {
    awaitReady();
    while (childExit == null) {
      String m = next();
      if (m == null)
        throw new IOException("monitor " + monitorPid + " exited before its child " + childPid);
    }
    return childExit;
  }

  /**
   * Hands the monitor the container init's pid (its child, or adopted by it as the subreaper); from
   * now on the monitor records its exit. This end is closed after.
   */
  public void container(int pid) throws IOException {
    if (done) throw new IllegalStateException("the monitor was already told");
    awaitReady();
    try {
      Linux.writeAll(control, ("CONTAINER " + pid).getBytes(StandardCharsets.US_ASCII));
      while (true) {
        String m = next();
        if (m == null)
          throw new IOException(
              "monitor " + monitorPid + " exited before it took container pid " + pid);
        if (m.equals("OK")) break;
        if (m.startsWith("ERROR "))
          throw new IOException("monitor " + monitorPid + ": " + m.substring(6));
      }
      done = true;
    } finally {
      if (done) control.close();
    }
  }

  /**
   * The create failed: the monitor kills and reaps its child, removes its sockets (and the log it
   * made) and exits without an exit file. Returns once it has.
   */
  public void abort() {
    if (done) return;
    try {
      awaitReady();
    } catch (IOException e) {
      return; // it never started its child: nothing to abort (awaitReady closed the socket)
    }
    done = true;
    try {
      Linux.writeAll(control, "ABORT".getBytes(StandardCharsets.US_ASCII));
      while (next() != null) {
        // its messages until it closes: then it is gone
      }
    } catch (IOException e) {
      // gone already
    } finally {
      control.close();
    }
  }

  /** Without {@link #container}, the same as {@link #abort} (the monitor takes EOF for it). */
  @Override
  public void close() {
    if (!done) abort();
  }
}
