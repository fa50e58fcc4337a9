package dev.berth.testkit.image;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import dev.berth.testkit.Busybox;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The content of one well-formed layer: entries in the order they were added, written by
 * commons-compress (PAX for long names, big numbers and xattrs) with a fixed mtime and empty
 * user/group names, so the same calls give the same bytes and digests on every machine. Hostile
 * streams are {@link TarEntries}' job.
 *
 * <p>Usage: {@code new LayerTar().busybox().add(TarEntry.whiteout("etc/group")).randomFiles("data",
 * 3, 1 << 20, 7, 0.5)}
 */
public final class LayerTar {
  /** The mtime of every entry: 2024-01-01T00:00:00Z. */
  public static final long MTIME = 1704067200L;

  private final List<TarEntry> entries = new ArrayList<>();

  public LayerTar add(TarEntry... more) {
    entries.addAll(List.of(more));
    return this;
  }

  public List<TarEntry> entries() {
    return List.copyOf(entries);
  }

  /**
   * Adds the tree under {@code dir} as entries under {@code prefix} ("" for the layer root), in
   * sorted order, with the tree's modes, owners, device numbers and symlink targets; files sharing
   * an inode become hard links to the first. File content is read when the tar is written. Sockets
   * are skipped: tar cannot hold them.
   */
  public LayerTar tree(Path dir, String prefix) {
    walk(dir, dir, prefix, false, new HashMap<>());
    return this;
  }

  public LayerTar tree(Path dir) {
    return tree(dir, "");
  }

