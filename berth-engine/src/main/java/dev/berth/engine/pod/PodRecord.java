package dev.berth.engine.pod;

import java.time.Instant;
import java.util.Map;

/**
 * What the store keeps of one pod: one JSON file ({@code pods/<id>/pod.json}) replaced whole on
 * each change.
 *
 * @param id 64 lowercase hex digits
 * @param config what it was asked to be
 * @param created when it was made
 * @param state READY while its namespaces and network stand, NOTREADY once stopped (or after a
 *     reboot took its pins)
 * @param netns its pinned network namespace, or null (host network, or stopped)
 * @param ipcNs its pinned ipc namespace, or null (host ipc)
 * @param utsNs its pinned uts namespace, or null (host network)
 * @param pidNs the pid namespace its containers share (its pause process'), or null
 * @param pausePid the pid of its pause process (pid 1 of a shared pid namespace), 0 when none
 * @param ip its address on its network, "" when none
 * @param cgroupParent the cgroup its containers go under
 * @param ownsCgroup whether the engine made that cgroup (and removes it with the pod)
 */
public record PodRecord(
    String id,
    PodConfig config,
    Instant created,
    State state,
    String netns,
    String ipcNs,
    String utsNs,
    String pidNs,
    int pausePid,
    String ip,
    String cgroupParent,
    boolean ownsCgroup) {
  public enum State {
    READY,
    NOTREADY
  }

  public PodRecord {
    ip = ip == null ? "" : ip;
  }

  public String shortId() {
    return id.substring(0, 12);
  }

  public PodRecord withState(State s) {
    return new PodRecord(
        id, config, created, s, netns, ipcNs, utsNs, pidNs, pausePid, ip, cgroupParent, ownsCgroup);
  }

  /** Its networking gone: CNI detached, network pin removed (stop). */
  public PodRecord withoutNetwork() {
    return new PodRecord(
        id,
        config,
        created,
        state,
        null,
        ipcNs,
        utsNs,
        pidNs,
        pausePid,
        "",
        cgroupParent,
        ownsCgroup);
  }

  /** Its shared pid namespace gone with its pause process (stop). */
  public PodRecord withoutPause() {
    return new PodRecord(
        id, config, created, state, netns, ipcNs, utsNs, null, 0, ip, cgroupParent, ownsCgroup);
  }

  /** A filter of ListPodSandbox: each non-null part must match. */
  public record Filter(String idPrefix, State state, Map<String, String> labels) {
    public static final Filter ALL = new Filter(null, null, null);

    public Filter {
      labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public boolean test(PodRecord p) {
      if (idPrefix != null && !idPrefix.isEmpty() && !p.id().startsWith(idPrefix)) return false;
      if (state != null && p.state() != state) return false;
      for (Map.Entry<String, String> e : labels.entrySet()) {
        if (!e.getValue().equals(p.config().labels().get(e.getKey()))) return false;
      }
      return true;
    }
  }
}
