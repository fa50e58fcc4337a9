package dev.berth.engine.pod;

import dev.berth.runtime.monitor.PauseProcess;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The pid 1 of a pid namespace a pod's containers share. Unlike net, ipc and uts, a pid namespace
 * cannot be pinned empty: a pinned {@code pid_for_children} is joinable only until its first
 * process, which becomes its init, exits (then no process can enter it), and making the pod's first
 * container that init would end every other container's processes when it exits, which a pod must
 * survive (kubelet restarts containers one by one). So a pod that shares its pid namespace has one
 * idle process, berth-monitor's pause mode ({@link PauseProcess}): an init that reaps the orphans
 * of the pod's containers, detached, tagged with the pod's id in its environment so a later engine
 * knows it is still the pod's. Containers join it through {@code /proc/PID/ns/pid}.
 */
final class PausePid {
  private PausePid() {}

  static final String ENV = "BERTH_POD";

  /** Starts the pause of pod {@code podId} and returns the pid of its pid 1 (host's numbering). */
  static int start(String podId) throws BerthException {
    try {
      return PauseProcess.start(Map.of(ENV, podId));
    } catch (IOException e) {
      throw new BerthException(ErrorCategory.INTERNAL, "pod " + podId + ": " + e.getMessage(), e);
    }
  }

  /**
   * Starts the holder of pod {@code podId}'s user namespace (and the network, ipc and uts
   * namespaces it owns; with {@code pidNamespace} a pid namespace too, whose pid 1 it is) and
   * returns its pid. Tagged as a pause is: {@link #alive} and {@link #stop} know it.
   */
  static int startInUserNamespace(
      String podId, PodConfig.UserNamespace userns, boolean pidNamespace) throws BerthException {
    try {
      return PauseProcess.startInUserNamespace(
          Map.of(ENV, podId),
          dev.berth.spec.runtime.IdMapping.mapText(userns.uids()),
          dev.berth.spec.runtime.IdMapping.mapText(userns.gids()),
          pidNamespace);
    } catch (IOException e) {
      throw new BerthException(ErrorCategory.INTERNAL, "pod " + podId + ": " + e.getMessage(), e);
    }
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
