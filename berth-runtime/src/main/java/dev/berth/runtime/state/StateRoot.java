package dev.berth.runtime.state;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;

/**
 * The runtime's root directory ({@code --root}), made as runc makes it before every verb: with its
 * missing parents, mode 0700 (it holds every container's state and config, for root alone), and
 * refused when the path names anything but a directory. A file given as the root is an error naming
 * it, never an empty list of containers.
 */
public final class StateRoot {
  private StateRoot() {}

  /**
   * Makes {@code root} if missing (Go's MkdirAll, as runc calls it): a file on the way fails with
   * "mkdir PATH: not a directory", a dangling or looping symlink with "mkdir PATH: file exists".
   */
  public static void ensure(String root) throws ErrnoException {
    // The common case, the root is there: one stat.
    Stat st;
    try {
      st = Linux.stat(root);
    } catch (ErrnoException e) {
      st = null; // ENOENT, ENOTDIR or ELOOP on the way: make the parents, then see what mkdir says
    }
    if (st != null) {
      if (st.isDirectory()) return;
      throw new ErrnoException(LinuxConstants.ENOTDIR, "mkdir", root);
    }
    int slash = root.lastIndexOf('/');
    if (slash > 0) ensure(root.substring(0, slash));
    try {
      Linux.mkdir(root, 0700);
    } catch (ErrnoException e) {
      // Another process made it meanwhile; a symlink that leads nowhere is "file exists", as in
      // runc.
      if (e.errno() == LinuxConstants.EEXIST && Linux.lstat(root).isDirectory()) return;
      throw new ErrnoException(e.errno(), "mkdir", root);
    }
  }
}
