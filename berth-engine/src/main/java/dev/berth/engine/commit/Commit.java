package dev.berth.engine.commit;

import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_NOFOLLOW;
import static dev.berth.sys.LinuxConstants.O_RDONLY;

import dev.berth.engine.EngineException;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.fs.OverlayDiff;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.LocalLayers;
import dev.berth.image.content.Ingest;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageConfig.ContainerConfig;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.image.Manifest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.Sha256;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * docker commit: a new image made of the container's image and one more layer, the container's
 * changes (the upper directory of its overlay snapshot written as an OCI layer: whiteouts for what
 * it deleted, opaque markers for directories it replaced), with the container's config (its
 * command, environment, ... as docker keeps them) and the {@code --change} instructions, and a
 * history entry. The layer is stored uncompressed, as {@code import} stores a tarball, and unpacked
 * into a snapshot at once so the image runs.
 */
public final class Commit {
  /**
   * The files the engine binds into a container, made empty in its tree when the image lacks them.
   */
  private static final java.util.Set<String> ENGINE_MOUNT_POINTS =
      java.util.Set.of("etc/hostname", "etc/hosts", "etc/resolv.conf");

  private Commit() {}

  /**
   * What to commit.
   *
   * @param reference REPOSITORY[:TAG] of the new image, or null for an image without a name
   * @param author the config's and history's author
   * @param message the history entry's comment
   * @param changes Dockerfile instructions ({@link Changes})
   * @param pause pause a running container while its changes are read (docker's default)
   */
  public record Options(
      String reference, String author, String message, List<String> changes, boolean pause) {
    public Options {
      author = author == null ? "" : author;
      message = message == null ? "" : message;
      changes = changes == null ? List.of() : List.copyOf(changes);
    }
  }

  /**
   * Builds and stores the image: {@code base} (whose config is {@code baseConfig}) plus the layer
   * of {@code upper}, the config of a container made with {@code options}; {@code createdBy} is its
   * history's command. Temporary files go to {@code tmpDir}.
   */
  public static ImageRecord build(
      ImageService images,
      ImageRecord base,
      ImageConfig baseConfig,
      ContainerOptions options,
      Path upper,
      String createdBy,
      Options o,
      Path tmpDir)
      throws BerthException {
    ContainerConfig config =
        Changes.apply(containerConfig(baseConfig.config(), options), o.changes());
    String name = null;
    if (o.reference() != null && !o.reference().isEmpty()) {
      try {
        name = Reference.parse(o.reference()).withDefaultTag().toString();
      } catch (IllegalArgumentException e) {
        throw EngineException.invalid("invalid reference format: " + o.reference());
      }
    }
    Path tmp = null;
    try (var lease = images.content().lease()) {
      Files.createDirectories(tmpDir);
      tmp = Files.createTempFile(tmpDir, ".commit-", ".tar");
      MessageDigest sha = Sha256.newDigest();
      try (Fd dir = Linux.open(upper.toString(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
          OutputStream out =
              new DigestOutputStream(
                  new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16), sha)) {
        OverlayDiff.write(dir, out, ENGINE_MOUNT_POINTS);
      }
      Digest diffId = Digest.sha256(sha.digest());
      Descriptor layer = new Descriptor(MediaTypes.OCI_LAYER, diffId, Files.size(tmp));
      try (Ingest ingest = images.content().ingest(layer)) {
        if (!ingest.alreadyCommitted()) {
          if (ingest.offset() > 0) ingest.restart();
          try (InputStream in = Files.newInputStream(tmp)) {
            in.transferTo(ingest.outputStream());
          }
          ingest.commit();
        }
      }
      String now = Rfc3339.format(Instant.now());
      List<Digest> diffIds = new ArrayList<>(baseConfig.rootfs().diffIds());
      diffIds.add(diffId);
      List<ImageConfig.History> history = new ArrayList<>(baseConfig.history());
      history.add(new ImageConfig.History(now, createdBy, o.author(), o.message(), false));
      ImageConfig made =
          new ImageConfig(
              now,
              o.author(),
              baseConfig.architecture(),
              baseConfig.os(),
              baseConfig.osVersion(),
              baseConfig.osFeatures(),
              baseConfig.variant(),
              config,
              ImageConfig.RootFs.layers(diffIds),
              history);
      Descriptor configDesc = images.content().put(ImageJson.write(made), MediaTypes.OCI_CONFIG);
      List<Descriptor> layers = new ArrayList<>();
      for (Descriptor d : baseManifest(images, base).layers()) layers.add(asOci(d));
      layers.add(layer);
      Manifest manifest =
          new Manifest(2, MediaTypes.OCI_MANIFEST, "", configDesc, layers, null, Map.of());
      Descriptor manifestDesc =
          images.content().put(ImageJson.write(manifest), MediaTypes.OCI_MANIFEST);
      new LocalLayers(images.content(), images.snapshots())
          .ensureUnpacked(layers, diffIds, "commit");
      ImageRecord record =
          new ImageRecord(
              name == null ? configDesc.digest().toString() : name,
              manifestDesc,
              configDesc.digest(),
              Instant.now());
      images.images().put(record);
      return record;
    } catch (IOException e) {
      throw EngineException.internal("commit: " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a temporary file; the commit's outcome is what matters
        }
      }
    }
  }

