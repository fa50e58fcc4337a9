package dev.berth.runtime.state;

import java.util.List;
import java.util.Map;

/**
 * What berth-runc keeps about one container in {@code <root>/<id>/state.json}, so that every later
 * verb (a new process) can find its kernel objects: the init pid and its start time (a pid alone
 * can be reused), the cgroup directories, the namespaces it made, and what the bundle asked for at
 * delete time.
 *
 * @param pidStartTime field 22 of /proc/pid/stat when the container was created: tells our init
 *     from a reused pid
 * @param created RFC 3339 time with nanoseconds, UTC, as runc prints it
 * @param namespaces the namespace types the container's init owns or joined (runtime-spec names),
 *     for exec
 * @param cgroupOwner the token stamped on the cgroups at create (see CgroupClaim): delete and kill
 *     --all act only where it is still found; "" when none could be stamped (then, as in states
 *     written before stamps, all of them)
 * @param hooks which hook kinds the config has that run after create (poststart, poststop); their
 *     commands are read from the config copy in the state directory when needed
 */
public record ContainerRecord(
    String id,
    int pid,
    long pidStartTime,
    String bundle,
    String rootfs,
    String created,
    String owner,
    Map<String, String> annotations,
    Map<String, String> cgroupPaths,
    String cgroupOwner,
    List<String> namespaces,
    List<String> hooks,
    boolean systemdCgroup) {

  public ContainerRecord {
    annotations = Map.copyOf(annotations);
    cgroupPaths = Map.copyOf(cgroupPaths);
    namespaces = List.copyOf(namespaces);
    hooks = List.copyOf(hooks);
  }
}
