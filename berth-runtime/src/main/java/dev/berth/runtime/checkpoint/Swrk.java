package dev.berth.runtime.checkpoint;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Received;
import dev.berth.sys.WaitStatus;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * One request to a CRIU service worker, as runc drives CRIU: {@code criu swrk 3} with one end of a
 * SOCK_SEQPACKET socketpair as its fd 3, one protobuf message per packet. CRIU may send
 * notifications (criu_resp of type NOTIFY, e.g. "post-restore" with the restored pid,
 * "orphan-pts-master" with a pty master as SCM_RIGHTS), each answered before it goes on, and ends
 * with the response to the request; then the socket is closed and CRIU exits.
 *
 * <p>CRIU opens the fds named in criu_opts (images_dir_fd, work_dir_fd) through /proc of its peer,
 * this process: they need not be passed to it. Fds CRIU itself must hold (inherit_fd: the
 * container's new stdio, a network namespace to restore into) are its fds 4, 5, ... from {@code
 * extraFds}; its stdio is ours.
 */
final class Swrk {
  private static final int MAX_MESSAGE = 1 << 20;

  private Swrk() {}

  /** Handles one notification; throwing makes berth answer it as failed, and CRIU then gives up. */
  interface Listener {
    void notify(String script, int pid, Fd[] fds) throws IOException;
  }

  /** What the final criu_resp said: the fields berth reads. */
  record Response(
      int type,
      boolean success,
      int crErrno,
      String crErrmsg,
      int restoredPid,
      boolean memTrack,
      boolean lazyPages,
      String version) {}

  /**
   * Sends {@code request} (a whole criu_req) to a new {@code criu swrk} and returns CRIU's
   * response.
   *
   * @param onSpawned told CRIU's pid before the request goes out (restore moves it into the
   *     container's cgroups)
   */
  static Response call(
      String criu, byte[] request, int[] extraFds, IntConsumer onSpawned, Listener listener)
      throws IOException {
    String binary = resolve(criu);
    Fd[] pair =
        Linux.socketpair(
            LinuxConstants.AF_UNIX, LinuxConstants.SOCK_SEQPACKET | LinuxConstants.SOCK_CLOEXEC, 0);
    int pid;
    try (Fd theirs = pair[1]) {
      int[] map = new int[8 + 2 * extraFds.length];
      int[] base = {0, 0, 1, 1, 2, 2, 3, theirs.fd()};
      System.arraycopy(base, 0, map, 0, base.length);
      for (int i = 0; i < extraFds.length; i++) {
        map[8 + 2 * i] = 4 + i;
        map[9 + 2 * i] = extraFds[i];
      }
      pid = Linux.spawn(binary, new String[] {"criu", "swrk", "3"}, environment(), map, false);
    } catch (ErrnoException e) {
      pair[0].close();
      throw new IOException("start " + binary + " swrk: " + e.getMessage(), e);
    }
    IOException failure = null;
    try (Fd sock = pair[0]) {
      if (onSpawned != null) onSpawned.accept(pid);
      Linux.sendmsg(sock, ByteBuffer.wrap(request), null);
      ByteBuffer buf = ByteBuffer.allocateDirect(MAX_MESSAGE);
      while (true) {
        buf.clear();
        Received got = Linux.recvmsg(sock, buf, 4);
        Fd[] fds = new Fd[got.fds().length];
        for (int i = 0; i < fds.length; i++) fds[i] = new Fd(got.fds()[i]);
        try {
          if (got.bytes() == 0) {
            failure = new IOException("criu exited before it answered");
            break;
          }
          byte[] msg = new byte[got.bytes()];
          buf.get(0, msg);
          Parsed p = parse(msg);
          // After a notification berth refused, CRIU's "failed" says less than the reason it was
          // refused.
          if (p.response.type() != Rpc.NOTIFY) {
            if (failure != null) break;
            return p.response;
          }
          boolean ok = true;
          try {
            listener.notify(p.script, p.notifyPid, fds);
          } catch (IOException | RuntimeException e) {
            // CRIU is told, rolls back what it did, and answers the request as failed: keep this
            // error for then.
            ok = false;
            failure = new IOException("criu notification " + p.script + ": " + e.getMessage(), e);
          }
          ProtoWriter ack =
              new ProtoWriter().int32(Rpc.REQ_TYPE, Rpc.NOTIFY).bool(Rpc.REQ_NOTIFY_SUCCESS, ok);
          Linux.sendmsg(sock, ByteBuffer.wrap(ack.toByteArray()), null);
        } finally {
          for (Fd fd : fds) fd.close();
        }
      }
    } catch (IOException e) {
      if (failure == null) failure = e;
    } finally {
      // The socket is closed: CRIU exits, and is reaped here (a restored tree is ours too, but not
      // this pid).
      String how = reap(pid);
      if (failure != null && failure.getMessage().startsWith("criu exited")) {
        failure = new IOException("criu exited before it answered (" + how + ")");
      }
    }
    throw failure;
  }