  /**
   * The busybox-static root filesystem of {@link Busybox#rootfs}: /bin/busybox, applet links,
   * etc/passwd, dirs.
   */
  public LayerTar busybox() {
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("berth-busybox-layer");
      walk(Busybox.rootfs(tmp), tmp, "", true, new HashMap<>());
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException("make busybox layer", e);
    } finally {
      if (tmp != null) deleteTree(tmp);
    }
  }

  /**
   * {@code n} files {@code dir/file-<i>.bin} of {@code size} seeded random bytes ({@link
   * TarEntry.Content#random}).
   */
  public LayerTar randomFiles(String dir, int n, long size, long seed, double compressible) {
    add(TarEntry.dir(dir));
    for (int i = 0; i < n; i++) {
      add(
          TarEntry.file(
              dir + "/file-" + i + ".bin", TarEntry.Content.random(size, seed + i, compressible)));
    }
    return this;
  }

  /**
   * {@code count} files of {@code minSize..maxSize} random bytes, 100 per directory, in {@code
   * dir/dNN/dNN/}: the many-small-files layer whose cost is per entry (metadata, syscalls) rather
   * than per byte.
   */
  public LayerTar smallFiles(String dir, int count, int minSize, int maxSize, long seed) {
    Random sizes = new Random(seed);
    add(TarEntry.dir(dir));
    String lastTop = null;
    for (int i = 0; i < count; i++) {
      String top = String.format("%s/d%02d", dir, i / 10000);
      String leaf = String.format("%s/d%02d", top, (i / 100) % 100);
      if (!top.equals(lastTop)) add(TarEntry.dir(top));
      if (i % 100 == 0) add(TarEntry.dir(leaf));
      lastTop = top;
      int size = minSize + sizes.nextInt(maxSize - minSize + 1);
      add(
          TarEntry.file(
              String.format("%s/f%05d", leaf, i),
              TarEntry.Content.random(size, seed * 31 + i, 0.5)));
    }
    return this;
  }

  /** Writes the tar (uncompressed) to {@code out}, leaving {@code out} open. */
  public void writeTo(OutputStream out) throws IOException {
    TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new NonClosing(out), StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    for (TarEntry e : entries) {
      String name =
          e.type() == TarEntry.Type.DIR && !e.name().endsWith("/") ? e.name() + "/" : e.name();
      TarArchiveEntry t = new TarArchiveEntry(name, flag(e.type()), true);
      t.setMode(e.typeBits() | e.mode());
      t.setUserId(e.uid());
      t.setGroupId(e.gid());
      t.setUserName("");
      t.setGroupName("");
      t.setModTime(MTIME * 1000);
      t.setLinkName(e.linkName());
      if (e.type() == TarEntry.Type.CHAR_DEVICE || e.type() == TarEntry.Type.BLOCK_DEVICE) {
        t.setDevMajor(e.devMajor());
        t.setDevMinor(e.devMinor());
      }
      for (var x : e.xattrs().entrySet()) {
        String v = new String(x.getValue(), StandardCharsets.UTF_8);
        if (!java.util.Arrays.equals(v.getBytes(StandardCharsets.UTF_8), x.getValue())) {
          // commons-compress writes PAX values as UTF-8 strings: binary values
          // (security.capability) would change.
          throw new IllegalArgumentException(
              "tar entry \""
                  + e.name()
                  + "\": xattr "
                  + x.getKey()
                  + " is not UTF-8: write it with TarEntries");
        }
        t.addPaxHeader("SCHILY.xattr." + x.getKey(), v);
      }
      t.setSize(e.size());
      tar.putArchiveEntry(t);
      if (e.content() != null) e.content().writeTo(tar);
      tar.closeArchiveEntry();
    }
    tar.finish();
  }

  private static byte flag(TarEntry.Type type) {
    return switch (type) {
      case FILE -> TarConstants.LF_NORMAL;
      case HARDLINK -> TarConstants.LF_LINK;
      case SYMLINK -> TarConstants.LF_SYMLINK;
      case CHAR_DEVICE -> TarConstants.LF_CHR;
      case BLOCK_DEVICE -> TarConstants.LF_BLK;
      case DIR -> TarConstants.LF_DIR;
      case FIFO -> TarConstants.LF_FIFO;
    };
  }

  private void walk(Path dir, Path root, String prefix, boolean eager, Map<String, String> inodes) {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      s.forEach(children::add);
    } catch (IOException e) {
      throw new UncheckedIOException("list " + dir, e);
    }
    children.sort(null);
    for (Path p : children) {
      String rel = root.relativize(p).toString();
      String name = prefix.isEmpty() ? rel : prefix + "/" + rel;
      Stat st;
      try {
        st = Linux.lstat(p.toString());
      } catch (ErrnoException e) {
        throw new UncheckedIOException("add " + p + " to a layer", e);
      }
      TarEntry e;
      if (st.isDirectory()) {
        e = TarEntry.dir(name);
      } else if (st.isSymlink()) {
        try {
          e = TarEntry.symlink(name, Files.readSymbolicLink(p).toString());
        } catch (IOException x) {
          throw new UncheckedIOException("read link " + p, x);
        }
      } else if (st.isRegularFile()) {
        String key = st.dev() + ":" + st.ino();
        String first = st.nlink() > 1 ? inodes.putIfAbsent(key, name) : null;
        if (first != null) {
          e = TarEntry.hardlink(name, first);
        } else {
          try {
            e =
                TarEntry.file(
                    name,
                    eager ? TarEntry.Content.of(Files.readAllBytes(p)) : TarEntry.Content.of(p));
          } catch (IOException x) {
            throw new UncheckedIOException("read " + p, x);
          }
        }
      } else if (st.isFifo()) {
        e = TarEntry.fifo(name);
      } else if (st.isCharDevice()) {
        e = TarEntry.charDevice(name, st.rdevMajor(), st.rdevMinor());
      } else if (st.isBlockDevice()) {
        e = TarEntry.blockDevice(name, st.rdevMajor(), st.rdevMinor());
      } else {
        continue;
      }
      add(e.withMode(st.permissions()).withOwner(st.uid(), st.gid()));
      if (st.isDirectory()) walk(p, root, prefix, eager, inodes);
    }
  }

  static void deleteTree(Path root) {
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("delete " + root, e);
    }
  }

  /**
   * Lets a tar stream or a compressor finish (write its trailer) without closing the stream under
   * it.
   */
  static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
