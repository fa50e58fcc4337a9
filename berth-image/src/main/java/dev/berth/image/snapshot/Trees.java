package dev.berth.image.snapshot;

import static dev.berth.sys.LinuxConstants.ENXIO;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_EXCL;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_WRONLY;
import static dev.berth.sys.LinuxConstants.SEEK_SET;
import static dev.berth.sys.LinuxConstants.S_IFBLK;
import static dev.berth.sys.LinuxConstants.S_IFCHR;
import static dev.berth.sys.LinuxConstants.S_IFIFO;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whole-tree operations on our own snapshot directories (trusted: written by us, not by a layer,
 * and not changing underneath), so plain paths are fine here; symlinks are never followed.
 */
public final class Trees {
  private Trees() {}

  /**
   * Copies the tree {@code src} into the existing directory {@code dst}, keeping owners, modes
   * (setuid included), times, xattrs, hardlinks (as links), symlinks, devices and fifos. Sockets
   * are skipped.
   */
  public static void copy(Path src, Path dst) throws IOException {
    Map<Long, Path> inodes = new HashMap<>(); // (dev, ino) folded: one filesystem, so ino alone
    List<Path[]> dirs = new ArrayList<>();
    copyDir(src, dst, inodes, dirs);
    // Directory times last, deepest first: filling a directory changed its mtime.
    for (int i = dirs.size() - 1; i >= 0; i--) times(dirs.get(i)[0], dirs.get(i)[1]);
  }

  private static void copyDir(Path src, Path dst, Map<Long, Path> inodes, List<Path[]> dirs)
      throws IOException {
    Stat st = Linux.lstat(src.toString());
    meta(src, dst, st, false);
    dirs.add(new Path[] {src, dst});
    List<Path> children;
    try (var s = Files.list(src)) {
      children = s.toList();
    }
    for (Path c : children) {
      Path d = dst.resolve(c.getFileName().toString());
      Stat cs = Linux.lstat(c.toString());
      if (cs.isDirectory()) {
        Linux.mkdir(d.toString(), 0700);
        copyDir(c, d, inodes, dirs);
        continue;
      }
      if (cs.nlink() > 1) {
        Path first = inodes.putIfAbsent(cs.ino(), d);
        if (first != null) {
          Linux.linkat(null, first.toString(), null, d.toString(), 0);
          continue;
        }
      }
      if (cs.isRegularFile()) {
        copyFile(c, d, cs.size());
      } else if (cs.isSymlink()) {
        Linux.symlink(Linux.readlink(c.toString()), d.toString());
      } else if (cs.isCharDevice() || cs.isBlockDevice() || cs.isFifo()) {
        int type = cs.isCharDevice() ? S_IFCHR : cs.isBlockDevice() ? S_IFBLK : S_IFIFO;
        Linux.mknodat(
            null, d.toString(), type | 0600, Stat.makedev(cs.rdevMajor(), cs.rdevMinor()));
      } else {
        continue; // a socket: meaningless in a copy
      }
      meta(c, d, cs, cs.isSymlink());
      times(c, d);
    }
  }

  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;

