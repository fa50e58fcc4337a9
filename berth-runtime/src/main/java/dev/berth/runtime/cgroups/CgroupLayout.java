package dev.berth.runtime.cgroups;

import dev.berth.sys.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the cgroup hierarchies are mounted and which cgroup the caller is in within each, parsed
 * from the texts of /proc/self/cgroup and /proc/self/mountinfo (strings in, so the path rules are
 * unit-testable without root), and the container directories that follow from them.
 */
final class CgroupLayout {
  /**
   * The v1 hierarchies a container joins, in the order runc's fs driver lists them: its paths map
   * and ours then look alike. Any other named hierarchy on the host is left alone.
   */
  static final List<String> V1_CONTROLLERS =
      List.of(
          "cpuset",
          "devices",
          "memory",
          "cpu",
          "cpuacct",
          "pids",
          "blkio",
          "hugetlb",
          "net_cls",
          "net_prio",
          "perf_event",
          "freezer",
          "rdma",
          "name=systemd",
          "misc");

  /**
   * The key of the cgroup2 hierarchy in a paths map, on a hybrid host as on a unified one (runc's
   * convention).
   */
  static final String UNIFIED_KEY = "";

  /**
   * One mounted hierarchy.
   *
   * @param controllers what /proc/self/cgroup lists for it ("cpu", "cpuacct"; "name=systemd");
   *     empty for cgroup2
   * @param mountPoint where it is mounted
   * @param mountRoot the cgroup the mount shows at its mount point ("/" unless a container
   *     bind-mounted a subtree)
   * @param own the caller's cgroup in it, as /proc/self/cgroup says
   */
  record Hierarchy(List<String> controllers, Path mountPoint, String mountRoot, String own) {}

  private final Cgroups.Mode mode;
  private final List<Hierarchy> v1;
  private final Hierarchy unified;

  private CgroupLayout(Cgroups.Mode mode, List<Hierarchy> v1, Hierarchy unified) {
    this.mode = mode;
    this.v1 = v1;
    this.unified = unified;
  }

  Cgroups.Mode mode() {
    return mode;
  }

  List<Hierarchy> v1() {
    return v1;
  }

  /** The cgroup2 hierarchy, or null (legacy host). */
  Hierarchy unified() {
    return unified;
  }

  /** Reads the calling process's layout. */
  static CgroupLayout current() throws IOException {
    return current(Files.readString(Path.of("/proc/self/mountinfo")));
  }

  /**
   * Reads the calling process's layout, given the text of its /proc/self/mountinfo read just
   * before.
   */
  static CgroupLayout current(String mountinfo) throws IOException {
    return parse(Files.readString(Path.of("/proc/self/cgroup")), mountinfo);
  }

  /** Parses the texts of /proc/self/cgroup and /proc/self/mountinfo. */
  static CgroupLayout parse(String procSelfCgroup, String mountinfo) throws CgroupException {
    List<MountInfo> mounts = new ArrayList<>();
    for (MountInfo m : MountInfo.parse(mountinfo)) {
      if (m.fsType().equals("cgroup") || m.fsType().equals("cgroup2")) mounts.add(m);
    }
    String unifiedOwn = null;
    List<List<String>> v1Controllers = new ArrayList<>();
    List<String> v1Own = new ArrayList<>();
    for (String line : procSelfCgroup.split("\n")) {
      if (line.isBlank()) continue;
      // hierarchy-id:controller-list:cgroup-path; the path may itself contain ':'.
      int a = line.indexOf(':');
      int b = a < 0 ? -1 : line.indexOf(':', a + 1);
      if (b < 0)
        throw new CgroupException("parse /proc/self/cgroup: malformed line \"" + line + "\"");
      String controllers = line.substring(a + 1, b);
      String path = line.substring(b + 1);
      if (line.startsWith("0:") && controllers.isEmpty()) {
        unifiedOwn = path;
      } else if (!controllers.isEmpty()) {
        v1Controllers.add(List.of(controllers.split(",")));
        v1Own.add(path);
      }
    }

    // A cgroup2 file system on /sys/fs/cgroup is the unified layout, whatever v1 leftovers are
    // mounted elsewhere.
    Hierarchy unified = null;
    if (unifiedOwn != null) {
      MountInfo m = pick(mounts, "cgroup2", List.of(), unifiedOwn);
      if (m != null)
        unified = new Hierarchy(List.of(), Path.of(m.mountPoint()), m.root(), unifiedOwn);
    }
    if (unified != null && unified.mountPoint().equals(Path.of("/sys/fs/cgroup"))) {
      return new CgroupLayout(Cgroups.Mode.UNIFIED, List.of(), unified);
    }
    List<Hierarchy> v1 = new ArrayList<>();
    for (int i = 0; i < v1Controllers.size(); i++) {
      MountInfo m = pick(mounts, "cgroup", v1Controllers.get(i), v1Own.get(i));
      if (m != null)
        v1.add(
            new Hierarchy(v1Controllers.get(i), Path.of(m.mountPoint()), m.root(), v1Own.get(i)));
    }
    if (!v1.isEmpty()) {
      return new CgroupLayout(
          unified == null ? Cgroups.Mode.LEGACY : Cgroups.Mode.HYBRID, List.copyOf(v1), unified);
    }
    if (unified != null) return new CgroupLayout(Cgroups.Mode.UNIFIED, List.of(), unified);
    throw new CgroupException(
        "find cgroups: no cgroup file system is mounted (see /proc/self/mountinfo)");
  }

