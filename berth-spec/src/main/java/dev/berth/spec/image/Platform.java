package dev.berth.spec.image;

import java.util.List;

/** The platform an image runs on (image-spec index "platform"). */
public record Platform(
    String os, String architecture, String variant, String osVersion, List<String> osFeatures) {

  public Platform {
    os = os == null ? "" : os;
    architecture = architecture == null ? "" : architecture;
    variant = variant == null ? "" : variant;
    osVersion = osVersion == null ? "" : osVersion;
    osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
  }

  public Platform(String os, String architecture, String variant) {
    this(os, architecture, variant, "", List.of());
  }

  /** "os/arch" or "os/arch/variant", as docker and podman print and parse it. */
  @Override
  public String toString() {
    return variant.isEmpty() ? os + "/" + architecture : os + "/" + architecture + "/" + variant;
  }
}
