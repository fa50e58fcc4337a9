package dev.berth.image.snapshot;

import static dev.berth.sys.LinuxConstants.MS_BIND;
import static dev.berth.sys.LinuxConstants.MS_NODEV;
import static dev.berth.sys.LinuxConstants.MS_NOEXEC;
import static dev.berth.sys.LinuxConstants.MS_NOSUID;
import static dev.berth.sys.LinuxConstants.MS_RDONLY;
import static dev.berth.sys.LinuxConstants.MS_REC;
import static dev.berth.sys.LinuxConstants.MS_REMOUNT;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
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
      Linux.mount(m.source(), target, null, MS_BIND | (recursive ? MS_REC : 0), null);
      // A bind ignores every flag but MS_REC: read-only and the rest take a remount of the bind.
      long extra = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      if (extra != 0) {
        try {
          Linux.mount(null, target, null, MS_BIND | MS_REMOUNT | extra, null);
        } catch (IOException e) {
          Linux.umount2(target, LinuxConstants.MNT_DETACH);
          throw e;
        }
      }
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
