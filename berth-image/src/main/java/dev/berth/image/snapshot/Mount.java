package dev.berth.image.snapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * A mount to perform, as a snapshotter describes it (the caller mounts: {@link Mounts#mount}).
 * {@code type} "bind" is a bind mount of {@code source} ("rbind" in options for a recursive one,
 * "ro" to make it read-only); anything else is a filesystem type such as "overlay", whose options
 * are flags (ro, nosuid, nodev, noexec) or data ("lowerdir=..").
 */
public record Mount(String type, String source, List<String> options) {
  public Mount {
    options = List.copyOf(options);
  }

  /** This mount with {@code more} options after its own. */
  public Mount withOptions(String... more) {
    List<String> all = new ArrayList<>(options);
    all.addAll(List.of(more));
    return new Mount(type, source, all);
  }
}
