package dev.berth.runtime.monitor;

import dev.berth.runtime.process.EmbeddedBinary;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A pid namespace with an init that only reaps ({@code berth-monitor pause}): what a pod whose
 * containers share a pid namespace needs, since an empty pid namespace cannot be pinned (its first
 * process becomes its init and no process can enter it once that one is gone). The init is no child
 * of this JVM: setsid, reparented to the host's reaper. Containers join it through {@code
 * /proc/PID/ns/pid}; SIGKILL (or SIGTERM) to it ends the namespace with every process in it.
 */
public final class PauseProcess {
  private PauseProcess() {}

  /**
   * Starts one and returns its pid (this pid namespace's numbering). {@code env} is all of its
   * environment: a tag there lets a later process tell it from a reused pid.
   */
  public static int start(Map<String, String> env) throws IOException {
    Fd[] pair = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_SEQPACKET, 0);
    try (Fd control = pair[0]) {
      String[] envp =
          env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
      int pid;
      try (Fd exe = EmbeddedBinary.MONITOR.sealed();
          Fd child = pair[1]) {
        pid =
            Linux.spawn(
                "/proc/" + Linux.getpid() + "/fd/" + exe.fd(),
                new String[] {"berth-monitor", "pause"},
                envp,
                new int[] {3, child.fd()},
                true);
      }
      // It forks the namespace's init and exits: reaped here, the init is not ours.
      Linux.wait4(pid, 0);
      ByteBuffer b = ByteBuffer.allocateDirect(512);
      int n = Linux.recvmsg(control, b, 0).bytes();
      b.flip();
      byte[] bytes = new byte[n];
      b.get(bytes);
      String m = new String(bytes, StandardCharsets.UTF_8);
      if (m.startsWith("READY ")) return Integer.parseInt(m.substring(6).strip());
      throw new IOException(
          "start a pause process: " + (m.startsWith("ERROR ") ? m.substring(6) : "it exited"));
    }
  }
}
