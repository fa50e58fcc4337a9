package dev.berth.testkit.image;

import dev.berth.testkit.Exec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Debian's umoci as the reference unpacker: what berth unpacks is compared with what umoci unpacks.
 */
public final class Umoci {
  public static final String BINARY = "/usr/bin/umoci";

  private Umoci() {}

  /**
   * {@code umoci unpack --image layout:tag bundle} (as root, so owners, devices and xattrs are
   * applied); returns the bundle's rootfs. {@code bundle} must not exist yet. Throws AssertionError
   * with umoci's stderr when it fails.
   */
  public static Path unpack(Path layout, String tag, Path bundle) {
    Exec.run(
            List.of(BINARY, "unpack", "--image", layout + ":" + tag, bundle.toString()),
            null,
            Map.of(),
            null,
            600)
        .ok();
    return bundle.resolve("rootfs");
  }
}
