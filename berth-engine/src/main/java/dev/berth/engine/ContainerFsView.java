package dev.berth.engine;

import static dev.berth.sys.LinuxConstants.AT_SYMLINK_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.ELOOP;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.MNT_DETACH;
import static dev.berth.sys.LinuxConstants.MS_BIND;
import static dev.berth.sys.LinuxConstants.MS_RDONLY;
import static dev.berth.sys.LinuxConstants.MS_REC;
import static dev.berth.sys.LinuxConstants.MS_REMOUNT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_PATH;
import static dev.berth.sys.LinuxConstants.POLLIN;
import static dev.berth.sys.LinuxConstants.RESOLVE_IN_ROOT;
import static dev.berth.sys.LinuxConstants.RESOLVE_NO_MAGICLINKS;
import static dev.berth.sys.LinuxConstants.S_IFREG;

import dev.berth.spec.runtime.Mount;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A container's filesystem as its processes see it, for cp (docker resolves a path through the
 * container's mount table): a running container's is its init's root, {@code /proc/PID/root}, whose
 * walks cross the container's own mounts (volumes, binds, tmpfs); a stopped container's is its
 * mounted rootfs with its volumes and binds mounted over it for the while (a tmpfs has no content
 * then). Mount points are resolved inside the root with openat2 (RESOLVE_IN_ROOT), as the runtime
 * does at start, so a symlink of the container's never places a mount on the host.
 */
final class ContainerFsView implements AutoCloseable {
  private static final long RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

  private final Fd root;
  private final List<Fd> mounted;

  private ContainerFsView(Fd root, List<Fd> mounted) {
    this.root = root;
    this.mounted = mounted;
  }

  /** An O_PATH directory fd of the view's "/" (this view's own). */
  Fd root() {
    return root;
  }

  /**
   * The root of process {@code pid}, a running container's init: refused (IOException) when the
   * process exits while it is opened, so a pid reused meanwhile is never taken for the container.
   */
  static ContainerFsView ofProcess(int pid) throws IOException {
    try (Fd pidfd = Linux.pidfdOpen(pid, 0)) {
      // No O_NOFOLLOW: /proc/PID/root is the magic link to follow.
      Fd root = Linux.open("/proc/" + pid + "/root", O_PATH | O_DIRECTORY, 0);
      short[] revents = new short[1];
      if (Linux.poll(new Fd[] {pidfd}, new short[] {POLLIN}, revents, 0) > 0) {
        root.close();
        throw new IOException("the container exited");
      }
      return new ContainerFsView(root, new ArrayList<>());
    }
  }

  /**
   * {@code rootfs} (a mounted directory of the host) with {@code binds} mounted over it, parents
   * first; a missing mount point is made (a directory, or an empty file for a file's bind), as the
   * runtime would make it at start. Undone by {@link #close}, also when a later bind fails.
   */
  static ContainerFsView withBinds(Path rootfs, List<Mount> binds) throws IOException {
    Fd root = Linux.open(rootfs.toString(), O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
    ContainerFsView view = new ContainerFsView(root, new ArrayList<>());
    try {
      for (Mount m : binds) view.bind(m);
      return view;
    } catch (IOException | RuntimeException e) {
      view.close();
      throw e;
    }
  }

  private void bind(Mount m) throws IOException {
    String dest = relative(m.destination());
    if (dest.isEmpty()) return; // a bind over "/" is no volume cp could mean
    boolean dir = Files.isDirectory(Path.of(m.source()));
    long flags = MS_BIND | (m.options().contains("bind") ? 0 : MS_REC);
    Stat source = Linux.stat(m.source());
    Fd top;
    try (Fd target = mountPoint(dest, dir)) {
      Linux.mount(m.source(), procPath(target), null, flags, null);
      // The new mount's top, reopened by its path (the target's fd still names the directory
      // under it): what a remount and the unmount act on. A running container that shares a
      // volume with this one may have swapped a component of that path meanwhile; then the path
      // leads elsewhere, and the bind, through the target's fd, is undone.
      top = Linux.openat2(root, dest, O_PATH, 0, RESOLVE);
      Stat st = Linux.fstat(top);
      if (st.dev() != source.dev() || st.ino() != source.ino()) {
        top.close();
        Linux.umount2(procPath(target), MNT_DETACH);
        throw new IOException(
            "mount "
                + m.source()
                + " at "
                + m.destination()
                + ": the mount point was moved while it was mounted");
      }
    }
    mounted.add(top);
    if (m.options().contains("ro")) {
      Linux.mount(null, procPath(top), null, MS_REMOUNT | MS_BIND | MS_RDONLY, null);
    }
  }

  /**
   * {@code dest} in the root, made when missing: its parents as directories, itself as asked. Links
   * on the way are followed as inside the root (an absolute one from the root, ".." never above
   * it), as the runtime resolves a mount's destination.
   */
  private Fd mountPoint(String dest, boolean dir) throws ErrnoException {
    ArrayDeque<String> rest = new ArrayDeque<>(List.of(dest.split("/")));
    String at = ""; // resolved so far: no links, no ".."
    int links = 0;
    while (!rest.isEmpty()) {
      String c = rest.pollFirst();
      if (c.isEmpty() || c.equals(".")) continue;
      if (c.equals("..")) {
        at = at.contains("/") ? at.substring(0, at.lastIndexOf('/')) : "";
        continue;
      }
      try (Fd parent =
          Linux.openat2(root, at.isEmpty() ? "." : at, O_PATH | O_DIRECTORY, 0, RESOLVE)) {
        Stat st;
        try {
          st = Linux.fstatat(parent, c, AT_SYMLINK_NOFOLLOW);
        } catch (ErrnoException e) {
          if (e.errno() != ENOENT) throw e;
          if (rest.isEmpty() && !dir) {
            Linux.mknodat(parent, c, S_IFREG | 0644, 0);
          } else {
            Linux.mkdirat(parent, c, 0755);
          }
          st = Linux.fstatat(parent, c, AT_SYMLINK_NOFOLLOW);
        }
        if (st.isSymlink()) {
          if (++links > 40) throw new ErrnoException(ELOOP, "resolve", dest);
          String target = Linux.readlink(procPath(parent) + "/" + c);
          if (target.startsWith("/")) at = "";
          List<String> parts = List.of(target.split("/"));
          for (String part : parts.reversed()) rest.addFirst(part);
          continue;
        }
      }
      at = at.isEmpty() ? c : at + "/" + c;
    }
    return Linux.openat2(root, at.isEmpty() ? "." : at, O_PATH, 0, RESOLVE);
  }

  private static String relative(String destination) {
    List<String> parts = new ArrayList<>();
    for (String c : destination.split("/")) {
      if (c.isEmpty() || c.equals(".")) continue;
      if (c.equals("..")) {
        if (!parts.isEmpty()) parts.removeLast();
      } else {
        parts.add(c);
      }
    }
    return String.join("/", parts);
  }

  private static String procPath(Fd fd) {
    return "/proc/self/fd/" + fd.fd();
  }

  /** Unmounts what this view mounted, innermost first, and closes its root. */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (Fd top : mounted.reversed()) {
      try {
        // Through the magic link of the mount's top, followed: exactly the mount made here.
        Linux.umount2(procPath(top), MNT_DETACH);
      } catch (ErrnoException e) {
        if (failure == null) failure = e;
      } finally {
        top.close();
      }
    }
    mounted.clear();
    root.close();
    if (failure != null) throw failure;
  }
}
