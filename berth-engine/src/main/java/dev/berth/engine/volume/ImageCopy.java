package dev.berth.engine.volume;

import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.ENXIO;
import static dev.berth.sys.LinuxConstants.EOPNOTSUPP;
import static dev.berth.sys.LinuxConstants.EPERM;
import static dev.berth.sys.LinuxConstants.O_CLOEXEC;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_EXCL;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_NONBLOCK;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_WRONLY;
import static dev.berth.sys.LinuxConstants.SEEK_SET;
import static dev.berth.sys.LinuxConstants.S_IFBLK;
import static dev.berth.sys.LinuxConstants.S_IFCHR;
import static dev.berth.sys.LinuxConstants.S_IFIFO;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Copies a directory of an image (hostile: any entry may be a symlink aimed at the host, a fifo, a
 * hard link to anything in the image) into a directory of ours, keeping owners, modes, xattrs,
 * times, symlinks as symlinks, hard links as links, devices and fifos. The source is walked by
 * directory fds only: every entry is examined with fstatat(AT_SYMLINK_NOFOLLOW) and opened relative
 * to its directory with O_NOFOLLOW, and the opened file checked to be the one examined, so nothing
 * outside the source tree is ever read, whatever its symlinks say. Sockets are skipped. Xattrs the
 * destination refuses (EPERM, EOPNOTSUPP) are skipped ("where possible"); overlayfs' own ({@code
 * trusted.overlay.*}) are never copied.
 */
final class ImageCopy {
  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;

