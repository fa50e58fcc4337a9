package dev.berth.runtime.process;

import dev.berth.runtime.plan.Op;
import dev.berth.runtime.plan.Plan;
import dev.berth.runtime.plan.SyncMessages;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The Java side of berth-init (see docs/berth-init-protocol.md): spawns it from a sealed memfd copy
 * of the binary embedded in this jar, so a container can never overwrite the binary on the host,
 * sends the plan, and follows the container init through its sync points until it is ready to exec.
 */
public final class InitProcess implements AutoCloseable {
  /** What the container init asks of the runtime while it sets itself up. */
  public interface Listener {
    /** Run the prestart and createRuntime hooks (the init waits). */
    void hooks() throws IOException;

    /** The pty master of a container with a terminal; the listener owns it. */
    void pty(Fd master) throws IOException;

    /**
     * The seccomp notify fd of a filter with SCMP_ACT_NOTIFY rules, loaded by {@code pid} (the
     * process being set up); the listener owns it and hands it to {@code
     * linux.seccomp.listenerPath} before the process goes on.
     */
    void seccomp(int pid, Fd notifyFd) throws IOException;
  }

  private Plan plan;
  private final Fd sock;
  private final InitLauncher.Launched launched;
  private int containerPid;

  private InitProcess(Plan plan, Fd sock, InitLauncher.Launched launched) {
    this.plan = plan;
    this.sock = sock;
    this.launched = launched;
  }

  /**
   * Starts berth-init with the plan; fds 0-2 and the {@code preserveFds} after them are passed
   * through.
   */
  public static InitProcess spawn(Plan plan, int preserveFds) throws IOException {
    return spawn(plan, preserveFds, InitLauncher.SPAWN);
  }

  /**
   * Starts berth-init with the plan through {@code launcher}; the {@code preserveFds} after stdio
   * are passed through, stdio is the launcher's.
   */
  public static InitProcess spawn(Plan plan, int preserveFds, InitLauncher launcher)
      throws IOException {
    InitProcess p = start(preserveFds, launcher);
    try {
      p.sendPlan(plan);
    } catch (IOException | RuntimeException e) {
      p.abandon();
      throw e;
    }
    return p;
  }

  /**
   * Starts berth-init through {@code launcher} without its plan: it waits for {@link #sendPlan}.
   * Its start (exec, dynamic linking, a monitor's forks) then runs beside the caller's work on the
   * plan (cgroups, compilation) instead of after it. A caller that fails before sending the plan
   * calls {@link #abandon}.
   */
  public static InitProcess start(int preserveFds, InitLauncher launcher) throws IOException {
    Fd[] pair =
        Linux.socketpair(
            LinuxConstants.AF_UNIX, LinuxConstants.SOCK_STREAM | LinuxConstants.SOCK_CLOEXEC, 0);
    int syncFd = 3 + preserveFds;
    int[] fds = new int[preserveFds + 1];
    for (int i = 0; i < preserveFds; i++) fds[i] = 3 + i;
    fds[preserveFds] = pair[1].fd();
    InitLauncher.Launched launched;
    try (Fd exe = EmbeddedBinary.INIT.sealed();
        Fd child = pair[1]) {
      String[] argv = {"berth-init", Integer.toString(syncFd)};
      launched =
          launcher instanceof InitLauncher.Deferred d
              ? d.start(exe, argv, fds)
              : new Spawned(launcher.launch(exe, argv, fds));
    } catch (IOException e) {
      pair[0].close();
      throw new IOException("start berth-init: " + e.getMessage(), e);
    }
    return new InitProcess(null, pair[0], launched);
  }

  /** A berth-init whose pid its launcher returned. */
  private record Spawned(int pid) implements InitLauncher.Launched {}

  /** Sends berth-init its plan (once, after {@link #start}). */
  public void sendPlan(Plan plan) throws IOException {
    if (this.plan != null) throw new IllegalStateException("the plan was sent already");
    try {
      send(SyncMessages.PLAN, plan.encode());
    } catch (ErrnoException e) {
      // Gone before its plan: a monitor that failed before starting it says why (its log, its
      // sockets), which "broken pipe" would hide.
      if (e.errno() == LinuxConstants.EPIPE) {
        try {
          launched.pid();
        } catch (IOException why) {
          throw new IOException("start berth-init: " + why.getMessage(), why);
        }
      }
      throw e;
    }
    this.plan = plan;
  }

