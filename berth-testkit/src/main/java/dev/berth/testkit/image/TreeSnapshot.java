package dev.berth.testkit.image;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A comparable description of a directory tree: for every path (relative, "." for the root) its
 * type, permission bits, owner, size and content hash (regular files), link target, device numbers,
 * xattrs, hard-link group and optionally mtime. Used to check that berth unpacks an image exactly
 * as umoci does: {@code TreeSnapshot.of(berthRoot).assertSameAs(TreeSnapshot.of(umociRoot))}.
 *
 * <p>Xattrs are read with berth-sys' llistxattr/lgetxattr (no symlink following).
 */
public final class TreeSnapshot {

  /**
   * One path. {@code type} is one of f d l c b p s; {@code rdev} is "major:minor" for devices, else
   * ""; {@code sha256} is the content hash of regular files, else ""; {@code hardlinkOf} is, for a
   * regular file sharing its inode with an earlier path (in sorted order), that path, else "";
   * {@code mtime} is seconds, or -1 when not recorded; xattr values are hex.
   */
  public record Node(
      String path,
      char type,
      int mode,
      int uid,
      int gid,
      long size,
      String sha256,
      String target,
      String rdev,
      String hardlinkOf,
      Map<String, String> xattrs,
      long mtime) {

    /** The differences from {@code other} (the same path), one "field: this != other" each. */
    List<String> differences(Node o) {
      List<String> d = new ArrayList<>();
      if (type != o.type) d.add("type " + type + " != " + o.type);
      if (mode != o.mode)
        d.add("mode " + Integer.toOctalString(mode) + " != " + Integer.toOctalString(o.mode));
      if (uid != o.uid || gid != o.gid)
        d.add("owner " + uid + ":" + gid + " != " + o.uid + ":" + o.gid);
      if (size != o.size) d.add("size " + size + " != " + o.size);
      if (!sha256.equals(o.sha256))
        d.add("content sha256 " + shortHash(sha256) + " != " + shortHash(o.sha256));
      if (!target.equals(o.target)) d.add("link target \"" + target + "\" != \"" + o.target + "\"");
      if (!rdev.equals(o.rdev)) d.add("device " + rdev + " != " + o.rdev);
      if (!hardlinkOf.equals(o.hardlinkOf))
        d.add("hard link of \"" + hardlinkOf + "\" != \"" + o.hardlinkOf + "\"");
      if (!xattrs.equals(o.xattrs)) d.add("xattrs " + xattrs + " != " + o.xattrs);
      if (mtime != o.mtime) d.add("mtime " + mtime + " != " + o.mtime);
      return d;
    }

    private static String shortHash(String h) {
      return h.isEmpty() ? "-" : h.substring(0, 12);
    }
  }

  private final Path root;
  private final Map<String, Node> nodes;

  private TreeSnapshot(Path root, Map<String, Node> nodes) {
    this.root = root;
    this.nodes = Collections.unmodifiableMap(nodes);
  }

  /** The snapshot of {@code root} with xattrs and without mtimes. */
  public static TreeSnapshot of(Path root) {
    return of(root, false, true);
  }

  public static TreeSnapshot of(Path root, boolean withMtimes, boolean withXattrs) {
    Map<String, Node> nodes = new TreeMap<>();
    Map<String, String> inodes = new HashMap<>();
    Map<String, Map<String, String>> xattrs = withXattrs ? Xattrs.read(root) : Map.of();
    walk(root, root, withMtimes, xattrs, inodes, nodes);
    return new TreeSnapshot(root, nodes);
  }

  public Path root() {
    return root;
  }

  /** Path -> node, sorted by path. */
  public Map<String, Node> nodes() {
    return nodes;
  }

  /** The node at {@code path} ("." for the root), or null. */
  public Node get(String path) {
    return nodes.get(path);
  }

  /**
   * This snapshot without {@code paths} and everything under them (e.g. dirs an unpacker creates on
   * its own).
   */
  public TreeSnapshot excluding(String... paths) {
    Map<String, Node> kept = new TreeMap<>(nodes);
    for (String p : paths) kept.keySet().removeIf(k -> k.equals(p) || k.startsWith(p + "/"));
    return new TreeSnapshot(root, kept);
  }

  /**
   * Every difference from {@code other}, in path order: "path: field this != other", "only in ...:
   * path".
   */
  public List<String> diff(TreeSnapshot other) {
    List<String> out = new ArrayList<>();
    TreeMap<String, Boolean> all = new TreeMap<>();
    nodes.keySet().forEach(k -> all.put(k, true));
    other.nodes.keySet().forEach(k -> all.put(k, true));
    for (String p : all.keySet()) {
      Node a = nodes.get(p);
      Node b = other.nodes.get(p);
      if (b == null) {
        out.add("only in " + root + ": " + p);
      } else if (a == null) {
        out.add("only in " + other.root + ": " + p);
      } else {
        for (String d : a.differences(b)) out.add(p + ": " + d);
      }
    }
    return out;
  }

