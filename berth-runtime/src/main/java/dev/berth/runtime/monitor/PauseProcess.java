package dev.berth.runtime.monitor;

import dev.berth.runtime.process.EmbeddedBinary;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A pid namespace with an init that only reaps ({@code berth-monitor pause}): what a pod whose
 * containers share a pid namespace needs, since an empty pid namespace cannot be pinned (its first
 * process becomes its init and no process can enter it once that one is gone). The init is no child
 * of this JVM: setsid, reparented to the host's reaper. Containers join it through {@code
 * /proc/PID/ns/pid}; SIGKILL (or SIGTERM) to it ends the namespace with every process in it.
 *
 * <p>{@link #startInUserNamespace} makes the same kind of process the holder of a pod's user
 * namespace instead (pods with {@code hostUsers: false}).
 */
public final class PauseProcess {
  private PauseProcess() {}

  /** One line of a uid or gid map: inside, outside, length. */
  private static final Pattern MAP = Pattern.compile("(\\d{1,10} \\d{1,10} \\d{1,10}\n)+");

  /**
   * Starts one and returns its pid (this pid namespace's numbering). {@code env} is all of its
   * environment: a tag there lets a later process tell it from a reused pid.
   */
  public static int start(Map<String, String> env) throws IOException {
    return spawn(env, List.of("berth-monitor", "pause"), "start a pause process");
  }

  /**
   * Starts the holder of a pod's user namespace ({@code hostUsers: false}) and returns its pid
   * (this pid namespace's numbering): born in a new user namespace with these maps ({@code "inside
   * outside length"} lines; setgroups stays allowed) and in new net, ipc and uts namespaces (with
   * {@code pidNamespace} also a pid namespace, of which it is the reaping init) that this user
   * namespace owns, so the containers' root has capabilities over them. A C process makes it: this
   * multi-threaded JVM can neither make nor join a user namespace. It runs as that namespace's root
   * (the mapped ids on the host), undumpable, and ends as {@link #start}'s does. A map the kernel
   * refuses is an IOException naming it.
   *
   * @throws IllegalArgumentException if a map is not lines of three numbers
   */
  public static int startInUserNamespace(
      Map<String, String> env, String uidMap, String gidMap, boolean pidNamespace)
      throws IOException {
    List<String> argv = new ArrayList<>(List.of("berth-monitor", "pause", "--userns"));
    argv.addAll(List.of("--uid-map", map("uid", uidMap), "--gid-map", map("gid", gidMap)));
    if (pidNamespace) argv.add("--pid");
    return spawn(env, argv, "start a pod's user namespace");
  }

  private static String map(String which, String map) {
    String m = map.endsWith("\n") ? map : map + "\n";
    if (!MAP.matcher(m).matches()) {
      throw new IllegalArgumentException(
          which + " map: not lines of \"inside outside length\": " + map.strip());
    }
    return m;
  }

  private static int spawn(Map<String, String> env, List<String> argv, String what)
      throws IOException {
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
                argv.toArray(String[]::new),
                envp,
                new int[] {3, child.fd()},
                true);
      }
      // It forks (or clones) the pause process and exits: reaped here, the pause is not ours.
      Linux.wait4(pid, 0);
      ByteBuffer b = ByteBuffer.allocateDirect(512);
      int n = Linux.recvmsg(control, b, 0).bytes();
      b.flip();
      byte[] bytes = new byte[n];
      b.get(bytes);
      String m = new String(bytes, StandardCharsets.UTF_8);
      if (m.startsWith("READY ")) return Integer.parseInt(m.substring(6).strip());
      throw new IOException(what + ": " + (m.startsWith("ERROR ") ? m.substring(6) : "it exited"));
    }
  }
}
