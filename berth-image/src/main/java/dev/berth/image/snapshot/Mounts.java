package dev.berth.image.snapshot;

import static dev.berth.sys.LinuxConstants.MS_BIND;
import static dev.berth.sys.LinuxConstants.MS_NODEV;
import static dev.berth.sys.LinuxConstants.MS_NOEXEC;
import static dev.berth.sys.LinuxConstants.MS_NOSUID;
import static dev.berth.sys.LinuxConstants.MS_RDONLY;
import static dev.berth.sys.LinuxConstants.MS_REC;
import static dev.berth.sys.LinuxConstants.MS_REMOUNT;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.sys.Stat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Performs a snapshotter's {@link Mount}s, and undoes them. */
public final class Mounts {
  /** The kernel copies mount data into one page: longer option strings fail with EINVAL. */
  static final int MAX_DATA = 4095;

  private Mounts() {}

  /**
   * Mounts each of {@code mounts} on {@code target}, in order; on a failure the ones done are
   * unmounted.
   */
  public static void mount(List<Mount> mounts, Path target) throws IOException {
    String t = target.toString();
    int done = 0;
    try {
      for (Mount m : mounts) {
        mountOne(m, t);
        done++;
      }
    } catch (IOException | RuntimeException e) {
      for (int i = 0; i < done; i++) {
        try {
          Linux.umount2(t, 0);
        } catch (ErrnoException x) {
          e.addSuppressed(x);
        }
      }
      throw e;
    }
  }

