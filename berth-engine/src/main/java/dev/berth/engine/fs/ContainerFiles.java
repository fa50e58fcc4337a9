package dev.berth.engine.fs;

import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.ELOOP;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.ENOTDIR;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.RESOLVE_IN_ROOT;
import static dev.berth.sys.LinuxConstants.RESOLVE_NO_MAGICLINKS;

import dev.berth.engine.EngineException;
import dev.berth.image.unpack.LayerUnpacker;
import dev.berth.image.unpack.Mode;
import dev.berth.image.unpack.UnpackException;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * Files of one container's root filesystem, reached through a directory fd of it: docker's stat,
 * archive (cp out, export) and extract (cp in). Every path is the container's: resolved inside the
 * root with openat2 (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so a symlink of the container's,
 * absolute or climbing with "..", lands inside the container, never on the host; the last component
 * is examined without following it unless asked to, and then its target is resolved inside the root
 * the same way. Trees are walked by fds ({@link TreeTar}) and tars are extracted with berth-image's
 * hostile-layer unpacker in its plain mode (names that climb out are refused, nothing is ever
 * written through a symlink out of the root).
 */
public final class ContainerFiles {
  private static final long RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  private static final int MAX_LINKS = 40;

  private final Fd root;
  private final String container;

  /**
   * {@code root}: an O_PATH directory fd of the container's root filesystem (the caller's); {@code
   * container}: its name in errors.
   */
  public ContainerFiles(Fd root, String container) {
    this.root = root;
    this.container = container;
  }

  /**
   * A container path as docker reads it: relative to "/", cleaned lexically, and what its spelling
   * asks for.
   */
  record ContainerPath(String original, String clean, boolean trailingSlash, boolean contents) {
    static ContainerPath parse(String path) {
      boolean contents = path.equals(".") || path.endsWith("/.");
      boolean slash = path.endsWith("/");
      ArrayDeque<String> parts = new ArrayDeque<>();
      for (String c : path.split("/")) {
        if (c.isEmpty() || c.equals(".")) continue;
        if (c.equals("..")) parts.pollLast(); // ".." at "/" stays at "/", as in the kernel
        else parts.addLast(c);
      }
      return new ContainerPath(path, String.join("/", parts), slash, contents);
    }

    /** The last component ("/" for the root). */
    String base() {
      return clean.isEmpty() ? "/" : clean.substring(clean.lastIndexOf('/') + 1);
    }
  }

  /**
   * An entry of the root: its directory (an O_PATH fd, owned) and its name there ("." for the root
   * itself).
   */
  private record Located(Fd parent, String base, Stat stat) implements AutoCloseable {
    @Override
    public void close() {
      parent.close();
    }
  }

  /**
   * docker's stat of a container path: the entry itself, or with {@code follow} what its symlinks
   * lead to.
   */
  public PathStat stat(String path, boolean follow) throws BerthException {
    ContainerPath p = ContainerPath.parse(path);
    try (Located l = locate(p, follow)) {
      return stat(p, l);
    } catch (IOException e) {
      throw failed("stat " + path, e);
    }
  }

  /**
   * Writes {@code path} as a tar to {@code out}: a file as one entry, a directory as itself and
   * everything in it ({@code DIR/.}: its contents, under "."). Entries are named {@code as} (null:
   * the path's last component); with {@code follow} a symlink at {@code path} is copied as what it
   * leads to, still named as the link. Returns the stat of what was copied.
   */
  public PathStat archive(String path, boolean follow, String as, OutputStream out)
      throws BerthException {
    ContainerPath p = ContainerPath.parse(path);
    try (Located l = locate(p, follow)) {
      PathStat st = stat(p, l);
      if ((p.trailingSlash() || p.contents()) && !l.stat().isDirectory()) {
        throw new EngineException(
            ErrorCategory.INVALID_ARGUMENT, "lstat " + path + ": not a directory");
      }
      String name = as != null ? as : p.contents() ? "." : p.clean().isEmpty() ? "." : p.base();
      try (TarWriter tar = new TarWriter(out)) {
        new TreeTar(tar, false).write(l.parent(), l.base(), name);
      }
      return st;
    } catch (IOException e) {
      throw failed("copy " + path, e);
    }
  }

  /**
   * The whole root filesystem as a tar (docker export): every entry by its path from "/", no entry
   * for "/".
   */
  public void export(OutputStream out) throws BerthException {
    try (Fd d = Linux.openat(root, ".", dev.berth.sys.LinuxConstants.O_RDONLY | O_DIRECTORY, 0);
        TarWriter tar = new TarWriter(out)) {
      new TreeTar(tar, false).contents(d, "");
    } catch (IOException e) {
      throw failed("export", e);
    }
  }

  /**
   * Extracts the tar {@code in} into the directory at {@code path} (a symlink there is followed,
   * inside the root). {@code owner} {uid, gid} replaces the tar's owners (null keeps them). The tar
   * is hostile: entries that climb out are refused, symlinks it makes are never written through out
   * of the root, and an entry never replaces a directory with a non-directory or the reverse
   * (docker's rule for cp). As docker's: with {@code rootReadOnly}, a directory of the root
   * filesystem itself (not of a volume, bind or tmpfs mounted in it) is refused before anything is
   * written, and a read-only mount's refusal is named so.
   */
  public void extract(String path, InputStream in, int[] owner, boolean rootReadOnly)
      throws BerthException {
    ContainerPath p = ContainerPath.parse(path);
    try (Located l = locate(p, true)) {
      if (!l.stat().isDirectory()) {
        throw new EngineException(
            ErrorCategory.INVALID_ARGUMENT, "extraction point is not a directory");
      }
      try (Fd dir = Linux.openat(l.parent(), l.base(), O_PATH | O_DIRECTORY | O_NOFOLLOW, 0)) {
        Stat now = Linux.fstat(dir);
        if (now.ino() != l.stat().ino() || now.dev() != l.stat().dev()) {
          throw new IOException(path + ": changed while being opened");
        }
        // A mount's root directory has its own device; the root filesystem's directories, the
        // root's.
        if (rootReadOnly && now.dev() == Linux.fstat(root).dev()) {
          throw EngineException.precondition("container rootfs is marked read-only");
        }
        LayerUnpacker unpacker =
            owner == null ? new LayerUnpacker() : new LayerUnpacker().withOwner(owner[0], owner[1]);
        unpacker.unpack(in, Compression.NONE, dir, Mode.PLAIN);
      }
    } catch (UnpackException e) {
      if (readOnly(e)) throw EngineException.precondition("mounted volume is marked read-only");
      throw new EngineException(
          ErrorCategory.INVALID_ARGUMENT,
          "copy to " + path + " in container " + container + ": " + e.getMessage(),
          e);
    } catch (IOException e) {
      if (readOnly(e)) throw EngineException.precondition("mounted volume is marked read-only");
      throw failed("copy to " + path, e);
    }
  }

  /** Whether {@code e} comes from a write to a read-only filesystem. */
  private static boolean readOnly(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ErrnoException x && x.errno() == dev.berth.sys.LinuxConstants.EROFS) {
        return true;
      }
    }
    return false;
  }

  // ---- resolution ----

  /**
   * Finds {@code p} in the root: its directory resolved with RESOLVE_IN_ROOT, its last component
   * examined without following; with {@code follow}, a symlink there is replaced by its target
   * (relative to the link's directory, or to "/" when absolute) and resolved again, up to 40 times.
   */
  private Located locate(ContainerPath p, boolean follow) throws IOException, BerthException {
    String clean = p.clean();
    for (int links = 0; ; links++) {
      String parent = clean.contains("/") ? clean.substring(0, clean.lastIndexOf('/')) : "";
      String base = clean.isEmpty() ? "." : clean.substring(clean.lastIndexOf('/') + 1);
      Fd dir;
      try {
        dir =
            Linux.openat2(root, parent.isEmpty() ? "." : parent, O_PATH | O_DIRECTORY, 0, RESOLVE);
      } catch (ErrnoException e) {
        if (e.errno() == ENOENT || e.errno() == ENOTDIR) throw noSuchFile(p);
        if (e.errno() == ELOOP) throw tooManyLinks(p);
        throw e;
      }
      Stat st;
      try {
        st = Linux.fstatat(dir, base, AT_SYMLINK_NOFOLLOW);
      } catch (ErrnoException e) {
        dir.close();
        if (e.errno() == ENOENT || e.errno() == ENOTDIR) throw noSuchFile(p);
        throw e;
      }
      if (!(follow && st.isSymlink())) return new Located(dir, base, st);
      String target;
      try {
        target = Linux.readlink(TreeTar.procPath(dir, base));
      } finally {
        dir.close();
      }
      if (links >= MAX_LINKS) throw tooManyLinks(p);
      clean = ContainerPath.parse(target.startsWith("/") ? target : parent + "/" + target).clean();
    }
  }

  private PathStat stat(ContainerPath p, Located l) throws IOException {
    Stat st = l.stat();
    String link = st.isSymlink() ? Linux.readlink(TreeTar.procPath(l.parent(), l.base())) : "";
    return new PathStat(
        p.base(), st.size(), st.mode(), Instant.ofEpochSecond(st.mtimeSec(), st.mtimeNsec()), link);
  }

  private EngineException noSuchFile(ContainerPath p) {
    return EngineException.notFound(
        "Could not find the file " + p.original() + " in container " + container);
  }

  /**
   * A path the client chose that loops, or goes through one of procfs' magic links (/proc/1/root,
   * /proc/self/cwd: RESOLVE_NO_MAGICLINKS refuses them, as they would jump out of the root).
   */
  private EngineException tooManyLinks(ContainerPath p) {
    return EngineException.invalid(
        "resolve "
            + p.original()
            + " in container "
            + container
            + ": a symlink loop or a /proc magic link on the way");
  }

  private EngineException failed(String what, IOException e) {
    return new EngineException(
        ErrorCategory.INTERNAL, what + " in container " + container + ": " + e.getMessage(), e);
  }
}
