package dev.berth.engine.spec;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.DockerFlags;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.runtime.Mount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A container's mounts as docker makes them: its default filesystems (proc, /dev, devpts, sysfs,
 * cgroup, mqueue, /dev/shm), which a user mount on the same target replaces (a user /dev replaces
 * every default under /dev); then the user's binds, volumes and tmpfs, the volumes for the image's
 * VOLUMEs and the container's hostname, hosts and resolv.conf files, ordered parents first.
 */
final class ContainerMounts {
  private ContainerMounts() {}

  static final long DEFAULT_SHM_SIZE = 64L << 20;

  /**
   * Options a tmpfs mount takes besides size and mode; docker passes them to the kernel as given.
   */
  private static final Set<String> TMPFS_FLAGS =
      Set.of(
          "exec",
          "noexec",
          "suid",
          "nosuid",
          "dev",
          "nodev",
          "atime",
          "noatime",
          "relatime",
          "norelatime",
          "strictatime",
          "nostrictatime",
          "diratime",
          "nodiratime",
          "sync",
          "async",
          "dirsync",
          "mand",
          "nomand",
          "ro",
          "rw");

  private static final Set<String> TMPFS_KEYS =
      Set.of("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol", "huge");

  /**
   * What the numeric tmpfs options take, as tmpfs(5) parses them: a bad one would fail the start's
   * mount with EINVAL; checked at create instead.
   */
  private static final Map<String, String> TMPFS_VALUES =
      Map.of(
          "size", "[0-9]+[kKmMgGtTpPeE%]?",
          "nr_blocks", "[0-9]+[kKmMgGtTpPeE]?",
          "nr_inodes", "[0-9]+[kKmMgGtTpPeE]?",
          "mode", "[0-7]{1,4}",
          "uid", "[0-9]{1,10}",
          "gid", "[0-9]{1,10}");

  /** The image's VOLUMEs no user mount covers, after the user's own volume mounts, in order. */
  static List<VolumeNeed> volumesNeeded(List<String> imageVolumes, ContainerOptions options)
      throws BerthException {
    List<VolumeNeed> out = new ArrayList<>();
    Set<String> targets = new HashSet<>();
    for (MountOption m : options.mounts()) {
      String target = cleanTarget(m.target());
      targets.add(target);
      if (m.type() == MountOption.Type.VOLUME) {
        out.add(
            new VolumeNeed(
                target,
                m.source(),
                false,
                m.options().contains("nocopy"),
                VolumeNeed.keyValues(m.options(), "volume-opt="),
                VolumeNeed.keyValues(m.options(), "volume-label=")));
      }
    }
    for (String v : imageVolumes) {
      String target = cleanTarget(v);
      if (targets.add(target)) out.add(new VolumeNeed(target, null, true, false));
    }
    return out;
  }

  /**
   * Every mount. {@code etcFiles} maps /etc/hostname, /etc/hosts and /etc/resolv.conf to their host
   * files; they and volumes are read-only with a read-only root filesystem, as docker makes them.
   */
  static List<Mount> mounts(
      ContainerOptions o,
      List<VolumeNeed> volumes,
      Map<String, Path> volumeDirs,
      Map<String, Path> etcFiles)
      throws BerthException {
    return mounts(o, volumes, volumeDirs, etcFiles, null);
  }

