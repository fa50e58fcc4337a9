package dev.berth.image.snapshot;

import dev.berth.image.dirs.PrivateDirs;
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

  /**
   * Overlay when the kernel and root's filesystem can do it, else copy; {@value #ENV}=copy forces
   * copy.
   */
  public static Snapshotter open(Path root) throws IOException {
    return open(root, "copy".equals(System.getenv(ENV)));
  }

  /**
   * The kind is chosen once, when the store is new, and recorded in {@code root/driver}: snapshots
   * of one kind are useless to the other, and probing mounts an overlay, which is too slow for
   * every CLI start.
   */
  public static Snapshotter open(Path root, boolean forceCopy) throws IOException {
    PrivateDirs.ensure(root);
    Path driver = root.resolve("driver");
    String kind;
    if (Files.isRegularFile(driver)) {
      kind = Files.readString(driver).strip();
    } else {
      kind = !forceCopy && overlayWorks(root) ? "overlay" : "copy";
      Path tmp = Files.createTempFile(root, ".driver", ".tmp");
      Files.writeString(tmp, kind + "\n");
      try {
        // First writer wins; a racing one reads what the first chose.
        Files.createLink(driver, tmp);
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        kind = Files.readString(driver).strip();
      } finally {
        Files.delete(tmp);
      }
    }
    return switch (kind) {
      case "overlay" -> {
        if (forceCopy) {
          throw new IOException(
              "snapshots in "
                  + root
                  + " are overlay layers: "
                  + ENV
                  + "=copy applies to new stores");
        }
        yield new OverlaySnapshotter(root);
      }
      case "copy" -> new CopySnapshotter(root);
      default ->
          throw new IOException(
              driver + ": unknown snapshotter \"" + kind + "\" (want overlay or copy)");
    };
  }

  /**
   * Whether the snapshots at {@code root} have a trash to empty ({@link Snapshotter#trash}): a
   * directory listing, without opening (or, for a new root, probing) a snapshotter.
   */
  public static boolean hasTrash(Path root) throws IOException {
    return DirSnapshotter.hasTrash(root);
  }

  /**
   * Whether overlayfs works with layers under {@code root}: a tiny two-layer overlay with an opaque
   * directory (the trusted.* xattr it needs) is mounted and unmounted in a temporary directory
   * there. Probed once per root.
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
      Linux.mount(
          "overlay",
          m.toString(),
          "overlay",
          dev.berth.sys.LinuxConstants.MS_RDONLY,
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
