package dev.berth.image.store;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import java.time.Instant;

/**
 * A named image: {@code name} (a canonical reference, e.g. {@code docker.io/library/busybox:latest}
 * or {@code name@sha256:..}; the store does not parse it) points at {@code target}, the manifest or
 * index in the content store. {@code config} is the digest of the image config, what docker shows
 * as the image ID; null when the target is an index with no platform chosen.
 */
public record ImageRecord(String name, Descriptor target, Digest config, Instant created) {
  public ImageRecord {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("image record: name is required");
    }
    if (target == null) {
      throw new IllegalArgumentException("image record " + name + ": target is required");
    }
    if (created == null) {
      throw new IllegalArgumentException("image record " + name + ": created is required");
    }
  }
}