  /** {@link #mounts}, with {@code shm} (null: a tmpfs of its own) bound at /dev/shm. */
  static List<Mount> mounts(
      ContainerOptions o,
      List<VolumeNeed> volumes,
      Map<String, Path> volumeDirs,
      Map<String, Path> etcFiles,
      Path shm)
      throws BerthException {
    // In a user namespace the engine's volumes (and, in one of the container's own, its etc files)
    // are idmapped through it: owned by the host's root they would be nobody's inside.
    boolean idmapVolumes = o.host().userns() != null;
    boolean idmapEtc = idmapVolumes && o.host().userns().path() == null;
    Map<String, Mount> user = new LinkedHashMap<>();
    for (MountOption m : o.mounts()) {
      String target = cleanTarget(m.target());
      if (user.containsKey(target)) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT, "Duplicate mount point: " + target);
      }
      user.put(
          target,
          switch (m.type()) {
            case BIND -> bind(m, target);
            case VOLUME -> idmapped(volume(m, target, volumeDirs), idmapVolumes);
            case TMPFS -> tmpfs(m, target);
          });
    }
    for (VolumeNeed v : volumes) {
      if (v.fromImage() && !user.containsKey(v.target())) {
        user.put(
            v.target(),
            idmapped(
                mount(
                    v.target(),
                    "bind",
                    dir(v, volumeDirs).toString(),
                    List.of("rbind", "rprivate")),
                idmapVolumes));
      }
    }
    for (Map.Entry<String, Path> e : etcFiles.entrySet()) {
      if (user.containsKey(e.getKey())) continue; // the user's own file wins, as in docker
      List<String> opts = new ArrayList<>(List.of("rbind", "rprivate"));
      if (o.readOnlyRootfs()) opts.add("ro");
      user.put(
          e.getKey(), idmapped(mount(e.getKey(), "bind", e.getValue().toString(), opts), idmapEtc));
    }

    List<Mount> out = new ArrayList<>();
    boolean userDev = user.containsKey("/dev");
    for (Mount d : defaults(o, shm)) {
      if (user.containsKey(d.destination())) continue;
      if (userDev && d.destination().startsWith("/dev/")) continue;
      out.add(d);
    }
    List<Mount> sorted = new ArrayList<>(user.values());
    // Our own lambda, not Comparator.comparingInt's: the JDK's is spun at run time on every run's
    // start path (the AOT cache keeps the lambdas of our classes, not that one).
    sorted.sort((a, b) -> Integer.compare(depth(a.destination()), depth(b.destination())));
    out.addAll(sorted);
    return out;
  }

  private static List<Mount> defaults(ContainerOptions o, Path shmSource) {
    long shm = o.shmSize() > 0 ? o.shmSize() : DEFAULT_SHM_SIZE;
    String ro = o.privileged() ? "rw" : "ro";
    return List.of(
        mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")),
        mount(
            "/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
        mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", ro)),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of(ro, "nosuid", "noexec", "nodev")),
        mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
        shmSource != null
            ? mount("/dev/shm", "bind", shmSource.toString(), List.of("rbind", "rprivate"))
            : mount(
                "/dev/shm",
                "tmpfs",
                "shm",
                List.of("nosuid", "noexec", "nodev", "mode=1777", "size=" + shm)));
  }

  private static Mount bind(MountOption m, String target) throws BerthException {
    String source = m.source() == null ? "" : m.source();
    if (!source.startsWith("/")) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid mount config for type \"bind\": "
              + "invalid mount path: '"
              + source
              + "' mount path must be absolute");
    }
    Path src = Path.of(source).normalize();
    if (!Files.exists(src)) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid mount config for type \"bind\": bind source path does not exist: " + src);
    }
    String propagation = "rprivate";
    boolean recursive = true;
    boolean recursiveReadOnly = false;
    boolean idmap = false;
    for (String opt : m.options()) {
      if (opt.equals("idmap")) {
        idmap = true; // through the container's user namespace (a pod's): the runtime checks it
      } else if (opt.startsWith("bind-propagation=")) {
        propagation = propagation(opt.substring("bind-propagation=".length()), target);
      } else if (DockerFlags.PROPAGATIONS.contains(opt)) {
        propagation = opt;
      } else if (opt.equals("bind-nonrecursive")) {
        recursive = false;
      } else if (opt.equals("bind-recursive=readonly")) {
        recursiveReadOnly = true; // docker's name: the mounts under it read-only too
      } else if (!opt.equals("z")
          && !opt.equals("Z")) { // SELinux relabelling: nothing to do without SELinux
        throw unknownOption("bind", opt, target);
      }
    }
    List<String> opts = new ArrayList<>(List.of(recursive ? "rbind" : "bind", propagation));
    if (m.readOnly()) opts.add("ro");
    if (recursiveReadOnly) {
      if (!m.readOnly() || !propagation.endsWith("private"))
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "invalid mount config for type \"bind\": bind-recursive=readonly of "
                + target
                + " needs a read-only, private mount");
      opts.add("rro");
    }
    if (idmap) opts.add("idmap");
    return mount(target, "bind", src.toString(), opts);
  }

  /** {@code m} with the "idmap" option (the container's own mappings) when {@code idmap}. */
  private static Mount idmapped(Mount m, boolean idmap) {
    if (!idmap) return m;
    List<String> opts = new ArrayList<>(m.options());
    opts.add("idmap");
    return mount(m.destination(), m.type(), m.source(), opts);
  }

  private static Mount volume(MountOption m, String target, Map<String, Path> volumeDirs)
      throws BerthException {
    String propagation = "rprivate";
    for (String opt : m.options()) {
      if (opt.startsWith("bind-propagation=")) {
        propagation = propagation(opt.substring("bind-propagation=".length()), target);
      } else if (DockerFlags.PROPAGATIONS.contains(opt)) {
        propagation = opt;
      } else if (!opt.equals("nocopy")
          && !opt.equals("z")
          && !opt.equals("Z")
          && !opt.startsWith("volume-opt=")
          && !opt.startsWith("volume-label=")) {
        throw unknownOption("volume", opt, target);
      }
    }
    Path dir = dir(new VolumeNeed(target, m.source(), false, false), volumeDirs);
    List<String> opts = new ArrayList<>(List.of("rbind", propagation));
    if (m.readOnly()) opts.add("ro");
    return mount(target, "bind", dir.toString(), opts);
  }

  /**
   * noexec, nosuid, nodev unless the options say otherwise, then size and mode; later options win,
   * as docker's.
   */
  private static Mount tmpfs(MountOption m, String target) throws BerthException {
    Map<String, String> merged = new LinkedHashMap<>();
    for (String d : List.of("noexec", "nosuid", "nodev")) merged.put(d.substring(2), d);
    merged.put("propagation", "rprivate");
    for (String opt : m.options()) {
      String o = opt;
      if (opt.startsWith("tmpfs-size=")) o = "size=" + opt.substring("tmpfs-size=".length());
      if (opt.startsWith("tmpfs-mode=")) o = "mode=" + opt.substring("tmpfs-mode=".length());
      int eq = o.indexOf('=');
      if (eq > 0 && TMPFS_KEYS.contains(o.substring(0, eq))) {
        String key = o.substring(0, eq);
        String pattern = TMPFS_VALUES.get(key);
        if (pattern != null && !o.substring(eq + 1).matches(pattern)) {
          throw new BerthException(
              ErrorCategory.INVALID_ARGUMENT,
              "invalid mount config for type \"tmpfs\": invalid value in '"
                  + opt
                  + "' for "
                  + target);
        }
        merged.put(key, o);
      } else if (TMPFS_FLAGS.contains(o)) {
        merged.put(flagKey(o), o);
      } else if (DockerFlags.PROPAGATIONS.contains(o)) {
        merged.put("propagation", o);
      } else {
        throw unknownOption("tmpfs", opt, target);
      }
    }
    if (m.readOnly()) merged.put("rw", "ro");
    return mount(target, "tmpfs", "tmpfs", List.copyOf(merged.values()));
  }

  /**
   * The flag an option sets or clears: "noexec" and "exec" both set "exec", "ro" and "rw" both
   * "rw".
   */
  private static String flagKey(String o) {
    if (o.equals("ro")) return "rw";
    if (o.equals("async")) return "sync";
    return o.startsWith("no") && TMPFS_FLAGS.contains(o.substring(2)) ? o.substring(2) : o;
  }

  private static String propagation(String p, String target) throws BerthException {
    if (!DockerFlags.PROPAGATIONS.contains(p)) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid propagation mode '"
              + p
              + "' for mount "
              + target
              + " (want one of shared, rshared, slave, rslave, private, rprivate)");
    }
    return p;
  }

  private static Path dir(VolumeNeed v, Map<String, Path> volumeDirs) throws BerthException {
    Path dir = volumeDirs.get(v.target());
    if (dir == null) {
      throw new BerthException(
          ErrorCategory.INTERNAL,
          "mount "
              + v.target()
              + ": volume "
              + (v.anonymous() ? "(anonymous)" : v.name())
              + " was not prepared (see SpecGenerator.volumesNeeded)");
    }
    return dir;
  }

  private static BerthException unknownOption(String type, String opt, String target) {
    return new BerthException(
        ErrorCategory.INVALID_ARGUMENT,
        "invalid mount config for type \""
            + type
            + "\": "
            + "unknown option '"
            + opt
            + "' for "
            + target);
  }

  /** A target made absolute-clean ("/a//b/../c/" is "/a/c"); "/" and relative paths are refused. */
  static String cleanTarget(String target) throws BerthException {
    if (target == null || !target.startsWith("/")) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid mount path: '" + target + "' mount path must be absolute");
    }
    String clean = Path.of(target).normalize().toString();
    if (clean.equals("/")) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid mount path: '" + target + "': destination can't be '/'");
    }
    return clean;
  }

  private static int depth(String path) {
    int n = 0;
    for (int i = 0; i < path.length(); i++) if (path.charAt(i) == '/') n++;
    return n;
  }

  private static Mount mount(String destination, String type, String source, List<String> options) {
    return new Mount(destination, type, source, options, List.of(), List.of());
  }
}
