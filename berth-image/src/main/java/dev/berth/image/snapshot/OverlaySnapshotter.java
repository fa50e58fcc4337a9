package dev.berth.image.snapshot;

import static dev.berth.sys.LinuxConstants.AT_EMPTY_PATH;
import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.ELOOP;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.ENOTDIR;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.RESOLVE_BENEATH;
import static dev.berth.sys.LinuxConstants.RESOLVE_NO_SYMLINKS;

import dev.berth.image.dirs.PrivateDirs;
import dev.berth.image.unpack.Mode;
import dev.berth.spec.image.Digest;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Snapshots as overlayfs layers: each committed layer holds only its own diff, unpacked in {@link
 * Mode#OVERLAY} (whiteouts as 0:0 devices, opaque dirs as trusted.overlay.opaque); a view stacks
 * the chain as lowerdirs. A bottom layer is unpacked in {@link Mode#APPLY}: there is nothing below
 * it to hide, and a view of it alone is a bind mount, which would show its whiteouts as device
 * nodes.
 */
public final class OverlaySnapshotter extends DirSnapshotter {
  private static final String OPAQUE_XATTR = "trusted.overlay.opaque";

  public OverlaySnapshotter(Path root) throws IOException {
    super(root);
  }

  @Override
  Mode mode(boolean bottom) {
    return bottom ? Mode.APPLY : Mode.OVERLAY;
  }

  @Override
  void fillStaging(Path fs, Digest parent) {
    // an overlay layer starts empty
  }

  @Override
  public boolean layersIndependent() {
    return true;
  }

  @Override
  void finish(Staging s) throws IOException {
    if (s.parent() != null && !s.madeDirs().isEmpty())
      inheritDirs(s.dir(), chain(s.parent()), s.madeDirs());
  }

  /**
   * Gives each of {@code made} (directories of the layer at {@code fs} that its tar does not list)
   * the owner, mode, xattrs and times of the directory the view shows there below it: the first of
   * {@code lowers} (top first) that has the path, if a directory; none when a layer has something
   * else there or hides it (opaque parent). Paths are looked up beneath each layer's root without
   * following symlinks: overlayfs merges directories, never links. "" is the layer's root (the
   * layer has no "./" entry): it takes that of the layer below, which the view shows.
   */
  private static void inheritDirs(Path fs, List<Path> lowers, List<String> made)
      throws IOException {
    try (Fd top = Linux.open(fs.toString(), O_PATH | O_DIRECTORY | O_NOFOLLOW, 0)) {
      for (String p : made) {
        try (Fd ours = beneath(top, p, O_RDONLY | O_DIRECTORY)) {
          if (ours == null) continue; // replaced later in the layer
          for (Path lower : lowers) {
            Lookup l = lookup(lower, p);
            if (l == Lookup.MISSING) continue;
            if (l.dir != null) {
              try (Fd from = l.dir) {
                copyDirInfo(from, ours);
              }
            }
            break;
          }
        }
      }
    }
  }

  /**
   * What a lower layer has at a path: a directory (opened), something that stops the search, or
   * nothing.
   */
  private record Lookup(Fd dir) {
    static final Lookup MISSING = new Lookup(null);
    static final Lookup STOP = new Lookup(null);
  }

  private static Lookup lookup(Path layer, String p) throws IOException {
    if (p.isEmpty())
      return new Lookup(Linux.open(layer.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0));
    try (Fd root = Linux.open(layer.toString(), O_PATH | O_DIRECTORY | O_NOFOLLOW, 0)) {
      String parent = p.contains("/") ? p.substring(0, p.lastIndexOf('/')) : ".";
      Fd dir;
      try {
        dir =
            Linux.openat2(
                root, parent, O_RDONLY | O_DIRECTORY, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
      } catch (ErrnoException e) {
        return e.errno() == ENOENT
            ? Lookup.MISSING
            : Lookup.STOP; // ENOTDIR, ELOOP: a file or link hides it
      }
      try (dir) {
        String base = p.substring(p.lastIndexOf('/') + 1);
        try {
          Stat st = Linux.fstatat(dir, base, AT_SYMLINK_NOFOLLOW);
          return st.isDirectory()
              ? new Lookup(Linux.openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0))
              : Lookup.STOP;
        } catch (ErrnoException e) {
          if (e.errno() != ENOENT) throw e;
          byte[] opaque = Linux.lgetxattr("/proc/self/fd/" + dir.fd() + "/.", OPAQUE_XATTR);
          return opaque != null && opaque.length == 1 && opaque[0] == 'y'
              ? Lookup.STOP
              : Lookup.MISSING;
        }
      }
    }
  }

  private static Fd beneath(Fd root, String p, int flags) throws IOException {
    try {
      return Linux.openat2(
          root, p.isEmpty() ? "." : p, flags, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT || e.errno() == ENOTDIR || e.errno() == ELOOP) return null;
      throw e;
    }
  }

  private static void copyDirInfo(Fd from, Fd to) throws IOException {
    Stat st = Linux.fstatat(from, "", AT_EMPTY_PATH);
    Linux.fchown(to, st.uid(), st.gid());
    Linux.fchmod(to, st.permissions()); // after chown, which clears setgid
    String src = "/proc/self/fd/" + from.fd() + "/.";
    String dst = "/proc/self/fd/" + to.fd() + "/.";
    for (String name : Linux.llistxattr(src)) {
      if (name.startsWith("trusted.overlay."))
        continue; // opaque or redirect belong to the lower layer alone
      byte[] v = Linux.lgetxattr(src, name);
      if (v != null) Linux.lsetxattr(dst, name, v, 0);
    }
    Linux.utimensat(null, dst, st.mtimeSec(), st.mtimeNsec(), st.mtimeSec(), st.mtimeNsec(), 0);
  }

  @Override
  public List<Mount> view(Digest chainId) throws IOException {
    List<Path> chain = visible(chainId);
    if (chain.size() == 1)
      return List.of(new Mount("bind", chain.get(0).toString(), List.of("rbind", "ro")));
    return List.of(new Mount("overlay", "overlay", List.of("ro", "lowerdir=" + join(chain))));
  }

  @Override
  public List<Mount> prepare(String key, Digest parent) throws IOException {
    Path dir = newActive(key, parent);
    try {
      Path upper = Files.createDirectory(dir.resolve("fs"));
      Linux.chmod(
          upper.toString(),
          0755); // the container's "/", not a store directory: a tree's root, not the umask
      Path work = dir.resolve("work");
      PrivateDirs.create(work);
      if (parent != null) {
        // overlayfs shows the upper directory's owner and mode for "/": the image's, as its view
        // shows them.
        try (Fd from =
                Linux.open(
                    visible(parent).getFirst().toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
            Fd to = Linux.open(upper.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0)) {
          copyDirInfo(from, to);
        }
      }
      return activeMounts(dir, parent);
    } catch (IOException | RuntimeException e) {
      Trees.remove(dir);
      throw e;
    }
  }

  @Override
  List<Mount> activeMounts(Path dir, Digest parent) throws IOException {
    Path upper = dir.resolve("fs");
    if (parent == null) return List.of(new Mount("bind", upper.toString(), List.of("rbind", "rw")));
    return List.of(
        new Mount(
            "overlay",
            "overlay",
            List.of(
                "lowerdir=" + join(visible(parent)),
                "upperdir=" + upper,
                "workdir=" + dir.resolve("work"))));
  }

  /**
   * The chain's layers, top first, down to the first whose root directory is opaque: overlayfs
   * honours the opaque xattr on a directory it merges below the root, but not on a lower layer's
   * root itself, so the layers such a root hides must be left out of the mount.
   */
  private List<Path> visible(Digest chainId) throws IOException {
    List<Path> chain = chain(chainId);
    for (int i = 0; i < chain.size() - 1; i++) {
      byte[] opaque = Linux.lgetxattr(chain.get(i).toString(), OPAQUE_XATTR);
      if (opaque != null && opaque.length == 1 && opaque[0] == 'y') return chain.subList(0, i + 1);
    }
    return chain;
  }

  private static String join(List<Path> dirs) {
    StringBuilder b = new StringBuilder();
    for (Path p : dirs) {
      if (b.length() > 0) b.append(':');
      b.append(p);
    }
    return b.toString();
  }
}
