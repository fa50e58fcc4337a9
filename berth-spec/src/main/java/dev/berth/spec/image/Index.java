package dev.berth.spec.image;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An image index: an OCI image index (also the {@code index.json} of an OCI layout) or a Docker
 * manifest list. {@code mediaType} and {@code artifactType} are "" when absent, {@code subject} is
 * null when absent.
 */
public record Index(
    int schemaVersion,
    String mediaType,
    String artifactType,
    List<Descriptor> manifests,
    Descriptor subject,
    Map<String, String> annotations) {

  public Index {
    mediaType = mediaType == null ? "" : mediaType;
    artifactType = artifactType == null ? "" : artifactType;
    manifests = manifests == null ? List.of() : List.copyOf(manifests);
    annotations =
        annotations == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(annotations));
  }

  /** An OCI image index of these manifests, schema version 2, no subject or annotations. */
  public static Index oci(List<Descriptor> manifests) {
    return new Index(2, MediaTypes.OCI_INDEX, "", manifests, null, Map.of());
  }

  /**
   * A copy with these manifests, everything else kept (an OCI layout's index.json gains or loses an
   * image).
   */
  public Index withManifests(List<Descriptor> newManifests) {
    return new Index(schemaVersion, mediaType, artifactType, newManifests, subject, annotations);
  }
}