  /**
   * Gives up a berth-init started without its plan yet: the socket is closed (berth-init exits at
   * the end of the stream, having done nothing) and berth-init is reaped when it is this process's
   * child (a monitor reaps its own).
   */
  public void abandon() {
    sock.close();
    // Past its plan it may have cloned the container's init: the caller's rollback kills that.
    if (plan != null) return;
    try {
      int pid = launched.pid();
      Linux.wait4(pid, 0);
    } catch (IOException e) {
      // not our child, or its starter failed: nothing of ours to reap
    }
  }

  /** Waits for the pid of the cloned container init; berth-init itself exits and is reaped here. */
  public int awaitPid() throws IOException {
    // First the starter's word: a monitor that failed to start berth-init says why (the socket
    // would only say that berth-init is gone).
    int initPid;
    try {
      initPid = launched.pid();
    } catch (IOException e) {
      throw new IOException("start berth-init: " + e.getMessage(), e);
    }
    SyncMessages.Message m = receive();
    try {
      Linux.wait4(initPid, 0);
    } catch (ErrnoException e) {
      // already reaped, or not our child (a monitor started it and reaps it)
    }
    if (m.type() != SyncMessages.PID) throw unexpected(m, "pid");
    containerPid = SyncMessages.decodePid(m.payload());
    return containerPid;
  }

  /** Lets the container init go on, with the blobs its hooks get as state. */
  public void go(List<byte[]> blobs) throws IOException {
    send(SyncMessages.GO, SyncMessages.encodeGo(blobs));
  }

  /** Follows the init until it is ready to exec, answering its requests. */
  public void awaitReady(Listener listener) throws IOException {
    while (true) {
      SyncMessages.Message m = receive();
      switch (m.type()) {
        case SyncMessages.HOOKS -> {
          listener.hooks();
          send(SyncMessages.HOOKS_DONE, new byte[0]);
        }
        case SyncMessages.PTY -> {
          if (lastFds.length != 1)
            throw new IOException("container init sent a terminal without its fd");
          listener.pty(new Fd(lastFds[0]));
          send(SyncMessages.PTY_DONE, new byte[0]);
        }
        case SyncMessages.SECCOMP_FD -> seccomp(listener);
        case SyncMessages.READY -> {
          return;
        }
        default -> throw unexpected(m, "ready");
      }
    }
  }

  /**
   * Waits until the process has exec'd (EOF on its close-on-exec socket) or failed, handing over
   * its pty master on the way when it has a terminal; or, when its plan waits on a fifo before the
   * execve, until it is ready to (READY).
   */
  public void awaitExec(Listener listener) throws IOException {
    while (true) {
      SyncMessages.Message m = receiveOrEof();
      if (m == null || m.type() == SyncMessages.READY) return;
      if (m.type() == SyncMessages.PTY && lastFds.length == 1) {
        listener.pty(new Fd(lastFds[0]));
        send(SyncMessages.PTY_DONE, new byte[0]);
        continue;
      }
      if (m.type() == SyncMessages.SECCOMP_FD) {
        seccomp(listener);
        continue;
      }
      throw unexpected(m, "exec");
    }
  }

  /**
   * SECCOMP_FD: the listener takes the notify fd; SECCOMP_DONE lets the process go on only once it
   * has.
   */
  private void seccomp(Listener listener) throws IOException {
    if (lastFds.length != 1) {
      for (int fd : lastFds) new Fd(fd).close();
      throw new IOException("container init sent a seccomp notify message without its fd");
    }
    listener.seccomp(containerPid, new Fd(lastFds[0]));
    send(SyncMessages.SECCOMP_DONE, new byte[0]);
  }

  private int[] lastFds = new int[0];

  private SyncMessages.Message receive() throws IOException {
    SyncMessages.Message m = receiveOrEof();
    if (m == null) {
      throw new IOException("container init exited before it was ready" + exitNote());
    }
    return m;
  }

  private String exitNote() {
    if (containerPid <= 0) return "";
    try {
      var st = Linux.wait4(containerPid, LinuxConstants.WNOHANG);
      if (st.pid() == containerPid)
        return " ("
            + (st.signaled() ? "killed by signal " + st.termSig() : "exit status " + st.exitCode())
            + ")";
    } catch (ErrnoException e) {
      // not our child
    }
    return "";
  }

