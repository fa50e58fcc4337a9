package dev.berth.image.snapshot;

import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Picks the snapshotter for a root directory. */
public final class Snapshotters {
  /** Set to "copy" to use the copy snapshotter even where overlayfs works. */
  public static final String ENV = "BERTH_SNAPSHOTTER";

  private static final Map<Path, Boolean> PROBED = new ConcurrentHashMap<>();

  private Snapshotters() {}

  /** Overlay when the kernel and root's filesystem can do it, else copy; {@value #ENV}=copy forces copy. */
  public static Snapshotter open(Path root) throws IOException {
    return open(root, "copy".equals(System.getenv(ENV)));
  }

  public static Snapshotter open(Path root, boolean forceCopy) throws IOException {
    Files.createDirectories(root);
    if (!forceCopy && overlayWorks(root)) return new OverlaySnapshotter(root);
    return new CopySnapshotter(root);
  }

  /**
   * Whether overlayfs works with layers under {@code root}: a tiny two-layer overlay with an opaque directory (the
   * trusted.* xattr it needs) is mounted and unmounted in a temporary directory there. Probed once per root.
   */
  public static boolean overlayWorks(Path root) {
    return PROBED.computeIfAbsent(root.toAbsolutePath().normalize(), Snapshotters::probe);
  }

  private static boolean probe(Path root) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory(root, "probe-");
      Path l1 = Files.createDirectories(dir.resolve("1/d"));
      Path l2 = Files.createDirectories(dir.resolve("2/d"));
      Files.writeString(l2.resolve("hidden"), "x");
      Path m = Files.createDirectory(dir.resolve("m"));
      Linux.lsetxattr(l1.toString(), "trusted.overlay.opaque", new byte[] {'y'}, 0);
      Linux.mount("overlay", m.toString(), "overlay", dev.berth.sys.LinuxConstants.MS_RDONLY,
          "lowerdir=" + dir.resolve("1") + ":" + dir.resolve("2"));
      try {
        return Files.isDirectory(m.resolve("d")) && !Files.exists(m.resolve("d/hidden"));
      } finally {
        Linux.umount2(m.toString(), dev.berth.sys.LinuxConstants.MNT_DETACH);
      }
    } catch (IOException | RuntimeException e) {
      return false;
    } finally {
      if (dir != null) {
        try {
          Trees.remove(dir);
        } catch (IOException ignored) {
          // a leftover probe dir is harmless
        }
      }
    }
  }
}
