package dev.berth.engine.volume;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A volume of the local driver, as {@code docker volume inspect} shows it.
 *
 * @param name docker's rule {@code [a-zA-Z0-9][a-zA-Z0-9_.-]+}; 64 random hex digits for an
 *     anonymous volume
 * @param driver always "local"
 * @param created when it was created
 * @param labels the user's labels
 * @param options the local driver's options ({@link VolumeOptions}): type, device, o
 * @param anonymous made for one container (an image's VOLUME, {@code -v /path}); {@code volume
 *     prune} removes these by default (docker 23+), and {@code rm -v} with their container
 * @param needsCopyUp the image's content at the mount target has not been copied in yet: true from
 *     create until the first {@link VolumeStore#copyUp}, so a volume is filled at most once
 * @param mountpoint the directory mounted into containers ({@code <root>/volumes/<name>/_data})
 */
public record Volume(
    String name,
    String driver,
    Instant created,
    Map<String, String> labels,
    Map<String, String> options,
    boolean anonymous,
    boolean needsCopyUp,
    Path mountpoint) {
  public static final String LOCAL = "local";

  public Volume {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    options = options == null ? Map.of() : Map.copyOf(options);
  }

  Volume copiedUp() {
    return new Volume(name, driver, created, labels, options, anonymous, false, mountpoint);
  }
}
