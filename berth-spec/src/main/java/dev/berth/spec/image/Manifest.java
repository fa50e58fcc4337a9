package dev.berth.spec.image;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An image manifest: an OCI image manifest or a Docker schema 2 manifest, which share one shape
 * (config, layers). {@code mediaType} and {@code artifactType} are "" when absent, {@code subject}
 * is null when absent.
 */
public record Manifest(
    int schemaVersion,
    String mediaType,
    String artifactType,
    Descriptor config,
    List<Descriptor> layers,
    Descriptor subject,
    Map<String, String> annotations) {

  public Manifest {
    mediaType = mediaType == null ? "" : mediaType;
    artifactType = artifactType == null ? "" : artifactType;
    if (config == null) {
      throw new IllegalArgumentException("manifest: config is required");
    }
    layers = layers == null ? List.of() : List.copyOf(layers);
    annotations =
        annotations == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(annotations));
  }

  /**
   * An OCI image manifest of this config and these layers, schema version 2, no subject or
   * annotations.
   */
  public static Manifest oci(Descriptor config, List<Descriptor> layers) {
    return new Manifest(2, MediaTypes.OCI_MANIFEST, "", config, layers, null, Map.of());
  }

  /** True for a Docker schema 2 manifest, false for an OCI one (or one that does not say). */
  public boolean isDocker() {
    return MediaTypes.DOCKER_MANIFEST.equals(mediaType);
  }
}
