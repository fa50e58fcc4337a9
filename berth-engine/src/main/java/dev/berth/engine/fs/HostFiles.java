package dev.berth.engine.fs;

import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.ENOTDIR;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_PATH;

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
import java.nio.file.Path;
import java.time.Instant;

/**
 * The host's side of docker cp: the user's own paths, read and written as the user names them
 * (their symlinks are the user's to follow), while what comes out of a container is extracted with
 * the hostile-layer unpacker inside the destination directory, so a container's tar can never write
 * beside it.
 */
public final class HostFiles {
  private HostFiles() {}

  /**
   * The host file at {@code path}: itself, or with {@code follow} what it leads to; NOT_FOUND as
   * docker's lstat.
   */
  public static PathStat stat(String path, boolean follow) throws BerthException {
    try {
      Stat st = follow ? Linux.stat(path) : Linux.lstat(path);
      String link = st.isSymlink() ? Linux.readlink(path) : "";
      return new PathStat(
          base(path),
          st.size(),
          st.mode(),
          Instant.ofEpochSecond(st.mtimeSec(), st.mtimeNsec()),
          link);
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT || e.errno() == ENOTDIR) {
        throw EngineException.notFound(
            (follow ? "stat " : "lstat ") + path + ": no such file or directory");
      }
      throw new EngineException(ErrorCategory.INTERNAL, "stat " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the host file or tree {@code path} as a tar named {@code as} (".": a directory's
   * contents, for "DIR/."); with {@code follow}, a symlink at {@code path} is written as what it
   * leads to.
   */
  public static void archive(String path, boolean follow, String as, OutputStream out)
      throws BerthException {
    try {
      Path p = Path.of(path).toAbsolutePath();
      if (follow) p = p.toRealPath();
      boolean contents = path.equals(".") || path.endsWith("/.");
      Path parent = contents ? p.normalize() : p.getParent() == null ? p : p.getParent();
      String base = contents || p.getParent() == null ? "." : p.getFileName().toString();
      try (Fd dir = Linux.open(parent.toString(), O_PATH | O_DIRECTORY, 0);
          TarWriter tar = new TarWriter(out)) {
        new TreeTar(tar, false).write(dir, base, as);
      }
    } catch (IOException e) {
      throw new EngineException(ErrorCategory.INTERNAL, "copy " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Extracts the tar {@code in} into the host directory {@code dir}, every entry resolved inside
   * it; {@code owner} {uid, gid} replaces the tar's owners (null keeps them, docker cp -a).
   */
  public static void extract(InputStream in, String dir, int[] owner) throws BerthException {
    try (Fd d = Linux.open(dir, O_PATH | O_DIRECTORY, 0)) {
      LayerUnpacker unpacker =
          owner == null ? new LayerUnpacker() : new LayerUnpacker().withOwner(owner[0], owner[1]);
      unpacker.unpack(in, Compression.NONE, d, Mode.PLAIN);
    } catch (UnpackException e) {
      throw new EngineException(
          ErrorCategory.INVALID_ARGUMENT, "copy to " + dir + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new EngineException(
          ErrorCategory.INTERNAL, "copy to " + dir + ": " + e.getMessage(), e);
    }
  }

  private static String base(String path) {
    String p = path;
    while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
    return p.substring(p.lastIndexOf('/') + 1);
  }
}