  /**
   * Copies a regular file's data regions only (found with SEEK_DATA/SEEK_HOLE) and truncates to its
   * size: holes stay holes. Files.copy writes them out as zeros, and a layer's sparse file may
   * declare a terabyte of them.
   */
  private static void copyFile(Path src, Path dst, long size) throws IOException {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20);
    try (Fd in = Linux.open(src.toString(), O_RDONLY | O_NOFOLLOW, 0);
        Fd out = Linux.open(dst.toString(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) {
      long at = 0;
      while (at < size) {
        long data;
        try {
          data = Linux.lseek(in, at, SEEK_DATA);
        } catch (ErrnoException e) {
          if (e.errno() == ENXIO) break; // a hole to the end
          throw e;
        }
        long hole = Linux.lseek(in, data, SEEK_HOLE);
        Linux.lseek(in, data, SEEK_SET);
        Linux.lseek(out, data, SEEK_SET);
        for (long left = hole - data; left > 0; ) {
          buf.clear().limit((int) Math.min(buf.capacity(), left));
          int n = Linux.read(in, buf);
          if (n == 0) break; // the file shrank: not ours to copy further
          buf.flip();
          while (buf.hasRemaining()) Linux.write(out, buf);
          left -= n;
        }
        at = hole;
      }
      Linux.ftruncate(out, size);
    }
  }

  private static void meta(Path src, Path dst, Stat st, boolean symlink) throws IOException {
    String d = dst.toString();
    Linux.lchown(d, st.uid(), st.gid());
    if (!symlink) Linux.chmod(d, st.permissions()); // after chown, which clears setuid/setgid
    for (String name : Linux.llistxattr(src.toString())) {
      byte[] v = Linux.lgetxattr(src.toString(), name);
      if (v != null) Linux.lsetxattr(d, name, v, 0);
    }
  }

  private static void times(Path src, Path dst) throws IOException {
    Stat st = Linux.lstat(src.toString());
    Linux.utimensat(
        null,
        dst.toString(),
        st.mtimeSec(),
        st.mtimeNsec(),
        st.mtimeSec(),
        st.mtimeNsec(),
        dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW);
  }

  /**
   * Removes {@code p} and everything under it, not following symlinks; a missing {@code p} is fine.
   * Walks with directory fds (openat, unlinkat, ".." to climb back), never a whole path: a layer
   * may nest directories up to PATH_MAX below the snapshot's own directory, past PATH_MAX from "/",
   * where a path walk fails (ENAMETOOLONG) and would leave the snapshot behind. Holds two fds at a
   * time whatever the depth.
   *
   * <p>A process still renaming inside the tree (a container sharing a volume with the one being
   * removed, one that escaped the kill) may move the directory the walk stands in elsewhere, so
   * that ".." leads out of the tree. Each level's device and inode, taken on the way down, are
   * checked against what ".." opened on the way up; on a mismatch the walk starts again from {@code
   * p} (whatever was moved out is no longer under {@code p}, so no longer ours to remove). The walk
   * never crosses into another file system (a mount left under the tree): it fails naming the
   * directory instead of emptying the mount.
   */
  public static void remove(Path p) throws IOException {
    Stat st;
    try {
      st = Linux.lstat(p.toString());
    } catch (ErrnoException e) {
      if (e.errno() == dev.berth.sys.LinuxConstants.ENOENT) return;
      throw e;
    }
    if (!st.isDirectory()) {
      Linux.unlinkat(null, p.toString(), 0);
      return;
    }
    for (int walk = 1; !removeUnder(p); walk++) {
      if (walk == REMOVE_WALKS) {
        throw new IOException(
            "remove "
                + p
                + ": directories kept being moved out of the tree while it was removed ("
                + walk
                + " walks)");
      }
    }
    Linux.unlinkat(null, p.toString(), dev.berth.sys.LinuxConstants.AT_REMOVEDIR);
  }

  /** How many times {@link #remove} walks a tree that keeps changing under it before it fails. */
  static final int REMOVE_WALKS = 16;

  /**
   * Empties the directory {@code p}; false when a ".." on the way up did not lead back to the
   * directory the walk came down from (the tree was changed under the walk; nothing outside it was
   * touched).
   */
  private static boolean removeUnder(Path p) throws IOException {
    java.util.ArrayDeque<java.util.Iterator<String>> subdirs = new java.util.ArrayDeque<>();
    java.util.ArrayDeque<String> names = new java.util.ArrayDeque<>();
    java.util.ArrayDeque<long[]> ids = new java.util.ArrayDeque<>(); // {dev, ino} of each level
    Fd cur = Linux.open(p.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
    try {
      Stat top = Linux.fstat(cur);
      if (!top.isDirectory()) throw new IOException("remove " + p + ": not a directory");
      ids.push(new long[] {top.dev(), top.ino()});
      subdirs.push(emptyButDirs(cur).iterator());
      while (true) {
        java.util.Iterator<String> next = subdirs.peek();
        if (next.hasNext()) {
          String name = next.next();
          Fd down;
          try {
            down = Linux.openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
          } catch (ErrnoException e) {
            int errno = e.errno();
            if (errno == dev.berth.sys.LinuxConstants.ENOENT) continue; // moved away meanwhile
            if (errno == dev.berth.sys.LinuxConstants.ENOTDIR
                || errno == dev.berth.sys.LinuxConstants.ELOOP) {
              Linux.unlinkat(cur, name, 0); // replaced by a file or a symlink meanwhile
              continue;
            }
            throw e;
          }
          cur.close();
          cur = down;
          Stat ds = Linux.fstat(cur);
          if (ds.dev() != top.dev()) {
            throw new IOException(
                "remove "
                    + p
                    + ": "
                    + String.join("/", names.reversed())
                    + (names.isEmpty() ? "" : "/")
                    + name
                    + " is on another file system (a mount under the tree); not removed");
          }
          names.push(name);
          ids.push(new long[] {ds.dev(), ds.ino()});
          subdirs.push(emptyButDirs(cur).iterator());
          continue;
        }
        subdirs.pop();
        if (names.isEmpty()) return true;
        ids.pop();
        Fd up = Linux.openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
        cur.close();
        cur = up;
        Stat us = Linux.fstat(cur);
        long[] want = ids.peek();
        if (us.dev() != want[0] || us.ino() != want[1]) return false; // moved: ".." is elsewhere
        try {
          Linux.unlinkat(cur, names.pop(), dev.berth.sys.LinuxConstants.AT_REMOVEDIR);
        } catch (ErrnoException e) {
          // renamed within its parent, or another (non-empty) directory moved to its name
          if (e.errno() == dev.berth.sys.LinuxConstants.ENOENT
              || e.errno() == dev.berth.sys.LinuxConstants.ENOTEMPTY) return false;
          throw e;
        }
      }
    } finally {
      cur.close();
    }
  }

  /** Unlinks everything in {@code dir} but its subdirectories, and returns their names. */
  private static List<String> emptyButDirs(Fd dir) throws IOException {
    List<String> subdirs = new ArrayList<>();
    for (String name : Linux.readdir(dir)) {
      try {
        if (Linux.fstatat(dir, name, dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW)
            .isDirectory()) {
          subdirs.add(name);
        } else {
          Linux.unlinkat(dir, name, 0);
        }
      } catch (ErrnoException e) {
        if (e.errno() == dev.berth.sys.LinuxConstants.EISDIR) {
          subdirs.add(name); // a directory moved to the name of the file just seen
        } else if (e.errno() != dev.berth.sys.LinuxConstants.ENOENT) {
          throw e; // ENOENT: gone meanwhile
        }
      }
    }
    return subdirs;
  }

  /** Bytes allocated under {@code p} (st_blocks * 512), each inode once. */
  public static long usage(Path p) throws IOException {
    return usageOf(p).bytes();
  }

  /** What a tree holds on its file system: bytes allocated and inodes, each inode counted once. */
  public record Usage(long bytes, long inodes) {}

  /** The {@link Usage} of the tree at {@code p} (directories included), as du counts it. */
  public static Usage usageOf(Path p) throws IOException {
    long[] total = {0, 0};
    java.util.Set<Long> seen = new java.util.HashSet<>();
    Files.walkFileTree(
        p,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            total[0] += Linux.lstat(d.toString()).blocks() * 512;
            total[1]++;
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Stat st = Linux.lstat(f.toString());
            if (seen.add(st.ino())) {
              total[0] += st.blocks() * 512;
              total[1]++;
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return new Usage(total[0], total[1]);
  }
}
