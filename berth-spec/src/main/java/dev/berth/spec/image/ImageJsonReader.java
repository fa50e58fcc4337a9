package dev.berth.spec.image;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The readers behind {@link ImageJson}, one per image-spec object, top down; each returns null for
 * JSON null. Go's encoding/json semantics as elsewhere in berth-spec (unknown fields skipped, null
 * means absent), plus the checks the image-spec makes on content that decides what is fetched and
 * where it is stored: required fields, digests of a supported algorithm, sizes that are not
 * negative.
 */
final class ImageJsonReader {
  private ImageJsonReader() {}

  static final String SCHEMA1_HINT =
      "schema 1 manifests are not supported (deprecated by Docker "
          + "since 2017): use a newer tag, or convert the image with a current tool, e.g. "
          + "skopeo copy --format v2s2";

  static Manifest manifest(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    Integer schemaVersion = null;
    String mediaType = "", artifactType = "";
    Descriptor config = null, subject = null;
    List<Descriptor> layers = null;
    Map<String, String> annotations = Map.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "schemaVersion" -> schemaVersion = schemaVersion(r);
        case "mediaType" -> {
          mediaType = r.string();
          refuseSchema1(r, mediaType);
          if (!mediaType.isEmpty() && !MediaTypes.isManifest(mediaType)) {
            throw r.error("\"" + mediaType + "\" is not an image manifest media type");
          }
        }
        case "artifactType" -> artifactType = r.string();
        case "config" -> config = descriptor(r);
        case "layers" -> layers = descriptors(r);
        case "subject" -> subject = descriptor(r);
        case "annotations" -> annotations = r.stringMap();
        default -> r.skip();
      }
    }
    requireSchemaVersion(r, schemaVersion);
    if (config == null) {
      throw missing(r, "config");
    }
    if (layers == null) {
      throw missing(r, "layers");
    }
    return new Manifest(
        schemaVersion, mediaType, artifactType, config, layers, subject, annotations);
  }

  static Index index(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    Integer schemaVersion = null;
    String mediaType = "", artifactType = "";
    Descriptor subject = null;
    List<Descriptor> manifests = null;
    Map<String, String> annotations = Map.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "schemaVersion" -> schemaVersion = schemaVersion(r);
        case "mediaType" -> {
          mediaType = r.string();
          refuseSchema1(r, mediaType);
          if (!mediaType.isEmpty() && !MediaTypes.isIndex(mediaType)) {
            throw r.error("\"" + mediaType + "\" is not an image index media type");
          }
        }
        case "artifactType" -> artifactType = r.string();
        case "manifests" -> manifests = descriptors(r);
        case "subject" -> subject = descriptor(r);
        case "annotations" -> annotations = r.stringMap();
        default -> r.skip();
      }
    }
    requireSchemaVersion(r, schemaVersion);
    if (manifests == null) {
      throw missing(r, "manifests");
    }
    return new Index(schemaVersion, mediaType, artifactType, manifests, subject, annotations);
  }

  static Descriptor descriptor(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String mediaType = "", artifactType = "";
    Digest digest = null;
    long size = -1;
    List<String> urls = List.of();
    Map<String, String> annotations = Map.of();
    Platform platform = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "mediaType" -> mediaType = r.string();
        case "digest" -> digest = digest(r);
        case "size" -> {
          size = r.int64();
          if (size < 0) {
            throw r.error("negative size " + size);
          }
        }
        case "urls" -> urls = r.strings();
        case "annotations" -> annotations = r.stringMap();
        case "platform" -> platform = platform(r);
        case "artifactType" -> artifactType = r.string();
        default -> r.skip(); // "data" (embedded content) is not kept: the blob is fetched by digest
      }
    }
    if (digest == null) {
      throw missing(r, "digest");
    }
    if (size < 0) {
      throw missing(r, "size");
    }
    return new Descriptor(mediaType, digest, size, urls, annotations, platform, artifactType);
  }

  static ImageConfig config(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String created = "", author = "", architecture = "", os = "", osVersion = "", variant = "";
    List<String> osFeatures = List.of();
    ImageConfig.ContainerConfig config = null;
    ImageConfig.RootFs rootfs = null;
    List<ImageConfig.History> history = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "created" -> created = r.string();
        case "author" -> author = r.string();
        case "architecture" -> architecture = r.string();
        case "os" -> os = r.string();
        case "os.version" -> osVersion = r.string();
        case "os.features" -> osFeatures = r.strings();
        case "variant" -> variant = r.string();
        case "config" -> config = containerConfig(r);
        case "rootfs" -> rootfs = rootfs(r);
        case "history" -> history = history(r);
        default -> r.skip(); // docker's container_config, docker_version, ...
      }
    }
    if (rootfs == null) {
      throw missing(r, "rootfs");
    }
    return new ImageConfig(
        created, author, architecture, os, osVersion, osFeatures, variant, config, rootfs, history);
  }

  // ---- parts ----

  private static List<Descriptor> descriptors(JsonReader r) throws SpecException {
    if (!r.beginArray()) {
      return null;
    }
    List<Descriptor> list = new ArrayList<>();
    while (r.nextElement()) {
      Descriptor d = descriptor(r);
      if (d == null) {
        throw r.error("expected a descriptor, got null");
      }
      list.add(d);
    }
    return list;
  }

  private static Platform platform(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String architecture = "", os = "", osVersion = "", variant = "";
    List<String> osFeatures = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "architecture" -> architecture = r.string();
        case "os" -> os = r.string();
        case "os.version" -> osVersion = r.string();
        case "os.features" -> osFeatures = r.strings();
        case "variant" -> variant = r.string();
        default -> r.skip();
      }
    }
    return new Platform(os, architecture, variant, osVersion, osFeatures);
  }

  private static ImageConfig.ContainerConfig containerConfig(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String user = "", workingDir = "", stopSignal = "";
    Set<String> exposedPorts = Set.of(), volumes = Set.of();
    List<String> env = List.of(), entrypoint = null, cmd = null;
    Map<String, String> labels = Map.of();
    boolean argsEscaped = false;
    Healthcheck healthcheck = null;
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "User" -> user = r.string();
        case "Healthcheck" -> healthcheck = Healthcheck.read(r);
        case "ExposedPorts" -> exposedPorts = keys(r);
        case "Env" -> env = r.strings();
        // null and absent are the same (null); [] is kept: docker distinguishes "not set" from
        // "reset"
        case "Entrypoint" -> entrypoint = r.isNull() ? null : r.strings();
        case "Cmd" -> cmd = r.isNull() ? null : r.strings();
        case "Volumes" -> volumes = keys(r);
        case "WorkingDir" -> workingDir = r.string();
        case "Labels" -> labels = r.stringMap();
        case "StopSignal" -> stopSignal = r.string();
        case "ArgsEscaped" -> argsEscaped = r.bool();
        default -> r.skip(); // OnBuild, Shell and docker's container fields
      }
    }
    return new ImageConfig.ContainerConfig(
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
        healthcheck);
  }

  private static ImageConfig.RootFs rootfs(JsonReader r) throws SpecException {
    if (!r.beginObject()) {
      return null;
    }
    String type = "";
    List<Digest> diffIds = List.of();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "type" -> type = r.string();
        case "diff_ids" -> {
          List<Digest> list = new ArrayList<>();
          if (r.beginArray()) {
            while (r.nextElement()) {
              list.add(digest(r));
            }
          }
          diffIds = list;
        }
        default -> r.skip();
      }
    }
    return new ImageConfig.RootFs(type, diffIds);
  }

  private static List<ImageConfig.History> history(JsonReader r) throws SpecException {
    List<ImageConfig.History> list = new ArrayList<>();
    if (!r.beginArray()) {
      return list;
    }
    while (r.nextElement()) {
      String created = "", createdBy = "", author = "", comment = "";
      boolean emptyLayer = false;
      if (r.beginObject()) {
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "created" -> created = r.string();
            case "created_by" -> createdBy = r.string();
            case "author" -> author = r.string();
            case "comment" -> comment = r.string();
            case "empty_layer" -> emptyLayer = r.bool();
            default -> r.skip();
          }
        }
      }
      list.add(new ImageConfig.History(created, createdBy, author, comment, emptyLayer));
    }
    return list;
  }

  // The keys of an object whose values do not matter ({"80/tcp": {}}), as Go's map[string]struct{}.
  private static Set<String> keys(JsonReader r) throws SpecException {
    Set<String> keys = new LinkedHashSet<>();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        keys.add(f);
        r.skip();
      }
    }
    return keys;
  }

  static Digest digest(JsonReader r) throws SpecException {
    String s = r.string();
    try {
      return Digest.parse(s);
    } catch (IllegalArgumentException e) {
      throw r.error(e.getMessage());
    }
  }

  private static int schemaVersion(JsonReader r) throws SpecException {
    int v = r.int32();
    if (v == 1) {
      throw r.error(SCHEMA1_HINT);
    }
    if (v != 2) {
      throw r.error("unsupported schemaVersion " + v + ", want 2");
    }
    return v;
  }

  private static void refuseSchema1(JsonReader r, String mediaType) throws SpecException {
    if (mediaType.equals(MediaTypes.DOCKER_SCHEMA1)
        || mediaType.equals(MediaTypes.DOCKER_SCHEMA1_SIGNED)) {
      throw r.error(SCHEMA1_HINT);
    }
  }

  private static void requireSchemaVersion(JsonReader r, Integer schemaVersion)
      throws SpecException {
    if (schemaVersion == null) {
      throw missing(r, "schemaVersion");
    }
  }

  // Called after the object's last field: the reader's path is then the object's own path.
  private static SpecException missing(JsonReader r, String field) {
    return r.error("missing required field \"" + field + "\"");
  }
}
