package dev.berth.runtime.create;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.runtime.Mount;
import dev.berth.spec.runtime.Spec;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;
import java.nio.file.Path;
import java.util.List;

/**
 * proc and sysfs go only onto a directory, as runc requires: a symlink or a file in their place is
 * how an image redirects them (a proc mounted over a symlink lands where the link points, and the
 * masks meant for /proc then miss it). Nothing else goes onto /proc or into it (runc's rule since
 * CVE-2019-16884): a volume over /proc hides the procfs the masks and the runtime's own
 * /proc/self/fd paths must reach, and a mount inside it (over /proc/1/fd, say) redirects them. Only
 * a bind of a procfs source may replace /proc, and only the files lxcfs emulates may be mounted
 * inside it. Checked in the rootfs before anything is made, so the refusal leaves nothing behind;
 * berth-init still resolves every target inside the root and checks /proc before it uses it.
 */
final class MountTargets {
  private MountTargets() {}

  /**
   * The spec with every mount destination that spells out the rootfs's own host path
   * ("<rootfs>/mnt") taken as the path inside it ("/mnt"), as runc takes it; other destinations are
   * unchanged.
   */
  static Spec rootfsPrefixStripped(Spec spec, Path rootfs) {
    String prefix = rootfs.toString();
    boolean any = false;
    List<Mount> out = new java.util.ArrayList<>();
    for (Mount m : spec.mounts()) {
      String d = m.destination();
      if (d.startsWith(prefix + "/")) {
        d = d.substring(prefix.length());
        any = true;
      }
      out.add(
          d.equals(m.destination())
              ? m
              : new Mount(d, m.type(), m.source(), m.options(), m.uidMappings(), m.gidMappings()));
    }
    return any ? spec.withMounts(out) : spec;
  }

  static void check(Spec spec, Path bundle, Path rootfs) throws ContainerException {
    List<Mount> mounts = spec.mounts();
    // The rootfs is opened once for every mount's lookups (run's spec has a dozen mounts): null
    // when it cannot be read (berth-init refuses what it cannot reach).
    try (Root root = Root.open(rootfs)) {
      for (int i = 0; i < mounts.size(); i++) {
        Mount m = mounts.get(i);
        String dest = normalise(m.destination());
        if (!m.type().equals("proc")) {
          procMount(i, m, dest, bundle);
          // Where a link in the rootfs takes it, as berth-init resolves it: "/p" -> "/proc" is
          // /proc.
          String resolved = root == null ? null : root.resolved(dest);
          if (resolved != null) procMount(i, m, resolved, bundle);
          if (!m.type().equals("sysfs")) continue;
        }
        // Under an earlier mount, the target is in that mount, not in the rootfs on disk:
        // berth-init sees it there.
        if (dest.equals("/") || coveredByEarlier(mounts, i, dest)) continue;
        String what = root == null ? null : root.whatIsThere(dest);
        if (what != null) {
          throw ContainerException.invalid(
              "mounts["
                  + i
                  + "]: filesystem \""
                  + m.type()
                  + "\" must be mounted on ordinary directory: "
                  + dest
                  + " in the rootfs is "
                  + what);
        }
      }
    }
  }

  /** The rootfs opened O_PATH, and the path the kernel gives for it. */
  private record Root(Fd fd, String top) implements AutoCloseable {
    static Root open(Path rootfs) {
      int flags = LinuxConstants.O_PATH | LinuxConstants.O_CLOEXEC | LinuxConstants.O_DIRECTORY;
      Fd fd = null;
      try {
        fd = Linux.open(rootfs.toString(), flags, 0);
        return new Root(fd, Linux.readlink("/proc/self/fd/" + fd.fd()));
      } catch (ErrnoException e) {
        if (fd != null) fd.close();
        return null;
      }
    }

