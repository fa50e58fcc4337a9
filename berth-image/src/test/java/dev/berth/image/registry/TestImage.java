package dev.berth.image.registry;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** A one-layer image made in memory: a gzip tar layer with one file, a config, an OCI manifest. */
record TestImage(
    byte[] layer, byte[] config, byte[] manifest, Descriptor layerDesc, Descriptor configDesc) {

  static TestImage make(String fileContent) throws IOException {
    ByteArrayOutputStream tgz = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(tgz))) {
      byte[] data = fileContent.getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry("hello.txt");
      e.setSize(data.length);
      e.setMode(0644);
      tar.putArchiveEntry(e);
      tar.write(data);
      tar.closeArchiveEntry();
    }
    byte[] layer = tgz.toByteArray();
    Digest diffId = Digest.sha256Of(gunzip(layer));
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                + "\"diff_ids\":[\""
                + diffId
                + "\"]}}")
            .getBytes(StandardCharsets.UTF_8);
    Descriptor l = new Descriptor(MediaTypes.OCI_LAYER_GZIP, Digest.sha256Of(layer), layer.length);
    Descriptor c = new Descriptor(MediaTypes.OCI_CONFIG, Digest.sha256Of(config), config.length);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + desc(c)
                + ",\"layers\":["
                + desc(l)
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    return new TestImage(layer, config, manifest, l, c);
  }

  Digest manifestDigest() {
    return Digest.sha256Of(manifest);
  }

  static String desc(Descriptor d) {
    return "{\"mediaType\":\""
        + d.mediaType()
        + "\",\"digest\":\""
        + d.digest()
        + "\",\"size\":"
        + d.size()
        + "}";
  }

  /** Writes the image as an OCI layout with {@code tag}, for skopeo's oci: transport. */
  void writeLayout(Path dir, String tag) throws IOException {
    Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.write(blobs.resolve(layerDesc.digest().encoded()), layer);
    Files.write(blobs.resolve(configDesc.digest().encoded()), config);
    Files.write(blobs.resolve(manifestDigest().encoded()), manifest);
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(
        dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"digest\":\""
            + manifestDigest()
            + "\",\"size\":"
            + manifest.length
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\""
            + tag
            + "\"}}]}");
  }

  static byte[] gunzip(byte[] gz) throws IOException {
    try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new java.util.Random(seed).nextBytes(b);
    return b;
  }
}
