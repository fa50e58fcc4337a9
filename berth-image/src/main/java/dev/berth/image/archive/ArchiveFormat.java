package dev.berth.image.archive;

/** The archive formats of save and load, named as podman names them. */
public enum ArchiveFormat {
  /** A tar of an OCI image layout (oci-layout, index.json, blobs/). */
  OCI_ARCHIVE("oci-archive"),
  /** docker save's format: manifest.json, configs and uncompressed layer tars. */
  DOCKER_ARCHIVE("docker-archive");

  private final String flag;

  ArchiveFormat(String flag) {
    this.flag = flag;
  }

  public String flag() {
    return flag;
  }

  public static ArchiveFormat of(String flag) {
    for (ArchiveFormat f : values()) if (f.flag.equals(flag)) return f;
    throw new IllegalArgumentException(
        "unknown archive format \"" + flag + "\": want oci-archive or docker-archive");
  }
}