  /**
   * The config docker keeps for a container (its Config): the image's, with what the container was
   * created with in place of the image's values.
   */
  static ContainerConfig containerConfig(ContainerConfig image, ContainerOptions o) {
    List<String> entrypoint;
    List<String> cmd;
    if (o.entrypoint() != null) {
      entrypoint =
          o.entrypoint().size() == 1 && o.entrypoint().getFirst().isEmpty()
              ? List.of()
              : o.entrypoint();
      cmd = o.command();
    } else {
      entrypoint = image.entrypoint();
      cmd = !o.command().isEmpty() ? o.command() : image.cmd();
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (String e : image.env()) env.put(key(e), e);
    for (String e : o.env()) env.put(key(e), e);
    Map<String, String> labels = new LinkedHashMap<>(image.labels());
    labels.putAll(o.labels());
    String workdir =
        o.workingDir() != null && !o.workingDir().isEmpty() ? o.workingDir() : image.workingDir();
    String user = o.user() != null ? o.user() : image.user();
    String stop =
        o.stopSignal() != null && !o.stopSignal().isEmpty() ? o.stopSignal() : image.stopSignal();
    return new ContainerConfig(
        user,
        image.exposedPorts(),
        new ArrayList<>(env.values()),
        entrypoint,
        cmd,
        image.volumes(),
        workdir,
        labels,
        stop,
        image.argsEscaped(),
        // merged over the image's at create: the container's is the one it ran with
        o.healthcheck() != null ? o.healthcheck() : image.healthcheck());
  }

  private static Manifest baseManifest(ImageService images, ImageRecord base)
      throws BerthException, IOException {
    Descriptor d = images.manifestOf(base);
    try {
      return ImageJson.readManifest(
          images.content().read(d.digest(), ImageService.MAX_METADATA), d.digest().toString());
    } catch (SpecException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL,
          "read the manifest of image " + base.name() + ": " + e.getMessage(),
          e);
    }
  }

  /** A layer descriptor of a docker manifest in OCI terms (the new manifest is OCI's). */
  private static Descriptor asOci(Descriptor d) {
    String type =
        switch (d.mediaType()) {
          case MediaTypes.DOCKER_LAYER_GZIP -> MediaTypes.OCI_LAYER_GZIP;
          case MediaTypes.DOCKER_LAYER_FOREIGN_GZIP -> MediaTypes.OCI_LAYER_NONDIST_GZIP;
          case "application/vnd.docker.image.rootfs.diff.tar" -> MediaTypes.OCI_LAYER;
          default -> d.mediaType();
        };
    return type.equals(d.mediaType()) ? d : new Descriptor(type, d.digest(), d.size());
  }

  private static String key(String env) {
    int eq = env.indexOf('=');
    return eq < 0 ? env : env.substring(0, eq);
  }
}