  /** One message, or null on EOF; an ERROR message is thrown as the failed step of the plan. */
  private SyncMessages.Message receiveOrEof() throws IOException {
    ByteBuffer header = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    var got = Linux.recvmsg(sock, header, 4);
    lastFds = got.fds();
    if (got.bytes() == 0) return null;
    while (header.position() < 8) {
      int n = Linux.read(sock, header);
      if (n <= 0)
        throw new IOException("container init closed its socket in the middle of a message");
    }
    header.flip();
    int type = header.getInt();
    int len = header.getInt();
    ByteBuffer body = ByteBuffer.allocateDirect(len).order(ByteOrder.nativeOrder());
    while (body.hasRemaining()) {
      int n = Linux.read(sock, body);
      if (n <= 0)
        throw new IOException("container init closed its socket in the middle of a message");
    }
    body.flip();
    byte[] payload = new byte[len];
    body.get(payload);
    SyncMessages.Message m = new SyncMessages.Message(type, payload);
    if (type == SyncMessages.ERROR) {
      SyncMessages.InitError e = SyncMessages.decodeError(payload);
      String hook = hookFailure(plan, e.opIndex(), e.errno(), e.detail());
      if (hook != null) throw new InitFailure(hook, e.errno());
      throw new InitFailure(plan.describe(e.opIndex()), e.errno(), e.detail());
    }
    return m;
  }

  private void send(int type, byte[] payload) throws IOException {
    Linux.writeAll(sock, SyncMessages.frame(type, payload));
  }

  private static IOException unexpected(SyncMessages.Message m, String wanted) {
    return new IOException(
        "container init sent message " + m.type() + " while " + wanted + " was expected");
  }

  /**
   * The error of a failed RUN_HOOK op in runc's words, which callers grep for ("error running hook
   * #N: ..."), with the hook's kind and index as the spec lists them: the hooks before the exec
   * fifo wait are createContainer's, those after it startContainer's. Null when the op is not a
   * hook.
   */
  static String hookFailure(Plan plan, int opIndex, int errno, String detail) {
    if (opIndex < 0
        || opIndex >= plan.ops().size()
        || !(plan.ops().get(opIndex) instanceof Op.RunHook)) return null;
    String kind = "createContainer";
    int index = 0;
    for (int i = 0; i < opIndex; i++) {
      Op op = plan.ops().get(i);
      if (op instanceof Op.WaitFifo) {
        kind = "startContainer";
        index = 0;
      } else if (op instanceof Op.RunHook) {
        index++;
      }
    }
    // errno 0 (an exit status, a signal) and ETIMEDOUT: the detail tells it all.
    String cause =
        errno == 0 || errno == LinuxConstants.ETIMEDOUT
            ? ""
            : ": " + ErrnoException.describe(errno);
    return dev.berth.runtime.hooks.HookRunner.failure(kind, index, kind + " " + detail + cause);
  }

  public int containerPid() {
    return containerPid;
  }

  @Override
  public void close() {
    sock.close();
  }

  /** A step of the plan that failed in berth-init: what it was doing and the errno. */
  public static final class InitFailure extends IOException {
    private final int errno;
    private final String execError;

    InitFailure(String message, int errno) {
      super(message);
      this.errno = errno;
      this.execError = null;
    }

    InitFailure(String step, int errno, String detail) {
      // errno 0: a failure with no errno (a hook's exit status), told whole by the detail. A detail
      // the step already names ("exec /run.sh" failing on /run.sh) is not said twice, so the error
      // reads as runc's: "exec /run.sh: no such file or directory".
      super(
          step
              + (detail == null || detail.isEmpty() || (errno != 0 && step.endsWith(" " + detail))
                  ? ""
                  : (errno == 0 ? ": " : " (") + detail + (errno == 0 ? "" : ")"))
              + (errno == 0 ? "" : ": " + ErrnoException.describe(errno)));
      this.errno = errno;
      this.execError =
          errno != 0 && step.startsWith("exec ") ? step + ": " + ErrnoException.text(errno) : null;
    }

    /**
     * When the failed step was the execve of the container's process: the error as that process
     * itself reports it, without the errno's name ("exec /run.sh: no such file or directory"); null
     * for any other step.
     */
    public String execError() {
      return execError;
    }

    public int errno() {
      return errno;
    }
  }
}