  private static void mountOne(Mount m, String target) throws IOException {
    long flags = 0;
    List<String> data = new ArrayList<>();
    boolean recursive = false;
    for (String o : m.options()) {
      switch (o) {
        case "ro" -> flags |= MS_RDONLY;
        case "rw" -> {}
        case "nosuid" -> flags |= MS_NOSUID;
        case "nodev" -> flags |= MS_NODEV;
        case "noexec" -> flags |= MS_NOEXEC;
        case "rbind" -> recursive = true;
        case "bind" -> {}
        default -> data.add(o);
      }
    }
    if (m.type().equals("bind")) {
      bind(m.source(), target, recursive, flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
      return;
    }
    String d = String.join(",", data);
    int len = d.getBytes(StandardCharsets.UTF_8).length;
    if (len > MAX_DATA) {
      throw new IOException(
          "mount "
              + m.type()
              + " on "
              + target
              + ": options are "
              + len
              + " bytes, over the "
              + MAX_DATA
              + " the kernel accepts (too many layers, or snapshot root path too long)");
    }
    Linux.mount(m.source(), target, m.type(), flags, d.isEmpty() ? null : d);
  }

  /**
   * Mounts {@code mounts} on {@code target} as {@link #mount} does, their files' owners shown
   * through the user namespace {@code userns} (a namespace file): what a container in that
   * namespace needs to see its image's files owned by its own root. Overlayfs cannot be idmapped
   * itself, but its lower layers can: each is a detached idmapped copy attached under {@code
   * scratch} (made here, emptied and removed before returning) while the overlay is made, which
   * keeps private references to them. Its upper directory is not idmapped: what the container
   * writes is stored with the ids the host sees, and its root is given to the namespace's root
   * ({@code rootUid}/{@code rootGid}, host ids; -1 to leave it) since the overlay's root shows the
   * upper directory's owner. A bind (a snapshot without layers, or a copy) is idmapped whole.
   * Kernel 5.19 or later; on a failure nothing stays mounted.
   */
  public static void mountIdmapped(
      List<Mount> mounts, Path target, Path userns, Path scratch, int rootUid, int rootGid)
      throws IOException {
    if (mounts.size() != 1)
      throw new IOException("idmapped mount on " + target + ": want one mount, got " + mounts);
    Mount m = mounts.getFirst();
    try (Fd ns = Linux.open(userns.toString(), LinuxConstants.O_RDONLY, 0)) {
      if (m.type().equals("bind")) {
        boolean recursive = m.options().contains("rbind");
        try (Fd tree = Linux.openTreeClone(m.source(), recursive)) {
          Linux.idmapMount(tree, ns, recursive);
          Linux.moveMount(tree, target.toString());
        }
        remountBind(target.toString(), bindFlags(m.options()));
        return;
      }
      if (!m.type().equals("overlay"))
        throw new IOException("idmapped mount on " + target + ": cannot idmap a " + m.type());
      List<Path> attached = new ArrayList<>();
      clearScratch(scratch); // what a start that crashed half-way left
      java.nio.file.Files.createDirectories(scratch);
      try {
        List<String> options = new ArrayList<>();
        for (String o : m.options()) {
          if (o.startsWith("upperdir=") && rootUid >= 0) {
            String upper = o.substring("upperdir=".length());
            Stat st = Linux.lstat(upper);
            // Only a root the host's root owns, as the snapshotter made it: never one the
            // container has already been given (or changed).
            if (st.uid() == 0 && st.gid() == 0) Linux.lchown(upper, rootUid, rootGid);
          }
          if (!o.startsWith("lowerdir=")) {
            options.add(o);
            continue;
          }
          List<String> lowers = new ArrayList<>();
          for (String lower : o.substring("lowerdir=".length()).split(":")) {
            Path at = scratch.resolve(Integer.toString(attached.size()));
            java.nio.file.Files.createDirectory(at);
            try (Fd tree = Linux.openTreeClone(lower, false)) {
              Linux.idmapMount(tree, ns, false);
              Linux.moveMount(tree, at.toString());
            } catch (IOException e) {
              java.nio.file.Files.delete(at);
              throw e;
            }
            attached.add(at);
            lowers.add(at.toString());
          }
          options.add("lowerdir=" + String.join(":", lowers));
        }
        mountOne(new Mount(m.type(), m.source(), options), target.toString());
      } finally {
        IOException failed = null;
        for (Path at : attached) {
          try {
            Linux.umount2(at.toString(), LinuxConstants.MNT_DETACH);
            java.nio.file.Files.delete(at);
          } catch (IOException e) {
            if (failed == null) failed = e;
          }
        }
        try {
          java.nio.file.Files.deleteIfExists(scratch);
        } catch (IOException e) {
          if (failed == null) failed = e;
        }
        if (failed != null) throw failed;
      }
    }
  }

  /** Detaches and removes what an earlier {@link #mountIdmapped} left in {@code scratch}. */
  private static void clearScratch(Path scratch) throws IOException {
    if (!java.nio.file.Files.isDirectory(scratch, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
    try (var entries = java.nio.file.Files.list(scratch)) {
      for (Path at : entries.toList()) {
        try {
          Linux.umount2(at.toString(), LinuxConstants.MNT_DETACH | LinuxConstants.UMOUNT_NOFOLLOW);
        } catch (ErrnoException e) {
          if (e.errno() != LinuxConstants.EINVAL) throw e; // not mounted
        }
        java.nio.file.Files.delete(at);
      }
    }
    java.nio.file.Files.delete(scratch);
  }

  /**
   * A bind of {@code source} on {@code target} ({@code recursive}: with the mounts under it), then
   * {@code flags} (read-only, nosuid, an atime mode...) by a remount, since a bind ignores every
   * flag but MS_REC; if the remount fails the bind goes.
   */
  public static void bind(String source, String target, boolean recursive, long flags)
      throws IOException {
    Linux.mount(source, target, null, MS_BIND | (recursive ? MS_REC : 0), null);
    remountBind(target, flags);
  }

  private static void remountBind(String target, long flags) throws IOException {
    if (flags == 0) return;
    try {
      Linux.mount(null, target, null, MS_BIND | MS_REMOUNT | flags, null);
    } catch (IOException e) {
      Linux.umount2(target, LinuxConstants.MNT_DETACH);
      throw e;
    }
  }

  /** The flags of ro, nosuid, nodev, noexec in {@code options}. */
  private static long bindFlags(List<String> options) {
    long flags = 0;
    for (String o : options) {
      switch (o) {
        case "ro" -> flags |= MS_RDONLY;
        case "nosuid" -> flags |= MS_NOSUID;
        case "nodev" -> flags |= MS_NODEV;
        case "noexec" -> flags |= MS_NOEXEC;
        default -> {}
      }
    }
    return flags;
  }

  /**
   * How long {@link #unmount} retries a busy mount: a process forked meanwhile (by this JVM or
   * another engine's) holds copies of the fds open at that instant, one of them maybe a file read
   * inside the mount a moment ago, until its exec closes them. containerd retries alike (50 times,
   * 50 ms apart).
   */
  static final long BUSY_RETRY_MS = 2_500;

  /** Unmounts everything stacked on {@code target}. */
  public static void unmount(Path target) throws IOException {
    String t = target.toString();
    long deadline = System.nanoTime() + BUSY_RETRY_MS * 1_000_000;
    long pause = 5;
    for (int i = 0; ; ) {
      try {
        Linux.umount2(t, LinuxConstants.UMOUNT_NOFOLLOW);
        i++;
      } catch (ErrnoException e) {
        if (e.errno() == LinuxConstants.EINVAL && i > 0) return; // nothing (more) mounted there
        if (e.errno() != LinuxConstants.EBUSY || System.nanoTime() > deadline) throw e;
        try {
          Thread.sleep(pause);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          throw e;
        }
        pause = Math.min(pause * 2, 50);
      }
    }
  }
}
