package dev.berth.sys;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of /proc/[pid]/mountinfo (proc(5)): the one reader of that format, so the cgroup layout,
 * the plan's host facts and the image store read mounts alike. Paths have mountinfo's octal escapes
 * ("\040") undone.
 *
 * @param root the path of the mounted directory within its filesystem ("/" for a whole filesystem)
 * @param mountPoint where it is mounted, relative to the reader's root
 * @param fsType the filesystem type ("proc", "cgroup2", "overlay")
 * @param superOptions the per-superblock options ("rw,memory" for a v1 memory hierarchy)
 */
public record MountInfo(
    int id,
    int parentId,
    String root,
    String mountPoint,
    String options,
    String fsType,
    String source,
    String superOptions) {

  /** The mounts of this process's mount namespace, in the kernel's order. */
  public static List<MountInfo> current() throws ErrnoException {
    try (Fd fd =
        Linux.open("/proc/self/mountinfo", LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC, 0)) {
      return parse(new String(Linux.readAll(fd), StandardCharsets.UTF_8));
    }
  }

  /** The mounts of a mountinfo text; lines that are not mountinfo lines are skipped. */
  public static List<MountInfo> parse(String text) {
    List<MountInfo> out = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) end = text.length();
      MountInfo m = line(text.substring(start, end));
      if (m != null) out.add(m);
      start = end + 1;
    }
    return out;
  }

  /**
   * Whether the directory {@code path} is a mount point in this process's mount namespace: one
   * statx (a parse of mountinfo costs a millisecond and more on a host with many containers), or
   * mountinfo on a kernel that does not say. False when it is missing or not a directory.
   */
  public static boolean isMountPoint(String path) throws ErrnoException {
    try {
      if (!Linux.lstat(path).isDirectory()) return false;
      int root = Linux.isMountRoot(path);
      if (root >= 0) return root == 1;
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT || e.errno() == LinuxConstants.ENOTDIR) return false;
      throw e;
    }
    return isMountPoint(
        current(), java.nio.file.Path.of(path).toAbsolutePath().normalize().toString());
  }

  /** Whether {@code path} (absolute, normalised) is a mount point in {@code mounts}. */
  public static boolean isMountPoint(List<MountInfo> mounts, String path) {
    for (MountInfo m : mounts) if (m.mountPoint.equals(path)) return true;
    return false;
  }

  // id parent major:minor root mount-point options [optional fields...] - fstype source
  // super-options
  private static MountInfo line(String line) {
    String[] f = line.split(" ");
    if (f.length < 10) return null;
    int sep = -1;
    for (int i = 6; i < f.length; i++) {
      if (f[i].equals("-")) {
        sep = i;
        break;
      }
    }
    if (sep < 0 || sep + 3 >= f.length) return null;
    try {
      return new MountInfo(
          Integer.parseInt(f[0]),
          Integer.parseInt(f[1]),
          unescape(f[3]),
          unescape(f[4]),
          f[5],
          f[sep + 1],
          unescape(f[sep + 2]),
          f[sep + 3]);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Undoes mountinfo's octal escapes of space, tab, newline and backslash. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) return s;
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) return false;
    for (int i = from; i < from + 3; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
    }
    return true;
  }
}