  private record Parsed(Response response, String script, int notifyPid) {}

  /** Reads a criu_resp. */
  static Response parseResponse(byte[] msg) throws IOException {
    return parse(msg).response;
  }

  private static Parsed parse(byte[] msg) throws IOException {
    int type = 0, errno = 0, pid = 0, notifyPid = 0;
    boolean success = false, memTrack = false, lazy = false;
    String errmsg = "", script = "", version = "";
    ProtoReader r = new ProtoReader(msg, 0, msg.length);
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case Rpc.RESP_TYPE -> type = r.int32();
        case Rpc.RESP_SUCCESS -> success = r.bool();
        case Rpc.RESP_CR_ERRNO -> errno = r.int32();
        case Rpc.RESP_CR_ERRMSG -> errmsg = r.string();
        case Rpc.RESP_RESTORE -> {
          ProtoReader m = r.message();
          for (int g; (g = m.next()) != 0; ) {
            if (g == Rpc.RESTORE_PID) pid = m.int32();
            else m.skip();
          }
        }
        case Rpc.RESP_NOTIFY -> {
          ProtoReader m = r.message();
          for (int g; (g = m.next()) != 0; ) {
            if (g == Rpc.NOTIFY_SCRIPT) script = m.string();
            else if (g == Rpc.NOTIFY_PID) notifyPid = m.int32();
            else m.skip();
          }
        }
        case Rpc.RESP_FEATURES -> {
          ProtoReader m = r.message();
          for (int g; (g = m.next()) != 0; ) {
            if (g == Rpc.FEATURE_MEM_TRACK) memTrack = m.bool();
            else if (g == Rpc.FEATURE_LAZY_PAGES) lazy = m.bool();
            else m.skip();
          }
        }
        case Rpc.RESP_VERSION -> {
          ProtoReader m = r.message();
          int major = 0, minor = 0, sub = 0;
          for (int g; (g = m.next()) != 0; ) {
            if (g == Rpc.VERSION_MAJOR) major = m.int32();
            else if (g == Rpc.VERSION_MINOR) minor = m.int32();
            else if (g == Rpc.VERSION_SUBLEVEL) sub = m.int32();
            else m.skip();
          }
          version = major + "." + minor + (sub == 0 ? "" : "." + sub);
        }
        default -> r.skip();
      }
    }
    return new Parsed(
        new Response(type, success, errno, errmsg, pid, memTrack, lazy, version),
        script,
        notifyPid);
  }

  /**
   * A binary name without a slash is looked up in $PATH, as Go's exec.Command finds runc's --criu.
   */
  static String resolve(String criu) throws IOException {
    if (criu.isEmpty()) throw new IOException("criu binary: empty name");
    if (criu.contains("/")) {
      if (!new File(criu).canExecute())
        throw new IOException("criu binary " + criu + ": not an executable file");
      return criu;
    }
    String path = System.getenv("PATH");
    if (path == null || path.isEmpty())
      path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (String dir : path.split(":")) {
      File f = new File(dir.isEmpty() ? "." : dir, criu);
      if (f.isFile() && f.canExecute()) return f.getPath();
    }
    throw new IOException(
        "criu binary " + criu + ": not found in $PATH (Debian's package criu; or --criu PATH)");
  }

  /**
   * Our environment: CRIU runs helpers (iptables/nft for --tcp-established, action scripts) through
   * PATH.
   */
  private static String[] environment() {
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> e : System.getenv().entrySet())
      env.add(e.getKey() + "=" + e.getValue());
    return env.toArray(new String[0]);
  }

  private static String reap(int pid) {
    while (true) {
      try {
        WaitStatus st = Linux.wait4(pid, 0);
        if (st.signaled()) return "killed by signal " + st.termSig();
        return "exit status " + st.exitCode();
      } catch (ErrnoException e) {
        if (e.errno() != LinuxConstants.EINTR) return "not reaped: " + e.errnoName();
      }
    }
  }
}