  /**
   * The container's directory in every hierarchy it joins, keyed as runc keys them (controller
   * name; "" for cgroup2), with runc's rules: no cgroupsPath puts the container at {@code <caller's
   * cgroup>/<id>}, a relative one below the caller's cgroup, an absolute one at that path below
   * each hierarchy's mount point.
   */
  Map<String, Path> resolve(String cgroupsPath, String containerId) throws CgroupException {
    if (containerId == null
        || containerId.isEmpty()
        || containerId.indexOf('/') >= 0
        || containerId.equals(".")
        || containerId.equals("..")) {
      throw new CgroupException("container id \"" + containerId + "\": cannot name a cgroup");
    }
    String inner;
    boolean absolute;
    if (cgroupsPath == null || cgroupsPath.isEmpty()) {
      inner = containerId;
      absolute = false;
    } else {
      absolute = cgroupsPath.startsWith("/");
      inner = clean(cgroupsPath);
    }
    Map<String, Path> paths = new LinkedHashMap<>();
    if (mode != Cgroups.Mode.UNIFIED) {
      for (String controller : V1_CONTROLLERS) {
        for (Hierarchy h : v1) {
          if (h.controllers().contains(controller)) {
            paths.put(controller, dir(h, inner, absolute));
            break;
          }
        }
      }
    }
    // On a hybrid host the container also gets a cgroup2 directory, for process tracking only, as
    // runc 1.1 does.
    if (unified != null) paths.put(UNIFIED_KEY, dir(unified, inner, absolute));
    return paths;
  }

  private static Path dir(Hierarchy h, String inner, boolean absolute) throws CgroupException {
    if (absolute) return h.mountPoint().resolve(inner);
    String root = h.mountRoot();
    String own = h.own();
    String rel;
    if (root.equals("/")) {
      rel = own.substring(1);
    } else if (own.equals(root)) {
      rel = "";
    } else if (own.startsWith(root + "/")) {
      rel = own.substring(root.length() + 1);
    } else {
      String name = h.controllers().isEmpty() ? "cgroup2" : String.join(",", h.controllers());
      throw new CgroupException(
          "find own cgroup in "
              + name
              + ": "
              + own
              + " is outside the cgroup mounted at "
              + h.mountPoint()
              + " ("
              + root
              + ")");
    }
    return h.mountPoint().resolve(rel).resolve(inner);
  }

  /**
   * cgroupsPath without "." or empty components and without its leading "/". ".." is refused rather
   * than resolved: a container must never land outside the subtree the caller named.
   */
  static String clean(String cgroupsPath) throws CgroupException {
    StringBuilder b = new StringBuilder();
    for (String part : cgroupsPath.split("/")) {
      if (part.isEmpty() || part.equals(".")) continue;
      if (part.equals(".."))
        throw new CgroupException(
            "linux.cgroupsPath: must not contain \"..\" (" + cgroupsPath + ")");
      if (!b.isEmpty()) b.append('/');
      b.append(part);
    }
    if (b.isEmpty()) {
      throw new CgroupException(
          "linux.cgroupsPath: must name a cgroup below the hierarchy's root (" + cgroupsPath + ")");
    }
    return b.toString();
  }

  /** The mount of this type holding all {@code controllers} that best contains {@code own}. */
  private static MountInfo pick(
      List<MountInfo> mounts, String fstype, List<String> controllers, String own) {
    MountInfo first = null;
    for (MountInfo m : mounts) {
      if (!m.fsType().equals(fstype) || !hasAll(m.superOptions(), controllers)) continue;
      String root = m.root();
      if (root.equals("/") || own.equals(root) || own.startsWith(root + "/")) return m;
      if (first == null) first = m;
    }
    return first;
  }

  private static boolean hasAll(String superOptions, List<String> controllers) {
    List<String> opts = List.of(superOptions.split(","));
    return opts.containsAll(controllers);
  }
}
