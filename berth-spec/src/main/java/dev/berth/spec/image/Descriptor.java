package dev.berth.spec.image;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A content descriptor (image-spec "Descriptor"): what a manifest, index or layout points at.
 * {@code platform} is null when absent; {@code size} is never negative.
 */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    List<String> urls,
    Map<String, String> annotations,
    Platform platform,
    String artifactType) {

  public Descriptor {
    mediaType = mediaType == null ? "" : mediaType;
    if (digest == null) {
      throw new IllegalArgumentException("descriptor: digest is required");
    }
    if (size < 0) {
      throw new IllegalArgumentException("descriptor " + digest + ": negative size " + size);
    }
    urls = urls == null ? List.of() : List.copyOf(urls);
    annotations =
        annotations == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    artifactType = artifactType == null ? "" : artifactType;
  }

  public Descriptor(String mediaType, Digest digest, long size) {
    this(mediaType, digest, size, List.of(), Map.of(), null, "");
  }

  public Descriptor withAnnotations(Map<String, String> more) {
    return new Descriptor(mediaType, digest, size, urls, more, platform, artifactType);
  }
}
