package dev.berth.testkit.image;

import com.github.luben.zstd.ZstdOutputStream;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.spec.image.Platform;
import dev.berth.spec.json.JsonWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Writes an OCI image layout (image-spec image-layout.md: {@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/}) that skopeo ({@code oci:dir:tag}) and umoci ({@code --image dir:tag})
 * read. Everything is deterministic: the same calls give the same digests, so tests can hard-wire
 * nothing and still compare two builds.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * var b = new OciLayoutBuilder(dir);
 * var base = b.layer(new LayerTar().busybox(), Compression.GZIP);
 * var img = b.image(OciLayoutBuilder.AMD64, ImageConfig.busybox(), List.of(base));
 * b.tag("latest", img.manifest());
 * }</pre>
 */
public final class OciLayoutBuilder {
  /** The "created" time of every config and history entry. */
  public static final String CREATED = "2024-01-01T00:00:00Z";

  public static final Platform AMD64 = new Platform("linux", "amd64", "");
  public static final Platform ARM64 = new Platform("linux", "arm64", "v8");
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  /**
   * A layer blob in the layout and the digest of its uncompressed tar (the config's rootfs.diff_ids
   * entry).
   */
  public record Layer(Descriptor blob, Digest diffId, Compression compression) {}

  /** An image manifest written to the layout, with its config and layers. */
  public record Image(
      Descriptor manifest, Descriptor config, List<Layer> layers, Platform platform) {
    public List<Digest> layerDigests() {
      return layers.stream().map(l -> l.blob().digest()).toList();
    }

    public List<Digest> diffIds() {
      return layers.stream().map(Layer::diffId).toList();
    }
  }

  private final Path dir;
  private final Path blobs;
  // ref name -> descriptor, in tagging order: index.json lists them so.
  private final Map<String, Descriptor> tags = new LinkedHashMap<>();
  private int tmpCounter;