  private final Path dstRoot;
  private final Map<String, String> firstLinks =
      new HashMap<>(); // "dev:ino" of a source file -> its copy's path
  private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16);

  private ImageCopy(Path dstRoot) {
    this.dstRoot = dstRoot;
  }

  /**
   * Copies the contents of {@code src} (a directory fd) into the existing empty directory {@code
   * dst} (ours), then gives {@code dst} the owner, mode, xattrs and times of {@code src}.
   */
  static void copy(Fd src, Path dst) throws IOException {
    ImageCopy c = new ImageCopy(dst);
    try (Fd d = Linux.open(dst.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
      c.copyDir(src, d, "");
      Stat st = Linux.fstat(src);
      c.meta(src, ".", d, ".", st, false);
      Linux.utimensat(d, ".", st.mtimeSec(), st.mtimeNsec(), st.mtimeSec(), st.mtimeNsec(), 0);
    }
  }

  private void copyDir(Fd src, Fd dst, String rel) throws IOException {
    for (String name : Linux.readdir(src)) {
      Stat st = Linux.fstatat(src, name, AT_SYMLINK_NOFOLLOW);
      String childRel = rel.isEmpty() ? name : rel + "/" + name;
      if (st.isDirectory()) {
        try (Fd s = Linux.openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
          same(s, st, childRel);
          Linux.mkdirat(dst, name, 0700);
          try (Fd d = Linux.openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
            copyDir(s, d, childRel);
            meta(src, name, dst, name, st, false);
            // After its content: filling a directory changes its mtime.
            Linux.utimensat(
                d, ".", st.mtimeSec(), st.mtimeNsec(), st.mtimeSec(), st.mtimeNsec(), 0);
          }
        }
        continue;
      }
      if (st.isSocket()) continue; // meaningless in a copy, as tar says too
      if (st.nlink() > 1 && !st.isSymlink()) {
        String key = st.dev() + ":" + st.ino();
        String first = firstLinks.get(key);
        if (first != null) {
          // Every component of `first` is a directory we made: no symlink on the way.
          Linux.linkat(null, dstRoot.resolve(first).toString(), dst, name, 0);
          continue;
        }
        firstLinks.put(key, childRel);
      }
      if (st.isRegularFile()) {
        copyFile(src, name, st, dst, childRel);
      } else if (st.isSymlink()) {
        Linux.symlinkat(Linux.readlink(procPath(src, name)), dst, name);
      } else if (st.isCharDevice() || st.isBlockDevice() || st.isFifo()) {
        int type = st.isCharDevice() ? S_IFCHR : st.isBlockDevice() ? S_IFBLK : S_IFIFO;
        Linux.mknodat(dst, name, type | 0600, Stat.makedev(st.rdevMajor(), st.rdevMinor()));
      } else {
        continue;
      }
      meta(src, name, dst, name, st, st.isSymlink());
      Linux.utimensat(
          dst,
          name,
          st.mtimeSec(),
          st.mtimeNsec(),
          st.mtimeSec(),
          st.mtimeNsec(),
          AT_SYMLINK_NOFOLLOW);
    }
  }

  /**
   * Copies data regions only (SEEK_DATA/SEEK_HOLE): holes stay holes, an image's sparse file stays
   * small.
   */
  private void copyFile(Fd srcDir, String name, Stat st, Fd dstDir, String rel) throws IOException {
    // O_PATH first, which opens nothing (a device swapped in since fstatat is never opened on the
    // host), then the file examined, through that fd; O_NONBLOCK: a fifo would not hang either.
    try (Fd path = Linux.openat(srcDir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
        Fd in = sameThenOpen(path, st, rel);
        Fd out = Linux.openat(dstDir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) {
      long size = st.size();
      long at = 0;
      while (at < size) {
        long data;
        try {
          data = Linux.lseek(in, at, SEEK_DATA);
        } catch (ErrnoException e) {
          if (e.errno() == ENXIO) break; // a hole up to the end
          throw e;
        }
        long hole = Linux.lseek(in, data, SEEK_HOLE);
        Linux.lseek(in, data, SEEK_SET);
        Linux.lseek(out, data, SEEK_SET);
        for (long left = hole - data; left > 0; ) {
          buf.clear().limit((int) Math.min(buf.capacity(), left));
          int n = Linux.read(in, buf);
          if (n == 0) break; // the file shrank under us
          buf.flip();
          while (buf.hasRemaining()) Linux.write(out, buf);
          left -= n;
        }
        at = hole;
      }
      Linux.ftruncate(out, size);
    }
  }

  private static Fd sameThenOpen(Fd path, Stat st, String rel) throws IOException {
    same(path, st, rel);
    return Linux.reopen(path, O_RDONLY | O_NONBLOCK | LinuxConstants.O_NOCTTY | O_CLOEXEC);
  }

  /** The opened entry is the one fstatat examined (not swapped for another file meanwhile). */
  private static void same(Fd opened, Stat examined, String rel) throws IOException {
    if (!Linux.fstat(opened).sameFile(examined)) {
      throw new IOException("copy " + rel + ": the entry changed while being copied");
    }
  }

  /** Owner, then mode (chown clears setuid), then xattrs, from the source entry onto the copy. */
  private void meta(Fd srcDir, String srcName, Fd dstDir, String dstName, Stat st, boolean symlink)
      throws IOException {
    Linux.fchownat(dstDir, dstName, st.uid(), st.gid(), AT_SYMLINK_NOFOLLOW);
    if (!symlink) Linux.fchmodat(dstDir, dstName, st.permissions());
    String from = procPath(srcDir, srcName);
    String to = procPath(dstDir, dstName);
    java.util.List<String> names;
    try {
      names = Linux.llistxattr(from);
    } catch (ErrnoException e) {
      if (e.errno() == EOPNOTSUPP) return;
      throw e;
    }
    for (String x : names) {
      if (x.startsWith("trusted.overlay.")) continue;
      byte[] v = Linux.lgetxattr(from, x);
      if (v == null) continue;
      try {
        Linux.lsetxattr(to, x, v, 0);
      } catch (ErrnoException e) {
        if (e.errno() != EPERM && e.errno() != EOPNOTSUPP) throw e;
      }
    }
  }

  /**
   * A path naming {@code name} in the directory of {@code dir} for the calls berth-sys has only in
   * path form (l*xattr, readlink): the magic link is followed to the directory we hold, then {@code
   * name} (one component) is not followed.
   */
  private static String procPath(Fd dir, String name) {
    return "/proc/self/fd/" + dir.fd() + "/" + name;
  }
}