  /**
   * Throws an AssertionError listing the first 30 differences when this tree is not the same as
   * {@code expected}.
   */
  public void assertSameAs(TreeSnapshot expected) {
    List<String> d = diff(expected);
    if (d.isEmpty()) return;
    StringBuilder sb =
        new StringBuilder(
            d.size()
                + " differences between "
                + root
                + " and "
                + expected.root
                + " (left != right):");
    d.stream().limit(30).forEach(s -> sb.append("\n  ").append(s));
    if (d.size() > 30) sb.append("\n  ...");
    throw new AssertionError(sb.toString());
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    nodes.values().forEach(n -> sb.append(n).append('\n'));
    return sb.toString();
  }

  private static void walk(
      Path dir,
      Path root,
      boolean withMtimes,
      Map<String, Map<String, String>> xattrs,
      Map<String, String> inodes,
      Map<String, Node> nodes) {
    // Sorted, so the first path of a hard-link group is the same in both trees.
    nodes.put(".", node(root, ".", withMtimes, xattrs, inodes));
    List<Path> pending = new ArrayList<>(List.of(dir));
    List<Path> files = new ArrayList<>();
    while (!pending.isEmpty()) {
      Path d = pending.removeLast();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
        for (Path p : s) {
          files.add(p);
          if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) pending.add(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("list " + d, e);
      }
    }
    List<String> rels =
        new ArrayList<>(files.stream().map(p -> root.relativize(p).toString()).toList());
    rels.sort(null);
    for (String rel : rels)
      nodes.put(rel, node(root.resolve(rel), rel, withMtimes, xattrs, inodes));
  }

  private static Node node(
      Path p,
      String rel,
      boolean withMtimes,
      Map<String, Map<String, String>> xattrs,
      Map<String, String> inodes) {
    Stat st;
    try {
      st = Linux.lstat(p.toString());
    } catch (ErrnoException e) {
      throw new UncheckedIOException("snapshot " + p, e);
    }
    char type =
        st.isRegularFile()
            ? 'f'
            : st.isDirectory()
                ? 'd'
                : st.isSymlink()
                    ? 'l'
                    : st.isCharDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFifo() ? 'p' : 's';
    String sha = "";
    String hardlinkOf = "";
    long size = 0;
    if (type == 'f') {
      size = st.size();
      sha = sha256(p);
      if (st.nlink() > 1) {
        String first = inodes.putIfAbsent(st.dev() + ":" + st.ino(), rel);
        if (first != null) hardlinkOf = first;
      }
    }
    String target = "";
    if (type == 'l') {
      try {
        target = Files.readSymbolicLink(p).toString();
      } catch (IOException e) {
        throw new UncheckedIOException("read link " + p, e);
      }
    }
    String rdev = type == 'c' || type == 'b' ? st.rdevMajor() + ":" + st.rdevMinor() : "";
    long mtime = -1;
    if (withMtimes) {
      try {
        mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).to(TimeUnit.SECONDS);
      } catch (IOException e) {
        throw new UncheckedIOException("read mtime of " + p, e);
      }
    }
    return new Node(
        rel,
        type,
        st.permissions(),
        st.uid(),
        st.gid(),
        size,
        sha,
        target,
        rdev,
        hardlinkOf,
        xattrs.getOrDefault(rel, Map.of()),
        mtime);
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[65536];
      for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("hash " + file, e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads every xattr of a tree through berth-sys (llistxattr/lgetxattr: symlinks are not
   * followed).
   */
  static final class Xattrs {
    private Xattrs() {}

    static Map<String, Map<String, String>> read(Path root) {
      Map<String, Map<String, String>> result = new HashMap<>();
      try (java.util.stream.Stream<Path> all = Files.walk(root)) {
        for (Path p : (Iterable<Path>) all::iterator) {
          String rel = p.equals(root) ? "." : root.relativize(p).toString();
          for (String name : dev.berth.sys.Linux.llistxattr(p.toString())) {
            byte[] v = dev.berth.sys.Linux.lgetxattr(p.toString(), name);
            if (v != null) {
              result
                  .computeIfAbsent(rel, x -> new TreeMap<>())
                  .put(name, java.util.HexFormat.of().formatHex(v));
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("read xattrs of " + root, e);
      }
      return result;
    }
  }

  @Override
  public int hashCode() {
    return Objects.hash(nodes);
  }
}