  /** Creates {@code dir} (if needed) with {@code oci-layout} and an empty {@code index.json}. */
  public OciLayoutBuilder(Path dir) {
    this.dir = dir;
    this.blobs = dir.resolve("blobs/sha256");
    try {
      Files.createDirectories(blobs);
      Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
      writeIndexJson();
    } catch (IOException e) {
      throw new UncheckedIOException("create oci layout " + dir, e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** The path of a blob of this layout. */
  public Path blob(Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.encoded());
  }

  /** Writes {@code content} as a layer blob compressed with {@code compression}. */
  public Layer layer(LayerTar content, Compression compression) {
    return layer(content::writeTo, compression);
  }

  /**
   * Writes a raw tar stream ({@link TarEntries#toByteArray}, or any bytes at all) as a layer blob.
   */
  public Layer layer(byte[] tar, Compression compression) {
    return layer(out -> out.write(tar), compression);
  }

  /**
   * Writes the tar that {@code writer} produces as a layer blob, hashing it before and after
   * compression.
   */
  public Layer layer(TarWriter writer, Compression compression) {
    Path tmp = blobs.resolve(".tmp-" + (tmpCounter++));
    try {
      MessageDigest blobHash = sha256();
      MessageDigest tarHash = sha256();
      try (OutputStream file = new DigestOutputStream(Files.newOutputStream(tmp), blobHash)) {
        OutputStream compressed =
            switch (compression) {
              case NONE -> new LayerTar.NonClosing(file);
              case GZIP -> new GZIPOutputStream(new LayerTar.NonClosing(file), 65536);
              case ZSTD -> new ZstdOutputStream(new LayerTar.NonClosing(file), 3);
            };
        try (OutputStream tar = new DigestOutputStream(compressed, tarHash)) {
          writer.writeTo(tar);
        }
      }
      Digest digest = Digest.sha256(blobHash.digest());
      long size = Files.size(tmp);
      Files.move(tmp, blob(digest), StandardCopyOption.REPLACE_EXISTING);
      String mediaType =
          switch (compression) {
            case NONE -> MediaTypes.OCI_LAYER;
            case GZIP -> MediaTypes.OCI_LAYER_GZIP;
            case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
          };
      return new Layer(
          new Descriptor(mediaType, digest, size), Digest.sha256(tarHash.digest()), compression);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the layout is a test's temp dir: the first error is the one to report
      }
      throw new UncheckedIOException("write layer blob in " + dir, e);
    }
  }

  /** Produces an uncompressed tar on the stream it is given. */
  @FunctionalInterface
  public interface TarWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  public Image image(Platform platform, ImageConfig config, List<Layer> layers) {
    return image(platform, config, layers, false);
  }

  /**
   * Writes the config and the manifest of an image made of {@code layers}, with OCI media types or,
   * when {@code dockerMediaTypes}, Docker schema 2 ones (which have no zstd layers).
   */
  public Image image(
      Platform platform, ImageConfig config, List<Layer> layers, boolean dockerMediaTypes) {
    Descriptor cfg =
        writeBlob(
            dockerMediaTypes ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG,
            configJson(platform, config, layers));
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("schemaVersion", 2);
    w.field("mediaType", dockerMediaTypes ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST);
    w.name("config");
    descriptor(w, cfg);
    w.name("layers").beginArray();
    for (Layer l : layers) {
      Descriptor d = l.blob();
      if (dockerMediaTypes) {
        String mt =
            switch (l.compression()) {
              case NONE -> "application/vnd.docker.image.rootfs.diff.tar";
              case GZIP -> MediaTypes.DOCKER_LAYER_GZIP;
              case ZSTD ->
                  throw new IllegalArgumentException(
                      "docker manifest: layer "
                          + d.digest()
                          + " is zstd, which schema 2 has no media type for");
            };
        d = new Descriptor(mt, d.digest(), d.size());
      }
      descriptor(w, d);
    }
    w.endArray().endObject();
    Descriptor manifest =
        writeBlob(
            dockerMediaTypes ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST,
            w.toByteArray());
    manifest =
        new Descriptor(
            manifest.mediaType(),
            manifest.digest(),
            manifest.size(),
            List.of(),
            Map.of(),
            platform,
            "");
    return new Image(manifest, cfg, List.copyOf(layers), platform);
  }

  public Descriptor index(List<Image> images) {
    return index(images, false);
  }

  /**
   * Writes an image index (or a Docker manifest list) of {@code images}, each with its platform.
   */
  public Descriptor index(List<Image> images, boolean dockerMediaTypes) {
    String mt = dockerMediaTypes ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX;
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("schemaVersion", 2).field("mediaType", mt);
    w.name("manifests").beginArray();
    for (Image i : images) descriptor(w, i.manifest());
    w.endArray().endObject();
    return writeBlob(mt, w.toByteArray());
  }

  /**
   * Points {@code ref} at {@code target} in index.json (replacing an earlier target of that ref).
   */
  public OciLayoutBuilder tag(String ref, Descriptor target) {
    Descriptor plain =
        new Descriptor(
            target.mediaType(), target.digest(), target.size(), List.of(), Map.of(), null, "");
    tags.put(ref, plain.withAnnotations(Map.of(REF_NAME, ref)));
    try {
      writeIndexJson();
    } catch (IOException e) {
      throw new UncheckedIOException("write " + dir.resolve("index.json"), e);
    }
    return this;
  }

  /** Writes {@code content} as a blob of this layout and returns its descriptor. */
  public Descriptor writeBlob(String mediaType, byte[] content) {
    Digest d = Digest.sha256Of(content);
    try {
      Path tmp = blobs.resolve(".tmp-" + (tmpCounter++));
      Files.write(tmp, content);
      Files.move(tmp, blob(d), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("write blob " + d + " in " + dir, e);
    }
    return new Descriptor(mediaType, d, content.length);
  }

  private void writeIndexJson() throws IOException {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("schemaVersion", 2).field("mediaType", MediaTypes.OCI_INDEX);
    w.name("manifests").beginArray();
    for (Descriptor d : tags.values()) descriptor(w, d);
    w.endArray().endObject();
    Path tmp = dir.resolve(".index.json.tmp");
    Files.write(tmp, w.toByteArray());
    Files.move(tmp, dir.resolve("index.json"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static byte[] configJson(Platform platform, ImageConfig c, List<Layer> layers) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("created", CREATED).field("architecture", platform.architecture());
    if (!platform.variant().isEmpty()) w.field("variant", platform.variant());
    w.field("os", platform.os());
    w.name("config").beginObject();
    if (!c.user().isEmpty()) w.field("User", c.user());
    if (!c.exposedPorts().isEmpty()) {
      w.name("ExposedPorts").beginObject();
      for (String p : c.exposedPorts()) w.name(p).beginObject().endObject();
      w.endObject();
    }
    strings(w, "Env", c.env());
    strings(w, "Entrypoint", c.entrypoint());
    strings(w, "Cmd", c.cmd());
    if (!c.volumes().isEmpty()) {
      w.name("Volumes").beginObject();
      for (String v : c.volumes()) w.name(v).beginObject().endObject();
      w.endObject();
    }
    if (!c.workingDir().isEmpty()) w.field("WorkingDir", c.workingDir());
    if (!c.labels().isEmpty()) {
      w.name("Labels").beginObject();
      c.labels().forEach(w::field);
      w.endObject();
    }
    w.endObject();
    w.name("rootfs").beginObject().field("type", "layers").name("diff_ids").beginArray();
    for (Layer l : layers) w.value(l.diffId().toString());
    w.endArray().endObject();
    w.name("history").beginArray();
    for (int i = 0; i < layers.size(); i++) {
      w.beginObject()
          .field("created", CREATED)
          .field(
              "created_by",
              "berth-testkit layer "
                  + i
                  + " ("
                  + layers.get(i).compression().name().toLowerCase()
                  + ")")
          .endObject();
    }
    w.endArray().endObject();
    return w.toByteArray();
  }

  private static void strings(JsonWriter w, String name, List<String> values) {
    if (values.isEmpty()) return;
    w.name(name).beginArray();
    for (String v : values) w.value(v);
    w.endArray();
  }

  private static void descriptor(JsonWriter w, Descriptor d) {
    w.beginObject()
        .field("mediaType", d.mediaType())
        .field("digest", d.digest().toString())
        .field("size", d.size());
    if (!d.annotations().isEmpty()) {
      w.name("annotations").beginObject();
      d.annotations().forEach(w::field);
      w.endObject();
    }
    Platform p = d.platform();
    if (p != null) {
      w.name("platform").beginObject().field("architecture", p.architecture()).field("os", p.os());
      if (!p.variant().isEmpty()) w.field("variant", p.variant());
      w.endObject();
    }
    w.endObject();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
