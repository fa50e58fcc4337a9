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
 * masks meant for /proc then miss it). Checked in the rootfs before anything is made, so the
 * refusal leaves nothing behind; berth-init still resolves every target inside the root.
 */
final class MountTargets {
  private MountTargets() {}

  static void check(Spec spec, Path rootfs) throws ContainerException {
    List<Mount> mounts = spec.mounts();
    for (int i = 0; i < mounts.size(); i++) {
      Mount m = mounts.get(i);
      if (!m.type().equals("proc") && !m.type().equals("sysfs")) continue;
      String dest = normalise(m.destination());
      // Under an earlier mount, the target is in that mount, not in the rootfs on disk: berth-init
      // sees it there.
      if (dest.equals("/") || coveredByEarlier(mounts, i, dest)) continue;
      String what = whatIsThere(rootfs, dest);
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

  /** Null when {@code dest} is a directory or missing (made then); else what it is. */
  private static String whatIsThere(Path rootfs, String dest) throws ContainerException {
    int slash = dest.lastIndexOf('/');
    String parent = slash == 0 ? "/" : dest.substring(0, slash);
    String name = dest.substring(slash + 1);
    try (Fd root =
            Linux.open(
                rootfs.toString(),
                LinuxConstants.O_PATH | LinuxConstants.O_DIRECTORY | LinuxConstants.O_CLOEXEC,
                0);
        Fd dir =
            Linux.openat2(
                root,
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
}
