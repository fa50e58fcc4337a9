package dev.berth.image.dirs;

import static dev.berth.sys.LinuxConstants.EEXIST;
import static dev.berth.sys.LinuxConstants.ENOENT;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Directories of the store: mode 0700, owned by the store's user (root for the system store), as
 * podman's graph root is. The store holds layers with setuid-root binaries, devices and
 * world-writable directories, and private images' blobs: a host user who could reach them could
 * run, open or write them (CVE-2021-41091's class). So nothing under the store is reachable but by
 * its owner, and only our code decides a store directory's owner and mode; a layer's metadata
 * decides those of the directories inside its own tree (snapshots/N/fs and below), which sit under
 * a private snapshot directory.
 */
public final class PrivateDirs {
  public static final int MODE = 0700;

  private PrivateDirs() {}

  /**
   * Makes {@code dir} (and missing parents) private, or checks an existing one: it must be ours
   * (another user owning it could open it again: refused, naming it), and a looser mode, left by an
   * older berth or by hand, is tightened. True when the directory was made or tightened, so a
   * caller can tighten what it holds too.
   */
  public static boolean ensure(Path dir) throws IOException {
    Stat st;
    try {
      st = Linux.stat(dir.toString());
    } catch (ErrnoException e) {
      if (e.errno() != ENOENT) throw e;
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) ensureParent(parent);
      if (create(dir)) return true;
      st = Linux.stat(dir.toString()); // another process made it first
    }
    if (!st.isDirectory()) throw new IOException("store directory " + dir + " is not a directory");
    int us = Linux.geteuid();
    if (st.uid() != us) {
      throw new IOException(
          "store directory "
              + dir
              + " is owned by uid "
              + st.uid()
              + ", not by uid "
              + us
              + " who runs berth: chown it or use another --root");
    }
    if (st.permissions() == MODE) return false;
    Linux.chmod(dir.toString(), MODE);
    return true;
  }

  /** Makes one private directory in a parent that exists; false when {@code dir} exists already. */
  public static boolean create(Path dir) throws IOException {
    try {
      Linux.mkdir(dir.toString(), MODE);
    } catch (ErrnoException e) {
      if (e.errno() == EEXIST) return false;
      throw e;
    }
    Linux.chmod(dir.toString(), MODE); // mkdir's mode went through the umask
    return true;
  }

  /**
   * Missing parents of a store root are made private too (podman's graph root is made so); existing
   * ones are left.
   */
  private static void ensureParent(Path dir) throws IOException {
    try {
      Linux.stat(dir.toString());
      return;
    } catch (ErrnoException e) {
      if (e.errno() != ENOENT) throw e;
    }
    Path parent = dir.getParent();
    if (parent != null) ensureParent(parent);
    create(dir);
  }
}
