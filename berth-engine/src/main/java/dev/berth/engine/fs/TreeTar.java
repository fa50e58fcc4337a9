package dev.berth.engine.fs;

import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.EOPNOTSUPP;
import static dev.berth.sys.LinuxConstants.O_CLOEXEC;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOCTTY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_NONBLOCK;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.O_RDONLY;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a directory tree as tar entries, walking it by directory fds only: each entry is examined
 * with fstatat(AT_SYMLINK_NOFOLLOW), opened relative to its directory with O_NOFOLLOW and checked
 * to be the file examined, so a symlink in the tree (a container's, aimed at the host) is written
 * as a symlink and never followed. Hard links within the tree become link entries; sockets are
 * skipped, as tar does. overlayfs' own xattrs are never written.
 *
 * <p>With {@code overlayUpper}, the tree is the upper directory of an overlay mount and is written
 * as an OCI layer: a whiteout (a 0:0 character device) becomes {@code .wh.NAME}, an opaque
 * directory gets {@code .wh..wh..opq}.
 */
final class TreeTar {
  private static final String OVERLAY_XATTRS = "trusted.overlay.";
  private static final String OPAQUE = "trusted.overlay.opaque";
  private static final String REDIRECT = "trusted.overlay.redirect";

  private final TarWriter tar;
  private final boolean overlayUpper;
  private final Map<String, String> firstLinks =
      new HashMap<>(); // "dev:ino" -> the name written first
  private final ByteBuffer direct = ByteBuffer.allocateDirect(1 << 16);

  // Entry names (as written, "etc/hosts") left out when they are empty regular files.
  private final java.util.Set<String> skipEmpty;

  TreeTar(TarWriter tar, boolean overlayUpper) {
    this(tar, overlayUpper, java.util.Set.of());
  }

  TreeTar(TarWriter tar, boolean overlayUpper, java.util.Set<String> skipEmpty) {
    this.tar = tar;
    this.overlayUpper = overlayUpper;
    this.skipEmpty = skipEmpty;
  }

  /**
   * Writes entry {@code base} of {@code dir} as {@code name} ("." for a directory's contents), a
   * tree with all in it.
   */
  void write(Fd dir, String base, String name) throws IOException {
    write(dir, base, name, Linux.fstatat(dir, base, AT_SYMLINK_NOFOLLOW));
  }

  /**
   * Writes what directory {@code d} holds, each entry named {@code prefix/NAME} (NAME alone with an
   * empty prefix).
   */
  void contents(Fd d, String prefix) throws IOException {
    List<String> names = new ArrayList<>(Linux.readdir(d));
    names.sort(null);
    for (String child : names) {
      try {
        write(d, child, prefix.isEmpty() ? child : prefix + "/" + child);
      } catch (ErrnoException e) {
        // Removed since readdir (a running container's file, or one of its /proc): left out, as
        // tar and docker leave it. Every call that can say so comes before the entry's header,
        // and a directory's children are handled here one by one, so the tar stays whole.
        if (e.errno() != ENOENT) throw e;
      }
    }
  }

  private void write(Fd dir, String base, String name, Stat st) throws IOException {
    if (st.isSocket()) return;
    if (st.isRegularFile() && st.size() == 0 && skipEmpty.contains(name)) return;
    if (st.isDirectory()) {
      try (Fd d = Linux.openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
        same(d, st, name);
        Map<String, byte[]> xattrs = xattrs(dir, base);
        tar.entry(header(name, TarWriter.DIR, st, 0, "", xattrs), null);
        if (overlayUpper && isOpaque(dir, base)) {
          tar.entry(whiteout(name.equals(".") ? ".wh..wh..opq" : name + "/.wh..wh..opq", st), null);
        }
        contents(d, name.equals(".") ? "." : name);
      }
      return;
    }
    if (overlayUpper && st.isCharDevice() && st.rdevMajor() == 0 && st.rdevMinor() == 0) {
      int slash = name.lastIndexOf('/');
      tar.entry(
          whiteout(name.substring(0, slash + 1) + ".wh." + name.substring(slash + 1), st), null);
      return;
    }
    if (st.nlink() > 1 && !st.isDirectory()) {
      String key = st.dev() + ":" + st.ino();
      String first = firstLinks.putIfAbsent(key, name);
      if (first != null) {
        tar.entry(header(name, TarWriter.LINK, st, 0, first, Map.of()), null);
        return;
      }
    }
    Map<String, byte[]> xattrs = xattrs(dir, base);
    if (st.isRegularFile()) {
      // O_PATH first, which opens nothing: had a running container swapped the entry for a device
      // node since fstatat, opening it for reading would run its driver on the host (a watchdog
      // armed, a tape rewound). Only the file examined is then opened, through that fd.
      try (Fd p = Linux.openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0)) {
        same(p, st, name);
        try (Fd f = reopen(p)) {
          tar.entry(header(name, TarWriter.FILE, st, st.size(), "", xattrs), new FdInput(f));
        }
      }
    } else if (st.isSymlink()) {
      tar.entry(
          header(name, TarWriter.SYMLINK, st, 0, Linux.readlink(procPath(dir, base)), xattrs),
          null);
    } else if (st.isCharDevice() || st.isBlockDevice() || st.isFifo()) {
      byte type =
          st.isCharDevice()
              ? TarWriter.CHAR
              : st.isBlockDevice() ? TarWriter.BLOCK : TarWriter.FIFO;
      tar.entry(header(name, type, st, 0, "", xattrs), null);
    }
  }

  private static TarWriter.Header header(
      String name, byte type, Stat st, long size, String link, Map<String, byte[]> xattrs) {
    return new TarWriter.Header(
        name,
        type,
        st.permissions(),
        st.uid() & 0xffffffffL,
        st.gid() & 0xffffffffL,
        size,
        st.mtimeSec(),
        link,
        st.rdevMajor(),
        st.rdevMinor(),
        xattrs);
  }

  private static TarWriter.Header whiteout(String name, Stat st) {
    return new TarWriter.Header(
        name,
        TarWriter.FILE,
        0,
        st.uid() & 0xffffffffL,
        st.gid() & 0xffffffffL,
        0,
        st.mtimeSec(),
        "",
        0,
        0,
        Map.of());
  }

  private boolean isOpaque(Fd dir, String base) throws IOException {
    String p = procPath(dir, base);
    if (Linux.lgetxattr(p, REDIRECT) != null) {
      // A directory renamed over the lower layers' (redirect_dir): its contents are the lower ones,
      // which a layer of
      // the upper directory alone cannot show.
      throw new IOException(p + ": a renamed directory (overlayfs redirect) cannot be committed");
    }
    byte[] v = Linux.lgetxattr(p, OPAQUE);
    return v != null && v.length == 1 && v[0] == 'y';
  }

  private static Map<String, byte[]> xattrs(Fd dir, String base) throws IOException {
    String p = procPath(dir, base);
    List<String> names;
    try {
      names = Linux.llistxattr(p);
    } catch (ErrnoException e) {
      if (e.errno() == EOPNOTSUPP) return Map.of();
      throw e;
    }
    if (names.isEmpty()) return Map.of();
    Map<String, byte[]> out = new LinkedHashMap<>();
    names = new ArrayList<>(names);
    names.sort(null);
    for (String x : names) {
      if (x.startsWith(OVERLAY_XATTRS)) continue;
      byte[] v = Linux.lgetxattr(p, x);
      if (v != null) out.put(x, v);
    }
    return out;
  }

  /** The opened entry is the one fstatat examined (not swapped for another file meanwhile). */
  private static void same(Fd opened, Stat examined, String name) throws IOException {
    if (!Linux.fstat(opened).sameFile(examined)) {
      throw new IOException(name + ": the entry changed while being copied");
    }
  }

  /**
   * The regular file {@code path} (an O_PATH fd, checked by {@link #same}) opened for reading: the
   * same inode, whatever its name has become since.
   */
  static Fd reopen(Fd path) throws IOException {
    return Linux.reopen(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  }

  /**
   * A path naming {@code base} in {@code dir} for the calls berth-sys has only in path form
   * (l*xattr, readlink): the magic link is followed to the directory we hold, then {@code base}
   * (one component) is not followed.
   */
  static String procPath(Fd dir, String base) {
    return "/proc/self/fd/" + dir.fd() + "/" + base;
  }

  /** Reads an fd (not closed here). */
  private final class FdInput extends InputStream {
    private final Fd fd;

    FdInput(Fd fd) {
      this.fd = fd;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      direct.clear().limit(Math.min(len, direct.capacity()));
      int n = Linux.read(fd, direct);
      if (n <= 0) return -1;
      direct.flip();
      direct.get(b, off, n);
      return n;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }
  }
}
