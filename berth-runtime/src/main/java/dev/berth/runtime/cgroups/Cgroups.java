package dev.berth.runtime.cgroups;

import dev.berth.spec.runtime.Resources;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes {@link CgroupManager}s: the cgroupfs driver of runc, without systemd ({@code
 * --systemd-cgroup} is refused by the caller). Reads /proc/self/cgroup and /proc/self/mountinfo
 * (unless given) once per call.
 *
 * <p>Path rules, as runc's: no cgroupsPath puts the container at {@code <caller's own cgroup>/<id>}
 * in every hierarchy; a relative cgroupsPath goes below the caller's own cgroup; an absolute one at
 * that path below each hierarchy's mount point. ".." is refused.
 */
public final class Cgroups {
  /** How the host mounts cgroups. */
  public enum Mode {
    /** cgroup v1 hierarchies only. */
    LEGACY,
    /**
     * cgroup v1 hierarchies for the controllers, plus a cgroup2 hierarchy (at
     * /sys/fs/cgroup/unified) that tracks.
     */
    HYBRID,
    /** one cgroup2 hierarchy at /sys/fs/cgroup. */
    UNIFIED
  }

  static final Path SYS_HUGEPAGES = Path.of("/sys/kernel/mm/hugepages");

  /** What apply(null) means: no limits, but device confinement still applies. */
  static Resources noResources() {
    return new Resources(List.of(), null, null, null, null, List.of(), null, Map.of());
  }

  private Cgroups() {}

  /**
   * The manager for a new container: v2 on a unified host, v1 (with the tracking cgroup2 dir on
   * hybrid) else.
   */
  public static CgroupManager forContainer(String cgroupsPath, String containerId)
      throws IOException {
    return forLayout(
        CgroupLayout.current(), cgroupsPath, containerId, CgroupFiles.REAL, SYS_HUGEPAGES);
  }

  /**
   * {@link #forContainer(String, String)} with the text of /proc/self/mountinfo, which create reads
   * once for this and for the plan (the mount table can be long on a busy host).
   */
  public static CgroupManager forContainer(String cgroupsPath, String containerId, String mountinfo)
      throws IOException {
    return forLayout(
        CgroupLayout.current(mountinfo), cgroupsPath, containerId, CgroupFiles.REAL, SYS_HUGEPAGES);
  }

  static CgroupManager forLayout(
      CgroupLayout layout,
      String cgroupsPath,
      String containerId,
      CgroupFiles io,
      Path sysHugepages)
      throws CgroupException {
    Map<String, Path> paths = layout.resolve(cgroupsPath, containerId);
    if (layout.mode() == Mode.UNIFIED)
      return new V2CgroupManager(io, paths.get(CgroupLayout.UNIFIED_KEY), sysHugepages);
    return new V1CgroupManager(io, paths, sysHugepages);
  }

  /**
   * The manager of a container made earlier, from its {@link CgroupManager#paths()}: v2 if the only
   * key is "", v1 otherwise. Touches nothing; an empty map gives a manager with no cgroups (no
   * pids, never frozen).
   */
  public static CgroupManager load(Map<String, String> paths) {
    return load(paths, CgroupFiles.REAL, SYS_HUGEPAGES);
  }

  static CgroupManager load(Map<String, String> paths, CgroupFiles io, Path sysHugepages) {
    if (paths.size() == 1 && paths.containsKey(CgroupLayout.UNIFIED_KEY)) {
      return new V2CgroupManager(io, Path.of(paths.get(CgroupLayout.UNIFIED_KEY)), sysHugepages);
    }
    Map<String, Path> dirs = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : paths.entrySet())
      dirs.put(e.getKey(), Path.of(e.getValue()));
    return new V1CgroupManager(io, dirs, sysHugepages);
  }

  /** How this host mounts cgroups, for {@code features} and test gates. */
  public static Mode mode() throws IOException {
    return CgroupLayout.current().mode();
  }

  /**
   * A limit the host cannot apply but that need not stop the container: said on stderr, as runc
   * warns.
   */
  static void warn(String message) {
    System.err.println("berth: warning: " + message);
  }
}
