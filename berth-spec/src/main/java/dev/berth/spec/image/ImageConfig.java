package dev.berth.spec.image;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An image configuration: the OCI image config, which is also the Docker image JSON (Docker adds
 * fields of its own, such as {@code container_config}; they are skipped on reading). {@code
 * created} is the RFC 3339 text as given, "" when absent; every other string is "" when absent.
 */
public record ImageConfig(
    String created,
    String author,
    String architecture,
    String os,
    String osVersion,
    List<String> osFeatures,
    String variant,
    ContainerConfig config,
    RootFs rootfs,
    List<History> history) {

  public ImageConfig {
    created = created == null ? "" : created;
    author = author == null ? "" : author;
    architecture = architecture == null ? "" : architecture;
    os = os == null ? "" : os;
    osVersion = osVersion == null ? "" : osVersion;
    osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    variant = variant == null ? "" : variant;
    config = config == null ? ContainerConfig.EMPTY : config;
    if (rootfs == null) {
      throw new IllegalArgumentException("image config: rootfs is required");
    }
    history = history == null ? List.of() : List.copyOf(history);
  }

  /** The platform this image says it runs on. */
  public Platform platform() {
    return new Platform(os, architecture, variant, osVersion, osFeatures);
  }

  /**
   * The defaults for a container of this image (image-spec "config", Docker's "config"). {@code
   * entrypoint} and {@code cmd} are null when absent and empty when given as {@code []}: Docker
   * tells them apart (an image that resets its parent's entrypoint says {@code []}). Ports and
   * volumes are the keys of their JSON objects, sorted. {@code healthcheck} is null when absent.
   */
  public record ContainerConfig(
      String user,
      Set<String> exposedPorts,
      List<String> env,
      List<String> entrypoint,
      List<String> cmd,
      Set<String> volumes,
      String workingDir,
      Map<String, String> labels,
      String stopSignal,
      boolean argsEscaped,
      Healthcheck healthcheck) {

    public static final ContainerConfig EMPTY =
        new ContainerConfig("", null, null, null, null, null, "", null, "", false);

    /** A config without a healthcheck. */
    public ContainerConfig(
        String user,
        Set<String> exposedPorts,
        List<String> env,
        List<String> entrypoint,
        List<String> cmd,
        Set<String> volumes,
        String workingDir,
        Map<String, String> labels,
        String stopSignal,
        boolean argsEscaped) {
      this(
          user,
          exposedPorts,
          env,
          entrypoint,
          cmd,
          volumes,
          workingDir,
          labels,
          stopSignal,
          argsEscaped,
          null);
    }

    public ContainerConfig {
      user = user == null ? "" : user;
      exposedPorts = sortedSet(exposedPorts);
      env = env == null ? List.of() : List.copyOf(env);
      entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
      cmd = cmd == null ? null : List.copyOf(cmd);
      volumes = sortedSet(volumes);
      workingDir = workingDir == null ? "" : workingDir;
      labels = labels == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(labels));
      stopSignal = stopSignal == null ? "" : stopSignal;
    }

    private static Set<String> sortedSet(Set<String> set) {
      return set == null
          ? Collections.emptySortedSet()
          : Collections.unmodifiableSortedSet(new TreeSet<>(set));
    }
  }

  /**
   * The layers' uncompressed digests, bottom first; {@code type} is "layers" in every valid image.
   */
  public record RootFs(String type, List<Digest> diffIds) {
    public RootFs {
      type = type == null ? "" : type;
      diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
    }

    public static RootFs layers(List<Digest> diffIds) {
      return new RootFs("layers", diffIds);
    }
  }

  /**
   * One step of the image's build; {@code emptyLayer} steps have no entry in {@code
   * rootfs.diffIds}.
   */
  public record History(
      String created, String createdBy, String author, String comment, boolean emptyLayer) {
    public History {
      created = created == null ? "" : created;
      createdBy = createdBy == null ? "" : createdBy;
      author = author == null ? "" : author;
      comment = comment == null ? "" : comment;
    }
  }
}