    /**
     * The destination as the rootfs on disk resolves it, links followed inside the root: its
     * longest existing prefix resolved, the rest appended (berth-init makes it there). Null when it
     * leads out of the root's path.
     */
    String resolved(String dest) {
      int flags = LinuxConstants.O_PATH | LinuxConstants.O_CLOEXEC;
      String prefix = dest;
      String rest = "";
      for (; ; ) {
        try (Fd f = Linux.openat2(fd, prefix, flags, 0, LinuxConstants.RESOLVE_IN_ROOT)) {
          String at = Linux.readlink("/proc/self/fd/" + f.fd());
          if (at.equals(top)) return rest.isEmpty() ? "/" : rest;
          if (top.equals("/")) return at + rest;
          if (!at.startsWith(top + "/")) return null;
          return at.substring(top.length()) + rest;
        } catch (ErrnoException e) {
          if (prefix.equals("/")) return null;
          int slash = prefix.lastIndexOf('/');
          rest = prefix.substring(slash) + rest;
          prefix = slash == 0 ? "/" : prefix.substring(0, slash);
        }
      }
    }

    /** Null when {@code dest} is a directory or missing (made then); else what it is. */
    String whatIsThere(String dest) {
      int slash = dest.lastIndexOf('/');
      String parent = slash == 0 ? "/" : dest.substring(0, slash);
      String name = dest.substring(slash + 1);
      try (Fd dir =
          Linux.openat2(
              fd,
              parent,
              LinuxConstants.O_PATH | LinuxConstants.O_DIRECTORY | LinuxConstants.O_CLOEXEC,
              0,
              LinuxConstants.RESOLVE_IN_ROOT)) {
        Stat st = Linux.fstatat(dir, name, LinuxConstants.AT_SYMLINK_NOFOLLOW);
        if (st.isDirectory()) return null;
        return st.isSymlink() ? "a symbolic link" : "not a directory";
      } catch (ErrnoException e) {
        // Missing (created then) or unreachable: berth-init makes or refuses it with its own error.
        return null;
      }
    }

    @Override
    public void close() {
      fd.close();
    }
  }

  /** The files under /proc that lxcfs emulates: the only mounts runc allows inside /proc. */
  private static final List<String> PROC_FILES =
      List.of(
          "/proc/cpuinfo",
          "/proc/diskstats",
          "/proc/meminfo",
          "/proc/stat",
          "/proc/swaps",
          "/proc/uptime",
          "/proc/loadavg",
          "/proc/slabinfo",
          "/proc/net/dev",
          "/proc/sys/kernel/ns_last_pid");

  private static void procMount(int i, Mount m, String dest, Path bundle)
      throws ContainerException {
    if (dest.equals("/proc")) {
      if (isBind(m) && onProcfs(bundle, m.source())) return;
      throw ContainerException.invalid(
          "mounts["
              + i
              + "]: "
              + m.destination()
              + " cannot be mounted because it is not of type proc"
              + (dest.equals(normalise(m.destination())) ? "" : " (it leads to " + dest + ")"));
    }
    if (!dest.startsWith("/proc/") || PROC_FILES.contains(dest)) return;
    throw ContainerException.invalid(
        "mounts["
            + i
            + "]: "
            + m.destination()
            + " cannot be mounted because it is inside /proc"
            + (dest.equals(normalise(m.destination())) ? "" : " (it leads to " + dest + ")"));
  }

  private static boolean isBind(Mount m) {
    return m.type().equals("bind") || m.options().contains("bind") || m.options().contains("rbind");
  }

  private static final long PROC_SUPER_MAGIC = 0x9fa0;

  private static boolean onProcfs(Path bundle, String source) {
    if (source == null || source.isEmpty()) return false;
    try {
      return Linux.statfsType(bundle.resolve(source).toString()) == PROC_SUPER_MAGIC;
    } catch (ErrnoException e) {
      return false;
    }
  }

  private static boolean coveredByEarlier(List<Mount> mounts, int i, String dest) {
    for (int j = 0; j < i; j++) {
      String d = normalise(mounts.get(j).destination());
      if (d.equals("/") || dest.equals(d) || dest.startsWith(d + "/")) return true;
    }
    return false;
  }

  /**
   * "/a/b" for "a//b/", "/a/./b", "/../a/b" (normalize clamps '..' at the root, as the root does).
   */
  private static String normalise(String dest) {
    return Path.of("/").resolve(dest).normalize().toString();
  }
}
