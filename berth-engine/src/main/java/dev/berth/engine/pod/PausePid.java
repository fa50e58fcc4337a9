package dev.berth.engine.pod;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The pid 1 of a pid namespace a pod's containers share. Unlike net, ipc and uts, a pid namespace
 * cannot be pinned empty: a pinned {@code pid_for_children} is joinable only until its first
 * process, which becomes its init, exits (then no process can enter it), and making the pod's first
 * container that init would end every other container's processes when it exits, which a pod must
 * survive (kubelet restarts containers one by one). So a pod that shares its pid namespace has one
 * idle process: util-linux's {@code unshare --pid --fork --kill-child} runs {@code sleep infinity}
 * as pid 1 of a new namespace (it ignores the signals pid 1 has no handler for), detached with
 * {@code setsid}, tagged with the pod's id in its environment so a later engine knows it is still
 * the pod's. Containers join it through {@code /proc/PID/ns/pid}.
 *
 * <p>What it does not do (a further step, a pause mode of berth-init): reap the zombies a
 * container's orphans leave when their parent dies (they are reparented to this pid 1).
 */
final class PausePid {
  private PausePid() {}

  static final String ENV = "BERTH_POD";

  /** Starts the pause of pod {@code podId} and returns the pid of its pid 1 (host's numbering). */
  static int start(String podId) throws BerthException {
    Process p;
    try {
      ProcessBuilder b =
          new ProcessBuilder(
              List.of(
                  "/usr/bin/setsid",
                  "/usr/bin/unshare",
                  "--pid",
                  "--fork",
                  "--kill-child",
                  "/usr/bin/sleep",
                  "infinity"));
      b.environment().clear();
      b.environment().put(ENV, podId);
      b.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      b.redirectOutput(ProcessBuilder.Redirect.DISCARD);
      b.redirectError(ProcessBuilder.Redirect.DISCARD);
      p = b.start();
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION,
          "start the pause process of pod " + podId + " (util-linux's unshare): " + e.getMessage(),
          e);
    }
    int parent = (int) p.pid();
    Path children = Path.of("/proc/" + parent + "/task/" + parent + "/children");
    try {
      for (int i = 0; i < 500; i++) {
        String c = Files.readString(children).strip();
        if (!c.isEmpty()) {
          int pid = Integer.parseInt(c.split(" ")[0]);
          // The child is forked before it execs sleep: wait until it is in its own pid namespace.
          if (!Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid"))
              .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")))) return pid;
        }
        if (!p.isAlive()) break;
        Thread.sleep(5);
      }
    } catch (IOException | NumberFormatException e) {
      // it died: reported below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    p.destroyForcibly();
    throw new BerthException(
        ErrorCategory.INTERNAL, "start the pause process of pod " + podId + ": it did not start");
  }

  /** Whether {@code pid} is still the pause of {@code podId}. */
  static boolean alive(int pid, String podId) {
    if (pid <= 0) return false;
    try {
      byte[] env = Files.readAllBytes(Path.of("/proc/" + pid + "/environ"));
      return new String(env, StandardCharsets.UTF_8).contains(ENV + "=" + podId + "\0")
          || new String(env, StandardCharsets.UTF_8).endsWith(ENV + "=" + podId);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Ends the pause of {@code podId} if {@code pid} still is it (SIGKILL to its pid 1 ends the
   * namespace: every process in it is killed); gone is fine.
   */
  static void stop(int pid, String podId) throws BerthException {
    if (!alive(pid, podId)) return;
    try {
      Linux.kill(pid, LinuxConstants.SIGKILL);
    } catch (ErrnoException e) {
      if (e.errno() != LinuxConstants.ESRCH) {
        throw new BerthException(
            ErrorCategory.INTERNAL, "stop pause process " + pid + ": " + e.getMessage(), e);
      }
    }
  }
}
