package dev.berth.spec.image;

/** The media types of OCI and Docker image content that Berth reads and writes. */
public final class MediaTypes {
  private MediaTypes() {}

  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
  public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  public static final String OCI_LAYER_NONDIST =
      "application/vnd.oci.image.layer.nondistributable.v1.tar";
  public static final String OCI_LAYER_NONDIST_GZIP =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
  public static final String OCI_LAYER_NONDIST_ZSTD =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
  public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";

  public static final String DOCKER_MANIFEST =
      "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER_GZIP =
      "application/vnd.docker.image.rootfs.diff.tar.gzip";
  public static final String DOCKER_LAYER_FOREIGN_GZIP =
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  /**
   * Schema 1 manifests are refused (deprecated, unsigned content addressing); named here to say so
   * clearly.
   */
  public static final String DOCKER_SCHEMA1 =
      "application/vnd.docker.distribution.manifest.v1+json";

  public static final String DOCKER_SCHEMA1_SIGNED =
      "application/vnd.docker.distribution.manifest.v1+prettyjws";

  /** How a layer blob is compressed. */
  public enum Compression {
    NONE,
    GZIP,
    ZSTD
  }

  public static boolean isIndex(String mediaType) {
    return OCI_INDEX.equals(mediaType) || DOCKER_MANIFEST_LIST.equals(mediaType);
  }

  public static boolean isManifest(String mediaType) {
    return OCI_MANIFEST.equals(mediaType) || DOCKER_MANIFEST.equals(mediaType);
  }

  public static boolean isLayer(String mediaType) {
    return layerCompression(mediaType) != null;
  }

  /** The compression of a layer media type, or null when it is not a layer type we unpack. */
  public static Compression layerCompression(String mediaType) {
    return switch (mediaType) {
      case OCI_LAYER, OCI_LAYER_NONDIST, "application/vnd.docker.image.rootfs.diff.tar" ->
          Compression.NONE;
      case OCI_LAYER_GZIP, OCI_LAYER_NONDIST_GZIP, DOCKER_LAYER_GZIP, DOCKER_LAYER_FOREIGN_GZIP ->
          Compression.GZIP;
      case OCI_LAYER_ZSTD, OCI_LAYER_NONDIST_ZSTD -> Compression.ZSTD;
      default -> null;
    };
  }
}
