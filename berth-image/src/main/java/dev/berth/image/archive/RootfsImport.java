package dev.berth.image.archive;

import dev.berth.image.ImageException;
import dev.berth.image.content.ContentStore;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.image.Manifest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.Platform;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.sys.Sha256;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * docker import: a root filesystem tarball (plain, gzip or zstd, told apart by magic number)
 * becomes a one-layer image. The tarball is stored as it is, so its blob digest is the file's.
 */
public final class RootfsImport {
  private RootfsImport() {}

  /** The stored image: its manifest, and the config's digest (the image id). */
  public record Imported(Descriptor manifest, Manifest parsed, Digest config, Digest diffId) {}

  public static Imported importTarball(
      ContentStore content, Path tarball, Platform platform, Instant created, String message)
      throws IOException, ImageException {
    String what = "import " + tarball;
    MediaTypes.Compression c = sniff(tarball);
    MessageDigest raw = Sha256.newDigest();
    MessageDigest plain = Sha256.newDigest();
    long size;
    try (InputStream file =
        new DigestInputStream(
            new BufferedInputStream(Files.newInputStream(tarball), 1 << 16), raw)) {
      InputStream un = DockerArchive.decompressed(file, c);
      try {
        new DigestInputStream(un, plain).transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        throw ImageException.invalid(
            what + ": not a readable " + c.name().toLowerCase() + " tarball: " + e.getMessage());
      }
      file.transferTo(OutputStream.nullOutputStream());
    }
    size = Files.size(tarball);
    Digest blob = Digest.sha256(raw.digest());
    Digest diffId = c == MediaTypes.Compression.NONE ? blob : Digest.sha256(plain.digest());
    String mediaType =
        switch (c) {
          case NONE -> MediaTypes.OCI_LAYER;
          case GZIP -> MediaTypes.OCI_LAYER_GZIP;
          case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
        };
    Descriptor layer = new Descriptor(mediaType, blob, size);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tarball), 1 << 16)) {
      OciArchive.ingest(content, layer, in, what);
    }
    String when = Rfc3339.format(created);
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject();
    w.field("created", when);
    w.field("architecture", platform.architecture());
    if (!platform.variant().isEmpty()) w.field("variant", platform.variant());
    w.field("os", platform.os());
    w.name("config").beginObject().endObject();
    w.name("rootfs")
        .beginObject()
        .field("type", "layers")
        .name("diff_ids")
        .beginArray()
        .value(diffId.toString())
        .endArray()
        .endObject();
    w.name("history")
        .beginArray()
        .beginObject()
        .field("created", when)
        .field("created_by", message == null || message.isEmpty() ? "berth import" : message)
        .endObject()
        .endArray();
    w.endObject();
    Descriptor config = content.put(w.toByteArray(), MediaTypes.OCI_CONFIG);
    Manifest manifest =
        new Manifest(2, MediaTypes.OCI_MANIFEST, "", config, List.of(layer), null, Map.of());
    Descriptor md = content.put(ImageJson.write(manifest), MediaTypes.OCI_MANIFEST);
    return new Imported(md, manifest, config.digest(), diffId);
  }

  private static MediaTypes.Compression sniff(Path file) throws IOException {
    byte[] m;
    try (InputStream in = Files.newInputStream(file)) {
      m = in.readNBytes(4);
    }
    if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b)
      return MediaTypes.Compression.GZIP;
    if (m.length == 4
        && (m[0] & 0xff) == 0x28
        && (m[1] & 0xff) == 0xb5
        && (m[2] & 0xff) == 0x2f
        && (m[3] & 0xff) == 0xfd) {
      return MediaTypes.Compression.ZSTD;
    }
    return MediaTypes.Compression.NONE;
  }
}
